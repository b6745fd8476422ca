"""`harness run --target kubernetes`: the stack is a cluster that is already running.

The run never brings it up or down. Before any load starts it checks, through the API, that the
namespace holds every Deployment the manifests declare, all available; that the gateway and
Prometheus addresses were given (`--gateway`/`$HARNESS_GATEWAY_URL`, `--prometheus`/
`$HARNESS_PROMETHEUS_URL`, usually `kubectl port-forward`s) and answer; and that the
experiment's chaosk8s/chaosistio activities aim at that namespace. Then it points
chaostoolkit-kubernetes and chaostoolkit-istio at the same kubeconfig context.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.contracts.hosts import check_url
from harness.errors import BadInput, ConfigError, CouldNotRun
from harness.run.target import KubeOptions, StackHandle

GATEWAY_ENV = "HARNESS_GATEWAY_URL"
PROMETHEUS_ENV = "HARNESS_PROMETHEUS_URL"
SECRET_ENV = ("HARNESS_API_KEY", "HARNESS_JWT_SECRET")  # handed to probes and Locust
_CLUSTER_PACKAGES = ("chaosk8s", "chaosistio")
_HINTS = {
    "gateway": "kubectl -n NAMESPACE port-forward svc/kong-gateway 8000:80",
    "prometheus": "kubectl -n monitoring port-forward svc/prometheus 9090:9090",
}


def _address(flag: str, given: str | None, env: str, allowed: tuple[str, ...] = ()) -> str:
    value = (given or os.environ.get(env) or "").strip().rstrip("/")
    name = flag.lstrip("-")
    if not value:
        raise BadInput(
            f"{flag}: required with --target kubernetes (the {name}'s URL as this machine "
            f"reaches it, e.g. `{_HINTS[name]}` then {flag} http://127.0.0.1:"
            f"{'8000' if name == 'gateway' else '9090'}; or set {env})"
        )
    return check_url(value, flag=flag, allowed=allowed)  # loopback, or allow-listed


def _answers(name: str, url: str, path: str, *, need_ok: bool) -> None:
    import httpx

    try:
        response = httpx.get(f"{url}{path}", timeout=5.0, trust_env=False, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise CouldNotRun(
            f"the {name} at {url} does not answer ({type(exc).__name__}); is its "
            "port-forward running?"
        ) from exc
    if need_ok and response.status_code != 200:
        raise CouldNotRun(f"the {name} at {url}{path} answered HTTP {response.status_code}")


def addresses(options: KubeOptions) -> tuple[str, str]:
    """The gateway and Prometheus URLs (flags, else environment); BadInput when missing."""
    return (
        _address("--gateway", options.gateway, GATEWAY_ENV, options.allowed_hosts),
        _address("--prometheus", options.prometheus, PROMETHEUS_ENV, options.allowed_hosts),
    )


def ensure_cluster(options: KubeOptions, state: Path, root: Path) -> StackHandle:
    """Check the cluster, the sample system and the addresses; never start or stop anything."""
    from harness.cluster.kubernetes import KubeCluster, preflight, resolve_target, use_for_chaos

    gateway, prometheus = addresses(options)
    target = resolve_target(
        kubeconfig=options.kubeconfig, context=options.context, namespace=options.namespace
    )
    manifests = Path(os.environ.get("HARNESS_MANIFESTS") or root / "deploy" / "kubernetes")
    with KubeCluster(target) as cluster:
        preflight(cluster, manifests)
    _answers("Prometheus", prometheus, "/api/v1/status/buildinfo", need_ok=True)
    _answers("gateway", gateway, "/", need_ok=False)  # any HTTP answer: routes need keys
    use_for_chaos(target)
    secrets = frozenset(v for k in SECRET_ENV if len(v := os.environ.get(k, "")) >= 6)
    return StackHandle(
        state=state,
        gateway=gateway,
        prometheus=prometheus,
        started=False,
        target="kubernetes",
        secrets=secrets,
        namespace=target.namespace,
        where=f"namespace {target.namespace} of {target.describe()}",
        kube=target,
    )


def check_experiment_namespace(experiment: Mapping[str, Any], source: str, namespace: str) -> None:
    """Every chaosk8s/chaosistio activity must act on `namespace` (or take it from `${...}`)."""
    from harness.chaos.mapping import iter_activities

    for where, activity in iter_activities(experiment):
        provider = activity.get("provider") if isinstance(activity, dict) else None
        if not isinstance(provider, dict) or provider.get("type") != "python":
            continue
        if str(provider.get("module", "")).split(".")[0] not in _CLUSTER_PACKAGES:
            continue
        value = (provider.get("arguments") or {}).get("ns", "default")
        if isinstance(value, str) and "${" in value:
            continue  # resolved from configuration: `harness run` passes --var namespace=...
        if str(value) != namespace:
            raise ConfigError(
                source,
                f"{where}.provider.arguments.ns",
                f"is {value!r} but the run targets namespace {namespace!r}",
                f"write `ns: ${{namespace}}` with `namespace:` under configuration, "
                f"or pass --namespace {value}",
            )
