"""Every analyzer finds its problem from object state alone, with not one Event (the API server keeps
Events for an hour: snapshots and support bundles taken later have none).

Explicit cases for the analyzers whose evidence used to be Events; for the others, their own table's cases
that already hold no Event are run again here, so every analyzer module is covered by at least one."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest

import app.diagnose.analyzers as analyzers
from app.diagnose.analyzers import (
    admission,
    image_pull,
    init_stuck,
    jobs,
    missing_config,
    nodes,
    probes,
    quota,
    rollout,
    scheduling,
    storage,
    terminating,
    volume_attach,
    volume_full,
)
from app.diagnose.facts import Facts

from .factories import deployment, evicted_pod, facts, node, pod, replicaset, ts
from .test_init_stuck import initializing
from .workload_factories import (
    claim_volume,
    config_map,
    culprits,
    pvc,
    running_status,
    waiting_status,
    workload_pod,
)

RS = "web-5d6c7b8a9"


def _failing_rs(message: str) -> dict[str, Any]:
    rs = replicaset("web", "5d6c7b8a9")
    rs["status"] = {"replicas": 0, "observedGeneration": 1}
    rs["status"]["conditions"] = [
        {"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate", "message": message,
         "lastTransitionTime": ts(20)}
    ]  # fmt: skip
    return rs


def _pending(message: str, **extra: Any) -> dict[str, Any]:
    obj = workload_pod(f"{RS}-aaaaa", owner_rs=RS, phase="Pending", node=None, **extra)
    obj["status"]["conditions"] = [
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message,
         "lastTransitionTime": ts(90)}
    ]  # fmt: skip
    return obj


def _probed(probe: str, port: int, declared: int = 8080) -> list[dict[str, Any]]:
    return [{
        "name": "app", "image": "registry.example.com/shop/app:1.0.0",
        "ports": [{"containerPort": declared}],
        probe: {"httpGet": {"path": "/healthz", "port": port}, "periodSeconds": 10, "failureThreshold": 3},
    }]  # fmt: skip


def _liveness_killed() -> dict[str, Any]:
    status = running_status(restarts=9)
    status["state"] = {"running": {"startedAt": ts(0.5)}}
    status["lastState"] = {"terminated": {"exitCode": 137, "reason": "Error", "startedAt": ts(3.2),
                                          "finishedAt": ts(2)}}  # fmt: skip
    return status


def _job(reason: str, message: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "reindex", "namespace": "shop", "creationTimestamp": ts(60)},
        "spec": {"backoffLimit": 2, **spec},
        "status": {"failed": 3, "conditions": [
            {"type": "Failed", "status": "True", "reason": reason, "message": message,
             "lastTransitionTime": ts(30)}]},
    }  # fmt: skip


def _terminating() -> dict[str, Any]:
    obj = workload_pod(f"{RS}-old11", owner_rs=RS, statuses=[running_status()], ready=True)
    obj["metadata"].update(deletionTimestamp=ts(120), finalizers=["drain.example.com/connections"])
    return obj


def _node_lost(name: str) -> dict[str, Any]:
    obj = workload_pod(name, owner_rs=RS, statuses=[running_status()], node="worker-9")
    obj["metadata"]["deletionTimestamp"] = ts(30)
    obj["status"].update(
        reason="NodeLost", message=f"Node worker-9 which was running pod {name} is unresponsive"
    )
    return obj


def _creating(name: str, node_name: str, claim: str) -> dict[str, Any]:
    creating = [waiting_status("app", "ContainerCreating")]
    volumes = [claim_volume("data", claim)]
    return workload_pod(
        name, owner_rs=RS, phase="Pending", statuses=creating, volumes=volumes, node=node_name
    )


def _unobserved(generation: int, observed: int, written_minutes_ago: float) -> dict[str, Any]:
    obj = deployment("web")
    obj["metadata"].update(
        generation=generation,
        managedFields=[
            {"manager": "kubectl-client-side-apply", "operation": "Update", "time": ts(written_minutes_ago)}
        ],
    )
    obj["status"]["observedGeneration"] = observed
    return obj


QUOTA = (
    'pods "web-5d6c7b8a9-x2x" is forbidden: exceeded quota: compute, requested: limits.memory=2Gi, '
    "used: limits.memory=7Gi, limited: limits.memory=8Gi"
)
WEBHOOK = 'admission webhook "validate.kyverno.svc-fail" denied the request: image tag latest is not allowed'
OWN_LIMIT = "Pod ephemeral local storage usage exceeds the total limit of containers 1Gi. "

CASES: list[tuple[str, Any, Facts, list[tuple[str, str, str | None, str]]]] = [
    ("scheduling: PodScheduled=False with the current message", scheduling,
     facts(deployment("web", available=0), _pending(
         "0/3 nodes are available: 3 Insufficient nvidia.com/gpu. preemption: 0/3 nodes are available: "
         "3 No preemption victims found for incoming pod."), node("worker-1")),
     [("InsufficientResources", "Deployment", "shop", "web")]),
    ("scheduling: the pre-1.10 predicates form, unusable nodes aside", scheduling,
     facts(deployment("web", available=0), _pending(
         "No nodes are available that match all of the predicates: Insufficient pods (2), NodeNotReady (1), "
         "NodeUnschedulable (3).")),
     [("InsufficientResources", "Deployment", "shop", "web")]),
    ("scheduling: node affinity/selector", scheduling,
     facts(deployment("web", available=0), _pending(
         "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: "
         "0/3 nodes are available: 3 Preemption is not helpful for scheduling.")),
     [("SchedulingConstraint", "Deployment", "shop", "web")]),
    ("quota: the ReplicaSet's ReplicaFailure condition", quota,
     facts(deployment("web", available=0), _failing_rs(QUOTA)),
     [("QuotaExceeded", "ResourceQuota", "shop", "compute")]),
    ("admission: a webhook denial in ReplicaFailure", admission,
     facts(deployment("web", available=0), _failing_rs(WEBHOOK)),
     [("Other", "Deployment", "shop", "web")]),
    ("missing_config: a ServiceAccount in ReplicaFailure", missing_config,
     facts(deployment("web", available=0), _failing_rs(
         'pods "web-5d6c7b8a9-" is forbidden: error looking up service account shop/web-sa: '
         'serviceaccount "web-sa" not found')),
     [("MissingConfig", "Deployment", "shop", "web")]),
    ("missing_config: a ConfigMap volume that does not exist", missing_config,
     facts(deployment("web", available=1), config_map("kube-root-ca.crt", "shop", ["ca.crt"]),
           workload_pod(f"{RS}-aaaaa", owner_rs=RS, phase="Pending",
                        statuses=[waiting_status("app", "ContainerCreating")],
                        volumes=[{"name": "presets", "configMap": {"name": "web-presets"}}])),
     [("MissingConfig", "Deployment", "shop", "web")]),
    ("missing_config: a key the ConfigMap does not have", missing_config,
     facts(deployment("web", available=1), config_map("web-presets", "shop", ["small.json"]),
           workload_pod(f"{RS}-aaaaa", owner_rs=RS, phase="Pending",
                        statuses=[waiting_status("app", "ContainerCreating")],
                        volumes=[{"name": "presets", "configMap": {
                            "name": "web-presets",
                            "items": [{"key": "large.json", "path": "large.json"}]}}])),
     [("MissingConfig", "Deployment", "shop", "web")]),
    ("image_pull: the waiting reason and its message", image_pull,
     facts(deployment("web", available=0), workload_pod(
         f"{RS}-aaaaa", owner_rs=RS, phase="Pending", statuses=[waiting_status(
             "app", "ImagePullBackOff", 'Back-off pulling image "registry.example.com/shop/app:1.0.1"')])),
     [("ImagePull", "Deployment", "shop", "web")]),
    ("probes: readiness failing, running, no restart", probes,
     facts(deployment("web", available=0), workload_pod(
         f"{RS}-aaaaa", owner_rs=RS, containers=_probed("readinessProbe", 8080),
         statuses=[running_status(ready=False, last_finished_minutes_ago=30)])),
     [("ProbeFailure", "Deployment", "shop", "web")]),
    ("probes: liveness kills at a port the container does not declare", probes,
     facts(deployment("web", available=0), workload_pod(
         f"{RS}-aaaaa", owner_rs=RS, containers=_probed("livenessProbe", 8081),
         statuses=[_liveness_killed()])),
     [("ProbeFailure", "Deployment", "shop", "web")]),
    ("storage: a claim naming a StorageClass that does not exist", storage,
     facts(pvc("data", phase="Pending", storage_class="fast-ssd", created_minutes_ago=40),
           {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "gp3"},
            "provisioner": "ebs.csi.aws.com"}),
     [("StorageProvisioning", "PersistentVolumeClaim", "shop", "data")]),
    ("volume_attach: a ReadWriteOnce claim held by a running pod on another node", volume_attach,
     facts(pvc("data"), _creating(f"{RS}-new11", "worker-2", "data"),
           workload_pod("web-old-aaaaa", owner_rs="web-old", statuses=[running_status()], ready=True,
                        volumes=[claim_volume("data", "data")], node="worker-1")),
     [("VolumeAttach", "PersistentVolumeClaim", "shop", "data")]),
    ("volume_full: evicted over its own ephemeral-storage limit", volume_full,
     facts(deployment("web"), {**evicted_pod(f"{RS}-ev111", "worker-1", OWN_LIMIT),
                               "metadata": {**pod(f"{RS}-ev111", owner_rs=RS)["metadata"]}}),
     [("VolumeFull", "Deployment", "shop", "web")]),
    ("nodes: evicted over their own limit is not node pressure", nodes,
     facts(node("worker-1"), node("worker-2"), evicted_pod("a", "worker-1", OWN_LIMIT),
           evicted_pod("b", "worker-2", OWN_LIMIT)),
     []),
    ("nodes: pods bound to a node that is gone", nodes,
     facts(node("worker-1"), _node_lost(f"{RS}-lost1"), _node_lost(f"{RS}-lost2")),
     [("NodeNotReady", "Node", None, "worker-9")]),
    ("jobs: BackoffLimitExceeded, its pods gone", jobs,
     facts(_job("BackoffLimitExceeded", "Job has reached the specified backoff limit")),
     [("AppCrash", "Job", "shop", "reindex")]),
    ("jobs: DeadlineExceeded", jobs,
     facts(_job("DeadlineExceeded", "Job was active longer than specified deadline",
                activeDeadlineSeconds=600)),
     [("Other", "Job", "shop", "reindex")]),
    ("rollout: a spec change its controller never observed", rollout,
     facts(_unobserved(generation=5, observed=4, written_minutes_ago=25)),
     [("Other", "Deployment", "shop", "web")]),
    ("rollout: a spec change seconds old is not judged", rollout,
     facts(_unobserved(generation=5, observed=4, written_minutes_ago=0.2)),
     []),
    ("terminating: held by a finalizer for two hours", terminating,
     facts(node("worker-1"), _terminating()),
     [("Other", "Pod", "shop", f"{RS}-old11")]),
    ("init_stuck: an init container running for 40 minutes, state alone", init_stuck,
     facts(deployment("airflow-web"), initializing("airflow-web-7d9f8c6b5-x1", 40)),
     [("Other", "Deployment", "shop", "airflow-web")]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "module", "given", "expected"), CASES, ids=[case[0] for case in CASES])
def test_found_from_state_alone(name, module, given, expected):
    assert given.events == []
    assert culprits(module.analyze(given)) == expected


def _own_cases_without_events() -> list[Any]:
    """Each analyzer's own table cases that expect a finding and hold no Event."""
    found = []
    for info in sorted(pkgutil.iter_modules(analyzers.__path__), key=lambda item: item.name):
        try:
            table = importlib.import_module(f"tests.diagnose.analyzers.test_{info.name}")
        except ModuleNotFoundError:
            continue
        module = importlib.import_module(f"app.diagnose.analyzers.{info.name}")
        for case in getattr(table, "CASES", []):
            values = case.values if hasattr(case, "values") else case
            given = next((v for v in values if isinstance(v, Facts)), None)
            expected = next((_as_refs(v) for v in values if _as_refs(v)), None)
            if given is not None and expected and not given.events:
                found.append(pytest.param(module, given, expected, id=f"{info.name}: {values[0]}"))
    return found


def _is_ref(value: Any) -> bool:
    """(category, kind, namespace, name), (kind, namespace, name) or (category, name): tables' forms."""
    if not isinstance(value, tuple) or len(value) not in (2, 3, 4):
        return False
    return isinstance(value[0], str) and value[0][:1].isupper()


def _as_refs(value: Any) -> list[tuple[Any, ...]]:
    if _is_ref(value):
        return [value]
    if isinstance(value, list) and value and all(_is_ref(v) for v in value):
        return value
    return []


def _matches(expected: tuple[Any, ...], found: tuple[Any, ...]) -> bool:
    if len(expected) == 4:
        return expected == found
    if len(expected) == 3:
        return expected == found[1:]
    return expected == (found[0], found[3])


def _plain(items: list[Any]) -> set[tuple[Any, ...]]:
    return {tuple(None if part is None else str(part) for part in item) for item in items}


OWN = _own_cases_without_events()


@pytest.mark.parametrize(("module", "given", "expected"), OWN)
def test_own_cases_find_it_without_events(module, given, expected):
    found = _plain(culprits(module.analyze(given)))
    for want in _plain(expected):
        assert any(_matches(want, got) for got in found), f"{want} not in {found}"


def test_every_analyzer_has_a_no_events_case():
    covered = {case[1].__name__ for case in CASES} | {param.values[0].__name__ for param in OWN}
    every = {f"{analyzers.__name__}.{info.name}" for info in pkgutil.iter_modules(analyzers.__path__)}
    assert every - covered == set()


def test_the_time_comes_from_state_when_no_event_dates_it():
    """PodScheduled's lastTransitionTime dates a Pending pod; ReplicaFailure's dates a quota rejection."""
    pending = scheduling.analyze(
        facts(deployment("web", available=0), _pending("0/3 nodes are available: 3 Too many pods."))
    )
    assert f"since {ts(90)[:10]} {ts(90)[11:16]} UTC" in pending[0].explanation
    rejected = quota.analyze(facts(deployment("web", available=0), _failing_rs(QUOTA)))
    assert f"since {ts(20)[:10]} {ts(20)[11:16]} UTC" in rejected[0].explanation
