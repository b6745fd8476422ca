"""Arguments and spec validation: Argo's messages, in Argo's order (docs/parity.md, table)."""

from __future__ import annotations

from typing import Any

import pytest

from harness.analysis.args import ArgError, resolve_args
from harness.analysis.durations import parse_duration
from harness.analysis.model import AnalysisSpec, SpecError, effective_count, prepare

PROM = {"prometheus": {"query": "up"}}


def spec(
    *metrics: dict[str, Any], args: list[dict[str, Any]] | None = None, **extra: Any
) -> AnalysisSpec:
    return AnalysisSpec.model_validate({"args": args or [], "metrics": list(metrics), **extra})


def metric(name: str = "m", **fields: Any) -> dict[str, Any]:
    return {"name": name, "provider": PROM, **fields}


class TestArgs:
    def test_tags_are_trimmed_and_work_in_any_string_field(self) -> None:
        s = spec(
            metric(
                interval="{{ args.every }}",
                count="{{args.n}}",
                successCondition="result[0] >= {{args.min}}",
                provider={
                    "prometheus": {"query": 'up{job="{{args.job}}"}', "address": "{{args.addr}}"}
                },
            ),
            args=[{"name": "every", "value": "30s"}, {"name": "n", "value": "3"},
                  {"name": "min", "value": "0.9"}, {"name": "job"}, {"name": "addr", "value": "http://x:9"}],
        )  # fmt: skip
        m = prepare(s, {"job": "api"}).metrics[0]
        assert m.interval == "30s"
        assert effective_count(m) == 3
        assert m.success_condition == "result[0] >= 0.9"
        assert m.provider.prometheus is not None
        assert m.provider.prometheus.query == 'up{job="api"}'
        assert m.provider.prometheus.address == "http://x:9"

    def test_values_are_json_escaped(self) -> None:
        s = spec(metric(provider={"prometheus": {"query": "{{args.q}}"}}), args=[{"name": "q"}])
        q = 'sum(x{a="b"})\n/ 2'
        prom = prepare(s, {"q": q}).metrics[0].provider.prometheus
        assert prom is not None and prom.query == q

    def test_unknown_tag(self) -> None:
        s = spec(
            metric(successCondition="result[0] > {{ args.typo }}"),
            args=[{"name": "a", "value": "1"}],
        )
        with pytest.raises(SpecError) as err:
            prepare(s, {})
        assert (
            err.value.message
            == "Unable to resolve metric arguments: failed to resolve {{ args.typo }}"
        )

    def test_an_arg_without_value_fails_even_if_unused(self) -> None:
        s = spec(metric(), args=[{"name": "unused"}])
        with pytest.raises(SpecError) as err:
            prepare(s, {})
        assert err.value.message == (
            'Unable to resolve metric arguments: argument "unused" was not supplied'
        )

    def test_supplied_value_overrides_the_default(self) -> None:
        s = spec(metric(successCondition="result > {{args.x}}"), args=[{"name": "x", "value": "1"}])
        assert prepare(s, {"x": "2"}).metrics[0].success_condition == "result > 2"

    def test_unterminated_tag(self) -> None:
        with pytest.raises(ArgError, match="cannot find end tag"):
            resolve_args("a {{args.x", [("x", "1")])


def _invalid(*metrics: dict[str, Any], **extra: Any) -> str:
    with pytest.raises(SpecError) as err:
        prepare(spec(*metrics, **extra), {})
    return err.value.message


class TestValidation:
    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"consecutiveSuccessLimit": -1}, "consecutiveSuccessLimit must be >= 0"),
            ({"failureLimit": -2}, "failureLimit must be >= 0, or -1 to be disabled"),
            ({"failureLimit": -1},
             "failureLimit and consecutiveSuccessLimit cannot both be disabled"),
            ({"inconclusiveLimit": -1}, "inconclusiveLimit must be >= 0"),
            ({"consecutiveErrorLimit": -1}, "consecutiveErrorLimit must be >= 0"),
            ({"count": 2, "interval": "1s", "failureLimit": 2, "consecutiveSuccessLimit": 1},
             "count (2) must be >= failureLimit + consecutiveSuccessLimit (2 + 1) if both >= 0"),
            ({"count": 1, "failureLimit": -1, "consecutiveSuccessLimit": 2},
             "count must be >= consecutiveSuccessLimit"),
            ({"count": 1, "inconclusiveLimit": 2}, "count must be >= inconclusiveLimit"),
            ({"count": 2}, "interval must be specified when count > 1"),
            ({"interval": "1d"},
             'invalid interval string: time: unknown unit "d" in duration "1d"'),
            ({"initialDelay": "5"},
             'invalid startDelay string: time: missing unit in duration "5"'),
        ],
    )  # fmt: skip
    def test_metric_rules(self, fields: dict[str, Any], message: str) -> None:
        assert _invalid(metric(**fields)) == f"Analysis spec invalid: metrics[0]: {message}"

    def test_duplicate_names_and_no_provider(self) -> None:
        assert _invalid(metric("a"), metric("a")) == (
            "Analysis spec invalid: metrics[1]: duplicate name 'a'"
        )
        assert _invalid({"name": "a", "provider": {}}) == (
            "Analysis spec invalid: metrics[0]: no provider specified"
        )
        assert _invalid(metric(provider={"prometheus": {"query": "up"}, "web": {}})) == (
            "Analysis spec invalid: metrics[0]: multiple providers specified"
        )

    def test_no_metrics(self) -> None:
        assert _invalid() == "Analysis spec invalid: no metrics specified"

    def test_dry_run_rules_are_unanchored_regexes_that_must_match(self) -> None:
        s = spec(metric("error-rate"), metric("latency"), dryRun=[{"metricName": "rate"}])
        assert prepare(s, {}).dry_run == {"error-rate"}
        s = spec(metric("a"), metric("b"), dryRun=[{"metricName": ".*"}])
        assert prepare(s, {}).dry_run == {"a", "b"}
        assert _invalid(metric("a"), dryRun=[{"metricName": "a"}, {"metricName": "^zzz$"}]) == (
            "Analysis spec invalid: dryRun[1]: Rule didn't match any metric name(s)"
        )

    def test_measurement_retention_rule_must_match(self) -> None:
        assert _invalid(metric("a"), measurementRetention=[{"metricName": "b", "limit": 2}]) == (
            "Analysis spec invalid: measurementRetention[0]: Rule didn't match any metric name(s)"
        )

    @pytest.mark.parametrize(
        ("fields", "count"),
        [({}, 1), ({"interval": "1m"}, None), ({"count": 0, "interval": "1m"}, None),
         ({"count": 3, "interval": "1m"}, 3), ({"count": "4", "interval": "1m"}, 4)],
    )  # fmt: skip
    def test_effective_count(self, fields: dict[str, Any], count: int | None) -> None:
        assert effective_count(prepare(spec(metric(**fields)), {}).metrics[0]) == count


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("1h30m", 5400), ("1.5s", 1.5), ("300ms", 0.3), ("0", 0)],
)
def test_go_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "1d", "10", "s", "1x"])
def test_go_duration_errors(text: str) -> None:
    with pytest.raises(ValueError, match="time: "):
        parse_duration(text)


def test_public_api_is_curated() -> None:
    import harness.analysis as pkg

    assert sorted(pkg.__all__) == pkg.__all__
    assert all(hasattr(pkg, name) for name in pkg.__all__)
    assert {"AnalysisRunState", "measure", "replay", "run_live"} <= set(pkg.__all__)
