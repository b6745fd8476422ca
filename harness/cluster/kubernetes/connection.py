"""Which cluster: a kubeconfig, one of its contexts, a namespace; and the API client for it.

    target = resolve_target(kubeconfig=None, context=None, namespace=None)
    api = target.api_client()           # the official client, configured from the kubeconfig

Resolution follows kubectl: `--kubeconfig`, else `$KUBECONFIG` (a `:`-separated list is
merged), else `~/.kube/config`; `--context`, else the kubeconfig's current context;
`--namespace`, else the context's namespace, else `default`. A missing file or an unknown context
is bad input (exit 2) naming the flag and the fix.

`use_for_chaos(target)` points chaostoolkit-kubernetes and chaostoolkit-istio at the same
cluster: they read `KUBECONFIG` and `KUBERNETES_CONTEXT` from the environment on every call.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import BadInput

DEFAULT_KUBECONFIG = "~/.kube/config"


@dataclass(frozen=True)
class KubeTarget:
    """One namespace of one cluster, as a kubeconfig context names it."""

    kubeconfig: str  # as given: a path, or a `:`-separated list of paths
    context: str
    namespace: str
    server: str

    def describe(self) -> str:
        """What error messages name: enough to find the settings that were used."""
        return f"context {self.context!r} of kubeconfig {self.kubeconfig}"

    def api_client(self) -> Any:
        """A `kubernetes.client.ApiClient` for this context (a fresh one each call)."""
        from kubernetes import config
        from kubernetes.config.config_exception import ConfigException

        try:
            return config.new_client_from_config(
                config_file=self.kubeconfig, context=self.context, persist_config=False
            )
        except (ConfigException, OSError, ValueError) as exc:
            raise BadInput(f"kubeconfig {self.kubeconfig}: {_one_line(exc)}") from exc


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _paths(kubeconfig: str) -> list[Path]:
    return [Path(p).expanduser() for p in kubeconfig.split(os.pathsep) if p]


def resolve_target(
    *, kubeconfig: str | Path | None, context: str | None, namespace: str | None
) -> KubeTarget:
    """The cluster a command talks to; BadInput naming the flag when it cannot be found."""
    from kubernetes import config
    from kubernetes.config.config_exception import ConfigException

    given = str(kubeconfig) if kubeconfig else os.environ.get("KUBECONFIG") or DEFAULT_KUBECONFIG
    if not any(p.is_file() for p in _paths(given)):
        raise BadInput(
            f"kubeconfig: no file at {given} (pass --kubeconfig FILE or set KUBECONFIG; "
            "`kubectl config view` shows the one kubectl uses)"
        )
    try:
        contexts, active = config.list_kube_config_contexts(config_file=given)
    except (ConfigException, OSError, ValueError) as exc:
        raise BadInput(
            f"kubeconfig {given}: {_one_line(exc)} (fix the file or pass another)"
        ) from exc
    by_name = {str(c.get("name")): c for c in contexts or []}
    name = context or str((active or {}).get("name") or "")
    if name not in by_name:
        have = ", ".join(sorted(by_name)) or "none"
        what = f"no context {name!r}" if name else "no current context"
        raise BadInput(f"--context: {what} in kubeconfig {given} (contexts: {have})")
    ns = namespace or str((by_name[name].get("context") or {}).get("namespace") or "default")
    target = KubeTarget(kubeconfig=given, context=name, namespace=ns, server="")
    client = target.api_client()
    try:
        server = str(client.configuration.host)
    finally:
        client.close()
    return KubeTarget(kubeconfig=given, context=name, namespace=ns, server=server)


def use_for_chaos(target: KubeTarget) -> None:
    """Make chaosk8s/chaosistio (which read the environment) use `target`'s kubeconfig."""
    use_kubeconfig(target.kubeconfig, target.context)


def use_kubeconfig(kubeconfig: str, context: str) -> None:
    """Point this process's chaosk8s/chaosistio calls at `context` of `kubeconfig`.

    The official client reads `$KUBECONFIG` once, when it is first imported, into the default
    location `load_kube_config()` uses (chaosk8s calls it without a file): set both.
    """
    from kubernetes.config import kube_config

    os.environ["KUBECONFIG"] = kubeconfig
    os.environ["KUBERNETES_CONTEXT"] = context
    kube_config.KUBE_CONFIG_DEFAULT_LOCATION = kubeconfig


def chaos_cluster() -> dict[str, str]:
    """The kubeconfig and context chaos calls use now (what an undo must reach again)."""
    found = {
        "kubeconfig": os.environ.get("KUBECONFIG", ""),
        "context": os.environ.get("KUBERNETES_CONTEXT", ""),
    }
    return {k: v for k, v in found.items() if v}
