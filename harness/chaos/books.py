"""The sample shop's books balance: no saga left half-done (module `harness.chaos.books`).

A Chaos Toolkit probe for the steady-state hypothesis of experiments that kill pods mid-saga:

    - type: probe
      name: books-balance
      tolerance: 0
      provider: {type: python, module: harness.chaos.books, func: books_balance}

It reads each service's own records (`/internal/{orders,inventory,payments}/books`, served by
the pods and never routed by the gateway) and counts what does not balance:

* a pending order older than order-service's recovery bound (its saga was never finished);
* a reservation holding stock without a live (pending or confirmed) order;
* a succeeded charge for an order that failed or does not exist.

Orders pending when the probe starts are sagas in flight, or cut short and waiting for recovery:
the probe waits until each one settles, for at most the bound plus two recovery intervals. The
three services are read one after the other while orders keep flowing, so a problem counts only
when two reads a second apart both show it. Payments and reservations are read before orders:
an order row is written before its stock or money is taken, so a live saga is never mistaken
for an orphan.

Local target: the pods are found through the cluster's endpoints (`harness up`, or
HARNESS_STATE_DIR under plain `chaos run`); elsewhere pass the three base URLs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from harness.errors import CouldNotJudge

log = logging.getLogger("harness.chaos")

SERVICES = ("order-service", "inventory-service", "payment-service")
_PATHS = {
    "order-service": "/internal/orders/books",
    "inventory-service": "/internal/inventory/books",
    "payment-service": "/internal/payments/books",
}
POLL_SECONDS = 1.0


@dataclass(frozen=True)
class Books:
    """One read of the three services' records."""

    bound_s: float
    interval_s: float
    pending: Mapping[str, float]  # order id -> age in seconds
    live: frozenset[str]  # pending or confirmed orders
    failed: frozenset[str]
    held: frozenset[str]  # reservation keys (order ids) still holding stock
    charges: Mapping[str, str]  # payment id -> order id, succeeded charges made for an order

    def problems(self) -> set[str]:
        """Every imbalance in this read, one line each (order ids in them, so reads compare)."""
        found = {
            f"order {oid} is still pending, older than the recovery bound of {self.bound_s:g}s"
            for oid, age in self.pending.items()
            if age > self.bound_s
        }
        found |= {
            f"reservation {key} holds stock without a live order" for key in self.held - self.live
        }
        for pid, oid in self.charges.items():
            if oid in self.failed:
                found.add(f"payment {pid} charged failed order {oid}")
            elif oid not in self.live:
                found.add(f"payment {pid} charged order {oid}, which order-service does not know")
        return found


def _base_urls(urls: Mapping[str, str | None]) -> dict[str, str]:
    given = {name: url.rstrip("/") for name, url in urls.items() if url}
    if len(given) == len(SERVICES):
        return given
    from harness.chaos.context import current

    cluster = current().cluster()
    out = dict(given)
    for name in SERVICES:
        if name in out:
            continue
        ready = [e for e in cluster.endpoints(service=name) if e.ready]
        if not ready:
            raise CouldNotJudge(f"books: no ready endpoint for {name}")
        out[name] = f"http://{ready[0].ip}:{ready[0].port}"  # one database per service
    return out


def _get(client: httpx.Client, urls: Mapping[str, str], name: str) -> dict[str, Any]:
    url = urls[name] + _PATHS[name]
    try:
        resp = client.get(url)
    except httpx.HTTPError as exc:
        raise CouldNotJudge(f"books: {name} {url}: {exc}") from exc
    if resp.status_code != 200:
        raise CouldNotJudge(f"books: {name} {url}: HTTP {resp.status_code}")
    body: dict[str, Any] = resp.json()
    return body


def read_books(urls: Mapping[str, str | None] | None = None) -> Books:
    """One read of the books (payments and reservations first, then orders)."""
    base = _base_urls(urls or {})
    with httpx.Client(timeout=10.0, follow_redirects=False) as client:
        payments = _get(client, base, "payment-service")
        inventory = _get(client, base, "inventory-service")
        orders = _get(client, base, "order-service")
    return Books(
        bound_s=float(orders["recovery_after_s"]),
        interval_s=float(orders["recovery_interval_s"]),
        pending={str(p["id"]): float(p["age_s"]) for p in orders["pending"]},
        live=frozenset(orders["live"]),
        failed=frozenset(orders["failed"]),
        held=frozenset(inventory["held"]),
        charges={str(c["id"]): str(c["order_id"]) for c in payments["charges"]},
    )


def books_balance(
    order_service_url: str | None = None,
    inventory_service_url: str | None = None,
    payment_service_url: str | None = None,
    settle_seconds: float | None = None,
) -> int:
    """How many things in the shop's books do not balance once the sagas seen settled (want 0).

    `settle_seconds` bounds the wait for the orders pending at the start (default: the recovery
    bound plus two recovery intervals, as order-service reports them).
    """
    urls = {
        "order-service": order_service_url,
        "inventory-service": inventory_service_url,
        "payment-service": payment_service_url,
    }
    start = time.monotonic()
    first = read_books(urls)
    waiting = set(first.pending)
    limit = settle_seconds if settle_seconds is not None else first.bound_s + 2 * first.interval_s
    previous = first.problems()
    while True:
        time.sleep(POLL_SECONDS)  # two reads apart, so a read racing a live saga is not counted
        current_read = read_books(urls)
        waiting &= set(current_read.pending)
        lasting = previous & current_read.problems()
        if not waiting and not lasting:
            return 0
        if time.monotonic() - start >= limit:
            break
        previous = current_read.problems()
    for line in sorted(lasting)[:20]:
        log.warning("books: %s", line)
    still = [oid for oid in waiting if current_read.pending.get(oid, 0.0) <= current_read.bound_s]
    if still:
        log.warning(
            "books: %d order(s) still pending within the bound after %.0fs", len(still), limit
        )
    return len(lasting) + len(still)
