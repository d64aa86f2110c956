"""Capture a snapshot (contracts section 1) from a live cluster, through the read-only KubeAccess.

Every listable kind is written page by page as a `<Kind>List` (memory stays flat on big clusters), with
`managedFields` dropped; Secrets arrive already stripped by the transport, so no value is ever written.
Logs (current and previous instance) are taken for unhealthy pods only, bounded in count and size.
Paths come from names the API server sent; the writer refuses any that is not a Kubernetes name, and that
kind or log is reported as skipped, never written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tools.contracts.kube import objects
from tools.contracts.kube.kinds import KindInfo
from tools.contracts.kube.pod_status import pod_is_healthy
from tools.contracts.wording import plural
from tools.kubernetes.access import KubeAccess, KubeError
from tools.snapshot.writer import SnapshotWriter, UnsafeName, safe_path

# Kinds that add bulk or churn but no diagnostic value; core events stand in for events.k8s.io.
SKIPPED = {
    ("events.k8s.io", "events"),
    ("", "componentstatuses"),
    ("coordination.k8s.io", "leases"),
    ("metrics.k8s.io", "pods"),
    ("metrics.k8s.io", "nodes"),
}


@dataclass
class CaptureLimits:
    max_log_pods: int = 200  # unhealthy pods whose logs are taken
    log_lines: int = 1000  # per container instance
    log_bytes: int = 512 * 1024


@dataclass
class CaptureSummary:
    root: Path
    objects: dict[str, int] = field(default_factory=dict)  # plural(.group) -> count
    logs: int = 0
    skipped: list[str] = field(default_factory=list)  # kinds or logs that could not be read, and why


def capture_snapshot(
    kube: KubeAccess,
    out: Path,
    name: str | None = None,
    namespaces: list[str] | None = None,
    limits: CaptureLimits | None = None,
    progress: Callable[[str], None] | None = None,
    now: datetime | None = None,
) -> CaptureSummary:
    """Write a snapshot of the cluster behind `kube` into `out` (which must not exist or be empty)."""
    limits = limits or CaptureLimits()
    say = progress or (lambda _message: None)
    captured_at = (now or datetime.now(UTC)).astimezone(UTC)
    summary = CaptureSummary(root=out)
    writer = SnapshotWriter.into_empty(out)  # raises ValueError when out is not empty
    unhealthy: list[dict[str, Any]] = []
    kinds = [k for k in kube.discover_kinds() if k.listable and (k.group, k.plural) not in SKIPPED]
    say(f"capturing {len(kinds)} kinds" + (f" in namespaces {', '.join(namespaces)}" if namespaces else ""))
    for info in kinds:
        try:
            count = _write_kind(kube, info, writer, namespaces, unhealthy, limits.max_log_pods)
        except (KubeError, UnsafeName) as exc:
            summary.skipped.append(f"{info.describe()}: {exc}")
            say(f"skipped {info.describe()}: {exc}")
            continue
        if count:
            summary.objects[info.describe()] = count
            say(f"{info.describe()}: {count}")
    summary.logs = _write_logs(kube, writer, unhealthy, limits, summary, say)
    _write_meta(kube, writer, name or kube.name, captured_at, namespaces)
    total = sum(summary.objects.values())
    say(f"wrote {total} objects of {len(summary.objects)} kinds and {summary.logs} logs to {out}")
    return summary


def _write_kind(
    kube: KubeAccess,
    info: KindInfo,
    writer: SnapshotWriter,
    namespaces: list[str] | None,
    unhealthy: list[dict[str, Any]],
    max_log_pods: int,
) -> int:
    scopes: list[str | None] = list(namespaces) if namespaces and info.namespaced else [None]
    with writer.list_json(info.group or "core", info.plural, info.api_version, info.kind) as listing:
        for scope in scopes:
            for page in kube.iter_pages(info.describe(), scope):
                for obj in page:
                    objects.meta(obj).pop("managedFields", None)
                    listing.add(obj)
                    wants_logs = info.kind == "Pod" and info.group == "" and len(unhealthy) < max_log_pods
                    if wants_logs and (not pod_is_healthy(obj) or _restarted(obj)):
                        unhealthy.append(obj)
    return listing.count


def _restarted(pod: dict[str, Any]) -> bool:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return any(s.get("restartCount") for s in statuses)


def _write_logs(
    kube: KubeAccess,
    writer: SnapshotWriter,
    pods: list[dict[str, Any]],
    limits: CaptureLimits,
    summary: CaptureSummary,
    say: Callable[[str], None],
) -> int:
    written = 0
    if pods:
        say(f"reading logs of {plural(len(pods), 'unhealthy pod')}")
    for pod in pods:
        meta = objects.meta(pod)
        namespace, name = meta.get("namespace"), meta.get("name")
        status = pod.get("status") or {}
        for state in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
            container = state.get("name")
            try:
                safe_path(writer.root / "logs", namespace, name, container)
            except UnsafeName as exc:
                summary.skipped.append(f"log {namespace!r}/{name!r}/{container!r}: not written, {exc}")
                say(f"skipped the log of {namespace!r}/{name!r}/{container!r}: {exc}")
                continue
            wanted = [False]  # a waiting container's "current" log is its last run's: keep it too
            if state.get("restartCount") or (state.get("lastState") or {}).get("terminated"):
                wanted.append(True)
            for previous in wanted:
                try:
                    text = kube.read_log(
                        namespace,
                        name,
                        container=container,
                        previous=previous,
                        tail_lines=limits.log_lines,
                        limit_bytes=limits.log_bytes,
                        timestamps=True,
                    )
                except KubeError as exc:
                    summary.skipped.append(f"log {namespace}/{name}/{container}: {exc}")
                    continue
                if not text:
                    continue
                writer.write_log(str(namespace), str(name), str(container), previous, text)
                written += 1
    return written


def _write_meta(
    kube: KubeAccess, writer: SnapshotWriter, name: str, captured_at: datetime, namespaces: list[str] | None
) -> None:
    try:
        version = kube.server_version().get("gitVersion")
    except KubeError:
        version = None
    scope = f"namespaces {', '.join(namespaces)}" if namespaces else "all namespaces"
    writer.write_meta(
        name,
        captured_at,
        kubernetes_version=version,
        description=f"captured by kubewhy from {kube.host} ({scope})",
    )
