"""A real Prometheus serving deterministic data: OpenMetrics text imported with promtool.

Shared by the analysis replay tests and the SLO tests; each builds its own data and wraps the
URL in what it needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from harness.process import free_port, spawn, stop
from tests.waiting import eventually


def _run(argv: list[str], log: Path, timeout: float = 60) -> None:
    proc = spawn(argv, log_path=log)
    try:
        proc.wait(timeout=timeout)
    finally:
        stop(proc)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed: {log.read_text(errors='replace')[-2000:]}")


@contextmanager
def serve_openmetrics(workdir: Path, text: str, *, scrape_interval: str = "15s") -> Iterator[str]:
    """Import `text` into a fresh TSDB under `workdir`, serve it, yield the server's URL."""
    data, tsdb = workdir / "data.om", workdir / "tsdb"
    data.write_text(text, encoding="utf-8")
    _run(["promtool", "tsdb", "create-blocks-from", "openmetrics", str(data), str(tsdb)],
         workdir / "promtool.log")  # fmt: skip
    config = workdir / "prometheus.yml"
    config.write_text(f"global:\n  scrape_interval: {scrape_interval}\n", encoding="utf-8")
    port = free_port()
    proc = spawn(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={tsdb}",
            "--storage.tsdb.retention.time=30d",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        log_path=workdir / "prometheus.log",
    )
    url = f"http://127.0.0.1:{port}"

    def log() -> str:
        return (workdir / "prometheus.log").read_text(errors="replace")[-2000:]

    def ready() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"prometheus exited: {log()}")
        return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200

    try:
        eventually(
            ready,
            timeout=30,
            ignoring=(httpx.HTTPError,),
            message=lambda: f"prometheus did not become ready: {log()}",
        )
        yield url
    finally:
        stop(proc)
