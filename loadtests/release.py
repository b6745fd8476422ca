"""Shoppers during a release: the shop's customers, plus the testers who try the new version.

Run it alone: `locust -f loadtests/release.py` (host defaults to the local gateway).

user-service is a blue-green Rollout (deploy/kubernetes/user-service.yaml). Customers
(`locustfile.Shopper`) never send `x-canary`, so they only ever reach the active Service, the
promoted version. Release testers send `x-canary: true` on every request, which istio.yaml routes
to the preview Service, the revision being rolled out: they sign up once, then read profiles and
the user list steadily (about 2.5 requests per second each), so the pre-promotion analysis has a
success rate to judge. One tester per nine customers; their requests are named `canary ...`.
Environment: as locustfile.py (LOAD_THINK_SCALE also scales the testers' pauses).
"""

from __future__ import annotations

import locustfile as shop  # loadtests/ is on sys.path when Locust runs a file from it
from locust import between


class Shopper(shop.Shopper):
    """A customer, exactly as in locustfile.py."""

    weight = 9


class ReleaseTester(shop.Shopper):
    """Tries the preview: every request carries `x-canary: true` (istio.yaml's canary rule)."""

    weight = 1
    label = "canary "
    extra_headers = {"x-canary": "true"}  # read only, as in locustfile.py
    wait_time = between(0.2 * shop.THINK_SCALE, 0.6 * shop.THINK_SCALE)

    def read_profile(self) -> None:
        self.view_profile()

    def read_users(self) -> None:
        self.list_active_users()


# Only the user-service calls above. Set after the class is made: Locust's metaclass adds every
# base class task to a `tasks` written in the class body, and the shop journeys are not this
# cohort's.
ReleaseTester.tasks = [ReleaseTester.read_profile] * 3 + [ReleaseTester.read_users]
