"""The `reports/<run-id>/` folder: report.json, report.html, summary.md, junit.xml, the raw
Locust statistics and the Chaos Toolkit journal; `reports/latest` points at the newest run."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from harness.errors import BadInput
from harness.report.evidence import redact
from harness.report.html import render_html
from harness.report.junit import render_junit
from harness.report.markdown import render_markdown
from harness.report.model import SCHEMA_VERSION, Report
from harness.userfiles import MiB, parse_json, read_text

REPORT_LIMIT_BYTES = 256 * MiB

LATEST = "latest"
LOCUST_SUFFIXES = (
    *("_stats.csv", "_stats_history.csv", "_failures.csv", "_exceptions.csv"),
    "_latency.jsonl",  # the per-second latency histograms the client SLIs were judged on
)


@dataclass(frozen=True)
class RunFiles:
    folder: Path
    json: Path
    html: Path
    markdown: Path
    junit: Path


def new_run_id(scenario: str, reports_dir: Path, now: float | None = None) -> str:
    """`20261125T170000Z-smoke`, with `-2`, `-3`... when that second is already taken."""
    stamp = datetime.fromtimestamp(now if now is not None else time.time(), UTC)
    base = f"{stamp:%Y%m%dT%H%M%SZ}-{scenario}"
    run_id, n = base, 1
    while (reports_dir / run_id).exists():
        n += 1
        run_id = f"{base}-{n}"
    return run_id


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def render_views(report: Report, folder: Path) -> tuple[Path, Path]:
    """(Re)write report.html and summary.md next to report.json."""
    html, md = folder / "report.html", folder / "summary.md"
    _atomic_write(html, render_html(report))
    _atomic_write(md, render_markdown(report))
    return html, md


def point_latest(reports_dir: Path, folder: Path) -> None:
    """Atomically repoint `reports/latest` (a relative symlink) at `folder`."""
    link = reports_dir / LATEST
    tmp = reports_dir / f".{LATEST}.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(folder.name, target_is_directory=True)
    os.replace(tmp, link)


def write_report(
    report: Report,
    reports_dir: Path,
    *,
    locust_prefix: Path | None = None,
    journal: Mapping[str, Any] | None = None,
    secrets: Iterable[str] = (),
    latest: bool = True,
) -> tuple[Report, RunFiles]:
    """Write every artifact of one run into `reports_dir/<run_id>/`, redacted.

    Returns the report as written (secrets masked) and where each file went.
    """
    secrets = list(secrets)
    folder = reports_dir / report.run_id
    folder.mkdir(parents=True, exist_ok=True)
    files = dict(report.files)
    if locust_prefix is not None:
        (folder / "locust").mkdir(exist_ok=True)
        for suffix in LOCUST_SUFFIXES:
            source = Path(f"{locust_prefix}{suffix}")
            if source.is_file():
                target = folder / "locust" / f"locust{suffix}"
                text = source.read_text(encoding="utf-8", errors="replace")
                _atomic_write(target, redact(text, secrets))
                files[f"locust{suffix.removesuffix('.csv')}"] = f"locust/{target.name}"
    if journal is not None:
        _atomic_write(
            folder / "journal.json",
            json.dumps(redact(dict(journal), secrets), indent=2, default=str),
        )
        files["journal"] = "journal.json"
    files.update(
        {
            "report": "report.json",
            "html": "report.html",
            "summary": "summary.md",
            "junit": "junit.xml",
        }
    )
    data = json.loads(report.model_copy(update={"files": files}).model_dump_json())
    clean = Report.model_validate(redact(data, secrets))
    _atomic_write(folder / "report.json", clean.model_dump_json(indent=2) + "\n")
    html, md = render_views(clean, folder)
    junit = folder / "junit.xml"
    _atomic_write(junit, render_junit(clean))
    if latest:
        point_latest(reports_dir, folder)
    return clean, RunFiles(folder, folder / "report.json", html, md, junit)


def read_report(path: Path) -> Report:
    """Load report.json (or the folder holding it); BadInput with one line when unusable."""
    if path.is_dir():
        path = path / "report.json"
    fix = "pass reports/<run-id>/report.json or its folder"
    # reports carry their chart series: a larger limit than for files people write
    text = read_text(path, fix=fix, limit=REPORT_LIMIT_BYTES)
    data = parse_json(text, str(path), fix="pass a report.json")
    if not isinstance(data, dict) or data.get("kind") != "harness-report":
        raise BadInput(f"{path}: not a harness report (pass reports/<run-id>/report.json)")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise BadInput(
            f"{path}: schema_version: {version!r} is not supported "
            f"(this harness reads version {SCHEMA_VERSION}; use a matching harness)"
        )
    try:
        return Report.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in err["loc"])
        raise BadInput(
            f"{path}: {where}: {err['msg']} (the report was edited or is "
            "truncated; regenerate it with `harness run`)"
        ) from None
