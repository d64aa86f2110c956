"""One table of pod states, read three ways: the STATUS/READY/RESTARTS columns the real kubectl prints
through kubewhy's snapshot API server, the tools' ``k8s_list`` over the official client, and
``tools.contracts.kube.pod_status`` itself. The expected cells follow kubectl's pod printer rules."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.toolset import call_tool
from tools.contracts.kube.pod_status import pod_is_healthy, pod_ready, pod_restarts, pod_status
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext
from tools.kubernetes.access import KubeAccess
from tools.snapshot.server import SnapshotServer, start_snapshot_server

KUBECTL = "/usr/bin/kubectl"
NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
NAMESPACE = "states"


def _at(minutes: int) -> str:
    return (NOW - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


RUNNING = {"running": {"startedAt": _at(60)}}
READY = [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"}]
NOT_READY = [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "False"}]


def _c(name: str, state: dict[str, Any], ready: bool = False, restarts: int = 0, **extra: Any):
    return {"name": name, "image": f"example/{name}:1", "state": state, "ready": ready,
            "restartCount": restarts, **extra}  # fmt: skip


def _terminated(reason: str | None, code: int, minutes: int = 5, signal: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"exitCode": code, "finishedAt": _at(minutes), "startedAt": _at(minutes + 1)}
    if reason:
        body["reason"] = reason
    if signal:
        body["signal"] = signal
    return {"terminated": body}


def _waiting(reason: str) -> dict[str, Any]:
    return {"waiting": {"reason": reason, "message": f"{reason} for a test"}}


SIDECAR = {"name": "proxy", "image": "example/proxy:1", "restartPolicy": "Always"}
MIGRATE = {"name": "migrate", "image": "example/migrate:1"}
SEED = {"name": "seed", "image": "example/seed:1"}

# name: (phase, status fields, spec fields, metadata fields) -> (READY, STATUS, RESTARTS)
CASES: dict[str, tuple[dict[str, Any], tuple[str, str, str]]] = {
    "running": ({"status": {"containerStatuses": [_c("app", RUNNING, True)], "conditions": READY}},
                ("1/1", "Running", "0")),
    "readiness-failing": ({"status": {"containerStatuses": [_c("app", RUNNING)], "conditions": NOT_READY}},
                          ("0/1", "Running", "0")),
    "completed": ({"phase": "Succeeded", "status": {
        "containerStatuses": [_c("app", _terminated("Completed", 0))]}}, ("0/1", "Completed", "0")),
    "crashloop": ({"status": {"containerStatuses": [
        _c("app", _waiting("CrashLoopBackOff"), restarts=7, lastState=_terminated("Error", 1, 10))]}},
        ("0/1", "CrashLoopBackOff", "7 (10m ago)")),
    "oomkilled": ({"status": {"containerStatuses": [_c("app", _terminated("OOMKilled", 137, 1), restarts=3,
                                                       lastState=_terminated("OOMKilled", 137, 4))]}},
                  ("0/1", "OOMKilled", "3 (4m ago)")),
    "signal": ({"status": {"containerStatuses": [_c("app", _terminated(None, 0, signal=9))]}},
               ("0/1", "Signal:9", "0")),
    "exitcode": ({"phase": "Failed", "status": {"containerStatuses": [_c("app", _terminated(None, 2))]}},
                 ("0/1", "ExitCode:2", "0")),
    "container-creating": ({"phase": "Pending", "status": {"containerStatuses": [
        _c("app", _waiting("ContainerCreating"))]}}, ("0/1", "ContainerCreating", "0")),
    "image-pull-backoff": ({"phase": "Pending", "status": {"containerStatuses": [
        _c("app", _waiting("ImagePullBackOff"))]}}, ("0/1", "ImagePullBackOff", "0")),
    "err-image-pull": ({"phase": "Pending", "status": {"containerStatuses": [
        _c("app", _waiting("ErrImagePull"))]}}, ("0/1", "ErrImagePull", "0")),
    "config-error": ({"phase": "Pending", "status": {"containerStatuses": [
        _c("app", _waiting("CreateContainerConfigError"))]}}, ("0/1", "CreateContainerConfigError", "0")),
    "unschedulable": ({"phase": "Pending", "status": {"conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
         "message": "0/3 nodes are available: 3 Insufficient cpu."}]}}, ("0/1", "Pending", "0")),
    "scheduling-gated": ({"phase": "Pending", "status": {"conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated",
         "message": "Scheduling is blocked due to non-empty scheduling gates"}]}},
        ("0/1", "SchedulingGated", "0")),
    "init-running": ({"phase": "Pending", "spec": {"initContainers": [MIGRATE, SEED]}, "status": {
        "initContainerStatuses": [_c("migrate", _terminated("Completed", 0)), _c("seed", RUNNING)],
        "containerStatuses": [_c("app", _waiting("PodInitializing"))]}}, ("0/1", "Init:1/2", "0")),
    "init-error": ({"phase": "Pending", "spec": {"initContainers": [MIGRATE]}, "status": {
        "initContainerStatuses": [_c("migrate", _terminated("Error", 1), restarts=2,
                                     lastState=_terminated("Error", 1, 8))],
        "containerStatuses": [_c("app", _waiting("PodInitializing"))]}}, ("0/1", "Init:Error", "2 (8m ago)")),
    "init-crashloop": ({"phase": "Pending", "spec": {"initContainers": [MIGRATE]}, "status": {
        "initContainerStatuses": [_c("migrate", _waiting("CrashLoopBackOff"), restarts=4,
                                     lastState=_terminated("Error", 1, 3))],
        "containerStatuses": [_c("app", _waiting("PodInitializing"))]}},
        ("0/1", "Init:CrashLoopBackOff", "4 (3m ago)")),
    "init-exitcode": ({"phase": "Pending", "spec": {"initContainers": [MIGRATE]}, "status": {
        "initContainerStatuses": [_c("migrate", _terminated(None, 3))]}}, ("0/1", "Init:ExitCode:3", "0")),
    "init-done-restarts-not-counted": ({"spec": {"initContainers": [MIGRATE]}, "status": {
        "initContainerStatuses": [_c("migrate", _terminated("Completed", 0), restarts=2,
                                     lastState=_terminated("Error", 1, 30))],
        "containerStatuses": [_c("app", RUNNING, True)], "conditions": READY}}, ("1/1", "Running", "0")),
    "sidecar-healthy": ({"spec": {"initContainers": [SIDECAR]}, "status": {
        "initContainerStatuses": [_c("proxy", RUNNING, True, started=True)],
        "containerStatuses": [_c("app", RUNNING, True)], "conditions": READY}}, ("2/2", "Running", "0")),
    "sidecar-restarted": ({"spec": {"initContainers": [MIGRATE, SIDECAR]}, "status": {
        "initContainerStatuses": [_c("migrate", _terminated("Completed", 0)),
                                  _c("proxy", RUNNING, True, restarts=2, started=True,
                                     lastState=_terminated("Error", 1, 6))],
        "containerStatuses": [_c("app", RUNNING, True)], "conditions": READY}},
        ("2/2", "Running", "2 (6m ago)")),
    "sidecar-starting": ({"phase": "Pending", "spec": {"initContainers": [SIDECAR]}, "status": {
        "initContainerStatuses": [_c("proxy", RUNNING, started=False)],
        "containerStatuses": [_c("app", _waiting("PodInitializing"))]}}, ("0/2", "Init:0/1", "0")),
    "completed-and-running-ready": ({"spec": {"containers": [{"name": "job"}, {"name": "web"}]}, "status": {
        "containerStatuses": [_c("job", _terminated("Completed", 0)), _c("web", RUNNING, True)],
        "conditions": READY}}, ("1/2", "Running", "0")),
    "completed-and-running-not-ready": ({"spec": {"containers": [{"name": "job"}, {"name": "web"}]},
                                         "status": {
        "containerStatuses": [_c("job", _terminated("Completed", 0)), _c("web", RUNNING, True)],
        "conditions": NOT_READY}}, ("1/2", "NotReady", "0")),
    "terminating": ({"metadata": {"deletionTimestamp": _at(2), "finalizers": ["example.com/cleanup"]},
                     "status": {"containerStatuses": [_c("app", RUNNING, True)], "conditions": READY}},
                    ("1/1", "Terminating", "0")),
    "finished-being-deleted": ({"phase": "Succeeded", "metadata": {"deletionTimestamp": _at(2)},
                                "status": {"containerStatuses": [_c("app", _terminated("Completed", 0))]}},
                               ("0/1", "Completed", "0")),
    "node-lost": ({"metadata": {"deletionTimestamp": _at(20)}, "status": {
        "reason": "NodeLost", "message": "Node worker-9 which was running pod node-lost is unresponsive",
        "containerStatuses": [_c("app", RUNNING, True)], "conditions": READY}}, ("1/1", "Unknown", "0")),
    "evicted": ({"phase": "Failed", "status": {
        "reason": "Evicted",
        "message": "Pod ephemeral local storage usage exceeds the total limit of containers 1Gi. "}},
        ("0/1", "Evicted", "0")),
    "evicted-status-unknown": ({"phase": "Failed", "status": {
        "reason": "Evicted", "message": "The node was low on resource: memory. ",
        "containerStatuses": [_c("app", _terminated("ContainerStatusUnknown", 137))]}},
        ("0/1", "ContainerStatusUnknown", "0")),
}  # fmt: skip


def _pod(name: str, case: dict[str, Any]) -> dict[str, Any]:
    spec = {"nodeName": "worker-1", "containers": [{"name": "app", "image": "example/app:1"}]}
    spec.update(case.get("spec") or {})
    metadata = {"name": name, "namespace": NAMESPACE, "uid": f"uid-{name}", "creationTimestamp": _at(90)}
    metadata.update(case.get("metadata") or {})
    status = {"phase": case.get("phase", "Running"), **case["status"]}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec, "status": status}


PODS = {name: _pod(name, case) for name, (case, _) in CASES.items()}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnapshotServer]:
    root: Path = tmp_path_factory.mktemp("pod-states")
    meta = {"apiVersion": "kubewhy/v1", "kind": "ClusterSnapshot", "name": "states",
            "capturedAt": NOW.strftime("%Y-%m-%dT%H:%M:%SZ")}  # fmt: skip
    (root / "snapshot.yaml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    (root / "resources").mkdir()
    documents = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}, *PODS.values()]
    (root / "resources" / "pods.yaml").write_text(yaml.safe_dump_all(documents), encoding="utf-8")
    with start_snapshot_server(root) as running:
        yield running


def test_kubectl_prints_the_expected_status_ready_and_restarts(server, tmp_path) -> None:
    command = [KUBECTL, "--kubeconfig", str(server.kubeconfig_path), "--cache-dir", str(tmp_path),
               "get", "pods", "-n", NAMESPACE]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    rows = [re.split(r"\s{2,}", line.strip()) for line in result.stdout.strip().splitlines()]
    assert rows[0] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    printed = {row[0]: tuple(row[1:4]) for row in rows[1:]}
    assert printed == {name: expected for name, (_, expected) in CASES.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_the_module_reads_each_state_like_kubectl(name: str) -> None:
    ready, status, restarts = CASES[name][1]
    pod = PODS[name]
    assert (pod_ready(pod), pod_status(pod), pod_restarts(pod)) == (ready, status, int(restarts.split()[0]))


def test_k8s_list_over_the_client_shows_the_same_status(server) -> None:
    kube = KubeAccess.from_kubeconfig(str(server.kubeconfig_path))
    try:
        ctx = ToolContext(settings=Settings(), kube=kube, cluster_name="states", fixed_now=NOW)
        # a selector lists every pod by name (without one, the quiet pods are only counted)
        args = {"kind": "pod", "namespace": NAMESPACE, "field_selector": f"metadata.namespace={NAMESPACE}"}
        result = call_tool(ctx, "k8s_list", args)
        unfiltered = call_tool(ctx, "k8s_list", {"kind": "pod", "namespace": NAMESPACE})
    finally:
        kube.close()
    assert not result.error, result.text
    shown = {}
    for line in result.text.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] in CASES:
            shown[parts[0]] = (parts[1], parts[2])
    assert shown == {name: expected[:2] for name, (_, expected) in CASES.items()}
    quiet = [name for name, pod in PODS.items() if pod_is_healthy(pod) and not pod_restarts(pod)]
    assert len(quiet) >= 2
    listed = {line.split()[0] for line in unfiltered.text.splitlines()[1:]}
    assert listed.isdisjoint(quiet) and set(CASES) - set(quiet) <= listed
    assert f"  +{len(quiet)} healthy, no restarts: (no controller) {len(quiet)}; " in unfiltered.text


def test_only_running_ready_or_finished_pods_are_healthy() -> None:
    healthy = {name for name, pod in PODS.items() if pod_is_healthy(pod)}
    assert healthy == {
        "running",
        "completed",
        "init-done-restarts-not-counted",
        "sidecar-healthy",
        "sidecar-restarted",
        "finished-being-deleted",
    }
