"""Kong gateway and Istio mesh of the local target: config models, pure decisions, data plane.

Decisions (`routing`, `outlier`, `authz`, `kong_router`, `kong_plugins`) are pure functions of
config and request data; `http1`, `mesh`, `gateway` and `server` are the asyncio data plane run
by `python -m harness.mesh`.
"""
