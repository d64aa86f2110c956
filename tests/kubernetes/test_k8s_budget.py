"""Big results are summarized within the budget, say what was left out, and say how to narrow."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.toolset import call_tool
from tests.kubernetes import k8s_builders as b
from tests.kubernetes.k8s_wait import settled_requests
from tools.budget import count_tokens
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext, ToolResult
from tools.kubernetes.access import KubeAccess
from tools.snapshot.server import SnapshotServer, start_snapshot_server

PODS = 3000
CRASHING = 30
PENDING = 20
LABELS = {"app": "web"}


def _load_objects() -> list[dict]:
    objs = [b.namespace("load"), b.namespace("quiet"), b.node("worker-1")]
    objs.append(b.deployment("web", "load", PODS, PODS - CRASHING - PENDING, "reg/web:v9", LABELS))
    objs.append(b.service("web", "load", LABELS))
    objs.append(b.pod("lonely", "quiet", {"app": "lonely"}))
    for index in range(PODS):
        name = f"web-5d8f7-{index:05d}"
        if index < CRASHING:
            objs.append(b.pod(name, "load", LABELS, statuses=[b.crashing_status()]))
        elif index < CRASHING + PENDING:
            objs.append(b.pod(name, "load", LABELS, statuses=[], node_name=None, phase="Pending"))
        else:
            objs.append(b.pod(name, "load", LABELS))
    for index in range(1500):
        pod = f"web-5d8f7-{index % CRASHING:05d}"
        objs.append(
            b.event(
                f"ev{index}",
                "load",
                "Pod",
                pod,
                "BackOff" if index % 3 else "Unhealthy",
                f"Back-off restarting failed container app in pod {pod} attempt {index}",
                index % 50,
            )
        )
    return objs


def _big_log() -> str:
    lines = []
    for i in range(20_000):
        stamp = f"2026-11-20T08:{(i // 600) % 60:02d}:{(i // 10) % 60:02d}Z"
        if i == 17_000:
            lines.append(f"{stamp} ERROR first sign of trouble: connection pool exhausted")
        else:
            lines.append(f"{stamp} info request {i} served in 12ms by worker {i % 7}")
    lines.append("2026-11-20T09:29:59Z FATAL out of memory, exiting")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def load_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnapshotServer]:
    root = b.write_snapshot(
        Path(tmp_path_factory.mktemp("load")),
        _load_objects(),
        {("load", "web-5d8f7-00000", "app", False): _big_log()},
    )
    with start_snapshot_server(root) as server:
        yield server


@pytest.fixture(scope="module")
def load_kube(load_server: SnapshotServer) -> Iterator[KubeAccess]:
    access = KubeAccess.from_kubeconfig(str(load_server.kubeconfig_path))
    yield access
    access.close()


def _ctx(kube: KubeAccess, budget: int = 2000) -> ToolContext:
    return ToolContext(settings=Settings(tool_output_tokens=budget), kube=kube, fixed_now=b.NOW)


def _call(ctx: ToolContext, name: str, args: dict) -> ToolResult:
    result = call_tool(ctx, name, args)
    assert result.ok, result.error
    assert count_tokens(result.text) <= ctx.token_budget, f"{name} over budget"
    return result


def test_3000_pods_are_grouped_and_counted(load_kube: KubeAccess) -> None:
    result = _call(_ctx(load_kube), "k8s_list", {"kind": "pods", "namespace": "load"})
    lines = result.text.splitlines()
    assert lines[0] == "pods in load: 3000 (2950 Running, 30 CrashLoopBackOff, 20 Pending)"
    # every troubled pod is listed; the healthy ones are counted, with how to list them
    statuses = [line.split()[2] for line in lines[1:51]]
    assert statuses == ["CrashLoopBackOff"] * CRASHING + ["Pending"] * PENDING
    assert lines[51:] == ["  +2950 healthy, no restarts: (no controller) 2950; label_selector= lists them"]
    assert not result.truncated
    assert result.data["total"] == PODS


def test_a_selector_lists_healthy_pods_by_name(load_kube: KubeAccess) -> None:
    args = {"kind": "pods", "namespace": "load", "label_selector": "app=web"}
    result = _call(_ctx(load_kube), "k8s_list", args)
    lines = result.text.splitlines()
    assert (
        lines[0]
        == "pods in load matching labels app=web: 3000 (2950 Running, 30 CrashLoopBackOff, 20 Pending)"
    )
    assert [line.split()[2] for line in lines[1:51]] == ["CrashLoopBackOff"] * CRASHING + [
        "Pending"
    ] * PENDING
    assert lines[51].startswith("  web-5d8f7-00050  1/1  Running  restarts=0")
    assert result.truncated
    assert "more pods not shown; troubled ones come first; narrow with field_selector=" in result.text


@pytest.mark.parametrize("budget", [300, 800, 2000, 4000])
def test_every_tool_stays_within_any_budget(load_kube: KubeAccess, budget: int) -> None:
    ctx = _ctx(load_kube, budget)
    for name, args in [
        ("k8s_list", {"kind": "pods", "namespace": "load"}),
        ("k8s_list", {"kind": "events"}),
        ("k8s_events", {"namespace": "load"}),
        ("k8s_describe", {"kind": "deployment", "name": "web", "namespace": "load"}),
        ("k8s_describe", {"kind": "pod", "name": "web-5d8f7-00000", "namespace": "load"}),
        ("k8s_workload", {"name": "web", "namespace": "load"}),
        ("k8s_service", {"name": "web", "namespace": "load"}),
        ("k8s_node", {"name": "worker-1"}),
        ("k8s_logs", {"namespace": "load", "pod": "web-5d8f7-00000"}),
        ("k8s_overview", {}),
        ("k8s_get", {"kind": "deployment", "name": "web", "namespace": "load"}),
    ]:
        _call(ctx, name, args)


def test_events_say_what_was_left_out(load_kube: KubeAccess) -> None:
    result = _call(_ctx(load_kube), "k8s_events", {"namespace": "load"})
    assert result.truncated
    assert "more events not shown; narrow with name=, reason=, type=, since=" in result.text
    assert (
        "Events matching namespace=load (1500, newest first; "
        "by type and reason: 1000 Warning BackOff, 500 Warning Unhealthy)" in result.text
    )


def test_long_log_keeps_errors_and_the_end(load_kube: KubeAccess) -> None:
    result = _call(_ctx(load_kube), "k8s_logs", {"namespace": "load", "pod": "web-5d8f7-00000"})
    lines = result.data["lines"]
    assert lines[-1] == "FATAL out of memory, exiting"
    assert "ERROR first sign of trouble: connection pool exhausted" in lines
    assert any("lines skipped" in line for line in lines)
    assert "log lines not shown; narrow with grep=, since=, tail=" in result.text
    assert result.data["lines_read"] == 5000  # bounded fetch: the last 5,000 lines


def test_grep_runs_before_truncation(load_kube: KubeAccess) -> None:
    result = _call(
        _ctx(load_kube),
        "k8s_logs",
        {"namespace": "load", "pod": "web-5d8f7-00000", "tail": 20_001, "grep": "error|fatal"},
    )
    assert result.data["lines"] == [
        "ERROR first sign of trouble: connection pool exhausted",
        "FATAL out of memory, exiting",
    ]
    assert not result.truncated


def test_namespaced_question_reads_only_that_namespace(
    load_kube: KubeAccess, load_server: SnapshotServer
) -> None:
    before = len(load_server.requests)
    _call(_ctx(load_kube), "k8s_list", {"kind": "pods", "namespace": "quiet"})
    pod_requests = [r for r in settled_requests(load_server, before) if r.path.endswith("/pods")]
    assert [r.path for r in pod_requests] == ["/api/v1/namespaces/quiet/pods"]


def test_lists_are_paged(load_kube: KubeAccess, load_server: SnapshotServer) -> None:
    before = len(load_server.requests)
    _call(_ctx(load_kube), "k8s_list", {"kind": "pods", "namespace": "load"})
    pages = [r for r in settled_requests(load_server, before) if r.path == "/api/v1/namespaces/load/pods"]
    assert len(pages) == 6  # 3,000 pods in pages of 500
    assert all("limit=500" in r.query for r in pages)
    assert sum("continue=" in r.query for r in pages) == 5
