"""Small inputs in the layouts other tools write, built by the tests (our own objects, laid out as the
troubleshoot.sh collectors, `kubectl cluster-info dump`, `oc adm must-gather` and `kubectl get` do).

One cluster behind all of them: namespace shop with a crash-looping worker (current and previous
logs), a healthy web pod and a Pending gpu-trainer pod that no node can take (Insufficient
nvidia.com/gpu). The newest timestamp anywhere is the worker-1 node heartbeat, NEWEST.
"""

from __future__ import annotations

import gzip
import json
import os
import stat
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import yaml

NEWEST = "2026-11-20T09:29:41Z"
SCHEDULER_MESSAGE = (
    "0/2 nodes are available: 2 Insufficient nvidia.com/gpu. preemption: 0/2 nodes are available: "
    "2 No preemption victims found for incoming pod."
)
WORKER_CURRENT = "2026-11-20T09:27:03.000000001Z starting worker\n"
WORKER_PREVIOUS = "2026-11-20T09:21:59.5Z panic: DATABASE_URL is not set\n"


def node(name: str) -> dict[str, Any]:
    return {
        "metadata": {
            "name": name,
            "creationTimestamp": "2026-11-01T08:00:00Z",
            "labels": {"kubernetes.io/hostname": name},
        },
        "spec": {},
        "status": {
            "capacity": {"cpu": "4", "memory": "16Gi", "pods": "110"},
            "allocatable": {"cpu": "3800m", "memory": "15Gi", "pods": "110"},
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "kubelet is posting ready status",
                    "lastHeartbeatTime": NEWEST if name == "worker-1" else "2026-11-20T09:28:55Z",
                    "lastTransitionTime": "2026-11-01T08:01:00Z",
                }
            ],
            "nodeInfo": {"kubeletVersion": "v1.29.3", "containerRuntimeVersion": "containerd://1.7.13"},
        },
    }


def _pod_base(name: str, owner: str | None, container: str, image: str) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "namespace": "shop",
        "uid": f"uid-{name}",
        "creationTimestamp": "2026-11-20T08:00:00Z",
        "labels": {"app": name.rsplit("-", 2)[0]},
    }
    if owner:
        meta["ownerReferences"] = [
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": owner,
                "uid": f"uid-{owner}",
                "controller": True,
            }
        ]
    return {
        "metadata": meta,
        "spec": {"containers": [{"name": container, "image": image}], "restartPolicy": "Always"},
    }


def pods() -> list[dict[str, Any]]:
    worker = _pod_base("worker-7d4b9c-x2x9q", "worker-7d4b9c", "worker", "shop/worker:1.4")
    worker["spec"]["nodeName"] = "worker-1"
    worker["status"] = {
        "phase": "Running",
        "startTime": "2026-11-20T08:00:02Z",
        "conditions": [
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2026-11-20T08:00:01Z"},
            {
                "type": "Ready",
                "status": "False",
                "reason": "ContainersNotReady",
                "lastTransitionTime": "2026-11-20T09:22:00Z",
            },
        ],
        "containerStatuses": [
            {
                "name": "worker",
                "ready": False,
                "restartCount": 9,
                "image": "shop/worker:1.4",
                "imageID": "",
                "state": {
                    "waiting": {
                        "reason": "CrashLoopBackOff",
                        "message": "back-off 5m0s restarting failed container",
                    }
                },
                "lastState": {
                    "terminated": {
                        "exitCode": 1,
                        "reason": "Error",
                        "startedAt": "2026-11-20T09:21:58Z",
                        "finishedAt": "2026-11-20T09:22:00Z",
                    }
                },
            }
        ],
    }
    web = _pod_base("web-5f6d8-abcde", "web-5f6d8", "web", "shop/web:2.0")
    web["spec"]["nodeName"] = "worker-2"
    web["status"] = {
        "phase": "Running",
        "startTime": "2026-11-20T08:00:02Z",
        "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-11-20T08:00:09Z"}],
        "containerStatuses": [
            {
                "name": "web",
                "ready": True,
                "started": True,
                "restartCount": 0,
                "image": "shop/web:2.0",
                "imageID": "",
                "state": {"running": {"startedAt": "2026-11-20T08:00:08Z"}},
            }
        ],
    }
    trainer = _pod_base("gpu-trainer-6c9f7-qwert", "gpu-trainer-6c9f7", "trainer", "shop/trainer:0.9")
    trainer["spec"]["containers"][0]["resources"] = {
        "limits": {"nvidia.com/gpu": "1"},
        "requests": {"nvidia.com/gpu": "1"},
    }
    trainer["status"] = {
        "phase": "Pending",
        "qosClass": "BestEffort",
        "conditions": [
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": SCHEDULER_MESSAGE,
                "lastProbeTime": None,
                "lastTransitionTime": "2026-11-20T08:40:00Z",
            }
        ],
    }
    return [worker, web, trainer]


def deployments() -> list[dict[str, Any]]:
    out = []
    for name, ready in (("worker", 0), ("web", 1), ("gpu-trainer", 0)):
        out.append(
            {
                "metadata": {
                    "name": name,
                    "namespace": "shop",
                    "uid": f"uid-{name}",
                    "generation": 1,
                    "creationTimestamp": "2026-11-20T08:00:00Z",
                },
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": {"app": name}},
                    "template": {
                        "metadata": {"labels": {"app": name}},
                        "spec": {"containers": [{"name": name, "image": f"shop/{name}"}]},
                    },
                },
                "status": {
                    "observedGeneration": 1,
                    "replicas": 1,
                    "readyReplicas": ready,
                    "availableReplicas": ready,
                    "unavailableReplicas": 1 - ready,
                },
            }
        )
    return out


def replicasets() -> list[dict[str, Any]]:
    out = []
    for name, rs in (("worker", "worker-7d4b9c"), ("web", "web-5f6d8"), ("gpu-trainer", "gpu-trainer-6c9f7")):
        out.append(
            {
                "metadata": {
                    "name": rs,
                    "namespace": "shop",
                    "uid": f"uid-{rs}",
                    "creationTimestamp": "2026-11-20T08:00:00Z",
                    "ownerReferences": [
                        {
                            "apiVersion": "apps/v1",
                            "kind": "Deployment",
                            "name": name,
                            "uid": f"uid-{name}",
                            "controller": True,
                        }
                    ],
                },
                "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}}},
                "status": {"replicas": 1},
            }
        )
    return out


def events() -> list[dict[str, Any]]:
    return [
        {
            "metadata": {
                "name": "gpu-trainer-6c9f7-qwert.1800a",
                "namespace": "shop",
                "creationTimestamp": "2026-11-20T08:40:00Z",
            },
            "involvedObject": {
                "kind": "Pod",
                "namespace": "shop",
                "name": "gpu-trainer-6c9f7-qwert",
                "uid": "uid-gpu-trainer-6c9f7-qwert",
            },
            "reason": "FailedScheduling",
            "message": SCHEDULER_MESSAGE,
            "type": "Warning",
            "count": 14,
            "firstTimestamp": "2026-11-20T08:40:00Z",
            "lastTimestamp": "2026-11-20T09:25:00Z",
            "source": {"component": "default-scheduler"},
        },
        {
            "metadata": {
                "name": "worker-7d4b9c-x2x9q.1800b",
                "namespace": "shop",
                "creationTimestamp": "2026-11-20T08:10:00Z",
            },
            "involvedObject": {
                "kind": "Pod",
                "namespace": "shop",
                "name": "worker-7d4b9c-x2x9q",
                "uid": "uid-worker-7d4b9c-x2x9q",
                "fieldPath": "spec.containers{worker}",
            },
            "reason": "BackOff",
            "message": "Back-off restarting failed container worker in pod "
            "worker-7d4b9c-x2x9q_shop(uid-worker-7d4b9c-x2x9q)",
            "type": "Warning",
            "count": 30,
            "firstTimestamp": "2026-11-20T08:10:00Z",
            "lastTimestamp": "2026-11-20T09:27:30Z",
            "source": {"component": "kubelet", "host": "worker-1"},
        },
    ]


def typed(api_version: str, kind: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    """A list as the API (and troubleshoot's newer collectors) write it: every item with its kind."""
    return {
        "kind": f"{kind}List",
        "apiVersion": api_version,
        "metadata": {"resourceVersion": "4242"},
        "items": [{"kind": kind, "apiVersion": api_version, **item} for item in items],
    }


def write_json(path: Path, doc: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")


def crd() -> dict[str, Any]:
    return {
        "metadata": {"name": "certificates.cert-manager.io", "creationTimestamp": "2026-11-01T08:00:00Z"},
        "spec": {
            "group": "cert-manager.io",
            "names": {
                "kind": "Certificate",
                "plural": "certificates",
                "singular": "certificate",
                "listKind": "CertificateList",
            },
            "scope": "Namespaced",
            "versions": [{"name": "v1", "served": True, "storage": True}],
        },
    }


def support_bundle(root: Path, top: str = "support-bundle-2026-11-20T09_30_12") -> Path:
    """An unpacked troubleshoot.sh bundle; returns its top folder."""
    base = root / top
    res = base / "cluster-resources"
    (base / "version.yaml").parent.mkdir(parents=True, exist_ok=True)
    (base / "version.yaml").write_text(
        "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  versionNumber: v0.107.1\n",
        encoding="utf-8",
    )
    write_json(
        base / "analysis.json",
        [{"name": "node-count", "isPass": True, "title": "Node count", "message": "2 nodes"}],
    )
    write_json(
        base / "cluster-info" / "cluster_version.json",
        {"info": {"major": "1", "minor": "29", "gitVersion": "v1.29.3"}, "string": "v1.29.3"},
    )
    write_json(res / "nodes.json", typed("v1", "Node", [node("worker-1"), node("worker-2")]))
    write_json(
        res / "namespaces.json",
        typed(
            "v1",
            "Namespace",
            [
                {
                    "metadata": {"name": n, "creationTimestamp": "2026-11-01T08:00:00Z"},
                    "status": {"phase": "Active"},
                }
                for n in ("default", "shop")
            ],
        ),
    )
    write_json(res / "pods" / "shop.json", typed("v1", "Pod", pods()))
    write_json(res / "pods" / "default.json", typed("v1", "Pod", []))
    write_json(res / "deployments" / "shop.json", typed("apps/v1", "Deployment", deployments()))
    # an older collector: a bare array whose items carry no kind, named by the folder
    write_json(res / "replicasets" / "shop.json", replicasets())
    pv = {
        "metadata": {"name": "pv-data"},
        "spec": {"capacity": {"storage": "10Gi"}},
        "status": {"phase": "Available"},
    }
    write_json(res / "pvs", [pv])  # some versions write this one without a suffix
    write_json(res / "events" / "shop.json", typed("v1", "Event", events()))
    write_json(
        res / "services" / "shop.json",
        typed(
            "v1",
            "Service",
            [
                {
                    "metadata": {"name": "web", "namespace": "shop"},
                    "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
                }
            ],
        ),
    )
    write_json(
        res / "custom-resource-definitions.json", {"metadata": {"resourceVersion": "4242"}, "items": [crd()]}
    )
    cert = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "web-tls", "namespace": "shop"},
        "spec": {"secretName": "web-tls"},
    }
    path = res / "custom-resources" / "certificates.cert-manager.io" / "shop.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump([cert]), encoding="utf-8")
    write_json(
        res / "resources.json", [{"groupVersion": "v1", "resources": [{"name": "pods", "kind": "Pod"}]}]
    )
    write_json(res / "groups.json", [{"name": "apps", "versions": [{"groupVersion": "apps/v1"}]}])
    write_json(
        res / "auth-cani-list" / "shop.json", [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]
    )
    write_json(
        res / "pods-errors.json",
        ['pods is forbidden: User cannot list resource "pods" in namespace "kube-system"'],
    )
    logs = res / "pods" / "logs" / "shop" / "worker-7d4b9c-x2x9q"
    logs.mkdir(parents=True)
    (logs / "worker.log").write_text("starting worker\n", encoding="utf-8")
    (logs / "worker-previous.log").write_text("panic: DATABASE_URL is not set\n", encoding="utf-8")
    # a logs collector files by pod name: <collector>/<pod>.log
    (base / "web-logs").mkdir()
    (base / "web-logs" / "web-5f6d8-abcde.log").write_text("GET / 200\n", encoding="utf-8")
    all_logs = base / "all-logs" / "shop" / "worker-7d4b9c-x2x9q"
    all_logs.mkdir(parents=True)
    os.symlink(
        "../../../cluster-resources/pods/logs/shop/worker-7d4b9c-x2x9q/worker.log", all_logs / "worker.log"
    )
    return base


def tar_gz(tree: Path, archive: Path) -> Path:
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tree, arcname=tree.name)
    return archive


def cluster_info_dump(root: Path) -> Path:
    """`kubectl cluster-info dump --all-namespaces --output-directory root`."""
    write_json(root / "nodes.json", typed("v1", "Node", [node("worker-1"), node("worker-2")]))
    for namespace in ("default", "shop"):
        ns_pods = pods() if namespace == "shop" else []
        write_json(root / namespace / "pods.json", typed("v1", "Pod", ns_pods))
        write_json(
            root / namespace / "events.json", typed("v1", "Event", events() if namespace == "shop" else [])
        )
        write_json(
            root / namespace / "deployments.json",
            typed("apps/v1", "Deployment", deployments() if ns_pods else []),
        )
        write_json(
            root / namespace / "replicasets.json",
            typed("apps/v1", "ReplicaSet", replicasets() if ns_pods else []),
        )
        for name in ("services", "daemonsets", "replication-controllers"):
            kind = {
                "services": "Service",
                "daemonsets": "DaemonSet",
                "replication-controllers": "ReplicationController",
            }[name]
            write_json(
                root / namespace / f"{name}.json",
                typed("apps/v1" if name == "daemonsets" else "v1", kind, []),
            )
    (root / "shop" / "worker-7d4b9c-x2x9q").mkdir(parents=True)
    (root / "shop" / "worker-7d4b9c-x2x9q" / "logs.txt").write_text(
        dump_log_text("worker-7d4b9c-x2x9q"), encoding="utf-8"
    )
    (root / "shop" / "gpu-trainer-6c9f7-qwert").mkdir(parents=True)
    (root / "shop" / "gpu-trainer-6c9f7-qwert" / "logs.txt").write_text(
        dump_log_text("gpu-trainer-6c9f7-qwert"), encoding="utf-8"
    )
    return root


def dump_log_text(pod: str) -> str:
    """One START/END block per container as kubectl writes it (END glued to a last line without newline)."""
    if pod.startswith("gpu-trainer"):
        body = (
            'Request log error: container "trainer" in pod "gpu-trainer-6c9f7-qwert" is waiting to start: '
            "ContainerCreating\n"
        )
        container = "trainer"
    else:
        body, container = "starting worker\nconnecting to db", "worker"
    return (
        f"==== START logs for container {container} of pod shop/{pod} ====\n"
        f"{body}"
        f"==== END logs for container {container} of pod shop/{pod} ====\n"
    )


def cluster_info_stdout(path: Path, as_yaml: bool = False) -> Path:
    """The same dump printed to stdout: Lists one after another, log blocks after each namespace's pods
    (`-o yaml`: YAML documents, `---` between them)."""

    def show(doc: dict[str, Any], first: bool = False) -> str:
        if as_yaml:
            return ("" if first else "---\n") + yaml.safe_dump(doc)
        return json.dumps(doc, indent=4) + "\n"

    text = show(typed("v1", "Node", [node("worker-1"), node("worker-2")]), first=True)
    text += show(typed("v1", "Event", events())) + show(typed("v1", "Pod", pods()))
    text += dump_log_text("worker-7d4b9c-x2x9q") + dump_log_text("gpu-trainer-6c9f7-qwert")
    text += show(typed("apps/v1", "Deployment", deployments()))
    path.write_text(text, encoding="utf-8")
    return path


def must_gather(root: Path) -> Path:
    """`oc adm must-gather` output: must-gather.local.<n>/<image>/..."""
    base = root / "must-gather.local.5312" / "quay-io-openshift-release-dev-ocp-v4-0-art-dev-sha256-1a2b"
    base.mkdir(parents=True)
    (base / "timestamp").write_text(
        "2026-11-20 09:29:50.123456789 +0000 UTC m=+0.051\n2026-11-20 09:31:12.987654321 +0000 UTC m=+82.3\n",
        encoding="utf-8",
    )
    (base / "event-filter.html").write_text("<html></html>\n", encoding="utf-8")
    for item in (node("worker-1"), node("worker-2")):
        path = base / "cluster-scoped-resources" / "core" / "nodes" / f"{item['metadata']['name']}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Node", **item}), encoding="utf-8")
    ns = base / "namespaces" / "shop"
    ns.mkdir(parents=True)
    (ns / "shop.yaml").write_text(
        yaml.safe_dump({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
        encoding="utf-8",
    )
    (ns / "core").mkdir()
    (ns / "core" / "pods.yaml").write_text(yaml.safe_dump(typed("v1", "Pod", pods())), encoding="utf-8")
    (ns / "core" / "events.yaml").write_text(yaml.safe_dump(typed("v1", "Event", events())), encoding="utf-8")
    (ns / "apps").mkdir()
    (ns / "apps" / "deployments.yaml").write_text(
        yaml.safe_dump(typed("apps/v1", "Deployment", deployments())), encoding="utf-8"
    )
    for pod in pods():
        name = pod["metadata"]["name"]
        pod_dir = ns / "pods" / name
        pod_dir.mkdir(parents=True)
        (pod_dir / f"{name}.yaml").write_text(
            yaml.safe_dump({"apiVersion": "v1", "kind": "Pod", **pod}), encoding="utf-8"
        )
    logs = ns / "pods" / "worker-7d4b9c-x2x9q" / "worker" / "worker" / "logs"
    logs.mkdir(parents=True)
    (logs / "current.log").write_text(WORKER_CURRENT, encoding="utf-8")
    (logs / "previous.log").write_text(WORKER_PREVIOUS, encoding="utf-8")
    return root / "must-gather.local.5312"


def kubectl_pods_json(path: Path) -> Path:
    """`kubectl get pods -A -o json > pods.json`: a List whose items carry their kind."""
    doc = {
        "apiVersion": "v1",
        "kind": "List",
        "metadata": {"resourceVersion": ""},
        "items": [{"apiVersion": "v1", "kind": "Pod", **p} for p in pods()],
    }
    write_json(path, doc)
    return path


def go_struct_dump(root: Path) -> Path:
    """What kubectl 1.2-era `cluster-info dump` wrote: internal Go structs, capitalised keys."""
    write_json(
        root / "nodes.json",
        {
            "TypeMeta": {"Kind": "", "APIVersion": ""},
            "ListMeta": {"SelfLink": ""},
            "Items": [{"ObjectMeta": {"Name": "worker-1"}}],
        },
    )
    write_json(root / "shop" / "pods.json", {"TypeMeta": {}, "ListMeta": {}, "Items": []})
    write_json(root / "shop" / "events.json", {"TypeMeta": {}, "ListMeta": {}, "Items": []})
    return root


def with_crlf(path: Path) -> Path:
    """The file as Windows tools leave it (unzipped there, or passed through a ticket system): CRLF lines."""
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    return path


def nil_lists(root: Path) -> Path:
    """What Go writes for a nil slice: a list with `items: null` (`kubectl get events -o json` in a quiet
    namespace) and a file holding only `null` (older troubleshoot collectors), beside real pods."""
    kubectl_pods_json(root / "pods.json")
    write_json(root / "events-kube-system.json", {**typed("v1", "Event", []), "items": None})
    (root / "events-default.json").write_text("null\n", encoding="utf-8")
    return root


def kubectl_folder_tar(root: Path, archive: Path) -> Path:
    """A tar of one folder of `kubectl get -o json` files (pods.json, deployments.json, nodes.json, ...):
    its folder is not a namespace of a cluster-info dump."""
    folder = root / "shop-state"
    kubectl_pods_json(folder / "pods.json")
    write_json(folder / "deployments.json", typed("apps/v1", "Deployment", deployments()))
    write_json(folder / "nodes.json", typed("v1", "Node", [node("worker-1")]))
    write_json(folder / "events-shop.json", typed("v1", "Event", events()))
    return tar_gz(folder, archive)


def bundle_with_collector_copies(root: Path) -> Path:
    """A support bundle whose logs collectors also wrote logs cluster-resources/pods/logs/ has: a longer
    copy of the worker's log (a collector with a bigger limit) and a shorter one of web's (cut short)."""
    base = support_bundle(root)
    longer = base / "worker-logs" / "worker-7d4b9c-x2x9q" / "worker.log"
    longer.parent.mkdir(parents=True)
    longer.write_text("starting worker\nconnecting to db\n", encoding="utf-8")
    (base / "web-tail").mkdir()
    (base / "web-tail" / "web-5f6d8-abcde.log").write_text("GET / 20", encoding="utf-8")
    return base


def sonobuoy_results(root: Path) -> Path:
    """`sonobuoy retrieve`, unpacked: resources/ under newer (core_v1_pods.json) and older (ReplicaSets.json,
    a bare array without kinds) names, podlogs/<ns>/<pod>/logs/<container>.txt and the re-packed
    <container>.log form, serverversion.json, and sonobuoy's own files."""
    write_json(root / "serverversion.json", {"major": "1", "minor": "29", "gitVersion": "v1.29.2"})
    write_json(root / "servergroups.json", {"kind": "APIGroupList", "groups": [{"name": "apps"}]})
    write_json(root / "meta" / "query-time.json", {"queryobj": "Pods", "time": "1.2s"})
    (root / "meta" / "run.log").write_text("time=... msg=done\n", encoding="utf-8")
    (root / "plugins" / "e2e").mkdir(parents=True)
    (root / "plugins" / "e2e" / "sonobuoy_results.yaml").write_text("name: e2e\nstatus: passed\n")
    write_json(root / "hosts" / "worker-1" / "configz.json", {"kubeletconfig": {"maxPods": 110}})
    write_json(root / "resources" / "cluster" / "core_v1_nodes.json", typed("v1", "Node", [node("worker-1")]))
    write_json(root / "resources" / "ns" / "shop" / "core_v1_pods.json", typed("v1", "Pod", pods()))
    write_json(root / "resources" / "ns" / "shop" / "ReplicaSets.json", replicasets())
    worker = root / "podlogs" / "shop" / "worker-7d4b9c-x2x9q" / "logs" / "worker.txt"
    worker.parent.mkdir(parents=True)
    worker.write_text(WORKER_CURRENT, encoding="utf-8")
    web = root / "podlogs" / "shop" / "web-5f6d8-abcde" / "web.log"
    web.parent.mkdir(parents=True)
    web.write_text("GET / 200\n", encoding="utf-8")
    return root


def gzip_file(path: Path, out: Path) -> Path:
    """`kubectl get pods -A -o json | gzip > pods.json.gz`."""
    out.write_bytes(gzip.compress(path.read_bytes()))
    return out


def zip_tree(tree: Path, archive: Path) -> Path:
    """A folder re-zipped (Windows "Send to > Compressed folder", macOS "Compress"); symbolic links are
    stored as links, as Info-ZIP's `zip -y` does."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(tree.rglob("*")):
            name = f"{tree.name}/{path.relative_to(tree).as_posix()}"
            if path.is_symlink():
                info = zipfile.ZipInfo(name)
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                bundle.writestr(info, os.readlink(path))
            elif path.is_file():
                bundle.write(path, name)
    return archive


def pods_table(path: Path) -> Path:
    """`kubectl get pods -A -o wide > pods.txt`: table text, not objects."""
    path.write_text(
        "NAMESPACE   NAME                  READY   STATUS             RESTARTS   AGE   IP          NODE\n"
        "shop        worker-7d4b9c-x2x9q   0/1     CrashLoopBackOff   14         80m   10.0.1.12   node-1\n",
        encoding="utf-8",
    )
    return path
