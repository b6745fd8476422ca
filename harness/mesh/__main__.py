"""`python -m harness.mesh --plan PLAN.json --config deploy/kubernetes --state-dir .harness
(--endpoints-url URL | --endpoints-file FILE)`: run the gateway and mesh proxy."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.errors import HarnessError


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m harness.mesh", description=__doc__)
    p.add_argument("--plan", type=Path, required=True, help="listener plan (JSON)")
    p.add_argument(
        "--config",
        type=Path,
        action="append",
        default=None,
        help="manifest file or folder (repeatable; default deploy/kubernetes)",
    )
    p.add_argument("--state-dir", type=Path, default=Path(".harness"))
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--endpoints-url", help="controller admin API base URL")
    src.add_argument("--endpoints-file", type=Path, help="endpoints snapshot JSON file")
    p.add_argument("--poll-interval", type=float, default=0.5)
    args = p.parse_args(argv)

    from harness.mesh.endpoints import AdminEndpoints, FileEndpoints, load_plan
    from harness.mesh.server import Dataplane, Settings

    try:
        source = (
            FileEndpoints(args.endpoints_file)
            if args.endpoints_file
            else AdminEndpoints(args.endpoints_url, args.state_dir / "admin.token")
        )
        settings = Settings(
            load_plan(args.plan),
            args.config or [Path("deploy/kubernetes")],
            args.state_dir,
            source,
            args.poll_interval,
        )
        plane = Dataplane(settings)
        import uvloop

        uvloop.run(plane.run())
    except HarnessError as exc:
        print(f"harness.mesh: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
