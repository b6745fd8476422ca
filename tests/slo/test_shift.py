"""The statistics of run comparisons, checked against values computed another way: published
examples, brute-force enumeration, scipy's own exact test inverted by scanning, and by hand."""

from __future__ import annotations

import itertools
import math
import random
from statistics import median

import pytest
from scipy.stats import mannwhitneyu

from harness.slo.shift import (
    compare,
    critical_rank,
    differences,
    hodges_lehmann,
    min_samples,
    null_counts,
    thin,
)

# R's ?wilcox.test example (Hollander & Wolfe 1973, p. 69): W = 35, one-sided p = 0.1272
HW_X = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
HW_Y = [1.15, 0.88, 0.90, 0.74, 1.21]


def _brute_counts(m: int, n: int) -> list[int]:
    """U for every way of choosing which of m+n ranked positions are x's."""
    counts = [0] * (m * n + 1)
    for xs in itertools.combinations(range(m + n), m):
        chosen = set(xs)
        u = sum(1 for i in xs for j in range(m + n) if j not in chosen and j < i)
        counts[u] += 1
    return counts


@pytest.mark.parametrize(("m", "n"), [(1, 1), (2, 3), (3, 3), (4, 5), (5, 2), (6, 6)])
def test_null_distribution_of_u_matches_enumeration(m: int, n: int) -> None:
    assert list(null_counts(m, n)) == _brute_counts(m, n)
    assert sum(null_counts(m, n)) == math.comb(m + n, m)


def test_scipy_docs_example_exact_p_from_our_null_distribution() -> None:
    """scipy.stats.mannwhitneyu docs: males vs females, U1 = 17, exact two-sided p = 0.1111."""
    males, females = [19, 22, 16, 29, 24], [20, 11, 17, 12]
    counts = null_counts(5, 4)
    upper = sum(counts[17:]) / math.comb(9, 4)
    assert round(2 * upper, 4) == 0.1111
    assert compare(males, females).p_value == pytest.approx(2 * upper)


def test_r_wilcox_example_p_value_and_hodges_lehmann_estimate() -> None:
    result = compare(HW_X, HW_Y)
    assert result.p_value == pytest.approx(2 * 0.1272, abs=1e-4)
    # R prints "difference in location 0.305" for this example
    assert result.shift == pytest.approx(0.305)
    assert result.shift == pytest.approx(hodges_lehmann(HW_X, HW_Y))
    assert not result.significant


def _rejects(x: list[float], y: list[float], d: float, alpha: float) -> bool:
    p = mannwhitneyu([v - d for v in x], y, alternative="two-sided", method="exact").pvalue
    return bool(p <= alpha)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("confidence", [0.90, 0.95])
def test_interval_is_scipys_exact_test_inverted(seed: int, confidence: float) -> None:
    """Every shift strictly inside the interval is accepted by scipy's exact test, every shift
    outside is rejected: the interval is the set of shifts the test cannot tell from x - y."""
    rng = random.Random(seed)
    x = [rng.gauss(3.0, 1.0) for _ in range(7)]
    y = [rng.gauss(2.0, 1.5) for _ in range(6)]
    result = compare(x, y, confidence=confidence)
    assert result.low is not None and result.high is not None
    diffs = differences(x, y)
    mids = [(a + b) / 2 for a, b in itertools.pairwise(diffs)]
    alpha = 1 - confidence
    for d in mids:
        inside = result.low < d < result.high
        assert _rejects(x, y, d, alpha) is not inside, d


def test_by_hand_four_against_four_fully_separated() -> None:
    """All 16 differences of 1..4 against 5..8: median -4; with 4 and 4 only k = 1 reaches 95 %
    (2/70 = 0.029), so the interval runs from the smallest to the largest difference."""
    result = compare([1, 2, 3, 4], [5, 6, 7, 8])
    assert result.shift == -4.0
    assert (result.low, result.high) == (-7.0, -1.0)
    assert result.p_value == pytest.approx(2 / 70)
    assert result.significant


def test_three_against_three_cannot_reach_95_percent() -> None:
    """The smallest two-sided p-value of 3 against 3 is 2/20 = 0.1: no interval at 95 %."""
    result = compare([1, 2, 3], [10, 11, 12])
    assert (result.low, result.high) == (None, None)
    assert not result.judged and not result.significant
    assert critical_rank(3, 3, 0.90) == 1  # at 90 % it just can
    assert min_samples(0.95) == 4
    assert min_samples(0.99) == 5


def test_ties_all_equal_is_no_difference() -> None:
    """Seconds without a single error in both runs: measured, and no difference."""
    result = compare([0.0] * 8, [0.0] * 8)
    assert (result.low, result.shift, result.high) == (0.0, 0.0, 0.0)
    assert result.judged
    assert result.p_value == 1.0
    assert not result.significant


def test_ties_use_the_tie_corrected_normal_approximation() -> None:
    """Error ratios per second: mostly zeros. The p-value is scipy's asymptotic one with tie
    correction; the interval comes from the same tie-corrected variance and holds the estimate."""
    x = [0, 0, 0, 0.01, 0, 0, 0.02, 0, 0, 0]
    y = [0, 0, 0, 0, 0, 0.01, 0, 0, 0, 0]
    result = compare(x, y)
    expected = mannwhitneyu(x, y, alternative="two-sided", method="asymptotic").pvalue
    assert result.p_value == pytest.approx(expected)
    assert result.low is not None and result.high is not None
    assert result.low <= result.shift <= result.high  # type: ignore[operator]
    assert not result.significant


def test_hodges_lehmann_is_the_median_of_pairwise_differences_by_hand() -> None:
    # differences of [1, 5] against [2]: -1, 3 -> median 1
    assert hodges_lehmann([1, 5], [2]) == 1.0
    assert hodges_lehmann([10, 20, 30], [1, 2]) == median([9, 8, 19, 18, 29, 28])


def test_nan_samples_are_left_out_and_empty_is_unjudged() -> None:
    assert compare([math.nan, 1.0], [2.0]).n_x == 1
    empty = compare([], [1.0, 2.0])
    assert empty.shift is None and empty.p_value is None and not empty.judged


def test_thin_keeps_one_sample_per_window() -> None:
    assert thin([(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)], 2) == [1, 3, 5]
    # NaN (0/0 in a quiet window) is no sample and takes no slot: the next finite one does
    assert thin([(1, 1), (2, 2), (3, math.nan), (4, 4), (5, 5)], 2) == [1, 4]
    assert thin([(1, 1), (2, 2)], 1) == [1, 2]


def _trailing_sums(rng: random.Random, n: int, window: int) -> list[float]:
    """What a rate over a trailing window is: each second's value sums the last `window`
    seconds of independent noise, so neighbours share window - 1 of them."""
    noise = [rng.gauss(0.0, 1.0) for _ in range(n + window)]
    return [sum(noise[i : i + window]) for i in range(n)]


@pytest.mark.parametrize("window", [2, 4])
def test_thinning_keeps_false_alarms_of_overlapping_windows_at_the_level(window: int) -> None:
    """Two samples of the same process: testing every second rejects far more often than the
    5 % asked for; one sample per window (disjoint stretches) rejects at most that often."""
    rng = random.Random(20 + window)
    trials, raw, thinned = 400, 0, 0
    for _ in range(trials):
        a, b = _trailing_sums(rng, 48, window), _trailing_sums(rng, 48, window)
        raw += compare(a, b).significant
        ta, tb = list(enumerate(a)), list(enumerate(b))
        thinned += compare(thin(ta, window), thin(tb, window)).significant
    assert raw / trials > 0.10
    assert thinned / trials <= 0.065  # 5 % and two binomial standard errors of 400 trials
