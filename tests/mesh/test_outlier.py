"""Envoy outlier detection and connection-pool arithmetic (docs/parity.md, "Istio (mesh)")."""

from __future__ import annotations

import pytest

from harness.mesh import istio_model as im
from harness.mesh.outlier import OutlierDetector, OutlierSettings, PoolLimits


def detector(hosts: int, **kw: object) -> OutlierDetector:
    d = OutlierDetector(OutlierSettings(**kw))  # type: ignore[arg-type]
    d.set_hosts([f"h{i}" for i in range(hosts)])
    return d


def test_ejects_after_consecutive_5xx_and_a_success_resets_the_count():
    d = detector(4, consecutive_5xx=3, max_ejection_percent=100)
    assert not d.record("h0", 500, 0) and not d.record("h0", 503, 0)
    assert not d.record("h0", 200, 0)  # reset
    assert not d.record("h0", 500, 0) and not d.record("h0", 500, 0)
    assert d.record("h0", 502, 0)
    assert d.ejected("h0") and d.available(["h0", "h1"]) == ["h1"]


def test_local_origin_failures_count_as_5xx():
    d = detector(2, consecutive_5xx=2, max_ejection_percent=100)
    d.record("h0", None, 0)
    assert d.record("h0", None, 0)


def test_gateway_errors_need_their_own_setting():
    d = detector(4, consecutive_5xx=0, consecutive_gateway=2, max_ejection_percent=100)
    assert not d.record("h0", 500, 0) and not d.record("h0", 500, 0)  # 500 is not a gateway error
    d.record("h0", 504, 0)
    assert d.record("h0", 503, 0)


def test_max_ejection_percent_counts_the_host_about_to_be_ejected():
    # Envoy's code: (ejected + 1) / hosts <= max; no "at least one host" unless
    # always_eject_one_host, which Istio does not set.
    small = detector(2, consecutive_5xx=1, max_ejection_percent=10)  # Istio's default 10 %
    assert not small.record("h0", 500, 0) and not small.ejected("h0")
    d4 = detector(4, consecutive_5xx=1, max_ejection_percent=50)
    assert d4.record("h0", 500, 0) and d4.record("h1", 500, 0)
    assert not d4.record("h2", 500, 0)
    single = detector(1, consecutive_5xx=1, max_ejection_percent=50)
    assert not single.record("h0", 500, 0)  # 100 % > 50 %: the only host stays
    assert detector(1, consecutive_5xx=1, max_ejection_percent=100).record("h0", 500, 0)


def test_ejection_time_grows_with_each_ejection_and_is_capped():
    d = detector(1, consecutive_5xx=1, base_ejection_s=30, interval_s=10, max_ejection_percent=100)
    assert d.ejection_time(1) == 30 and d.ejection_time(2) == 60
    assert d.ejection_time(50) == 300
    assert OutlierDetector(OutlierSettings(base_ejection_s=400)).ejection_time(3) == 400


def test_host_returns_on_the_interval_sweep_after_its_ejection_time():
    d = detector(1, consecutive_5xx=1, base_ejection_s=30, interval_s=10, max_ejection_percent=100)
    d.record("h0", 500, 0)
    d.sweep(0)
    d.sweep(20)
    assert d.ejected("h0")
    d.sweep(30)
    assert not d.ejected("h0")
    # ejected again at once: twice as long now
    d.record("h0", 500, 31)
    d.sweep(40)
    d.sweep(81)
    assert d.ejected("h0")
    d.sweep(91)
    assert not d.ejected("h0")


def test_multiplier_decays_while_healthy():
    d = detector(1, consecutive_5xx=1, base_ejection_s=30, interval_s=10, max_ejection_percent=100)
    d.record("h0", 500, 0)
    d.sweep(0)
    d.sweep(30)  # back
    d.sweep(40)  # one interval healthy: multiplier 1 → 0
    d.record("h0", 500, 41)
    d.sweep(50)
    d.sweep(71)
    assert not d.ejected("h0")  # ejected for 30 s again, not 60


def test_no_panic_by_default_but_min_health_percent_enables_it():
    d = detector(2, consecutive_5xx=1, max_ejection_percent=100)
    d.record("h0", 500, 0)
    d.record("h1", 500, 0)
    assert d.available(["h0", "h1"]) == []
    p = detector(2, consecutive_5xx=1, max_ejection_percent=100, min_health_percent=60)
    p.record("h0", 500, 0)
    assert p.available(["h0", "h1"]) == ["h0", "h1"]  # 50% healthy < 60%: panic, use all


def test_istio_settings_mapping_ignores_consecutive_errors():
    od = im.OutlierDetection.model_validate({"consecutiveErrors": 1, "interval": "1s"})
    s = OutlierSettings.from_istio(od)
    assert s.consecutive_5xx == 5 and s.interval_s == 1.0 and s.base_ejection_s == 30
    assert s.max_ejection_percent == 10 and s.min_health_percent == 0
    off = OutlierSettings.from_istio(
        im.OutlierDetection.model_validate({"consecutive5xxErrors": 0})
    )
    assert off.consecutive_5xx == 0


@pytest.mark.parametrize(
    ("pool", "expected"),
    [
        ({}, PoolLimits()),
        (
            {
                "tcp": {"maxConnections": 1, "connectTimeout": "250ms"},
                "http": {"http1MaxPendingRequests": 2, "http2MaxRequests": 3, "maxRetries": 0},
            },
            PoolLimits(
                max_connections=1,
                max_pending=2,
                max_requests=3,
                max_retries=0,
                connect_timeout_s=0.25,
            ),
        ),
    ],
)
def test_connection_pool_limits(pool, expected):
    assert PoolLimits.from_istio(im.ConnectionPool.model_validate(pool)) == expected
