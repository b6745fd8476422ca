"""order-service pods SIGKILLed during a burst of orders: within the recovery bound no order is
pending and the books balance (the real sample stack, through the gateway and the mesh)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.chaos.books import books_balance, read_books
from harness.chaos.context import ChaosContext, bound
from harness.chaos.runner import local_gateway_key
from tests.cluster.conftest import Stack, sample_stack
from tests.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SKU = "SKU-0006"
WORKERS = 6


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with sample_stack(tmp_path_factory.mktemp("sagas") / "state") as s:
        yield s


def _user(client: httpx.Client, base: str) -> str:
    resp = client.post(
        f"{base}/api/v1/users",
        json={"email": "burst@example.com", "first_name": "B", "password": "burst-pass-1"},
    )
    assert resp.status_code == 201, resp.text
    user_id = str(resp.json()["id"])
    assert client.post(f"{base}/api/v1/users/{user_id}/activate").status_code == 200
    return user_id


def _burst(
    base: str, key: str, user_id: str, done: threading.Event, answers: Counter[str]
) -> list[threading.Thread]:
    def place() -> None:
        with httpx.Client(timeout=10.0, trust_env=False, headers={"apikey": key}) as client:
            while not done.is_set():
                try:
                    resp = client.post(
                        f"{base}/api/v1/orders",
                        json={
                            "user_id": user_id,
                            "items": [{"sku": SKU, "quantity": 1}],
                            "payment_method": "card",
                        },
                    )
                    answers[str(resp.status_code)] += 1
                except httpx.HTTPError as exc:
                    answers[type(exc).__name__] += 1

    return [threading.Thread(target=place, daemon=True) for _ in range(WORKERS)]


def _orders_flow_again(answers: Counter[str]) -> None:
    """Twenty more orders confirmed against the replacement pods before the next kill."""
    want = answers["201"] + 20
    eventually(lambda: answers["201"] >= want, timeout=60, message="no orders after the kill")


def test_killed_order_service_pods_leave_no_saga_half_done(stack: Stack, tmp_path: Path) -> None:
    base = str(stack.up_output.get("gateway") or f"http://127.0.0.1:{stack.gateway_port}")
    key = local_gateway_key(stack.state) or ""
    with httpx.Client(timeout=10.0, trust_env=False, headers={"apikey": key}) as client:
        user_id = _user(client, base)
    done = threading.Event()
    answers: Counter[str] = Counter()
    threads = _burst(base, key, user_id, done, answers)
    with stack.client() as admin, bound(ChaosContext.for_state_dir(stack.state)) as ctx:
        for thread in threads:
            thread.start()
        try:
            eventually(lambda: answers["201"] >= 20, timeout=60, message="no orders flowing")
            for _ in range(3):  # SIGKILL every order-service pod, mid-request, three times
                for pod in admin.pods(service="order-service"):
                    admin.delete_pod(pod.name, grace_period=0, wait=False)
                eventually(
                    lambda: any(e.ready for e in admin.endpoints(service="order-service")),
                    timeout=60,
                    message="order-service never came back",
                )
                _orders_flow_again(answers)
        finally:
            done.set()
            for thread in threads:
                thread.join(timeout=30)
        left = read_books()
        # the recovery bound (deploy/kubernetes/order-service.yaml) plus two passes
        settle = left.bound_s + 2 * left.interval_s + 10
        started = time.monotonic()
        problems = books_balance(settle_seconds=settle)
        took = time.monotonic() - started
        after = read_books()
        ctx.close()
    print(
        f"answers {dict(answers)}; pending right after the kills: {len(left.pending)}; "
        f"books balanced after {took:.1f}s"
    )
    assert answers["201"] >= 20
    assert problems == 0
    assert after.problems() == set()
    assert all(age <= after.bound_s for age in after.pending.values())
