"""The run watches its own infrastructure: a thread that notices when a harness part breaks.

Every PERIOD seconds, for the whole run:

* local target: the controller's status (`GET /api/v1/status`): its numbered event log (the
  mesh, with the gateway it serves, Prometheus and the fork server: deaths and restarts, with
  the controller's own timestamps) and every part's pid, so that a restart the log missed is
  still seen. A controller that is gone (its pid dead, or its API silent for DEAD_AFTER
  seconds) is fatal: the run stops at once, rollbacks run, the verdict is "could not judge".
* both targets: the load generator (Locust's process) and the fault ledger (readable JSON).
  A load generator that exits is fatal too: nothing is measured any more.

The events land in the report (`infra`); `harness.slo.infra.breakages` decides which of them
spoil the verdict (those inside a judged window).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import CouldNotRun, HarnessError
from harness.process import pid_alive  # a zombie (a run that started the stack holds one) is dead
from harness.slo.infra import InfraEvent, Part, describe

if TYPE_CHECKING:
    from harness.cluster.local.client import AdminClient
    from harness.load import LoadRun
    from harness.run.state import RunState

PERIOD = 0.5
DEAD_AFTER = 2.0  # seconds of silence from a live controller before it counts as gone
READY_WAIT = 15.0  # a part still starting (Prometheus after a restart) may take this long

_PARTS = {  # the controller's names -> ours
    "mesh": Part.MESH,
    "gateway": Part.GATEWAY,
    "prometheus": Part.PROMETHEUS,
    "fork-server": Part.FORK_SERVER,
    "forkServer": Part.FORK_SERVER,
}
# parts whose absence does not stop a run: without the fork server pods are spawned
_OPTIONAL = {"forkServer"}


def parts_down(status: dict[str, Any]) -> list[str]:
    """`name (why)` for every part the run needs that is not ready in `status` (pure)."""
    down = []
    for name, part in sorted((status.get("parts") or {}).items()):
        if name in _OPTIONAL or part.get("ready"):
            continue
        why = "not running" if part.get("pid") is None else "not ready"
        down.append(f"{name} ({why}, {part.get('restarts', 0)} restart(s))")
    return down


def check_parts(state: Path, *, within: float = READY_WAIT) -> None:
    """Before any load or fault: every part of the stack is up, else one clear CouldNotRun."""
    from harness.cluster.local.client import AdminClient

    deadline = time.monotonic() + within
    with AdminClient.from_state(state, timeout=2.0) as client:
        while True:
            down = parts_down(client.status())
            if not down or time.monotonic() > deadline:
                break
            time.sleep(0.25)
    if down:
        raise CouldNotRun(
            f"the stack in {state} is not healthy: {', '.join(down)}; nothing was started "
            f"(`harness status` shows every part, `harness logs <part>` why; "
            "`harness down` then `harness up` restarts it)"
        )


class InfraWatch(threading.Thread):
    """Collects `InfraEvent`s; calls `on_fatal(reason)` once when the run cannot go on."""

    def __init__(
        self,
        run: RunState,
        load: LoadRun | None,
        *,
        on_fatal: Callable[[str], None],
        period: float = PERIOD,
    ) -> None:
        super().__init__(name="harness-run-infra", daemon=True)
        self.run_ = run
        self.load = load
        self.on_fatal = on_fatal
        self.period = period
        self.stop = threading.Event()
        self.events: list[InfraEvent] = []
        self._lock = threading.Lock()
        self._client: AdminClient | None = None
        self._controller: int | None = None
        self._seq = 0
        self._pids: dict[str, int | None] = {}
        self._silent_since: float | None = None
        self._fatal = False
        self._ledger_bad = False
        handle = run.handle
        if handle is not None and handle.target == "local":
            from harness.cluster.local.client import AdminClient

            self._client = AdminClient.from_state(handle.state, timeout=1.0)
            status = self._client.status()  # the baseline: what was there before the load
            self._controller = int(status["pid"])
            self._seq = int(status.get("eventSeq", 0))
            self._pids = {k: v.get("pid") for k, v in (status.get("parts") or {}).items()}

    def snapshot(self) -> list[InfraEvent]:
        with self._lock:
            return list(self.events)

    def run(self) -> None:
        try:
            while not self.stop.wait(self.period):
                try:
                    self.tick()
                except Exception as exc:  # the watch must never take the run down itself
                    self.run_.printer.say(f"infra watch: {type(exc).__name__}: {exc}")
        finally:
            if self._client is not None:
                self._client.close()

    def _add(self, part: Part, what: str, *, at: float | None = None, fatal: bool = False) -> None:
        event = InfraEvent(part=part, at=time.time() if at is None else at, what=what, fatal=fatal)
        with self._lock:
            self.events.append(event)
        windows = self.run_.timeline.so_far(time.time())
        self.run_.printer.say(f"harness part: {describe(event, windows)}")
        if fatal and not self._fatal:
            self._fatal = True
            self.on_fatal(f"{describe(event, windows)}: a part the harness provides")

    def tick(self) -> None:
        if self._fatal:
            return
        if self._client is not None:
            self._controller_tick()
        if self.load is not None and not self.load.running and not self.stop.is_set():
            self._add(Part.LOAD, "exited (see locust.log)", fatal=True)
            return
        self._ledger_tick()

    def _controller_tick(self) -> None:
        assert self._client is not None and self._controller is not None
        now = time.time()
        try:
            status = self._client.status()
        except HarnessError:
            if not pid_alive(self._controller):
                self._add(Part.CONTROLLER, f"died (pid {self._controller})", fatal=True)
                return
            self._silent_since = self._silent_since or now
            if now - self._silent_since >= DEAD_AFTER:
                self._add(
                    Part.CONTROLLER,
                    f"stopped answering (pid {self._controller}, {DEAD_AFTER:g}s)",
                    at=self._silent_since,
                    fatal=True,
                )
            return
        self._silent_since = None
        if int(status["pid"]) != self._controller:
            self._add(Part.CONTROLLER, f"was replaced (pid {self._controller} -> {status['pid']})")
            self._controller = int(status["pid"])
        seen: set[str] = set()
        for entry in status.get("events") or []:
            if int(entry["seq"]) <= self._seq:
                continue
            self._seq = int(entry["seq"])
            part = _PARTS.get(str(entry["part"]))
            if part is not None:
                seen.add(part.value)
                self._add(part, str(entry["what"]), at=float(entry["at"]))
        self._seq = max(self._seq, int(status.get("eventSeq", 0)))
        for name, info in (status.get("parts") or {}).items():
            pid, before = info.get("pid"), self._pids.get(name)
            self._pids[name] = pid
            part = _PARTS.get(name)
            if part is None or part.value in seen or pid == before or None in (pid, before):
                continue  # logged already, unchanged, or down or back up (its exit was logged)
            if name == "gateway" and "mesh" in seen:
                continue
            self._add(part, f"restarted (pid {before} -> {pid})")

    def _ledger_tick(self) -> None:
        handle = self.run_.handle
        if handle is None:
            return
        name = "ledger.json" if handle.target == "local" else f"ledger-{handle.target}.json"
        path = self.run_.state / "chaos" / name
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return  # no fault recorded yet
        except (OSError, ValueError) as exc:
            if not self._ledger_bad:
                self._ledger_bad = True
                self._add(Part.LEDGER, f"became unreadable ({exc})", fatal=True)
            return
        self._ledger_bad = False


__all__ = ["InfraWatch", "check_parts", "parts_down"]
