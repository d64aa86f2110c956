"""Which cluster a question is about (:class:`Target`) and one session per cluster for a process's life
(:class:`SessionPool`), for every surface. A session owns a snapshot API server and a local Prometheus:
opening one per question, browser tab or Slack thread would be slow and wasteful."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.engine import Session, open_session
from tools.contracts.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """A snapshot path, or a kubeconfig context (None: the kubeconfig's current one) of ``kubeconfig``
    (None: the settings' one, else the default kubeconfig)."""

    snapshot: str | None = None
    context: str | None = None
    kubeconfig: str | None = None

    @classmethod
    def of(cls, settings: Settings) -> Target:
        """The cluster the settings name (``KUBEWHY_SNAPSHOT``, ``KUBEWHY_CONTEXT``)."""
        return cls(snapshot=settings.snapshot, context=settings.context)

    @property
    def key(self) -> str:
        """A stable text key (page caches are keyed by text)."""
        return f"snapshot:{self.snapshot}" if self.snapshot else f"context:{self.kubeconfig}:{self.context}"

    @property
    def label(self) -> str:
        """How a person is told which cluster is read."""
        if self.snapshot:
            return f"snapshot {Path(self.snapshot).name}"
        return f"context {self.context}" if self.context else "the current kubeconfig context"

    def stored(self) -> dict[str, Any]:
        """The target as kept in the shared state (a Slack thread's cluster, on any replica)."""
        return {"snapshot": self.snapshot, "context": self.context}

    @classmethod
    def from_stored(cls, value: Mapping[str, Any]) -> Target:  # the inverse of :meth:`stored`
        return cls(snapshot=value.get("snapshot"), context=value.get("context"))

    def open(self, settings: Settings, progress: Callable[[str], None] | None = None) -> Session:
        """A new session on this cluster (the caller closes it). Raises SnapshotError or ToolError."""
        return open_session(
            settings,
            snapshot=self.snapshot,
            context=self.context,
            kubeconfig=self.kubeconfig,
            progress=progress,
        )


def parse_target(value: str) -> Target:
    """``context:NAME`` / ``snapshot:PATH`` say which explicitly; otherwise an existing path is a snapshot
    and anything else a context."""
    value = value.strip()
    kind, sep, rest = value.partition(":")
    if sep and kind in ("snapshot", "context") and rest.strip():
        rest = rest.strip()
        return Target(snapshot=rest) if kind == "snapshot" else Target(context=rest)
    if Path(value).expanduser().exists():
        return Target(snapshot=str(Path(value).expanduser()))
    return Target(context=value)


class SessionPool:
    """Target → one shared :class:`Session`, opened on first use; a failure is not remembered, so the next
    question retries. ``default`` is the settings' own cluster."""

    def __init__(self, settings: Settings, default: Target | None = None) -> None:
        self.settings = settings
        self.default = default if default is not None else Target.of(settings)
        self._sessions: dict[Target, Session] = {}
        self._locks: dict[Target, threading.Lock] = {}
        self._lock = threading.Lock()

    def session(self, target: Target | None = None, progress: Callable[[str], None] | None = None) -> Session:
        """The open session for ``target`` (the default one when None), opening it on first use. Raises
        what ``open_session`` raises (SnapshotError, ToolError) without remembering the failure."""
        target = self.default if target is None else target
        with self._lock:
            if target in self._sessions:
                return self._sessions[target]
            lock = self._locks.setdefault(target, threading.Lock())
        with lock:  # one opener per target; other targets open in parallel
            with self._lock:
                if target in self._sessions:
                    return self._sessions[target]
            opened = target.open(self.settings, progress)
            with self._lock:
                self._sessions[target] = opened
            return opened

    def close(self) -> None:
        """Stop every server the pool started; a failure to close one does not stop the others."""
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for opened in sessions:
            try:
                opened.close()
            except Exception:  # closing goes on for the others
                log.exception("closing a cluster session failed")
