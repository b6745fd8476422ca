"""Istio's standard metrics for one request, as the sidecars would report them.

`istio_requests_total` and `istio_request_duration_milliseconds` with Istio's label set
(`metrics.ISTIO_LABELS`), rendered once per (reporter, caller, service, endpoint, code, flags)
and cached: the hot path then costs a dict lookup and two increments.
"""

from __future__ import annotations

from harness.contracts.cluster import Endpoint
from harness.mesh.caller import Caller
from harness.mesh.config import MeshConfig
from harness.mesh.metrics import ISTIO_LABELS, Registry, render_labels


class IstioRecorder:
    def __init__(self, registry: Registry, cfg: MeshConfig, namespace: str) -> None:
        self._metrics = registry
        self._namespace = namespace
        self._labels: dict[tuple[object, ...], str] = {}
        # the destination sidecar reports mTLS unless a PeerAuthentication disables it
        self._mtls = (
            "mutual_tls"
            if not any(
                pa.spec.mtls and pa.spec.mtls.mode == "DISABLE" for pa in cfg.peer_authentications
            )
            else "none"
        )

    def record(
        self,
        reporter: str,
        caller: Caller,
        service: str,
        ep: Endpoint | None,
        code: int,
        flags: str,
        ms: float,
    ) -> None:
        # ids and endpoint keys hash cheaply; callers live as long as the proxy
        key = (reporter, id(caller), service, ep.key if ep else "", code, flags)
        labels = self._labels.get(key)
        if labels is None:
            ns = self._namespace
            src = dict(caller.labels)
            fq = f"{service}.{ns}.svc.cluster.local"
            values = (
                reporter,
                caller.workload,
                ns,
                f"spiffe://{caller.principal}",
                src.get("app", caller.workload),
                src.get("version", "unknown"),
                src.get("app", caller.workload),
                src.get("version", "latest"),
                "Kubernetes",
                ep.workload if ep else "unknown",
                ns if ep else "unknown",
                f"spiffe://cluster.local/ns/{ns}/sa/{ep.service_account}" if ep else "unknown",
                ep.label("app") if ep else "unknown",
                ep.label("version") if ep else "unknown",
                fq,
                service,
                ns,
                ep.label("app") if ep else "unknown",
                ep.label("version", "latest") if ep else "unknown",
                "Kubernetes" if ep else "unknown",
                "http",
                flags or "-",
                self._mtls if reporter == "destination" else "unknown",
                str(code),
                "",
            )
            labels = self._labels[key] = render_labels(ISTIO_LABELS, values)
        self._metrics.istio_requests.inc(labels)
        self._metrics.istio_duration.observe(labels, ms)
