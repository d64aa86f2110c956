"""End to end: a LangChain agent gets its tools from `kubewhy mcp` through langchain-mcp-adapters, its
model is the scripted OpenAI-compatible server (through langchain-openai's ChatOpenAI), it investigates
the demo, and every evidence id its answer cites exists on the server with the lines it quotes."""

from __future__ import annotations

import json
import re
import sys

import anyio
import pytest
from langchain.agents import create_agent
from langchain_mcp_adapters.client import MultiServerMCPClient
from langchain_mcp_adapters.tools import load_mcp_tools
from langchain_openai import ChatOpenAI

from tests.agent.scripted_server import Reply, Request, ScriptedModel
from tests.mcp.mcp_scenario import CHECKOUT
from tests.mcp.mcp_support import DEMO, ROOT, server_env

pytestmark = pytest.mark.prometheus

CITED = re.compile(r"\[(e\d+)\]")


def content_text(message: dict) -> str:
    content = message.get("content") or ""
    if isinstance(content, list):
        return "\n".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content


def result_of(request: Request, tool: str) -> tuple[str, str]:
    """(evidence id, text) of the result of ``tool`` the model was sent, found by its evidence header."""
    for message in request.tool_messages():
        text = content_text(message)
        match = re.match(rf"^\[(e\d+)\] {tool} ", text)
        if match:
            return match.group(1), text
    raise AssertionError(f"the model was never sent a {tool} result")


def line_with(text: str, needle: str) -> str:
    return next(line.strip() for line in text.splitlines() if needle in line)


def investigator(body: dict) -> Reply:
    """Ask the diagnostician, look at the drops, follow the policy hint, answer citing what it read."""
    request = Request("/v1/chat/completions", {}, body)
    done = len(request.tool_messages())
    if done == 0:
        return Reply(
            tool_calls=[
                ("diagnose", {"question": CHECKOUT}),
                ("flows_drops", {"namespace": "shop"}),
                ("k8s_overview", {"namespace": "shop"}),
            ]
        )
    drops_id, drops = result_of(request, "flows_drops")
    if done == 3:
        assert "flows_policy" in drops  # the hint the model follows
        return Reply(tool_calls=[("flows_policy", {"namespace": "data"})])
    policy_id, policy = result_of(request, "flows_policy")
    answer = (
        "NetworkPolicy data/postgres-allow-catalog drops checkout's connections to postgres.\n"
        f"[{policy_id}] {line_with(policy, 'postgres-allow-catalog')}\n"
        f"[{drops_id}] {line_with(drops, 'shop/checkout -> data/postgres:5432')}"
    )
    return Reply(content=answer)


def test_a_langchain_agent_investigates_the_demo_through_kubewhy_mcp(home):
    model_server = ScriptedModel(investigator)
    connection = {
        "transport": "stdio",
        "command": sys.executable,
        "args": ["-m", "app.cli", "mcp", "--snapshot", str(DEMO)],
        "env": server_env(home),
        "cwd": str(ROOT),
    }
    client = MultiServerMCPClient({"kubewhy": connection})
    outcome: dict = {}

    async def run() -> None:
        async with client.session("kubewhy") as session:
            tools = await load_mcp_tools(session)
            model = ChatOpenAI(
                model=model_server.model, base_url=model_server.base_url, api_key="sk-test", max_retries=0
            )
            agent = create_agent(model, tools)
            state = await agent.ainvoke({"messages": [("user", CHECKOUT)]})
            outcome["answer"] = state["messages"][-1].content
            outcome["evidence"] = {}
            for evidence_id in CITED.findall(outcome["answer"]):
                read = await session.read_resource(f"kubewhy://shop-prod/evidence/{evidence_id}")
                outcome["evidence"][evidence_id] = json.loads(read.contents[0].text)  # type: ignore[union-attr]

    try:
        anyio.run(run)
    finally:
        model_server.stop()

    offered = model_server.requests[0].tool_names
    assert {"diagnose", "run_runbook", "flows_drops", "k8s_get"} <= set(offered)
    first = model_server.requests[0].body["tools"]
    diagnose = next(t for t in first if t["function"]["name"] == "diagnose")
    assert diagnose["function"]["parameters"]["required"] == ["question"]  # the schema as published

    # the diagnostician answered inside the agent's run, naming the culprit
    diagnosis = content_text(model_server.requests[1].tool_messages()[0])
    assert "NetworkPolicy data/postgres-allow-catalog" in diagnosis

    cited = CITED.findall(outcome["answer"])
    assert len(cited) == 2 and set(cited) == set(outcome["evidence"])
    for line in outcome["answer"].splitlines()[1:]:
        evidence_id, quoted = re.match(r"^\[(e\d+)\] (.*)$", line).groups()  # type: ignore[union-attr]
        recorded = outcome["evidence"][evidence_id]
        assert recorded["tool"] in ("flows_policy", "flows_drops")
        assert quoted in recorded["text"]  # what the agent quotes is what the tool returned
