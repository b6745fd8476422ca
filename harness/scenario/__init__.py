"""Scenarios: Chaos Toolkit experiments with a `harness` extension (load, phases, SLOs, gate)."""

from __future__ import annotations

from harness.scenario.durations import Duration, format_duration, parse_duration
from harness.scenario.loader import Scenario, ScenarioInvalid, load_scenario, resolve_scenario
from harness.scenario.model import (
    JUDGED_PHASES,
    UNTIL_METHOD_ENDS,
    AnalysisSpec,
    ChartSpec,
    ClientSli,
    Direction,
    GatePolicy,
    HarnessExtension,
    Phase,
    RatioSli,
    SloSpec,
    ThresholdSli,
)

__all__ = [
    "JUDGED_PHASES",
    "UNTIL_METHOD_ENDS",
    "AnalysisSpec",
    "ChartSpec",
    "ClientSli",
    "Direction",
    "Duration",
    "GatePolicy",
    "HarnessExtension",
    "Phase",
    "RatioSli",
    "Scenario",
    "ScenarioInvalid",
    "SloSpec",
    "ThresholdSli",
    "format_duration",
    "load_scenario",
    "parse_duration",
    "resolve_scenario",
]
