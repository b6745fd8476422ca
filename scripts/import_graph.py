#!/usr/bin/env python3
"""Print the package-level import edges of `harness` and fail on any cycle between packages.

    python scripts/import_graph.py              # harness.X -> harness.Y edges; exit 1 on a cycle
    python scripts/import_graph.py --depth 3    # one level finer (harness.cluster.local, ...)
    python scripts/import_graph.py --quiet      # cycles only

Reads the source with `ast` (nothing is imported, no dependencies), so it runs before set-up.
Every import counts, including those inside functions and under `if TYPE_CHECKING:`: a lazy
import is still a dependency, it only moves the cost. The layers contract in pyproject.toml
(`lint-imports`) is what the test command enforces; this script is the quick picture of the
graph, and says which modules make each edge when a cycle shows up.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "harness"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, name: str) -> set[str]:
    """Every module `path` (module `name`) imports, absolute and relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # `from . import x` in a package's __init__ is relative to the package itself
                base = name.split(".")
                drop = node.level - 1 if is_package else node.level
                base = base[: len(base) - drop] if drop else base
                prefix = ".".join(base)
                target = f"{prefix}.{node.module}" if node.module else prefix
            else:
                target = node.module or ""
            found.add(target)
            # `from harness import cli` imports the package harness.cli, not a name in harness
            found.update(f"{target}.{alias.name}" for alias in node.names if alias.name != "*")
    return found


def package_of(module: str, depth: int) -> str:
    return ".".join(module.split(".")[:depth])


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one package (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(edges.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=2, help="name parts per package (default 2)")
    parser.add_argument("--quiet", action="store_true", help="print cycles only")
    args = parser.parse_args(argv)

    sources = sorted((ROOT / PACKAGE).rglob("*.py"))
    known = {module_name(path) for path in sources}
    # (importer package, imported package) -> the importing modules, to say who makes an edge
    witnesses: dict[tuple[str, str], set[str]] = defaultdict(set)
    for path in sources:
        name = module_name(path)
        if name.count(".") + 1 < args.depth:
            continue  # harness/__init__.py and other modules above the chosen depth
        source = package_of(name, args.depth)
        for target in imported_modules(path, name):
            if target not in known:
                continue  # third-party, stdlib, or a name rather than a module
            imported = package_of(target, args.depth)
            if imported != source and target.count(".") + 1 >= args.depth:
                witnesses[(source, imported)].add(name)

    edges: dict[str, set[str]] = defaultdict(set)
    for source, imported in witnesses:
        edges[source].add(imported)
    if not args.quiet:
        for (source, imported), modules in sorted(witnesses.items()):
            print(f"{source} -> {imported}  ({', '.join(sorted(modules))})")
    found = cycles(edges)
    for component in found:
        print(f"cycle: {' <-> '.join(component)}", file=sys.stderr)
    if not found:
        print(f"no package-level cycle (depth {args.depth})", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
