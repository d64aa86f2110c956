"""The registered flow tools through the registry, over flow files, as the agent calls them."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from app.toolset import all_tools, call_tool
from devkit.flow_synth import dns_l7, http_l7, make_flow
from tests.flows.flow_builders import CART, CHECKOUT, COREDNS, NOW, POSTGRES, WEB, file_context
from tests.flows.test_attribution import ALLOW_WEB, DEFAULT_DENY, FakeKube
from tools.budget import count_tokens
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext


def scenario() -> list[dict]:
    """Ten minutes of a shop: checkout blocked from postgres by policy (SYN retried), web -> cart fine,
    web -> cart:8081 reset (wrong targetPort), NXDOMAIN lookups, cart answering 503s, an old drop."""
    flows: list[dict] = []
    for minute in range(10, 0, -1):
        moment = NOW - timedelta(minutes=minute)
        port = 40000 + minute
        for delay in (0, 1, 3):
            flows.append(
                make_flow(
                    moment + timedelta(seconds=delay),
                    CHECKOUT,
                    POSTGRES,
                    verdict="DROPPED",
                    source_port=port,
                    destination_port=5432,
                    direction="INGRESS",
                )
            )
        flows.append(make_flow(moment, WEB, CART, source_port=port, flags=("ACK", "PSH")))
        flows.append(make_flow(moment, WEB, CART, source_port=port + 100, destination_port=8081))
        flows.append(
            make_flow(
                moment,
                CART,
                WEB,
                source_port=8081,
                destination_port=port + 100,
                flags=("RST", "ACK"),
                is_reply=True,
                direction="INGRESS",
            )
        )
        flows.append(
            make_flow(
                moment,
                COREDNS,
                CHECKOUT,
                protocol="UDP",
                source_port=53,
                destination_port=port,
                l7=dns_l7("postgress.data.svc.cluster.local.", 3),
                is_reply=True,
                direction="INGRESS",
            )
        )
        flows.append(
            make_flow(
                moment,
                CART,
                WEB,
                source_port=8080,
                destination_port=port,
                l7=http_l7(503 if minute % 2 else 200),
                is_reply=True,
                direction="INGRESS",
            )
        )
    flows.append(make_flow(NOW - timedelta(hours=3), WEB, POSTGRES, verdict="DROPPED", destination_port=5432))
    return flows


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return file_context(tmp_path, scenario())


def test_flow_tools_are_registered_with_schemas() -> None:
    names = {spec.name: spec for spec in all_tools() if spec.source == "flows"}
    assert set(names) >= {
        "flows_query",
        "flows_drops",
        "flows_dns",
        "flows_http",
        "flows_pair",
        "flows_policy",
    }
    assert "namespace" in names["flows_query"].json_schema()["properties"]


@pytest.mark.parametrize(
    ("args", "total"),
    [
        ({}, 80),
        ({"since_minutes": 240}, 81),
        ({"namespace": "data"}, 30),
        ({"namespace": "shop", "side": "destination"}, 50),
        ({"workload": "cart"}, 40),
        ({"pod": "checkout-7d9f"}, 40),
        ({"verdict": "DROPPED"}, 30),
        ({"drop_reason": "POLICY_DENIED"}, 30),
        ({"drop_reason": "CT_MAP_INSERTION_FAILED"}, 0),
        ({"port": 8081}, 10),
        ({"protocol": "udp"}, 10),
        ({"protocol": "http"}, 10),
        ({"dns_query": "postgress"}, 10),
        ({"dns_rcode": "NXDOMAIN"}, 10),
        ({"dns_rcode": "2"}, 0),
        ({"http_status": "5+"}, 5),
        ({"direction": "EGRESS"}, 20),
        ({"until": "2026-11-20T09:25:00Z", "since_minutes": 3}, 30),  # both ends inclusive
    ],
)
def test_flows_query_filters(ctx: ToolContext, args: dict, total: int) -> None:
    result = call_tool(ctx, "flows_query", args)
    assert result.ok, result.error
    assert result.data["total"] == total
    assert result.text.startswith(f"{total} flows match in ")


def test_flows_query_lists_few_flows_and_groups_many(ctx: ToolContext) -> None:
    few = call_tool(ctx, "flows_query", {"port": 8081, "limit": 20})
    assert len(few.text.splitlines()) == 11
    assert "shop/web-6c8d7b9f4-k2m4p -> shop/cart-5f6d7c8b9-abcde:8081 TCP[SYN] FORWARDED egress" in few.text
    many = call_tool(ctx, "flows_query", {"limit": 5})
    assert "Counts by source -> destination" in many.text
    assert "  x30 shop/checkout -> data/postgres:5432 TCP DROPPED POLICY_DENIED" in many.text
    assert "  x10 shop/web <- shop/cart:8081 TCP FORWARDED" in many.text
    assert len(many.data["flows"]) == 5
    assert many.data["flows"][-1]["time"].startswith("2026-11-20T09:29:00")


def test_flows_query_stays_within_the_budget(tmp_path: Path) -> None:
    small = file_context(tmp_path, scenario(), tool_output_tokens=150)
    result = call_tool(small, "flows_query", {"limit": 100})
    assert result.truncated
    assert count_tokens(result.text) <= 150
    assert "more lines not shown" in result.text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"until": "noon"}, "until: 'noon' is not an RFC 3339 time"),
        ({"dns_rcode": "BROKEN"}, "dns_rcode: 'BROKEN' is not one of"),
        ({"dns_query": "(unclosed"}, "dns_query"),
        ({"verdict": "BLOCKED"}, "verdict"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_flows_query_bad_arguments_are_clear(ctx: ToolContext, args: dict, message: str) -> None:
    result = call_tool(ctx, "flows_query", args)
    assert not result.ok
    assert message in result.error


def test_no_flow_source_is_a_clear_error() -> None:
    ctx = ToolContext(settings=Settings(), fixed_now=NOW)
    result = call_tool(ctx, "flows_drops", {})
    assert result.error.startswith("no flow source configured")


def test_flows_drops(ctx: ToolContext) -> None:
    result = call_tool(ctx, "flows_drops", {})
    assert result.ok
    assert result.data["total"] == 30
    assert result.data["by_reason"] == {"POLICY_DENIED": 30}
    (pair,) = result.data["pairs"]
    assert (
        pair["source"] == "shop/checkout" and pair["destination"] == "data/postgres" and pair["port"] == 5432
    )
    assert (pair["first_seen"], pair["last_seen"]) == ("09:20:00", "09:29:03")
    assert (
        "x30 shop/checkout -> data/postgres:5432 TCP POLICY_DENIED ingress (09:20:00..09:29:03)"
        in result.text
    )
    assert "flows_policy" in result.text


def test_flows_dns_l7_failures(ctx: ToolContext) -> None:
    result = call_tool(ctx, "flows_dns", {})
    assert result.ok
    assert result.data["failed"] == 10
    assert "x10 postgress.data.svc.cluster.local. NXDOMAIN for shop/checkout" in result.text
    assert not result.data["only_l4"]


def test_flows_dns_says_when_only_l4_flows_exist(tmp_path: Path) -> None:
    flows = [
        make_flow(
            NOW - timedelta(seconds=10 * i),
            CHECKOUT,
            COREDNS,
            protocol="UDP",
            destination_port=53,
            verdict="DROPPED",
            direction="EGRESS",
        )
        for i in range(6)
    ]
    result = call_tool(file_context(tmp_path, flows), "flows_dns", {"namespace": "shop"})
    assert result.ok
    assert result.data["only_l4"]
    assert "only UDP/53 L3/L4 flows are visible" in result.text
    assert "x6 shop/checkout -> kube-system/coredns:53 POLICY_DENIED" in result.text


def test_flows_http(ctx: ToolContext) -> None:
    result = call_tool(ctx, "flows_http", {})
    assert result.ok
    (row,) = result.data["destinations"]
    assert (row["destination"], row["responses"], row["errors"], row["codes"]) == (
        "shop/cart",
        10,
        5,
        {"503": 5},
    )
    assert "shop/cart: 5/10 errors (50.0%) 503 x5" in result.text
    none = call_tool(ctx, "flows_http", {"namespace": "data"})
    assert "No L7 HTTP flows" in none.text


def test_flows_pair_wrong_target_port(ctx: ToolContext) -> None:
    result = call_tool(ctx, "flows_pair", {"source": "shop/web", "destination": "shop/cart"})
    assert result.ok
    assert result.data["rst_replies"] == 10
    assert result.data["rst_ports"] == {"8081": 10}
    assert "RST replies from shop/cart port 8081: 10" in result.text
    assert len(result.data["buckets"]) == 10


def test_flows_pair_blocked_connection(ctx: ToolContext) -> None:
    result = call_tool(ctx, "flows_pair", {"source": "shop/checkout", "destination": "data/postgres"})
    assert result.ok
    assert result.data["verdicts"] == {"DROPPED": 30}
    assert (result.data["syns"], result.data["syn_retransmits"]) == (30, 20)
    assert "SYNs: 30, of which 20 retransmits" in result.text
    bad = call_tool(ctx, "flows_pair", {"source": "shop/", "destination": "cart"})
    assert "must be 'namespace/workload'" in bad.error


def test_flows_policy_reads_policies_through_kube(tmp_path: Path) -> None:
    ctx = file_context(tmp_path, scenario())
    ctx.kube = FakeKube({"NetworkPolicy": [DEFAULT_DENY, ALLOW_WEB], "Namespace": []})
    result = call_tool(ctx, "flows_policy", {})
    assert result.ok
    (row,) = result.data["pairs"]
    assert row["count"] == 30
    (attribution,) = row["attributions"]
    assert attribution["outcome"] == "denied"
    assert {p["name"] for p in attribution["policies"]} == {"default-deny", "db-allow-web"}
    assert "which only allows ingress from app=web in all namespaces on 5432" in result.text
    assert "2 NetworkPolicies read from the cluster" in result.text


def test_flows_policy_with_given_policies_and_without_kube(ctx: ToolContext) -> None:
    given = call_tool(ctx, "flows_policy", {"policies": [ALLOW_WEB]})
    assert "Dropped by NetworkPolicy data/db-allow-web, which only allows ingress from app=web" in given.text
    without = call_tool(ctx, "flows_policy", {})
    assert without.ok
    assert "NetworkPolicies not read (no Kubernetes access)" in without.text
    assert without.data["pairs"][0]["attributions"][0]["outcome"] == "unknown"


def test_flows_policy_survives_a_failing_kube(tmp_path: Path) -> None:
    class Forbidden:
        def list_objects(self, kind: str, namespace: str | None = None, **_: object) -> list[dict]:
            raise PermissionError("networkpolicies is forbidden")

    ctx = file_context(tmp_path, scenario())
    ctx.kube = Forbidden()
    result = call_tool(ctx, "flows_policy", {})
    assert result.ok
    assert "NetworkPolicies could not be read (networkpolicies is forbidden)" in result.text


def test_flows_status(ctx: ToolContext) -> None:
    result = call_tool(ctx, "flows_status", {})
    assert result.ok
    assert result.data["total"] == 80
    assert result.data["verdicts"] == {"DROPPED": 30, "FORWARDED": 50}


def test_bad_lines_are_reported(tmp_path: Path) -> None:
    ctx = file_context(tmp_path, scenario())
    with (tmp_path / "flows" / "node.jsonl").open("a") as handle:
        handle.write('{"flow": {"verdict": "DROPPED", "time": "not a time"}}\n')
    result = call_tool(ctx, "flows_drops", {})
    assert (
        "note: 1 unreadable flow line skipped (first: node.jsonl:82: flow has no readable time)"
        in result.text
    )


DEMO = Path(__file__).resolve().parents[2] / "app" / "demo"


@pytest.mark.skipif(not (DEMO / "shop" / "flows").is_dir(), reason="demo snapshot not generated yet")
def test_demo_snapshot_policy_drop_is_found_and_attributed() -> None:
    import yaml

    from tools.flows.files import FileFlowSource
    from tools.snapshot.loader import load_snapshot

    truth = yaml.safe_load((DEMO / "shop_truth.yaml").read_text())
    (problem,) = [item for item in truth["problems"] if item["category"] == "NetworkPolicyBlocked"]
    culprit = problem["culprit"]
    snapshot = load_snapshot(DEMO / "shop")
    policies = [item.obj for item in snapshot.iter_objects() if item.obj.get("kind") == "NetworkPolicy"]
    ctx = ToolContext(
        settings=Settings(), flows=FileFlowSource(snapshot.flow_files), fixed_now=snapshot.meta.captured_at
    )
    drops = call_tool(ctx, "flows_drops", {"since_minutes": 180})
    assert drops.ok, drops.error
    assert drops.data["by_reason"].get("POLICY_DENIED", 0) > 0
    attributed = call_tool(ctx, "flows_policy", {"since_minutes": 180, "policies": policies})
    assert attributed.ok, attributed.error
    assert f"Dropped by NetworkPolicy {culprit['namespace']}/{culprit['name']}" in attributed.text


@pytest.mark.skipif(not (DEMO / "shop" / "flows").is_dir(), reason="demo snapshot not generated yet")
def test_demo_policy_attribution_reads_policies_through_the_kubernetes_api() -> None:
    """The real KubeAccess against kubewhy's snapshot API server: the one list_objects contract."""
    import yaml

    from tools.flows.files import FileFlowSource
    from tools.kubernetes.access import KubeAccess
    from tools.snapshot.loader import load_snapshot
    from tools.snapshot.server import start_snapshot_server

    truth = yaml.safe_load((DEMO / "shop_truth.yaml").read_text())
    (problem,) = [item for item in truth["problems"] if item["category"] == "NetworkPolicyBlocked"]
    culprit = problem["culprit"]
    snapshot = load_snapshot(DEMO / "shop")
    with start_snapshot_server(DEMO / "shop") as server:
        kube = KubeAccess.from_kubeconfig(str(server.kubeconfig_path))
        try:
            ctx = ToolContext(
                settings=Settings(),
                kube=kube,
                flows=FileFlowSource(snapshot.flow_files),
                fixed_now=snapshot.meta.captured_at,
            )
            result = call_tool(ctx, "flows_policy", {"since_minutes": 180})
        finally:
            kube.close()
    assert result.ok, result.error
    assert re.search(r"\d+ NetworkPolic(y|ies) read from the cluster", result.text), result.text
    assert f"Dropped by NetworkPolicy {culprit['namespace']}/{culprit['name']}" in result.text
