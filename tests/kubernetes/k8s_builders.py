"""Small factories for Kubernetes objects and a writer for contracts-section-1 snapshots.

Tests build their clusters here in Python (no hand-edited files): each factory returns the dict the API
server would return, with only the fields the tools read.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

NOW = datetime.fromisoformat("2026-11-20T09:30:00+00:00")


def ts(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def meta(name: str, namespace: str | None = None, labels: dict[str, str] | None = None, **extra: Any) -> dict:
    result: dict[str, Any] = {
        "name": name,
        "uid": f"uid-{namespace or ''}-{name}",
        "creationTimestamp": ts(600),
    }
    if namespace:
        result["namespace"] = namespace
    if labels:
        result["labels"] = labels
    result.update(extra)
    return result


def owner(kind: str, name: str, namespace: str | None, api_version: str = "apps/v1") -> dict:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": name,
        "uid": f"uid-{namespace or ''}-{name}",
        "controller": True,
    }


def namespace(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": meta(name, labels={"kubernetes.io/metadata.name": name}),
        "status": {"phase": "Active"},
    }


def node(
    name: str, ready: bool = True, taints: list[dict] | None = None, pressure: str | None = None
) -> dict:
    conditions = [
        {
            "type": "Ready",
            "status": "True" if ready else "Unknown",
            "reason": "KubeletReady" if ready else "NodeStatusUnknown",
            "message": "kubelet is posting ready status" if ready else "Kubelet stopped posting node status.",
            "lastTransitionTime": ts(30 if not ready else 6000),
        },
    ]
    for kind in ("MemoryPressure", "DiskPressure", "PIDPressure"):
        conditions.append(
            {
                "type": kind,
                "status": "True" if pressure == kind else "False",
                "reason": f"KubeletHas{kind}",
                "message": "",
                "lastTransitionTime": ts(6000),
            }
        )
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": meta(name, labels={"kubernetes.io/hostname": name, "node-role.kubernetes.io/worker": ""}),
        "spec": {"taints": taints or []},
        "status": {
            "conditions": conditions,
            "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110", "ephemeral-storage": "50Gi"},
            "capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
            "nodeInfo": {"kubeletVersion": "v1.31.2"},
        },
    }


def container(
    name: str = "app",
    image: str = "reg/shop/app:v1",
    port: int | None = 8080,
    port_name: str | None = "http",
    env: list[dict] | None = None,
) -> dict:
    result: dict[str, Any] = {
        "name": name,
        "image": image,
        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
    }
    if port:
        result["ports"] = [
            {"containerPort": port, "protocol": "TCP", **({"name": port_name} if port_name else {})}
        ]
    if env:
        result["env"] = env
    return result


def running_status(name: str = "app", restarts: int = 0, ready: bool = True) -> dict:
    return {
        "name": name,
        "ready": ready,
        "restartCount": restarts,
        "image": "reg/shop/app:v1",
        "imageID": "",
        "state": {"running": {"startedAt": ts(120)}},
    }


def crashing_status(name: str = "app", restarts: int = 12) -> dict:
    return {
        "name": name,
        "ready": False,
        "restartCount": restarts,
        "image": "reg/shop/app:v2",
        "imageID": "",
        "state": {
            "waiting": {
                "reason": "CrashLoopBackOff",
                "message": f"back-off 5m0s restarting failed container={name} pod=x",
            }
        },
        "lastState": {
            "terminated": {"reason": "Error", "exitCode": 1, "startedAt": ts(6), "finishedAt": ts(5)}
        },
    }


def pod(
    name: str,
    ns: str,
    labels: dict[str, str],
    containers: list[dict] | None = None,
    statuses: list[dict] | None = None,
    node_name: str | None = "worker-1",
    phase: str = "Running",
    owner_ref: dict | None = None,
    conditions: list[dict] | None = None,
) -> dict:
    containers = containers or [container()]
    if statuses is None:
        statuses = [running_status(c["name"]) for c in containers]
    metadata = meta(name, ns, labels)
    if owner_ref:
        metadata["ownerReferences"] = [owner_ref]
    spec: dict[str, Any] = {"containers": containers, "restartPolicy": "Always"}
    if node_name:
        spec["nodeName"] = node_name
    status: dict[str, Any] = {
        "phase": phase,
        "podIP": "10.0.1.7" if node_name else None,
        "containerStatuses": statuses,
    }
    all_ready = bool(statuses) and all(s.get("ready") for s in statuses)
    status["conditions"] = conditions or [
        {"type": "PodScheduled", "status": "True" if node_name else "False"},
        {
            "type": "Ready",
            "status": "True" if all_ready else "False",
            **({} if all_ready else {"reason": "ContainersNotReady"}),
        },
    ]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec, "status": status}


def deployment(name: str, ns: str, replicas: int, ready: int, image: str, labels: dict[str, str]) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(
            name, ns, labels, generation=2, annotations={"deployment.kubernetes.io/revision": "2"}
        ),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "strategy": {"type": "RollingUpdate"},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container(image=image)]}},
        },
        "status": {
            "observedGeneration": 2,
            "replicas": replicas,
            "updatedReplicas": replicas,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "unavailableReplicas": replicas - ready,
            "conditions": [
                {
                    "type": "Available",
                    "status": "True" if ready == replicas else "False",
                    "reason": "MinimumReplicasUnavailable"
                    if ready < replicas
                    else "MinimumReplicasAvailable",
                    "message": "Deployment does not have minimum availability.",
                    "lastTransitionTime": ts(50),
                }
            ],
        },
    }


def replicaset(
    name: str,
    ns: str,
    deploy: str,
    revision: int,
    image: str,
    replicas: int,
    ready: int,
    labels: dict[str, str],
    cause: str | None = None,
) -> dict:
    annotations = {"deployment.kubernetes.io/revision": str(revision)}
    if cause:
        annotations["kubernetes.io/change-cause"] = cause
    metadata = meta(
        name, ns, labels, annotations=annotations, ownerReferences=[owner("Deployment", deploy, ns)]
    )
    metadata["creationTimestamp"] = ts(60 * (3 - revision))
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": metadata,
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container(image=image)]}},
        },
        "status": {"replicas": replicas, "readyReplicas": ready, "availableReplicas": ready},
    }


def service(
    name: str, ns: str, selector: dict[str, str] | None, port: int = 80, target: int | str = "http"
) -> dict:
    spec: dict[str, Any] = {
        "type": "ClusterIP",
        "clusterIP": "10.96.45.12",
        "ports": [{"name": "web", "port": port, "targetPort": target, "protocol": "TCP"}],
    }
    if selector is not None:
        spec["selector"] = selector
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta(name, ns), "spec": spec}


def endpoint_slice(service_name: str, ns: str, ready: int, not_ready: int, port: int = 8080) -> dict:
    endpoints = [{"addresses": [f"10.0.1.{i}"], "conditions": {"ready": True}} for i in range(ready)]
    endpoints += [{"addresses": [f"10.0.2.{i}"], "conditions": {"ready": False}} for i in range(not_ready)]
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": meta(f"{service_name}-abcde", ns, {"kubernetes.io/service-name": service_name}),
        "addressType": "IPv4",
        "endpoints": endpoints,
        "ports": [{"name": "web", "port": port, "protocol": "TCP"}],
    }


def event(
    name: str,
    ns: str,
    kind: str,
    obj: str,
    reason: str,
    message: str,
    minutes_ago: float,
    type_: str = "Warning",
    count: int = 1,
) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": meta(name, ns),
        "involvedObject": {"kind": kind, "name": obj, "namespace": ns},
        "reason": reason,
        "message": message,
        "type": type_,
        "count": count,
        "firstTimestamp": ts(minutes_ago + 30),
        "lastTimestamp": ts(minutes_ago),
        "source": {"component": "kubelet"},
    }


def write_snapshot(
    root: Path,
    objects: list[dict],
    logs: dict[tuple[str, str, str, bool], str] | None = None,
    name: str = "shop-prod",
    captured_at: datetime = NOW,
) -> Path:
    """Write a snapshot directory: one JSON List per kind, logs under logs/<ns>/<pod>/."""
    root.mkdir(parents=True, exist_ok=True)
    meta_doc = {
        "apiVersion": "kubewhy/v1",
        "kind": "ClusterSnapshot",
        "name": name,
        "capturedAt": captured_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "kubernetesVersion": "v1.31.2",
    }
    (root / "snapshot.yaml").write_text(yaml.safe_dump(meta_doc), encoding="utf-8")
    by_kind: dict[str, list[dict]] = {}
    for obj in objects:
        by_kind.setdefault(obj["kind"], []).append(obj)
    resources = root / "resources"
    resources.mkdir(exist_ok=True)
    for kind, items in by_kind.items():
        doc = {"apiVersion": "v1", "kind": "List", "items": items}
        (resources / f"{kind.lower()}s.json").write_text(json.dumps(doc), encoding="utf-8")
    for (ns, pod_name, container_name, previous), text in (logs or {}).items():
        directory = root / "logs" / ns / pod_name
        directory.mkdir(parents=True, exist_ok=True)
        suffix = ".previous.log" if previous else ".log"
        (directory / f"{container_name}{suffix}").write_text(text, encoding="utf-8")
    return root
