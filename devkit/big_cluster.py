"""Write a large synthetic snapshot fast: namespaces of deployments, replica sets, pods, services, events.

    python -m devkit.big_cluster --pods 100000 --out bench/out/synthetic-100000

Objects look like what a real API server returns (owner references, probes, resources, conditions,
container statuses), so their JSON size is realistic (~3 KB a pod). About 3% of pods crash-loop and
1% are Pending, with matching events. Files are `kubectl get -o json`-style Lists, one per kind and
namespace.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tools.snapshot.writer import SnapshotWriter

CAPTURED_AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
PODS_PER_DEPLOYMENT = 10
PODS_PER_NODE = 50


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _uid(kind: int, number: int) -> str:
    text = f"{kind:08x}{number:024x}"
    return f"{text[:8]}-{text[8:12]}-4{text[13:16]}-8{text[17:20]}-{text[20:32]}"


class Generator:
    def __init__(self, pods: int, namespaces: int) -> None:
        self.total_pods = pods
        self.namespaces = namespaces
        self.nodes = max(1, -(-pods // PODS_PER_NODE))
        self.counter = 0

    def next_number(self) -> int:
        self.counter += 1
        return self.counter

    def write(self, final: Path) -> dict[str, int]:
        """Write into a sibling folder, then rename: readers never see a half-written snapshot."""
        out = final.with_name(f"{final.name}.partial-{os.getpid()}")
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        counts = self._write_tree(out)
        shutil.rmtree(final, ignore_errors=True)
        out.rename(final)
        return counts

    def _write_tree(self, out: Path) -> dict[str, int]:
        writer = SnapshotWriter(out)
        counts = {"pods": 0, "events": 0}
        writer.write_list_json("cluster", "nodes", "v1", "Node", [self.node(i) for i in range(self.nodes)])
        names = [f"ns-{i:03d}" for i in range(self.namespaces)]
        writer.write_list_json("cluster", "namespaces", "v1", "Namespace", [self.namespace(n) for n in names])
        base, extra = divmod(self.total_pods, self.namespaces)
        for index, namespace in enumerate(names):
            pod_count = base + (1 if index < extra else 0)
            written = self.write_namespace(writer, namespace, pod_count)
            for key, value in written.items():
                counts[key] += value
        counts["nodes"] = self.nodes
        counts["namespaces"] = self.namespaces
        writer.write_meta(
            f"synthetic-{self.total_pods}",
            CAPTURED_AT,
            kubernetes_version="v1.31.2",
            description=f"devkit/big_cluster.py --pods {self.total_pods}",
        )
        return counts

    def write_namespace(self, writer: SnapshotWriter, namespace: str, pod_count: int) -> dict[str, int]:
        deployments, replicasets, services, pods, events = [], [], [], [], []
        for number, start in enumerate(range(0, pod_count, PODS_PER_DEPLOYMENT)):
            app = f"svc-{number}"
            size = min(PODS_PER_DEPLOYMENT, pod_count - start)
            template_hash = f"{self.next_number():x}"[-10:].rjust(10, "7")
            deployment = self.deployment(namespace, app, size)
            replicaset = self.replicaset(namespace, app, size, template_hash, deployment["metadata"]["uid"])
            deployments.append(deployment)
            replicasets.append(replicaset)
            services.append(self.service(namespace, app, number))
            for replica in range(size):
                pod = self.pod(namespace, app, template_hash, replicaset["metadata"]["uid"], replica)
                pods.append(pod)
                events.extend(self.pod_events(pod))
        writer.write_list_json(namespace, "deployments", "apps/v1", "Deployment", deployments)
        writer.write_list_json(namespace, "replicasets", "apps/v1", "ReplicaSet", replicasets)
        writer.write_list_json(namespace, "services", "v1", "Service", services)
        writer.write_list_json(namespace, "pods", "v1", "Pod", pods)
        writer.write_list_json(namespace, "events", "v1", "Event", events)
        return {"pods": len(pods), "events": len(events)}

    # --- objects ---------------------------------------------------------------------------------

    def _meta(self, name: str, namespace: str | None, kind: int, age_hours: float, **extra: Any) -> dict:
        number = self.next_number()
        meta: dict[str, Any] = {"name": name}
        if namespace:
            meta["namespace"] = namespace
        meta.update(
            uid=_uid(kind, number),
            resourceVersion=str(1000 + number),
            creationTimestamp=_ts(CAPTURED_AT - timedelta(hours=age_hours)),
        )
        meta.update(extra)
        return meta

    def namespace(self, name: str) -> dict:
        return {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": self._meta(name, None, 1, 24 * 90, labels={"kubernetes.io/metadata.name": name}),
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        }

    def node(self, index: int) -> dict:
        name = f"node-{index:05d}"
        ready = index % 97 != 13  # about 1% NotReady
        conditions = [
            {"type": t, "status": "False", "reason": f"Kubelet{r}", "lastHeartbeatTime": _ts(CAPTURED_AT)}
            for t, r in (("MemoryPressure", "HasSufficientMemory"), ("DiskPressure", "HasNoDiskPressure"))
        ]
        conditions.append(
            {
                "type": "Ready",
                "status": "True" if ready else "Unknown",
                "reason": "KubeletReady" if ready else "NodeStatusUnknown",
                "lastHeartbeatTime": _ts(CAPTURED_AT - timedelta(minutes=0 if ready else 12)),
            }
        )
        labels = {
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux",
            "node.kubernetes.io/instance-type": "m6i.2xlarge",
            "topology.kubernetes.io/zone": f"eu-west-1{'abc'[index % 3]}",
            "node-role.kubernetes.io/worker": "",
        }
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": self._meta(name, None, 2, 24 * 30, labels=labels),
            "spec": {
                "podCIDR": f"10.{index // 256 % 256}.{index % 256}.0/24",
                "providerID": f"aws:///{name}",
            },
            "status": {
                "capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"},
                "allocatable": {"cpu": "7910m", "memory": "30Gi", "pods": "110"},
                "conditions": conditions,
                "addresses": [
                    {"type": "InternalIP", "address": f"192.168.{index // 256 % 256}.{index % 256}"}
                ],
                "nodeInfo": {
                    "kubeletVersion": "v1.31.2",
                    "osImage": "Debian GNU/Linux 12 (bookworm)",
                    "kernelVersion": "6.1.0-26-cloud-amd64",
                    "containerRuntimeVersion": "containerd://1.7.22",
                    "architecture": "amd64",
                    "operatingSystem": "linux",
                },
            },
        }

    def _container(self, app: str) -> dict:
        return {
            "name": app,
            "image": f"registry.example.com/shop/{app}:1.4.2",
            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
            "env": [
                {"name": "LOG_LEVEL", "value": "info"},
                {"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": f"{app}-db", "key": "url"}}},
            ],
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10},
            "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 5},
            "volumeMounts": [
                {"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}
            ],
            "imagePullPolicy": "IfNotPresent",
        }

    def deployment(self, namespace: str, app: str, replicas: int) -> dict:
        labels = {"app": app, "team": "shop"}
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": self._meta(app, namespace, 3, 24 * 10, labels=labels, generation=3),
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": app}},
                "template": {"metadata": {"labels": labels}, "spec": {"containers": [self._container(app)]}},
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
                },
            },
            "status": {
                "observedGeneration": 3,
                "replicas": replicas,
                "updatedReplicas": replicas,
                "readyReplicas": replicas,
                "availableReplicas": replicas,
            },
        }

    def replicaset(self, namespace: str, app: str, replicas: int, template_hash: str, owner: str) -> dict:
        labels = {"app": app, "team": "shop", "pod-template-hash": template_hash}
        owner_ref = [
            {"apiVersion": "apps/v1", "kind": "Deployment", "name": app, "uid": owner, "controller": True}
        ]
        return {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": self._meta(
                f"{app}-{template_hash}", namespace, 4, 24 * 2, labels=labels, ownerReferences=owner_ref
            ),
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": app, "pod-template-hash": template_hash}},
                "template": {"metadata": {"labels": labels}, "spec": {"containers": [self._container(app)]}},
            },
            "status": {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas},
        }

    def service(self, namespace: str, app: str, number: int) -> dict:
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": self._meta(app, namespace, 5, 24 * 10, labels={"app": app}),
            "spec": {
                "type": "ClusterIP",
                "clusterIP": f"10.96.{number // 250 % 250}.{number % 250 + 1}",
                "selector": {"app": app},
                "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
            },
        }

    def pod(self, namespace: str, app: str, template_hash: str, owner: str, replica: int) -> dict:
        number = self.counter
        name = f"{app}-{template_hash}-{number:05x}"[-63:]
        node = f"node-{number % self.nodes:05d}"
        labels = {"app": app, "team": "shop", "pod-template-hash": template_hash}
        owner_ref = [
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": f"{app}-{template_hash}",
                "uid": owner,
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
        created = CAPTURED_AT - timedelta(hours=48, minutes=replica)
        state = "pending" if number % 100 == 42 else "crash" if number % 33 == 7 else "running"
        container_status: dict[str, Any] = {
            "name": app,
            "image": f"registry.example.com/shop/{app}:1.4.2",
            "imageID": f"registry.example.com/shop/{app}@sha256:{number:064x}",
            "containerID": f"containerd://{number:064x}",
            "ready": state == "running",
            "started": state == "running",
            "restartCount": 0,
            "state": {"running": {"startedAt": _ts(created + timedelta(seconds=20))}},
        }
        if state == "crash":
            container_status["restartCount"] = 14
            container_status["state"] = {
                "waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}
            }
            container_status["lastState"] = {
                "terminated": {
                    "exitCode": 1,
                    "reason": "Error",
                    "finishedAt": _ts(CAPTURED_AT - timedelta(minutes=3)),
                }
            }
        ready = "True" if state == "running" else "False"
        status: dict[str, Any] = {
            "phase": "Pending" if state == "pending" else "Running",
            "conditions": [
                {"type": "PodScheduled", "status": "False" if state == "pending" else "True"},
                {"type": "Initialized", "status": "True"},
                {"type": "ContainersReady", "status": ready},
                {"type": "Ready", "status": ready},
            ],
            "qosClass": "Burstable",
        }
        spec: dict[str, Any] = {
            "containers": [self._container(app)],
            "volumes": [
                {
                    "name": "kube-api-access",
                    "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]},
                }
            ],
            "restartPolicy": "Always",
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default",
            "schedulerName": "default-scheduler",
            "tolerations": [
                {
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                }
            ],
        }
        if state == "pending":
            status["conditions"][0].update(reason="Unschedulable", message="0/2000 nodes are available")
        else:
            spec["nodeName"] = node
            pod_ip = f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"
            status.update(
                hostIP=f"192.168.{number % self.nodes // 256 % 256}.{number % self.nodes % 256}",
                podIP=pod_ip,
                podIPs=[{"ip": pod_ip}],
                startTime=_ts(created),
                containerStatuses=[container_status],
            )
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": self._meta(
                name,
                namespace,
                6,
                48 + replica / 60,
                generateName=f"{app}-{template_hash}-",
                labels=labels,
                annotations={
                    "prometheus.io/scrape": "true",
                    "prometheus.io/port": "8080",
                    "kubectl.kubernetes.io/restartedAt": _ts(CAPTURED_AT - timedelta(days=3)),
                },
                ownerReferences=owner_ref,
            ),
            "spec": spec,
            "status": status,
        }

    def pod_events(self, pod: dict) -> list[dict]:
        meta = pod["metadata"]
        waiting = [
            s["state"]["waiting"]
            for s in pod["status"].get("containerStatuses", [])
            if "waiting" in s["state"]
        ]
        if pod["status"]["phase"] == "Pending":
            reason, message, kind = (
                "FailedScheduling",
                "0/2000 nodes are available: 2000 Insufficient cpu.",
                "Warning",
            )
        elif waiting:
            reason, message, kind = "BackOff", "Back-off restarting failed container", "Warning"
        else:
            return []
        involved = {
            "kind": "Pod",
            "namespace": meta["namespace"],
            "name": meta["name"],
            "uid": meta["uid"],
            "apiVersion": "v1",
        }
        return [
            {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": self._meta(f"{meta['name']}.{self.counter:x}", meta["namespace"], 7, 1),
                "involvedObject": involved,
                "reason": reason,
                "message": message,
                "type": kind,
                "count": 25,
                "firstTimestamp": _ts(CAPTURED_AT - timedelta(hours=2)),
                "lastTimestamp": _ts(CAPTURED_AT - timedelta(minutes=1)),
                "source": {"component": "kubelet"},
            }
        ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pods", type=int, required=True, help="number of pods")
    parser.add_argument("--out", type=Path, required=True, help="snapshot directory to write")
    parser.add_argument("--namespaces", type=int, default=100)
    args = parser.parse_args()
    started = time.perf_counter()
    counts = Generator(args.pods, args.namespaces).write(args.out)
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    summary = ", ".join(f"{v} {k}" for k, v in counts.items())
    print(f"wrote {args.out}: {summary}; {size / 1e6:.0f} MB in {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
