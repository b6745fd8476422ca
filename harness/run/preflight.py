"""Pre-flight: every PromQL query of the scenario, sent to Prometheus once before the load.

A query Prometheus cannot parse would otherwise be found after the whole run, fault included,
as an inconclusive verdict. Here it is bad input (exit 2) naming the SLO, analysis or chart and
the field, before anything is started. Queries go out as they will be sent: arguments filled
in (analyses), `{{window}}` as the phase window they judge, `{{rate}}` as the rate window.
Prometheus' `bad_data` answer is a rejection; any other failure (unreachable, timeout) means
Prometheus could not be asked (exit 3). The resolved queries are printed with `-v` and kept
in the report (`preflight`).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.contracts.promql import PromQLSource
from harness.errors import BadInput, ConfigError, CouldNotRun, HarnessError
from harness.report.model import PreflightQuery
from harness.scenario.loader import Scenario
from harness.scenario.model import RatioSli, ThresholdSli
from harness.slo.measure import sli_expression
from harness.slo.promql import with_window


@dataclass(frozen=True)
class _Query:
    record: PreflightQuery
    location: str  # where in the scenario file, for the error line


def _window(scenario: Scenario, phases: Sequence[str]) -> float:
    """The shortest fixed window among `phases` (a fault that follows the method: baseline)."""
    ext = scenario.harness
    lengths = [v for p in phases if isinstance(v := getattr(ext.phases, p), float)]
    return min(lengths, default=ext.phases.baseline) or ext.detect_window


def scenario_queries(scenario: Scenario, root: Path) -> list[_Query]:
    """Every PromQL query the run will send for the scenario's SLOs, analyses and charts."""
    ext = scenario.harness
    out: list[_Query] = []
    for i, slo in enumerate(ext.slos):
        sli = slo.sli
        window = _window(scenario, [p.value for p in slo.phases])
        fields: list[tuple[str, str]] = []
        if isinstance(sli, RatioSli):
            fields = [
                ("sli.good" if sli.good else "sli.bad", sli.good_or_bad),
                ("sli.total", sli.total),
            ]
            fields.append(("sli", sli_expression(slo)))
        elif isinstance(sli, ThresholdSli):
            fields = [("sli.query", sli.query)]
        for name, query in fields:
            record = PreflightQuery(
                owner=f"SLO {slo.name}", field=name, query=with_window(query, window)
            )
            out.append(_Query(record, f"slos[{i}] ({slo.name}).{name}"))
        if fields:  # the detection series asks the same expression over the short window
            record = PreflightQuery(
                owner=f"SLO {slo.name}",
                field="sli (detection window)",
                query=with_window(sli_expression(slo), ext.detect_window),
            )
            out.append(_Query(record, f"slos[{i}] ({slo.name}).sli"))
    for i, spec in enumerate(ext.analyses):
        from harness.analysis import load_template, prepare_checked

        path = root / spec.template
        prepared = prepare_checked(load_template(path), dict(spec.args), str(path))
        for j, metric in enumerate(prepared.metrics):
            prom = metric.provider.prometheus
            if prom is None:
                continue
            record = PreflightQuery(
                owner=f"analysis {spec.template} metric {metric.name}",
                field="provider.prometheus.query",
                query=prom.query,
            )
            where = f"analyses[{i}] ({spec.template}): spec.metrics[{j}].provider.prometheus.query"
            out.append(_Query(record, where))
    for i, chart in enumerate(ext.charts or ()):
        rate = max(ext.detect_window, 4 * ext.prometheus.scrape_interval)
        record = PreflightQuery(
            owner=f"chart {chart.title}", field="query", query=with_window(chart.query, rate)
        )
        out.append(_Query(record, f"charts[{i}] ({chart.title}).query"))
    return out


def preflight(scenario: Scenario, source: PromQLSource, root: Path) -> list[PreflightQuery]:
    """Send each query once (an instant query at the server's now); return them as sent.

    ConfigError (exit 2) for a query Prometheus rejects; CouldNotRun (exit 3) when it cannot
    be asked at all.
    """
    checked: list[PreflightQuery] = []
    for q in scenario_queries(scenario, root):
        try:
            source.instant(q.record.query, None)
        except HarnessError as exc:
            message = str(exc)
            if message.startswith("bad_data:"):
                raise ConfigError(
                    str(scenario.path),
                    q.location,
                    f"Prometheus rejects the query: {message.removeprefix('bad_data: ')}",
                    f"sent: {q.record.query}",
                ) from None
            raise CouldNotRun(
                f"pre-flight: {q.record.owner} {q.record.field}: Prometheus could not be asked "
                f"({message})"
            ) from exc
        checked.append(q.record)
    return checked


def check_writable(path: Path, flag: str) -> None:
    """BadInput (one line) unless files can be created at `path` (a folder, made later).

    Tried for real in the nearest folder that exists (permissions, read-only mounts, a file in
    the way), creating nothing that stays: a bad scenario must not leave an empty reports folder.
    """
    base = path.absolute()
    while not base.exists() and base != base.parent:
        base = base.parent
    if not base.is_dir():
        raise BadInput(f"{flag} {path}: {base} is a file, not a folder (choose another {flag})")
    try:
        fd, probe = tempfile.mkstemp(prefix=".harness-write-check-", dir=base)
    except OSError as exc:
        raise BadInput(
            f"{flag} {path}: cannot write in {base} ({exc.strerror or exc}; choose another {flag})"
        ) from None
    os.close(fd)
    os.unlink(probe)


__all__ = ["check_writable", "preflight", "scenario_queries"]
