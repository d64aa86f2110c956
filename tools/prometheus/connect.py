"""One call for the engine: the Prometheus for this question, or why there is none.

Snapshot mode starts a local Prometheus over ``metrics/`` (evaluating at ``capturedAt``); live mode uses
``KUBEWHY_PROMETHEUS_URL``. Either way the caller gets ``(access, None)`` or ``(None, reason)`` and puts
the reason in ``ToolContext.unavailable["prometheus"]``, so everything else keeps working.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from tools.contracts.settings import Settings
from tools.prometheus.client import PrometheusAccess
from tools.prometheus.local import PrometheusUnavailable, start_local_prometheus

if TYPE_CHECKING:
    from tools.snapshot.loader import Snapshot


@contextmanager
def open_prometheus(
    settings: Settings, snapshot: Snapshot | None = None
) -> Iterator[tuple[PrometheusAccess | None, str | None]]:
    """Yield (access, None) or (None, why metrics are unavailable); stops a local server on exit."""
    if snapshot is not None:
        if not snapshot.metrics_files:
            yield None, "the snapshot has no metrics/*.om files"
            return
        try:
            server = start_local_prometheus(snapshot.metrics_files, snapshot.meta.captured_at)
        except PrometheusUnavailable as exc:
            yield None, f"metrics unavailable: {exc}"
            return
        with server:
            access = server.access()
            try:
                yield access, None
            finally:
                access.close()
        return
    try:
        access = PrometheusAccess.from_settings(settings)
    except ValueError as exc:
        yield None, f"KUBEWHY_PROMETHEUS_URL: {exc}"
        return
    if access is None:
        yield None, "KUBEWHY_PROMETHEUS_URL is not set"
        return
    try:
        yield access, None
    finally:
        access.close()
