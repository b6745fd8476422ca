"""Reading Kubernetes manifests (multi-document YAML) and turning schema errors into findings.

A `Finding` is one problem in one field of one object of one file, with a fix; `harness
validate` prints them, and the proxy's loader raises the first error as a `ConfigError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from harness.errors import ConfigError


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


@dataclass(frozen=True)
class Document:
    """One YAML document of a manifest file."""

    file: str
    index: int
    body: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.body.get("kind", ""))

    @property
    def name(self) -> str:
        meta = self.body.get("metadata") or {}
        return (
            str(meta.get("name", f"#{self.index}")) if isinstance(meta, dict) else f"#{self.index}"
        )

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"


def manifest_files(paths: Iterable[Path]) -> list[Path]:
    """Every .yaml/.yml file under `paths` (files given directly are kept), sorted."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(p for p in sorted(path.rglob("*")) if p.suffix in (".yaml", ".yml"))
        elif path.exists():
            out.append(path)
        else:
            raise ConfigError(str(path), "", "no such file or folder", "give an existing path")
    return out


def read_documents(path: Path) -> Iterator[Document]:
    """The mapping documents of one YAML file; a parse error is a ConfigError naming the line."""
    try:
        docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "document"
        raise ConfigError(
            str(path), where, f"not valid YAML: {exc}", "fix the YAML syntax"
        ) from exc
    except OSError as exc:
        raise ConfigError(str(path), "", f"cannot read: {exc}", "check the path") from exc
    for index, body in enumerate(docs):
        if isinstance(body, dict):
            yield Document(str(path), index, body)


def loc_to_field(prefix: str, loc: tuple[int | str, ...]) -> str:
    """pydantic location tuple → `spec.subsets[0].trafficPolicy` style path."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def schema_findings(
    exc: ValidationError, doc_file: str, obj: str, prefix: str, hints: dict[str, str] | None = None
) -> list[Finding]:
    """One finding per pydantic error; `hints` maps a field name to a specific fix."""
    hints = hints or {}
    out: list[Finding] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        field = loc_to_field(prefix, loc)
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
