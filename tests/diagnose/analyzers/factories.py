"""Builders for realistic facts in analyzer tests (objects shaped as the API server returns them).

Shared by both analyzer test sets: add functions, do not change existing signatures.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from app.diagnose.facts import Facts

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def ts(minutes_ago: float = 0, now: datetime = NOW) -> str:
    """RFC 3339 timestamp ``minutes_ago`` before ``now`` (as the API server writes them)."""
    return (now - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def unix(minutes_ago: float = 0, now: datetime = NOW) -> float:
    return (now - timedelta(minutes=minutes_ago)).timestamp()


def facts(*objects: dict[str, Any], **kwargs: Any) -> Facts:
    """Facts at NOW holding ``objects`` grouped by kind (Events go to ``events``); other Facts fields as
    keyword arguments."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    events = list(kwargs.pop("events", []))
    for obj in objects:
        if obj["kind"] == "Event":
            events.append(obj)
        else:
            grouped.setdefault(obj["kind"], []).append(obj)
    return Facts(now=kwargs.pop("now", NOW), cluster="test", objects=grouped, events=events, **kwargs)


def namespace(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name, **(labels or {})}},
        "status": {"phase": "Active"},
    }


def deployment(
    name: str,
    ns: str = "shop",
    labels: dict[str, str] | None = None,
    replicas: int = 2,
    available: int | None = None,
    image: str = "registry.example.com/shop/app:1.0.0",
    ports: list[dict[str, Any]] | None = None,
    resources: dict[str, Any] | None = None,
) -> dict[str, Any]:
    labels = labels or {"app": name}
    available = replicas if available is None else available
    container: dict[str, Any] = {"name": "app", "image": image, "ports": ports or []}
    if resources is not None:
        container["resources"] = resources
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": labels, "creationTimestamp": ts(60 * 24 * 3)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
        "status": {
            "replicas": replicas,
            "readyReplicas": available,
            "availableReplicas": available,
            "conditions": [
                {
                    "type": "Available",
                    "status": "True" if available >= replicas else "False",
                    "reason": "MinimumReplicasAvailable",
                }
            ],
        },
    }


def replicaset(
    deploy: str,
    template_hash: str,
    ns: str = "shop",
    labels: dict[str, str] | None = None,
    replicas: int = 2,
    image: str = "registry.example.com/shop/app:1.0.0",
    created_minutes_ago: float = 60 * 24 * 3,
    revision: int = 1,
) -> dict[str, Any]:
    labels = {**(labels or {"app": deploy}), "pod-template-hash": template_hash}
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"{deploy}-{template_hash}",
            "namespace": ns,
            "labels": labels,
            "creationTimestamp": ts(created_minutes_ago),
            "annotations": {"deployment.kubernetes.io/revision": str(revision)},
            "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "Deployment", "name": deploy, "controller": True}
            ],
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": image}]},
            },
        },
        "status": {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas},
    }


def pod(
    name: str,
    ns: str = "shop",
    labels: dict[str, str] | None = None,
    owner_rs: str | None = None,
    ready: bool = True,
    phase: str = "Running",
    node: str = "worker-1",
    ip: str = "10.244.1.10",
    ports: list[dict[str, Any]] | None = None,
    container: str = "app",
    image: str = "registry.example.com/shop/app:1.0.0",
    resources: dict[str, Any] | None = None,
    container_statuses: list[dict[str, Any]] | None = None,
    created_minutes_ago: float = 60 * 24,
) -> dict[str, Any]:
    """A pod; ``owner_rs`` like "checkout-7d9f8c6b5" adds the ReplicaSet owner and pod-template-hash label."""
    labels = dict(labels or {})
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": ns,
        "labels": labels,
        "creationTimestamp": ts(created_minutes_ago),
    }
    if owner_rs:
        labels.setdefault("pod-template-hash", owner_rs.rsplit("-", 1)[-1])
        metadata["ownerReferences"] = [
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner_rs, "controller": True}
        ]
    spec_container: dict[str, Any] = {"name": container, "image": image, "ports": ports or []}
    if resources is not None:
        spec_container["resources"] = resources
    statuses = container_statuses
    if statuses is None:
        statuses = [
            {
                "name": container,
                "image": image,
                "ready": ready,
                "restartCount": 0,
                "started": phase == "Running",
                "state": {"running": {"startedAt": ts(created_minutes_ago)}} if phase == "Running" else {},
            }
        ]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {"nodeName": node, "containers": [spec_container]},
        "status": {
            "phase": phase,
            "podIP": ip,
            "hostIP": "10.0.0.11",
            "conditions": [
                {"type": "Ready", "status": "True" if ready else "False"},
                {"type": "ContainersReady", "status": "True" if ready else "False"},
                {"type": "PodScheduled", "status": "True"},
            ],
            "containerStatuses": statuses,
        },
    }


def service(
    name: str,
    ns: str = "shop",
    selector: dict[str, str] | None = None,
    port: int = 80,
    target_port: int | str = 8080,
    port_name: str = "http",
    cluster_ip: str = "10.96.45.12",
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns, "creationTimestamp": ts(60 * 24 * 3)},
        "spec": {
            "type": "ClusterIP",
            "clusterIP": cluster_ip,
            "selector": selector if selector is not None else {"app": name},
            "ports": [{"name": port_name, "port": port, "targetPort": target_port, "protocol": "TCP"}],
        },
        "status": {"loadBalancer": {}},
    }


def endpointslice(
    service_name: str,
    ns: str = "shop",
    endpoints: list[tuple[str, str, bool]] | None = None,
    port: int = 8080,
    port_name: str = "http",
) -> dict[str, Any]:
    """EndpointSlice for a Service; endpoints as (ip, pod name, ready)."""
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": f"{service_name}-abcde",
            "namespace": ns,
            "labels": {
                "kubernetes.io/service-name": service_name,
                "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
            },
        },
        "addressType": "IPv4",
        "endpoints": [
            {
                "addresses": [ip],
                "conditions": {"ready": ready, "serving": ready, "terminating": False},
                "targetRef": {"kind": "Pod", "namespace": ns, "name": pod_name},
            }
            for ip, pod_name, ready in (endpoints or [])
        ],
        "ports": [{"name": port_name, "port": port, "protocol": "TCP"}],
    }


def event(
    kind: str,
    name: str,
    reason: str,
    message: str,
    ns: str | None = "shop",
    type_: str = "Warning",
    count: int = 1,
    last_minutes_ago: float = 2,
    first_minutes_ago: float | None = None,
    component: str = "kubelet",
) -> dict[str, Any]:
    first = last_minutes_ago if first_minutes_ago is None else first_minutes_ago
    involved: dict[str, Any] = {"kind": kind, "name": name}
    if ns:
        involved["namespace"] = ns
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{name}.{reason.lower()}", "namespace": ns or "default"},
        "involvedObject": involved,
        "reason": reason,
        "message": message,
        "type": type_,
        "count": count,
        "firstTimestamp": ts(first),
        "lastTimestamp": ts(last_minutes_ago),
        "source": {"component": component},
    }


def series(labels: dict[str, str], points: list[tuple[float, float]]) -> dict[str, Any]:
    """A Prometheus range-result series from (minutes_ago, value) points."""
    return {"metric": labels, "values": [[unix(minutes), str(value)] for minutes, value in points]}


def ramp(labels: dict[str, str], before: float, after: float, step_minutes_ago: float, span: int = 90):
    """A series every minute over ``span`` minutes: ``before`` until the step, ``after`` from it on."""
    points = [(m, after if m <= step_minutes_ago else before) for m in range(span, -1, -1)]
    return series(labels, points)


def endpoint(ns: str, pod_name: str, labels: dict[str, str], workload: str | None = None) -> dict[str, Any]:
    """A Hubble flow endpoint for a pod."""
    result: dict[str, Any] = {
        "ID": 1234,
        "identity": 51234,
        "namespace": ns,
        "pod_name": pod_name,
        "labels": [f"k8s:{key}={value}" for key, value in labels.items()]
        + [f"k8s:io.kubernetes.pod.namespace={ns}"],
    }
    if workload:
        result["workloads"] = [{"name": workload, "kind": "Deployment"}]
    return result


def tcp_flow(
    src: dict[str, Any],
    dst: dict[str, Any],
    dport: int,
    seconds_ago: float,
    verdict: str = "DROPPED",
    drop_reason: str | None = "POLICY_DENIED",
    direction: str = "INGRESS",
    flags: dict[str, bool] | None = None,
    is_reply: bool = False,
    sport: int = 43512,
) -> dict[str, Any]:
    """A Hubble TCP flow ``seconds_ago`` before NOW (unwrapped Flow object, protobuf-JSON names)."""
    moment = (NOW - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    flow: dict[str, Any] = {
        "time": moment,
        "verdict": verdict,
        "IP": {"source": "10.244.1.10", "destination": "10.244.2.20", "ipVersion": "IPv4"},
        "l4": {
            "TCP": {"source_port": sport, "destination_port": dport, "flags": flags or {"SYN": True}},
        },
        "source": src,
        "destination": dst,
        "Type": "L3_L4",
        "node_name": "test/worker-2",
        "traffic_direction": direction,
        "event_type": {"type": 1 if verdict == "DROPPED" else 4},
        "is_reply": is_reply,
        "Summary": "TCP Flags: SYN",
    }
    if verdict == "DROPPED" and drop_reason:
        flow["drop_reason_desc"] = drop_reason
        flow["drop_reason"] = 133 if drop_reason == "POLICY_DENIED" else 181
    return flow


def syn_drops(src, dst, dport: int, start_seconds_ago: float, **kwargs: Any) -> list[dict[str, Any]]:
    """A blocked connection: the SYN dropped, then retransmits about 1, 2 and 4 s later."""
    return [tcp_flow(src, dst, dport, start_seconds_ago - offset, **kwargs) for offset in (0, 1, 3, 7)]


def dns_flow(
    src: dict[str, Any],
    query: str,
    rcode: int,
    seconds_ago: float,
    dns_server: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A Hubble L7 DNS response flow (from kube-dns back to ``src``)."""
    moment = (NOW - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    server = dns_server or endpoint("kube-system", "coredns-5d78c9869d-abcde", {"k8s-app": "kube-dns"})
    return {
        "time": moment,
        "verdict": "FORWARDED",
        "l4": {"UDP": {"source_port": 53, "destination_port": 51234}},
        "source": server,
        "destination": src,
        "Type": "L7",
        "is_reply": True,
        "traffic_direction": "EGRESS",
        "event_type": {"type": 129},
        "l7": {
            "type": "RESPONSE",
            "latency_ns": "1203443",
            "dns": {
                "query": query,
                "rcode": rcode,
                "qtypes": ["A"],
                "rrtypes": [],
                "observation_source": "proxy",
            },
        },
    }


def network_policy(
    name: str,
    ns: str,
    pod_selector: dict[str, Any] | None = None,
    ingress: list[dict[str, Any]] | None = None,
    egress: list[dict[str, Any]] | None = None,
    policy_types: list[str] | None = None,
) -> dict[str, Any]:
    """A networking.k8s.io/v1 NetworkPolicy; ``pod_selector`` is a LabelSelector ({} selects all)."""
    spec: dict[str, Any] = {"podSelector": pod_selector or {}}
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    if policy_types is not None:
        spec["policyTypes"] = policy_types
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns, "creationTimestamp": ts(60 * 24)},
        "spec": spec,
    }


def ingress(
    name: str,
    ns: str = "shop",
    class_name: str | None = "nginx",
    backend_service: str = "web",
    backend_port: int | str = 80,
    host: str = "shop.example.com",
    tls_secret: str | None = None,
    admitted: bool = True,
) -> dict[str, Any]:
    """A networking.k8s.io/v1 Ingress with one rule path to ``backend_service`` (port number or name);
    ``admitted``: a controller serves it and gave it an address."""
    port = {"number": backend_port} if isinstance(backend_port, int) else {"name": backend_port}
    spec: dict[str, Any] = {
        "rules": [
            {
                "host": host,
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {"service": {"name": backend_service, "port": port}},
                        }
                    ]
                },
            }
        ]
    }
    if class_name:
        spec["ingressClassName"] = class_name
    if tls_secret:
        spec["tls"] = [{"hosts": [host], "secretName": tls_secret}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": ns, "creationTimestamp": ts(60 * 24)},
        "spec": spec,
        "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}]} if admitted else {}},
    }


def ingress_class(name: str = "nginx", default: bool = False) -> dict[str, Any]:
    annotations = {"ingressclass.kubernetes.io/is-default-class": "true"} if default else {}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": name, "annotations": annotations},
        "spec": {"controller": "k8s.io/ingress-nginx"},
    }


def node(
    name: str,
    ready: str = "True",
    ready_reason: str = "KubeletReady",
    ready_message: str = "kubelet is posting ready status",
    pressure: dict[str, str] | None = None,
    taints: list[dict[str, str]] | None = None,
    transition_minutes_ago: float = 60 * 24,
) -> dict[str, Any]:
    """A v1 Node; ``pressure`` maps MemoryPressure/DiskPressure/PIDPressure to a reason to set it True."""
    pressure = pressure or {}
    healthy_reasons = {
        "MemoryPressure": "KubeletHasSufficientMemory",
        "DiskPressure": "KubeletHasNoDiskPressure",
        "PIDPressure": "KubeletHasSufficientPID",
    }
    conditions = [
        {
            "type": kind,
            "status": "True" if kind in pressure else "False",
            "reason": pressure.get(kind, reason),
            "message": f"kubelet has {kind}" if kind in pressure else "kubelet is healthy",
            "lastHeartbeatTime": ts(0.5),
            "lastTransitionTime": ts(transition_minutes_ago),
        }
        for kind, reason in healthy_reasons.items()
    ]
    conditions.append(
        {
            "type": "Ready",
            "status": ready,
            "reason": ready_reason,
            "message": ready_message,
            "lastHeartbeatTime": ts(0.5 if ready == "True" else transition_minutes_ago),
            "lastTransitionTime": ts(transition_minutes_ago),
        }
    )
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "spec": {"podCIDR": "10.244.1.0/24", "taints": taints or []},
        "status": {
            "conditions": conditions,
            "allocatable": {"cpu": "3920m", "memory": "15Gi", "pods": "110", "ephemeral-storage": "95Gi"},
            "capacity": {"cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"},
        },
    }


def evicted_pod(
    name: str, node_name: str, message: str, ns: str = "shop", minutes_ago: float = 5
) -> dict[str, Any]:
    """A pod the kubelet evicted (phase Failed, reason Evicted) with its DisruptionTarget condition."""
    result = pod(name, ns=ns, node=node_name, phase="Failed", ready=False, container_statuses=[])
    result["status"].update({"reason": "Evicted", "message": message})
    result["status"]["conditions"].append(
        {
            "type": "DisruptionTarget",
            "status": "True",
            "reason": "TerminationByKubelet",
            "lastTransitionTime": ts(minutes_ago),
        }
    )
    return result


def hpa(
    name: str,
    ns: str = "shop",
    target: str | None = None,
    min_replicas: int = 2,
    max_replicas: int = 10,
    current: int = 4,
    desired: int | None = None,
    cpu_now: int | None = 55,
    cpu_target: int = 70,
    conditions: list[tuple[str, str, str, str]] | None = None,
) -> dict[str, Any]:
    """An autoscaling/v2 HPA on a Deployment's cpu; ``conditions`` as (type, status, reason, message)."""
    default_conditions = [
        ("AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size"),
        (
            "ScalingActive",
            "True",
            "ValidMetricFound",
            "the HPA was able to successfully calculate a replica count",
        ),
        ("ScalingLimited", "False", "DesiredWithinRange", "the desired count is within the acceptable range"),
    ]
    wanted = {c[0]: c for c in default_conditions}
    wanted.update({c[0]: c for c in conditions or []})
    current_metrics = []
    if cpu_now is not None:
        current_metrics = [
            {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": cpu_now}}}
        ]
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target or name},
            "minReplicas": min_replicas,
            "maxReplicas": max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": cpu_target},
                    },
                }
            ],
        },
        "status": {
            "currentReplicas": current,
            "desiredReplicas": current if desired is None else desired,
            "currentMetrics": current_metrics,
            "conditions": [
                {"type": t, "status": s, "reason": r, "message": m, "lastTransitionTime": ts(30)}
                for t, s, r, m in wanted.values()
            ],
        },
    }
