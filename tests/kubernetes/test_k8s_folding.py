"""Tool outputs lead with what decides and count the rest, saying how to see it: quiet pods by workload,
routine Normal events by reason, repeated log lines and stack frames by number. Through the official
client against the snapshot API server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.toolset import call_tool
from tests.kubernetes import k8s_builders as b
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext, ToolResult
from tools.kubernetes.access import KubeAccess
from tools.snapshot.server import start_snapshot_server

NS = "shop"
WEB = {"app": "web"}
DB = {"app": "db"}
UID = "c20df862-abc8-4a67-8544-7f91aea4bbf1"
IMAGE = "reg/shop/app:v1"  # the builders' container image: the template's and the pods' alike

GO_PANIC = """{"level":"info","msg":"starting"}
panic: config: required environment variable API_KEY is not set

goroutine 1 [running]:
main.mustEnv({0x9c1f0e, 0xe})
\t/src/cmd/web/config.go:41 +0x1b4
main.loadConfig()
\t/src/cmd/web/config.go:58 +0x2c5
main.main()
\t/src/cmd/web/main.go:23 +0x25
"""
REPEATS = "".join(  # klog's own stamps: lines that differ only in them are the same line
    f"E1120 09:{minute:02d}:00.000000       1 db.go:12] dial tcp 10.0.0.9:5432: connect: connection refused\n"
    for minute in range(10)
)


PULL = '"reg.example.com/shop/db:v9"'
PULL_ERROR = (  # containerd's three layers, each quoting the reference again
    f"Failed to pull image {PULL}: rpc error: code = NotFound desc = failed to pull and unpack image {PULL}: "
    f"failed to resolve reference {PULL}: reg.example.com/shop/db:v9: not found"
)


def _objects() -> list[dict]:
    web_rs = b.owner("ReplicaSet", "web-5d8f7", NS)
    db_rs = b.owner("ReplicaSet", "db-77c4d", NS)
    objs = [b.namespace(NS), b.node("worker-1")]
    objs.append(b.deployment("web", NS, 4, 3, IMAGE, WEB))
    objs.append(b.replicaset("web-5d8f7", NS, "web", 2, IMAGE, 4, 3, WEB))
    for index in range(3):
        pod = b.pod(f"web-5d8f7-q{index}", NS, {**WEB, "pod-template-hash": "5d8f7"}, owner_ref=web_rs)
        objs.append(pod)
    crashing = b.crashing_status()
    objs.append(
        b.pod(
            "web-5d8f7-crash",
            NS,
            {**WEB, "pod-template-hash": "5d8f7"},
            statuses=[crashing],
            owner_ref=web_rs,
        )
    )
    for index in range(2):
        objs.append(b.pod(f"db-77c4d-q{index}", NS, {**DB, "pod-template-hash": "77c4d"}, owner_ref=db_rs))
    restarted = [b.running_status(restarts=3)]
    objs.append(
        b.pod("db-77c4d-r", NS, {**DB, "pod-template-hash": "77c4d"}, statuses=restarted, owner_ref=db_rs)
    )
    crash = "web-5d8f7-crash"
    objs += [
        b.event(
            "e1",
            NS,
            "Pod",
            crash,
            "Scheduled",
            f"Successfully assigned {NS}/{crash} to worker-1",
            30,
            "Normal",
        ),
        b.event(
            "e2", NS, "Pod", crash, "Pulled", 'Container image "reg/web:v2" already present', 1, "Normal", 9
        ),
        b.event("e3", NS, "Pod", crash, "Created", "Created container app", 1, "Normal", 10),
        b.event("e4", NS, "Pod", crash, "Started", "Started container app", 1, "Normal", 10),
        b.event(
            "e5",
            NS,
            "Pod",
            crash,
            "BackOff",
            f"Back-off restarting failed container app in pod {crash}_{NS}({UID})",
            0.5,
            count=17,
        ),
        b.event(
            "e6",
            NS,
            "Pod",
            crash,
            "Killing",
            "Container app failed liveness probe, will be restarted",
            2,
            "Normal",
        ),
        b.event("e7", NS, "Pod", "db-77c4d-r", "Failed", PULL_ERROR, 5, count=3),
    ]
    return objs


@pytest.fixture(scope="module")
def kube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeAccess]:
    logs = {
        (NS, "web-5d8f7-crash", "app", True): GO_PANIC,
        (NS, "web-5d8f7-crash", "app", False): REPEATS,
    }
    root = b.write_snapshot(Path(tmp_path_factory.mktemp("fold")), _objects(), logs)
    with start_snapshot_server(root) as server:
        access = KubeAccess.from_kubeconfig(str(server.kubeconfig_path))
        yield access
        access.close()


def _call(kube: KubeAccess, name: str, args: dict) -> ToolResult:
    ctx = ToolContext(settings=Settings(), kube=kube, fixed_now=b.NOW)
    result = call_tool(ctx, name, args)
    assert result.ok, result.error
    return result


def test_a_pod_list_counts_quiet_pods_by_workload_and_keeps_restarted_ones(kube: KubeAccess) -> None:
    lines = _call(kube, "k8s_list", {"kind": "pods", "namespace": NS}).text.splitlines()
    assert lines[0] == "pods in shop: 7 (6 Running, 1 CrashLoopBackOff)"
    assert lines[1].startswith("  web-5d8f7-crash  0/1  CrashLoopBackOff  restarts=12")
    assert lines[2].startswith("  db-77c4d-r  1/1  Running  restarts=3")  # a restart is a clue: listed
    assert lines[3:] == ["  +5 healthy, no restarts: web 3, db 2; label_selector= lists them"]


def test_a_selector_lists_the_quiet_pods_by_name(kube: KubeAccess) -> None:
    result = _call(kube, "k8s_list", {"kind": "pods", "namespace": NS, "label_selector": "app=db"})
    names = [line.split()[0] for line in result.text.splitlines()[1:]]
    assert names == ["db-77c4d-r", "db-77c4d-q0", "db-77c4d-q1"]  # the restarted one first: a clue


def test_events_count_routine_normal_ones_and_show_the_rest(kube: KubeAccess) -> None:
    text = _call(kube, "k8s_events", {"namespace": NS}).text
    assert text.splitlines() == [
        "Events matching namespace=shop (7, newest first):",
        "  4 routine Normal: Created x10, Started x10, Pulled x9, Scheduled; k8s_events reason= lists them",
        "  30s  Warning  BackOff  Pod/web-5d8f7-crash (x17): "
        "Back-off restarting failed container app in pod web-5d8f7-crash_shop",  # without the kubelet's UID
        # a Normal event that decides is shown
        "  2m  Normal  Killing  Pod/web-5d8f7-crash: Container app failed liveness probe, will be restarted",
        # the reference once, so the reason at the end is within the cut
        '  5m  Warning  Failed  Pod/db-77c4d-r (x3): Failed to pull image "reg.example.com/shop/db:v9": rpc '
        "error: code = NotFound desc = failed to pull and unpack image (same): failed to resolve reference "
        "(same): reg.example.com/shop/db:v9: not found",
    ]


def test_events_asked_for_by_reason_or_type_are_all_shown(kube: KubeAccess) -> None:
    text = _call(kube, "k8s_events", {"namespace": NS, "type": "Normal"}).text
    assert "routine" not in text
    reasons = [line.split()[2] for line in text.splitlines()[1:]]
    assert sorted(reasons) == ["Created", "Killing", "Pulled", "Scheduled", "Started"]


def test_describe_counts_quiet_pods_and_routine_events(kube: KubeAccess) -> None:
    text = _call(kube, "k8s_describe", {"kind": "deployment", "name": "web", "namespace": NS}).text
    assert "Pods (4): 3 Running, 1 CrashLoopBackOff\n  web-5d8f7-crash  0/1  CrashLoopBackOff" in text
    assert "  +3 healthy, no restarts: web 3; k8s_workload lists them" in text
    assert "First troubled pod web-5d8f7-crash:\n    app  ready=false  restarts=12" in text  # image: above
    assert "  4 routine Normal: Created x10, Started x10, Pulled x9, Scheduled; " in text


def test_a_stack_trace_keeps_the_frame_that_raised(kube: KubeAccess) -> None:
    args = {"namespace": NS, "pod": "web-5d8f7-crash", "previous": True}
    lines = _call(kube, "k8s_logs", args).data["lines"]
    assert lines[1:] == [
        "panic: config: required environment variable API_KEY is not set",
        "",
        "goroutine 1 [running]:",
        "main.mustEnv({0x9c1f0e, 0xe})",
        "\t/src/cmd/web/config.go:41 +0x1b4",
        "... 4 more stack lines ...",
    ]


def test_repeated_log_lines_keep_the_first_and_the_last(kube: KubeAccess) -> None:
    result = _call(kube, "k8s_logs", {"namespace": NS, "pod": "web-5d8f7-crash"})
    line = "{} 1 db.go:12] dial tcp 10.0.0.9:5432: connect: connection refused"
    assert [" ".join(shown.split()) for shown in result.data["lines"]] == [
        line.format("E1120 09:00:00.000000"),
        "... the same line 8 more times ...",
        line.format("E1120 09:09:00.000000"),
    ]
    assert result.data["lines_read"] == 10
    grep = _call(kube, "k8s_logs", {"namespace": NS, "pod": "web-5d8f7-crash", "grep": "09:05:00"})
    assert [" ".join(shown.split()) for shown in grep.data["lines"]] == [line.format("E1120 09:05:00.000000")]
