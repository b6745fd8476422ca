"""The fork server: a warm interpreter that imports the heavy common modules once, then forks.

Each sample-service replica used to spend most of its start-up CPU importing FastAPI,
SQLAlchemy, pydantic and uvicorn; nine replicas on two cores made `harness up` CPU-bound. The
controller starts this program once (`python -m harness.cluster.local.forkserver --socket PATH`):
it binds its socket, imports `PRELOAD`, and then serves one client, the controller, over
newline-delimited JSON:

    -> {"id": N, "argv": [...], "env": {...}, "cwd": "...", "log": "..."}
    <- {"id": N, "pid": P}  or  {"id": N, "error": "..."}
    <- {"exit": P, "code": C}       C like `Popen.returncode` (negative: killed by that signal)

Every request is one fork. The child becomes the pod exactly as `harness.process.spawn` would
start it: its own session and process group, a death signal tied to this fork server (which has
one tied to the controller), stdin from /dev/null, stdout and stderr appended to the pod log,
the pod's working directory and nothing but the pod's environment. Then a `{python} -m MODULE
ARGS` command runs in place through `runpy`, with `sys.path` and `sys.argv` as that command
would have them; any other command, or one the warm interpreter cannot stand in for (see
`startup_reason`), is `exec`ed, so the same pid becomes a fresh process.

Standard library only, single-threaded (forking is only safe without other threads), and
nothing environment-dependent is created here: settings, engines, registries and event loops
all belong to the pod and are made after the fork.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import importlib
import importlib.machinery
import importlib.util
import json
import os
import runpy
import selectors
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

# The common stack of the sample services (measured with `python -X importtime`: about 0.5 s
# of CPU per process). Names that are not installed are skipped.
PRELOAD = (
    "fastapi",
    "fastapi.routing",
    "fastapi.responses",
    "starlette.middleware.base",
    "pydantic",
    "sqlalchemy",
    "sqlalchemy.ext.asyncio",
    "sqlalchemy.dialects.sqlite.aiosqlite",
    "aiosqlite",
    "httpx",
    "prometheus_client",
    "argon2",
    "uvicorn",
    "uvicorn.main",
    "uvicorn.loops.uvloop",
    "uvicorn.protocols.http.httptools_impl",
    "uvicorn.lifespan.on",
)

# What a pod (and so this fork server) inherits from the machine: enough to find programs and a
# locale, nothing that could silently redirect a service (a stray DATABASE_URL in the shell).
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "VIRTUAL_ENV", "SYSTEMROOT")

# Read by the interpreter at start-up or by preloaded modules at import time: a pod whose value
# differs from the fork server's gets a fresh interpreter instead of a fork.
_STARTUP_PREFIXES = ("PYTHON", "LC_", "PROMETHEUS_", "OTEL_")
_STARTUP_NAMES = ("LANG", "prometheus_multiproc_dir")

_PR_SET_NAME = 15
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Request:
    id: int
    argv: tuple[str, ...]
    env: dict[str, str]
    cwd: str
    log: str

    @classmethod
    def parse(cls, line: bytes) -> Request:
        raw = json.loads(line)
        return cls(
            id=int(raw["id"]),
            argv=tuple(str(a) for a in raw["argv"]),
            env={str(k): str(v) for k, v in raw["env"].items()},
            cwd=str(raw["cwd"]),
            log=str(raw["log"]),
        )


def startup_variable(name: str) -> bool:
    if name == "PYTHONPATH":
        return False  # applied to sys.path in the child
    return name.startswith(_STARTUP_PREFIXES) or name in _STARTUP_NAMES


def module_of(argv: tuple[str, ...], python: str) -> str | None:
    """`MODULE` when argv is exactly `python -m MODULE ...` for this very interpreter."""
    if len(argv) >= 3 and argv[0] == python and argv[1] == "-m" and argv[2]:
        return argv[2]
    return None


# ---- the fork server ---------------------------------------------------------------------------


class Server:
    """The parent side: accept the controller, fork on request, reap and report exits."""

    def __init__(self, listener: socket.socket, base_path: list[str]) -> None:
        self.listener = listener
        self.base_path = base_path
        self.env = dict(os.environ)
        self.pid = os.getpid()
        self.conn: socket.socket | None = None
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)

    def serve(self) -> Request | None:
        """Loop until the controller goes away (None); in a forked child, return its request."""
        conn, _ = self.listener.accept()
        self.listener.close()
        self.conn = conn
        signal.set_wakeup_fd(self._wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        sel = selectors.DefaultSelector()
        sel.register(conn, selectors.EVENT_READ)
        sel.register(self._wake_r, selectors.EVENT_READ)
        buffer = b""
        while True:
            for key, _ in sel.select():
                if key.fileobj is not conn:
                    with contextlib.suppress(BlockingIOError):
                        os.read(self._wake_r, 4096)
                    self._reap()
                    continue
                data = conn.recv(65536)
                if not data:
                    return None  # the controller is gone; our death signal kills the pods
                buffer += data
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    request = Request.parse(line)
                    if self._fork(request):
                        sel.close()
                        return request

    def _fork(self, request: Request) -> bool:
        """Fork one pod; True in the child."""
        for stream in (sys.stdout, sys.stderr):
            stream.flush()  # nothing buffered here may be written twice
        settled_r, settled_w = os.pipe2(os.O_CLOEXEC)
        try:
            pid = os.fork()
        except OSError as exc:
            os.close(settled_r)
            os.close(settled_w)
            self._send({"id": request.id, "error": f"fork failed: {exc}"})
            return False
        if pid == 0:
            os.close(settled_r)
            self._become_child(settled_w)
            return True
        # Answer only once the child leads its own process group: the controller signals the
        # group (pgid = pid) and must never find it missing.
        os.close(settled_w)
        os.read(settled_r, 1)  # EOF: the child closed its end (or died)
        os.close(settled_r)
        self._send({"id": request.id, "pid": pid})
        return False

    def _become_child(self, settled: int) -> None:
        """Own session and group, death signal; drop what belongs to the fork server."""
        os.setsid()
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != self.pid:
            os._exit(137)  # the fork server died between fork and prctl: so must we
        os.close(settled)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        assert self.conn is not None
        self.conn.close()
        os.close(self._wake_r)
        os.close(self._wake_w)

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self._send({"exit": pid, "code": os.waitstatus_to_exitcode(status)})

    def _send(self, message: dict[str, Any]) -> None:
        assert self.conn is not None
        with contextlib.suppress(OSError):  # the controller is gone: we exit on the next read
            self.conn.sendall(json.dumps(message).encode() + b"\n")


# ---- the child ------------------------------------------------------------------------------


def become_pod(request: Request) -> None:
    """In the forked child (already its own session): the stdio `harness.process.spawn` gives."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    try:
        os.makedirs(os.path.dirname(request.log) or ".", exist_ok=True)
        log = os.open(request.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError:
        log = os.open(os.devnull, os.O_WRONLY)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)


def run_pod(request: Request, *, server_env: dict[str, str], base_path: list[str]) -> None:
    """Run the pod's command in this process: in place for `python -m`, else by exec."""
    try:
        os.chdir(request.cwd)
    except OSError as exc:
        print(f"harness: cannot enter {request.cwd}: {exc}", file=sys.stderr, flush=True)
        os._exit(127)
    os.environ.clear()
    os.environ.update(request.env)
    time.tzset()  # TZ as the pod's environment says, like a fresh interpreter
    module = module_of(request.argv, sys.executable)
    for name in [m for m in sys.modules if m == "harness" or m.startswith("harness.")]:
        del sys.modules[name]  # the fork server's own code: the pod imports its own copy if any
    path = child_path(request.cwd, request.env.get("PYTHONPATH", ""), base_path)
    reason = None if module is None else startup_reason(request.env, server_env, path)
    if reason is not None:  # say why this `python -m` pod pays for a fresh interpreter
        print(f"--- harness: fresh interpreter: {reason}", file=sys.stderr, flush=True)
    if module is None or reason is not None:
        _exec(request)  # does not return
    assert module is not None
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None)
        libc.prctl(_PR_SET_NAME, module.encode()[:15], 0, 0, 0)  # what `ps -o comm` shows
    sys.path[:] = path
    sys.argv[:] = [request.argv[0], *request.argv[3:]]  # runpy sets argv[0] to the file
    if importlib.util.find_spec(module) is None:
        print(f"{sys.executable}: No module named {module}", file=sys.stderr, flush=True)
        raise SystemExit(1)
    runpy.run_module(module, run_name="__main__", alter_sys=True)


def child_path(cwd: str, pythonpath: str, base_path: list[str]) -> list[str]:
    """`sys.path` of a fresh `python -m` started in `cwd` with this PYTHONPATH."""
    extra = [os.path.abspath(os.path.join(cwd, p)) for p in pythonpath.split(os.pathsep) if p]
    out: list[str] = []
    for entry in [os.path.abspath(cwd), *extra, *base_path]:
        if entry not in out:
            out.append(entry)
    return out


def startup_reason(env: dict[str, str], server_env: dict[str, str], path: list[str]) -> str | None:
    """Why the warm interpreter cannot stand in for a fresh one for this pod (None: it can)."""
    for name in sorted(set(env) | set(server_env)):
        if startup_variable(name) and env.get(name) != server_env.get(name):
            return f"{name} differs from the fork server's"
    # A module imported here must be the one the pod's own sys.path would find first.
    for name in sorted({m.split(".")[0] for m in sys.modules}):
        loaded = sys.modules.get(name)
        origin = getattr(getattr(loaded, "__spec__", None), "origin", None)
        if loaded is None or origin in (None, "built-in", "frozen") or name == "__main__":
            continue
        found = importlib.machinery.PathFinder.find_spec(name, path)
        if found is not None and found.origin != origin:
            return f"{name} resolves to {found.origin} on the pod's path, not {origin}"
    return None


def _exec(request: Request) -> None:
    try:
        os.execvpe(request.argv[0], list(request.argv), request.env)
    except OSError as exc:
        print(f"harness: cannot start {request.argv[0]}: {exc}", file=sys.stderr, flush=True)
        os._exit(127)


# ---- entry ----------------------------------------------------------------------------------


def preload(modules: tuple[str, ...]) -> list[str]:
    """Import what the pods share; returns the names that could not be imported."""
    missing = []
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:
            missing.append(name)
    return missing


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m harness.cluster.local.forkserver")
    p.add_argument("--socket", required=True, help="Unix socket path to serve the controller")
    p.add_argument("--preload", default=",".join(PRELOAD), help="comma-separated modules")
    a = p.parse_args(argv)
    # sys.path as a fresh `python -m` would have it, without our cwd and PYTHONPATH entries
    ours = {os.path.abspath(x) for x in os.environ.get("PYTHONPATH", "").split(os.pathsep) if x}
    base = [x for x in sys.path[1:] if os.path.abspath(x) not in ours]
    old = os.umask(0o077)  # only this user may ask for forks
    try:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(a.socket)
        listener.bind(a.socket)
        listener.listen(1)
    finally:
        os.umask(old)
    started = time.monotonic()
    missing = preload(tuple(m for m in a.preload.split(",") if m))
    # The preloaded objects live as long as any pod: keep them out of the pods' collections
    # (less work per collection, and no copy-on-write of pages the collector would touch).
    gc.collect()
    gc.freeze()
    print(
        f"fork server ready in {time.monotonic() - started:.2f}s"
        + (f" (not preloaded: {', '.join(missing)})" if missing else ""),
        file=sys.stderr,
        flush=True,
    )
    if threading.active_count() != 1:
        # forking with other threads alive can deadlock the child: refuse, the controller
        # then spawns every pod the ordinary way
        print("fork server: a preloaded module started a thread; exiting", file=sys.stderr)
        return 3
    server = Server(listener, base)
    try:
        request = server.serve()
    finally:
        if os.getpid() == server.pid:
            with contextlib.suppress(OSError):
                os.unlink(a.socket)
    if request is None:
        return 0
    become_pod(request)
    run_pod(request, server_env=server.env, base_path=base)
    return 0


if __name__ == "__main__":
    sys.exit(main())
