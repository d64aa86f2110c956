"""Waiting for the snapshot server's request log to catch up with the client."""

from __future__ import annotations

import time

from tools.snapshot.server import SnapshotServer


def settled_requests(server: SnapshotServer, since: int) -> list:
    """The requests the server recorded after index `since`, once recording has caught up: the server
    records a request just after writing its response, so the client can be a moment ahead."""
    seen, stable_since = -1, time.monotonic()
    while time.monotonic() - stable_since < 0.05:
        if len(server.requests) != seen:
            seen, stable_since = len(server.requests), time.monotonic()
        time.sleep(0.005)
    return server.requests[since:]
