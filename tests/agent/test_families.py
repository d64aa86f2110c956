"""Tool families: the agent is offered ``k8s``, ``prom`` and ``flows`` with an ``op`` in place of their
members. A family's call runs its member and is recorded under the member's name, a repeated call is a
reference to the earlier result whichever name it used, and the family's schema is the members' own
parameters without the noise. Through the real openai client, on the demo snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.agent.events import describe_call
from app.agent.loop import run_agent
from app.agent.schemas import tool_schema
from app.toolset import FAMILIES, all_tools, call_tool, route_call
from tools.contracts.evidence import Ledger
from tools.contracts.settings import Settings
from tools.kubernetes.connect import open_kube, tool_context
from tools.prometheus import tools as prometheus_tools
from tools.prometheus.queries import CHECKS

from .conftest import settings_for
from .scripted_server import Reply, ScriptedModel

DEMO = Path(__file__).resolve().parents[2] / "app" / "demo" / "shop"
LIST_PODS = {"op": "list", "kind": "pods", "namespace": "shop"}


@pytest.fixture
def model():
    servers: list[ScriptedModel] = []

    def start(steps) -> ScriptedModel:
        server = ScriptedModel(steps)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def answer(evidence: str, excerpt: str) -> Reply:
    return Reply(
        tool_calls=[
            (
                "final_answer",
                {
                    "summary": "payments crashes on start.",
                    "findings": [
                        {
                            "title": "payments restarts",
                            "category": "AppCrash",
                            "resource": {"kind": "Deployment", "namespace": "shop", "name": "payments"},
                            "confidence": 0.8,
                            "explanation": "Its new pod restarts.",
                            "evidence": [evidence],
                        }
                    ],
                    "evidence": [{"id": evidence, "excerpt": excerpt}],
                },
            )
        ]
    )


def test_a_family_call_runs_its_member_and_a_repeat_is_a_reference(model):
    steps = [
        Reply(tool_calls=[("k8s", LIST_PODS)]),
        Reply(tool_calls=[("k8s", {**LIST_PODS, "label_selector": "app=payments"})]),
        Reply(tool_calls=[("k8s", LIST_PODS)]),  # the same call again
        Reply(tool_calls=[("k8s_list", {"kind": "pods", "namespace": "shop"})]),  # by the member's name
        answer("e1", "pods in shop: 13 (12 Running, 1 ImagePullBackOff)"),
    ]
    server = model(steps)
    ledger = Ledger()
    with open_kube(Settings(llm="none"), snapshot=DEMO) as connection:
        ctx = tool_context(settings_for(server), connection)
        diagnosis = run_agent(ctx, "why does payments restart?", ledger=ledger)

    assert [entry.result.tool for entry in ledger.entries.values()] == ["k8s_list", "k8s_list"]
    assert ledger.get("e1").args == {"kind": "pods", "namespace": "shop"}  # recorded without op
    first, narrowed, again, by_member = server.requests[-1].tool_messages()
    assert "payments-lm2kvkchd7-d9zdb" in first["content"]
    assert "recommendations" not in narrowed["content"]
    assert again["content"].startswith("[e1] same call as before")
    assert by_member["content"].startswith("[e1] same call as before")
    assert diagnosis.evidence[0].id == "e1" and diagnosis.findings[0].evidence == ["e1"]


def test_an_op_a_family_does_not_have_is_an_error_naming_the_ops():
    with open_kube(Settings(llm="none"), snapshot=DEMO) as connection:
        ctx = tool_context(Settings(llm="none"), connection)
        wrong = call_tool(ctx, "k8s", {"op": "delete", "kind": "Namespace", "name": "shop"})
        missing = call_tool(ctx, "k8s", {"kind": "pods"})
        member_error = call_tool(ctx, "k8s", {"op": "list"})
    assert wrong.error and "op: Input should be 'describe', 'list'" in wrong.error
    assert missing.error and "op: Field required" in missing.error
    assert member_error.error == "invalid arguments for k8s_list: kind: Field required"  # the member checks


def test_family_schemas_are_the_members_parameters_without_noise():
    registered = {spec.name for spec in all_tools()}
    members = [member for family in FAMILIES for _, member in family.members]
    assert len(members) == len({m.name for m in members}) and {m.name for m in members} <= registered
    for family in FAMILIES:
        schema = family.json_schema()
        properties = schema["properties"]
        assert schema["required"] == ["op"]
        assert properties["op"]["enum"] == [op for op, _ in family.members]
        for op, member in family.members:
            assert route_call(family.name, {"op": op, "x": 1}) == (member.name, {"x": 1})
            assert f"{op}: {member.description}" in family.description
            shown = set(member.json_schema()["properties"]) - family.hidden
            assert shown <= set(properties)  # every parameter a model may need, once
        assert family.hidden.isdisjoint(properties)
        offered = tool_schema(family)["function"]["parameters"]["properties"]  # as the model reads it
        assert set(offered) == set(properties)
        assert not {"default", "title", "anyOf"} & {key for prop in offered.values() for key in prop}
    checks = prometheus_tools.FAMILY.json_schema()["properties"]["check"]
    assert checks["enum"] == list(CHECKS)  # an enum, not prose


def test_a_family_call_is_described_as_its_member():
    assert describe_call("k8s", LIST_PODS) == "listing pods in shop"
    assert describe_call("prom", {"op": "check", "check": "restarts"}) == "checking restarts in Prometheus"
    assert describe_call("flows", {"op": "drops"}) == describe_call("flows_drops", {})
