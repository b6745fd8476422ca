"""How far apart two samples are: a two-sided Mann-Whitney U test (scipy.stats) and the
Hodges-Lehmann shift with its distribution-free confidence interval. Pure.

The shift of `x` against `y` is the median of the m·n differences x_i - y_j (Hodges and Lehmann
1963). Its interval comes from inverting the same test (Lehmann 1975, Bauer 1972): with the
differences sorted, [D_(k), D_(mn+1-k)] where k is the largest integer with
P(U <= k - 1) <= alpha / 2 under the null distribution of U. That distribution is counted
exactly (the coefficients of the Gaussian binomial [m+n choose m]_q) for small samples without
ties; with ties or large samples the normal approximation with the tie-corrected variance
(what scipy's asymptotic p-value uses) gives k instead.

Per-second samples are autocorrelated (a rate over a trailing window shares most of its data
with the next second's), which the test does not allow for: `thin` keeps one sample per window,
so that the values tested cover disjoint stretches of time. docs/history.md measures what that
does to the false-alarm rate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist, median

EXACT_LIMIT = 2500  # m·n up to which U's null distribution is counted exactly


@dataclass(frozen=True)
class Shift:
    """`x` against `y`: the Hodges-Lehmann shift (x - y), its interval and the test's p-value.

    `low`/`high` are None when the samples are too small for any interval at this confidence
    (with m = n = 3 the smallest two-sided p-value is 0.1); `p_value` is None with no data.
    """

    n_x: int
    n_y: int
    shift: float | None
    low: float | None
    high: float | None
    p_value: float | None
    confidence: float

    @property
    def judged(self) -> bool:
        return self.low is not None and self.high is not None and self.p_value is not None

    @property
    def significant(self) -> bool:
        """The test rejects "same distribution" and the interval does not reach past 0 on the
        other side of the shift. With ties an end of the interval can sit exactly on 0 (a
        difference between two tied values) while the test rejects: that counts."""
        if not self.judged or not self.shift:
            return False
        assert self.low is not None and self.high is not None and self.p_value is not None
        one_side = self.low >= 0.0 if self.shift > 0 else self.high <= 0.0
        return self.p_value < 1.0 - self.confidence and one_side


@lru_cache(maxsize=256)
def null_counts(m: int, n: int) -> tuple[int, ...]:
    """How many of the C(m+n, m) orderings give U = 0, 1, ..., m·n (no ties), exactly."""
    size = m * n + 1
    poly = [0] * size
    poly[0] = 1
    # prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i), truncated at degree m·n (where it ends anyway)
    for i in range(1, m + 1):
        step = n + i
        for k in range(size - 1, step - 1, -1):
            poly[k] -= poly[k - step]
        for k in range(i, size):
            poly[k] += poly[k - i]
    return tuple(poly)


def _ties(values: Sequence[float]) -> bool:
    return len(set(values)) < len(values)


def critical_rank(m: int, n: int, confidence: float) -> int:
    """k of the interval [D_(k), D_(mn+1-k)] (1-based) from U's exact null distribution (no
    ties, m·n <= EXACT_LIMIT); 0 when no interval is reachable at this confidence."""
    alpha = 1.0 - confidence
    if m == 0 or n == 0:
        return 0
    if m * n <= EXACT_LIMIT:
        counts = null_counts(m, n)
        total = math.comb(m + n, m)
        cumulative, k = 0, 0
        for u, c in enumerate(counts):  # k = largest with P(U <= k - 1) <= alpha / 2
            cumulative += c
            if cumulative / total > alpha / 2 + 1e-12:  # 1/20 is exactly 0.1/2
                break
            k = u + 1
        return min(k, (m * n + 1) // 2)
    return 0


def _normal_rank(x: Sequence[float], y: Sequence[float], confidence: float) -> int:
    m, n = len(x), len(y)
    pooled = sorted([*x, *y])
    groups: dict[float, int] = {}
    for v in pooled:
        groups[v] = groups.get(v, 0) + 1
    big_n = m + n
    tie_term = sum(t**3 - t for t in groups.values()) / (big_n * (big_n - 1)) if big_n > 1 else 0
    variance = m * n / 12.0 * ((big_n + 1) - tie_term)
    if variance <= 0:  # every value tied: every difference is 0, the interval is [0, 0]
        return (m * n + 1) // 2
    z = NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2)
    k = math.floor(m * n / 2.0 - z * math.sqrt(variance))
    return max(0, min(k, (m * n + 1) // 2))


def differences(x: Sequence[float], y: Sequence[float]) -> list[float]:
    """The m·n differences x_i - y_j, sorted."""
    return sorted(a - b for a in x for b in y)


def hodges_lehmann(x: Sequence[float], y: Sequence[float]) -> float:
    """The median of the pairwise differences x_i - y_j."""
    return float(median(differences(x, y)))


def p_value(x: Sequence[float], y: Sequence[float]) -> float:
    """Two-sided Mann-Whitney U p-value from scipy: exact without ties and for small samples,
    else the normal approximation with tie and continuity corrections."""
    from scipy.stats import mannwhitneyu  # scipy loads in ~0.3 s: only when comparing

    exact = not _ties([*x, *y]) and len(x) * len(y) <= EXACT_LIMIT
    if len(set([*x, *y])) == 1:
        return 1.0  # all equal: scipy's asymptotic variance is 0 (NaN); nothing differs
    result = mannwhitneyu(
        list(x), list(y), alternative="two-sided", method="exact" if exact else "asymptotic"
    )
    return float(result.pvalue)


def compare(x: Sequence[float], y: Sequence[float], *, confidence: float = 0.95) -> Shift:
    """`x` (e.g. this run) against `y` (the reference): shift, interval and p-value."""
    xs = [float(v) for v in x if not math.isnan(v)]
    ys = [float(v) for v in y if not math.isnan(v)]
    m, n = len(xs), len(ys)
    if m == 0 or n == 0:
        return Shift(m, n, None, None, None, None, confidence)
    diffs = differences(xs, ys)
    shift = float(median(diffs))
    ties = _ties([*xs, *ys])
    k = (
        critical_rank(m, n, confidence)
        if not ties and m * n <= EXACT_LIMIT
        else _normal_rank(xs, ys, confidence)
    )
    low = high = None
    if k >= 1:
        low, high = diffs[k - 1], diffs[m * n - k]
    return Shift(m, n, shift, low, high, p_value(xs, ys), confidence)


def thin(samples: Sequence[tuple[float, float]], window: float) -> list[float]:
    """Values of samples at least `window` seconds apart, earliest first, NaN left out first:
    samples that each cover the trailing `window` then cover disjoint stretches of time, so
    they share no data. (Averaging blocks instead would not: adjacent blocks of overlapping
    windows share data, and tests/slo/test_shift.py measures the difference.)"""
    out: list[float] = []
    last = -math.inf
    for t, v in sorted(samples):
        if math.isnan(v) or t < last + window - 1e-6:
            continue
        out.append(v)
        last = t
    return out


def min_samples(confidence: float) -> int:
    """The smallest n such that n against n samples can reach `confidence` at all."""
    n = 1
    while critical_rank(n, n, confidence) < 1:
        n += 1
    return n


__all__ = [
    "Shift",
    "compare",
    "critical_rank",
    "differences",
    "hodges_lehmann",
    "min_samples",
    "null_counts",
    "p_value",
    "thin",
]
