"""The one manifest reader, and the four parts that read manifests through it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.analysis.loader import load_template
from harness.cluster.kubernetes.preflight import required_workloads
from harness.cluster.local.manifests import load_manifests
from harness.errors import ConfigError, ExitCode
from harness.manifests import (
    MAX_FILE_BYTES,
    Document,
    field_path,
    read_documents,
    read_manifests,
    yaml_files,
)
from harness.mesh.config import load_config

BROKEN = "kind: Deployment\nmetadata:\n  name: a\n    labels: {}\n"  # bad indent on line 4


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


class TestFiles:
    def test_a_folder_is_every_yaml_file_under_it_sorted(self, tmp_path: Path) -> None:
        b = write(tmp_path, "b.yml", "")
        a = write(tmp_path, "sub/a.yaml", "")
        write(tmp_path, "notes.txt", "")
        assert yaml_files([tmp_path]) == sorted([b, a])

    def test_a_file_given_directly_is_kept_whatever_its_name(self, tmp_path: Path) -> None:
        path = write(tmp_path, "manifest.txt", "")
        assert yaml_files([path]) == [path]

    def test_a_missing_path_is_bad_input(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match="nope: no such file") as info:
            yaml_files([tmp_path / "nope"])
        assert info.value.exit_code is ExitCode.BAD_INPUT


class TestDocuments:
    def test_empty_documents_are_skipped_but_counted(self, tmp_path: Path) -> None:
        path = write(tmp_path, "m.yaml", "kind: A\n---\n---\nkind: B\nmetadata: {name: b}\n")
        docs = list(read_documents(path))
        assert [(d.index, d.kind, d.name) for d in docs] == [(0, "A", "#0"), (2, "B", "b")]
        assert {d.file for d in docs} == {str(path)}
        assert docs[1].ref == "B/b"

    def test_a_document_that_is_not_a_mapping_is_skipped_or_refused(self, tmp_path: Path) -> None:
        path = write(tmp_path, "m.yaml", "kind: A\n---\n- a list\n")
        assert [d.kind for d in read_documents(path)] == ["A"]
        with pytest.raises(ConfigError, match=r"m.yaml: document 2: must be a mapping"):
            list(read_documents(path, refuse_non_mappings=True))

    def test_read_manifests_reads_files_in_order(self, tmp_path: Path) -> None:
        write(tmp_path, "b.yaml", "kind: B\n")
        write(tmp_path, "a.yaml", "kind: A\n---\nkind: A2\n")
        assert [d.kind for d in read_manifests([tmp_path])] == ["A", "A2", "B"]

    def test_a_yaml_error_is_one_line_naming_file_and_line(self, tmp_path: Path) -> None:
        path = write(tmp_path, "m.yaml", BROKEN)
        with pytest.raises(ConfigError) as info:
            list(read_documents(path))
        message = str(info.value)
        assert message.startswith(f"{path}: line 4: not valid YAML: ")
        assert message.endswith("(fix the YAML syntax)")
        assert "\n" not in message

    def test_an_unreadable_file_is_one_line(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match=r"gone.yaml: no such file"):
            list(read_documents(tmp_path / "gone.yaml"))
        binary = tmp_path / "bin.yaml"
        binary.write_bytes(b"kind: \xff\xfe\n")
        with pytest.raises(ConfigError, match=r"bin.yaml: not UTF-8 text \(byte 0xff at offset 6"):
            list(read_documents(binary))

    def test_documents_stream_one_at_a_time(self, tmp_path: Path) -> None:
        """A document is handed over before the reader has even seen the next one's syntax."""
        path = write(tmp_path, "m.yaml", "kind: A\n---\nkind: [broken\n")
        documents = read_documents(path)
        assert next(documents).kind == "A"
        with pytest.raises(ConfigError, match=r"m.yaml: line \d+: not valid YAML"):
            next(documents)

    def test_a_file_over_the_size_limit_is_refused_before_reading(self, tmp_path: Path) -> None:
        path = tmp_path / "huge.yaml"
        with path.open("wb") as out:  # sparse: the size is what counts, nothing is parsed
            out.truncate(MAX_FILE_BYTES + 1)
        with pytest.raises(ConfigError, match=r"huge.yaml: the file is 16.0 MiB, over the 16 MiB"):
            next(read_documents(path))

    def test_not_a_regular_file(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match=r"/dev/null: not a regular file \(a character"):
            yaml_files([Path("/dev/null")])
        loop = tmp_path / "loop.yaml"
        loop.symlink_to(tmp_path / "back.yaml")
        (tmp_path / "back.yaml").symlink_to(loop)
        with pytest.raises(ConfigError, match=r"loop.yaml: a loop of symbolic links"):
            yaml_files([loop])

    def test_deep_nesting_is_one_line(self, tmp_path: Path) -> None:
        path = write(tmp_path, "deep.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n")
        with pytest.raises(ConfigError, match=r"deep.yaml: line 1: not valid YAML: nested too"):
            list(read_documents(path))

    def test_document_name_without_metadata(self) -> None:
        assert Document("f", 2, {"kind": "K", "metadata": "odd"}).ref == "K/#2"


@pytest.mark.parametrize(
    ("loc", "prefix", "path"),
    [
        (("spec", "subsets", 0, "trafficPolicy"), "", "spec.subsets[0].trafficPolicy"),
        (("http", 1), "spec", "spec.http[1]"),
        ((), "spec", "spec"),
    ],
)
def test_field_path(loc: tuple[int | str, ...], prefix: str, path: str) -> None:
    assert field_path(loc, prefix) == path


READERS: dict[str, Callable[[Path], Any]] = {
    "local target": lambda folder: load_manifests(folder),
    "kubernetes preflight": lambda folder: required_workloads(folder),
    "mesh config": lambda folder: load_config([folder]),
    "analysis loader": lambda folder: load_template(folder / "m.yaml"),
}


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_every_reader_reports_a_yaml_error_the_same_way(
    tmp_path: Path, reader: Callable[[Path], Any]
) -> None:
    path = write(tmp_path, "m.yaml", BROKEN)
    with pytest.raises(ConfigError) as info:
        reader(tmp_path)
    assert str(info.value).startswith(f"{path}: line 4: not valid YAML: ")
    assert "\n" not in str(info.value)


def test_the_workload_readers_agree_on_the_shipped_manifests() -> None:
    """Both targets read the same folder the same way: one Deployment list."""
    folder = Path(__file__).resolve().parents[1] / "deploy" / "kubernetes"
    local = {d.name for d in load_manifests(folder).deployments}
    kube = {w.name for w in required_workloads(folder) if w.kind == "Deployment"}
    assert kube and kube <= local
