"""FAKE Kubernetes API server: the one edge that cannot run here, served over real HTTP.

    with FakeKubeApi() as api:                        # http://127.0.0.1:<free port>
        api.add_deployment("user-service", replicas=2, ready=2)
        kubeconfig = api.kubeconfig(tmp_path / "kubeconfig")
        ...  # the official client, chaosk8s and chaosistio talk to it like to a cluster

It serves the subset the harness uses: namespaces (read), pods (list with label selectors,
read, delete), deployments (list with field/label selectors, read, patch, /scale), endpoints,
ReplicaSets (list), and custom objects of installed CRDs (Istio VirtualServices, Argo Rollouts
and AnalysisRuns: list, read, merge or JSON patch, `/scale`, `/status`). Objects carry a
resourceVersion; a missing object is a 404 `Status`; a token, when set, is checked (401), and
`forbid` makes chosen verbs answer 403.

`FakeKubeApi(admin=AdminClient(...))` backs pods, deployments and endpoints by a real local
stack: reads come from the controller's admin API and a pod DELETE is the admin API's delete
(so chaosk8s's `terminate_pods` kills a real process and the controller replaces it).
With `mesh_state=<the stack's state folder>` the faults of a patched VirtualService are mirrored
into that stack's mesh fault ledger (what Istio's sidecars would enforce), so chaosistio's
faults reach real traffic.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

from harness.contracts.cluster import DeploymentStatus, Endpoint, PodStatus
from harness.process import LOOPBACK, free_port
from tests.fakes import kube_objects as obj

NS = r"/namespaces/(?P<ns>[^/]+)"
GV = r"/apis/(?P<group>[^/]+)/(?P<version>[^/]+)"
ROUTES: list[tuple[str, re.Pattern[str]]] = [
    (name, re.compile(pattern))
    for name, pattern in (
        ("namespace", rf"^/api/v1{NS}$"),
        ("pods", rf"^/api/v1{NS}/pods$"),
        ("pod", rf"^/api/v1{NS}/pods/(?P<name>[^/]+)$"),
        ("endpoints", rf"^/api/v1{NS}/endpoints$"),
        ("endpoint", rf"^/api/v1{NS}/endpoints/(?P<name>[^/]+)$"),
        ("deployments", rf"^/apis/apps/v1{NS}/deployments$"),
        ("deployment", rf"^/apis/apps/v1{NS}/deployments/(?P<name>[^/]+)$"),
        ("deployment_scale", rf"^/apis/apps/v1{NS}/deployments/(?P<name>[^/]+)/scale$"),
        ("replicasets", rf"^/apis/apps/v1{NS}/replicasets$"),  # before the custom objects
        ("customs", rf"^{GV}{NS}/(?P<plural>[^/]+)$"),
        ("custom", rf"^{GV}{NS}/(?P<plural>[^/]+)/(?P<name>[^/]+)$"),
        ("custom_scale", rf"^{GV}{NS}/(?P<plural>[^/]+)/(?P<name>[^/]+)/scale$"),
        ("custom_status", rf"^{GV}{NS}/(?P<plural>[^/]+)/(?P<name>[^/]+)/status$"),
    )
]  # fmt: skip
ISTIO_VS = ("networking.istio.io", "v1alpha3", "virtualservices")
ROLLOUTS = ("argoproj.io", "v1alpha1", "rollouts")


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message


def _not_found(kind: str, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{kind} "{name}" not found')


class FakeKubeApi:
    """A FAKE API server (threads in this process) for tests; see the module docstring."""

    def __init__(
        self,
        *,
        namespaces: Iterable[str] = ("default",),
        token: str | None = None,
        admin: Any = None,  # harness.cluster.local.client.AdminClient
        crds: Iterable[tuple[str, str, str]] = (ISTIO_VS,),
        mesh_state: Path | None = None,
    ) -> None:
        self.mesh_state = mesh_state
        self.mirrored: list[tuple[str, int, bool]] = []  # (VirtualService, faults, enforced)
        self.namespaces = set(namespaces)
        self.token = token
        self.admin = admin
        self.crds = set(crds)
        self.forbid: set[tuple[str, str]] = set()  # (method, route name) → 403
        # called before each request is served; raise ApiError to make it fail
        self.before: Callable[[str, str], None] | None = None
        self.endpoint_records: list[Endpoint] = []
        self.lock = threading.RLock()
        self.version = 0
        self.pods: dict[tuple[str, str], dict[str, Any]] = {}
        self.deployments: dict[tuple[str, str], dict[str, Any]] = {}
        self.custom: dict[tuple[str, str, str, str], dict[str, Any]] = {}  # group,plural,ns,name
        self.replica_sets: list[dict[str, Any]] = []  # apps/v1 ReplicaSet bodies
        self.deleted: list[tuple[str, int | None]] = []  # (pod, gracePeriodSeconds)
        self.requests: list[tuple[str, str]] = []
        self.port = free_port()
        self.server = ThreadingHTTPServer((LOOPBACK, self.port), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def __enter__(self) -> FakeKubeApi:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def kubeconfig(
        self, path: Path, *, context: str = "fake", namespace: str | None = None
    ) -> Path:
        """A kubeconfig whose context `context` points at this server (plain HTTP)."""
        ctx: dict[str, Any] = {"cluster": "fake-cluster", "user": "fake-user"}
        if namespace:
            ctx["namespace"] = namespace
        doc = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "fake-cluster", "cluster": {"server": self.url}}],
            "users": [{"name": "fake-user", "user": {"token": self.token or "fake-token"}}],
            "contexts": [{"name": context, "context": ctx}],
            "current-context": context,
        }
        path.write_text(yaml.safe_dump(doc), encoding="utf-8")
        return path

    # ---- seeding ---------------------------------------------------------------------------

    def _bump(self, item: dict[str, Any]) -> dict[str, Any]:
        self.version += 1
        item["metadata"]["resourceVersion"] = str(self.version)
        return item

    def add_deployment(
        self, name: str, *, replicas: int, ready: int, ns: str = "default", app: str = ""
    ) -> None:
        labels = {"app": app or name}
        with self.lock:
            self.deployments[(ns, name)] = self._bump(
                obj.deployment(DeploymentStatus(name, ns, replicas, ready), labels)
            )

    def add_pod(self, pod: PodStatus) -> None:
        with self.lock:
            self.pods[(pod.namespace, pod.name)] = self._bump(obj.pod(pod))

    def add_custom(self, group: str, plural: str, body: dict[str, Any]) -> None:
        meta = body.setdefault("metadata", {})
        meta.setdefault("namespace", "default")
        with self.lock:
            self.custom[(group, plural, meta["namespace"], meta["name"])] = self._bump(body)

    def add_replica_set(self, body: dict[str, Any]) -> None:
        body.setdefault("metadata", {}).setdefault("namespace", "default")
        with self.lock:
            self.replica_sets.append(self._bump(body))

    def load_virtual_services(self, istio_yaml: Path) -> None:
        for doc in yaml.safe_load_all(istio_yaml.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and doc.get("kind") == "VirtualService":
                self.add_custom(ISTIO_VS[0], ISTIO_VS[2], doc)

    # ---- handlers --------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, str], body: Any, ctype: str) -> Any:
        for name, pattern in ROUTES:
            m = pattern.match(path)
            if m is None:
                continue
            if (method, name) in self.forbid:
                raise ApiError(403, "Forbidden", f"{method} {name} is forbidden")
            if self.before is not None:
                self.before(method, name)
            args = {k: unquote(v) for k, v in m.groupdict().items()}
            fn = getattr(self, f"_{method.lower()}_{name}", None)
            if fn is None:
                raise ApiError(405, "MethodNotAllowed", f"{method} {path}")
            with self.lock:
                return fn(query=query, body=body, ctype=ctype, **args)
        raise ApiError(404, "NotFound", "the server could not find the requested resource")

    def _get_namespace(self, ns: str, **_: Any) -> Any:
        if ns not in self.namespaces:
            raise _not_found("namespaces", ns)
        return obj.namespace(ns)

    def _pod_items(self, ns: str) -> list[dict[str, Any]]:
        if self.admin is not None:
            return [obj.pod(p) for p in self.admin.pods() if p.namespace == ns]
        return [p for (pns, _), p in sorted(self.pods.items()) if pns == ns]

    def _list(self, kind: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": kind,
            "metadata": {"resourceVersion": str(self.version)},
            "items": items,
        }

    def _get_pods(self, ns: str, query: dict[str, str], **_: Any) -> Any:
        sel = query.get("labelSelector")
        items = [p for p in self._pod_items(ns) if obj.matches_labels(sel, p["metadata"]["labels"])]
        return self._list("PodList", items)

    def _get_pod(self, ns: str, name: str, **_: Any) -> Any:
        for p in self._pod_items(ns):
            if p["metadata"]["name"] == name:
                return p
        raise _not_found("pods", name)

    def _delete_pod(self, ns: str, name: str, query: dict[str, str], body: Any, **_: Any) -> Any:
        grace = (body or {}).get("gracePeriodSeconds", query.get("gracePeriodSeconds"))
        grace = None if grace is None else int(grace)
        found = self._get_pod(ns, name)
        self.deleted.append((name, grace))
        if self.admin is not None:
            self.admin.delete_pod(name, grace_period=grace, wait=False)
        else:
            del self.pods[(ns, name)]
        self.version += 1
        found["metadata"]["deletionTimestamp"] = obj.rfc3339(time.time())
        return found

    def _get_endpoints(self, ns: str, **_: Any) -> Any:
        records = self.admin.endpoints() if self.admin is not None else self.endpoint_records
        return self._list("EndpointsList", obj.endpoints(records, ns))

    def _get_endpoint(self, ns: str, name: str, **_: Any) -> Any:
        for item in self._get_endpoints(ns)["items"]:
            if item["metadata"]["name"] == name:
                return item
        raise _not_found("endpoints", name)

    def _deployment_items(self, ns: str) -> list[dict[str, Any]]:
        """The stack's Deployments (when backed by one), then the ones added here."""
        out = []
        if self.admin is not None:
            out = [obj.deployment(d) for d in self.admin.deployments() if d.namespace == ns]
        names = {d["metadata"]["name"] for d in out}
        return out + [
            d
            for (dns, name), d in sorted(self.deployments.items())
            if dns == ns and name not in names
        ]

    def _get_deployments(self, ns: str, query: dict[str, str], **_: Any) -> Any:
        items = [
            d
            for d in self._deployment_items(ns)
            if obj.matches_labels(query.get("labelSelector"), d["metadata"]["labels"])
            and obj.matches_fields(query.get("fieldSelector"), d)
        ]
        return self._list("DeploymentList", items)

    def _get_deployment(self, ns: str, name: str, **_: Any) -> dict[str, Any]:
        for d in self._deployment_items(ns):
            if d["metadata"]["name"] == name:
                return d
        raise _not_found("deployments.apps", name)

    def _set_replicas(self, ns: str, name: str, replicas: int) -> dict[str, Any]:
        current = self._get_deployment(ns, name)
        if self.admin is not None and (ns, name) not in self.deployments:
            self.admin.scale(name, replicas)
            return self._get_deployment(ns, name)
        current["spec"]["replicas"] = replicas
        current["status"]["replicas"] = replicas
        current["status"]["readyReplicas"] = replicas  # the fake's pods are ready at once
        current["status"]["availableReplicas"] = replicas
        return self._bump(current)

    def _patch_deployment(self, ns: str, name: str, body: Any, ctype: str, **_: Any) -> Any:
        current = self._get_deployment(ns, name)
        patched = _patch(current, body, ctype)
        return self._set_replicas(ns, name, int(patched["spec"]["replicas"]))

    def _get_deployment_scale(self, ns: str, name: str, **_: Any) -> Any:
        return obj.scale(self._get_deployment(ns, name))

    def _patch_deployment_scale(self, ns: str, name: str, body: Any, ctype: str, **_: Any) -> Any:
        patched = _patch(obj.scale(self._get_deployment(ns, name)), body, ctype)
        return obj.scale(self._set_replicas(ns, name, int(patched["spec"]["replicas"])))

    def _crd(self, group: str, version: str, plural: str) -> None:
        if (group, version, plural) not in self.crds:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")

    def _get_customs(self, group: str, version: str, ns: str, plural: str, **_: Any) -> Any:
        self._crd(group, version, plural)
        items = [
            v for (g, p, n, _), v in sorted(self.custom.items()) if (g, p, n) == (group, plural, ns)
        ]
        return {"apiVersion": f"{group}/{version}", "kind": "List", "items": items,
                "metadata": {"resourceVersion": str(self.version)}}  # fmt: skip

    def _get_custom(
        self, group: str, version: str, ns: str, plural: str, name: str, **_: Any
    ) -> Any:
        self._crd(group, version, plural)
        found = self.custom.get((group, plural, ns, name))
        if found is None:
            raise _not_found(f"{plural}.{group}", name)
        return found

    def _patch_custom(self, group: str, version: str, ns: str, plural: str, name: str,
                      body: Any, ctype: str, **_: Any) -> Any:  # fmt: skip
        current = self._get_custom(group, version, ns, plural, name)
        patched = _patch(current, body, ctype)
        patched["metadata"] = {**current["metadata"]}  # name, namespace are not patchable here
        self.custom[(group, plural, ns, name)] = self._bump(patched)
        if plural == ISTIO_VS[2] and self.mesh_state is not None:
            from tests.fakes.kube_mesh import mirror_faults

            self.mirrored.append((name, *mirror_faults(self.mesh_state, name, patched)))
        return patched

    def _patch_custom_status(self, group: str, version: str, ns: str, plural: str, name: str,
                             body: Any, ctype: str, **_: Any) -> Any:  # fmt: skip
        return _patch_custom_status(self, group, version, ns, plural, name, body, ctype)

    def _get_replicasets(self, ns: str, **_: Any) -> Any:
        items = [r for r in self.replica_sets if r["metadata"]["namespace"] == ns]
        return self._list("ReplicaSet", items)

    def _patch_custom_scale(self, group: str, version: str, ns: str, plural: str, name: str,
                            body: Any, ctype: str, **_: Any) -> Any:  # fmt: skip
        current = self._get_custom(group, version, ns, plural, name)
        replicas = int(
            _patch({"spec": dict(current.get("spec") or {})}, body, ctype)["spec"]["replicas"]
        )
        current.setdefault("spec", {})["replicas"] = replicas
        current.setdefault("status", {})["readyReplicas"] = replicas
        self._bump(current)
        meta = {"name": name, "namespace": ns}
        return {"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": meta,
                "spec": {"replicas": replicas}, "status": {"replicas": replicas}}  # fmt: skip


def _patch_custom_status(
    api: FakeKubeApi, group: str, version: str, ns: str, plural: str, name: str, body: Any,
    ctype: str,
) -> Any:  # fmt: skip
    """The `/status` subresource: only `status` changes (what the Argo controller owns)."""
    current = api._get_custom(group, version, ns, plural, name)
    patched = _patch({"status": dict(current.get("status") or {})}, body, ctype)
    current["status"] = patched.get("status") or {}
    return api._bump(current)


def _patch(current: dict[str, Any], body: Any, ctype: str) -> dict[str, Any]:
    if ctype.startswith("application/json-patch+json"):
        try:
            result: dict[str, Any] = obj.json_patch(current, body)
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            raise ApiError(422, "Invalid", f"json patch: {exc}") from exc
        return result
    if "merge-patch" in ctype or "strategic-merge-patch" in ctype:
        merged: dict[str, Any] = obj.merge_patch(current, body)
        return merged
    raise ApiError(
        415, "UnsupportedMediaType", f"the body of the request was in an unknown format: {ctype}"
    )


def _handler(api: FakeKubeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: the test output is the user's

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            api.requests.append((self.command, parts.path))
            try:
                if api.token and self.headers.get("Authorization") != f"Bearer {api.token}":
                    raise ApiError(401, "Unauthorized", "Unauthorized")
                body = json.loads(raw) if raw else None
                ctype = self.headers.get("Content-Type") or "application/json"
                code, payload = 200, api.handle(self.command, parts.path, query, body, ctype)
            except ApiError as exc:
                code, payload = exc.code, obj.status_body(exc.code, exc.reason, exc.message)
            except ValueError as exc:
                code, payload = 400, obj.status_body(400, "BadRequest", str(exc))
            data = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_DELETE = do_PATCH = do_POST = do_PUT = _serve

    return Handler
