"""The state folder of the local target: one place for token, run files, logs and data.

<state>/admin.token           bearer token of the admin API (0600)
<state>/controller.json       the running controller: pid, ports (removed on clean exit)
<state>/controller.error.json why the controller could not start (read by `harness up`)
<state>/run/children.json     process groups of the controller's children (stale cleanup)
<state>/run/forkserver.sock     the fork server's socket (the controller is its only client)
<state>/logs/                 controller.log, prometheus.log, mesh.log, forkserver.log,
                              pods/<pod>.log (kept on down)
<state>/data/<service>/       DATA_DIR of a service, shared by its replicas
<state>/prometheus/           Prometheus' data; prometheus.yml next to it
<state>/secrets/<name>/<key>  generated Secret values (0600 files, 0700 folders)
"""

from __future__ import annotations

import json
import os
import secrets
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.process import group_alive, pid_alive, signal_group

DEFAULT_STATE_DIR = ".harness"


def resolve_state_dir(option: str | Path | None) -> Path:
    """`--state-dir`, else `HARNESS_STATE_DIR`, else `.harness/` in the working directory."""
    raw = option or os.environ.get("HARNESS_STATE_DIR") or DEFAULT_STATE_DIR
    return Path(raw).expanduser().resolve()


@dataclass(frozen=True)
class StateDir:
    root: Path

    @property
    def token_file(self) -> Path:
        return self.root / "admin.token"

    @property
    def controller_file(self) -> Path:
        return self.root / "controller.json"

    @property
    def error_file(self) -> Path:
        return self.root / "controller.error.json"

    @property
    def children_file(self) -> Path:
        return self.root / "run" / "children.json"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def pod_log(self, pod: str) -> Path:
        return self.logs / "pods" / f"{pod}.log"

    def data_dir(self, service: str) -> Path:
        return self.root / "data" / service

    def ensure(self) -> None:
        for folder in (self.root, self.logs / "pods", self.root / "run", self.root / "data"):
            folder.mkdir(parents=True, exist_ok=True)
        # the services' databases (emails, password hashes) live below: owner only
        os.chmod(self.root / "data", 0o700)
        ignore = self.root / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n")  # a state folder inside a project never gets committed

    def token(self, *, create: bool = False) -> str:
        """The admin token; a new random one is written (0600) when `create` and none exists."""
        if self.token_file.is_file():
            return self.token_file.read_text().strip()
        if not create:
            return ""
        value = secrets.token_urlsafe(32)
        fd = os.open(self.token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(value)  # no newline: Prometheus 2.42 sends credentials_file verbatim
        return value

    def read_json(self, path: Path) -> dict[str, Any] | None:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def write_json(self, path: Path, data: dict[str, Any]) -> None:
        """Atomic write: readers never see half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        os.replace(tmp, path)

    def controller(self) -> dict[str, Any] | None:
        """The controller record when its process is alive and really ours, else None."""
        data = self.read_json(self.controller_file)
        if data is None:
            return None
        pid = int(data.get("pid", 0))
        if pid <= 0 or not pid_alive(pid) or not _is_controller(pid, self.root):
            return None
        return data

    def clear_stale(self) -> list[int]:
        """After a crash: kill children the death signal missed, drop run files. Returns pgids."""
        killed = []
        record = self.read_json(self.children_file) or {}
        for pgid in record.get("pgids", []):
            if isinstance(pgid, int) and pgid > 1 and group_alive(pgid) and _in_state(pgid, self):
                signal_group(pgid, signal.SIGKILL)
                killed.append(pgid)
        for path in (self.controller_file, self.children_file):
            path.unlink(missing_ok=True)
        return killed


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _is_controller(pid: int, root: Path) -> bool:
    argv = _cmdline(pid)
    return "harness.cluster.local.daemon" in argv and str(root) in argv


def _in_state(pgid: int, state: StateDir) -> bool:
    """Only kill a leftover group whose leader was started for this state folder."""
    try:
        environ = Path(f"/proc/{pgid}/environ").read_bytes()
    except OSError:
        # the leader is gone; members may remain. Match on any member's marker instead.
        return _group_has_marker(pgid, state)
    return f"HARNESS_STATE_DIR={state.root}".encode() in environ.split(b"\0")


def _group_has_marker(pgid: int, state: StateDir) -> bool:
    marker = f"HARNESS_STATE_DIR={state.root}".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().split(")", 1)[1].split()
            if fields[2] != str(pgid):
                continue
            if marker in Path(f"/proc/{entry}/environ").read_bytes().split(b"\0"):
                return True
        except (OSError, IndexError):
            continue
    return False
