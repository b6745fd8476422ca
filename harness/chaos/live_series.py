"""Keep only series that come from targets Prometheus scrapes now.

After a stop without staleness markers (Prometheus shut down, then started again on the same
state folder), a dead pod's last sample still answers instant queries for the 5-minute lookback.
Its `pod` label is distinct from the new pods' (the scrape config copies the pod name; ports and
so `instance` are reused locally), so rows can be matched to the active targets by
(instance, pod) and the dead ones dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

Row = tuple[dict[str, str], float]


def _key(labels: dict[str, str]) -> tuple[str, str]:
    return labels.get("instance", ""), labels.get("pod", "")


def active_targets(base_url: str) -> set[tuple[str, str]] | None:
    """(instance, pod) of every target that is up now; None when Prometheus cannot say."""
    try:
        resp = httpx.get(f"{base_url}/api/v1/targets", params={"state": "active"}, timeout=10.0)
        targets = resp.json()["data"]["activeTargets"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return None
    return {_key(t.get("labels") or {}) for t in targets if t.get("health") == "up"}


def live_rows(rows: Sequence[Row], live: set[tuple[str, str]] | None) -> list[Row]:
    """Rows of live targets; all rows when they cannot be matched (no `pod` on both sides)."""
    comparable = any(pod for _, pod in live or ()) and all(r[0].get("pod") for r in rows)
    if live is None or not comparable:
        return list(rows)
    return [r for r in rows if _key(r[0]) in live]
