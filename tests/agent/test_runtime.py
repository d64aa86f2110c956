"""What the agent's own middleware adds to LangChain's runtime: calls in the order asked, events in the
caller's thread, the model-call cap ending in the marked fallback."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from pydantic import Field

from app.agent import loop
from app.agent.events import BudgetHit, Fallback, ToolFinished, ToolStarted
from tests.agent.conftest import PODS_TOOL, context_for, settings_for, start
from tests.agent.scripted_server import Reply
from tests.agent.test_loop import ask, final
from tools import registry
from tools.contracts.tool import ToolContext, ToolOutput, ToolParams

SLOW_TOOL = "agenttest_slow"


class SlowParams(ToolParams):
    name: str = Field(..., description="what to read")
    seconds: float = Field(0.0, description="how long it takes")


@pytest.fixture
def slow_tool() -> Iterator[list[str]]:
    """A tool that takes the time it is told to, recording the order calls finish in."""
    finished: list[str] = []

    def agenttest_slow(ctx: ToolContext, params: SlowParams) -> ToolOutput:
        """Read something slowly (test tool)."""
        time.sleep(params.seconds)
        finished.append(params.name)
        return ToolOutput(text=f"read {params.name}", data={})

    registry.tool(SLOW_TOOL, "kubernetes", SlowParams)(agenttest_slow)
    try:
        yield finished
    finally:
        registry._TOOLS.pop(SLOW_TOOL, None)


def test_calls_of_one_reply_get_ids_in_the_order_asked(scripted, slow_tool):
    calls = [(SLOW_TOOL, {"name": "first", "seconds": 0.3}), (SLOW_TOOL, {"name": "second"})]
    calls.append((SLOW_TOOL, {"name": "third"}))
    server = start(scripted, [Reply(tool_calls=calls), final(excerpt="read third", evidence="e3")])
    diagnosis, events = ask(settings_for(server))

    assert slow_tool == ["first", "second", "third"]  # the slow first call was not overtaken
    texts = server.requests[1].last_tool_texts()
    assert [text.splitlines()[0][:4] for text in texts] == ["[e1]", "[e2]", "[e3]"]
    assert texts[2].endswith("read third")
    started = [e.args["name"] for e in events if isinstance(e, ToolStarted)]
    assert started == ["first", "second", "third"]
    assert diagnosis.evidence[0].excerpt == "read third"


def test_events_reach_the_surface_in_its_own_thread(scripted, pods_tool):
    server = start(scripted, [Reply(tool_calls=[(PODS_TOOL, {"namespace": "shop"})]), final()])
    threads: set[int] = set()
    kinds: list[str] = []

    def on_event(event: object) -> None:
        threads.add(threading.get_ident())
        kinds.append(type(event).__name__)

    loop.run_agent(
        context_for(settings_for(server)), "why is checkout failing?", on_event=on_event, stream=True
    )

    assert threads == {threading.get_ident()}  # a page can draw them: they come from the caller's thread
    assert {"Status", "ToolStarted", "ToolFinished", "Final"} <= set(kinds)


def test_the_model_call_cap_ends_in_the_fallback_and_says_so(scripted, pods_tool, monkeypatch):
    monkeypatch.setattr(loop, "model_call_limit", lambda max_tool_calls: 2)

    def new_call_each_time(body):
        step = sum(1 for m in body["messages"] if m["role"] == "tool")
        return Reply(tool_calls=[(PODS_TOOL, {"namespace": f"ns-{step}"})])

    server = start(scripted, new_call_each_time)
    diagnosis, events = ask(settings_for(server))

    assert len(server.requests) == 2
    [hit] = [e for e in events if isinstance(e, BudgetHit)]
    assert hit.budget == "model_calls"
    assert any(isinstance(e, Fallback) for e in events)
    assert diagnosis.summary.startswith(
        "[Fallback: the model's answer could not be used (the model-call budget (2 calls) was used up)"
    )
    assert len([e for e in events if isinstance(e, ToolFinished)]) == 2
