"""Per-second latency histograms of every request, as JSON lines of HdrHistograms (no locust here).

`SecondRecorder.record` is the hot path (one call per request, in the Locust process): it adds
the latency to a plain dict of HdrHistogram buckets for (second, request type, name), so a
request costs a dict update rather than HdrHistogram's pure-Python `record_value`. `drain()`
turns what accumulated into lines, one per key, each holding a real `HdrHistogram` in its
standard compressed base64 form (readable by every HdrHistogram implementation):

    {"t": 1733350000, "type": "GET", "name": "GET /api/v1/inventory", "n": 12, "fail": 1,
     "hist": "HISTFAAAA..."}
    {"t": 1733350000, "pacer": 1, "target": 40.0, "sent": 40, "hist": "..."}   (open model)

`t` is the second the request started in (for the open model: its intended start); latency is
in microseconds. Lines are partial: the same key may appear in several flushes, and a reader
adds them up (`harness.load.latency`). A pacer line's histogram holds the schedule lag of each
arrival (how late it was sent), `target` the arrivals the schedule asked for in that second.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

LOWEST_US = 1
HIGHEST_US = 600_000_000  # ten minutes: longer is clamped (and far past any timeout)
SIGNIFICANT_DIGITS = 3  # 0.1 % resolution
WORD_SIZE = 4  # counts per bucket per second fit in 32 bits
SUFFIX = "_latency.jsonl"
# HdrHistogram(…, 3 digits) keeps values below 2048 exact and every larger value to its
# top 11 bits: the bucket a value falls in is `(v >> shift) << shift` (its lowest equivalent).
_EXACT_BITS = 11


def new_histogram() -> Any:
    # imported here: a Locust image without hdrhistogram still runs (common.latency checks)
    from hdrh.histogram import HdrHistogram

    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS, word_size=WORD_SIZE)


def bucket_of(micros: int) -> int:
    """The lowest value HdrHistogram (3 digits) treats as equal to `micros`, clamped."""
    if micros < LOWEST_US:
        return LOWEST_US
    if micros > HIGHEST_US:
        micros = HIGHEST_US
    shift = micros.bit_length() - _EXACT_BITS
    return micros >> shift << shift if shift > 0 else micros


def _index(value: int) -> int:
    """HdrHistogram's counts index of `value` (1 µs unit, 3 digits: half-bucket 1024)."""
    bucket = max(0, value.bit_length() - _EXACT_BITS)
    return ((bucket + 1) << (_EXACT_BITS - 1)) + (value >> bucket) - (1 << (_EXACT_BITS - 1))


def encode(counts: dict[int, int]) -> str:
    """`counts` (bucket value -> count) as a compressed base64 HdrHistogram.

    The counts go straight into the histogram's array, then its min, max and total are set
    the way its own decoder does: `record_value` per bucket would hold the gevent loop ~5 µs
    each, 10 ms a second at 2,000 requests/s (tests check both give the same histogram).
    """
    histogram = new_histogram()
    if counts:
        array = histogram.counts
        low, high = _index(min(counts)), _index(max(counts))
        for value, count in counts.items():
            array[_index(value)] += count
        histogram.set_internal_tacking_values(low, high, sum(counts.values()))
    encoded: bytes = histogram.encode()
    return encoded.decode("ascii")


@dataclass
class _Key:
    counts: dict[int, int] = field(default_factory=dict)
    requests: int = 0
    failures: int = 0


@dataclass
class _Pacer:
    lags: dict[int, int] = field(default_factory=dict)
    target: float = 0.0
    sent: int = 0


class SecondRecorder:
    """Accumulates requests (and open-model arrivals) per second until the next `drain()`."""

    def __init__(self) -> None:
        self._keys: dict[tuple[int, str, str], _Key] = {}
        self._pacer: dict[int, _Pacer] = {}

    def record(self, second: int, kind: str, name: str, micros: int, failed: bool) -> None:
        key = (second, kind, name)
        entry = self._keys.get(key)
        if entry is None:
            entry = self._keys[key] = _Key()
        # inlined bucket_of: this runs once per request
        if micros > HIGHEST_US:
            micros = HIGHEST_US
        elif micros < LOWEST_US:
            micros = LOWEST_US
        shift = micros.bit_length() - _EXACT_BITS
        if shift > 0:
            micros = micros >> shift << shift
        counts = entry.counts
        counts[micros] = counts.get(micros, 0) + 1
        entry.requests += 1
        if failed:
            entry.failures += 1

    def scheduled(self, second: int, target: float) -> None:
        """The schedule asked for `target` arrivals in `second`."""
        self._pacer_at(second).target += target

    def sent(self, second: int, lag_micros: int) -> None:
        """An arrival of `second` was sent `lag_micros` after its intended start."""
        pacer = self._pacer_at(second)
        pacer.sent += 1
        bucket = bucket_of(lag_micros)
        pacer.lags[bucket] = pacer.lags.get(bucket, 0) + 1

    def _pacer_at(self, second: int) -> _Pacer:
        pacer = self._pacer.get(second)
        if pacer is None:
            pacer = self._pacer[second] = _Pacer()
        return pacer

    def drain(self) -> list[str]:
        """Everything recorded since the last drain, as JSON lines (without newlines)."""
        keys, self._keys = self._keys, {}
        pacer, self._pacer = self._pacer, {}
        lines = [
            json.dumps(
                {
                    "t": second,
                    "type": kind,
                    "name": name,
                    "n": entry.requests,
                    "fail": entry.failures,
                    "hist": encode(entry.counts),
                },
                separators=(",", ":"),
            )
            for (second, kind, name), entry in sorted(keys.items())
        ]
        lines += [
            json.dumps(
                {
                    "t": second,
                    "pacer": 1,
                    "target": round(p.target, 6),
                    "sent": p.sent,
                    "hist": encode(p.lags),
                },
                separators=(",", ":"),
            )
            for second, p in sorted(pacer.items())
        ]
        return lines
