"""The pods' CPU and memory under the names the kubelet's cAdvisor exports on a cluster.

On a cluster the HPA's resource metrics come from the kubelet (cAdvisor reads the container's
cgroup); dashboards and prometheus-adapter read `container_cpu_usage_seconds_total` and
`container_memory_working_set_bytes` {namespace, pod, container}. Locally a container is the
pod's process group (pgid = the pod's pid, `harness.process.spawn`), so:

* CPU: user + system time of every process of the group, plus what their reaped children
  used (`/proc/<pid>/stat` utime, stime, cutime, cstime), in seconds; a counter that restarts
  with the container, as cAdvisor's does;
* memory: the resident set of every process of the group (`/proc/<pid>/statm`), which is what
  a container cgroup charges for a process that owns its pages. An in-place pod shares pages
  with the fork server copy-on-write; RSS counts them, as the container that would have loaded
  them itself on a cluster.

The group's members are found from the leader down (`/proc/<pid>/task/<tid>/children`), so a
scrape reads a few small files per pod and never walks `/proc`. Served at the admin API's
`/metrics/cadvisor`, scraped as job `kubelet` (the job name kube-prometheus gives it).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ContainerRef", "Usage", "read_usage", "render"]

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")
_PROC = Path("/proc")


@dataclass(frozen=True)
class ContainerRef:
    namespace: str
    pod: str
    container: str
    image: str
    pgid: int | None  # None: no process right now (pending, crash-loop back-off)


@dataclass(frozen=True)
class Usage:
    cpu_seconds: float
    memory_bytes: int


def _stat(pid: int) -> tuple[int, float, int] | None:
    """(pgrp, cpu seconds incl. reaped children, rss bytes) of one process, None if gone."""
    try:
        raw = (_PROC / str(pid) / "stat").read_text()
        statm = (_PROC / str(pid) / "statm").read_text()
    except OSError:
        return None
    # the command name may hold spaces and parentheses: fields start after the last ')'
    fields = raw[raw.rindex(")") + 2 :].split()
    pgrp = int(fields[2])
    ticks = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    rss = int(statm.split()[1]) * _PAGE
    return pgrp, ticks / _TICKS, rss


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tasks = os.listdir(_PROC / str(pid) / "task")
    except OSError:
        return out
    for tid in tasks:
        try:
            text = (_PROC / str(pid) / "task" / tid / "children").read_text()
        except OSError:
            continue
        out.extend(int(x) for x in text.split())
    return out


def read_usage(pgid: int) -> Usage | None:
    """The summed usage of process group `pgid` (its leader and descendants in the group)."""
    leader = _stat(pgid)
    if leader is None:
        return None
    cpu, rss = leader[1], leader[2]
    todo, seen = _children(pgid), {pgid}
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        info = _stat(pid)
        if info is None or info[0] != pgid:
            continue  # gone, or moved to its own group (then it is not this container's)
        cpu, rss = cpu + info[1], rss + info[2]
        todo.extend(_children(pid))
    return Usage(cpu, rss)


_HELP = {
    "container_cpu_usage_seconds_total": (
        "counter",
        "Cumulative cpu time consumed by the container in core-seconds",
    ),
    "container_memory_working_set_bytes": (
        "gauge",
        "Current working set of the container in bytes",
    ),
}


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def render(containers: Iterable[tuple[ContainerRef, Usage]]) -> str:
    """Prometheus text for these containers (pure: the usage is read by the caller)."""
    rows: dict[str, list[str]] = {name: [] for name in _HELP}
    for ref, usage in sorted(containers, key=lambda x: (x[0].namespace, x[0].pod)):
        labels = ",".join(
            f'{k}="{_escape(v)}"'
            for k, v in (
                ("namespace", ref.namespace),
                ("pod", ref.pod),
                ("container", ref.container),
                ("image", ref.image),
            )
        )
        rows["container_cpu_usage_seconds_total"].append(
            f"container_cpu_usage_seconds_total{{{labels}}} {usage.cpu_seconds:.6f}"
        )
        rows["container_memory_working_set_bytes"].append(
            f"container_memory_working_set_bytes{{{labels}}} {usage.memory_bytes}"
        )
    lines: list[str] = []
    for name, (kind, text) in _HELP.items():
        lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}", *rows[name]]
    return "\n".join(lines) + "\n"


def export(refs: Iterable[ContainerRef]) -> str:
    """Read every running container's usage and render it; pods without a process are left out."""
    found = []
    for ref in refs:
        usage = read_usage(ref.pgid) if ref.pgid is not None else None
        if usage is not None:
            found.append((ref, usage))
    return render(found)
