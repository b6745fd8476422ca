"""Reading Kubernetes manifests: files and folders of multi-document YAML.

The one reader behind every part that reads manifests (the mesh config, both cluster targets'
workload lists, the analysis loader, `harness validate`). A folder stands for every `*.yaml` and
`*.yml` file under it, sorted by path; empty documents are skipped; each document keeps its file
and its index in the file for messages. A file that cannot be read or is not YAML is one
`ConfigError` line (exit 2) naming the file and the line, never a traceback. What a document
means is the caller's business.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.errors import ConfigError

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Document:
    """One mapping document of a manifest file; `index` counts from 0, empty documents too."""

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


def yaml_files(paths: Iterable[Path]) -> list[Path]:
    """Every YAML file under the folders in `paths`, sorted; files given directly are kept."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(p for p in sorted(path.rglob("*")) if p.suffix in SUFFIXES)
        elif path.exists():
            out.append(path)
        else:
            raise ConfigError(str(path), "", "no such file or folder", "give an existing path")
    return out


def read_documents(path: Path, *, refuse_non_mappings: bool = False) -> Iterator[Document]:
    """The mapping documents of one file, parsed whole before the first is yielded.

    A document that is not a mapping (a list, a bare string) is skipped, or refused with
    `refuse_non_mappings`, as `kubectl apply` refuses it.
    """
    file = str(path)
    try:
        bodies = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise ConfigError(file, "", f"cannot read the file ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(file, "", "cannot read the file (not UTF-8 text)") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(file, *_yaml_problem(exc), "fix the YAML syntax") from exc
    for index, body in enumerate(bodies):
        if isinstance(body, dict):
            yield Document(file, index, body)
        elif body is not None and refuse_non_mappings:
            raise ConfigError(file, f"document {index + 1}", "must be a mapping")


def read_manifests(
    paths: Iterable[Path], *, refuse_non_mappings: bool = False
) -> Iterator[Document]:
    """`read_documents` of every file `yaml_files(paths)` names, in that order."""
    for path in yaml_files(paths):
        yield from read_documents(path, refuse_non_mappings=refuse_non_mappings)


def field_path(loc: Iterable[int | str], prefix: str = "") -> str:
    """A pydantic error location as a manifest field: `spec.subsets[0].trafficPolicy`."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _yaml_problem(exc: yaml.YAMLError) -> tuple[str, str]:
    """(where, problem) on one line: PyYAML's own text spans several lines and quotes a stream."""
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return where, f"not valid YAML: {problem}"
