"""Children started through harness.process die with their group and with their parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

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
from tests.waiting import eventually


@pytest.mark.integration
def test_stop_kills_the_whole_group_even_when_term_is_ignored(tmp_path):
    """A child that ignores TERM and has a grandchild is gone after stop()."""
    started = tmp_path / "grandchild-started"
    script = (
        "import signal, subprocess, sys, time;"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
        f"open({str(started)!r}, 'w').close();"
        "time.sleep(60)"
    )
    proc = spawn([sys.executable, "-c", script], log_path=tmp_path / "child.log")
    eventually(started.exists, timeout=10, message="the child never started its grandchild")
    assert group_alive(proc.pid)
    stop(proc, grace=0.5)
    assert not group_alive(proc.pid)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.integration
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
    try:
        text = eventually(
            lambda: pidfile.exists() and pidfile.read_text(),
            timeout=10,
            message="grandchild never started",
        )
        grandchild = int(text)
        assert pid_alive(grandchild)
    finally:
        parent.kill()
        parent.wait()
    eventually(lambda: not pid_alive(grandchild), timeout=5, message="the grandchild outlived it")


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
