"""Shoppers on the sample shop, through the gateway.

Run it alone: `locust -f loadtests/locustfile.py` (host defaults to the local gateway).

Journeys (weights approximate a shop: most visits browse, few buy):
  on start   sign up, activate the account, log in (test data made through the API)
  browse     inventory listing and items, a profile read, the list of active users
  buy        place an order with the consumer API key (order-service reserves stock and charges),
             read it back, list my orders; top up a wallet, a payment signed with a JWT
A small share of users are canary shoppers: every request carries `x-canary: true`, the header the
mesh routes to user-service's preview (the revision a blue-green rollout is trying; the stable
one otherwise), and their requests are named `canary ...` so a report can compare the cohorts.

Failures are recorded with their cause (`HTTP 429: ...`, `timeout: ...`, `connection error: ...`).
Requests go through `common.client.LeanHttpUser`: Locust's statistics and `catch_response`, with
geventhttpclient's pool underneath but without FastHttpUser's cookie jar, redirects and retries,
which these journeys never use (about a third of the generator's CPU per request).
Environment: HARNESS_API_KEY / HARNESS_JWT_ISSUER / HARNESS_JWT_SECRET override the credentials
from the state folder; LOAD_THINK_SCALE scales think times (0 = none); LOAD_REQUEST_TIMEOUT (s).
"""

from __future__ import annotations

import itertools
import os
import random
import uuid
from typing import Any

from common.client import LeanHttpUser
from common.credentials import load_credentials
from common.outcome import record
from common.tokens import TokenCache
from locust import between, task

CREDENTIALS = load_credentials()
THINK_SCALE = float(os.environ.get("LOAD_THINK_SCALE", "1"))
REQUEST_TIMEOUT = float(os.environ.get("LOAD_REQUEST_TIMEOUT", "10"))
PAYMENT_METHODS = ("card", "credit_card", "debit_card", "paypal")
_serial = itertools.count()


def _json(response: Any) -> Any:
    try:
        return response.json()
    except Exception:  # an error page is not JSON; the status already tells the story
        return None


def _field(data: Any, *names: str) -> Any:
    if isinstance(data, dict):
        for name in names:
            if data.get(name) not in (None, ""):
                return data[name]
    return None


class Shopper(LeanHttpUser):
    """One customer: signs up once, then browses often and buys now and then."""

    host = "http://127.0.0.1:8000"
    weight = 19
    wait_time = between(1.0 * THINK_SCALE, 4.0 * THINK_SCALE)
    network_timeout = REQUEST_TIMEOUT
    connection_timeout = REQUEST_TIMEOUT
    label = ""
    extra_headers: dict[str, str] = {}

    def on_start(self) -> None:
        self.user_id: Any = None
        self.access_token = ""
        self.skus: list[str] = []
        self.order_ids: list[Any] = []
        self.tokens = TokenCache(CREDENTIALS.jwt_issuer, CREDENTIALS.jwt_secret)
        self.email = f"shopper-{uuid.uuid4().hex[:12]}-{next(_serial)}@example.test"
        self.password = f"pw-{uuid.uuid4().hex}"
        self.sign_up()

    # -- requests ------------------------------------------------------------------------
    def _call(
        self,
        method: str,
        path: str,
        name: str,
        expected: tuple[int, ...] = (200,),
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """One request; returns the decoded body on an expected status, else None."""
        all_headers = {**self.extra_headers, **(headers or {})}
        with self.client.request(
            method,
            path,
            name=f"{self.label}{method} {name}",
            headers=all_headers,
            catch_response=True,
            **kwargs,
        ) as response:
            if record(response, expected):
                return _json(response) if response.text else {}
        return None

    def sign_up(self) -> None:
        profile = {
            "email": self.email,
            "password": self.password,
            "first_name": random.choice(("Ada", "Grace", "Linus", "Barbara", "Ken")),
            "last_name": random.choice(("Lovelace", "Hopper", "Torvalds", "Liskov", "Thompson")),
        }
        created = self._call("POST", "/api/v1/users", "/api/v1/users", (200, 201), json=profile)
        self.user_id = _field(created, "id", "user_id")
        if self.user_id is None:
            return
        self._call(
            "POST",
            f"/api/v1/users/{self.user_id}/activate",
            "/api/v1/users/{id}/activate",
            (200, 204),
        )
        self.log_in()

    # -- tasks ---------------------------------------------------------------------------
    @task(1)
    def log_in(self) -> None:
        body = {"email": self.email, "password": self.password}
        answer = self._call("POST", "/api/v1/users/login", "/api/v1/users/login", json=body)
        self.access_token = str(_field(answer, "access_token", "token") or self.access_token)

    @task(10)
    def browse_inventory(self) -> None:
        listing = self._call("GET", "/api/v1/inventory", "/api/v1/inventory")
        items = listing.get("items", []) if isinstance(listing, dict) else listing
        if isinstance(items, list) and items:
            self.skus = [str(i["sku"]) for i in items if isinstance(i, dict) and "sku" in i]

    @task(3)
    def view_profile(self) -> None:
        if self.user_id is not None:
            self._call("GET", f"/api/v1/users/{self.user_id}", "/api/v1/users/{id}")

    @task(4)
    def view_item(self) -> None:
        if self.skus:
            sku = random.choice(self.skus)
            self._call("GET", f"/api/v1/inventory/items/{sku}", "/api/v1/inventory/items/{sku}")

    @task(1)
    def list_active_users(self) -> None:
        self._call("GET", "/api/v1/users?limit=20", "/api/v1/users")

    @task(3)
    def place_order(self) -> None:
        if self.user_id is None or not self.skus:
            self.browse_inventory()
            return
        picked = random.sample(self.skus, k=min(len(self.skus), random.randint(1, 3)))
        order = {
            "user_id": self.user_id,
            "items": [{"sku": sku, "quantity": random.randint(1, 3)} for sku in picked],
            "payment_method": random.choice(PAYMENT_METHODS),
        }
        # 409 (not enough stock) is the shop's correct answer once stock runs out, not a fault
        placed = self._call(
            "POST",
            "/api/v1/orders",
            "/api/v1/orders",
            (201, 409),
            headers={"apikey": CREDENTIALS.api_key},
            json=order,
        )
        order_id = _field(placed, "id")
        if order_id is not None:
            self.order_ids = [*self.order_ids[-9:], order_id]

    @task(2)
    def view_order(self) -> None:
        if self.order_ids:
            self._call(
                "GET",
                f"/api/v1/orders/{random.choice(self.order_ids)}",
                "/api/v1/orders/{id}",
                headers={"apikey": CREDENTIALS.api_key},
            )

    @task(1)
    def my_orders(self) -> None:
        if self.user_id is not None:
            self._call(
                "GET",
                f"/api/v1/orders?user_id={self.user_id}&limit=10",
                "/api/v1/orders?user_id",
                headers={"apikey": CREDENTIALS.api_key},
            )

    @task(2)
    def top_up_wallet(self) -> None:
        """A payment straight to payment-service, authenticated by a JWT the client signs."""
        if self.user_id is None:
            return
        payment = {
            "user_id": self.user_id,
            "amount": random.choice(("5.00", "10.00", "12.50", "25.00")),  # strings: exact decimals
            "currency": "EUR",
            "method": random.choice(PAYMENT_METHODS),
        }
        self._call(
            "POST",
            "/api/v1/payments",
            "/api/v1/payments",
            (200, 201),
            headers={
                "Authorization": f"Bearer {self.tokens.get()}",
                "Idempotency-Key": uuid.uuid4().hex,
            },
            json=payment,
        )


class CanaryShopper(Shopper):
    """The canary cohort (1 in 20 users): same journeys, user calls routed to the preview."""

    weight = 1
    label = "canary "
    extra_headers = {"x-canary": "true"}
