"""The root command: how the command groups are joined, and that `harness --help` stays cheap."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from harness.cli.app import app

CLI = Path(__file__).resolve().parents[2] / "harness" / "cli"

# The order `harness --help` lists them in; a user's muscle memory and scripts rely on the names.
COMMANDS = [
    "analyze",
    "up",
    "status",
    "logs",
    "down",
    "load",
    "gate",
    "report",
    "history",
    "compare",
    "run",
    "validate",
    "chaos",
    "rollout",
]


def test_every_command_is_joined_at_the_top_level_in_help_order() -> None:
    group = typer.main.get_group(app)
    assert list(group.commands) == COMMANDS
    chaos = group.commands["chaos"]
    assert isinstance(chaos, typer.core.TyperGroup)
    assert list(chaos.commands) == ["run", "faults", "cleanup"]


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert f" {name} " in result.output


def test_no_command_module_imports_the_root_app() -> None:
    """Registration runs one way (app.py joins each group's Typer), so there is no module cycle."""
    for path in sorted(CLI.glob("*.py")):
        if path.name == "app.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.module != "harness.cli.app", path.name
                if node.module == "harness.cli":
                    assert "app" not in {a.name for a in node.names}, path.name


@pytest.mark.integration
def test_help_imports_no_heavy_module() -> None:
    """Command modules import only typer, the standard library and harness.errors at import time."""
    probe = (
        "import sys, harness.cli.app as a; "
        "print('\\n'.join(m for m in sys.modules if m.startswith('harness')));"
        "print('--'); print('\\n'.join(sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    ours, _, everything = out.partition("--\n")
    assert set(ours.split()) <= {
        "harness",
        "harness.errors",
        "harness.cli",
        "harness.cli.app",
        "harness.cli.kube_options",
        *(
            f"harness.cli.{m}"
            for m in ("analyze", "chaos", "cluster", "history", "load", "report", "rollout", "run")
        ),
        "harness.cli.validate",
    }
    loaded = set(everything.split())
    for heavy in ("yaml", "pydantic", "httpx", "locust", "chaoslib", "kubernetes", "pandas"):
        assert heavy not in loaded, heavy
