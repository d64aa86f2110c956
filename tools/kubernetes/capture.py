"""Capture a snapshot (contracts section 1) from a live cluster, through the read-only KubeAccess.

Every listable kind is written page by page as a `<Kind>List` (memory stays flat on big clusters), with
`managedFields` dropped; Secrets arrive already stripped by the transport, so no value is ever written.
Logs (current and previous instance) are taken for unhealthy pods only, bounded in count and size.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import yaml

from tools.kubernetes.access import KindInfo, KubeAccess, KubeError
from tools.kubernetes.pod_status import pod_is_healthy

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
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"{out} already exists and is not an empty directory")
    captured_at = (now or datetime.now(UTC)).astimezone(UTC)
    summary = CaptureSummary(root=out)
    resources = out / "resources"
    resources.mkdir(parents=True, exist_ok=True)
    unhealthy: list[dict[str, Any]] = []
    kinds = [k for k in kube.discover_kinds() if k.listable and (k.group, k.plural) not in SKIPPED]
    say(f"capturing {len(kinds)} kinds" + (f" in namespaces {', '.join(namespaces)}" if namespaces else ""))
    for info in kinds:
        try:
            count = _write_kind(kube, info, resources, namespaces, unhealthy, limits.max_log_pods)
        except KubeError as exc:
            summary.skipped.append(f"{info.describe()}: {exc}")
            say(f"skipped {info.describe()}: {exc}")
            continue
        if count:
            summary.objects[info.describe()] = count
            say(f"{info.describe()}: {count}")
    summary.logs = _write_logs(kube, out / "logs", unhealthy, limits, summary, say)
    _write_meta(kube, out, name or kube.name, captured_at, namespaces)
    total = sum(summary.objects.values())
    say(f"wrote {total} objects of {len(summary.objects)} kinds and {summary.logs} logs to {out}")
    return summary


def _write_kind(
    kube: KubeAccess,
    info: KindInfo,
    resources: Path,
    namespaces: list[str] | None,
    unhealthy: list[dict[str, Any]],
    max_log_pods: int,
) -> int:
    scopes: list[str | None] = list(namespaces) if namespaces and info.namespaced else [None]
    path = resources / (info.group or "core") / f"{info.plural}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps({"apiVersion": info.api_version, "kind": f"{info.kind}List"})[:-1])
        handle.write(', "items": [\n')
        for scope in scopes:
            for page in kube.iter_pages(info.describe(), scope):
                for obj in page:
                    (obj.get("metadata") or {}).pop("managedFields", None)
                    _write_item(handle, obj, first=count == 0)
                    count += 1
                    wants_logs = info.kind == "Pod" and info.group == "" and len(unhealthy) < max_log_pods
                    if wants_logs and (not pod_is_healthy(obj) or _restarted(obj)):
                        unhealthy.append(obj)
        handle.write("\n]}\n")
    if not count:
        path.unlink()
        if not any(path.parent.iterdir()):
            path.parent.rmdir()
    return count


def _write_item(handle: TextIO, obj: dict[str, Any], first: bool) -> None:
    if not first:
        handle.write(",\n")
    handle.write(json.dumps(obj, separators=(",", ":")))


def _restarted(pod: dict[str, Any]) -> bool:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return any(s.get("restartCount") for s in statuses)


def _write_logs(
    kube: KubeAccess,
    logs: Path,
    pods: list[dict[str, Any]],
    limits: CaptureLimits,
    summary: CaptureSummary,
    say: Callable[[str], None],
) -> int:
    written = 0
    if pods:
        say(f"reading logs of {len(pods)} unhealthy pod(s)")
    for pod in pods:
        meta = pod.get("metadata") or {}
        namespace, name = meta.get("namespace"), meta.get("name")
        status = pod.get("status") or {}
        for state in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
            container = state.get("name")
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
                directory = logs / str(namespace) / str(name)
                directory.mkdir(parents=True, exist_ok=True)
                suffix = ".previous.log" if previous else ".log"
                (directory / f"{container}{suffix}").write_text(text, encoding="utf-8")
                written += 1
    return written


def _write_meta(
    kube: KubeAccess, out: Path, name: str, captured_at: datetime, namespaces: list[str] | None
) -> None:
    try:
        version = kube.server_version().get("gitVersion")
    except KubeError:
        version = None
    doc: dict[str, Any] = {
        "apiVersion": "kubewhy/v1",
        "kind": "ClusterSnapshot",
        "name": name,
        "capturedAt": captured_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if version:
        doc["kubernetesVersion"] = version
    scope = f"namespaces {', '.join(namespaces)}" if namespaces else "all namespaces"
    doc["description"] = f"captured by kubewhy from {kube.host} ({scope})"
    (out / "snapshot.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
