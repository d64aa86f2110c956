"""The model misbehaves or the service fails: every run still ends in a valid diagnosis that says why."""

from __future__ import annotations

import time

from app.agent.events import BudgetHit, Fallback, ToolFinished
from app.agent.loop import AgentRun
from prompts import load_prompt
from tests.agent.conftest import PODS_TOOL, context_for, settings_for, start
from tests.agent.scripted_server import Failure, Reply, Slow
from tests.agent.test_loop import CRASH_LINE, ask, final


def test_a_429_is_retried_by_the_client(scripted, pods_tool):
    steps = [Failure(429, "rate limited"), Reply(tool_calls=[(PODS_TOOL, {"namespace": "shop"})]), final()]
    server = start(scripted, steps)
    diagnosis, events = ask(settings_for(server, max_retries=2))

    assert len(server.requests) == 3  # the rate-limited request was sent again
    assert server.requests[0].body == server.requests[1].body
    assert not any(isinstance(e, Fallback) for e in events)
    assert diagnosis.findings[0].evidence == ["e1"]


def test_a_500_that_persists_falls_back_cleanly(scripted, pods_tool):
    server = start(scripted, [Failure(500, "upstream exploded")] * 3)
    diagnosis, events = ask(settings_for(server, max_retries=2))

    assert len(server.requests) == 3  # one call and the client's two retries
    [fallback] = [e for e in events if isinstance(e, Fallback)]
    assert "HTTP 500: upstream exploded" in fallback.reason
    assert diagnosis.summary.startswith(
        "[Fallback: the model's answer could not be used (the model call failed"
    )
    assert diagnosis.stats.output_tokens == 0  # nothing came back from the model
    assert diagnosis.question == "why is checkout failing?"


def test_a_request_timeout_falls_back_without_waiting_for_the_model(scripted, pods_tool):
    server = start(scripted, [Slow(20)])
    started = time.monotonic()
    diagnosis, events = ask(settings_for(server, request_timeout_s=0.5))

    assert time.monotonic() - started < 5
    assert "the request timed out" in diagnosis.summary
    assert any(isinstance(e, Fallback) for e in events)


def test_the_wall_clock_budget_stops_a_slow_investigation(scripted, pods_tool):
    def script(body):
        step = sum(1 for m in body["messages"] if m["role"] == "tool")
        return Slow(0.3, Reply(tool_calls=[(PODS_TOOL, {"namespace": f"ns-{step}"})]))

    server = start(scripted, script)
    started = time.monotonic()
    diagnosis, events = ask(settings_for(server, question_timeout_s=1.0))

    assert time.monotonic() - started < 5
    [hit] = [e for e in events if isinstance(e, BudgetHit)]
    assert hit.budget == "time"
    assert "the time budget (1 s) ran out" in diagnosis.summary
    assert diagnosis.summary.startswith("[Fallback")


def loop_forever(body):
    """A model that would call a new tool forever, but answers once told the budget is spent."""
    last = body["messages"][-1]
    if last["role"] == "user" and "has to stop here" in last["content"]:
        return final()
    step = sum(1 for m in body["messages"] if m["role"] == "tool")
    return Reply(tool_calls=[(PODS_TOOL, {"namespace": f"ns-{step}"})])


def test_the_tool_call_budget_stops_a_loop_and_the_answer_says_so(scripted, pods_tool):
    server = start(scripted, loop_forever)
    diagnosis, events = ask(settings_for(server, max_tool_calls=3))

    assert pods_tool.runs == 3
    [hit] = [e for e in events if isinstance(e, BudgetHit)]
    assert hit.budget == "tool_calls"
    stop_prompt = server.requests[-1].messages[-1]["content"]
    assert stop_prompt == load_prompt("final_answer", budget="the tool-call budget (3 calls) was used up")
    assert diagnosis.summary.endswith(
        "(The investigation stopped early: the tool-call budget (3 calls) was used up.)"
    )
    assert diagnosis.findings[0].evidence == ["e1"]
    assert diagnosis.stats.tool_calls == 3


def test_a_model_that_ignores_the_budget_ends_in_the_fallback(scripted, pods_tool):
    def never_stops(body):
        step = len(body["messages"])
        return Reply(tool_calls=[(PODS_TOOL, {"namespace": f"ns-{step}"})])

    server = start(scripted, never_stops)
    diagnosis, _ = ask(settings_for(server, max_tool_calls=2))

    assert pods_tool.runs == 2
    # two tool steps, the step that hit the budget, the answer after the final prompt, and one retry
    assert len(server.requests) == 5
    assert server.requests[3].messages[-1]["content"].startswith("The investigation has to stop here")
    retry = server.requests[4].messages
    assert retry[-2]["content"].startswith("not run: the tool-call budget (2 calls) was used up")
    assert retry[-1]["content"].startswith("error: the model kept calling tools after the budget ran out")
    assert "the tool-call budget (2 calls) was used up" in diagnosis.summary
    assert diagnosis.summary.startswith("[Fallback")


def test_the_input_token_budget_stops_before_the_conversation_outgrows_it(scripted, pods_tool):
    opening_run = AgentRun(context_for(settings_for(start(scripted, [final()]))), "why is checkout failing?")
    opening_run.run()
    opening = opening_run.budget.peak_prompt_tokens  # system prompt, tool definitions, question
    limit = opening + 600
    server = start(scripted, loop_forever)
    run = AgentRun(
        context_for(settings_for(server, max_input_tokens=limit, max_tool_calls=50, tool_output_tokens=100)),
        "why is checkout failing?",
        on_event=(events := []).append,
    )
    diagnosis = run.run()

    assert diagnosis.contract_problems() == []
    [hit] = [e for e in events if isinstance(e, BudgetHit)]
    assert hit.budget == "input_tokens"
    assert f"input-token budget ({limit:,} tokens per question) would be exceeded" in diagnosis.summary
    assert 1 <= pods_tool.runs <= 6
    assert opening < run.budget.peak_prompt_tokens <= limit  # the final answer step still fitted
    assert diagnosis.findings[0].evidence == ["e1"]


def test_the_same_call_twice_is_answered_from_the_ledger(scripted, pods_tool):
    steps = [
        Reply(tool_calls=[(PODS_TOOL, {"namespace": "shop"})]),
        Reply(
            tool_calls=[(PODS_TOOL, {"namespace": "shop", "limit": 10})]
        ),  # same call: limit is the default
        final(),
    ]
    server = start(scripted, steps)
    diagnosis, events = ask(settings_for(server))

    assert pods_tool.runs == 1
    [again] = server.requests[2].last_tool_texts()
    assert again.startswith("[e1] same call as before")
    assert CRASH_LINE not in again  # the output is not sent twice
    finished = [e for e in events if isinstance(e, ToolFinished)]
    assert [e.duplicate for e in finished] == [False, True]
    assert diagnosis.stats.tool_calls == 1


def test_a_tool_error_reaches_the_model_as_evidence(scripted, pods_tool):
    steps = [
        Reply(tool_calls=[(PODS_TOOL, {"namespace": "down"})]),
        final(excerpt="the API server did not answer"),
    ]
    server = start(scripted, steps)
    diagnosis, _ = ask(settings_for(server))

    [result] = server.requests[1].last_tool_texts()
    assert result == "[e1] agenttest_pods\nerror: the API server did not answer"
    assert diagnosis.evidence[0].excerpt == "the API server did not answer"
