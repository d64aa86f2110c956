"""The page with a model configured: a scripted OpenAI-compatible model (tests/agent/scripted_server.py)
investigates the demo cluster through the real tools; the status follows its tool calls as they happen,
its streamed text shows, and a follow-up reaches the model with the earlier turn."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from app.ui import runtime
from tests.agent.scripted_server import Reply, Request, ScriptedModel
from tests.ui.helpers import answer_parts, contains, plain

pytestmark = pytest.mark.prometheus

FIRST = "Why is the catalog slow?"
FOLLOW_UP = "And is it still happening now?"
NOTE = "Checking the events and the CPU throttling first."


def results(request: Request) -> dict[str, tuple[str, str]]:
    """tool name -> (evidence id, the text the model was sent)."""
    found = {}
    for message in request.tool_messages():
        match = re.match(r"^\[(e\d+)\] (\w+)\n", message["content"])
        if match:
            found[match.group(2)] = (match.group(1), message["content"].split("\n", 1)[1])
    return found


def investigator(body: dict[str, Any]) -> Reply:
    request = Request("/v1/chat/completions", {}, body)
    if not request.tool_messages() or request.messages[-1]["role"] == "user":
        return Reply(
            content=NOTE,
            tool_calls=[
                ("k8s_events", {"namespace": "shop"}),
                ("prom_check", {"check": "cpu_throttling", "namespace": "shop", "workload": "catalog"}),
            ],
        )
    seen = results(request)
    prom_id, prom_text = seen["prom_check"]
    line = next(line for line in prom_text.splitlines() if 'pod="catalog-' in line)
    answer = {
        "summary": "catalog is CPU-throttled by its 200m limit since about 09:00.",
        "findings": [
            {
                "title": "catalog is CPU-throttled",
                "category": "CPUThrottling",
                "resource": {"kind": "Deployment", "namespace": "shop", "name": "catalog"},
                "confidence": 0.8,
                "explanation": "Throttling jumped at 09:00; see the check.",
                "evidence": [prom_id],
            }
        ],
        "evidence": [{"id": prom_id, "excerpt": line}],
        "next_steps": [{"description": "Raise the limit", "command": "kubectl -n shop edit deploy catalog"}],
    }
    return Reply(tool_calls=[("final_answer", answer)])


@pytest.fixture
def model() -> Any:
    server = ScriptedModel(investigator)
    runtime.close_all_sessions()  # the sessions of earlier tests were opened with no model configured
    yield server
    server.stop()
    runtime.close_all_sessions()


def test_the_status_follows_the_model_and_a_follow_up_carries_the_history(page, model):
    at = page(
        KUBEWHY_LLM="openai",
        KUBEWHY_MODEL=model.model,
        OPENAI_BASE_URL=model.base_url,
        OPENAI_API_KEY="sk-test",
        KUBEWHY_MAX_RETRIES="0",
    )
    at.run()
    assert not at.exception
    assert "LLM agent: scripted-model" in [plain(m.value).replace("**", "") for m in at.sidebar.markdown]
    at.chat_input[0].set_value(FIRST).run()
    assert not at.exception

    [status] = at.status
    steps = [plain(m.value) for m in status.markdown]
    assert "- reading events in shop" in steps
    assert "- checking cpu_throttling in Prometheus for catalog in shop" in steps
    assert NOTE in steps  # the model's text, streamed into the status
    answer = at.chat_message[1]
    # the model gave no direct answer: its summary's first sentence is shown first, in bold
    assert plain(answer_parts(answer)[1].markdown[0].value).strip("*").startswith("catalog is CPU-throttled")
    assert contains(answer, "fix: Deployment shop/catalog")
    assert contains(answer, "llm:scripted-model")
    labels = [plain(e.label) for e in answer.expander]
    assert "e1 · k8s_events namespace=shop" in labels  # read, not cited: no star
    cited = [label for label in labels if label.endswith(" — cited by finding 1")]
    throttling = "e2 · prom_check check=cpu_throttling namespace=shop workload=catalog"
    assert cited == [f"{throttling} — cited by finding 1"]
    assert at.get("vega_lite_chart")

    at.chat_input[0].set_value(FOLLOW_UP).run()
    assert not at.exception
    assert [m.name for m in at.chat_message] == ["user", "assistant"] * 2
    last_request = model.requests[-1].body["messages"]
    said = json.dumps(last_request)
    assert FIRST in said and "catalog is CPU-throttled by its 200m limit" in said and FOLLOW_UP in said


def test_a_budget_hit_is_shown_as_an_error_with_the_answer(page, model):
    def greedy(body: dict[str, Any]) -> Reply:
        request = Request("/v1/chat/completions", {}, body)
        if not request.tool_messages():
            return Reply(
                tool_calls=[("k8s_events", {"namespace": "shop"}), ("k8s_events", {"namespace": "data"})]
            )
        return Reply(tool_calls=[("final_answer", {"summary": "Stopped early; nothing conclusive yet."})])

    greedy_model = ScriptedModel(greedy)
    try:
        at = page(
            KUBEWHY_LLM="openai",
            KUBEWHY_MODEL=greedy_model.model,
            OPENAI_BASE_URL=greedy_model.base_url,
            OPENAI_API_KEY="sk-test",
            KUBEWHY_MAX_RETRIES="0",
            KUBEWHY_MAX_TOOL_CALLS="1",
        )
        at.run()
        at.chat_input[0].set_value(FIRST).run()
        assert not at.exception
        answer = at.chat_message[1]
        live, kept = [plain(e.value) for e in answer.error]  # in the status as it happens, then the answer's
        assert kept.startswith("Budget reached (tool_calls): ") and kept.endswith(f"{live}.")
        assert contains(answer, "Stopped early; nothing conclusive yet.")  # the answer is still given
    finally:
        greedy_model.stop()
