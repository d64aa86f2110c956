"""Who may ask, and how often: the channel and user allow-lists and a per-user rate limit.

An empty allow-list allows everyone. Channel allow-lists hold channel ids (``C0123ABCD``); direct
messages are allowed when the list is empty or holds ``dm``. Refusals are polite sentences meant to be
posted as they are.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from app.slack.mrkdwn import mention
from tools.contracts.settings import Settings

DM_ENTRY = "dm"
WINDOW_S = 60.0


def is_direct_message(channel: str, channel_type: str | None = None) -> bool:
    return channel_type == "im" or channel.startswith("D")


@dataclass
class AccessPolicy:
    allowed_channels: frozenset[str] = frozenset()
    allowed_users: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> AccessPolicy:
        return cls(
            frozenset(c.strip().lstrip("#") for c in settings.slack_allowed_channels if c.strip()),
            frozenset(u.strip().lstrip("@") for u in settings.slack_allowed_users if u.strip()),
        )

    def refusal(self, user: str, channel: str, channel_type: str | None = None) -> str | None:
        """None when ``user`` may ask in ``channel``; else the polite sentence that says why not."""
        if self.allowed_users and user not in self.allowed_users:
            return (
                f"Sorry {mention(user)}, I only answer people my operators have enabled, and you are not on "
                "that list yet. Please ask your platform team to add you."
            )
        if self.allowed_channels:
            if is_direct_message(channel, channel_type):
                if DM_ENTRY not in self.allowed_channels and channel not in self.allowed_channels:
                    return (
                        "Sorry, I do not answer in direct messages here. Please ask me in one of the "
                        "channels I am enabled in."
                    )
            elif channel not in self.allowed_channels:
                return (
                    f"Sorry {mention(user)}, I am not enabled in this channel. Please ask me in one of the "
                    "channels my operators have enabled."
                )
        return None


@dataclass
class RateLimiter:
    """At most ``per_minute`` questions per user in any 60-second window (0 = no limit)."""

    per_minute: int
    clock: Callable[[], float] = time.monotonic
    _asked: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refusal(self, user: str) -> str | None:
        """Count one question for ``user``; None when allowed, else the polite sentence with the wait."""
        if self.per_minute <= 0:
            return None
        now = self.clock()
        with self._lock:
            asked = self._asked.setdefault(user, deque())
            while asked and now - asked[0] >= WINDOW_S:
                asked.popleft()
            if len(asked) >= self.per_minute:
                wait = max(1, round(WINDOW_S - (now - asked[0])))
                return (
                    f"Sorry {mention(user)}, you have asked {len(asked)} questions in the last minute, "
                    f"my limit per person. Please try again in about {wait} s."
                )
            asked.append(now)
        return None
