"""Builders for workload, storage, quota, RBAC, PDB and certificate facts (on top of ``factories``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.diagnose.analyzers.factories import NOW, pod, ts

IMAGE = "registry.example.com/shop/app:1.0.0"


def crashloop_status(
    container: str = "app",
    exit_code: int = 1,
    reason: str = "Error",
    finished_minutes_ago: float = 1,
    restarts: int = 6,
    waiting_reason: str | None = "CrashLoopBackOff",
    pod_name: str = "pod",
) -> dict[str, Any]:
    """A container that keeps exiting: waiting CrashLoopBackOff, lastState terminated with ``exit_code``."""
    state: dict[str, Any] = {"running": {"startedAt": ts(0.5)}}
    if waiting_reason:
        state = {
            "waiting": {
                "reason": waiting_reason,
                "message": f"back-off 5m0s restarting failed container={container} pod={pod_name}",
            }
        }
    return {
        "name": container,
        "image": IMAGE,
        "ready": False,
        "started": False,
        "restartCount": restarts,
        "state": state,
        "lastState": {
            "terminated": {
                "reason": reason,
                "exitCode": exit_code,
                "startedAt": ts(finished_minutes_ago + 0.2),
                "finishedAt": ts(finished_minutes_ago),
            }
        },
    }


def waiting_status(container: str, reason: str, message: str = "", restarts: int = 0) -> dict[str, Any]:
    return {
        "name": container,
        "image": IMAGE,
        "ready": False,
        "started": False,
        "restartCount": restarts,
        "state": {"waiting": {"reason": reason, "message": message} if message else {"reason": reason}},
    }


def running_status(
    container: str = "app",
    ready: bool = True,
    restarts: int = 0,
    last_reason: str | None = None,
    last_exit: int = 1,
    last_finished_minutes_ago: float = 600,
) -> dict[str, Any]:
    status: dict[str, Any] = {
        "name": container,
        "image": IMAGE,
        "ready": ready,
        "started": True,
        "restartCount": restarts,
        "state": {"running": {"startedAt": ts(last_finished_minutes_ago)}},
    }
    if last_reason:
        status["lastState"] = {
            "terminated": {
                "reason": last_reason,
                "exitCode": last_exit,
                "startedAt": ts(last_finished_minutes_ago + 30),
                "finishedAt": ts(last_finished_minutes_ago),
            }
        }
    return status


def workload_pod(
    name: str,
    ns: str = "shop",
    owner_rs: str | None = None,
    statuses: list[dict[str, Any]] | None = None,
    init_statuses: list[dict[str, Any]] | None = None,
    phase: str = "Running",
    ready: bool = False,
    labels: dict[str, str] | None = None,
    volumes: list[dict[str, Any]] | None = None,
    containers: list[dict[str, Any]] | None = None,
    init_containers: list[dict[str, Any]] | None = None,
    node: str | None = "worker-1",
    **spec_extra: Any,
) -> dict[str, Any]:
    """A pod (via ``factories.pod``) with given statuses, volumes, containers and extra spec fields."""
    labels = labels or {"app": owner_rs.rsplit("-", 1)[0] if owner_rs else name}
    obj = pod(name, ns=ns, labels=labels, owner_rs=owner_rs, ready=ready, phase=phase, node=node or "")
    if statuses is not None:
        obj["status"]["containerStatuses"] = statuses
    if init_statuses is not None:
        obj["status"]["initContainerStatuses"] = init_statuses
    if containers is not None:
        obj["spec"]["containers"] = containers
    if init_containers is not None:
        obj["spec"]["initContainers"] = init_containers
    if volumes is not None:
        obj["spec"]["volumes"] = volumes
    if node is None:
        obj["spec"].pop("nodeName", None)
        obj["status"]["conditions"] = [
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"},
        ]
        obj["status"].pop("containerStatuses", None)
    obj["spec"].update(spec_extra)
    return obj


def stuck_rollout(deployment: dict[str, Any], rs_name: str) -> dict[str, Any]:
    """Mark a Deployment's rollout as past its progress deadline."""
    deployment["status"]["conditions"].append(
        {
            "type": "Progressing",
            "status": "False",
            "reason": "ProgressDeadlineExceeded",
            "message": f'ReplicaSet "{rs_name}" has timed out progressing.',
            "lastUpdateTime": ts(5),
            "lastTransitionTime": ts(5),
        }
    )
    return deployment


def pvc(
    name: str,
    ns: str = "shop",
    phase: str = "Bound",
    storage_class: str | None = "standard",
    volume_name: str | None = None,
    access_modes: list[str] | None = None,
    created_minutes_ago: float = 30,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "accessModes": access_modes or ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "10Gi"}},
        "volumeMode": "Filesystem",
    }
    if storage_class is not None:
        spec["storageClassName"] = storage_class
    if volume_name:
        spec["volumeName"] = volume_name
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": ns, "creationTimestamp": ts(created_minutes_ago)},
        "spec": spec,
        "status": {"phase": phase, **({"capacity": {"storage": "10Gi"}} if phase == "Bound" else {})},
    }


def pv(name: str, claim_ns: str, claim_name: str, storage_class: str = "standard") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name},
        "spec": {
            "capacity": {"storage": "10Gi"},
            "accessModes": ["ReadWriteOnce"],
            "claimRef": {"kind": "PersistentVolumeClaim", "namespace": claim_ns, "name": claim_name},
            "storageClassName": storage_class,
            "csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "vol-0abc"},
        },
        "status": {"phase": "Bound"},
    }


def storage_class(name: str, provisioner: str = "ebs.csi.aws.com", default: bool = False) -> dict[str, Any]:
    annotations = {"storageclass.kubernetes.io/is-default-class": "true"} if default else {}
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": name, "annotations": annotations},
        "provisioner": provisioner,
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer",
    }


def claim_volume(volume: str, claim: str) -> dict[str, Any]:
    return {"name": volume, "persistentVolumeClaim": {"claimName": claim}}


def resource_quota(name: str, ns: str, hard: dict[str, str], used: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"hard": hard},
        "status": {"hard": hard, "used": used},
    }


def limit_range(name: str, ns: str, max_memory: str = "1Gi") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"limits": [{"type": "Container", "max": {"memory": max_memory}}]},
    }


def pdb(
    name: str,
    ns: str = "shop",
    selector: dict[str, str] | None = None,
    min_available: int | str | None = None,
    max_unavailable: int | str | None = None,
    current_healthy: int = 2,
    desired_healthy: int = 2,
    expected: int = 2,
    allowed: int = 0,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"selector": {"matchLabels": selector or {"app": name}}}
    if min_available is not None:
        spec["minAvailable"] = min_available
    if max_unavailable is not None:
        spec["maxUnavailable"] = max_unavailable
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
        "status": {
            "currentHealthy": current_healthy,
            "desiredHealthy": desired_healthy,
            "expectedPods": expected,
            "disruptionsAllowed": allowed,
            "conditions": [
                {
                    "type": "DisruptionAllowed",
                    "status": "True" if allowed > 0 else "False",
                    "reason": "SufficientPods" if allowed > 0 else "InsufficientPods",
                }
            ],
        },
    }


def worker_node(
    name: str,
    unschedulable: bool = False,
    cpu: str = "4",
    memory: str = "16Gi",
    taints: list[dict[str, Any]] | None = None,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"taints": taints or []}
    if unschedulable:
        spec["unschedulable"] = True
        spec["taints"].append({"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"})
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "spec": spec,
        "status": {
            "allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
            "capacity": {"cpu": cpu, "memory": memory, "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
        },
    }


def service_account(name: str, ns: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": ns}}


def role(name: str, ns: str | None, rules: list[dict[str, Any]], cluster: bool = False) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if not cluster:
        metadata["namespace"] = ns
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole" if cluster else "Role",
        "metadata": metadata,
        "rules": rules,
    }


def rule(resources: list[str], verbs: list[str], groups: list[str] | None = None) -> dict[str, Any]:
    return {"apiGroups": groups if groups is not None else [""], "resources": resources, "verbs": verbs}


def role_binding(
    name: str,
    ns: str | None,
    role_name: str,
    subjects: list[tuple[str, str]],
    role_kind: str = "Role",
    cluster: bool = False,
) -> dict[str, Any]:
    """A RoleBinding (or ClusterRoleBinding) of ServiceAccount subjects given as (namespace, name)."""
    metadata: dict[str, Any] = {"name": name}
    if not cluster:
        metadata["namespace"] = ns
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding" if cluster else "RoleBinding",
        "metadata": metadata,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name},
        "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": sa_ns} for sa_ns, sa in subjects],
    }


def certificate(
    name: str,
    ns: str,
    secret: str,
    not_after_minutes_from_now: float,
    ready: bool = True,
    message: str | None = None,
) -> dict[str, Any]:
    """A cert-manager Certificate; negative ``not_after_minutes_from_now`` means already expired."""
    not_after = (NOW + timedelta(minutes=not_after_minutes_from_now)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "secretName": secret,
            "dnsNames": [f"{name}.example.com"],
            "issuerRef": {"name": "letsencrypt"},
        },
        "status": {
            "notAfter": not_after,
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True" if ready else "False",
                    "reason": "Ready" if ready else "Expired",
                    "message": message
                    or ("Certificate is up to date and has not expired" if ready else "Certificate expired"),
                }
            ],
        },
    }


def tls_secret(name: str, ns: str, certificate_name: str | None = None) -> dict[str, Any]:
    annotations = {"cert-manager.io/certificate-name": certificate_name} if certificate_name else {}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/tls",
        "metadata": {"name": name, "namespace": ns, "annotations": annotations},
        "data": {"tls.crt": "", "tls.key": ""},
    }


def config_map(name: str, ns: str, keys: list[str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns},
        "data": dict.fromkeys(keys or ["config.yaml"], ""),
    }


def secret(name: str, ns: str, keys: list[str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": name, "namespace": ns},
        "data": dict.fromkeys(keys or ["password"], ""),
    }


def culprits(candidates: list[Any]) -> list[tuple[str, str, str | None, str]]:
    """(category, culprit kind, namespace, name) of each candidate, checking every one cites real text."""
    for candidate in candidates:
        assert candidate.cites, f"{candidate.title} cites nothing"
        assert all(cite.needle or cite.key for cite in candidate.cites), f"{candidate.title} cites no text"
        assert 0 <= candidate.confidence <= 1 and candidate.next_steps
    return [
        (
            str(candidate.category),
            candidate.resource.kind,
            candidate.resource.namespace,
            candidate.resource.name,
        )
        for candidate in candidates
    ]
