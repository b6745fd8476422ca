"""Find, read and validate a scenario; every mistake becomes one line naming file, field, fix."""

from __future__ import annotations

import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from harness.errors import BadInput, ConfigError
from harness.scenario.model import (
    NAME_FIXES,
    AnalysisSpec,
    HarnessExtension,
    Phase,
    SloSpec,
)
from harness.userfiles import check_file, parse_json, parse_yaml, read_text

EXTENSION = "harness"
SUFFIXES = (".yaml", ".yml", ".json")
MIN_SCRAPES_PER_WINDOW = 4  # rate() needs two samples, leave margin (docs/reports.md, judging)


class ScenarioInvalid(ConfigError):
    """Raised when a scenario has mistakes; `lines` holds one `file: field: problem (fix)` each."""

    def __init__(self, file: str, problems: list[tuple[str, str, str]]) -> None:
        super().__init__(file, *problems[0])
        self.lines = [ConfigError(file, *p).message for p in problems]
        self.message = "\n".join(self.lines)


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: the experiment as written plus its typed `harness` extension."""

    name: str
    path: Path
    title: str
    harness: HarnessExtension
    experiment: Mapping[str, Any] = field(repr=False)  # handed unchanged to Chaos Toolkit


def resolve_scenario(spec: str, *, experiments_dir: Path | None = None) -> Path:
    """SCENARIO as a path, or a name found in `experiments/` (`smoke` -> experiments/smoke.yaml).

    A path that exists but is not a file (a folder, /dev/null, a loop of symbolic links) says
    what it is instead of "no such file"."""
    direct = Path(spec)
    if direct.is_file():
        return direct
    if os.path.lexists(direct):
        check_file(direct, fix="give a YAML or JSON scenario file")
    folder = experiments_dir if experiments_dir is not None else Path.cwd() / "experiments"
    if "/" not in spec and direct.suffix not in SUFFIXES:
        for suffix in SUFFIXES:
            candidate = folder / f"{spec}{suffix}"
            if candidate.is_file():
                return candidate
    known = sorted({p.stem for p in folder.glob("*") if p.suffix in SUFFIXES})
    hint = f"known: {', '.join(known)}" if known else f"no scenarios in {folder}"
    raise BadInput(f"scenario {spec!r}: no such file or name in {folder} ({hint})")


def load_scenario(
    spec: str | Path, *, experiments_dir: Path | None = None, root: Path | None = None
) -> Scenario:
    """Read and validate a scenario. With `root`, files it names must exist under it."""
    path = resolve_scenario(str(spec), experiments_dir=experiments_dir)
    file = str(path)
    document = _read(path)
    problems: list[tuple[str, str, str]] = []
    title = document.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append(("title", "missing", "Chaos Toolkit needs a title: add `title: ...`"))
    method = document.get("method")
    if not isinstance(method, list) or not method:
        problems.append(("method", "missing or empty", "list the chaos actions under `method:`"))
    raw = _extension(file, document)
    try:
        ext = HarnessExtension.model_validate(raw)
    except ValidationError as exc:
        problems.extend(_lines(exc))
        raise ScenarioInvalid(file, problems) from None
    problems.extend(_cross_checks(ext))
    if root is not None:
        problems.extend(_file_checks(ext, root))
    if problems:
        raise ScenarioInvalid(file, problems)
    return Scenario(name=path.stem, path=path, title=str(title), harness=ext, experiment=document)


def _read(path: Path) -> dict[str, Any]:
    file = str(path)
    text = read_text(path, fix="give a YAML or JSON scenario file")
    fix = "fix the syntax there"
    data = (
        parse_json(text, file, fix=fix)
        if path.suffix == ".json"
        else parse_yaml(text, file, fix=fix)
    )
    if data is None:
        raise ConfigError(
            file, "", "the file is empty", "a scenario is a Chaos Toolkit experiment with a "
            "harness extension; see experiments/smoke.yaml"
        )  # fmt: skip
    if not isinstance(data, dict):
        raise ConfigError(file, "", "not an experiment", "the top level must be a mapping")
    return data


def _extension(file: str, document: Mapping[str, Any]) -> Any:
    extensions = document.get("extensions")
    fix = "add `extensions: [{name: harness, load: ..., phases: ..., slos: ...}]`"
    if not isinstance(extensions, list):
        raise ConfigError(file, "extensions", "no harness extension", fix)
    found = [e for e in extensions if isinstance(e, dict) and e.get("name") == EXTENSION]
    if not found:
        raise ConfigError(file, "extensions", "no entry named harness", fix)
    if len(found) > 1:
        raise ConfigError(file, "extensions", "more than one entry named harness", "keep one")
    return found[0]


def _path(loc: tuple[int | str, ...]) -> str:
    out = "extensions[harness]"
    model: Any = HarnessExtension
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        fields = (
            model.model_fields if isinstance(model, type) and issubclass(model, BaseModel) else {}
        )
        if part in fields:
            out += f".{part}"
            model = _model_of(fields[part].annotation)
        elif isinstance(model, list):  # a discriminated union: the tag picks the model
            model = next((m for m in model if _tag(m) == part), None)
        else:
            out += f".{part}"
            model = None
    return out


def _model_of(annotation: Any) -> Any:
    """The model class (or list of union members) behind a field annotation."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _model_of(typing.get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if origin in (typing.Union, types.UnionType):
        members = [_model_of(a) for a in typing.get_args(annotation) if a is not type(None)]
        models = [m for m in members if isinstance(m, type)]
        if len(models) > 1:
            return models
        return models[0] if models else None
    if origin in (tuple, list, dict):
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        return _model_of(args[-1]) if args else None
    return None


def _tag(model: type[BaseModel]) -> Any:
    if "type" not in model.model_fields:
        return None
    annotation: Any = model.model_fields["type"].annotation
    args = typing.get_args(annotation)
    return args[0] if args else None


def _allowed(loc: tuple[int | str, ...]) -> list[str]:
    model: Any = HarnessExtension
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if isinstance(model, list):
            model = next((m for m in model if _tag(m) == part), None)
        elif (
            isinstance(model, type) and issubclass(model, BaseModel) and part in model.model_fields
        ):
            model = _model_of(model.model_fields[part].annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _lines(exc: ValidationError) -> list[tuple[str, str, str]]:
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        msg = err["msg"].removeprefix("Value error, ")
        if kind == "extra_forbidden":
            allowed = ", ".join(_allowed(loc))
            out.append(
                (_path(loc), "unknown field", f"remove it or fix the spelling; allowed: {allowed}")
            )
        elif kind == "missing":
            out.append((_path(loc), "missing", "add this field"))
        elif kind in ("literal_error", "enum", "union_tag_invalid", "union_tag_not_found"):
            out.append((_path(loc), msg, "use one of the listed values"))
        elif kind in ("int_parsing", "int_type", "int_from_float"):
            out.append((_path(loc), msg, "write a whole number such as 20, without quotes"))
        elif kind in ("float_parsing", "float_type", "finite_number"):
            out.append((_path(loc), msg, "write a finite number such as 2.5, without quotes"))
        elif kind == "string_pattern_mismatch":
            pattern = (err.get("ctx") or {}).get("pattern", "")
            fix = NAME_FIXES.get(pattern, f"match {pattern}")
            out.append((_path(loc), "not a valid name", fix))
        else:
            out.append((_path(loc), msg, ""))
    return out


def _cross_checks(ext: HarnessExtension) -> list[tuple[str, str, str]]:
    problems: list[tuple[str, str, str]] = []
    base = "extensions[harness]"
    scrape = ext.prometheus.scrape_interval
    shortest = MIN_SCRAPES_PER_WINDOW * scrape
    if scrape <= 0:
        problems.append((f"{base}.prometheus.scrape_interval", "must be positive", "e.g. 1s"))
    for phase in (Phase.BASELINE, Phase.FAULT, Phase.RECOVERY):
        seconds = ext.phases.fixed(phase)
        if seconds is not None and scrape > 0 and seconds < shortest:
            problems.append(
                (
                    f"{base}.phases.{phase.value}",
                    f"{seconds:g}s is shorter than {MIN_SCRAPES_PER_WINDOW} scrape intervals "
                    f"({MIN_SCRAPES_PER_WINDOW} x {scrape:g}s), too short for rate()",
                    f"make it at least {shortest:g}s or scrape more often",
                )
            )
    if not ext.slos:
        problems.append((f"{base}.slos", "empty", "list at least one SLO to judge the run by"))
    seen: set[str] = set()
    for i, slo in enumerate(ext.slos):
        if slo.name in seen:
            problems.append(
                (
                    f"{base}.slos[{i}].name",
                    f"duplicate name {slo.name!r}",
                    "give every SLO its own name",
                )
            )
        seen.add(slo.name)
    return problems


def _file_checks(ext: HarnessExtension, root: Path) -> list[tuple[str, str, str]]:
    base = "extensions[harness]"
    problems = []
    if not (root / ext.load.locustfile).is_file():
        problems.append(
            (
                f"{base}.load.locustfile",
                f"{ext.load.locustfile} not found",
                "paths are relative to the project root",
            )
        )
    for i, analysis in enumerate(ext.analyses):
        if not (root / analysis.template).is_file():
            problems.append(
                (
                    f"{base}.analyses[{i}].template",
                    f"{analysis.template} not found",
                    "paths are relative to the project root",
                )
            )
    return problems


__all__ = [
    "AnalysisSpec",
    "Scenario",
    "ScenarioInvalid",
    "SloSpec",
    "load_scenario",
    "resolve_scenario",
]
