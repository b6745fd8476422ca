"""`harness up`, `status`, `logs`, `down`: the local cluster from the command line."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from harness.cli.kube_options import ContextOpt, KubeconfigOpt, NamespaceOpt

app = typer.Typer()

if TYPE_CHECKING:
    from harness.contracts.cluster import PodStatus

StateOpt = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        envvar="HARNESS_STATE_DIR",
        help="State folder (default .harness/ in the working directory).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _state(value: Path | None) -> Path:
    from harness.cluster.local.state import resolve_state_dir

    return resolve_state_dir(value)


@app.command()
def up(
    state_dir: StateOpt = None,
    manifests: Annotated[
        Path, typer.Option(envvar="HARNESS_MANIFESTS", help="Kubernetes manifests folder.")
    ] = Path("deploy/kubernetes"),
    local_config: Annotated[
        Path,
        typer.Option(envvar="HARNESS_LOCAL_CONFIG", help="Local target folder (images, secrets)."),
    ] = Path("deploy/local"),
    admin_port: Annotated[
        int | None, typer.Option(envvar="HARNESS_ADMIN_PORT", help="Admin API port [8001].")
    ] = None,
    prometheus_port: Annotated[
        int | None, typer.Option(envvar="HARNESS_PROMETHEUS_PORT", help="Prometheus port [9090].")
    ] = None,
    gateway_port: Annotated[
        int | None, typer.Option(envvar="HARNESS_GATEWAY_PORT", help="Gateway port [8000].")
    ] = None,
    pod_ports: Annotated[
        str | None, typer.Option(envvar="HARNESS_POD_PORTS", help="Pod port range [20000-20999].")
    ] = None,
    service_ports: Annotated[
        str | None,
        typer.Option(envvar="HARNESS_SERVICE_PORTS", help="Service port range [18000-18999]."),
    ] = None,
    mesh_admin_port: Annotated[
        int | None,
        typer.Option(envvar="HARNESS_MESH_ADMIN_PORT", help="Mesh admin port [15000]."),
    ] = None,
    no_mesh: Annotated[
        bool, typer.Option("--no-mesh", help="Plain Service addresses, no mesh proxy.")
    ] = False,
    no_prometheus: Annotated[
        bool, typer.Option("--no-prometheus", help="Do not start Prometheus.")
    ] = False,
    hpa_interval: Annotated[
        str | None,
        typer.Option(envvar="HARNESS_HPA_INTERVAL", help="Autoscaler sync period [15s]."),
    ] = None,
    hpa_time_scale: Annotated[
        float | None,
        typer.Option(
            envvar="HARNESS_HPA_TIME_SCALE",
            help="Run the autoscaler's windows and periods N times faster (tests) [1].",
        ),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for readiness.")] = 60.0,
    as_json: JsonOpt = False,
) -> None:
    """Start the local stack in the background; return when every Deployment is available."""
    from harness.cluster.local.launcher import up as do_up
    from harness.cluster.local.stack import StackOptions

    state = _state(state_dir)
    result = do_up(
        StackOptions(
            state=state,
            manifests=manifests.resolve(),
            local_config=local_config.resolve(),
            admin_port=admin_port,
            prometheus_port=prometheus_port,
            gateway_port=gateway_port,
            pod_ports=pod_ports,
            service_ports=service_ports,
            mesh_admin_port=mesh_admin_port,
            prometheus=not no_prometheus,
            mesh=not no_mesh,
            hpa_interval=hpa_interval,
            hpa_time_scale=hpa_time_scale,
        ),
        timeout=timeout,
    )
    s = result.status
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "alreadyRunning": result.already_running,
                    "seconds": round(result.seconds, 3),
                    "gateway": s.get("gateway"),
                    "prometheus": s.get("prometheus"),
                    "admin": s.get("admin"),
                    "mesh": s.get("mesh"),
                    "stateDir": str(state),
                    "deployments": s.get("deployments", []),
                },
                indent=2,
            )
        )
        return
    verb = "already running" if result.already_running else f"up in {result.seconds:.1f}s"
    typer.echo(f"stack {verb}: {len(s.get('deployments', []))} deployments available")
    for label in ("gateway", "prometheus", "admin", "mesh"):
        if s.get(label):
            typer.echo(f"  {label:<11}{s[label]}")
    typer.echo(f"  {'token':<11}{state / 'admin.token'}")


def _age(seconds: float) -> str:
    seconds = int(max(0, seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60}m"


def _kube_status(
    kubeconfig: Path | None, context: str | None, namespace: str | None
) -> tuple[list[PodStatus], dict[str, Any]]:
    from harness.cluster.kubernetes import KubeCluster, resolve_target

    target = resolve_target(kubeconfig=kubeconfig, context=context, namespace=namespace)
    with KubeCluster(target) as cluster:
        cluster.check_namespace()
        pods = cluster.pods()
        deployments = [d.to_json() for d in cluster.deployments()]
    return pods, {
        "deployments": deployments,
        "context": target.context,
        "namespace": target.namespace,
    }


@app.command()
def status(
    state_dir: StateOpt = None,
    as_json: JsonOpt = False,
    target: Annotated[str, typer.Option("--target", help="local or kubernetes.")] = "local",
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    namespace: NamespaceOpt = None,
) -> None:
    """One row per pod: name, service, version, phase, ready, restarts, age, pid, port; then
    one row per part the harness runs (controller, mesh, gateway, Prometheus, fork server).

    --target kubernetes reads the same table from the cluster's API (pid is `-` there)."""
    from harness.errors import BadInput

    if target == "kubernetes":
        pods, info = _kube_status(kubeconfig, context, namespace)
    elif target != "local":
        raise BadInput(f"--target: unknown target {target!r} (use local or kubernetes)")
    elif kubeconfig or context or namespace:
        raise BadInput("--kubeconfig/--context/--namespace: only with --target kubernetes")
    else:
        from harness.cluster.local.client import AdminClient

        with AdminClient.from_state(_state(state_dir)) as client:
            pods = client.pods()
            info = client.status()
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "pods": [p.to_json() for p in pods],
                    "deployments": info.get("deployments", []),
                    "gateway": info.get("gateway"),
                    "prometheus": info.get("prometheus"),
                    "admin": info.get("admin"),
                    "autoscalers": info.get("autoscalers", []),
                    **({"parts": info["parts"]} if "parts" in info else {}),
                    **({"context": info["context"]} if "context" in info else {}),
                    **({"namespace": info["namespace"]} if "namespace" in info else {}),
                },
                indent=2,
            )
        )
        return
    now = time.time()
    rows = [("NAME", "SERVICE", "VERSION", "PHASE", "READY", "RESTARTS", "AGE", "PID", "PORT")]
    for p in pods:
        rows.append(
            (
                p.name,
                p.service,
                p.version or "-",
                str(p.phase),
                "1/1" if p.ready else "0/1",
                str(p.restarts),
                _age(now - p.created_at),
                str(p.pid or "-"),
                str(p.port),
            )
        )
    _table(rows)
    if info.get("parts"):
        typer.echo("")
        _table(_part_rows(info))
    from harness.cli.hpa_view import render_autoscalers

    for line in render_autoscalers(info.get("autoscalers", []), now):
        typer.echo(line)


def _table(rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        typer.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


_PART_NAMES = {"forkServer": "fork-server"}


def _part_rows(info: dict[str, Any]) -> list[tuple[str, ...]]:
    """One row per part the harness runs beside the pods (controller, mesh, gateway, ...)."""
    where = {"controller": info.get("admin"), "prometheus": info.get("prometheus")}
    where["mesh"] = info.get("mesh")
    rows: list[tuple[str, ...]] = [("PART", "HEALTH", "RESTARTS", "PID", "ADDRESS")]
    for name, part in info["parts"].items():
        health = (
            "ready" if part.get("ready") else "DOWN" if part.get("pid") is None else "NOT READY"
        )
        if part.get("broken"):
            health = f"BROKEN ({part['broken']}; pods are spawned)"
        address = part.get("url") or where.get(name) or "-"
        if part.get("servedBy"):
            address = f"{address} (served by the {part['servedBy']})"
        rows.append(
            (
                _PART_NAMES.get(name, name),
                health,
                str(part.get("restarts", 0)),
                str(part.get("pid") or "-"),
                str(address),
            )
        )
    return rows


@app.command()
def logs(
    name: Annotated[
        str,
        typer.Argument(
            help="Pod, service (app label), Deployment, `controller`, `prometheus`, `mesh`."
        ),
    ],
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines.")
    ] = False,
    state_dir: StateOpt = None,
) -> None:
    """Print the logs of a pod or of every pod of a service (kept after `harness down`)."""
    from harness.cluster.local.launcher import follow as do_follow
    from harness.cluster.local.launcher import log_files
    from harness.errors import BadInput

    state = _state(state_dir)
    files = log_files(state, name)
    if not files:
        raise BadInput(
            f"no logs for {name!r} in {state / 'logs'} "
            "(name a pod, a service, `controller`, `prometheus`, `mesh`)"
        )
    for path in files:
        if len(files) > 1:
            typer.echo(f"==> {path.stem} <==")
        typer.echo(path.read_text(encoding="utf-8", errors="replace"), nl=False)
    if follow:
        try:
            for line in do_follow(files):
                typer.echo(line, nl=False)
        except KeyboardInterrupt:
            return


@app.command()
def down(state_dir: StateOpt = None, as_json: JsonOpt = False) -> None:
    """Stop every process of the local stack; logs and data stay in the state folder."""
    from harness.cluster.local.launcher import down as do_down

    state = _state(state_dir)
    result = do_down(state)
    if as_json:
        typer.echo(
            json.dumps(
                {"wasRunning": result.was_running, "leftoversKilled": result.leftovers_killed}
            )
        )
        return
    typer.echo("stack stopped" if result.was_running else "no stack was running")
    if result.leftovers_killed:
        typer.echo(f"cleared {result.leftovers_killed} leftover process group(s)")
    typer.echo(f"logs kept in {state / 'logs'}")
