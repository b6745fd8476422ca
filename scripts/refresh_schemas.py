"""Write the upstream CRD schemas that `harness validate` checks structure against.

Reads the CustomResourceDefinitions from checkouts (or bare git directories) of istio/istio and
argoproj/argo-rollouts and writes one JSON file per kind and version, the CRD's
`openAPIV3Schema` unchanged (CEL rules included), plus `index.json` and `SOURCE.md` naming the
repository, path, commit and licence of each:

    python scripts/refresh_schemas.py --istio ~/src/istio --argo-rollouts ~/src/argo-rollouts \
        --out harness/validate/schemas

Only the kinds the harness uses are kept (`KINDS`). `harness validate` reads the folder named by
HARNESS_SCHEMAS, else `harness/validate/schemas/`; a kind without a schema there is checked by
the hand-written models alone.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path
from typing import Any

import yaml

SOURCES = {
    "istio": ("istio/istio", "manifests/charts/base/files/crd-all.gen.yaml"),
    "argo_rollouts": ("argoproj/argo-rollouts", "manifests/crds"),
}
KINDS = {
    "networking.istio.io": {
        "VirtualService",
        "DestinationRule",
        "Gateway",
        "ServiceEntry",
    },
    "security.istio.io": {"AuthorizationPolicy", "PeerAuthentication"},
    "argoproj.io": {
        "Rollout",
        "AnalysisTemplate",
        "ClusterAnalysisTemplate",
        "AnalysisRun",
        "Experiment",
    },
}
LICENCE = "Apache-2.0"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", f"--git-dir={_git_dir(repo)}", *args], check=True, capture_output=True, text=True
    ).stdout


def _git_dir(repo: Path) -> Path:
    return repo / ".git" if (repo / ".git").exists() else repo


def _files(repo: Path, path: str) -> dict[str, str]:
    """path → text at HEAD, for one file or every YAML file of a folder."""
    names = _git(repo, "ls-tree", "-r", "--name-only", "HEAD", path).split()
    return {n: _git(repo, "show", f"HEAD:{n}") for n in names if n.endswith((".yaml", ".yml"))}


def _schemas(text: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    out = []
    for crd in yaml.safe_load_all(text):
        if not isinstance(crd, dict) or crd.get("kind") != "CustomResourceDefinition":
            continue
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        if kind not in KINDS.get(group, set()):
            continue
        for version in crd["spec"]["versions"]:
            if version.get("served", True) and "schema" in version:
                out.append((group, version["name"], kind, version["schema"]["openAPIV3Schema"]))
    return out


def refresh(checkouts: dict[str, Path], out: Path) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    index: dict[str, str] = {}
    lines = [
        "# Upstream schemas",
        "",
        "Written by `scripts/refresh_schemas.py`; do not edit by hand.",
        "",
        "| file | repository | path | commit | licence |",
        "|---|---|---|---|---|",
    ]
    for name, repo in checkouts.items():
        slug, path = SOURCES[name]
        commit = _git(repo, "rev-parse", "HEAD").strip()
        for file, text in sorted(_files(repo, path).items()):
            for group, version, kind, schema in _schemas(text):
                target = f"{group}_{version}_{kind}.json"
                (out / target).write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
                index[f"{group}/{version}/{kind}"] = target
                lines.append(f"| {target} | {slug} | {file} | {commit} | {LICENCE} |")
    (out / "index.json").write_text(json.dumps(index, indent=1, sort_keys=True) + "\n")
    (out / "SOURCE.md").write_text("\n".join(lines) + "\n")
    return sorted(index)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--istio", type=Path, required=True, help="istio/istio checkout")
    parser.add_argument("--argo-rollouts", type=Path, required=True, help="argo-rollouts checkout")
    parser.add_argument("--out", type=Path, default=Path("harness/validate/schemas"))
    args = parser.parse_args()
    kinds = refresh({"istio": args.istio, "argo_rollouts": args.argo_rollouts}, args.out)
    print(f"{len(kinds)} schemas written to {args.out}")


if __name__ == "__main__":
    main()
