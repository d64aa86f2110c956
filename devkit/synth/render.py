"""Render the builder's model as API objects, exactly shaped like what the API server returns."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from devkit.synth.model import READY_DELAY, Container, Run, full_image
from devkit.synth.pods import Pod
from devkit.synth.quantity import kibibytes, parse_quantity
from devkit.synth.workloads import DaemonSet, Deployment, ReplicaSet, StatefulSet
from tools.contracts.kube.time import rfc3339

if TYPE_CHECKING:
    from devkit.synth.builder import ClusterBuilder, EventModel, NodeModel, ServiceModel

PROGRESS_DEADLINE = timedelta(seconds=600)
DEFAULT_TOLERATIONS = [
    {
        "effect": "NoExecute",
        "key": "node.kubernetes.io/not-ready",
        "operator": "Exists",
        "tolerationSeconds": 300,
    },
    {
        "effect": "NoExecute",
        "key": "node.kubernetes.io/unreachable",
        "operator": "Exists",
        "tolerationSeconds": 300,
    },
]
DAEMONSET_TOLERATIONS = [
    {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists"},
    {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node.kubernetes.io/disk-pressure", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node.kubernetes.io/memory-pressure", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node.kubernetes.io/pid-pressure", "operator": "Exists"},
    {"effect": "NoSchedule", "key": "node.kubernetes.io/unschedulable", "operator": "Exists"},
]


def _image_id(b: ClusterBuilder, image: str) -> str:
    repo = full_image(image).rsplit(":", 1)[0] if ":" in image.split("/")[-1] else full_image(image)
    return f"{repo}@sha256:{b.ids.hex('img/' + image, 64)}"


def _meta(name: str, namespace: str | None, uid: str, created: datetime, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"creationTimestamp": rfc3339(created), "name": name, "uid": uid}
    if namespace:
        meta["namespace"] = namespace
    for key, value in extra.items():
        if value:
            meta[key] = value
    return meta


def _cond(
    kind: str,
    status: str,
    since: datetime,
    reason: str | None = None,
    message: str | None = None,
    probe: bool = False,
) -> dict[str, Any]:
    item: dict[str, Any] = {"lastTransitionTime": rfc3339(since), "status": status, "type": kind}
    if probe:
        item["lastProbeTime"] = None
    if reason:
        item["reason"] = reason
    if message:
        item["message"] = message
    return item


# ----- pods ---------------------------------------------------------------------------------------------
def _container_id(b: ClusterBuilder, pod: Pod, c: Container, run: Run) -> str:
    return "containerd://" + b.ids.hex(
        f"cid/{pod.namespace}/{pod.name}/{c.name}/{run.started.isoformat()}", 64
    )


def _terminated(b: ClusterBuilder, pod: Pod, c: Container, run: Run) -> dict[str, Any]:
    return {
        "containerID": _container_id(b, pod, c, run),
        "exitCode": run.exit_code if run.exit_code is not None else 0,
        "finishedAt": rfc3339(run.finished or b.now),
        "reason": run.reason or "Error",
        "startedAt": rfc3339(run.started),
    }


def container_status(b: ClusterBuilder, pod: Pod, c: Container) -> dict[str, Any]:
    now = b.now
    status: dict[str, Any] = {"image": full_image(c.image), "imageID": "", "lastState": {}, "name": c.name}
    current = c.current
    last = c.last_terminated
    if last is not None:
        status["lastState"] = {"terminated": _terminated(b, pod, c, last)}
    if current is not None:
        status["containerID"] = _container_id(b, pod, c, current)
        status["imageID"] = _image_id(b, c.image)
        status["ready"] = c.ready_at(now)
        status["started"] = True
        status["state"] = {"running": {"startedAt": rfc3339(current.started)}}
    elif c.waiting is not None:
        status["ready"] = False
        status["started"] = False
        status["state"] = {"waiting": {"message": c.waiting[1], "reason": c.waiting[0]}}
    elif last is not None:
        status["containerID"] = _container_id(b, pod, c, last)
        status["imageID"] = _image_id(b, c.image)
        status["ready"] = False
        status["started"] = False
        status["state"] = {
            "waiting": {
                "message": f"back-off 5m0s restarting failed container={c.name} "
                f"pod={pod.name}_{pod.namespace}({pod.uid})",
                "reason": "CrashLoopBackOff",
            }
        }
    else:
        status["ready"] = False
        status["started"] = False
        status["state"] = {"waiting": {"reason": "ContainerCreating"}}
    status["restartCount"] = c.restart_count
    if not status["imageID"]:
        del status["imageID"]
    return dict(sorted(status.items()))


def _ready_since(pod: Pod, now: datetime) -> datetime:
    """When the pod's readiness last changed (for the Ready condition's lastTransitionTime)."""
    moments = [pod.created]
    for c in pod.containers:
        run = c.current
        if run is not None:
            moments.append(run.started + READY_DELAY)
        if c.unready_since is not None:
            moments.append(c.unready_since)
        if c.last_terminated is not None and c.last_terminated.finished is not None:
            moments.append(c.last_terminated.finished)
    return min(max(moments), now)


def _qos(pod: Pod) -> str:
    requests_set = limits_set = False
    guaranteed = True
    for c in pod.containers:
        res = c.spec.get("resources", {})
        req, lim = res.get("requests", {}), res.get("limits", {})
        requests_set = requests_set or bool(req)
        limits_set = limits_set or bool(lim)
        for r in ("cpu", "memory"):
            if r not in lim or parse_quantity(req.get(r, lim.get(r, 0))) != parse_quantity(lim[r]):
                guaranteed = False
    if not requests_set and not limits_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def render_pod(b: ClusterBuilder, pod: Pod) -> dict[str, Any]:
    now = b.now
    spec = copy.deepcopy(pod.spec)
    token_volume = f"kube-api-access-{b.ids.token('kapi/' + pod.namespace + '/' + pod.name, 5)}"
    sa = spec.get("serviceAccountName", "default")
    spec["serviceAccount"] = sa
    spec["serviceAccountName"] = sa
    for c in spec["containers"] + spec.get("initContainers", []):
        c.setdefault("volumeMounts", []).append(
            {
                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                "name": token_volume,
                "readOnly": True,
            }
        )
    spec.setdefault("volumes", []).append(
        {
            "name": token_volume,
            "projected": {
                "defaultMode": 420,
                "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {
                        "configMap": {
                            "items": [{"key": "ca.crt", "path": "ca.crt"}],
                            "name": "kube-root-ca.crt",
                        }
                    },
                    {
                        "downwardAPI": {
                            "items": [
                                {
                                    "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                    "path": "namespace",
                                }
                            ]
                        }
                    },
                ],
            },
        }
    )
    spec["enableServiceLinks"] = True
    spec["preemptionPolicy"] = "PreemptLowerPriority"
    spec["priority"] = (
        2000001000
        if spec.get("priorityClassName") == "system-node-critical"
        else (2000000000 if spec.get("priorityClassName") == "system-cluster-critical" else 0)
    )
    if pod.workload and pod.workload[0] == "DaemonSet":
        spec["tolerations"] = spec.get("tolerations", []) + DAEMONSET_TOLERATIONS
        spec["affinity"] = {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [pod.node]}]}
                    ]
                }
            }
        }
    else:
        spec["tolerations"] = spec.get("tolerations", []) + DEFAULT_TOLERATIONS
    if pod.node:
        spec["nodeName"] = pod.node
    scheduled_at = pod.created + timedelta(seconds=1)
    status: dict[str, Any] = {"qosClass": _qos(pod)}
    if pod.unschedulable is not None or pod.node is None:
        status["phase"] = "Pending"
        status["conditions"] = [
            _cond("PodScheduled", "False", pod.created, "Unschedulable", pod.unschedulable, probe=True)
        ]
    else:
        node = b.nodes[pod.node]
        started = all(c.current is not None for c in pod.containers)
        ready = pod.ready_at(now)
        ready_since = _ready_since(pod, now)
        sandbox = pod.created + timedelta(seconds=2)
        status["conditions"] = [
            _cond("PodReadyToStartContainers", "True", sandbox),
            _cond("Initialized", "True", sandbox),
            _cond(
                "Ready",
                "True" if ready else "False",
                ready_since,
                None if ready else "ContainersNotReady",
                None if ready else _not_ready_message(pod, now),
            ),
            _cond(
                "ContainersReady",
                "True" if ready else "False",
                ready_since,
                None if ready else "ContainersNotReady",
                None if ready else _not_ready_message(pod, now),
            ),
            _cond("PodScheduled", "True", scheduled_at),
        ]
        for item in status["conditions"]:
            item["lastProbeTime"] = None
        status["containerStatuses"] = [container_status(b, pod, c) for c in pod.containers]
        status["hostIP"] = node.ip
        status["hostIPs"] = [{"ip": node.ip}]
        status["phase"] = pod.phase_at(now)
        if pod.ip:
            status["podIP"] = pod.ip
            status["podIPs"] = [{"ip": pod.ip}]
        status["startTime"] = rfc3339(scheduled_at)
        del started
    metadata = _meta(
        pod.name,
        pod.namespace,
        pod.uid,
        pod.created,
        labels=dict(sorted(pod.labels.items())),
        annotations=pod.annotations or None,
        generateName=pod.generate_name,
        ownerReferences=[pod.owner] if pod.owner else None,
    )
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec, "status": status}


def _not_ready_message(pod: Pod, now: datetime) -> str:
    names = [c.name for c in pod.containers if not c.ready_at(now)]
    return f"containers with unready status: [{' '.join(names)}]"


# ----- workloads ---------------------------------------------------------------------------------------
def _pod_counts(pods: list[Pod], now: datetime) -> tuple[int, int]:
    live = [p for p in pods if p.exists_at(now)]
    return len(live), sum(1 for p in live if p.ready_at(now))


def render_replicaset(b: ClusterBuilder, rs: ReplicaSet) -> dict[str, Any]:
    dep = rs.deployment
    replicas, ready = _pod_counts(rs.pods, b.now)
    max_surge = -(-dep.replicas * 25 // 100)
    meta = _meta(
        rs.name,
        dep.namespace,
        rs.uid,
        rs.created,
        annotations={
            "deployment.kubernetes.io/desired-replicas": str(dep.replicas),
            "deployment.kubernetes.io/max-replicas": str(dep.replicas + max_surge),
            "deployment.kubernetes.io/revision": str(rs.revision),
        },
        labels=dict(sorted(rs.template["metadata"]["labels"].items())),
        ownerReferences=[
            {
                "apiVersion": "apps/v1",
                "blockOwnerDeletion": True,
                "controller": True,
                "kind": "Deployment",
                "name": dep.name,
                "uid": dep.uid,
            }
        ],
        generation=1 if rs.replicas == len(rs.pods) else 2,
    )
    status: dict[str, Any] = {"observedGeneration": meta["generation"], "replicas": replicas}
    if replicas:
        status.update(availableReplicas=ready, fullyLabeledReplicas=replicas, readyReplicas=ready)
    if rs.failure:
        status["conditions"] = [_cond("ReplicaFailure", "True", rs.failure[1], "FailedCreate", rs.failure[0])]
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": meta,
        "spec": {
            "replicas": rs.replicas,
            "selector": {"matchLabels": {**dep.selector, "pod-template-hash": rs.hash}},
            "template": rs.template,
        },
        "status": dict(sorted(status.items())),
    }


def render_deployment(b: ClusterBuilder, dep: Deployment) -> dict[str, Any]:
    now = b.now
    current = dep.current
    replicas, ready = _pod_counts(dep.pods, now)
    updated = len([p for p in current.pods if p.exists_at(now)])
    max_unavailable = dep.replicas * 25 // 100
    available_ok = ready >= dep.replicas - max_unavailable
    complete = updated == dep.replicas and replicas == dep.replicas and ready == dep.replicas
    since = dep.rollout_started or current.created
    if complete:
        progressing = _cond(
            "Progressing",
            "True",
            since,
            "NewReplicaSetAvailable",
            f'ReplicaSet "{current.name}" has successfully progressed.',
        )
    elif now - since > PROGRESS_DEADLINE:
        progressing = _cond(
            "Progressing",
            "False",
            since + PROGRESS_DEADLINE,
            "ProgressDeadlineExceeded",
            f'ReplicaSet "{current.name}" has timed out progressing.',
        )
    else:
        progressing = _cond(
            "Progressing", "True", since, "ReplicaSetUpdated", f'ReplicaSet "{current.name}" is progressing.'
        )
    progressing["lastUpdateTime"] = progressing["lastTransitionTime"]
    if available_ok:
        available = _cond(
            "Available",
            "True",
            dep.created + timedelta(seconds=20),
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
        )
    else:
        available = _cond(
            "Available",
            "False",
            _last_unready(dep.pods, now),
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
        )
    available["lastUpdateTime"] = available["lastTransitionTime"]
    conditions = [available, progressing]
    if current.failure:  # the Deployment controller copies its ReplicaSet's ReplicaFailure
        failed = _cond("ReplicaFailure", "True", current.failure[1], "FailedCreate", current.failure[0])
        conditions.append({**failed, "lastUpdateTime": failed["lastTransitionTime"]})
    status: dict[str, Any] = {
        "conditions": conditions,
        "observedGeneration": dep.generation,
        "replicas": replicas,
        "updatedReplicas": updated,
    }
    if ready:
        status["availableReplicas"] = ready
        status["readyReplicas"] = ready
    if replicas - ready > 0:
        status["unavailableReplicas"] = replicas - ready
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(
            dep.name,
            dep.namespace,
            dep.uid,
            dep.created,
            generation=dep.generation,
            labels=dict(sorted(dep.labels.items())),
            annotations={"deployment.kubernetes.io/revision": str(current.revision), **dep.annotations},
        ),
        "spec": {
            "progressDeadlineSeconds": 600,
            "replicas": dep.replicas,
            "revisionHistoryLimit": 10,
            "selector": {"matchLabels": dep.selector},
            "strategy": {
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
                "type": "RollingUpdate",
            },
            "template": _strip_hash(dep.template),
        },
        "status": dict(sorted(status.items())),
    }


def _strip_hash(template: dict[str, Any]) -> dict[str, Any]:
    copy_ = copy.deepcopy(template)
    copy_["metadata"]["labels"].pop("pod-template-hash", None)
    return copy_


def _last_unready(pods: list[Pod], now: datetime) -> datetime:
    return min((_ready_since(p, now) for p in pods if not p.ready_at(now)), default=now)


def render_statefulset(b: ClusterBuilder, sts: StatefulSet) -> dict[str, Any]:
    replicas, ready = _pod_counts(sts.pods, b.now)
    claim_templates = [
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": name},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": size}},
                "storageClassName": sc,
                "volumeMode": "Filesystem",
            },
            "status": {"phase": "Pending"},
        }
        for name, size, sc in sts.claims
    ]
    status: dict[str, Any] = {
        "availableReplicas": ready,
        "collisionCount": 0,
        "currentReplicas": replicas,
        "currentRevision": sts.revision,
        "observedGeneration": 1,
        "replicas": replicas,
        "updateRevision": sts.revision,
        "updatedReplicas": replicas,
    }
    if ready:
        status["readyReplicas"] = ready
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": _meta(
            sts.name,
            sts.namespace,
            sts.uid,
            sts.created,
            generation=1,
            labels=dict(sorted(sts.labels.items())),
        ),
        "spec": {
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
            "podManagementPolicy": "OrderedReady",
            "replicas": sts.replicas,
            "revisionHistoryLimit": 10,
            "selector": {"matchLabels": sts.selector},
            "serviceName": sts.service_name,
            "template": sts.template,
            "updateStrategy": {"rollingUpdate": {"partition": 0}, "type": "RollingUpdate"},
            "volumeClaimTemplates": claim_templates,
        },
        "status": status,
    }


def render_statefulset_storage(b: ClusterBuilder, sts: StatefulSet) -> list[dict[str, Any]]:
    """The PVCs the StatefulSet controller created, Bound to dynamically provisioned PVs."""
    out = []
    for pod in sts.pod_list:
        for claim, size, sc in sts.claims:
            pvc_name = f"{claim}-{pod.name}"
            pvc_uid = b.ids.uid(f"pvc/{sts.namespace}/{pvc_name}")
            pv_name = f"pvc-{pvc_uid}"
            made = pod.created - timedelta(seconds=1)
            if pod.node is None:
                continue
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "metadata": _meta(
                        pvc_name,
                        sts.namespace,
                        pvc_uid,
                        min(made, sts.created + timedelta(seconds=2)),
                        labels=dict(sorted(sts.selector.items())),
                        annotations={
                            "pv.kubernetes.io/bind-completed": "yes",
                            "pv.kubernetes.io/bound-by-controller": "yes",
                            "volume.beta.kubernetes.io/storage-provisioner": "ebs.csi.aws.com",
                            "volume.kubernetes.io/selected-node": pod.node,
                            "volume.kubernetes.io/storage-provisioner": "ebs.csi.aws.com",
                        },
                        finalizers=["kubernetes.io/pvc-protection"],
                    ),
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": size}},
                        "storageClassName": sc,
                        "volumeMode": "Filesystem",
                        "volumeName": pv_name,
                    },
                    "status": {
                        "accessModes": ["ReadWriteOnce"],
                        "capacity": {"storage": size},
                        "phase": "Bound",
                    },
                }
            )
            zone = b.nodes[pod.node].labels["topology.kubernetes.io/zone"]
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": "PersistentVolume",
                    "metadata": _meta(
                        pv_name,
                        None,
                        b.ids.uid("pv/" + pv_name),
                        min(made, sts.created + timedelta(seconds=2)),
                        annotations={
                            "pv.kubernetes.io/provisioned-by": "ebs.csi.aws.com",
                            "volume.kubernetes.io/provisioner-deletion-secret-name": "",
                            "volume.kubernetes.io/provisioner-deletion-secret-namespace": "",
                        },
                        finalizers=[
                            "external-provisioner.volume.kubernetes.io/finalizer",
                            "kubernetes.io/pv-protection",
                        ],
                    ),
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "capacity": {"storage": size},
                        "claimRef": {
                            "apiVersion": "v1",
                            "kind": "PersistentVolumeClaim",
                            "name": pvc_name,
                            "namespace": sts.namespace,
                            "uid": pvc_uid,
                        },
                        "csi": {
                            "driver": "ebs.csi.aws.com",
                            "fsType": "ext4",
                            "volumeHandle": f"vol-0{b.ids.hex('vol/' + pv_name, 16)}",
                        },
                        "nodeAffinity": {
                            "required": {
                                "nodeSelectorTerms": [
                                    {
                                        "matchExpressions": [
                                            {
                                                "key": "topology.kubernetes.io/zone",
                                                "operator": "In",
                                                "values": [zone],
                                            }
                                        ]
                                    }
                                ]
                            }
                        },
                        "persistentVolumeReclaimPolicy": "Delete",
                        "storageClassName": sc,
                        "volumeMode": "Filesystem",
                    },
                    "status": {"lastPhaseTransitionTime": rfc3339(made), "phase": "Bound"},
                }
            )
    return out


def render_daemonset(b: ClusterBuilder, ds: DaemonSet) -> dict[str, Any]:
    scheduled, ready = _pod_counts(ds.pods, b.now)
    status: dict[str, Any] = {
        "currentNumberScheduled": scheduled,
        "desiredNumberScheduled": scheduled,
        "numberAvailable": ready,
        "numberMisscheduled": 0,
        "numberReady": ready,
        "observedGeneration": 1,
        "updatedNumberScheduled": scheduled,
    }
    if scheduled - ready:
        status["numberUnavailable"] = scheduled - ready
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": _meta(
            ds.name,
            ds.namespace,
            ds.uid,
            ds.created,
            generation=1,
            annotations={"deprecated.daemonset.template.generation": "1"},
            labels=dict(sorted(ds.labels.items())),
        ),
        "spec": {
            "revisionHistoryLimit": 10,
            "selector": {"matchLabels": ds.selector},
            "template": ds.template,
            "updateStrategy": {
                "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1},
                "type": "RollingUpdate",
            },
        },
        "status": status,
    }


# ----- nodes and namespaces ----------------------------------------------------------------------------
def render_node(b: ClusterBuilder, node: NodeModel) -> dict[str, Any]:
    memory = parse_quantity(node.memory)
    cpu = parse_quantity(node.cpu)
    heartbeat = b.now - timedelta(seconds=b.ids.number("hb/" + node.name, 5, 40))
    conditions = []
    for kind, (status, reason, message, since) in node.conditions.items():
        beat = heartbeat if status != "Unknown" else since - timedelta(seconds=40)
        if kind == "NetworkUnavailable":
            beat = since + timedelta(seconds=30)
        conditions.append(
            {
                "lastHeartbeatTime": rfc3339(beat),
                "lastTransitionTime": rfc3339(since),
                "message": message,
                "reason": reason,
                "status": status,
                "type": kind,
            }
        )
    spec: dict[str, Any] = {
        "podCIDR": node.pod_cidr,
        "podCIDRs": [node.pod_cidr],
        "providerID": f"aws:///{node.labels['topology.kubernetes.io/zone']}/i-0"
        f"{b.ids.hex('i/' + node.name, 16)}",
    }
    if node.taints:
        spec["taints"] = node.taints
    if node.unschedulable:
        spec["unschedulable"] = True
    hostname = f"ip-{node.ip.replace('.', '-')}.eu-west-1.compute.internal"
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": _meta(
            node.name,
            None,
            node.uid,
            node.created,
            labels=dict(sorted(node.labels.items())),
            annotations={
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
            },
        ),
        "spec": spec,
        "status": {
            "addresses": [
                {"address": node.ip, "type": "InternalIP"},
                {"address": hostname, "type": "InternalDNS"},
                {"address": hostname, "type": "Hostname"},
            ],
            "allocatable": {
                "cpu": f"{int(cpu * 1000) - 90}m",
                "ephemeral-storage": "76224326324",
                "hugepages-1Gi": "0",
                "hugepages-2Mi": "0",
                "memory": kibibytes(memory - 1.2 * 2**30),
                "pods": str(node.pods),
            },
            "capacity": {
                "cpu": node.cpu,
                "ephemeral-storage": "83873772Ki",
                "hugepages-1Gi": "0",
                "hugepages-2Mi": "0",
                "memory": kibibytes(memory * 0.985),
                "pods": str(node.pods),
            },
            "conditions": conditions,
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "amd64",
                "bootID": b.ids.uid("boot/" + node.name),
                "containerRuntimeVersion": "containerd://1.7.22",
                "kernelVersion": "6.1.112-124.190.amzn2023.x86_64",
                "kubeProxyVersion": b.kubernetes_version,
                "kubeletVersion": b.kubernetes_version,
                "machineID": b.ids.hex("mid/" + node.name, 32),
                "operatingSystem": "linux",
                "osImage": "Amazon Linux 2023.6.20241010",
                "systemUUID": b.ids.uid("sys/" + node.name).upper(),
            },
        },
    }


def render_namespace(name: str, info: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": _meta(
            name, None, info["uid"], info["created"], labels=dict(sorted(info["labels"].items()))
        ),
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def namespace_defaults(b: ClusterBuilder, name: str, info: dict[str, Any]) -> list[dict[str, Any]]:
    """What every namespace holds: the default ServiceAccount and the kube-root-ca.crt ConfigMap."""
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": _meta("default", name, b.ids.uid(f"sa/{name}/default"), info["created"]),
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta(
                "kube-root-ca.crt",
                name,
                b.ids.uid(f"cm/{name}/kube-root-ca.crt"),
                info["created"],
                annotations={
                    "kubernetes.io/description": "Contains a CA bundle that can be used to "
                    "verify the kube-apiserver when using internal endpoints such as the "
                    "internal service IP or kubernetes.default.svc. No other usage is "
                    "guaranteed across distributions of Kubernetes clusters."
                },
            ),
            "data": {
                "ca.crt": "-----BEGIN CERTIFICATE-----\n"
                "MIIC/jCCAeagAwIBAgIBADANBgkqhkiG9w0BAQsFADAVMRMwEQYDVQQDEwpr\n"
                "-----END CERTIFICATE-----\n"
            },
        },
    ]


# ----- services ----------------------------------------------------------------------------------------
def selected_pods(b: ClusterBuilder, svc: ServiceModel) -> list[Pod]:
    if not svc.selector:
        return []
    return [
        p
        for p in b.all_pods()
        if p.namespace == svc.namespace
        and p.ip
        and all(p.labels.get(k) == v for k, v in svc.selector.items())
    ]


def resolve_target_port(pod: Pod, target: int | str) -> int | None:
    if isinstance(target, int):
        return target
    for c in pod.containers:
        for port in c.spec.get("ports", []):
            if port.get("name") == target:
                return port["containerPort"]
    return None


def render_service(b: ClusterBuilder, svc: ServiceModel) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "clusterIP": svc.cluster_ip,
        "clusterIPs": [svc.cluster_ip],
        "internalTrafficPolicy": "Cluster",
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
        "ports": svc.ports,
        "sessionAffinity": "None",
        "type": svc.type,
    }
    if svc.selector:
        spec["selector"] = svc.selector
    if svc.type in ("NodePort", "LoadBalancer"):
        spec["externalTrafficPolicy"] = "Cluster"
    status: dict[str, Any] = {"loadBalancer": {}}
    if svc.type == "LoadBalancer":
        status["loadBalancer"] = {
            "ingress": [{"hostname": f"a{b.ids.hex('lb/' + svc.name, 31)}.elb.eu-west-1.amazonaws.com"}]
        }
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(
            svc.name,
            svc.namespace,
            svc.uid,
            svc.created,
            labels=dict(sorted(svc.labels.items())),
            annotations=svc.annotations or None,
        ),
        "spec": spec,
        "status": status,
    }


def render_endpoints(b: ClusterBuilder, svc: ServiceModel) -> list[dict[str, Any]]:
    """The EndpointSlice (and legacy Endpoints) the controllers keep for a Service with a selector."""
    if svc.name == "kubernetes" and svc.namespace == "default":
        return _apiserver_endpoints(b, svc)
    if not svc.selector:
        return []
    pods = sorted(selected_pods(b, svc), key=lambda p: p.ip or "")
    now = b.now
    endpoints = []
    ready_addrs, unready_addrs = [], []
    for pod in pods:
        ready = pod.ready_at(now)
        endpoints.append(
            {
                "addresses": [pod.ip],
                "conditions": {"ready": ready, "serving": ready, "terminating": False},
                "nodeName": pod.node,
                "targetRef": {"kind": "Pod", "name": pod.name, "namespace": pod.namespace, "uid": pod.uid},
                "zone": b.nodes[pod.node].labels["topology.kubernetes.io/zone"] if pod.node else None,
            }
        )
        address = {
            "ip": pod.ip,
            "nodeName": pod.node,
            "targetRef": {"kind": "Pod", "name": pod.name, "namespace": pod.namespace, "uid": pod.uid},
        }
        (ready_addrs if ready else unready_addrs).append(address)
    slice_ports = []
    for port in svc.ports:
        number = next(
            (
                resolve_target_port(p, port["targetPort"])
                for p in pods
                if resolve_target_port(p, port["targetPort"]) is not None
            ),
            None,
        )
        if pods and number is not None:
            item = {"name": port.get("name", ""), "port": number, "protocol": port["protocol"]}
            slice_ports.append(item)
    changed = max([svc.created] + [_ready_since(p, now) for p in pods]) if pods else svc.created
    slice_name = f"{svc.name}-{b.ids.token('eps/' + svc.namespace + '/' + svc.name, 5)}"
    owner = [
        {
            "apiVersion": "v1",
            "blockOwnerDeletion": True,
            "controller": True,
            "kind": "Service",
            "name": svc.name,
            "uid": svc.uid,
        }
    ]
    eps_slice = {
        "addressType": "IPv4",
        "apiVersion": "discovery.k8s.io/v1",
        "endpoints": endpoints,
        "kind": "EndpointSlice",
        "metadata": _meta(
            slice_name,
            svc.namespace,
            b.ids.uid("eps/" + slice_name),
            svc.created,
            generateName=f"{svc.name}-",
            generation=1,
            ownerReferences=owner,
            labels=dict(
                sorted(
                    {
                        **svc.labels,
                        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                        "kubernetes.io/service-name": svc.name,
                    }.items()
                )
            ),
            annotations={"endpoints.kubernetes.io/last-change-trigger-time": rfc3339(changed)},
        ),
        "ports": slice_ports,
    }
    legacy: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": _meta(
            svc.name,
            svc.namespace,
            b.ids.uid("ep/" + svc.namespace + "/" + svc.name),
            svc.created,
            labels=dict(sorted(svc.labels.items())),
            annotations={"endpoints.kubernetes.io/last-change-trigger-time": rfc3339(changed)},
        ),
    }
    if ready_addrs or unready_addrs:
        subset: dict[str, Any] = {}
        if ready_addrs:
            subset["addresses"] = ready_addrs
        if unready_addrs:
            subset["notReadyAddresses"] = unready_addrs
        subset["ports"] = [{k: v for k, v in p.items() if k != "name" or v} for p in slice_ports]
        legacy["subsets"] = [subset]
    return [eps_slice, legacy]


def _apiserver_endpoints(b: ClusterBuilder, svc: ServiceModel) -> list[dict[str, Any]]:
    address = "10.0.1.5"
    return [
        {
            "addressType": "IPv4",
            "apiVersion": "discovery.k8s.io/v1",
            "endpoints": [{"addresses": [address], "conditions": {"ready": True}}],
            "kind": "EndpointSlice",
            "metadata": _meta(
                "kubernetes",
                "default",
                b.ids.uid("eps/default/kubernetes"),
                svc.created,
                generation=1,
                labels={"kubernetes.io/service-name": "kubernetes"},
            ),
            "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}],
        },
        {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": _meta(
                "kubernetes",
                "default",
                b.ids.uid("ep/default/kubernetes"),
                svc.created,
                labels={"endpointslice.kubernetes.io/skip-mirror": "true"},
            ),
            "subsets": [
                {
                    "addresses": [{"ip": address}],
                    "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}],
                }
            ],
        },
    ]


# ----- events ------------------------------------------------------------------------------------------
def render_event(b: ClusterBuilder, event: EventModel, index: int) -> dict[str, Any]:
    involved_name = event.involved["name"]
    name = f"{involved_name}.{b.ids.hex(f'ev/{index}/{event.reason}/{involved_name}', 16)}"
    source: dict[str, Any] = {"component": event.component}
    if event.host:
        source["host"] = event.host
    return {
        "apiVersion": "v1",
        "count": event.count,
        "eventTime": None,
        "firstTimestamp": rfc3339(event.first),
        "involvedObject": event.involved,
        "kind": "Event",
        "lastTimestamp": rfc3339(event.last),
        "message": event.message,
        "metadata": _meta(name, event.namespace, b.ids.uid("event/" + name), event.first),
        "reason": event.reason,
        "reportingComponent": event.component,
        "reportingInstance": event.host or "",
        "source": source,
        "type": event.type,
    }
