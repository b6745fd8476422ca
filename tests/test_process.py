"""Children started through harness.process die with their group and with their parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from harness.errors import PortInUse
from harness.process import (
    free_port,
    group_alive,
    pid_alive,
    require_free,
    spawn,
    stop,
)


def test_stop_kills_the_whole_group_even_when_term_is_ignored(tmp_path):
    """A child that ignores TERM and has a grandchild is gone after stop()."""
    script = (
        "import signal, subprocess, sys, time;"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
        "time.sleep(60)"
    )
    proc = spawn([sys.executable, "-c", script], log_path=tmp_path / "child.log")
    time.sleep(0.5)
    assert group_alive(proc.pid)
    stop(proc, grace=0.5)
    assert not group_alive(proc.pid)
    assert proc.returncode == -signal.SIGKILL


def test_child_dies_when_its_parent_is_sigkilled(tmp_path):
    """The death signal takes a grandchild down when the middle process is SIGKILLed."""
    pidfile = tmp_path / "grandchild.pid"
    parent_code = (
        "import sys, time;"
        "from harness.process import spawn;"
        f"p = spawn([sys.executable, '-c', 'import time; time.sleep(60)']);"
        f"open({str(pidfile)!r}, 'w').write(str(p.pid));"
        "time.sleep(60)"
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code], cwd=os.getcwd())
    deadline = time.monotonic() + 10
    while not pidfile.exists() or not pidfile.read_text():
        assert time.monotonic() < deadline, "grandchild never started"
        time.sleep(0.05)
    grandchild = int(pidfile.read_text())
    assert pid_alive(grandchild)
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 5
    while pid_alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(grandchild)


def test_port_in_use_names_the_port_and_the_setting():
    import socket

    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        with pytest.raises(PortInUse) as err:
            require_free(port, "--gateway-port")
    assert str(port) in str(err.value)
    assert "--gateway-port" in str(err.value)
