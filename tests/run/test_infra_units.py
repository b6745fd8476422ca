"""What the run's infra watch reads from the controller's status (pure parts)."""

from __future__ import annotations

from harness.run.infra import parts_down


def test_a_part_that_is_not_ready_is_named_with_why() -> None:
    status = {
        "parts": {
            "controller": {"pid": 1, "ready": True, "restarts": 0},
            "prometheus": {"pid": None, "ready": False, "restarts": 3},
            "mesh": {"pid": 12, "ready": False, "restarts": 0},
            "forkServer": {"pid": None, "ready": False, "restarts": 0, "broken": "exited"},
        }
    }
    # without the fork server pods are spawned: the stack works, a run may go on
    assert parts_down(status) == [
        "mesh (not ready, 0 restart(s))",
        "prometheus (not running, 3 restart(s))",
    ]
    assert parts_down({}) == []  # an older controller without `parts`: nothing to check
