"""The local cluster controller process: `python -m harness.cluster.local.controller ...`.

Started by `harness up` (detached from it); every child it starts dies with it. This module is
the process around the controller (`controller.Controller`): arguments, logging, the fork server
and the error file `harness up` reads. It starts the fork server before importing anything
heavy, so the fork server's imports overlap with the controller's own start-up.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from harness import process
from harness.cluster.local.state import StateDir
from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.cluster.local.podprocs import ForkServer
    from harness.cluster.local.stack import StackOptions

log = logging.getLogger("harness.controller")

# `HARNESS_FORK_SERVER=off` starts every pod as a fresh process (no fork server).
FORK_SERVER_ENV = "HARNESS_FORK_SERVER"


def _parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="harness-controller")
    p.add_argument("--state-dir", required=True)
    p.add_argument("--manifests", required=True)
    p.add_argument("--local-config", required=True)
    for flag in ("--admin-port", "--prometheus-port", "--gateway-port"):
        p.add_argument(flag, type=int)
    p.add_argument("--pod-ports")
    p.add_argument("--service-ports")
    p.add_argument("--mesh-admin-port", type=int)
    p.add_argument("--no-prometheus", action="store_true")
    p.add_argument("--no-mesh", action="store_true")
    p.add_argument("--hpa-interval")
    p.add_argument("--hpa-time-scale", type=float)
    return p.parse_args(argv)


def _options(a: argparse.Namespace) -> StackOptions:
    from harness.cluster.local.stack import StackOptions

    return StackOptions(
        state=Path(a.state_dir),
        manifests=Path(a.manifests),
        local_config=Path(a.local_config),
        admin_port=a.admin_port,
        prometheus_port=a.prometheus_port,
        gateway_port=a.gateway_port,
        pod_ports=a.pod_ports,
        service_ports=a.service_ports,
        mesh_admin_port=a.mesh_admin_port,
        prometheus=not a.no_prometheus,
        mesh=not a.no_mesh,
        hpa_interval=a.hpa_interval,
        hpa_time_scale=a.hpa_time_scale,
    )


def _start_fork_server(state: StateDir) -> ForkServer | None:
    if os.environ.get(FORK_SERVER_ENV, "on") == "off":
        return None
    from harness.cluster.local.podprocs import ForkServer

    try:
        return ForkServer.launch(
            state.root / "run", state_root=state.root, log_path=state.logs / "forkserver.log"
        )
    except (HarnessError, OSError) as exc:
        log.warning("fork server not started (%s); pods are spawned", exc)
        return None


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    state = StateDir(Path(args.state_dir))
    state.ensure()
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    state.error_file.unlink(missing_ok=True)
    fork_server = _start_fork_server(state)
    try:
        from harness.cluster.local.controller import Controller
        from harness.cluster.local.service_address import load_backend
        from harness.cluster.local.stack import load_stack

        stack = load_stack(_options(args))
        # in mesh mode the mesh process serves the Service listeners
        backend = None if stack.mesh else load_backend(stack.config.cluster.service_address)
        controller = Controller(stack, state, backend, fork_server)
        asyncio.run(controller.run())
    except HarnessError as exc:
        state.write_json(
            state.error_file,
            {"kind": type(exc).__name__, "message": str(exc), "exitCode": int(exc.exit_code)},
        )
        log.error("%s", exc)
        return int(exc.exit_code)
    finally:
        if fork_server is not None:
            process.stop(fork_server.proc, grace=1.0)  # a no-op after a clean shutdown
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
