"""Settings from the environment: defaults, service discovery precedence, clear errors."""

from __future__ import annotations

import pytest

from svc_common.settings import Settings, SettingsError


def test_defaults_follow_the_contract(tmp_path):
    s = Settings.from_env("order-service", {"DATA_DIR": str(tmp_path)})
    assert (s.host, s.port, s.version) == ("0.0.0.0", 8080, "v1")
    assert s.database_url == f"sqlite+aiosqlite:///{tmp_path}/order-service.db"
    assert (s.misbehave_error_rate, s.misbehave_latency_ms) == (0.0, 0)


def test_plain_database_urls_get_the_async_driver():
    s = Settings.from_env("x", {"DATABASE_URL": "postgresql://u@db:5432/orders"})
    assert s.database_url == "postgresql+asyncpg://u@db:5432/orders"


def test_an_explicit_url_wins_over_kubernetes_variables_which_win_over_dns():
    env = {
        "PAYMENT_SERVICE_SERVICE_HOST": "10.0.0.7",
        "PAYMENT_SERVICE_SERVICE_PORT": "9000",
        "PAYMENT_SERVICE_URL": "http://127.0.0.1:5555/",
    }
    assert Settings.from_env("o", env).service_url("payment-service") == "http://127.0.0.1:5555"
    del env["PAYMENT_SERVICE_URL"]
    assert Settings.from_env("o", env).service_url("payment-service") == "http://10.0.0.7:9000"
    assert Settings.from_env("o", {}).service_url("user-service") == "http://user-service:8080"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MISBEHAVE_ERROR_RATE", "2", "MISBEHAVE_ERROR_RATE=2 is out of range"),
        ("PORT", "http", "PORT='http' is not an integer"),
    ],
)
def test_bad_values_name_the_variable_and_the_fix(name, value, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env("x", {name: value})
