"""What a question costs: only the tools that can be used, a prompt prefix the provider can cache across
the questions of a session, cached tokens and money in the stats, lines already read sent once. Through
the real openai client against the scripted server, which emulates automatic prompt caching."""

from __future__ import annotations

import pytest

from app.agent.loop import run_agent
from app.agent.memory import Conversation
from app.toolset import all_tools, offered_tools, reachable_names
from tools.contracts.pricing import DEFAULT_PRICES, ModelPrice, price_for
from tools.contracts.settings import Settings
from tools.contracts.tool import ToolContext

from .conftest import NOW, PODS_TOOL, settings_for
from .scripted_server import Reply, ScriptedModel
from .test_loop import final


def context(settings: Settings, **unavailable: str) -> ToolContext:
    return ToolContext(settings=settings, cluster_name="shop-prod", fixed_now=NOW, unavailable=unavailable)


@pytest.fixture
def caching_model():
    servers: list[ScriptedModel] = []

    def start(steps) -> ScriptedModel:
        server = ScriptedModel(steps, prompt_cache=True)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def test_tools_of_sources_that_are_not_connected_are_not_offered(scripted, pods_tool, caching_model):
    server = caching_model([final()])
    settings = settings_for(server)
    ctx = context(settings, prometheus="KUBEWHY_PROMETHEUS_URL is not set", flows="no Hubble")
    run_agent(ctx, "why is checkout failing?")

    [request] = server.requests
    assert set(request.tool_names) == {"k8s", "health_checks", PODS_TOOL, "final_answer"}
    offered, withheld = offered_tools(ctx)
    reached = set().union(*(reachable_names(spec) for spec in offered))
    assert reached | set(withheld) == {spec.name for spec in all_tools()}  # every tool: offered or said why
    assert not reached & set(withheld)
    assert {"k8s_list", "k8s_logs"} <= reached
    assert not {name for name in reached if name.startswith(("prom_", "flows_"))}
    assert withheld["prom_query"] == "prometheus is not connected: KUBEWHY_PROMETHEUS_URL is not set"
    assert withheld["flows_drops"] == "flows is not connected: no Hubble"


def test_a_family_offers_only_the_ops_whose_source_is_connected(caching_model):
    server = caching_model([final()])
    ctx = context(settings_for(server), logs="the snapshot has no logs/")
    run_agent(ctx, "why is checkout failing?")

    [request] = server.requests
    k8s = next(tool for tool in request.body["tools"] if tool["function"]["name"] == "k8s")
    ops = k8s["function"]["parameters"]["properties"]["op"]["enum"]
    assert "logs" not in ops and {"list", "describe", "events"} <= set(ops)
    assert "logs:" not in k8s["function"]["description"]
    assert "previous" not in k8s["function"]["parameters"]["properties"]  # k8s_logs' own parameter
    _, withheld = offered_tools(ctx)
    assert withheld == {"k8s_logs": "logs is not connected: the snapshot has no logs/"}


def test_two_questions_share_one_cacheable_prefix_and_report_cached_tokens_and_cost(pods_tool, caching_model):
    steps = [Reply(tool_calls=[(PODS_TOOL, {"namespace": "shop"})]), final()] * 2
    server = caching_model(steps)
    settings = settings_for(server, model="gpt-4o-mini")
    memory = Conversation()
    first = run_agent(context(settings), "why is checkout failing?", memory=memory)
    second = run_agent(context(settings), "and what about web?", memory=memory)

    requests = server.requests
    assert len(requests) == 4
    systems = {request.messages[0]["content"] for request in requests}
    tool_lists = {repr(request.body["tools"]) for request in requests}
    assert len(systems) == 1 and len(tool_lists) == 1  # byte-identical system prompt and tools
    assert all(r.messages[0]["role"] == "system" for r in requests)
    assert "checkout" not in next(iter(systems)) and "2026" not in next(iter(systems))
    assert "web" in requests[2].messages[-1]["content"]  # the question is in the user message

    for diagnosis in (first, second):
        stats = diagnosis.stats
        assert 0 < stats.cached_input_tokens < stats.input_tokens
        price = DEFAULT_PRICES["gpt-4o-mini"]
        expected = price.cost_usd(stats.input_tokens, stats.cached_input_tokens, stats.output_tokens)
        assert stats.cost_usd == pytest.approx(expected, abs=1e-6)
    assert second.stats.cached_input_tokens > first.stats.cached_input_tokens  # the first question is cached
    totals = memory.totals
    assert totals.cached_input_tokens == first.stats.cached_input_tokens + second.stats.cached_input_tokens
    assert totals.cost_usd == pytest.approx(first.stats.cost_usd + second.stats.cost_usd, abs=1e-6)


def test_a_model_without_a_price_has_no_cost(scripted, pods_tool, caching_model):
    server = caching_model([final()])
    diagnosis = run_agent(context(settings_for(server)), "why is checkout failing?")
    assert diagnosis.stats.input_tokens > 0 and diagnosis.stats.cost_usd is None  # "scripted-model"


def test_lines_already_read_are_sent_once_with_a_reference(pods_tool, caching_model):
    steps = [
        Reply(tool_calls=[(PODS_TOOL, {"namespace": "shop"})]),
        Reply(tool_calls=[(PODS_TOOL, {"namespace": "shop", "limit": 5})]),
        Reply(tool_calls=[(PODS_TOOL, {"namespace": "shop"})]),
        final(evidence="e2"),
    ]
    server = caching_model(steps)
    diagnosis = run_agent(context(settings_for(server)), "why is checkout failing?")

    assert pods_tool.runs == 2  # the same call again is not run
    first, second, third = server.requests[-1].tool_messages()
    assert "CrashLoopBackOff" in first["content"]
    assert "CrashLoopBackOff" not in second["content"]
    assert "(2 lines as already shown in e1)" in second["content"]
    assert third["content"].startswith("[e1] same call as before")
    [evidence] = diagnosis.evidence  # a quote of a folded line still verifies against the full record
    assert evidence.id == "e2" and "CrashLoopBackOff" in evidence.excerpt
    assert diagnosis.findings[0].confidence == 0.9


def test_price_table_defaults_prefixes_and_overrides(monkeypatch):
    assert price_for("gpt-4o-2024-08-06") == DEFAULT_PRICES["gpt-4o"]
    assert price_for("gpt-4o-mini-2024-07-18") == DEFAULT_PRICES["gpt-4o-mini"]
    assert price_for("llama3.1:8b") is None
    monkeypatch.setenv("KUBEWHY_PRICES", '{"Shop-GPT4o": {"input": 3, "cached_input": 1, "output": 12}}')
    settings = Settings.load()
    price = price_for("shop-gpt4o", settings.prices)
    assert price == ModelPrice(input=3, cached_input=1, output=12)
    assert price.cost_usd(1_000_000, 400_000, 100_000) == pytest.approx(0.6 * 3 + 0.4 * 1 + 0.1 * 12)
    assert ModelPrice(input=2, output=8).cost_usd(1000, 1000, 0) == pytest.approx(0.002)  # no discount
