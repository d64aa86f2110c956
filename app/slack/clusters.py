"""Which cluster a channel asks about, and one engine session per cluster for the bot's whole life.

``slack_channel_clusters`` maps a channel id to a kubeconfig context or a snapshot path
(``context:NAME`` / ``snapshot:PATH`` say which explicitly; otherwise an existing path is a snapshot and
anything else a context). The key ``default`` (or the settings' own snapshot/context) is used for every
other channel. A session owns a snapshot API server and a local Prometheus, so it is opened once, on the
first question, and reused; an attempt that fails is not remembered, so the next question retries.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.engine import Session, open_session
from tools.contracts.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_KEY = "default"


@dataclass(frozen=True)
class Target:
    """A snapshot path, or a kubeconfig context (None: the kubeconfig's current one)."""

    snapshot: str | None = None
    context: str | None = None

    @property
    def label(self) -> str:
        if self.snapshot:
            return f"snapshot {Path(self.snapshot).name}"
        return f"context {self.context}" if self.context else "the current kubeconfig context"


def parse_target(value: str) -> Target:
    value = value.strip()
    kind, sep, rest = value.partition(":")
    if sep and kind in ("snapshot", "context") and rest.strip():
        rest = rest.strip()
        return Target(snapshot=rest) if kind == "snapshot" else Target(context=rest)
    if Path(value).expanduser().exists():
        return Target(snapshot=str(Path(value).expanduser()))
    return Target(context=value)


class ClusterPool:
    """Channel → target → one shared :class:`Session`; :meth:`close` stops every server it started."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        mapping = dict(settings.slack_channel_clusters)
        default = mapping.pop(DEFAULT_KEY, None)
        self.default = (
            parse_target(default) if default else Target(snapshot=settings.snapshot, context=settings.context)
        )
        self.channels = {channel.lstrip("#"): parse_target(value) for channel, value in mapping.items()}
        self._sessions: dict[Target, Session] = {}
        self._locks: dict[Target, threading.Lock] = {}
        self._lock = threading.Lock()

    def target_for(self, channel: str) -> Target:
        return self.channels.get(channel, self.default)

    def session(self, target: Target, progress: Callable[[str], None] | None = None) -> Session:
        """The open session for ``target``, opening it on first use. Raises what ``open_session`` raises
        (SnapshotError, ToolError) without remembering the failure."""
        with self._lock:
            if target in self._sessions:
                return self._sessions[target]
            lock = self._locks.setdefault(target, threading.Lock())
        with lock:  # one opener per target; other targets open in parallel
            with self._lock:
                if target in self._sessions:
                    return self._sessions[target]
            opened = open_session(
                self.settings, snapshot=target.snapshot, context=target.context, progress=progress
            )
            with self._lock:
                self._sessions[target] = opened
            return opened

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for opened in sessions:
            try:
                opened.close()
            except Exception:  # closing goes on for the others
                log.exception("closing a cluster session failed")
