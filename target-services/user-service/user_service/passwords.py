"""Passwords as salted argon2id hashes, really verified (the seed's check always said yes).

Cost defaults follow OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane): slow enough to make
guessing expensive, small enough that a 256 MiB pod can hash a few logins at once. Hashing runs in
a worker thread so the event loop keeps serving other requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from svc_common.settings import env_int


class Passwords:
    def __init__(self, *, time_cost: int = 2, memory_kib: int = 19_456, parallelism: int = 1):
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        self._dummy: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Passwords:
        return cls(
            time_cost=env_int(env, "ARGON2_TIME_COST", 2, low=1, high=10),
            memory_kib=env_int(env, "ARGON2_MEMORY_KIB", 19_456, low=1024, high=1_048_576),
        )

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        def check() -> bool:
            if password_hash is None and self._dummy is None:
                # Verifying against a dummy when the email is unknown keeps the timing the same,
                # so the response time does not reveal which emails have accounts. Made on
                # first use, not at start-up, where every millisecond of CPU counts.
                self._dummy = self._hasher.hash("not-a-real-password")
            try:
                return self._hasher.verify(password_hash or self._dummy or "", password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False

        ok = await asyncio.to_thread(check)
        return ok and password_hash is not None
