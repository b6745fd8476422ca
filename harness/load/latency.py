"""The one reader of the per-second latency file (`<prefix>_latency.jsonl`): `ClientLatency`.

The file is written in the Locust process (`loadtests/common/histograms.py`): JSON lines, each
a partial HdrHistogram (microseconds) of one (second, request type, name), or of the open
model's schedule lag in one second. Lines of the same key add up. This module imports hdrh,
never locust. Merges are exact (HdrHistogram buckets add); percentiles are HdrHistogram's,
to 0.1 %. Per selection of request names, the per-second histograms are merged once and kept.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from hdrh.histogram import HdrHistogram

from harness.contracts.latency import PERCENTILES, LatencyStats, PacerStats, whole_seconds
from harness.errors import CouldNotJudge

SUFFIX = "_latency.jsonl"  # loadtests/common/histograms.py SUFFIX
_LOWEST, _HIGHEST, _DIGITS = 1, 600_000_000, 3  # the writer's histogram, in microseconds


def latency_file(prefix: Path) -> Path:
    return prefix.with_name(f"{prefix.name}{SUFFIX}")


def _new() -> HdrHistogram:
    return HdrHistogram(_LOWEST, _HIGHEST, _DIGITS)


def selects(patterns: Sequence[str], kind: str, name: str) -> bool:
    """Whether a request (type, name) is one of `patterns`; no patterns select all."""
    if not patterns:
        return True
    full = f"{kind} {name}"
    return any(fnmatchcase(name, p) or fnmatchcase(full, p) for p in patterns)


@dataclass
class _Second:
    requests: int = 0
    failures: int = 0
    histogram: HdrHistogram | None = None

    def add(self, requests: int, failures: int, histogram: HdrHistogram | None) -> None:
        self.requests += requests
        self.failures += failures
        if histogram is not None:
            if self.histogram is None:
                self.histogram = _new()
            self.histogram.add(histogram)


@dataclass
class _Line:
    t: int
    kind: str
    name: str
    requests: int
    failures: int
    encoded: str


@dataclass
class _Pacer:
    target: float = 0.0
    sent: int = 0
    lags: list[str] = field(default_factory=list)


def _stats(seconds: Iterable[_Second], count: int) -> LatencyStats:
    merged: HdrHistogram | None = None
    requests = failures = 0
    for s in seconds:
        requests += s.requests
        failures += s.failures
        if s.histogram is not None:
            if merged is None:
                merged = _new()
            merged.add(s.histogram)
    if merged is None or merged.get_total_count() == 0:
        return LatencyStats(requests=requests, failures=failures, seconds=count)
    values = merged.get_percentile_to_value_dict(list(PERCENTILES))
    return LatencyStats(
        requests=requests,
        failures=failures,
        p50_ms=values[50.0] / 1000,
        p95_ms=values[95.0] / 1000,
        p99_ms=values[99.0] / 1000,
        max_ms=merged.get_max_value() / 1000,
        seconds=count,
    )


class LatencyRecord:
    """`ClientLatency` over one latency file (or over lines handed in, for tests)."""

    def __init__(self, lines: Iterable[str], *, source: str = "latency file") -> None:
        self._lines: list[_Line] = []
        self._pacer: dict[int, _Pacer] = {}
        self._by_selection: dict[tuple[str, ...], dict[int, _Second]] = {}
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            try:
                data: dict[str, Any] = json.loads(text)
                t = int(data["t"])
                if data.get("pacer"):
                    pacer = self._pacer.setdefault(t, _Pacer())
                    pacer.target += float(data.get("target", 0.0))
                    pacer.sent += int(data.get("sent", 0))
                    pacer.lags.append(str(data["hist"]))
                    continue
                self._lines.append(
                    _Line(
                        t=t,
                        kind=str(data["type"]),
                        name=str(data["name"]),
                        requests=int(data["n"]),
                        failures=int(data["fail"]),
                        encoded=str(data["hist"]),
                    )
                )
            except (ValueError, KeyError, TypeError) as exc:
                # a line cut short when Locust was killed mid-write is the only expected damage
                raise CouldNotJudge(
                    f"{source}: line {number} is not a latency record ({exc})"
                ) from exc

    @classmethod
    def read(cls, prefix: Path) -> LatencyRecord:
        path = latency_file(prefix)
        if not path.is_file():
            raise CouldNotJudge(f"{path}: the load generator wrote no latency histograms")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CouldNotJudge(f"{path}: unreadable ({exc})") from exc
        lines = text.splitlines()
        if lines and not text.endswith("\n"):
            lines = lines[:-1]  # the last line was being written when the file was read
        return cls(lines, source=str(path))

    @property
    def empty(self) -> bool:
        return not self._lines and not self._pacer

    def names(self) -> list[tuple[str, str]]:
        return sorted({(line.kind, line.name) for line in self._lines})

    def _seconds(self, requests: Sequence[str]) -> dict[int, _Second]:
        key = tuple(requests)
        found = self._by_selection.get(key)
        if found is None:
            found = {}
            for line in self._lines:
                if selects(requests, line.kind, line.name):
                    decoded = HdrHistogram.decode(line.encoded) if line.requests else None
                    found.setdefault(line.t, _Second()).add(line.requests, line.failures, decoded)
            self._by_selection[key] = found
        return found

    def window(self, start: float, end: float, requests: Sequence[str] = ()) -> LatencyStats:
        first, last = whole_seconds(start, end)
        seconds = self._seconds(requests)
        inside = [s for t, s in seconds.items() if first <= t < last]  # any order merges
        return _stats(inside, max(0, last - first))

    def per_second(
        self, start: float, end: float, requests: Sequence[str] = ()
    ) -> list[tuple[float, LatencyStats]]:
        first, last = whole_seconds(start, end)
        seconds = self._seconds(requests)
        return [(float(t), _stats([s], 1)) for t, s in sorted(seconds.items()) if first <= t < last]

    def pacer(self, start: float, end: float) -> PacerStats | None:
        if not self._pacer:
            return None
        first, last = whole_seconds(start, end)
        # the seconds recorded, not every second of the window: a window may start at 0
        inside = [p for t, p in self._pacer.items() if first <= t < last]
        lags: HdrHistogram | None = None
        for p in inside:
            for encoded in p.lags:
                if lags is None:
                    lags = _new()
                lags.decode_and_add(encoded)
        counted = lags is not None and lags.get_total_count() > 0
        return PacerStats(
            target=sum(p.target for p in inside),
            sent=sum(p.sent for p in inside),
            seconds=max(0, last - first),
            max_lag_ms=lags.get_max_value() / 1000 if lags is not None and counted else None,
            p99_lag_ms=(
                lags.get_value_at_percentile(99.0) / 1000 if lags is not None and counted else None
            ),
        )


def read_latency(prefix: Path | None) -> LatencyRecord | None:
    """The run's latency record; None when there is no file (no load, or an old locustfile)."""
    if prefix is None or not latency_file(prefix).is_file():
        return None
    return LatencyRecord.read(prefix)


__all__ = ["SUFFIX", "LatencyRecord", "latency_file", "read_latency", "selects"]
