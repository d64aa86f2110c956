"""Every Prometheus tool and curated check against a real Prometheus over the fixture."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.toolset import all_tools, call_tool
from devkit.om_fixture import CAPTURED_AT, CHANGE, NODE_TROUBLE
from tools.budget import count_tokens
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext
from tools.prometheus import tools as prometheus_tools
from tools.prometheus.queries import CHECKS

pytestmark = pytest.mark.prometheus

CHECKOUT_POD = "checkout-7d9f8c6b5-x2lqp"


def _series(result, **labels):
    return [s for s in result.data["series"] if all(s["labels"].get(k) == v for k, v in labels.items())]


def _only(result, **labels):
    found = _series(result, **labels)
    assert len(found) == 1, (labels, [s["labels"] for s in result.data["series"]])
    return found[0]


def test_the_tools_are_registered_with_source_prometheus():
    specs = {spec.name: spec for spec in all_tools() if spec.source == "prometheus"}
    expected = {"prom_query", "prom_query_range", "prom_metrics", "prom_alerts", "prom_targets", "prom_check"}
    assert expected <= set(specs)
    assert set(specs["prom_check"].json_schema()["properties"]["check"]["enum"]) == set(CHECKS)
    family = prometheus_tools.FAMILY.json_schema()["properties"]  # what the agent is offered
    assert set(family["check"]["enum"]) == set(CHECKS) and "check" in family["op"]["enum"]


def test_instant_query_is_evaluated_at_captured_at_and_shows_its_promql(ctx):
    result = call_tool(ctx, "prom_query", {"query": "kube_deployment_status_replicas_available"})
    assert result.ok, result.error
    assert result.text.splitlines()[:2] == [
        "PromQL: kube_deployment_status_replicas_available",
        "evaluated at 2026-11-20T09:30:00Z: 2 series",
    ]
    assert (
        'kube_deployment_status_replicas_available{deployment="checkout", namespace="shop"} 1' in result.text
    )
    assert result.data["promql"] == "kube_deployment_status_replicas_available"
    assert {s["labels"]["deployment"]: s["value"] for s in result.data["series"]} == {"checkout": 1, "web": 2}
    [now] = call_tool(ctx, "prom_query", {"query": "time()"}).data["series"]
    assert now["value"] == CAPTURED_AT.timestamp()


def test_range_query_summarizes_and_finds_the_jump_while_data_keeps_the_points(ctx):
    result = call_tool(
        ctx,
        "prom_query_range",
        {"query": 'container_memory_working_set_bytes{namespace="shop"}', "window": "2h"},
    )
    assert result.ok, result.error
    assert "window 2h ending 2026-11-20T09:30:00Z, step 1m: 2 series" in result.text
    checkout = _only(result, pod=CHECKOUT_POD)
    assert len(checkout["points"]) == 121
    assert checkout["points"][-1] == [CAPTURED_AT.timestamp(), 500.0 * 2**20]
    [jump] = checkout["change_points"]
    assert jump["at"] == CHANGE
    assert jump["delta"] == pytest.approx(300 * 2**20)
    assert checkout["summary"]["trend"] == "rising"
    first_line = result.text.splitlines()[2]
    assert CHECKOUT_POD in first_line and "jumped 210M → 524M (+315M) at 2026-11-20T08:45:00Z" in first_line
    web = _only(result, pod="web-5c8d7f9b4-abcde")
    assert web["change_points"] == [] and web["summary"]["trend"] == "flat"


def test_range_step_follows_the_window(ctx):
    short = call_tool(ctx, "prom_query_range", {"query": "up", "window": "15m"})
    assert short.data["step_s"] == 10 and len(short.data["series"][0]["points"]) == 91
    explicit = call_tool(ctx, "prom_query_range", {"query": "up", "window": "1h", "step": "5m"})
    assert explicit.data["step_s"] == 300 and len(explicit.data["series"][0]["points"]) == 13


def test_bad_window_and_bad_promql_are_clear_tool_errors(ctx):
    bad_window = call_tool(ctx, "prom_query_range", {"query": "up", "window": "an hour"})
    assert bad_window.error == "window: 'an hour' is not a duration like 30m, 1h, 6h or 1h30m"
    bad_query = call_tool(ctx, "prom_query", {"query": "sum(rate(up[5m])"})
    assert bad_query.error.startswith("Prometheus rejected query 'sum(rate(up[5m])': invalid parameter")
    assert "(HTTP 400)" in bad_query.error
    tiny_step = call_tool(ctx, "prom_query_range", {"query": "up", "window": "7d", "step": "1s"})
    assert "more than 11,000 points" in tiny_step.error


def test_many_series_are_cut_to_the_budget_with_a_hint(local_prom):
    access = local_prom.access()
    small = ToolContext(settings=Settings(tool_output_tokens=250), prometheus=access, fixed_now=CAPTURED_AT)
    result = call_tool(small, "prom_query_range", {"query": '{__name__=~"kube_.+"}'})
    assert result.ok and result.truncated
    assert result.text.splitlines()[-1].endswith("more series not shown; narrow with label filters")
    assert count_tokens(result.text) <= 250
    assert len(result.data["series"]) == result.data["series_total"] > 10


def test_metric_discovery_by_pattern_and_by_name(ctx):
    names = call_tool(ctx, "prom_metrics", {"pattern": "^kube_deployment"})
    assert names.data["names"] == [
        "kube_deployment_spec_replicas",
        "kube_deployment_status_replicas_available",
    ]
    assert names.text.startswith("2 metric names matching /^kube_deployment/")
    labels = call_tool(ctx, "prom_metrics", {"metric": "kube_node_status_condition"})
    assert labels.data["labels"]["condition"] == ["MemoryPressure", "Ready"]
    assert "node (2): worker-1, worker-2" in labels.text
    typo = call_tool(ctx, "prom_metrics", {"metric": "kube_deployment_spec_replica"})
    assert "similar names: kube_deployment_spec_replicas" in typo.text
    assert call_tool(ctx, "prom_metrics", {"pattern": "(["}).error.startswith(
        "pattern: '([' is not a pattern kubewhy runs"
    )
    assert "metric" in call_tool(ctx, "prom_metrics", {"metric": "no such{metric}"}).error


def test_alerts_come_from_the_recorded_alerts_series_in_a_snapshot(ctx):
    result = call_tool(ctx, "prom_alerts", {})
    assert result.ok, result.error
    assert result.text.startswith("1 firing, 0 pending alerts (ALERTS series at 2026-11-20T09:30:00Z)")
    assert "firing KubePodCrashLooping" in result.text and CHECKOUT_POD in result.text
    assert "no rules are loaded" in result.text
    assert result.data["promql"] == "ALERTS"
    [alert] = result.data["alerts"]
    assert alert["labels"]["severity"] == "warning"


def test_targets_come_from_the_recorded_up_series_in_a_snapshot(ctx):
    result = call_tool(ctx, "prom_targets", {})
    assert result.ok, result.error
    assert result.text.splitlines()[0].startswith("2 targets in 2 jobs, 1 not up (recorded `up` series")
    assert "job node-exporter: 0/1 up" in result.text
    assert "down node-exporter worker-2" in result.text
    one_job = call_tool(ctx, "prom_targets", {"job": "kube-state-metrics"})
    assert [t["health"] for t in one_job.data["targets"]] == ["up"]


def _check(ctx, name, **filters):
    result = call_tool(ctx, "prom_check", {"check": name, **filters})
    assert result.ok, result.error
    assert f"PromQL: {result.data['promql']}" in result.text
    return result


def test_restarts(ctx):
    result = _check(ctx, "restarts", namespace="shop")
    checkout = _only(result, pod=CHECKOUT_POD)
    assert checkout["summary"]["last"] == 10 and checkout["summary"]["trend"] == "rising"
    assert _series(result, pod="web-5c8d7f9b4-abcde") == []  # never restarted in the window
    assert "present since 2026-11-20T08:45:00Z" in result.text


def test_oom_kills_and_terminated_reasons(ctx):
    oom = _check(ctx, "oom_kills", workload="checkout")
    assert _only(oom, reason="OOMKilled")["labels"]["pod"] == CHECKOUT_POD
    terminated = _check(ctx, "container_terminated_reasons", namespace="shop")
    assert {s["labels"]["reason"] for s in terminated.data["series"]} == {"OOMKilled", "Completed"}


def test_memory_vs_limit_shows_the_jump_to_the_limit(ctx):
    result = _check(ctx, "memory_vs_limit", workload="checkout")
    checkout = _only(result, pod=CHECKOUT_POD)
    assert checkout["summary"]["last"] == pytest.approx(500 / 512)
    assert checkout["change_points"][0]["at"] == CHANGE
    assert "last 97.7%" in result.text and "note: OOM kills happen at 100%" in result.text
    assert len(result.data["series"]) == 1  # the workload filter kept web out


def test_cpu_vs_request_and_limit(ctx):
    result = _check(ctx, "cpu_vs_request_limit", pod=CHECKOUT_POD)
    assert _only(result, vs="request")["summary"]["last"] == pytest.approx(0.48 / 0.25)
    assert _only(result, vs="limit")["summary"]["last"] == pytest.approx(0.48 / 0.5)


def test_cpu_throttling_uses_the_mixin_ratio(ctx):
    result = _check(ctx, "cpu_throttling", namespace="shop")
    assert "container_cpu_cfs_throttled_periods_total" in result.data["promql"]
    assert _only(result, pod=CHECKOUT_POD)["summary"]["last"] == pytest.approx(0.6)
    assert _only(result, pod="web-5c8d7f9b4-abcde")["summary"]["last"] == 0
    assert "fires above 25%" in result.text


def test_waiting_reasons(ctx):
    result = _check(ctx, "container_waiting_reasons", namespace="shop")
    assert _only(result, reason="CrashLoopBackOff")["labels"]["pod"] == CHECKOUT_POD


def test_deployment_replicas_desired_vs_available(ctx):
    everything = _check(ctx, "deployment_replicas", namespace="shop")
    pairs = [(s["labels"]["deployment"], s["labels"]["state"]) for s in everything.data["series"]]
    assert pairs == [
        ("checkout", "available"),
        ("checkout", "desired"),
        ("web", "available"),
        ("web", "desired"),
    ]
    result = _check(ctx, "deployment_replicas", namespace="shop", workload="checkout")
    assert _only(result, state="desired")["summary"]["last"] == 3
    available = _only(result, state="available")
    assert available["summary"]["last"] == 1 and available["change_points"][0]["delta"] == -2


def test_node_conditions_and_pressure(ctx):
    conditions = _check(ctx, "node_conditions", namespace="shop")
    assert _only(conditions, condition="MemoryPressure")["labels"]["node"] == "worker-2"
    assert "ignored filter: namespace" in conditions.text
    assert conditions.data["ignored_filters"] == ["namespace"]
    pressure = _check(ctx, "node_pressure", node="worker-2")
    memory = _only(pressure, resource="memory")
    assert memory["summary"]["last"] == pytest.approx(1 - 0.3 / 8)
    assert memory["change_points"][0]["at"] == NODE_TROUBLE
    everything = _check(ctx, "node_pressure")
    assert {s["labels"]["resource"] for s in everything.data["series"]} == {
        "memory",
        "filesystem",
        "conntrack",
    }


def test_pvc_usage_and_hpa(ctx):
    pvc = _check(ctx, "pvc_usage", namespace="data")
    assert _only(pvc, persistentvolumeclaim="data-postgres-0")["summary"]["last"] == pytest.approx(0.95)
    hpa = _check(ctx, "hpa_replicas", workload="web")
    assert _only(hpa, state="current")["summary"]["last"] == _only(hpa, state="max")["summary"]["last"] == 5


def test_coredns_rcodes_and_latency(ctx):
    rcodes = _check(ctx, "coredns_rcodes")
    assert _only(rcodes, rcode="NXDOMAIN")["summary"]["last"] == pytest.approx(5)
    latency = _check(ctx, "coredns_latency")
    assert {s["labels"]["quantile"] for s in latency.data["series"]} == {"0.5", "0.99"}
    assert all(s["summary"]["last"] < 0.1 for s in latency.data["series"])


def test_hubble_drops(ctx):
    result = _check(ctx, "hubble_drops")
    drops = _only(result, reason="POLICY_DENIED")
    assert drops["summary"]["last"] == pytest.approx(2)
    assert "present since 2026-11-20T09:00:30Z" in result.text


def test_http_rate_errors_and_latency(ctx):
    rate = _check(ctx, "http_request_rate", namespace="shop")
    assert _only(rate, job="checkout")["summary"]["last"] == pytest.approx(50)
    errors = _check(ctx, "http_error_ratio", workload="checkout")
    ratio = _only(errors, job="checkout")
    assert ratio["summary"]["last"] == pytest.approx(0.4)
    assert datetime.fromtimestamp(ratio["change_points"][0]["at"]) >= datetime.fromtimestamp(CHANGE)
    latency = _check(ctx, "http_latency_quantiles", namespace="shop")
    p50 = _only(latency, quantile="0.5")
    assert p50["summary"]["first"] < 0.01 < p50["summary"]["last"]


def test_every_check_runs_without_filters(ctx):
    for name in CHECKS:
        result = _check(ctx, name)
        assert result.data["status"] == "ok", (name, result.text)


def test_a_healthy_empty_result_says_what_it_means(ctx):
    result = _check(ctx, "oom_kills", pod="web-5c8d7f9b4-abcde")
    assert result.data["status"] == "empty"
    assert result.text.splitlines()[-1] == (
        "no container's last termination was OOMKilled in the last 1h (the series exist)"
    )


def test_filters_matching_nothing_say_so(ctx):
    result = _check(ctx, "container_waiting_reasons", namespace="payments")
    assert result.data["status"] == "no_match"
    assert "no series for kube_pod_container_status_waiting_reason{namespace=`payments`}" in result.text
    assert "nothing matches the filters" in result.text


def test_check_arguments_are_validated(ctx):
    unknown = call_tool(ctx, "prom_check", {"check": "disk_iops"})
    assert unknown.error.startswith("invalid arguments for prom_check: check:")
    assert "restarts" in unknown.error
    bad_name = call_tool(ctx, "prom_check", {"check": "restarts", "namespace": 'shop"} or vector(1)'})
    assert bad_name.error.startswith("invalid arguments for prom_check: namespace:")
