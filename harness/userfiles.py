"""Reading the files users hand the harness: every way a path or its bytes can be wrong is one
`ConfigError` line (exit 2) naming the file, never a traceback.

Scenarios, experiments, manifests, AnalysisTemplates and saved reports all come through here:
the path must be a regular file (not a folder, a device such as /dev/null, a FIFO, or a loop of
symbolic links), no larger than a limit (a 50 MB YAML takes PyYAML most of a minute and a GB of
memory), UTF-8 text, and parse without nesting deeper than the parser's stack.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path
from typing import Any

import yaml

from harness.errors import ConfigError

MiB = 1024 * 1024
# Far above any hand-written file (the sample manifests are a few kB, a large rendered Helm
# chart with its CRDs a few MB) and low enough that parsing stays within seconds.
MAX_FILE_BYTES = 16 * MiB

# libyaml (C) parses ~10x faster than the pure-Python loader and refuses deep nesting with a
# YAMLError instead of a RecursionError; the pure-Python one is the fallback when PyYAML was
# built without it.
SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def check_file(path: Path, *, fix: str = "give a file", limit: int = MAX_FILE_BYTES) -> int:
    """The file's size in bytes; ConfigError when `path` is not a readable regular file."""
    file = str(path)
    try:
        info = path.stat()
    except OSError as exc:
        raise ConfigError(file, "", _os_problem(exc), fix) from None
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError(file, "", "is a folder, not a file", fix)
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(file, "", f"not a regular file ({_kind(info.st_mode)})", fix)
    if info.st_size > limit:
        raise ConfigError(
            file,
            "",
            f"the file is {info.st_size / MiB:.1f} MiB, over the {limit // MiB} MiB limit",
            "split it into smaller files",
        )
    if not os.access(path, os.R_OK):
        raise ConfigError(file, "", "cannot read it (permission denied)", "check its permissions")
    return info.st_size


def _os_problem(exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return "no such file"
    if exc.errno == errno.ELOOP:
        return "a loop of symbolic links"
    if exc.errno == errno.EACCES:
        return "cannot read it (permission denied)"
    if exc.errno == errno.ENOTDIR:
        return "no such file (a part of the path is not a folder)"
    return f"cannot read it ({exc.strerror or exc})"


def read_text(path: Path, *, fix: str = "give a file", limit: int = MAX_FILE_BYTES) -> str:
    """The file's text; ConfigError when it is not a regular UTF-8 file under `limit` bytes."""
    check_file(path, fix=fix, limit=limit)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), "", _os_problem(exc), fix) from None
    return decode(data, str(path))


def decode(data: bytes, file: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            file, "", not_utf8(exc.start, data[exc.start]), "save it as UTF-8 text"
        ) from None


def not_utf8(offset: int, byte: int | None = None) -> str:
    shown = f"byte 0x{byte:02x}" if byte is not None else "a byte"
    return f"not UTF-8 text ({shown} at offset {offset}: a binary file?)"


def yaml_problem(exc: yaml.YAMLError) -> tuple[str, str]:
    """(where, problem) on one line: PyYAML's own text spans lines and quotes the stream."""
    if isinstance(exc, yaml.reader.ReaderError):
        byte = exc.character if isinstance(exc.character, int) else None
        if exc.encoding or "UTF-8" in str(exc.reason) or "octet" in str(exc.reason):
            return "", not_utf8(exc.position, byte)
        return "", f"not text (character #x{exc.character:04x} at offset {exc.position})"
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if "nesting depth" in problem:
        problem = "nested too deeply"
    return where, f"not valid YAML: {' '.join(str(problem).split())}"


def parse_yaml(text: str, file: str, *, fix: str = "fix the YAML syntax there") -> Any:
    """One YAML document (None when empty); ConfigError naming the line when it is not YAML."""
    try:
        return yaml.load(text, Loader=SafeLoader)  # a safe loader, C or Python
    except yaml.YAMLError as exc:
        raise ConfigError(file, *yaml_problem(exc), fix) from None
    except RecursionError:
        raise ConfigError(file, "", "not valid YAML: nested too deeply", fix) from None


def parse_json(text: str, file: str, *, fix: str = "fix the JSON syntax there") -> Any:
    """One JSON document; ConfigError naming the line when it is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(file, f"line {exc.lineno}", f"not valid JSON: {exc.msg}", fix) from None
    except RecursionError:
        raise ConfigError(file, "", "not valid JSON: nested too deeply", fix) from None
