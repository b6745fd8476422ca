"""chaostoolkit-istio 0.4.1 against the official client ≥ 35: the one call that changed.

chaosistio reads and patches VirtualServices with `ApiClient.call_api(url, method,
header_params=, body=, auth_settings=, _preload_content=False)` and expects `(response,
status, headers)` back, or an `ApiException` for a non-2xx answer. Since kubernetes 35 the
generated client splits that call into `param_serialize` + `call_api(method, url, ...)`, which
returns the raw response and raises nothing, so every chaosistio action fails with a
TypeError. `legacy_call_api()` hands chaosistio, for the duration of one action, an ApiClient
that answers the old call through the new one (same request, same auth, same errors). With an
older client it changes nothing. Plain `chaos run` has no such adapter: see docs/chaos.md.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator
from typing import Any

TIMEOUT = (5.0, 30.0)
_MODULES = ("chaosistio.fault.actions", "chaosistio.fault.probes")


def needs_adapter() -> bool:
    from kubernetes.client import ApiClient

    return "auth_settings" not in inspect.signature(ApiClient.call_api).parameters


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self, decode_content: bool = True) -> bytes:
        return self._data


class LegacyCallApi:
    """An ApiClient with the pre-35 `call_api` chaosistio uses; everything else delegated."""

    def __init__(self, api: Any) -> None:
        self._api = api

    def __getattr__(self, name: str) -> Any:
        return getattr(self._api, name)

    def call_api(
        self,
        resource_path: str,
        method: str,
        path_params: Any = None,
        query_params: Any = None,
        header_params: Any = None,
        body: Any = None,
        post_params: Any = None,
        files: Any = None,
        response_type: Any = None,
        auth_settings: Any = None,
        async_req: Any = None,
        _return_http_data_only: Any = None,
        collection_formats: Any = None,
        _preload_content: bool = True,
        _request_timeout: Any = None,
        _host: Any = None,
    ) -> tuple[_Body, int, Any]:
        from kubernetes.client.exceptions import ApiException

        verb, url, headers, data, post = self._api.param_serialize(
            method=method,
            resource_path=resource_path,
            path_params=path_params,
            query_params=query_params,
            header_params=header_params,
            body=body,
            post_params=post_params,
            files=files,
            auth_settings=auth_settings,
            collection_formats=collection_formats,
            _host=_host,
        )
        response = self._api.call_api(
            verb, url, header_params=headers, body=data, post_params=post,
            _request_timeout=_request_timeout or TIMEOUT,
        )  # fmt: skip
        response.read()
        if not 200 <= int(response.status) <= 299:
            raise ApiException(http_resp=response)
        return _Body(response.data), int(response.status), response.getheaders()


@contextlib.contextmanager
def legacy_call_api() -> Iterator[None]:
    """While it is open, chaosistio's `create_k8s_api_client` returns adapted clients."""
    if not needs_adapter():
        yield
        return
    import importlib

    modules = [importlib.import_module(name) for name in _MODULES]
    originals = [m.create_k8s_api_client for m in modules]

    def adapted(original: Any) -> Any:
        def create(*args: Any, **kwargs: Any) -> LegacyCallApi:
            return LegacyCallApi(original(*args, **kwargs))

        return create

    for module, original in zip(modules, originals, strict=True):
        setattr(module, "create_k8s_api_client", adapted(original))  # noqa: B010  # untyped module
    try:
        yield
    finally:
        for module, original in zip(modules, originals, strict=True):
            setattr(module, "create_k8s_api_client", original)  # noqa: B010  # untyped module
