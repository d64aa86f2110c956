"""Write a builder's model as a snapshot directory (contracts section 1), byte-for-byte reproducibly,
through the snapshot writer capture uses (:mod:`tools.snapshot.writer`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devkit.synth import render
from devkit.synth.clock import rfc3339_nano
from devkit.synth.logs import routine_lines, startup_lines
from devkit.synth.metricgen import GENERATORS
from devkit.synth.openmetrics import MetricsFile
from tools.snapshot.writer import SnapshotWriter

if TYPE_CHECKING:
    from devkit.synth.builder import ClusterBuilder, EventModel

CLUSTER_SCOPED = {
    "Node",
    "Namespace",
    "PersistentVolume",
    "StorageClass",
    "IngressClass",
    "ClusterRole",
    "ClusterRoleBinding",
    "PriorityClass",
    "CustomResourceDefinition",
}


def _plural(kind: str) -> str:
    lower = kind.lower()
    if lower == "endpoints":
        return lower
    if lower.endswith("s"):
        return lower + "es"
    if lower.endswith("y"):
        return lower[:-1] + "ies"
    return lower + "s"


def collect_objects(b: ClusterBuilder) -> list[dict[str, Any]]:
    """Every object of the snapshot, in API form, with resourceVersions assigned."""
    objects: list[dict[str, Any]] = []
    for name, info in sorted(b.namespaces.items()):
        objects.append(render.render_namespace(name, info))
        objects.extend(render.namespace_defaults(b, name, info))
    objects.extend(render.render_node(b, node) for node in b.nodes.values())
    for dep in b.deployments:
        objects.append(render.render_deployment(b, dep))
        objects.extend(render.render_replicaset(b, rs) for rs in dep.replica_sets)
    b.rendered_storage = []
    for sts in b.statefulsets:
        objects.append(render.render_statefulset(b, sts))
        b.rendered_storage.extend(render.render_statefulset_storage(b, sts))
    objects.extend(b.rendered_storage)
    objects.extend(render.render_daemonset(b, ds) for ds in b.daemonsets)
    objects.extend(render.render_pod(b, pod) for pod in b.all_pods())
    for svc in b.services:
        objects.append(render.render_service(b, svc))
        objects.extend(render.render_endpoints(b, svc))
    objects.extend(b.objects)
    events = _final_events(b)
    objects.extend(render.render_event(b, event, i) for i, event in enumerate(events))
    _assign_resource_versions(objects)
    return objects


def _lifecycle_events(b: ClusterBuilder) -> None:
    """Scheduled/Pulled/Created/Started and controller events for pods created (or deleted) recently."""
    horizon = b.now - b.event_ttl
    for pod in b.all_pods(include_deleted=True):
        controller = _controller_ref(b, pod)
        if pod.created >= horizon and pod.node and pod.unschedulable is None:
            b.event(
                pod,
                "Scheduled",
                f"Successfully assigned {pod.namespace}/{pod.name} to {pod.node}",
                "Normal",
                1,
                pod.created + timedelta(seconds=1),
                component="default-scheduler",
            )
            if controller is not None:
                ref, component, message = controller
                b.event(ref, "SuccessfulCreate", message, "Normal", 1, pod.created, component=component)
            for c in pod.containers:
                if not c.runs:
                    continue
                start = c.runs[0].started
                path = f"spec.containers{{{c.name}}}"
                pull_ms = b.ids.number(f"pull/{pod.name}/{c.name}", 400, 4200)
                size = b.ids.number(f"size/{c.image}", 18_000_000, 220_000_000)
                b.event(
                    pod,
                    "Pulling",
                    f'Pulling image "{c.image}"',
                    "Normal",
                    1,
                    start - timedelta(milliseconds=pull_ms + 300),
                    field_path=path,
                )
                b.event(
                    pod,
                    "Pulled",
                    f'Successfully pulled image "{c.image}" in {pull_ms / 1000:.3f}s '
                    f"({pull_ms / 1000:.3f}s including waiting). Image size: {size} bytes.",
                    "Normal",
                    1,
                    start - timedelta(milliseconds=200),
                    field_path=path,
                )
                b.event(
                    pod,
                    "Created",
                    f"Created container {c.name}",
                    "Normal",
                    1,
                    start - timedelta(milliseconds=100),
                    field_path=path,
                )
                b.event(pod, "Started", f"Started container {c.name}", "Normal", 1, start, field_path=path)
        if pod.deleted is not None and pod.deleted >= horizon and pod.node:
            for c in pod.containers:
                b.event(
                    pod,
                    "Killing",
                    f"Stopping container {c.name}",
                    "Normal",
                    1,
                    pod.deleted,
                    field_path=f"spec.containers{{{c.name}}}",
                )
            if controller is not None and controller[0].__class__.__name__ == "ReplicaSet":
                b.event(
                    controller[0],
                    "SuccessfulDelete",
                    f"Deleted pod: {pod.name}",
                    "Normal",
                    1,
                    pod.deleted,
                    component="replicaset-controller",
                )


def _controller_ref(b: ClusterBuilder, pod: Any) -> tuple[Any, str, str] | None:
    if not pod.owner:
        return None
    kind = pod.owner["kind"]
    if kind == "ReplicaSet":
        for dep in b.deployments:
            for rs in dep.replica_sets:
                if rs.name == pod.owner["name"] and dep.namespace == pod.namespace:
                    return rs, "replicaset-controller", f"Created pod: {pod.name}"
    if kind == "StatefulSet":
        sts = b.workload(f"{pod.namespace}/{pod.owner['name']}")
        return sts, "statefulset-controller", f"create Pod {pod.name} in StatefulSet {sts.name} successful"
    if kind == "DaemonSet":
        ds = b.workload(f"{pod.namespace}/{pod.owner['name']}")
        return ds, "daemonset-controller", f"Created pod: {pod.name}"
    return None


def _final_events(b: ClusterBuilder) -> list[EventModel]:
    """Merge repeats as the event recorder does (count, first, last) and drop what the TTL removed."""
    saved = list(b.events)
    _lifecycle_events(b)
    merged: dict[tuple[Any, ...], Any] = {}
    for event in b.events:
        key = (
            event.involved.get("uid"),
            event.involved.get("fieldPath"),
            event.reason,
            event.message,
            event.type,
        )
        seen = merged.get(key)
        if seen is None:
            merged[key] = event
            continue
        seen.count += event.count
        seen.first = min(seen.first, event.first)
        seen.last = max(seen.last, event.last)
    b.events = saved  # writing twice gives the same result
    horizon = b.now - b.event_ttl
    kept = [e for e in merged.values() if e.last >= horizon and e.first <= b.now]
    return sorted(kept, key=lambda e: (e.namespace, e.last, e.involved["name"], e.reason))


def _assign_resource_versions(objects: list[dict[str, Any]]) -> None:
    def when(obj: dict[str, Any]) -> tuple[str, str, str, str]:
        meta = obj["metadata"]
        stamp = obj.get("lastTimestamp") or meta.get("creationTimestamp", "")
        return (stamp, obj["kind"], meta.get("namespace", ""), meta["name"])

    for number, obj in enumerate(sorted(objects, key=when), start=4021):
        obj["metadata"]["resourceVersion"] = str(number * 7 + 100000)


def write_snapshot(b: ClusterBuilder, out: str | Path) -> Path:
    """Write the snapshot directory (snapshot.yaml, resources/, logs/, metrics/, flows/) for ``b``."""
    out = Path(out)
    writer = SnapshotWriter(out)
    out.mkdir(parents=True, exist_ok=True)
    writer.clear()
    writer.write_meta(b.name, b.now, kubernetes_version=b.kubernetes_version, description=b.description)
    objects = collect_objects(b)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for obj in objects:
        scope = "cluster" if obj["kind"] in CLUSTER_SCOPED else obj["metadata"].get("namespace", "default")
        groups[(scope, obj["kind"])].append(obj)
    for (scope, kind), items in sorted(groups.items()):
        items.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        writer.write_list_yaml(scope, _plural(kind), items[0].get("apiVersion", "v1"), kind, items)

    _write_logs(b, writer)
    for name, generate in GENERATORS.items():
        metrics = MetricsFile()
        generate(b, metrics)
        if any(f.series or f.histograms for f in metrics.families.values()):
            writer.write_metrics(name, metrics.render())
    from devkit.synth.flows import render_flows

    flows = render_flows(b)
    if flows:
        writer.write_flows("hubble", flows)
    return out


def _first(line: tuple[Any, str]) -> Any:
    return line[0]


def _format_log(lines: list[tuple[Any, str]]) -> str:
    return "".join(f"{rfc3339_nano(moment)} {text}\n" for moment, text in lines)


def _write_logs(b: ClusterBuilder, writer: SnapshotWriter) -> None:
    """Current and previous container logs, as `kubectl logs [--previous] --timestamps` prints them."""
    files: dict[tuple[str, str, str, bool], str] = {}
    for pod in b.all_pods():
        for c in pod.containers:
            previous = c.previous_log
            last = c.last_terminated
            if previous is None and last is not None and last.finished is not None:
                start = max(last.started, last.finished - timedelta(hours=2))
                previous = startup_lines(pod, c, last.started) + routine_lines(
                    b.ids, pod, c, start, last.finished, 4
                )
            current = c.log
            run = c.current
            if current is None and run is not None:
                window_start = max(run.started, b.window_start)
                current = (
                    startup_lines(pod, c, run.started) if run.started >= b.window_start else []
                ) + routine_lines(b.ids, pod, c, window_start, b.now, 6)
            if current is None and run is None and previous is not None:
                current = previous  # kubelet serves the last terminated instance while in back-off
            if current:
                files[(pod.namespace, pod.name, c.name, False)] = _format_log(sorted(current, key=_first))
            if previous:
                files[(pod.namespace, pod.name, c.name, True)] = _format_log(sorted(previous, key=_first))
    for key, lines in b.extra_logs.items():
        files[key] = _format_log(sorted(lines, key=_first))
    for (namespace, pod_name, container, previous), text in sorted(files.items()):
        writer.write_log(namespace, pod_name, container, previous, text)
