"""Drives `LeanHttpUser` against target_app.py and prints what Locust's request event received.

`python lean_probe.py TARGET_URL DEAD_URL`: one exchange per behaviour, in a fresh interpreter
(locust monkey-patches the process), one JSON object on stdout: `events` (name → what the
request event got), `raised` (name → the exception that left the with-block, if any) and
`bodies` (name → the decoded JSON answer).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "loadtests"))

from common.client import LeanHttpUser
from common.outcome import record
from locust.env import Environment
from locust.exception import LocustError, ResponseError


class Probe(LeanHttpUser):  # type: ignore[misc]  # imported by path: mypy sees Any
    network_timeout = 0.3
    connection_timeout = 0.3

    def context(self) -> dict[str, Any]:
        return {"cohort": "probe"}


def main() -> None:
    url, dead = sys.argv[1], sys.argv[2]
    env = Environment(user_classes=[Probe])
    events: dict[str, dict[str, Any]] = {}
    raised: dict[str, str] = {}
    bodies: dict[str, Any] = {}

    def on_request(**meta: Any) -> None:
        error = meta["exception"]
        events[meta["name"]] = {
            "type": meta["request_type"],
            "error": None if error is None else f"{type(error).__name__}: {error}",
            "length": meta["response_length"],
            "time_ms": meta["response_time"],
            "context": meta["context"],
            "url": meta["url"],
            "status": meta["response"].status_code,
        }

    env.events.request.add_listener(on_request)  # type: ignore[no-untyped-call]  # untyped
    try:
        Probe(env)
    except LocustError:
        raised["no-host"] = "LocustError"
    Probe.host = url  # what Locust's runner does with --host
    client = Probe(env).client

    def caught(name: str, path: str, action: Any, **kwargs: Any) -> None:
        try:
            with client.request("GET", path, name=name, catch_response=True, **kwargs) as response:
                action(response)
        except Exception as error:  # the test asserts on what escaped
            raised[name] = type(error).__name__

    caught("ok", "/ok", lambda r: bodies.setdefault("ok", r.json()))
    caught("status-503", "/status/503", lambda r: None)
    caught("record-429", "/status/429", record)
    caught("marked-failure", "/ok", lambda r: r.failure("order total missing"))
    caught("marked-success", "/status/404", lambda r: r.success())

    def bug(response: Any) -> None:
        raise ValueError("a bug in the task")

    def bad_body(response: Any) -> None:
        raise ResponseError("no items in the listing")

    caught("bug", "/ok", bug)
    caught("response-error", "/ok", bad_body)
    caught("timeout", "/sleep/1", record)
    caught("refused", f"{dead}/x", record)

    answer = client.get("/status/429", name="no-catch-429")
    try:
        with answer:
            pass
    except LocustError:
        raised["no-catch-429"] = "LocustError"
    created = client.post(
        "/api/v1/users", name="json-post", json={"email": "a@example.test", "password": "p"}
    )
    bodies["json-post"] = created.json()
    print(json.dumps({"events": events, "raised": raised, "bodies": bodies}))


if __name__ == "__main__":
    main()
