"""Pure pieces of the load side: failure causes, credentials, tokens, options, command lines."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest

from harness.errors import BadInput
from harness.load.causes import classify
from harness.load.command import plan
from harness.load.options import DEFAULT_LOCUSTFILE, LoadOptions, available_shapes, parse_duration
from harness.load.runner import cpu_warnings
from harness.load.target import check_host
from loadtests.common.credentials import load_credentials
from loadtests.common.outcome import describe
from loadtests.common.tokens import hs256_token


class TestFailureCauses:
    @pytest.mark.parametrize(
        ("error", "cause"),
        [
            ("CatchResponseError('HTTP 429: API rate limit exceeded')", "http_429"),
            ("CatchResponseError('HTTP 503: upstream connect error')", "http_503"),
            (
                "CatchResponseError('HTTP 504: Gateway Timeout')",
                "http_504",
            ),  # a status, not a timeout
            ("CatchResponseError('timeout: RetriesExceeded')", "timeout"),
            ("CatchResponseError('connection error: ConnectionRefusedError')", "connection_error"),
            # what plain locustfiles record without our helper
            ("HTTPError('503 Server Error: Service Unavailable for url: http://x/')", "http_503"),
            ("BadStatusCode('http://x/', code=429)", "http_429"),
            ("ConnectionRefusedError(111, 'Connection refused')", "connection_error"),
            ("TimeoutError('timed out')", "timeout"),
            ("CatchResponseError('order total missing')", "other"),
        ],
    )
    def test_cause_is_read_from_the_failure_text(self, error: str, cause: str) -> None:
        assert classify(error) == cause

    def test_failure_text_starts_with_its_cause_and_hides_ids(self) -> None:
        assert describe(429, None, '{"message": "API rate limit exceeded"}') == (
            "HTTP 429: API rate limit exceeded"
        )
        assert (
            describe(404, None, '{"detail": "user 1234 not found"}') == "HTTP 404: user N not found"
        )
        assert describe(503, None, "<html>oops</html>") == "HTTP 503: Service Unavailable"
        assert describe(0, TimeoutError("timed out"), None) == "timeout: TimeoutError"
        assert describe(0, TimeoutError(), None).startswith("timeout:")
        assert (
            describe(0, ConnectionRefusedError(), None)
            == "connection error: ConnectionRefusedError"
        )


class TestCredentials:
    def test_read_from_the_state_folder_then_overridden_by_env(self, tmp_path: Path) -> None:
        secrets = tmp_path / "secrets"
        secrets.mkdir()
        (secrets / "default.kong-consumer-credentials.json").write_text(
            '{"web-app-api-key": "file-key", "web-app-jwt-secret": "file-secret",'
            ' "mobile-app-api-key": "other"}'
        )
        env = {"HARNESS_STATE_DIR": str(tmp_path)}
        found = load_credentials(env)
        assert (found.api_key, found.jwt_issuer, found.jwt_secret) == (
            "file-key",
            "web-app",
            "file-secret",
        )
        found = load_credentials(
            {**env, "HARNESS_JWT_SECRET": "env-secret", "HARNESS_JWT_ISSUER": "i"}
        )
        assert (found.jwt_secret, found.jwt_issuer, found.api_key) == (
            "env-secret",
            "i",
            "file-key",
        )
        assert "file-key" not in repr(found) and "env-secret" not in repr(found)

    def test_missing_state_folder_gives_empty_credentials(self, tmp_path: Path) -> None:
        assert load_credentials({"HARNESS_STATE_DIR": str(tmp_path / "none")}).api_key == ""

    def test_token_verifies_with_the_consumer_secret(self) -> None:
        token = hs256_token(
            "web-app", "a-consumer-secret-of-32-bytes-min", lifetime_s=60, now=1_000_000
        )
        claims = jwt.decode(
            token,
            "a-consumer-secret-of-32-bytes-min",
            algorithms=["HS256"],
            options={"verify_exp": False},
        )
        assert claims["iss"] == "web-app"
        assert claims["exp"] == 1_000_060
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(
                token,
                "another-secret-of-32-bytes-minimum",
                algorithms=["HS256"],
                options={"verify_exp": False},
            )


class TestOptions:
    @pytest.mark.parametrize(
        ("text", "seconds"), [("90", 90), ("30s", 30), ("1m30s", 90), ("1h", 3600)]
    )
    def test_durations_in_locust_spelling(self, text: str, seconds: float) -> None:
        assert parse_duration(text) == seconds

    @pytest.mark.parametrize("text", ["", "abc", "0s", "5x", "-3"])
    def test_bad_durations_are_bad_input(self, text: str) -> None:
        with pytest.raises(BadInput, match="--run-time"):
            parse_duration(text)

    def test_shapes_on_disk(self) -> None:
        assert available_shapes() == ["double_wave", "ramp", "spike", "steady", "step"]

    @pytest.mark.parametrize(
        ("kwargs", "flag"),
        [
            ({"users": 0}, "--users"),
            ({"spawn_rate": 0}, "--spawn-rate"),
            ({"processes": 0}, "--processes"),
            ({"shape": "sawtooth"}, "--shape"),
            ({"peak": 5}, "--peak"),
            ({"locustfile": Path("/nonexistent/locustfile.py")}, "--locustfile"),
        ],
    )
    def test_bad_options_name_the_flag(
        self, tmp_path: Path, kwargs: dict[str, object], flag: str
    ) -> None:
        with pytest.raises(BadInput, match=flag):
            LoadOptions(host="http://127.0.0.1:1", out_dir=tmp_path, **kwargs)  # type: ignore[arg-type]

    @pytest.mark.parametrize("host", ["ftp://x", "127.0.0.1:8000", "http://u:p@127.0.0.1"])
    def test_bad_hosts(self, host: str) -> None:
        with pytest.raises(BadInput, match="--host"):
            check_host(host)


class TestCommand:
    def test_shape_run_passes_shape_options_not_common_ones(self, tmp_path: Path) -> None:
        options = LoadOptions(
            host="http://127.0.0.1:1",
            out_dir=tmp_path,
            users=3,
            spawn_rate=2,
            run_time_s=20,
            shape="spike",
            peak=9,
        )
        argv = plan(options).main
        files = argv[argv.index("-f") + 1].split(",")
        assert files == [
            str(DEFAULT_LOCUSTFILE),
            str(DEFAULT_LOCUSTFILE.parent / "shapes/spike.py"),
        ]
        assert "--users" not in argv and "--run-time" not in argv
        for flag, value in [
            ("--shape-users", "3"),
            ("--shape-peak", "9"),
            ("--shape-duration", "20"),
        ]:
            assert argv[argv.index(flag) + 1] == value
        assert "--headless" in argv

    def test_distributed_run_has_a_master_and_n_workers_on_loopback(self, tmp_path: Path) -> None:
        options = LoadOptions(host="http://127.0.0.1:1", out_dir=tmp_path, processes=3, web=True)
        the_plan = plan(options, master_port=5557)
        assert "--master" in the_plan.main and "--headless" not in the_plan.main
        assert the_plan.main[the_plan.main.index("--web-host") + 1] == "127.0.0.1"
        assert the_plan.main[the_plan.main.index("--master-bind-host") + 1] == "127.0.0.1"
        assert len(the_plan.workers) == 3
        assert all("--worker" in w and "5557" in w for w in the_plan.workers)
        assert the_plan.deadline_s is None  # the web UI runs until stopped


def test_cpu_warning_is_found_in_master_and_worker_logs(tmp_path: Path) -> None:
    master = tmp_path / "locust.log"
    master.write_text(
        "[2026-11-25 17:00:00,000] host/WARNING/root: Worker w1 (index 0) exceeded cpu threshold"
        " (will only log this once per worker)\n"
    )
    worker = tmp_path / "locust-worker-1.log"
    worker.write_text(
        "[2026-11-25 17:00:00,000] host/WARNING/root: CPU usage above 90%! This may constrain your"
        " throughput\n"
    )
    quiet = tmp_path / "locust-worker-2.log"
    quiet.write_text("[2026-11-25 17:00:00,000] host/INFO/locust.main: Starting Locust\n")
    found = cpu_warnings([master, worker, quiet, tmp_path / "missing.log"])
    assert [line.split(":")[0] for line in found] == ["locust.log", "locust-worker-1.log"]
