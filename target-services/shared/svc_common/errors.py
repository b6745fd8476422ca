"""One error tree for the services; the app maps each class to an HTTP status and JSON body.

ServiceError                 base: status 500
├── InvalidRequest     422   input is well-formed JSON but breaks a rule
├── Unauthorized       401   credentials wrong (never says which part)
├── Forbidden          403   credentials right, but the account may not do this
├── NotFound           404
├── Conflict           409   uniqueness, insufficient stock, an idempotency key reused
├── PaymentDeclined    402   the payment was refused (a business outcome, not a fault)
├── InjectedFailure    500   the misbehaviour switch fired
└── DownstreamError    502   a service we call answered 5xx
    ├── DownstreamUnavailable  503   refused connection or circuit breaker open
    └── DownstreamTimeout      504   no answer within the call timeout
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status_code = 500

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail, **self.extra}

    def headers(self) -> dict[str, str] | None:
        return None


class InvalidRequest(ServiceError):
    status_code = 422


class Unauthorized(ServiceError):
    status_code = 401


class Forbidden(ServiceError):
    status_code = 403


class NotFound(ServiceError):
    status_code = 404


class Conflict(ServiceError):
    status_code = 409


class PaymentDeclined(ServiceError):
    status_code = 402


class InjectedFailure(ServiceError):
    status_code = 500


class DownstreamError(ServiceError):
    """A call to another service failed; `target` names it, `reason` says how."""

    status_code = 502

    def __init__(self, target: str, detail: str, *, reason: str, **extra: Any) -> None:
        super().__init__(detail, target=target, reason=reason, **extra)
        self.target = target
        self.reason = reason


class DownstreamUnavailable(DownstreamError):
    status_code = 503

    def __init__(
        self, target: str, detail: str, *, reason: str, retry_after_s: float | None = None
    ) -> None:
        super().__init__(target, detail, reason=reason)
        self.retry_after_s = retry_after_s

    def headers(self) -> dict[str, str] | None:
        if self.retry_after_s is None:
            return None
        return {"Retry-After": str(max(1, round(self.retry_after_s)))}


class DownstreamTimeout(DownstreamError):
    status_code = 504
