"""The blue-green part of an Argo Rollout spec, read from its manifest (pure: dict in, record out).

Only the fields the blue-green state machine honours; defaults are Argo's
(`utils/defaults/defaults.go`, semantics.md 6). A wrong field is a `SpecProblem` naming the
field path, which the caller turns into its own error with the file name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_SCALE_DOWN_DELAY = 30  # DefaultScaleDownDelaySeconds
DEFAULT_ABORT_SCALE_DOWN_DELAY = 30  # DefaultAbortScaleDownDelaySeconds
POD_TEMPLATE_HASH = "rollouts-pod-template-hash"  # DefaultRolloutUniqueLabelKey


class SpecProblem(ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class AnalysisRef:
    """`prePromotionAnalysis` / `postPromotionAnalysis`: templates by name, literal args."""

    templates: tuple[str, ...]
    args: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class BlueGreen:
    active_service: str
    preview_service: str | None = None
    auto_promotion_enabled: bool = True
    auto_promotion_seconds: int = 0
    scale_down_delay_seconds: int | None = None  # None: unset (matters with post analysis)
    abort_scale_down_delay_seconds: int | None = None
    pre_promotion: AnalysisRef | None = None
    post_promotion: AnalysisRef | None = None

    @property
    def scale_down_delay(self) -> float:
        d = self.scale_down_delay_seconds
        return float(DEFAULT_SCALE_DOWN_DELAY if d is None else d)

    @property
    def abort_scale_down_delay(self) -> float | None:
        """None when the preview stays up after an abort (`abortScaleDownDelaySeconds: 0`)."""
        d = self.abort_scale_down_delay_seconds
        if d is None:
            return float(DEFAULT_ABORT_SCALE_DOWN_DELAY)
        return None if d == 0 else float(d)

    @property
    def needs_controller_pause(self) -> bool:
        """`needsBlueGreenControllerPause`."""
        return not self.auto_promotion_enabled or self.auto_promotion_seconds > 0


def _int(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SpecProblem(field, f"must be an integer >= 0, got {value!r}")
    return value


def _analysis(raw: Any, field: str) -> AnalysisRef | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise SpecProblem(field, "must be a mapping")
    names = []
    for i, t in enumerate(raw.get("templates") or []):
        name = t.get("templateName") if isinstance(t, Mapping) else None
        if not isinstance(name, str) or not name:
            raise SpecProblem(f"{field}.templates[{i}].templateName", "is required")
        if t.get("clusterScope"):
            raise SpecProblem(f"{field}.templates[{i}].clusterScope", "not supported locally")
        names.append(name)
    if not names:
        raise SpecProblem(f"{field}.templates", "needs at least one template")
    args = []
    for i, a in enumerate(raw.get("args") or []):
        if not isinstance(a, Mapping) or not isinstance(a.get("name"), str):
            raise SpecProblem(f"{field}.args[{i}].name", "is required")
        if "valueFrom" in a:
            raise SpecProblem(f"{field}.args[{i}].valueFrom", "only literal values run locally")
        args.append((str(a["name"]), str(a.get("value", ""))))
    return AnalysisRef(tuple(names), tuple(args))


def blue_green(strategy: Any) -> BlueGreen:
    """`spec.strategy` of a Rollout -> its blue-green strategy (canary is refused)."""
    if not isinstance(strategy, Mapping) or "blueGreen" not in strategy:
        raise SpecProblem("spec.strategy", "only the blueGreen strategy runs locally")
    bg = strategy["blueGreen"]
    f = "spec.strategy.blueGreen"
    if not isinstance(bg, Mapping):
        raise SpecProblem(f, "must be a mapping")
    active = bg.get("activeService")
    if not isinstance(active, str) or not active:
        raise SpecProblem(f"{f}.activeService", "is required")
    preview = bg.get("previewService")
    if preview is not None and (not isinstance(preview, str) or preview == active):
        raise SpecProblem(f"{f}.previewService", "must name a Service other than the active one")
    if bg.get("previewReplicaCount") is not None:
        raise SpecProblem(f"{f}.previewReplicaCount", "not supported locally")
    auto = bg.get("autoPromotionEnabled", True)
    if not isinstance(auto, bool):
        raise SpecProblem(f"{f}.autoPromotionEnabled", "must be true or false")

    def opt(key: str) -> int | None:
        value = bg.get(key)
        return None if value is None else _int(value, f"{f}.{key}")

    return BlueGreen(
        active_service=active,
        preview_service=preview or None,
        auto_promotion_enabled=auto,
        auto_promotion_seconds=opt("autoPromotionSeconds") or 0,
        scale_down_delay_seconds=opt("scaleDownDelaySeconds"),
        abort_scale_down_delay_seconds=opt("abortScaleDownDelaySeconds"),
        pre_promotion=_analysis(bg.get("prePromotionAnalysis"), f"{f}.prePromotionAnalysis"),
        post_promotion=_analysis(bg.get("postPromotionAnalysis"), f"{f}.postPromotionAnalysis"),
    )
