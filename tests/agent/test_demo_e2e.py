"""End to end: a scripted model investigates the bundled demo cluster; its tool calls really run against
the snapshot API server, the snapshot's flow files and a real Prometheus over the snapshot's metrics."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.agent.loop import run_agent
from tests.agent.conftest import settings_for, start
from tests.agent.scripted_server import Failure, Reply, Request
from tools.contracts.diagnosis import Category
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext
from tools.flows.connect import open_flow_source
from tools.kubernetes.connect import open_kube, tool_context
from tools.prometheus.local import start_local_prometheus
from tools.snapshot.server import SnapshotServer

pytestmark = pytest.mark.prometheus

DEMO = Path(__file__).resolve().parents[2] / "app" / "demo" / "shop"
QUESTION = "Why are customers' orders failing at checkout?"


@dataclasses.dataclass
class Demo:
    ctx: ToolContext
    snapshot_server: SnapshotServer


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    settings = Settings()
    with open_kube(settings, snapshot=DEMO) as connection:
        server = connection.snapshot_server
        with start_local_prometheus(server.snapshot.metrics_files, connection.fixed_now) as prometheus:
            access = prometheus.access(timeout_s=15)
            flows = open_flow_source(settings, server.snapshot.flow_files)
            yield Demo(tool_context(settings, connection, prometheus=access, flows=flows), server)
            access.close()


def tool_result(request: Request, tool: str) -> tuple[str, str]:
    """(evidence id, text) of the first result of ``tool`` the model was sent."""
    for message in request.tool_messages():
        match = re.match(rf"^\[(e\d+)\] {tool}\n", message["content"])
        if match:
            return match.group(1), message["content"]
    raise AssertionError(f"the model was never sent a {tool} result")


def line_with(text: str, needle: str) -> str:
    return next(line.strip() for line in text.splitlines() if needle in line)


def investigator(body: dict) -> Reply:
    """Look broadly, follow the flow tool's own hint, then answer quoting what the tools printed."""
    request = Request("/v1/chat/completions", {}, body)
    done = len(request.tool_messages())
    if done == 0:
        return Reply(
            tool_calls=[
                ("k8s_overview", {"namespace": "shop"}),
                ("flows_drops", {"namespace": "shop"}),
                ("prom_check", {"check": "http_error_ratio", "namespace": "shop"}),
                ("health_checks", {"question": QUESTION}),
            ]
        )
    drops_id, drops = tool_result(request, "flows_drops")
    if done == 4:
        assert "flows_policy" in drops  # the hint the model follows
        return Reply(tool_calls=[("flows_policy", {"namespace": "shop"})])
    policy_id, policy = tool_result(request, "flows_policy")
    answer = {
        "summary": "Checkout cannot reach postgres: NetworkPolicy postgres-allow-catalog drops it.",
        "findings": [
            {
                "title": "NetworkPolicy data/postgres-allow-catalog drops checkout -> postgres",
                "category": "NetworkPolicyBlocked",
                "resource": {"kind": "NetworkPolicy", "namespace": "data", "name": "postgres-allow-catalog"},
                "confidence": 0.9,
                "explanation": "Only catalog may reach postgres on 5432; checkout's connections are dropped.",
                "evidence": [policy_id, drops_id],
            }
        ],
        "evidence": [
            {"id": policy_id, "excerpt": line_with(policy, "Dropped by NetworkPolicy")},
            {"id": drops_id, "excerpt": line_with(drops, "shop/checkout -> data/postgres:5432")},
        ],
        "next_steps": [{"description": "Allow app=checkout in the policy's ingress rules"}],
    }
    return Reply(tool_calls=[("final_answer", answer)])


@pytest.mark.parametrize("stream", [False, True])
def test_a_demo_question_is_answered_from_real_tool_output(scripted, demo, stream):
    server = start(scripted, investigator)
    seen_before = len(demo.snapshot_server.requests)
    ctx = dataclasses.replace(demo.ctx, settings=settings_for(server))
    diagnosis = run_agent(ctx, QUESTION, stream=stream)

    assert diagnosis.contract_problems() == []
    assert diagnosis.cluster == "shop-prod" and diagnosis.answered_at == "2026-11-20T09:30:00Z"
    [finding] = diagnosis.findings
    assert finding.category is Category.NetworkPolicyBlocked
    assert (finding.resource.kind, finding.resource.namespace, finding.resource.name) == (
        "NetworkPolicy",
        "data",
        "postgres-allow-catalog",
    )
    assert finding.confidence == 0.9  # every quote was verbatim tool output
    assert [e.tool for e in diagnosis.evidence] == ["flows_policy", "flows_drops"]
    assert diagnosis.evidence[0].excerpt.startswith("Dropped by NetworkPolicy data/postgres-allow-catalog")
    assert diagnosis.stats.tool_calls == 5

    # the Kubernetes tool really went to the snapshot API server, read-only
    new_requests = demo.snapshot_server.requests[seen_before:]
    assert new_requests and {r.method for r in new_requests} == {"GET"}
    # Prometheus really answered the PromQL check
    _, prom = tool_result(server.requests[1], "prom_check")
    assert "PromQL:" in prom and "error:" not in prom
    _, overview = tool_result(server.requests[1], "k8s_overview")
    assert "Overview of namespace shop at 2026-11-20T09:30:00Z" in overview
    # the diagnostician's checks, run as one tool, point at the same culprit
    _, checks = tool_result(server.requests[1], "health_checks")
    assert (
        "1. [NetworkPolicyBlocked]" in checks and "fix: NetworkPolicy data/postgres-allow-catalog" in checks
    )


def test_when_the_model_fails_the_diagnostician_answers_and_says_so(scripted, demo):
    server = start(scripted, [Failure(500, "model backend down", headers={})])
    ctx = dataclasses.replace(demo.ctx, settings=settings_for(server))
    diagnosis = run_agent(ctx, QUESTION)

    assert diagnosis.contract_problems() == []
    assert diagnosis.summary.startswith(
        "[Fallback: the model's answer could not be used (the model call failed: "
    )
    assert "HTTP 500: model backend down" in diagnosis.summary
    assert diagnosis.engine == "llm:scripted-model"
    top = diagnosis.findings[0]
    assert (top.category, top.resource.name) == (Category.NetworkPolicyBlocked, "postgres-allow-catalog")
    assert diagnosis.stats.tool_calls > 0  # the diagnostician's own reads
