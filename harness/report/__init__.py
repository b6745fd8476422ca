"""Reports of a run: report.json (versioned), report.html, summary.md, junit.xml."""

from __future__ import annotations

from harness.report.build import build_report, rejudge, scenario_record
from harness.report.charts import DEFAULT_CHARTS, collect_charts
from harness.report.evidence import redact, summarize_journal, tool_versions
from harness.report.layout import (
    RunFiles,
    new_run_id,
    point_latest,
    read_report,
    render_views,
    write_report,
)
from harness.report.model import (
    SCHEMA_VERSION,
    AnalysisMeasurement,
    AnalysisMetric,
    AnalysisRun,
    ChaosSummary,
    Chart,
    Report,
)

__all__ = [
    "DEFAULT_CHARTS",
    "SCHEMA_VERSION",
    "AnalysisMeasurement",
    "AnalysisMetric",
    "AnalysisRun",
    "ChaosSummary",
    "Chart",
    "Report",
    "RunFiles",
    "build_report",
    "collect_charts",
    "new_run_id",
    "point_latest",
    "read_report",
    "redact",
    "rejudge",
    "render_views",
    "scenario_record",
    "summarize_journal",
    "tool_versions",
    "write_report",
]
