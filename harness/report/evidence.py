"""Inputs the report takes from other tools: the Chaos Toolkit journal, tool versions, and the
redaction every written artifact goes through: secrets never appear (docs/chaos.md, "Secrets")."""

from __future__ import annotations

import platform
import re
from collections.abc import Iterable, Mapping
from importlib import metadata
from typing import Any

from harness import __version__
from harness.report.model import ChaosActivity, ChaosSummary, ProbeCheck, SteadyStateCheck

REDACTED = "***"
_SECRET_KEY = re.compile(
    r"(secret|token|passw|api[-_]?key|apikey|authorization|credential|private[-_]?key|cookie)",
    re.IGNORECASE,
)
_URL_USERINFO = re.compile(r"(?<=://)[^/@\s:]+:[^/@\s]+@")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")


def redact(value: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of a JSON-like value with secret-named keys blanked, credentials in URLs and
    authorization headers masked, and every known secret value replaced."""
    known = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
    return _redact(value, known)


def _redact(value: Any, known: list[str]) -> Any:
    if isinstance(value, Mapping):
        # a list under a secret-looking key is data (e.g. an SLO named "token-refresh"'s
        # series); anything else there, a whole `secrets:` block included, is blanked
        return {
            k: REDACTED
            if isinstance(k, str)
            and _SECRET_KEY.search(k)
            and v not in (None, "")
            and not isinstance(v, list)
            else _redact(v, known)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact(v, known) for v in value]
    if isinstance(value, str):
        text = _URL_USERINFO.sub(REDACTED + "@", value)
        text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
        for secret in known:
            text = text.replace(secret, REDACTED)
        return text
    return value


def _activity(entry: Mapping[str, Any]) -> ChaosActivity:
    activity = entry.get("activity") or {}
    error = ""
    exception = entry.get("exception")
    if isinstance(exception, list) and exception:
        error = str(exception[-1]).strip()
    elif isinstance(exception, str):
        error = exception.strip()
    duration = entry.get("duration")
    return ChaosActivity(
        name=str(activity.get("name", "?")),
        type=str(activity.get("type", "action")),
        status=str(entry.get("status", "")),
        start=entry.get("start"),
        end=entry.get("end"),
        duration=float(duration) if isinstance(duration, int | float) else None,
        # the head says what failed; cutting it off (a tail) once showed "TTPConnectionPool"
        error=_short(error, 500),
    )


def _short(value: Any, limit: int = 200) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _probe_value(output: Any) -> str:
    """A probe's output as a person reads it: `HTTP 503`, `exit 1`, or the value itself."""
    if output is None:
        return ""
    if isinstance(output, Mapping) and isinstance(output.get("status"), int):
        if "headers" in output:
            return f"HTTP {output['status']}"
        if "stdout" in output:
            return f"exit {output['status']}"
    return _short(output)


def _steady_state(when: str, check: Any) -> SteadyStateCheck | None:
    if not isinstance(check, Mapping) or when not in ("before", "after"):
        return None
    probes = []
    for entry in check.get("probes") or ():
        if not isinstance(entry, Mapping):
            continue
        run = _activity(entry)
        met = entry.get("tolerance_met")
        provider = (entry.get("activity") or {}).get("provider") or {}
        where = (
            f"{provider.get('module', '')}.{provider.get('func', '')}"
            if provider.get("type") == "python"
            else str(provider.get("type", ""))
        )
        probes.append(
            ProbeCheck(
                name=run.name,
                provider=where,
                status=run.status,
                tolerance_met=met if isinstance(met, bool) else None,
                value=_probe_value(entry.get("output")),
                error=run.error,
            )
        )
    return SteadyStateCheck(
        when="before" if when == "before" else "after",
        met=bool(check.get("steady_state_met", False)),
        probes=tuple(probes),
    )


def summarize_journal(journal: Mapping[str, Any]) -> ChaosSummary:
    """The parts of a Chaos Toolkit journal a reader needs; probe outputs only shortened, and
    every file written from it goes through `redact`."""
    experiment = journal.get("experiment") or {}
    duration = journal.get("duration")
    steady = journal.get("steady_states") or {}
    checks = [_steady_state(w, steady.get(w)) for w in ("before", "after")]
    harness = journal.get("harness") or {}
    return ChaosSummary(
        title=str(experiment.get("title", "")),
        status=str(journal.get("status", "")),
        deviated=bool(journal.get("deviated", False)),
        ending=str(harness.get("ending", "") or ""),
        reason=str(harness.get("reason", "") or ""),
        steady_states=tuple(c for c in checks if c is not None),
        start=journal.get("start"),
        end=journal.get("end"),
        duration=float(duration) if isinstance(duration, int | float) else None,
        activities=tuple(_activity(e) for e in journal.get("run") or () if isinstance(e, Mapping)),
        rollbacks=tuple(
            _activity(e) for e in journal.get("rollbacks") or () if isinstance(e, Mapping)
        ),
    )


def tool_versions(**extra: str) -> dict[str, str]:
    """Versions of the tools a run depended on, read without importing them (no gevent)."""
    versions = {"harness": __version__, "python": platform.python_version()}
    for dist in ("locust", "chaostoolkit-lib", "chaostoolkit", "pydantic"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    versions.update(extra)  # e.g. prometheus="2.45.3" from its build info
    return versions
