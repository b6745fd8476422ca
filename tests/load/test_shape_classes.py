"""The shape files as Locust loads them: one shape class each, ticking the pure timeline.

Locust is imported only in a child interpreter (its import monkey-patches the process with gevent).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from loadtests.shapes import timeline as tl
from tests.load.conftest import ROOT

pytestmark = pytest.mark.integration  # Locust is loaded in a child interpreter

PROBE = r"""
import json, sys, types
from locust.util.load_locustfile import load_locustfile

root, params = sys.argv[1], json.loads(sys.argv[2])
out = {"locustfile_shapes": len(load_locustfile(f"{root}/loadtests/locustfile.py")[1])}
options = types.SimpleNamespace(**{f"shape_{k}": v for k, v in params.items()})
for name in ("steady", "ramp", "step", "spike", "double_wave"):
    _, shapes = load_locustfile(f"{root}/loadtests/shapes/{name}.py")
    ticks = []
    for shape in shapes:
        environment = types.SimpleNamespace(parsed_options=options)
        shape.runner = types.SimpleNamespace(environment=environment)
        for t in (0, 1, 2.5, 4, 5.5, 7, 8.9, 9, 12):
            shape.get_run_time = lambda t=t: t
            ticks.append(shape.tick())
    out[name] = {"classes": [type(s).__name__ for s in shapes], "ticks": ticks}
print(json.dumps(out))
"""


def test_each_shape_file_holds_one_shape_that_follows_its_timeline() -> None:
    params = {"users": 3, "peak": 12, "duration": 9, "spawn_rate": 4, "steps": 3}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT), json.dumps(params)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    # the locustfile alone has no shape, so `-f locustfile.py,shapes/<name>.py` has exactly one
    # (Locust silently uses the first of several shape classes)
    assert found.pop("locustfile_shapes") == 0
    p = tl.ShapeParams(**params)
    for name, result in found.items():
        assert len(result["classes"]) == 1, (name, result["classes"])
        expected = [tl.TIMELINES[name](p, t) for t in (0, 1, 2.5, 4, 5.5, 7, 8.9, 9, 12)]
        assert [tuple(x) if x else None for x in result["ticks"]] == expected, name
    assert found["step"]["ticks"][-3:] == [[12, 4.0], None, None]


def test_plain_locust_from_the_project_root_finds_the_journeys() -> None:
    """`locust` with no flags uses pyproject's [tool.locust]: our locustfile, UI on loopback."""
    done = subprocess.run(
        [sys.executable, "-m", "locust", "--list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.split("Available Users:")[-1].split()) == ["CanaryShopper", "Shopper"]
