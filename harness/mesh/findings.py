"""Findings: schema errors (and lint results) in the manifests, one per field, each with a fix.

A `Finding` is one problem in one field of one object of one file, with a fix. The mesh needs
them at run time (its config loader collects them and the proxy refuses to start on the first
error), so they live here rather than in `harness.validate`, which prints them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import ValidationError

from harness.errors import ConfigError
from harness.manifests import field_path


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"  # a hint: what the config relies on, or how a field reads


@dataclass(frozen=True)
class Finding:
    """One problem: where it is (file, object, field), what it is, and how to fix it."""

    severity: Severity
    file: str
    obj: str
    field: str
    message: str
    fix: str

    def render(self) -> str:
        where = f"{self.file}: {self.obj}: {self.field}"
        return f"{self.severity}: {where}: {self.message}; fix: {self.fix}"


def schema_findings(
    exc: ValidationError, doc_file: str, obj: str, prefix: str, hints: dict[str, str] | None = None
) -> list[Finding]:
    """One finding per pydantic error; `hints` maps a field name to a specific fix."""
    hints = hints or {}
    out: list[Finding] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        field = field_path(loc, prefix)
        last = str(loc[-1]) if loc else ""
        if err["type"] == "extra_forbidden":
            message = f"unknown field `{last}`"
            fix = hints.get(last, "remove it or correct its spelling")
        else:
            message = str(err["msg"])
            fix = hints.get(last, "correct the value")
        out.append(Finding(Severity.ERROR, doc_file, obj, field, message, fix))
    return out


def first_error(findings: list[Finding]) -> None:
    """Raise the first error finding as a ConfigError (the proxy refuses bad config)."""
    for f in findings:
        if f.severity is Severity.ERROR:
            raise ConfigError(f.file, f"{f.obj} {f.field}", f.message, f.fix)
