"""Extra pieces for synthetic clusters that the core builder does not model: standalone PVCs (Pending or
Bound), evicted pods, cert-manager Certificates, controller create failures, and trimming the metrics a
snapshot carries. Everything goes through the builder's public API (``add``, ``event``, the models), so the
output stays consistent and reproducible.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from devkit.synth.builder import ClusterBuilder
from devkit.synth.clock import Ago, duration
from devkit.synth.flows import FlowFactory
from devkit.synth.sampling import sample_times
from devkit.synth.workloads import Deployment, ReplicaSet
from devkit.synth.writer import write_snapshot
from tools.contracts.kube.time import rfc3339

PROVISIONER = "ebs.csi.aws.com"


def pending_pvc(
    b: ClusterBuilder,
    namespace: str,
    name: str,
    *,
    size: str = "10Gi",
    storage_class: str | None = "gp3",
    since: Ago = "20m",
    reason: str = "ProvisioningFailed",
    message: str | None = None,
    component: str = "persistentvolume-controller",
) -> dict[str, Any]:
    """A PVC stuck Pending, with the controller's event explaining why."""
    spec: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": size}},
        "volumeMode": "Filesystem",
    }
    if storage_class is not None:
        spec["storageClassName"] = storage_class
    pvc = b.add(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "finalizers": ["kubernetes.io/pvc-protection"],
            },
            "spec": spec,
            "status": {"phase": "Pending"},
        },
        created=since,
    )
    text = message or f'storageclass.storage.k8s.io "{storage_class}" not found'
    start = b.at(since)
    count = max(int((b.now - start).total_seconds() // 15), 1)
    b.event(pvc, reason, text, "Warning", count, start, "20s", component=component)
    return pvc


def bound_pvc(
    b: ClusterBuilder,
    namespace: str,
    name: str,
    *,
    node: str,
    size: str = "10Gi",
    storage_class: str = "gp3",
    created: Ago = "30d",
) -> dict[str, Any]:
    """A ReadWriteOnce PVC Bound to a dynamically provisioned PV in the node's zone."""
    pvc_uid = b.ids.uid(f"PersistentVolumeClaim/{namespace}/{name}")
    pv_name = f"pvc-{pvc_uid}"
    zone = b.nodes[node].labels["topology.kubernetes.io/zone"]
    pvc = b.add(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "uid": pvc_uid,
                "annotations": {
                    "pv.kubernetes.io/bind-completed": "yes",
                    "pv.kubernetes.io/bound-by-controller": "yes",
                    "volume.kubernetes.io/selected-node": node,
                    "volume.kubernetes.io/storage-provisioner": PROVISIONER,
                },
                "finalizers": ["kubernetes.io/pvc-protection"],
            },
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": size}},
                "storageClassName": storage_class,
                "volumeMode": "Filesystem",
                "volumeName": pv_name,
            },
            "status": {"accessModes": ["ReadWriteOnce"], "capacity": {"storage": size}, "phase": "Bound"},
        },
        created=created,
    )
    b.add(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": pv_name, "annotations": {"pv.kubernetes.io/provisioned-by": PROVISIONER}},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "capacity": {"storage": size},
                "claimRef": {
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "name": name,
                    "namespace": namespace,
                    "uid": pvc_uid,
                },
                "csi": {
                    "driver": PROVISIONER,
                    "fsType": "ext4",
                    "volumeHandle": f"vol-0{b.ids.hex('vol/' + pv_name, 16)}",
                },
                "nodeAffinity": {
                    "required": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {"key": "topology.kubernetes.io/zone", "operator": "In", "values": [zone]}
                                ]
                            }
                        ]
                    }
                },
                "persistentVolumeReclaimPolicy": "Delete",
                "storageClassName": storage_class,
                "volumeMode": "Filesystem",
            },
            "status": {"phase": "Bound"},
        },
        created=created,
    )
    return pvc


def evicted_pod(
    b: ClusterBuilder,
    dep: Deployment,
    *,
    node: str,
    at: Ago,
    message: str,
    index: int = 0,
) -> dict[str, Any]:
    """A pod of the Deployment's current ReplicaSet that the kubelet evicted (phase Failed, reason Evicted),
    left behind as the API keeps it, with the Evicted event."""
    rs = dep.current
    name = f"{rs.name}-{b.ids.token(f'evicted/{dep.namespace}/{rs.name}/{index}', 5)}"
    moment = b.at(at)
    spec = {
        **rs.template["spec"],
        "nodeName": node,
        "serviceAccountName": rs.template["spec"].get("serviceAccountName", "default"),
    }
    pod = b.add(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": name,
                "namespace": dep.namespace,
                "generateName": f"{rs.name}-",
                "labels": dict(rs.template["metadata"]["labels"]),
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "blockOwnerDeletion": True,
                        "controller": True,
                        "kind": "ReplicaSet",
                        "name": rs.name,
                        "uid": rs.uid,
                    }
                ],
            },
            "spec": spec,
            "status": {
                # Since 1.26 the kubelet marks the pod DisruptionTarget (TerminationByKubelet) as it evicts.
                "conditions": [
                    {
                        "type": "DisruptionTarget",
                        "status": "True",
                        "reason": "TerminationByKubelet",
                        "message": message.strip(),
                        "lastTransitionTime": rfc3339(moment),
                    },
                    {
                        "type": "Ready",
                        "status": "False",
                        "reason": "PodFailed",
                        "lastTransitionTime": rfc3339(moment),
                    },
                    {
                        "type": "PodScheduled",
                        "status": "True",
                        "lastTransitionTime": rfc3339(moment - timedelta(hours=3)),
                    },
                ],
                "message": message,
                "phase": "Failed",
                "reason": "Evicted",
                "startTime": rfc3339(moment - timedelta(hours=3)),
                "hostIP": b.nodes[node].ip,
            },
        },
        created=moment - timedelta(hours=3),
    )
    b.event(pod, "Evicted", message, "Warning", 1, moment, moment, host=node)
    return pod


def certificate(
    b: ClusterBuilder,
    namespace: str,
    name: str,
    *,
    secret: str,
    dns_names: list[str],
    not_after: datetime,
    issuer: str = "letsencrypt-prod",
    ready: bool = True,
    message: str | None = None,
    created: Ago = "200d",
) -> dict[str, Any]:
    """A cert-manager Certificate with its status (notAfter, renewalTime, Ready condition)."""
    renewal = not_after - timedelta(days=30)
    condition = {
        "lastTransitionTime": rfc3339(min(not_after, b.now) if not ready else b.now - timedelta(days=20)),
        "message": message
        or ("Certificate is up to date and has not expired" if ready else "Certificate expired"),
        "observedGeneration": 1,
        "reason": "Ready" if ready else "Expired",
        "status": "True" if ready else "False",
        "type": "Ready",
    }
    return b.add(
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Certificate",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {
                "dnsNames": list(dns_names),
                "issuerRef": {"group": "cert-manager.io", "kind": "ClusterIssuer", "name": issuer},
                "secretName": secret,
            },
            "status": {
                "conditions": [condition],
                "notAfter": rfc3339(not_after),
                "notBefore": rfc3339(not_after - timedelta(days=90)),
                "renewalTime": rfc3339(renewal),
                "revision": 3,
            },
        },
        created=created,
        generation=True,
    )


def no_pods_created(rs: ReplicaSet) -> ReplicaSet:
    """The ReplicaSet's controller could not create any pod (quota, admission, missing ServiceAccount):
    it keeps its desired replicas but has none."""
    rs.pods.clear()
    return rs


def failed_create(
    b: ClusterBuilder, rs: ReplicaSet, message: str, *, since: Ago = "15m", every: Ago = "30s"
) -> None:
    """The replicaset-controller's FailedCreate warning, repeated as it retries, and the ReplicaFailure
    condition it sets on the ReplicaSet (the error without the event's "Error creating: ")."""
    start = b.at(since)
    rs.failure = (message.removeprefix("Error creating: "), start)
    step = max(b.at(0) - b.at(every), timedelta(seconds=1))
    count = max(int((b.now - start) / step), 1)
    b.event(rs, "FailedCreate", message, "Warning", count, start, "12s", component="replicaset-controller")


def keep_only_metrics(out: str | Path, keep: tuple[str, ...]) -> None:
    """Trim a written snapshot's metrics/ to the generator files named in ``keep`` (e.g. "cadvisor");
    with nothing to keep the directory goes, so no Prometheus needs to start for this snapshot."""
    metrics = Path(out) / "metrics"
    if not metrics.is_dir():
        return
    for path in sorted(metrics.glob("*.om")):
        if path.stem not in keep:
            path.unlink()
    if not any(metrics.iterdir()):
        shutil.rmtree(metrics)


def after_write(b: ClusterBuilder, hook: Callable[[ClusterBuilder, Path], None]) -> None:
    """Run ``hook(builder, out)`` once the snapshot is written by ``write`` (for records the core builder
    cannot render yet)."""
    b.__dict__.setdefault("_after_write", []).append(hook)


def write(b: ClusterBuilder, out: str | Path, *, metrics: tuple[str, ...] | None = None) -> Path:
    """``write_snapshot(b, out)``, then the after-write hooks, then (when ``metrics`` is given) trim the
    metrics."""
    path = write_snapshot(b, out)
    for hook in b.__dict__.get("_after_write", []):
        hook(b, path)
    if metrics is not None:
        keep_only_metrics(path, metrics)
    return path


def udp_drops(
    b: ClusterBuilder,
    src: str,
    dst: str,
    port: int,
    *,
    since: Ago,
    every: Ago = "2m",
    reason: str = "POLICY_DENIED",
    direction: str = "EGRESS",
) -> None:
    """UDP packets from ``src`` to ``dst``:port dropped since ``since`` (e.g. DNS queries to CoreDNS that an
    egress policy denies): each query and its resolver retry 5 s later, observed on the source's node."""

    def hook(builder: ClusterBuilder, out: Path) -> None:
        fac = FlowFactory(builder)
        src_w, dst_w = builder.workload(src), builder.workload(dst)
        key = f"udp-drop/{src}/{dst}/{port}"
        rng = builder.ids.rng(key)
        records = []
        for moment in sample_times(builder, key, builder.at(since), builder.now, duration(every)):
            source = _pick_pod(src_w, rng)
            target = _pick_pod(dst_w, rng)
            if source is None or target is None or source.node is None:
                continue
            sport = rng.randint(32768, 60999)
            for delay in (0.0, 5.0):
                records.append(
                    fac.flow(
                        moment + timedelta(seconds=delay),
                        node=source.node,
                        src=source,
                        dst=target,
                        l4={"UDP": {"source_port": sport, "destination_port": port}},
                        verdict="DROPPED",
                        direction=direction,
                        drop_reason=reason,
                        summary="UDP",
                        key=key,
                    )
                )
        append_flows(out, records)

    after_write(b, hook)


def _pick_pod(workload: Any, rng: Any) -> Any:
    pods = sorted((p for p in workload.pods if p.ip and p.node), key=lambda p: p.name)
    return rng.choice(pods) if pods else None


def append_flows(out: Path, records: list[dict[str, Any]]) -> None:
    """Merge flow records into the snapshot's flows/hubble.jsonl, keeping the file in time order."""
    path = out / "flows" / "hubble.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    lines += [json.dumps(r, separators=(",", ":")) for r in records]

    def when(line: str) -> datetime:
        return datetime.fromisoformat(json.loads(line)["time"].replace("Z", "+00:00"))

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in sorted(lines, key=when)), encoding="utf-8")
