"""`harness rollout status|set-image|promote|abort|retry NAME`: Argo blue-green Rollouts.

The kubectl plugin's verbs (`kubectl argo rollouts ...`): on the local target through the
controller's admin API; with `--target kubernetes` on the cluster's `argoproj.io/v1alpha1`
Rollout through the official client, with the plugin's patches
(`harness/cluster/kubernetes/rollouts.py`). `status --watch` waits like the plugin's: until the
Rollout is Healthy (exit 0), Degraded (exit 1) or Paused (exit 0, the rollout waits for a
person), or `--timeout`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from harness.cli.kube_options import ContextOpt, KubeconfigOpt, NamespaceOpt
from harness.errors import BadInput

app = typer.Typer(help="Argo Rollouts (blue-green): status, set-image, promote, abort, retry.")

StateDir = Annotated[Path | None, typer.Option("--state-dir", help="Local stack state folder.")]
Name = Annotated[str, typer.Argument(help="Rollout name.")]
Json = Annotated[bool, typer.Option("--json", help="Print the Rollout as JSON.")]
Target = Annotated[str, typer.Option("--target", help="local or kubernetes.")]


def _client(
    state_dir: Path | None,
    target: str = "local",
    kubeconfig: Path | None = None,
    context: str | None = None,
    namespace: str | None = None,
) -> Any:
    """The local admin client, or the cluster: both implement contracts.rollouts.RolloutControl."""
    if target == "kubernetes":
        from harness.cluster.kubernetes import KubeCluster, resolve_target

        where = resolve_target(kubeconfig=kubeconfig, context=context, namespace=namespace)
        return KubeCluster(where)
    if target != "local":
        raise BadInput(f"--target: unknown target {target!r} (use local or kubernetes)")
    if kubeconfig or context or namespace:
        raise BadInput("--kubeconfig/--context/--namespace: only with --target kubernetes")
    from harness.cluster.local.client import AdminClient

    return AdminClient.from_state(state_dir)


def _render(rollout: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(rollout, indent=2))
        return
    status = rollout["status"]
    bg = status["blueGreen"]
    message = f" - {rollout['message']}" if rollout["message"] else ""
    typer.echo(f"Name:      {rollout['name']} ({rollout['namespace']})")
    typer.echo(f"Status:    {rollout['phase']}{message}")
    typer.echo(f"Strategy:  BlueGreen (active {rollout['activeService']}, "
               f"preview {rollout['previewService'] or '-'})")  # fmt: skip
    typer.echo(f"Replicas:  {rollout['replicas']} desired, {status['availableReplicas']} available")
    active, preview = bg["activeSelector"] or "-", bg["previewSelector"] or "-"
    typer.echo(f"Selectors: active={active} preview={preview} stable={status['stableRS'] or '-'}")
    for rev in rollout["revisions"]:
        tags = [t for t in ("stable", "active", "preview") if rev[t]]
        down = ""
        if rev["scaleDownAt"]:
            down = f", scale-down in {max(0.0, rev['scaleDownAt'] - time.time()):.0f}s"
        typer.echo(
            f"  revision {rev['revision']} {rev['podTemplateHash']} {rev['image']}: "
            f"{rev['ready']}/{rev['replicas']} ready{down} {' '.join(tags)}"
        )
    for run in rollout["analysisRuns"]:
        typer.echo(f"  {run['kind']} analysis {run['name']}: {run['phase']} {run['message']}")


@app.command("status")
def status(
    name: Name,
    state_dir: StateDir = None,
    as_json: Json = False,
    watch: Annotated[bool, typer.Option("--watch", "-w", help="Wait for a final state.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds --watch waits (0 = forever).")] = 0.0,
    target: Target = "local",
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    namespace: NamespaceOpt = None,
) -> None:
    """Show a Rollout: phase and Argo's message, revisions, Services, analysis runs."""
    with _client(state_dir, target, kubeconfig, context, namespace) as client:
        rollout = client.rollout(name)
        deadline = time.monotonic() + timeout if timeout else None
        while watch and rollout["phase"] == "Progressing":
            if deadline is not None and time.monotonic() > deadline:
                _render(rollout, as_json)
                typer.echo(
                    f"harness: rollout {name} still Progressing after {timeout:g}s", err=True
                )
                raise typer.Exit(3)
            time.sleep(0.5)
            rollout = client.rollout(name)
    _render(rollout, as_json)
    if watch and rollout["phase"] == "Degraded":
        raise typer.Exit(1)


def _pairs(values: list[str], flag: str) -> dict[str, str]:
    out = {}
    for v in values:
        key, sep, value = v.partition("=")
        if not sep or not key:
            raise BadInput(f"{flag} {v!r}: expected KEY=VALUE")
        out[key] = value
    return out


@app.command("set-image")
def set_image(
    name: Name,
    image: Annotated[
        str, typer.Argument(help="[CONTAINER=]IMAGE, e.g. harness/user-service:2.0.0")
    ],
    env: Annotated[
        list[str] | None, typer.Option("--env", help="KEY=VALUE in the new template.")
    ] = None,
    label: Annotated[list[str] | None, typer.Option("--label", help="KEY=VALUE pod label.")] = None,
    state_dir: StateDir = None,
    as_json: Json = False,
    target: Target = "local",
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    namespace: NamespaceOpt = None,
) -> None:
    """Start a blue-green update: a new pod template (image, and optionally env and labels)."""
    ref = image.split("=", 1)[-1]
    body = {
        "image": ref,
        "env": _pairs(env or [], "--env"),
        "labels": _pairs(label or [], "--label"),
    }
    with _client(state_dir, target, kubeconfig, context, namespace) as client:
        _render(client.rollout_action(name, "image", body), as_json)


def _action(
    action: str,
    name: str,
    where: tuple[Path | None, str, Path | None, str | None, str | None],
    as_json: bool,
    **body: Any,
) -> None:
    with _client(*where) as client:
        _render(client.rollout_action(name, action, body), as_json)


@app.command("promote")
def promote(
    name: Name,
    full: Annotated[bool, typer.Option("--full", help="Skip analyses and pauses.")] = False,
    state_dir: StateDir = None,
    as_json: Json = False,
    target: Target = "local",
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    namespace: NamespaceOpt = None,
) -> None:
    """Resume a paused Rollout (clears its pause conditions), or promote it fully."""
    where = (state_dir, target, kubeconfig, context, namespace)
    _action("promote", name, where, as_json, full=full)


@app.command("abort")
def abort(
    name: Name,
    state_dir: StateDir = None,
    as_json: Json = False,
    target: Target = "local",
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    namespace: NamespaceOpt = None,
) -> None:
    """Abort the update: the active Service goes back to the stable revision."""
    _action("abort", name, (state_dir, target, kubeconfig, context, namespace), as_json)


@app.command("retry")
def retry(
    name: Name,
    state_dir: StateDir = None,
    as_json: Json = False,
    target: Target = "local",
    kubeconfig: KubeconfigOpt = None,
    context: ContextOpt = None,
    namespace: NamespaceOpt = None,
) -> None:
    """Retry an aborted update (its analyses run again)."""
    _action("retry", name, (state_dir, target, kubeconfig, context, namespace), as_json)
