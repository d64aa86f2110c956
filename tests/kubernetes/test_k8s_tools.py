"""Every Kubernetes tool against the shop-prod snapshot, served by the snapshot API server."""

from __future__ import annotations

import pytest

from app.toolset import all_tools, call_tool
from tests.kubernetes.k8s_scenario import CRASH_POD
from tools.budget import count_tokens
from tools.contracts.tool import ToolContext, ToolResult

K8S_TOOLS = {
    "k8s_list",
    "k8s_get",
    "k8s_describe",
    "k8s_events",
    "k8s_logs",
    "k8s_workload",
    "k8s_service",
    "k8s_node",
    "k8s_netpol",
    "k8s_overview",
}


def run(ctx: ToolContext, tool_name: str, /, **args: object) -> ToolResult:
    result = call_tool(ctx, tool_name, args)
    assert result.ok, result.error
    assert count_tokens(result.text) <= ctx.token_budget
    return result


def test_all_tools_are_registered_with_a_schema() -> None:
    specs = {spec.name: spec for spec in all_tools()}
    assert specs.keys() >= K8S_TOOLS
    for name in K8S_TOOLS:
        assert specs[name].source in ("kubernetes", "logs")
        assert 30 <= len(specs[name].description) <= 100  # says what it is for, in one short line
        assert specs[name].json_schema()["type"] == "object"
    assert specs["k8s_logs"].source == "logs"


def test_list_groups_troubled_pods_first(ctx: ToolContext) -> None:
    result = run(ctx, "k8s_list", kind="po", namespace="shop")
    lines = result.text.splitlines()
    assert lines[0] == "pods in shop: 5 (3 Running, 1 CrashLoopBackOff, 1 Pending)"
    assert "Pending" in lines[1] and "CrashLoopBackOff" in lines[2]
    assert result.data["by_state"] == {"Running": 3, "CrashLoopBackOff": 1, "Pending": 1}


@pytest.mark.parametrize("kind", ["Deployment", "deployments", "deploy", "DEPLOYMENT", "deployments.apps"])
def test_list_resolves_kind_names(ctx: ToolContext, kind: str) -> None:
    result = run(ctx, "k8s_list", kind=kind)
    assert result.text.startswith("deployments in all namespaces: 2 (2 not at desired replicas)")
    assert "shop/checkout  ready=2/3" in result.text


def test_list_uses_selectors(ctx: ToolContext) -> None:
    by_label = run(ctx, "k8s_list", kind="pods", namespace="shop", label_selector="app=api")
    assert by_label.data["total"] == 2
    by_field = run(ctx, "k8s_list", kind="pods", field_selector="spec.nodeName=worker-2")
    assert [i["name"] for i in by_field.data["items"]] == [CRASH_POD]


def test_unknown_kind_is_a_clear_error(ctx: ToolContext) -> None:
    result = call_tool(ctx, "k8s_list", {"kind": "gizmos"})
    assert result.error == "unknown kind 'gizmos': the API server offers no such resource type"


def test_get_prints_yaml_without_bookkeeping(ctx: ToolContext) -> None:
    result = run(ctx, "k8s_get", kind="svc", name="checkout", namespace="shop")
    assert "kind: Service" in result.text and "targetPort: http" in result.text
    assert "managedFields" not in result.text
    assert result.data["metadata"]["name"] == "checkout"


def test_get_missing_object_is_not_found(ctx: ToolContext) -> None:
    result = call_tool(ctx, "k8s_get", {"kind": "configmap", "name": "api-config", "namespace": "shop"})
    assert result.error is not None and result.error.startswith("not found: ConfigMap api-config in shop")


def test_describe_pod_shows_owner_chain_containers_and_events(ctx: ToolContext) -> None:
    result = run(ctx, "k8s_describe", kind="pod", name=CRASH_POD, namespace="shop")
    text = result.text
    assert "controlled by: ReplicaSet/checkout-7d9f8c6b5 <- Deployment/checkout" in text
    assert "state: waiting CrashLoopBackOff" in text
    assert "last state: terminated Error exit=1, finished 5m ago" in text
    assert "env API_KEY from key 'api-key' of secret 'db-creds'" in text
    assert f"2m  Warning  BackOff  Pod/{CRASH_POD} (x12)" in text
    assert result.data["owners"] == ["ReplicaSet/shop/checkout-7d9f8c6b5", "Deployment/shop/checkout"]


def test_describe_deployment_lists_pods_and_their_events(ctx: ToolContext) -> None:
    result = run(ctx, "k8s_describe", kind="deployment", name="checkout", namespace="shop")
    assert "replicas: 3 desired, 3 updated, 2 ready, 2 available, 1 unavailable" in result.text
    assert "Pods (3): 2 Running, 1 CrashLoopBackOff" in result.text
    assert "ScalingReplicaSet" in result.text and "BackOff" in result.text


def test_describe_node_and_service_use_their_own_reports(ctx: ToolContext) -> None:
    node = run(ctx, "k8s_describe", kind="node", name="worker-3")
    assert "Ready=Unknown since 30m (NodeStatusUnknown: Kubelet stopped posting node status.)" in node.text
    service = run(ctx, "k8s_describe", kind="service", name="api", namespace="shop")
    assert "targetPort 9090/TCP is not a declared containerPort" in service.text


def test_events_filters_and_orders_newest_first(ctx: ToolContext) -> None:
    result = run(ctx, "k8s_events", namespace="shop", type="Warning")
    reasons = [e["reason"] for e in result.data]
    assert reasons == ["BackOff", "FailedScheduling", "Unhealthy"]
    recent = run(ctx, "k8s_events", type="Warning", since="1h")
    assert [e["reason"] for e in recent.data] == ["BackOff", "FailedScheduling", "NodeNotReady"]
    by_object = run(ctx, "k8s_events", namespace="shop", kind="pod", name=CRASH_POD, reason="BackOff")
    assert len(by_object.data) == 1 and by_object.data[0]["count"] == 12 and by_object.data[0]["age"] == "2m"


def test_events_bad_since_is_a_clear_error(ctx: ToolContext) -> None:
    result = call_tool(ctx, "k8s_events", {"since": "yesterday"})
    assert result.error == "since='yesterday' is not a duration; use e.g. '30m', '2h' or '1d'"


def test_logs_current_points_at_the_previous_instance(ctx: ToolContext) -> None:
    result = run(ctx, "k8s_logs", namespace="shop", pod=CRASH_POD)
    assert result.source == "logs"
    assert "info starting checkout v2" in result.text
    assert "restarted 12 times; last exit: Error (exit code 1); previous=true" in result.text


def test_logs_previous_grep_and_tail(ctx: ToolContext) -> None:
    previous = run(ctx, "k8s_logs", namespace="shop", pod=CRASH_POD, previous=True)
    assert previous.text.splitlines()[-1] == "FATAL cannot start: database unreachable"
    grepped = run(ctx, "k8s_logs", namespace="shop", pod=CRASH_POD, previous=True, grep="error|fatal")
    assert grepped.data["lines"] == [
        "ERROR dial tcp 10.96.45.12:5432: i/o timeout",
        "FATAL cannot start: database unreachable",
    ]
    tail = run(ctx, "k8s_logs", namespace="shop", pod=CRASH_POD, previous=True, tail=1)
    assert tail.data["lines"] == ["FATAL cannot start: database unreachable"]


def test_logs_since_is_relative_to_the_snapshot_time(ctx: ToolContext) -> None:
    result = run(ctx, "k8s_logs", namespace="shop", pod=CRASH_POD, since="1m")
    assert result.data["lines_read"] == 2
    older = run(ctx, "k8s_logs", namespace="shop", pod="checkout-7d9f8c6b5-aaaaa", since="10m")
    assert older.data["lines_read"] == 0 and "(no log lines)" in older.text


def test_logs_previous_of_a_container_that_never_restarted(ctx: ToolContext) -> None:
    result = call_tool(ctx, "k8s_logs", {"namespace": "data", "pod": "postgres-0", "previous": True})
    assert result.error is not None and "has no previous instance" in result.error


def test_workload_shows_rollout_history(ctx: ToolContext) -> None:
    result = run(ctx, "k8s_workload", name="checkout", namespace="shop")
    assert "rev 2  checkout-7d9f8c6b5  2/3 ready" in result.text
    assert "change-cause: kubectl set image deployment/checkout app=reg/shop/checkout:v2" in result.text
    assert [r["revision"] for r in result.data["revisions"]] == [2, 1]
    assert result.data["pod_counts"] == {"Running": 2, "CrashLoopBackOff": 1}
    job = run(ctx, "k8s_workload", name="migrate", namespace="shop", kind="job")
    assert "3 failed (backoffLimit 2)" in job.text and "BackoffLimitExceeded" in job.text
    sts = run(ctx, "k8s_workload", name="postgres", namespace="data")
    assert sts.text.startswith("StatefulSet data/postgres")


def test_workload_missing_says_where_to_look(ctx: ToolContext) -> None:
    result = call_tool(ctx, "k8s_workload", {"name": "nope", "namespace": "shop"})
    assert result.error is not None and "k8s_list kind=deployments" in result.error


def test_service_named_target_port_resolves(ctx: ToolContext) -> None:
    result = run(ctx, "k8s_service", name="checkout", namespace="shop")
    assert "port web 80/TCP: targetPort http -> 8080/TCP on container app" in result.text
    assert result.data["problems"] == []
    assert result.data["ready_endpoints"] == 2 and result.data["selected_pods"] == 3


def test_service_port_mismatch_and_empty_selector(ctx: ToolContext) -> None:
    api = run(ctx, "k8s_service", name="api", namespace="shop")
    assert api.data["problems"] == [
        "targetPort 9090/TCP is not a declared containerPort in 2 of 2 selected pods; "
        "the pods declare 8080/TCP(http)"
    ]
    orphan = run(ctx, "k8s_service", name="orphan", namespace="shop")
    assert "selector app=nothing-here matches no pod in shop" in orphan.data["problems"]


def test_node_requested_vs_allocatable(ctx: ToolContext) -> None:
    result = run(ctx, "k8s_node", name="worker-1")
    assert "cpu: allocatable 4000m, requested 1000m (25%)" in result.text  # 4 pods x 250m
    assert result.data["pods"] == 4
    everything = run(ctx, "k8s_node")
    assert everything.text.startswith("Nodes (3): 1 DiskPressure, 1 Ready, 1 Unknown")
    assert everything.text.splitlines()[1].startswith("  worker-2")


def test_netpol_selecting_policies_and_peers(ctx: ToolContext) -> None:
    result = run(ctx, "k8s_netpol", namespace="data", pod="postgres-0")
    assert (
        "ingress allowed from pods app=web in namespaces kubernetes.io/metadata.name=shop (shop)"
        in result.text
    )
    assert [p["name"] for p in result.data["policies"]] == ["db-allow-web"]
    assert result.data["not_selecting"] == ["unrelated"]
    egress = run(ctx, "k8s_netpol", namespace="shop", pod=CRASH_POD)
    assert egress.data["egress_isolated"] and "DNS lookups from this pod are dropped" in egress.text


def test_overview(ctx: ToolContext) -> None:
    result = run(ctx, "k8s_overview")
    text = result.text
    assert "Namespaces (4): data, default, kube-system, shop" in text
    assert "Nodes (3): 1 DiskPressure, 1 Ready, 1 Unknown" in text
    assert "Workloads not at desired replicas: 3 of 4" in text
    assert "Pods (6): 4 Running, 1 CrashLoopBackOff, 1 Pending" in text
    assert result.data["warning_events"]["by_reason"]["BackOff"] == 1
    scoped = run(ctx, "k8s_overview", namespace="data")
    assert scoped.data["pods"] == {
        "total": 1,
        "by_status": {"Running": 1},
        "not_running": 0,
        "not_running_by_namespace": {},
        "examples": {},
    }


def test_no_cluster_is_a_tool_error() -> None:
    from tools.contracts.settings import Settings

    result = call_tool(ToolContext(settings=Settings()), "k8s_overview", {})
    assert result.error is not None and "Kubernetes API is not available" in result.error


def test_unknown_argument_is_rejected(ctx: ToolContext) -> None:
    result = call_tool(ctx, "k8s_list", {"kind": "pods", "namespaces": "shop"})
    assert result.error is not None and "namespaces" in result.error
