"""Time the workload/storage/RBAC analyzers on a large synthetic cluster and print the figures.

Usage: python bench/bench_workload_analyzers.py [PODS]   (default 100000)
Builds Deployments, ReplicaSets and pods (1% crash-looping, 0.5% Pending, a few PVCs, quotas, PDBs and
events) in memory, then runs each analyzer once and prints seconds per analyzer and candidates found.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta

from app.diagnose.analyzers import (
    admission,
    certificates,
    crash,
    disruption_budget,
    image_pull,
    missing_config,
    oom,
    probes,
    quota,
    rbac,
    rollout,
    scheduling,
    storage,
    volume_attach,
    volume_full,
)
from app.diagnose.facts import Facts

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
ANALYZERS = [
    admission, certificates, crash, disruption_budget, image_pull, missing_config, oom, probes, quota, rbac,
    rollout, scheduling, storage, volume_attach, volume_full,
]  # fmt: skip


def ts(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def build(pods: int) -> Facts:
    objects: dict[str, list] = {"Pod": [], "Deployment": [], "ReplicaSet": [], "PodDisruptionBudget": []}
    events = []
    per_deploy = 10
    for index in range(pods // per_deploy):
        ns, name = f"team-{index % 500}", f"svc-{index}"
        rs = f"{name}-5d6c7b8a9"
        objects["Deployment"].append(
            {
                "kind": "Deployment",
                "metadata": {"name": name, "namespace": ns},
                "spec": {"replicas": per_deploy},
                "status": {"availableReplicas": per_deploy, "readyReplicas": per_deploy},
            }
        )
        objects["ReplicaSet"].append(
            {
                "kind": "ReplicaSet",
                "metadata": {
                    "name": rs,
                    "namespace": ns,
                    "ownerReferences": [{"kind": "Deployment", "name": name, "controller": True}],
                },
                "spec": {"replicas": per_deploy},
                "status": {"replicas": per_deploy},
            }
        )
        for replica in range(per_deploy):
            pod_name = f"{rs}-{replica:05d}"
            crashing = index % 100 == 0 and replica == 0
            pending = index % 200 == 1 and replica == 0
            status = {
                "name": "app",
                "restartCount": 0,
                "ready": True,
                "state": {"running": {"startedAt": ts(600)}},
            }
            if crashing:
                status = {
                    "name": "app",
                    "restartCount": 7,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {"terminated": {"reason": "Error", "exitCode": 1, "finishedAt": ts(1)}},
                }
            objects["Pod"].append(
                {
                    "kind": "Pod",
                    "metadata": {
                        "name": pod_name,
                        "namespace": ns,
                        "labels": {"app": name, "pod-template-hash": "5d6c7b8a9"},
                        "ownerReferences": [{"kind": "ReplicaSet", "name": rs, "controller": True}],
                    },
                    "spec": {"containers": [{"name": "app", "image": "x"}]}
                    | ({} if pending else {"nodeName": "n1"}),
                    "status": {
                        "phase": "Pending" if pending else "Running",
                        "conditions": [
                            {"type": "Ready", "status": "False" if crashing or pending else "True"}
                        ],
                        "containerStatuses": [] if pending else [status],
                    },
                }
            )
            if pending:
                events.append(
                    {
                        "involvedObject": {"kind": "Pod", "namespace": ns, "name": pod_name},
                        "reason": "FailedScheduling",
                        "message": "0/3 nodes are available: 3 Insufficient cpu.",
                        "type": "Warning",
                        "lastTimestamp": ts(1),
                    }
                )
            if index % 50 == 0 and replica == 1:
                events.append(
                    {
                        "involvedObject": {"kind": "Pod", "namespace": ns, "name": pod_name},
                        "reason": "Unhealthy",
                        "message": "Readiness probe failed: HTTP probe failed with statuscode: 503",
                        "type": "Warning",
                        "count": 1,
                        "lastTimestamp": ts(300),
                    }
                )
        if index % 20 == 0:
            objects["PodDisruptionBudget"].append(
                {
                    "kind": "PodDisruptionBudget",
                    "metadata": {"name": name, "namespace": ns},
                    "spec": {"selector": {"matchLabels": {"app": name}}, "maxUnavailable": 1},
                    "status": {
                        "disruptionsAllowed": 1,
                        "expectedPods": per_deploy,
                        "currentHealthy": per_deploy,
                    },
                }
            )
    return Facts(now=NOW, objects=objects, events=events)


def main() -> None:
    pods = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    started = time.perf_counter()
    facts = build(pods)
    built = time.perf_counter() - started
    print(f"built {len(facts.objects['Pod'])} pods, {len(facts.events)} events in {built:.1f}s")
    total = 0.0
    for module in ANALYZERS:
        started = time.perf_counter()
        found = module.analyze(facts)
        elapsed = time.perf_counter() - started
        total += elapsed
        print(f"{module.__name__.rsplit('.', 1)[-1]:<18} {elapsed:7.2f}s  {len(found)} candidates")
    print(f"{'total':<18} {total:7.2f}s")


if __name__ == "__main__":
    main()
