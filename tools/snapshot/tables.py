"""Server-side Table responses, so `kubectl get` prints the columns people expect.

Cells are computed the way kubectl's own printers compute them (pod STATUS, READY and RESTARTS with
"(5m ago)" from tools.contracts.kube.pod_status, service PORT(S), node ROLES, event LAST SEEN...), with ages
measured from the snapshot's capturedAt, never from the wall clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from tools.contracts.kube.kinds import KindInfo
from tools.contracts.kube.objects import labels_of, name_of
from tools.contracts.kube.pod_status import read_pod
from tools.contracts.kube.selectors import selector_text
from tools.contracts.kube.time import human_duration, kubectl_age, parse_time

Column = tuple[str, str, int]  # name, type, priority (1 = only with -o wide)
RowBuilder = Callable[[dict[str, Any], datetime], list[Any]]
NONE = "<none>"


def _age(obj: dict[str, Any], now: datetime) -> str:
    return kubectl_age(obj.get("metadata", {}).get("creationTimestamp"), now)


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return ((obj.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []


def _container_names(obj: dict[str, Any]) -> str:
    return ",".join(c.get("name", "") for c in _containers(obj)) or NONE


def _images(obj: dict[str, Any]) -> str:
    return ",".join(c.get("image", "") for c in _containers(obj)) or NONE


# --- pods -----------------------------------------------------------------------------------------------


def _pod_row(pod: dict[str, Any], now: datetime) -> list[Any]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    reading = read_pod(pod)
    restart_text = str(reading.restarts)
    if reading.restarts and reading.last_restart:
        restart_text += f" ({human_duration((now - reading.last_restart).total_seconds())} ago)"
    gates = spec.get("readinessGates") or []
    gate_text = NONE
    if gates:
        true_conditions = {c.get("type") for c in status.get("conditions") or [] if c.get("status") == "True"}
        gate_text = f"{sum(1 for g in gates if g.get('conditionType') in true_conditions)}/{len(gates)}"
    return [
        name_of(pod),
        f"{reading.ready}/{reading.total}",
        reading.status,
        restart_text,
        _age(pod, now),
        status.get("podIP") or NONE,
        spec.get("nodeName") or NONE,
        status.get("nominatedNodeName") or NONE,
        gate_text,
    ]


# --- workloads ------------------------------------------------------------------------------------------


def _deployment_row(obj: dict[str, Any], now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    desired = spec.get("replicas", 1)
    return [
        name_of(obj),
        f"{status.get('readyReplicas', 0)}/{desired}",
        status.get("updatedReplicas", 0),
        status.get("availableReplicas", 0),
        _age(obj, now),
        _container_names(obj),
        _images(obj),
        selector_text(spec.get("selector")) or NONE,
    ]


def _replicaset_row(obj: dict[str, Any], now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return [
        name_of(obj),
        spec.get("replicas", 1),
        status.get("replicas", 0),
        status.get("readyReplicas", 0),
        _age(obj, now),
        _container_names(obj),
        _images(obj),
        selector_text(spec.get("selector")) or NONE,
    ]


def _statefulset_row(obj: dict[str, Any], now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return [
        name_of(obj),
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        _age(obj, now),
        _container_names(obj),
        _images(obj),
    ]


def _daemonset_row(obj: dict[str, Any], now: datetime) -> list[Any]:
    status = obj.get("status") or {}
    node_selector = ((obj.get("spec") or {}).get("template") or {}).get("spec", {}).get("nodeSelector")
    return [
        name_of(obj),
        status.get("desiredNumberScheduled", 0),
        status.get("currentNumberScheduled", 0),
        status.get("numberReady", 0),
        status.get("updatedNumberScheduled", 0),
        status.get("numberAvailable", 0),
        ",".join(f"{k}={v}" for k, v in sorted((node_selector or {}).items())) or NONE,
        _age(obj, now),
        _container_names(obj),
        _images(obj),
    ]


def _job_row(obj: dict[str, Any], now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    state = "Running"
    if conditions.get("Complete") == "True":
        state = "Complete"
    elif conditions.get("Failed") == "True":
        state = "Failed"
    elif conditions.get("Suspended") == "True":
        state = "Suspended"
    start, end = parse_time(status.get("startTime")), parse_time(status.get("completionTime"))
    duration = human_duration(((end or now) - start).total_seconds()) if start else ""
    return [
        name_of(obj),
        state,
        f"{status.get('succeeded', 0)}/{spec.get('completions', 1)}",
        duration,
        _age(obj, now),
        _container_names(obj),
        _images(obj),
    ]


# --- networking -----------------------------------------------------------------------------------------


def _service_row(obj: dict[str, Any], now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    service_type = spec.get("type", "ClusterIP")
    if service_type == "ExternalName":
        external = spec.get("externalName") or NONE
    elif service_type == "LoadBalancer":
        ingress = (status.get("loadBalancer") or {}).get("ingress") or []
        addresses = [i.get("ip") or i.get("hostname") for i in ingress if i.get("ip") or i.get("hostname")]
        addresses += spec.get("externalIPs") or []
        external = ",".join(addresses) or "<pending>"
    else:
        external = ",".join(spec.get("externalIPs") or []) or NONE
    ports = []
    for port in spec.get("ports") or []:
        text = str(port.get("port", ""))
        if port.get("nodePort"):
            text += f":{port['nodePort']}"
        ports.append(f"{text}/{port.get('protocol', 'TCP')}")
    return [
        name_of(obj),
        service_type,
        spec.get("clusterIP") or NONE,
        external,
        ",".join(ports) or NONE,
        _age(obj, now),
        ",".join(f"{k}={v}" for k, v in sorted((spec.get("selector") or {}).items())) or NONE,
    ]


def _ingress_row(obj: dict[str, Any], now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    hosts = [r.get("host") for r in spec.get("rules") or [] if r.get("host")]
    ingress = (status.get("loadBalancer") or {}).get("ingress") or []
    addresses = [i.get("ip") or i.get("hostname") for i in ingress if i.get("ip") or i.get("hostname")]
    return [
        name_of(obj),
        spec.get("ingressClassName") or NONE,
        ",".join(hosts) or "*",
        ",".join(addresses),
        "80, 443" if spec.get("tls") else "80",
        _age(obj, now),
    ]


# --- cluster --------------------------------------------------------------------------------------------


def _node_row(node: dict[str, Any], now: datetime) -> list[Any]:
    spec, status = node.get("spec") or {}, node.get("status") or {}
    ready = "Unknown"
    for condition in status.get("conditions") or []:
        if condition.get("type") == "Ready":
            ready = "Ready" if condition.get("status") == "True" else "NotReady"
            if condition.get("status") == "Unknown":
                ready = "NotReady"
    state = ready + (",SchedulingDisabled" if spec.get("unschedulable") else "")
    labels = labels_of(node)
    roles = sorted(
        key.split("/", 1)[1] for key in labels if key.startswith("node-role.kubernetes.io/") and "/" in key
    )
    if labels.get("kubernetes.io/role"):
        roles.append(labels["kubernetes.io/role"])
    addresses = {a.get("type"): a.get("address") for a in status.get("addresses") or []}
    info = status.get("nodeInfo") or {}
    return [
        name_of(node),
        state,
        ",".join(r for r in roles if r) or NONE,
        _age(node, now),
        info.get("kubeletVersion", ""),
        addresses.get("InternalIP") or NONE,
        addresses.get("ExternalIP") or NONE,
        info.get("osImage", ""),
        info.get("kernelVersion", ""),
        info.get("containerRuntimeVersion", ""),
    ]


def _namespace_row(obj: dict[str, Any], now: datetime) -> list[Any]:
    return [name_of(obj), (obj.get("status") or {}).get("phase", "Active"), _age(obj, now)]


def _pvc_row(obj: dict[str, Any], now: datetime) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    capacity = (status.get("capacity") or {}).get("storage", "")
    modes = {
        "ReadWriteOnce": "RWO",
        "ReadOnlyMany": "ROX",
        "ReadWriteMany": "RWX",
        "ReadWriteOncePod": "RWOP",
    }
    access = ",".join(modes.get(m, m) for m in status.get("accessModes") or [])
    return [
        name_of(obj),
        status.get("phase", ""),
        spec.get("volumeName", ""),
        capacity,
        access,
        spec.get("storageClassName") or "",
        spec.get("volumeAttributesClassName") or "<unset>",
        _age(obj, now),
        spec.get("volumeMode") or "Filesystem",
    ]


def _configmap_row(obj: dict[str, Any], now: datetime) -> list[Any]:
    return [name_of(obj), len(obj.get("data") or {}) + len(obj.get("binaryData") or {}), _age(obj, now)]


def _secret_row(obj: dict[str, Any], now: datetime) -> list[Any]:
    return [name_of(obj), obj.get("type", "Opaque"), len(obj.get("data") or {}), _age(obj, now)]


def _event_source(event: dict[str, Any]) -> str:
    source = event.get("source") or {}
    component = source.get("component") or event.get("reportingComponent") or ""
    host = source.get("host") or event.get("reportingInstance") or ""
    return f"{component}, {host}" if host else component


def _event_row(event: dict[str, Any], now: datetime) -> list[Any]:
    first_value = event.get("firstTimestamp") or event.get("eventTime")
    first = kubectl_age(first_value, now) if first_value else "<unknown>"
    last = kubectl_age(event["lastTimestamp"], now) if event.get("lastTimestamp") else first
    count = event.get("count") or 1
    series = event.get("series")
    if series:
        last = kubectl_age(series.get("lastObservedTime"), now)
        count = series.get("count", count)
    involved = event.get("involvedObject") or {}
    kind = str(involved.get("kind", "")).lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    return [
        last,
        event.get("type", ""),
        event.get("reason", ""),
        target,
        involved.get("fieldPath", ""),
        _event_source(event),
        str(event.get("message", "")).strip(),
        first,
        int(count),
        name_of(event),
    ]


def _generic_row(obj: dict[str, Any], now: datetime) -> list[Any]:
    return [name_of(obj), _age(obj, now)]


_S, _I = "string", "integer"
_NAME: Column = ("Name", _S, 0)
_AGE: Column = ("Age", _S, 0)
_WORKLOAD_WIDE: list[Column] = [("Containers", _S, 1), ("Images", _S, 1)]

TABLES: dict[tuple[str, str], tuple[list[Column], RowBuilder]] = {
    ("", "Pod"): (
        [
            _NAME,
            ("Ready", _S, 0),
            ("Status", _S, 0),
            ("Restarts", _S, 0),
            _AGE,
            ("IP", _S, 1),
            ("Node", _S, 1),
            ("Nominated Node", _S, 1),
            ("Readiness Gates", _S, 1),
        ],
        _pod_row,
    ),
    ("apps", "Deployment"): (
        [
            _NAME,
            ("Ready", _S, 0),
            ("Up-to-date", _I, 0),
            ("Available", _I, 0),
            _AGE,
            *_WORKLOAD_WIDE,
            ("Selector", _S, 1),
        ],
        _deployment_row,
    ),
    ("apps", "ReplicaSet"): (
        [
            _NAME,
            ("Desired", _I, 0),
            ("Current", _I, 0),
            ("Ready", _I, 0),
            _AGE,
            *_WORKLOAD_WIDE,
            ("Selector", _S, 1),
        ],
        _replicaset_row,
    ),
    ("apps", "StatefulSet"): ([_NAME, ("Ready", _S, 0), _AGE, *_WORKLOAD_WIDE], _statefulset_row),
    ("apps", "DaemonSet"): (
        [
            _NAME,
            ("Desired", _I, 0),
            ("Current", _I, 0),
            ("Ready", _I, 0),
            ("Up-to-date", _I, 0),
            ("Available", _I, 0),
            ("Node Selector", _S, 0),
            _AGE,
            *_WORKLOAD_WIDE,
        ],
        _daemonset_row,
    ),
    ("batch", "Job"): (
        [_NAME, ("Status", _S, 0), ("Completions", _S, 0), ("Duration", _S, 0), _AGE, *_WORKLOAD_WIDE],
        _job_row,
    ),
    ("", "Service"): (
        [
            _NAME,
            ("Type", _S, 0),
            ("Cluster-IP", _S, 0),
            ("External-IP", _S, 0),
            ("Port(s)", _S, 0),
            _AGE,
            ("Selector", _S, 1),
        ],
        _service_row,
    ),
    ("networking.k8s.io", "Ingress"): (
        [_NAME, ("Class", _S, 0), ("Hosts", _S, 0), ("Address", _S, 0), ("Ports", _S, 0), _AGE],
        _ingress_row,
    ),
    ("", "Node"): (
        [
            _NAME,
            ("Status", _S, 0),
            ("Roles", _S, 0),
            _AGE,
            ("Version", _S, 0),
            ("Internal-IP", _S, 1),
            ("External-IP", _S, 1),
            ("OS-Image", _S, 1),
            ("Kernel-Version", _S, 1),
            ("Container-Runtime", _S, 1),
        ],
        _node_row,
    ),
    ("", "Namespace"): ([_NAME, ("Status", _S, 0), _AGE], _namespace_row),
    ("", "PersistentVolumeClaim"): (
        [
            _NAME,
            ("Status", _S, 0),
            ("Volume", _S, 0),
            ("Capacity", _S, 0),
            ("Access Modes", _S, 0),
            ("StorageClass", _S, 0),
            ("VolumeAttributesClass", _S, 0),
            _AGE,
            ("VolumeMode", _S, 1),
        ],
        _pvc_row,
    ),
    ("", "ConfigMap"): ([_NAME, ("Data", _I, 0), _AGE], _configmap_row),
    ("", "Secret"): ([_NAME, ("Type", _S, 0), ("Data", _I, 0), _AGE], _secret_row),
    ("", "Event"): (
        [
            ("Last Seen", _S, 0),
            ("Type", _S, 0),
            ("Reason", _S, 0),
            ("Object", _S, 0),
            ("Subobject", _S, 1),
            ("Source", _S, 1),
            ("Message", _S, 0),
            ("First Seen", _S, 1),
            ("Count", _I, 1),
            ("Name", _S, 1),
        ],
        _event_row,
    ),
}
_GENERIC: tuple[list[Column], RowBuilder] = ([_NAME, _AGE], _generic_row)


def table_layout(info: KindInfo) -> tuple[list[Column], RowBuilder]:
    return TABLES.get((info.group, info.kind), _GENERIC)


def _row_object(obj: dict[str, Any], include: str) -> dict[str, Any] | None:
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata", {}),
    }


def build_table(
    info: KindInfo,
    objects: list[dict[str, Any]],
    now: datetime,
    list_metadata: dict[str, Any],
    include_object: str = "Metadata",
    api_version: str = "meta.k8s.io/v1",
) -> dict[str, Any]:
    """A meta.k8s.io Table of `objects`; `include_object` is the request's includeObject value."""
    columns, builder = table_layout(info)
    definitions = [
        {
            "name": name,
            "type": kind,
            "format": "name" if name == "Name" else "",
            "description": f"{info.kind} {name.lower()}",
            "priority": priority,
        }
        for name, kind, priority in columns
    ]
    rows = []
    for obj in objects:
        row: dict[str, Any] = {"cells": builder(obj, now)}
        embedded = _row_object(obj, include_object)
        if embedded is not None:
            row["object"] = embedded
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": api_version,
        "metadata": list_metadata,
        "columnDefinitions": definitions,
        "rows": rows,
    }
