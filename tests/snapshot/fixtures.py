"""Build small snapshots from Python dicts (no hand-edited fixture files)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import yaml

CAPTURED_AT = "2026-11-20T09:30:00Z"
SECRET_PASSWORD = "hunter2-very-secret"
SECRET_TOKEN = "plain-token-do-not-show"
BULK_PODS = 25


def write_meta(root: Path, name: str = "test-shop", captured_at: str = CAPTURED_AT) -> None:
    root.mkdir(parents=True, exist_ok=True)
    meta = {"apiVersion": "kubewhy/v1", "kind": "ClusterSnapshot", "name": name, "capturedAt": captured_at}
    meta["kubernetesVersion"] = "v1.31.2"
    (root / "snapshot.yaml").write_text(yaml.safe_dump(meta), encoding="utf-8")


def write_json(path: Path, document: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")


def write_log(
    root: Path, namespace: str, pod: str, container: str, lines: list[str], previous: bool = False
) -> None:
    path = root / "logs" / namespace / pod / f"{container}{'.previous' if previous else ''}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def pod(
    name: str,
    namespace: str,
    labels: dict[str, str],
    node: str = "node-1",
    containers: tuple[str, ...] = ("app",),
    phase: str = "Running",
    waiting_reason: str | None = None,
    restarts: int = 0,
    created: str = "2026-11-20T08:00:00Z",
) -> dict[str, Any]:
    statuses = []
    for container in containers:
        state: dict[str, Any] = {"running": {"startedAt": created}}
        if waiting_reason:
            state = {
                "waiting": {"reason": waiting_reason, "message": "back-off 5m0s restarting failed container"}
            }
        status: dict[str, Any] = {
            "name": container,
            "image": f"registry.example/{container}:1.0",
            "imageID": "",
            "ready": waiting_reason is None,
            "restartCount": restarts,
            "started": waiting_reason is None,
            "state": state,
        }
        if restarts:
            status["lastState"] = {
                "terminated": {"exitCode": 1, "reason": "Error", "finishedAt": "2026-11-20T09:20:00Z"}
            }
        statuses.append(status)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels, "creationTimestamp": created},
        "spec": {
            "nodeName": node,
            "containers": [{"name": c, "image": f"registry.example/{c}:1.0"} for c in containers],
        },
        "status": {"phase": phase, "podIP": "10.0.0.10", "containerStatuses": statuses},
    }


def event(name: str, namespace: str, kind: str, target: str, reason: str, message: str, **extra: Any) -> dict:
    return {
        "metadata": {"name": name, "namespace": namespace},
        "involvedObject": {"kind": kind, "name": target, "namespace": namespace, "apiVersion": "v1"},
        "reason": reason,
        "message": message,
        "type": extra.pop("type", "Warning"),
        "count": extra.pop("count", 1),
        "firstTimestamp": "2026-11-20T09:00:00Z",
        "lastTimestamp": "2026-11-20T09:29:00Z",
        "source": {"component": "kubelet", "host": "node-1"},
        **extra,
    }


def build_snapshot(root: Path) -> Path:
    """A small shop cluster exercising every form the loader and server accept."""
    write_meta(root)
    res = root / "resources"
    # a typed list whose items omit apiVersion/kind
    pods = [
        pod("web-1", "shop", {"app": "web", "tier": "frontend"}),
        pod("web-2", "shop", {"app": "web", "tier": "frontend"}, node="node-2"),
        pod("api-1", "shop", {"app": "api", "tier": "backend"}, containers=("api", "proxy")),
        pod("worker-1", "shop", {"app": "worker"}, waiting_reason="CrashLoopBackOff", restarts=7),
        pod("job-1", "shop", {"app": "batch"}, phase="Succeeded"),
    ]
    for item in pods:
        del item["apiVersion"], item["kind"]
    write_json(res / "shop" / "pods.json", {"apiVersion": "v1", "kind": "PodList", "items": pods})
    bulk = [
        pod(f"bulk-{i:02d}", "bulk", {"app": "bulk", "shard": str(i % 3)}, node=f"node-{1 + i % 2}")
        for i in range(BULK_PODS)
    ]
    write_json(res / "bulk.json", {"apiVersion": "v1", "kind": "List", "items": bulk})
    # multi-document YAML with objects and a list, in a nested folder
    documents = [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "shop"},
            "status": {"phase": "Active"},
        },
        pod("postgres-0", "data", {"app": "postgres"}, node="node-2"),
        {
            "apiVersion": "v1",
            "kind": "NodeList",
            "items": [_node("node-1", ready=True), _node("node-2", ready=False)],
        },
    ]
    (res / "cluster").mkdir(parents=True)
    (res / "cluster" / "mixed.yaml").write_text(yaml.safe_dump_all(documents), encoding="utf-8")
    (res / "cluster" / "pv.yaml").write_text(  # YAML types: timestamp, int label, bool annotation
        "apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: pv-1\n"
        "  creationTimestamp: 2026-11-19T09:30:00Z\n  labels: {tier: 1}\n  annotations: {backup: true}\n"
        "spec: {capacity: {storage: 10Gi}}\n",
        encoding="utf-8",
    )
    # an object without apiVersion: the built-in kinds table supplies apps/v1
    write_json(res / "shop" / "deploy-web.json", _deployment())
    write_json(
        res / "shop" / "services.json", {"apiVersion": "v1", "kind": "ServiceList", "items": _services()}
    )
    write_json(res / "shop" / "secret.json", _secret())
    write_json(res / "shop" / "events.json", {"apiVersion": "v1", "kind": "EventList", "items": _events()})
    write_json(res / "shop" / "events-v1.json", _events_v1())
    write_json(res / "custom.json", {"apiVersion": "v1", "kind": "List", "items": _custom_resources()})
    write_log(
        root,
        "shop",
        "web-1",
        "app",
        [
            "2026-11-20T08:00:00Z starting web",
            "2026-11-20T09:00:00Z GET / 200",
            "2026-11-20T09:29:00Z GET /cart 500",
            "Traceback: continuation of the 09:29 line",
        ],
    )
    write_log(root, "shop", "worker-1", "app", ["2026-11-20T09:29:30Z starting worker"])
    write_log(root, "shop", "worker-1", "app", ["2026-11-20T09:20:00Z panic: missing DB_URL"], previous=True)
    write_log(root, "shop", "api-1", "api", ["api listening on :8080"])
    write_log(root, "shop", "api-1", "proxy", ["proxy ready"])
    return root


def _node(name: str, ready: bool) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "labels": {"kubernetes.io/hostname": name, "node-role.kubernetes.io/worker": ""},
            "creationTimestamp": "2026-11-01T00:00:00Z",
        },
        "spec": {},
        "status": {
            "conditions": [{"type": "Ready", "status": "True" if ready else "Unknown"}],
            "addresses": [{"type": "InternalIP", "address": f"192.168.0.{1 if ready else 2}"}],
            "nodeInfo": {
                "kubeletVersion": "v1.31.2",
                "osImage": "Debian",
                "kernelVersion": "6.1",
                "containerRuntimeVersion": "containerd://1.7",
            },
        },
    }


def _deployment() -> dict[str, Any]:
    template = {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "app", "image": "registry.example/app:1.0"}]},
    }
    return {
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "creationTimestamp": "2026-11-19T09:30:00Z"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": template},
        "status": {"replicas": 2, "readyReplicas": 2, "updatedReplicas": 2, "availableReplicas": 2},
    }


def _services() -> list[dict[str, Any]]:
    return [
        {
            "metadata": {"name": "web", "namespace": "shop", "creationTimestamp": "2026-11-19T09:30:00Z"},
            "spec": {
                "type": "ClusterIP",
                "clusterIP": "10.96.0.20",
                "selector": {"app": "web"},
                "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}],
            },
        },
        {
            "metadata": {"name": "shop-lb", "namespace": "shop", "creationTimestamp": "2026-11-19T09:30:00Z"},
            "spec": {
                "type": "LoadBalancer",
                "clusterIP": "10.96.0.21",
                "selector": {"app": "web"},
                "ports": [{"port": 443, "nodePort": 30443, "protocol": "TCP"}],
            },
            "status": {"loadBalancer": {}},
        },
    ]


def _secret() -> dict[str, Any]:
    encoded = base64.b64encode(SECRET_PASSWORD.encode()).decode()
    applied = json.dumps({"kind": "Secret", "data": {"password": encoded}})
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": "db-credentials",
            "namespace": "shop",
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": applied},
        },
        "data": {"password": encoded},
        "stringData": {"token": SECRET_TOKEN},
    }


def _events() -> list[dict[str, Any]]:
    return [
        event(
            "worker-1.back",
            "shop",
            "Pod",
            "worker-1",
            "BackOff",
            "Back-off restarting failed container",
            count=12,
        ),
        event(
            "web-1.sched",
            "shop",
            "Pod",
            "web-1",
            "Scheduled",
            "Successfully assigned shop/web-1 to node-1",
            type="Normal",
        ),
        event(
            "web.scaled",
            "shop",
            "Deployment",
            "web",
            "ScalingReplicaSet",
            "Scaled up replica set web-1",
            type="Normal",
        ),
    ]


def _events_v1() -> dict[str, Any]:
    return {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "api-1.unhealthy", "namespace": "shop"},
        "eventTime": "2026-11-20T09:10:00.000000Z",
        "regarding": {"kind": "Pod", "name": "api-1", "namespace": "shop", "apiVersion": "v1"},
        "reason": "Unhealthy",
        "note": "Readiness probe failed: HTTP probe failed with statuscode: 503",
        "type": "Warning",
        "reportingController": "kubelet",
        "reportingInstance": "node-1",
        "action": "Probe",
        "deprecatedCount": 4,
    }


def _custom_resources() -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "ServiceMonitor",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"endpoints": [{"port": "http"}]},
        },
        {
            "apiVersion": "example.com/v1alpha1",
            "kind": "Policy",
            "metadata": {"name": "global"},
            "spec": {"mode": "audit"},
        },
    ]
