"""Istio resources as typed models: VirtualService, DestinationRule, AuthorizationPolicy,
PeerAuthentication (networking v1alpha3/v1beta1/v1 share one proto; docs/parity.md, "Istio (mesh)").

Unknown fields are errors, as they are under `kubectl apply --validate=strict` (the CRDs carry
no `x-kubernetes-preserve-unknown-fields` in `spec`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from harness.contracts.durations import GO_UNITS, Dialect, NotADuration, parse

# Go's units without its Greek-mu spelling of micro, which the mesh has never accepted.
_ISTIO = Dialect({unit: size for unit, size in GO_UNITS.items() if unit != "μs"})


def parse_duration(text: str) -> float:
    """Go/protobuf duration (`2s`, `500ms`, `1m30s`, `0.5s`) → seconds."""
    rest = text.strip()
    if not rest:
        raise ValueError("empty duration")
    try:
        return parse(rest, _ISTIO)
    except NotADuration:
        raise ValueError(f"invalid duration {text!r} (use e.g. 500ms, 2s, 1m)") from None


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _duration(v: str | None) -> str | None:
    if v is not None:
        parse_duration(v)
    return v


class StringMatch(_M):
    exact: str | None = None
    prefix: str | None = None
    regex: str | None = None


class Percent(_M):
    value: float = 0.0


class HTTPMatchRequest(_M):
    name: str | None = None
    uri: StringMatch | None = None
    scheme: StringMatch | None = None
    method: StringMatch | None = None
    authority: StringMatch | None = None
    headers: dict[str, StringMatch] = Field(default_factory=dict)
    port: int | None = None
    source_labels: dict[str, str] | None = Field(default=None, alias="sourceLabels")
    gateways: list[str] | None = None
    query_params: dict[str, StringMatch] = Field(default_factory=dict, alias="queryParams")
    ignore_uri_case: bool = Field(default=False, alias="ignoreUriCase")
    without_headers: dict[str, StringMatch] = Field(default_factory=dict, alias="withoutHeaders")
    source_namespace: str | None = Field(default=None, alias="sourceNamespace")
    stat_prefix: str | None = Field(default=None, alias="statPrefix")


class PortSelector(_M):
    number: int


class Destination(_M):
    host: str
    subset: str | None = None
    port: PortSelector | None = None


class HTTPRouteDestination(_M):
    destination: Destination
    weight: int = 0
    headers: dict[str, object] | None = None

    @field_validator("weight")
    @classmethod
    def _non_negative(cls, v: int) -> int:
        if v < 0:
            raise ValueError("weight must not be negative")
        return v


class Delay(_M):
    fixed_delay: str | None = Field(default=None, alias="fixedDelay")
    exponential_delay: str | None = Field(default=None, alias="exponentialDelay")
    percentage: Percent | None = None
    percent: int | None = None  # deprecated integer percent, still honoured by Istio

    _d = field_validator("fixed_delay", "exponential_delay")(_duration)


class Abort(_M):
    # `percent` was removed from the proto (reserved), so it is an unknown field here.
    http_status: int | None = Field(default=None, alias="httpStatus")
    grpc_status: str | None = Field(default=None, alias="grpcStatus")
    http2_error: str | None = Field(default=None, alias="http2Error")
    percentage: Percent | None = None


class HTTPFaultInjection(_M):
    delay: Delay | None = None
    abort: Abort | None = None


class HTTPRetry(_M):
    attempts: int = 0
    per_try_timeout: str | None = Field(default=None, alias="perTryTimeout")
    retry_on: str | None = Field(default=None, alias="retryOn")
    retry_remote_localities: bool | None = Field(default=None, alias="retryRemoteLocalities")
    retry_ignore_previous_hosts: bool | None = Field(default=None, alias="retryIgnorePreviousHosts")
    backoff: str | None = None

    _d = field_validator("per_try_timeout")(_duration)


class HTTPRoute(_M):
    name: str | None = None
    match: list[HTTPMatchRequest] | None = None
    route: list[HTTPRouteDestination] | None = None
    redirect: dict[str, object] | None = None
    direct_response: dict[str, object] | None = Field(default=None, alias="directResponse")
    delegate: dict[str, object] | None = None
    rewrite: dict[str, object] | None = None
    timeout: str | None = None
    retries: HTTPRetry | None = None
    fault: HTTPFaultInjection | None = None
    mirror: Destination | None = None
    mirrors: list[dict[str, object]] | None = None
    mirror_percentage: Percent | None = Field(default=None, alias="mirrorPercentage")
    mirror_percent: int | None = Field(default=None, alias="mirrorPercent")  # deprecated
    cors_policy: dict[str, object] | None = Field(default=None, alias="corsPolicy")
    headers: dict[str, object] | None = None

    _d = field_validator("timeout")(_duration)


class VirtualServiceSpec(_M):
    hosts: list[str] = Field(default_factory=list)
    gateways: list[str] | None = None
    http: list[HTTPRoute] = Field(default_factory=list)
    tls: list[dict[str, object]] | None = None
    tcp: list[dict[str, object]] | None = None
    export_to: list[str] | None = Field(default=None, alias="exportTo")


class TCPSettings(_M):
    max_connections: int | None = Field(default=None, alias="maxConnections")
    connect_timeout: str | None = Field(default=None, alias="connectTimeout")
    tcp_keepalive: dict[str, object] | None = Field(default=None, alias="tcpKeepalive")
    max_connection_duration: str | None = Field(default=None, alias="maxConnectionDuration")
    idle_timeout: str | None = Field(default=None, alias="idleTimeout")

    _d = field_validator("connect_timeout", "max_connection_duration", "idle_timeout")(_duration)


class HTTPSettings(_M):
    http1_max_pending_requests: int | None = Field(default=None, alias="http1MaxPendingRequests")
    http2_max_requests: int | None = Field(default=None, alias="http2MaxRequests")
    max_requests_per_connection: int | None = Field(default=None, alias="maxRequestsPerConnection")
    max_retries: int | None = Field(default=None, alias="maxRetries")
    idle_timeout: str | None = Field(default=None, alias="idleTimeout")
    h2_upgrade_policy: str | None = Field(default=None, alias="h2UpgradePolicy")
    use_client_protocol: bool | None = Field(default=None, alias="useClientProtocol")
    max_concurrent_streams: int | None = Field(default=None, alias="maxConcurrentStreams")
    http2_keep_alive: dict[str, object] | None = Field(default=None, alias="http2KeepAlive")

    _d = field_validator("idle_timeout")(_duration)


class ConnectionPool(_M):
    tcp: TCPSettings | None = None
    http: HTTPSettings | None = None


class OutlierDetection(_M):
    consecutive_errors: int | None = Field(default=None, alias="consecutiveErrors")  # ignored
    consecutive_5xx_errors: int | None = Field(default=None, alias="consecutive5xxErrors")
    consecutive_gateway_errors: int | None = Field(default=None, alias="consecutiveGatewayErrors")
    consecutive_local_origin_failures: int | None = Field(
        default=None, alias="consecutiveLocalOriginFailures"
    )
    split_external_local_origin_errors: bool = Field(
        default=False, alias="splitExternalLocalOriginErrors"
    )
    interval: str | None = None
    base_ejection_time: str | None = Field(default=None, alias="baseEjectionTime")
    max_ejection_percent: int | None = Field(default=None, alias="maxEjectionPercent")
    min_health_percent: int | None = Field(default=None, alias="minHealthPercent")

    _d = field_validator("interval", "base_ejection_time")(_duration)


class TrafficPolicy(_M):
    load_balancer: dict[str, object] | None = Field(default=None, alias="loadBalancer")
    connection_pool: ConnectionPool | None = Field(default=None, alias="connectionPool")
    outlier_detection: OutlierDetection | None = Field(default=None, alias="outlierDetection")
    tls: dict[str, object] | None = None
    port_level_settings: list[dict[str, object]] | None = Field(
        default=None, alias="portLevelSettings"
    )
    tunnel: dict[str, object] | None = None
    proxy_protocol: dict[str, object] | None = Field(default=None, alias="proxyProtocol")
    retry_budget: dict[str, object] | None = Field(default=None, alias="retryBudget")


class Subset(_M):
    name: str
    labels: dict[str, str] = Field(default_factory=dict)
    traffic_policy: TrafficPolicy | None = Field(default=None, alias="trafficPolicy")


class DestinationRuleSpec(_M):
    host: str
    traffic_policy: TrafficPolicy | None = Field(default=None, alias="trafficPolicy")
    subsets: list[Subset] = Field(default_factory=list)
    export_to: list[str] | None = Field(default=None, alias="exportTo")
    workload_selector: dict[str, object] | None = Field(default=None, alias="workloadSelector")


class Source(_M):
    principals: list[str] | None = None
    not_principals: list[str] | None = Field(default=None, alias="notPrincipals")
    request_principals: list[str] | None = Field(default=None, alias="requestPrincipals")
    not_request_principals: list[str] | None = Field(default=None, alias="notRequestPrincipals")
    namespaces: list[str] | None = None
    not_namespaces: list[str] | None = Field(default=None, alias="notNamespaces")
    service_accounts: list[str] | None = Field(default=None, alias="serviceAccounts")
    not_service_accounts: list[str] | None = Field(default=None, alias="notServiceAccounts")
    ip_blocks: list[str] | None = Field(default=None, alias="ipBlocks")
    not_ip_blocks: list[str] | None = Field(default=None, alias="notIpBlocks")
    remote_ip_blocks: list[str] | None = Field(default=None, alias="remoteIpBlocks")
    not_remote_ip_blocks: list[str] | None = Field(default=None, alias="notRemoteIpBlocks")
    trust_domains: list[str] | None = Field(default=None, alias="trustDomains")
    not_trust_domains: list[str] | None = Field(default=None, alias="notTrustDomains")


class Operation(_M):
    hosts: list[str] | None = None
    not_hosts: list[str] | None = Field(default=None, alias="notHosts")
    ports: list[str] | None = None
    not_ports: list[str] | None = Field(default=None, alias="notPorts")
    methods: list[str] | None = None
    not_methods: list[str] | None = Field(default=None, alias="notMethods")
    paths: list[str] | None = None
    not_paths: list[str] | None = Field(default=None, alias="notPaths")


class From(_M):
    source: Source


class To(_M):
    operation: Operation


class Condition(_M):
    key: str
    values: list[str] | None = None
    not_values: list[str] | None = Field(default=None, alias="notValues")


class Rule(_M):
    from_: list[From] | None = Field(default=None, alias="from")
    to: list[To] | None = None
    when: list[Condition] | None = None


class WorkloadSelector(_M):
    match_labels: dict[str, str] = Field(default_factory=dict, alias="matchLabels")


class AuthorizationPolicySpec(_M):
    selector: WorkloadSelector | None = None
    target_ref: dict[str, object] | None = Field(default=None, alias="targetRef")
    target_refs: list[dict[str, object]] | None = Field(default=None, alias="targetRefs")
    rules: list[Rule] | None = None
    action: Literal["ALLOW", "DENY", "AUDIT", "CUSTOM"] = "ALLOW"
    provider: dict[str, object] | None = None


class MTLS(_M):
    mode: Literal["UNSET", "DISABLE", "PERMISSIVE", "STRICT"] = "UNSET"


class PeerAuthenticationSpec(_M):
    selector: WorkloadSelector | None = None
    mtls: MTLS | None = None
    port_level_mtls: dict[str, MTLS] | None = Field(default=None, alias="portLevelMtls")


class Named(_M):
    """A resource with its name and namespace, as the loader keeps it."""

    name: str
    namespace: str = "default"


class VirtualService(Named):
    spec: VirtualServiceSpec


class DestinationRule(Named):
    spec: DestinationRuleSpec


class AuthorizationPolicy(Named):
    spec: AuthorizationPolicySpec


class PeerAuthentication(Named):
    spec: PeerAuthenticationSpec


SPEC_MODELS: dict[str, type[BaseModel]] = {
    "VirtualService": VirtualServiceSpec,
    "DestinationRule": DestinationRuleSpec,
    "AuthorizationPolicy": AuthorizationPolicySpec,
    "PeerAuthentication": PeerAuthenticationSpec,
}
ISTIO_GROUPS = ("networking.istio.io/", "security.istio.io/")

# Fixes for the traps of the sample configuration (docs/parity.md, "Traps `harness validate`
# reports").
HINTS = {
    "circuitBreaker": (
        "not an Istio field (pre-1.0 API); use trafficPolicy.connectionPool and "
        "trafficPolicy.outlierDetection.consecutive5xxErrors"
    ),
    "percent": "abort.percent was removed; use abort.percentage.value (a double, in %)",
}
