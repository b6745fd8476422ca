"""How `harness status` prints each HorizontalPodAutoscaler (kubectl's `get hpa` columns + why).

HPA               REFERENCE                TARGETS                MIN  MAX  REPLICAS  DESIRED
user-service-hpa  Deployment/user-service  cpu 4%/70%, ...        3    20   3         3
  last decision 4s ago: every metric within tolerance of its target
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

__all__ = ["render_autoscalers"]


def _short(name: str) -> str:
    # "cpu resource utilization" -> "cpu"; "pods metric http_requests_per_second" -> the name
    return name.split(" ")[0] if " resource " in name else name.rsplit(" ", 1)[-1]


def render_autoscalers(
    autoscalers: Sequence[dict[str, Any]], now: float | None = None
) -> list[str]:
    """The lines for `harness status` (none when the manifests hold no HPA)."""
    if not autoscalers:
        return []
    now = time.time() if now is None else now
    rows = [("HPA", "REFERENCE", "TARGETS", "MIN", "MAX", "REPLICAS", "DESIRED")]
    notes: list[list[str]] = []
    for a in autoscalers:
        targets = ", ".join(f"{_short(m['name'])} {m['current']}" for m in a.get("metrics", []))
        rows.append(
            (
                str(a["name"]),
                str(a["target"]),
                targets or "<waiting for the first sync>",
                str(a["minReplicas"]),
                str(a["maxReplicas"]),
                "-" if a.get("currentReplicas") is None else str(a["currentReplicas"]),
                "-" if a.get("desiredReplicas") is None else str(a["desiredReplicas"]),
            )
        )
        lines = []
        last = a.get("lastDecision")
        if last:
            ago = max(0, int(now - float(last["time"])))
            lines.append(f"  last decision {ago}s ago: {last['reason']}")
        scaled = a.get("lastScale")
        if scaled:
            ago = max(0, int(now - float(scaled["time"])))
            lines.append(
                f"  last scale {ago}s ago: {scaled['from']} -> {scaled['to']} ({scaled['reason']})"
            )
        for m in a.get("metrics", []):
            if m.get("error"):
                lines.append(f"  {_short(m['name'])}: {m['error']}")
        notes.append(lines)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = ["", "  ".join(c.ljust(w) for c, w in zip(rows[0], widths, strict=True)).rstrip()]
    for row, lines in zip(rows[1:], notes, strict=True):
        out.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        out.extend(lines)
    return out
