"""Build the Kubernetes side of a ToolContext: a snapshot served in-process, a kubeconfig context, or the
in-cluster ServiceAccount. The one place that decides where `ctx.kube` comes from."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext
from tools.kubernetes.access import KubeAccess

_SA_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")


@dataclass
class KubeConnection:
    """A KubeAccess, the cluster's name, its "now" (a snapshot's capturedAt), and how to let go of it."""

    kube: KubeAccess
    cluster_name: str
    fixed_now: datetime | None = None
    snapshot_server: object | None = None
    _cleanups: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        while self._cleanups:
            self._cleanups.pop()()

    def __enter__(self) -> KubeConnection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_kube(
    settings: Settings,
    snapshot: str | Path | None = None,
    context: str | None = None,
    kubeconfig: str | None = None,
) -> KubeConnection:
    """Connect as asked: --snapshot wins, then --context/--kubeconfig (or the settings' ones), then the
    in-cluster ServiceAccount when running in a pod, then the default kubeconfig context. Reads are limited
    to ``settings.namespaces`` (KUBEWHY_NAMESPACES) when it is set.

    Raises SnapshotError for a bad snapshot and KubeError (a ToolError) for an unusable kubeconfig.
    """
    snapshot = snapshot or settings.snapshot
    if snapshot:
        from tools.snapshot.server import start_snapshot_server

        server = start_snapshot_server(snapshot)
        try:
            kube = KubeAccess.from_kubeconfig(str(server.kubeconfig_path), namespaces=settings.namespaces)
        except Exception:
            server.stop()
            raise
        connection = KubeConnection(
            kube, server.snapshot.meta.name, server.snapshot.meta.captured_at, snapshot_server=server
        )
        connection._cleanups += [server.stop, kube.close]
        return connection
    context = context or settings.context
    kubeconfig = kubeconfig or settings.kubeconfig
    if not context and not kubeconfig and _in_cluster():
        kube = KubeAccess.in_cluster(namespaces=settings.namespaces)
    else:
        kube = KubeAccess.from_kubeconfig(kubeconfig, context, namespaces=settings.namespaces)
    connection = KubeConnection(kube, kube.name)
    connection._cleanups.append(kube.close)
    return connection


def _in_cluster() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and _SA_TOKEN.is_file()


def tool_context(settings: Settings, connection: KubeConnection, **extra: object) -> ToolContext:
    """A ToolContext for the Kubernetes tools (the engine adds Prometheus and flows to the same object)."""
    return ToolContext(
        settings=settings,
        kube=connection.kube,
        cluster_name=connection.cluster_name,
        fixed_now=connection.fixed_now,
        **extra,  # type: ignore[arg-type]
    )
