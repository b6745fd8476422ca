"""Pure parts: redaction, ledger expiry, label selectors, victim choice, judging."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from harness.chaos.ledger import FaultLedger, FaultStatus
from harness.chaos.local.pods import select_pods
from harness.chaos.local.selectors import selector_matches
from harness.chaos.outcome import Ending, judge
from harness.chaos.redact import REDACTED, redact_journal, secret_values
from harness.contracts.cluster import PodPhase, PodStatus
from harness.errors import BadInput

SECRET = "hunter2-very-secret"


def test_journal_redaction_by_block_key_and_value() -> None:
    experiment: dict[str, Any] = {
        "title": "t",
        "secrets": {"app": {"token": {"type": "env", "key": "TOKEN"}, "inline": SECRET}},
        "configuration": {"db_password": "pw-inline-1", "url": "http://127.0.0.1:9090"},
        "method": [
            {"provider": {"headers": {"apikey": "${apikey}", "Authorization": "Bearer x1"}}}
        ],
    }
    values = secret_values(
        experiment["configuration"], {"db_password": "pw-inline-1"}, {"app": {"token": SECRET}}
    )
    journal = {"experiment": experiment, "run": [{"output": f"said {SECRET} twice {SECRET}"}]}
    out = redact_journal(journal, values)
    text = repr(out)
    assert SECRET not in text and "pw-inline-1" not in text and "Bearer x1" not in text
    assert out["experiment"]["secrets"]["app"]["token"] == {"type": "env", "key": "TOKEN"}
    assert out["experiment"]["method"][0]["provider"]["headers"]["apikey"] == "${apikey}"
    assert out["experiment"]["configuration"]["url"] == "http://127.0.0.1:9090"
    assert out["run"][0]["output"] == f"said {REDACTED} twice {REDACTED}"


def test_ledger_expiry_is_derived_and_survives_reopening(tmp_path: Path) -> None:
    ledger = FaultLedger(tmp_path / "ledger.json")
    rec = ledger.record(kind="delay", target="payment-service", spec={}, ttl_seconds=0.3)
    ledger.mark(rec.fault_id, FaultStatus.APPLIED)
    again = FaultLedger(tmp_path / "ledger.json")  # another process reading the same file
    assert [r.fault_id for r in again.active()] == [rec.fault_id]
    time.sleep(0.35)  # the behaviour: 0.3 s pass, and the record expires by the clock alone
    assert again.active() == []
    assert [r.status for r in again.outstanding()] == [FaultStatus.APPLIED]  # reset still undoes


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("app=user-service", {"app": "user-service"}, True),
        ("app=user-service,version!=v2", {"app": "user-service", "version": "v2"}, False),
        ("app in (a, b)", {"app": "b"}, True),
        ("app notin (a,b),tier", {"app": "c", "tier": "x"}, True),
        ("!canary", {"canary": "1"}, False),
        (None, {}, True),
    ],
)
def test_label_selectors(selector, labels, expected) -> None:
    assert selector_matches(selector, labels) is expected


def test_broken_selector_is_bad_input() -> None:
    with pytest.raises(BadInput, match="label_selector"):
        selector_matches("app=(", {})


def _pod(name: str, started: float) -> PodStatus:
    return PodStatus(
        name, "default", name, name, "v1", PodPhase.RUNNING, True, 0, None, 0, created_at=started
    )


def test_victims_follow_chaosk8s_rules() -> None:
    pods = [_pod("c", 1), _pod("a", 3), _pod("b", 2)]
    assert [p.name for p in select_pods(pods)] == ["a"]
    assert [p.name for p in select_pods(pods, order="oldest", qty=2)] == ["c", "b"]
    assert [p.name for p in select_pods(pods, mode="percentage", qty=50)] == ["a", "b"]
    assert len(select_pods(pods, all=True)) == 3
    assert [p.name for p in select_pods(pods, name_pattern="^b")] == ["b"]


def test_judge_prefers_interruption_then_invalidity() -> None:
    journal = {"status": "completed", "deviated": True, "steady_states": {}}
    assert judge(journal, signals=["SIGTERM"]).ending is Ending.INTERRUPTED
    assert judge(journal, invalid=["fault x not active"]).ending is Ending.INVALID
    assert judge(journal, reset_problem="fault reset incomplete").ending is Ending.INVALID
    assert judge(journal).ending is Ending.DEVIATED


def test_a_dead_pods_last_sample_on_a_reused_port_is_not_counted() -> None:
    from harness.chaos.live_series import live_rows

    old = ({"instance": "127.0.0.1:20001", "pod": "order-service-aaaaa-bbbbb"}, 1.0)  # open
    new = ({"instance": "127.0.0.1:20001", "pod": "order-service-ccccc-ddddd"}, 0.0)
    live = {("127.0.0.1:20001", "order-service-ccccc-ddddd")}
    assert live_rows([old, new], live) == [new]
    # labels that cannot be matched (no `pod`, or Prometheus could not list targets): keep all
    plain = ({"instance": "10.0.0.7:8080"}, 1.0)
    assert live_rows([plain], live) == [plain]
    assert live_rows([old, new], None) == [old, new]


def test_a_var_overriding_a_numeric_pause_stays_a_number() -> None:
    from harness.chaos.runner import typed_variables
    from harness.errors import BadInput

    config = {"fault_seconds": 30, "gateway_url": "http://127.0.0.1:8000"}
    got = typed_variables(config, {"fault_seconds": "5", "gateway_url": "http://x", "k": "7"})
    assert got == {"fault_seconds": 5, "gateway_url": "http://x", "k": "7"}
    with pytest.raises(BadInput, match="fault_seconds"):
        typed_variables(config, {"fault_seconds": "soon"})
