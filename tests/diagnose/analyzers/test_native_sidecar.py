"""A healthy pod with a native sidecar (an init container with restartPolicy Always, Kubernetes 1.29+)
is flagged by no analyzer, and reads Running to the tools' pod status."""

from __future__ import annotations

from app.diagnose.analyzers import run_analyzers_with_errors
from tools.contracts.kube.pod_status import pod_is_healthy, pod_ready, pod_status

from .factories import deployment, facts, node, replicaset, service, ts
from .workload_factories import running_status, workload_pod

RS = "web-5d6c7b8a9"
SIDECAR = {
    "name": "envoy",
    "image": "docker.io/envoyproxy/envoy:v1.31.2",
    "restartPolicy": "Always",
    "readinessProbe": {"httpGet": {"path": "/ready", "port": 15021}},
}


def _pod(name: str, sidecar_restarts: int = 0) -> dict:
    sidecar = running_status(
        "envoy", restarts=sidecar_restarts, last_reason="Error" if sidecar_restarts else None
    )
    pod = workload_pod(
        name, owner_rs=RS, ready=True, statuses=[running_status()], init_statuses=[sidecar],
        init_containers=[SIDECAR], labels={"app": "web"},
    )  # fmt: skip
    pod["status"]["conditions"].append(
        {"type": "Initialized", "status": "True", "lastTransitionTime": ts(600)}
    )
    return pod


def test_a_healthy_native_sidecar_pod_reads_running():
    pod = _pod(f"{RS}-aaaaa")
    assert (pod_ready(pod), pod_status(pod), pod_is_healthy(pod)) == ("2/2", "Running", True)


def test_no_analyzer_flags_healthy_native_sidecars():
    given = facts(
        node("worker-1"), deployment("web"), replicaset("web", "5d6c7b8a9"),
        service("web", selector={"app": "web"}),
        _pod(f"{RS}-aaaaa"), _pod(f"{RS}-bbbbb", sidecar_restarts=1),  # one restart ten hours ago: history
    )  # fmt: skip
    run = run_analyzers_with_errors(given)
    assert run.errors == []
    assert [(c.category.value, str(c.resource)) for c in run.candidates if c.severity > 0] == []
