"""Reading Kubernetes manifests: files and folders of multi-document YAML.

The one reader behind every part that reads manifests (the mesh config, both cluster targets'
workload lists, the analysis loader, `harness validate`). A folder stands for every `*.yaml` and
`*.yml` file under it, sorted by path; empty documents are skipped; each document keeps its file
and its index in the file for messages. A file that cannot be read, is not a regular file, is
larger than `MAX_FILE_BYTES` or is not UTF-8 YAML is one `ConfigError` line (exit 2) naming the
file and the line, never a traceback (`harness.userfiles`). Documents are parsed one at a time
as they are read (libyaml when PyYAML has it), so a file of many documents never sits in
memory whole. What a document means is the caller's business.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.errors import ConfigError
from harness.userfiles import MAX_FILE_BYTES, SafeLoader, check_file, yaml_problem

SUFFIXES = (".yaml", ".yml")
__all__ = [
    "MAX_FILE_BYTES",
    "SUFFIXES",
    "Document",
    "field_path",
    "read_documents",
    "read_manifests",
    "yaml_files",
]


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
    """Every YAML file under the folders in `paths`, sorted; files given directly are kept.

    A path that is missing, a loop of symbolic links or not a regular file (/dev/null) is a
    `ConfigError`; a folder may hold no YAML at all (the caller says whether that is an error).
    """
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(p for p in sorted(path.rglob("*")) if p.suffix in SUFFIXES)
        else:
            check_file(path, fix="give an existing manifest file or folder")
            out.append(path)
    return out


def read_documents(path: Path, *, refuse_non_mappings: bool = False) -> Iterator[Document]:
    """The mapping documents of one file, each yielded as soon as it is parsed.

    A document that is not a mapping (a list, a bare string) is skipped, or refused with
    `refuse_non_mappings`, as `kubectl apply` refuses it. A YAML error after the first
    documents is raised when the reader reaches it.
    """
    file = str(path)
    check_file(path, fix="give a manifest file")
    try:
        stream = path.open("rb")  # bytes: libyaml decodes and names the offset of a bad byte
    except OSError as exc:
        raise ConfigError(file, "", f"cannot read the file ({exc.strerror})") from exc
    with stream:
        loader = SafeLoader(stream)
        try:
            index = 0
            while loader.check_data():  # type: ignore[no-untyped-call]  # untyped stubs
                body = loader.get_data()
                if isinstance(body, dict):
                    yield Document(file, index, body)
                elif body is not None and refuse_non_mappings:
                    raise ConfigError(file, f"document {index + 1}", "must be a mapping")
                index += 1
        except yaml.YAMLError as exc:
            raise ConfigError(file, *yaml_problem(exc), "fix the YAML syntax") from None
        except RecursionError:
            raise ConfigError(file, "", "not valid YAML: nested too deeply") from None
        except OSError as exc:
            raise ConfigError(file, "", f"cannot read the file ({exc.strerror})") from exc
        finally:
            loader.dispose()


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
