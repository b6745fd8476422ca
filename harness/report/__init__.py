"""Reports of a run: report.json (versioned), report.html, summary.md, junit.xml."""

from __future__ import annotations

from harness.report.build import build_report, rejudge, scenario_record
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
    LocustSummary,
    Report,
)

__all__ = [
    "SCHEMA_VERSION",
    "AnalysisMeasurement",
    "AnalysisMetric",
    "AnalysisRun",
    "ChaosSummary",
    "Chart",
    "LocustSummary",
    "Report",
    "RunFiles",
    "build_report",
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
