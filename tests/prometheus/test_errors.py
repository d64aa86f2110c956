"""Prometheus missing, down, slow or without an exporter: clear tool errors, never an exception."""

from __future__ import annotations

import socket

import pytest

from app.toolset import call_tool
from devkit.om_fixture import CAPTURED_AT, write_openmetrics
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext
from tools.prometheus.client import PrometheusAccess
from tools.prometheus.local import start_local_prometheus

pytestmark = pytest.mark.prometheus

TOOL_CALLS = [
    ("prom_query", {"query": "up"}),
    ("prom_query_range", {"query": "up"}),
    ("prom_metrics", {"pattern": "kube"}),
    ("prom_alerts", {}),
    ("prom_targets", {}),
    ("prom_check", {"check": "restarts"}),
]


def _ctx(access: PrometheusAccess | None) -> ToolContext:
    return ToolContext(settings=Settings(), prometheus=access, fixed_now=CAPTURED_AT)


@pytest.mark.parametrize(("name", "args"), TOOL_CALLS)
def test_no_prometheus_configured(name, args):
    result = call_tool(_ctx(None), name, args)
    assert result.error.startswith("Prometheus not configured: set KUBEWHY_PROMETHEUS_URL")


def test_a_stopped_prometheus_is_a_clear_error_for_every_tool(tmp_path):
    metrics = write_openmetrics(tmp_path / "m.om", only={"up"})
    with start_local_prometheus([metrics], CAPTURED_AT) as server:
        access = server.access(timeout_s=2)
        assert call_tool(_ctx(access), "prom_query", {"query": "up"}).ok
    for name, args in TOOL_CALLS:
        result = call_tool(_ctx(access), name, args)
        assert result.error == f"Prometheus at {server.url} is not reachable (connection failed)", name
        assert result.text == f"error: {result.error}"
    assert not access.ready()


def test_a_prometheus_that_does_not_answer_times_out_clearly():
    with socket.socket() as hung:  # accepts connections (backlog) and never answers
        hung.bind(("127.0.0.1", 0))
        hung.listen(8)
        url = f"http://127.0.0.1:{hung.getsockname()[1]}"
        result = call_tool(_ctx(PrometheusAccess(url, timeout_s=0.3)), "prom_query", {"query": "up"})
    assert result.error == (
        f"Prometheus at {url} did not answer query 'up' within 0.3s; "
        "narrow the query (label filters, shorter window) or try again"
    )


def test_an_unavailable_source_is_reported_by_the_registry():
    ctx = _ctx(None)
    ctx.unavailable["prometheus"] = "prometheus and promtool not found on PATH; install them ..."
    result = call_tool(ctx, "prom_check", {"check": "restarts"})
    assert result.error.startswith("prometheus is unavailable: prometheus and promtool not found")


@pytest.fixture(scope="module")
def without_exporters(tmp_path_factory):
    """A cluster where Hubble and CoreDNS metrics are not scraped."""
    path = tmp_path_factory.mktemp("m") / "m.om"
    excluded = {
        "hubble_drop_total",
        "coredns_dns_responses_total",
        "coredns_dns_request_duration_seconds_bucket",
    }
    with start_local_prometheus([write_openmetrics(path, exclude=excluded)], CAPTURED_AT) as server:
        yield server


def test_a_check_whose_exporter_is_not_scraped_says_so(without_exporters):
    ctx = _ctx(without_exporters.access())
    drops = call_tool(ctx, "prom_check", {"check": "hubble_drops"})
    assert drops.ok and drops.data["status"] == "no_series"
    assert drops.text.splitlines()[-1] == (
        "no series for hubble_drop_total: is Hubble metrics (cilium-agent with hubble.metrics enabled) "
        "scraped?"
    )
    assert drops.data["series"] == [] and "hubble_drop_total" in drops.data["promql"]
    dns = call_tool(ctx, "prom_check", {"check": "coredns_rcodes"})
    assert "no series for coredns_dns_responses_total: is CoreDNS scraped?" in dns.text
    still_there = call_tool(ctx, "prom_check", {"check": "restarts"})
    assert still_there.data["status"] == "ok"
