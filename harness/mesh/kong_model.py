"""Kong DB-less declarative configuration (format 3.0) as typed models
(docs/parity.md, "Kong (gateway)").

Entities and the configs of the plugins we run are strict (Kong rejects unknown fields);
plugin names outside `PLUGIN_CONFIGS` are rejected the way Kong does (`plugin '<name>' not
enabled`).
"""

from __future__ import annotations

import itertools
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ALL_METHODS = ["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE", "OPTIONS", "TRACE", "CONNECT"]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RateLimitingConfig(_M):
    second: float | None = None
    minute: float | None = None
    hour: float | None = None
    day: float | None = None
    month: float | None = None
    year: float | None = None
    limit_by: Literal["consumer", "credential", "ip", "service", "header", "path"] = "consumer"
    header_name: str | None = None
    path: str | None = None
    policy: Literal["local", "cluster", "redis"] = "local"
    fault_tolerant: bool = True
    hide_client_headers: bool = False
    error_code: int = 429
    error_message: str = "API rate limit exceeded"
    sync_rate: float = -1
    redis: dict[str, object] | None = None
    # the flat redis_* fields before `redis` (Kong 3.6); still accepted, with a deprecation
    redis_host: str | None = None
    redis_port: int | None = None
    redis_password: str | None = None
    redis_username: str | None = None
    redis_ssl: bool | None = None
    redis_ssl_verify: bool | None = None
    redis_server_name: str | None = None
    redis_timeout: int | None = None
    redis_database: int | None = None

    @model_validator(mode="after")
    def _limits(self) -> RateLimitingConfig:
        limits = [(p, getattr(self, p)) for p in PERIODS if getattr(self, p) is not None]
        if not limits:
            raise ValueError(
                "at least one of these fields must be non-empty: 'config.second', "
                "'config.minute', 'config.hour', 'config.day', 'config.month', "
                "'config.year'"
            )
        for (small, a), (big, b) in itertools.pairwise(limits):
            if a <= 0 or b <= 0:
                raise ValueError("limits must be greater than 0")
            if b < a:
                raise ValueError(
                    f"the limit for {big} ({b}) cannot be lower than the limit for {small} ({a})"
                )
        return self


PERIODS = ("second", "minute", "hour", "day", "month", "year")


class KeyAuthConfig(_M):
    key_names: list[str] = Field(default_factory=lambda: ["apikey"])
    key_in_header: bool = True
    key_in_query: bool = True
    key_in_body: bool = False
    hide_credentials: bool = False
    anonymous: str | None = None
    run_on_preflight: bool = True
    realm: str | None = None


class JwtConfig(_M):
    uri_param_names: list[str] = Field(default_factory=lambda: ["jwt"])
    cookie_names: list[str] = Field(default_factory=list)
    header_names: list[str] = Field(default_factory=lambda: ["authorization"])
    key_claim_name: str = "iss"
    secret_is_base64: bool = False
    claims_to_verify: list[Literal["exp", "nbf"]] = Field(default_factory=list)
    anonymous: str | None = None
    run_on_preflight: bool = True
    maximum_expiration: float = 0
    realm: str | None = None

    @model_validator(mode="after")
    def _max_exp(self) -> JwtConfig:
        if self.maximum_expiration > 0 and "exp" not in self.claims_to_verify:
            raise ValueError("expected 'claims_to_verify' to contain 'exp'")
        return self


SizeUnit = Literal["megabytes", "kilobytes", "bytes"]
UNIT_BYTES = {"megabytes": 1 << 20, "kilobytes": 1 << 10, "bytes": 1}


class RequestSizeLimitingConfig(_M):
    allowed_payload_size: int = 128
    size_unit: SizeUnit = "megabytes"
    require_content_length: bool = False

    @property
    def limit_bytes(self) -> int:
        return self.allowed_payload_size * UNIT_BYTES[self.size_unit]


class CorsConfig(_M):
    origins: list[str] = Field(default_factory=list)
    methods: list[str] = Field(default_factory=lambda: list(ALL_METHODS))
    headers: list[str] | None = None
    exposed_headers: list[str] | None = None
    credentials: bool = False
    max_age: int | None = None
    preflight_continue: bool = False
    private_network: bool = False
    allow_origin_absent: bool = True


class CorrelationIdConfig(_M):
    header_name: str = "Kong-Request-ID"
    generator: Literal["uuid", "uuid#counter", "tracker"] = "uuid#counter"
    echo_downstream: bool = False


class _TransformOps(_M):
    headers: list[str] = Field(default_factory=list)
    querystring: list[str] = Field(default_factory=list)
    body: list[str] = Field(default_factory=list)


class _ReplaceOps(_TransformOps):
    uri: str | None = None


class RequestTransformerConfig(_M):
    http_method: str | None = None
    remove: _TransformOps = Field(default_factory=_TransformOps)
    rename: _TransformOps = Field(default_factory=_TransformOps)
    replace: _ReplaceOps = Field(default_factory=_ReplaceOps)
    add: _TransformOps = Field(default_factory=_TransformOps)
    append: _TransformOps = Field(default_factory=_TransformOps)


class PrometheusConfig(_M):
    per_consumer: bool = False
    status_code_metrics: bool = False
    latency_metrics: bool = False
    bandwidth_metrics: bool = False
    upstream_health_metrics: bool = False
    ai_metrics: bool = False


PLUGIN_CONFIGS: dict[str, type[_M]] = {
    "correlation-id": CorrelationIdConfig,
    "cors": CorsConfig,
    "jwt": JwtConfig,
    "key-auth": KeyAuthConfig,
    "request-size-limiting": RequestSizeLimitingConfig,
    "rate-limiting": RateLimitingConfig,
    "request-transformer": RequestTransformerConfig,
    "prometheus": PrometheusConfig,
}
# Handler PRIORITY values (Kong 3.x); access phase runs high → low.
PRIORITY = {
    "correlation-id": 100001,
    "cors": 2000,
    "jwt": 1450,
    "key-auth": 1250,
    "request-size-limiting": 951,
    "rate-limiting": 910,
    "request-transformer": 801,
    "prometheus": 13,
}
# Bundled Kong OSS plugins we do not run locally; they load in Kong but are refused here.
KNOWN_NOT_EMULATED = {
    "acl",
    "acme",
    "aws-lambda",
    "azure-functions",
    "basic-auth",
    "bot-detection",
    "datadog",
    "file-log",
    "grpc-gateway",
    "grpc-web",
    "hmac-auth",
    "http-log",
    "ip-restriction",
    "ldap-auth",
    "loggly",
    "oauth2",
    "opentelemetry",
    "post-function",
    "pre-function",
    "proxy-cache",
    "rate-limiting-advanced",
    "redirect",
    "request-termination",
    "response-ratelimiting",
    "response-transformer",
    "session",
    "statsd",
    "syslog",
    "tcp-log",
    "udp-log",
    "zipkin",
    "ai-proxy",
}


class Plugin(_M):
    name: str
    comment: str | None = Field(default=None, alias="_comment")  # any entity may carry one
    config: dict[str, object] = Field(default_factory=dict)
    enabled: bool = True
    protocols: list[str] | None = None
    tags: list[str] | None = None
    id: str | None = None
    instance_name: str | None = None
    route: str | None = None
    service: str | None = None
    consumer: str | None = None


class Route(_M):
    name: str | None = None
    comment: str | None = Field(default=None, alias="_comment")  # any entity may carry one
    id: str | None = None
    paths: list[str] = Field(default_factory=list)
    methods: list[str] | None = None
    hosts: list[str] | None = None
    headers: dict[str, list[str]] | None = None
    protocols: list[str] = Field(default_factory=lambda: ["http", "https"])
    strip_path: bool = True
    preserve_host: bool = False
    path_handling: Literal["v0", "v1"] = "v0"
    regex_priority: int = 0
    https_redirect_status_code: int = 426
    request_buffering: bool = True
    response_buffering: bool = True
    snis: list[str] | None = None
    sources: list[dict[str, object]] | None = None
    destinations: list[dict[str, object]] | None = None
    tags: list[str] | None = None
    service: str | None = None
    plugins: list[Plugin] = Field(default_factory=list)

    @field_validator("paths")
    @classmethod
    def _paths(cls, v: list[str]) -> list[str]:
        for p in v:
            if not p.startswith("/") and not p.startswith("~"):
                raise ValueError(f"path {p!r} must start with '/' (or '~' for a regex)")
        return v


class Service(_M):
    name: str
    comment: str | None = Field(default=None, alias="_comment")  # any entity may carry one
    id: str | None = None
    url: str | None = None
    protocol: str = "http"
    host: str | None = None
    port: int = 80
    path: str | None = None
    retries: int = 5
    connect_timeout: int = 60000
    write_timeout: int = 60000
    read_timeout: int = 60000
    enabled: bool = True
    tls_verify: bool | None = None
    tags: list[str] | None = None
    routes: list[Route] = Field(default_factory=list)
    plugins: list[Plugin] = Field(default_factory=list)


class KeyAuthCredential(_M):
    key: str
    id: str | None = None
    tags: list[str] | None = None
    ttl: int | None = None


class JwtSecret(_M):
    key: str | None = None
    secret: str | None = None
    algorithm: Literal[
        "HS256",
        "HS384",
        "HS512",
        "RS256",
        "RS384",
        "RS512",
        "ES256",
        "ES384",
        "ES512",
        "PS256",
        "PS384",
        "PS512",
        "EdDSA",
    ] = "HS256"
    rsa_public_key: str | None = None
    id: str | None = None
    tags: list[str] | None = None


class Consumer(_M):
    username: str | None = None
    custom_id: str | None = None
    id: str | None = None
    tags: list[str] | None = None
    keyauth_credentials: list[KeyAuthCredential] = Field(default_factory=list)
    jwt_secrets: list[JwtSecret] = Field(default_factory=list)
    plugins: list[Plugin] = Field(default_factory=list)
    acls: list[dict[str, object]] | None = None
    basicauth_credentials: list[dict[str, object]] | None = None
    hmacauth_credentials: list[dict[str, object]] | None = None
    comment: str | None = Field(default=None, alias="_comment")  # idem


class KongConfig(_M):
    format_version: Literal["1.1", "2.1", "3.0"] = Field(alias="_format_version")
    transform: bool | None = Field(default=None, alias="_transform")
    comment: str | None = Field(default=None, alias="_comment")
    services: list[Service] = Field(default_factory=list)
    routes: list[Route] = Field(default_factory=list)
    consumers: list[Consumer] = Field(default_factory=list)
    plugins: list[Plugin] = Field(default_factory=list)
    upstreams: list[dict[str, object]] | None = None
    certificates: list[dict[str, object]] | None = None
    ca_certificates: list[dict[str, object]] | None = None
    vaults: list[dict[str, object]] | None = None
