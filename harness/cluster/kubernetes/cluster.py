"""The cluster interface over a real Kubernetes API (the official Python client).

    cluster = KubeCluster(resolve_target(kubeconfig=None, context=None, namespace=None))
    cluster.check_namespace()                     # one clear line when the cluster is not there
    cluster.pods(service="user-service")          # PodStatus records, like `harness status`
    cluster.delete_pod(name, grace_period=0)      # like kubectl delete pod --grace-period=0
    cluster.scale("user-service", 3)              # Deployment, else Argo Rollout, /scale

It implements `harness.contracts.cluster.Cluster` for one namespace. Every failure of the API
becomes one line (`CouldNotRun`, exit 3) naming the kubeconfig, the context and the fix:
unreachable server, 401, 403, missing namespace. Nothing here starts or stops anything but
pods and replicas.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from harness.cluster.kubernetes import convert
from harness.cluster.kubernetes.connection import KubeTarget
from harness.contracts.cluster import DeploymentStatus, Endpoint, PodStatus
from harness.contracts.listeners import ServiceListener
from harness.errors import CouldNotRun

T = TypeVar("T")
TIMEOUT = (5.0, 30.0)  # connect, read: a dead API server must not hang a run
ROLLOUTS = ("argoproj.io", "v1alpha1", "rollouts")


class NotFound(CouldNotRun):
    """Raised when the object asked for does not exist (404 on a named object)."""


class Forbidden(CouldNotRun):
    """Raised when the context's user may not do what was asked (403)."""


class KubeCluster:
    def __init__(self, target: KubeTarget) -> None:
        from kubernetes import client

        self.target = target
        self.namespace = target.namespace
        self._api = target.api_client()
        self._core = client.CoreV1Api(self._api)
        self._apps = client.AppsV1Api(self._api)
        self._custom = client.CustomObjectsApi(self._api)

    def __enter__(self) -> KubeCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._api.close()

    # ---- errors ---------------------------------------------------------------------------

    def _call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """One API call; every foreign failure leaves as one CouldNotRun line."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError as Urllib3Error

        t, ns = self.target, self.namespace
        try:
            return fn(*args, _request_timeout=TIMEOUT, **kwargs)
        except ApiException as exc:
            status = int(exc.status or 0)
            if status == 401:
                raise CouldNotRun(
                    f"the Kubernetes API at {t.server} refused the credentials of "
                    f"{t.describe()} (401 Unauthorized); log in again or refresh the token, "
                    "or pick another --context"
                ) from exc
            if status == 403:
                raise Forbidden(
                    f"{t.describe()} may not {what} in namespace {ns} (403 Forbidden); grant "
                    "it through RBAC or pick another --context"
                ) from exc
            if status == 404:
                raise NotFound(f"{what}: not found in namespace {ns} ({t.describe()})") from exc
            raise CouldNotRun(
                f"Kubernetes API at {t.server}: {what}: HTTP {status} {exc.reason or ''}".rstrip()
            ) from exc
        except (Urllib3Error, OSError) as exc:
            reason = " ".join(str(getattr(exc, "reason", None) or exc).split())[:160]
            raise CouldNotRun(
                f"cannot reach the Kubernetes API at {t.server} ({t.describe()}): {reason}; "
                f"is the cluster up? (`kubectl --context {t.context} get namespaces`)"
            ) from exc

    def check_namespace(self) -> None:
        """The API answers, the credentials work, the namespace exists: else one line."""
        try:
            self._call("read the namespace", self._core.read_namespace, self.namespace)
        except NotFound:
            raise CouldNotRun(
                f"namespace {self.namespace!r} does not exist on the cluster of "
                f"{self.target.describe()}; pass --namespace, or deploy the sample system "
                f"there (`kubectl apply -n {self.namespace} -f deploy/kubernetes/`)"
            ) from None

    # ---- Cluster --------------------------------------------------------------------------

    def pods(self, *, service: str | None = None) -> list[PodStatus]:
        selector = f"app={service}" if service else None
        kwargs = {"label_selector": selector} if selector else {}
        found = self._call("list pods", self._core.list_namespaced_pod, self.namespace, **kwargs)
        return sorted((convert.pod_status(p) for p in found.items), key=lambda p: p.name)

    def delete_pod(
        self, name: str, *, grace_period: float | None = None, wait: bool = True
    ) -> PodStatus:
        from kubernetes import client

        body = client.V1DeleteOptions()
        if grace_period is not None:
            body = client.V1DeleteOptions(grace_period_seconds=int(grace_period))
        before = self._call(
            f"read pod {name}", self._core.read_namespaced_pod, name, self.namespace
        )
        self._call(
            f"delete pod {name}", self._core.delete_namespaced_pod, name, self.namespace,
            body=body,
        )  # fmt: skip
        status = convert.pod_status(before)
        if wait:
            grace = before.spec.termination_grace_period_seconds if before.spec else None
            limit = (grace_period if grace_period is not None else float(grace or 30)) + 30.0
            self._wait_gone(name, convert.uid(before), limit)
        return status

    def _wait_gone(self, name: str, uid: str, limit: float) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            try:
                pod = self._call(
                    f"read pod {name}", self._core.read_namespaced_pod, name, self.namespace
                )
            except NotFound:
                return
            if convert.uid(pod) != uid:  # a StatefulSet-style replacement, same name
                return
            time.sleep(0.2)
        raise CouldNotRun(f"pod {name} still exists {limit:g}s after its deletion")

    def scale(self, deployment: str, replicas: int) -> DeploymentStatus:
        body = {"spec": {"replicas": int(replicas)}}
        try:
            self._call(
                f"scale deployment {deployment}",
                self._apps.patch_namespaced_deployment_scale, deployment, self.namespace, body,
            )  # fmt: skip
        except NotFound:
            self._call(
                f"scale rollout {deployment}",
                self._custom.patch_namespaced_custom_object_scale,
                *ROLLOUTS[:2], self.namespace, ROLLOUTS[2], deployment, body,
            )  # fmt: skip
        for status in self.deployments():
            if status.name == deployment:
                return status
        raise NotFound(f"deployment {deployment}: not found in namespace {self.namespace}")

    def deployments(self) -> list[DeploymentStatus]:
        """Deployments, and Argo Rollouts where the CRD is installed."""
        found = self._call(
            "list deployments", self._apps.list_namespaced_deployment, self.namespace
        )
        out = [convert.deployment_status(d) for d in found.items]
        try:
            rollouts = self._call(
                "list rollouts",
                self._custom.list_namespaced_custom_object,
                *ROLLOUTS[:2], self.namespace, ROLLOUTS[2],
            )  # fmt: skip
        except (NotFound, Forbidden):  # no Argo Rollouts CRD here, or not ours to read
            rollouts = {}
        items = rollouts.get("items") if isinstance(rollouts, dict) else None
        out += [convert.rollout_status(r) for r in items or []]
        return sorted(out, key=lambda d: d.name)

    def endpoints(self, *, service: str | None = None) -> list[Endpoint]:
        if service:
            try:
                one = self._call(
                    f"read endpoints {service}",
                    self._core.read_namespaced_endpoints, service, self.namespace,
                )  # fmt: skip
            except NotFound:
                return []
            items = [one]
        else:
            items = self._call(
                "list endpoints", self._core.list_namespaced_endpoints, self.namespace
            ).items
        pods = {p.name: p for p in self.pods()}
        return convert.endpoints(items, pods)

    def listeners(self) -> list[ServiceListener]:
        """None: a cluster serves its Services itself; there is no loopback listener plan."""
        return []

    # ---- Argo Rollouts (harness.contracts.rollouts.RolloutControl) ------------------------

    def rollout(self, name: str) -> dict[str, Any]:
        from harness.cluster.kubernetes.rollouts import rollout_doc

        return rollout_doc(self, name)

    def rollout_action(
        self, name: str, action: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The kubectl plugin's patches: `image`, `promote` ({"full"}), `abort`, `retry`."""
        from harness.cluster.kubernetes.rollouts import rollout_action

        return rollout_action(self, name, action, body)
