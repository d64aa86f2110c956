"""Stable, seeded identifiers: the same seed and key always give the same uid, name suffix or IP.

Values are derived from a hash of (seed, key) rather than from one shared random stream, so adding an
object to a scenario does not change the names of every object created after it.
"""

from __future__ import annotations

import hashlib
import random
import uuid

# The alphabet Kubernetes uses for generated names (k8s.io/apimachinery/pkg/util/rand).
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


class Ids:
    def __init__(self, seed: int | str) -> None:
        self.seed = str(seed)

    def _digest(self, key: str) -> bytes:
        return hashlib.sha256(f"{self.seed}\x00{key}".encode()).digest()

    def rng(self, key: str) -> random.Random:
        """An independent random stream for one purpose (e.g. the noise of one metric series)."""
        return random.Random(int.from_bytes(self._digest(key)[:8], "big"))

    def uid(self, key: str) -> str:
        return str(uuid.UUID(bytes=self._digest("uid:" + key)[:16], version=4))

    def token(self, key: str, length: int) -> str:
        """A generated-name suffix such as the `x2lqp` of `checkout-7d9f8c6b5-x2lqp`."""
        digest = self._digest("name:" + key)
        return "".join(NAME_ALPHABET[b % len(NAME_ALPHABET)] for b in digest[:length])

    def template_hash(self, key: str) -> str:
        """A pod-template-hash (9 or 10 characters, as the Deployment controller writes)."""
        return self.token("hash:" + key, 9 + self._digest("hashlen:" + key)[0] % 2)

    def hex(self, key: str, length: int) -> str:
        return hashlib.sha256(f"{self.seed}\x00hex:{key}".encode()).hexdigest()[:length]

    def number(self, key: str, low: int, high: int) -> int:
        return low + int.from_bytes(self._digest("num:" + key)[:8], "big") % (high - low + 1)
