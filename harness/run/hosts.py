"""Where a run's traffic may go, and who gets the target's credentials (`contracts.hosts`).

`load.host` (and, on a cluster, `--gateway`/`--prometheus`) must be loopback or named in the
allow-list: the scenario's `allowed_hosts` plus `--allow-host`. The gateway's API key and the
JWT secret are the local target's (or, on a cluster, `HARNESS_API_KEY`/`HARNESS_JWT_SECRET`,
meant for its gateway): Locust gets them only when it loads that very gateway; any other host
gets a Locust with no credentials at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from harness.contracts.hosts import check_url
from harness.errors import BadInput, ConfigError
from harness.run.state import RunOptions
from harness.run.target import KubeOptions, StackHandle
from harness.scenario.loader import Scenario

CREDENTIAL_ENV = ("HARNESS_API_KEY", "HARNESS_JWT_SECRET")


def check_hosts(scenario: Scenario, options: RunOptions) -> RunOptions:
    """BadInput for a load.host outside the allow-list; `options` with the list handed on."""
    allowed = (*scenario.harness.allowed_hosts, *options.allowed_hosts)
    host = scenario.harness.load.host
    if host is not None:
        try:
            check_url(host, flag="load.host", allowed=allowed)
        except BadInput as exc:
            problem = str(exc).removeprefix("load.host: ")
            raise ConfigError(str(scenario.path), "load.host", problem) from None
    if options.target != "kubernetes":
        return replace(options, allowed_hosts=allowed)
    kube = replace(options.kube or KubeOptions(), allowed_hosts=allowed)
    return replace(options, allowed_hosts=allowed, kube=kube)


def same_origin(a: str, b: str) -> bool:
    from urllib.parse import urlsplit

    x, y = urlsplit(a), urlsplit(b)
    return (x.scheme, x.hostname, x.port) == (y.scheme, y.hostname, y.port)


def load_env(host: str, handle: StackHandle, work: Path) -> dict[str, str]:
    """Locust's environment: the state folder (its credentials) only for the target's gateway."""
    if same_origin(host, handle.gateway):
        return {"HARNESS_STATE_DIR": str(handle.state)}
    empty = work / "no-credentials"  # credentials.py would fall back to the project's .harness
    empty.mkdir(parents=True, exist_ok=True)
    return {"HARNESS_STATE_DIR": str(empty), **dict.fromkeys(CREDENTIAL_ENV, "")}


def locust_env(
    scenario_env: Mapping[str, str], host: str, handle: StackHandle, work: Path
) -> dict[str, str]:
    """The scenario's `load.env`, then `load_env`: a scenario never overrides which credentials
    reach which host."""
    return {**scenario_env, **load_env(host, handle, work)}


__all__ = ["check_hosts", "load_env", "locust_env", "same_origin"]
