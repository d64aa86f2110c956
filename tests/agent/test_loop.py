"""The agent loop through the real openai client, against a scripted OpenAI-compatible server."""

from __future__ import annotations

import json

import pytest

from app.agent.events import Fallback, Final, Status, TextDelta, ToolFinished, ToolStarted
from app.agent.loop import run_agent
from prompts import load_prompt
from tests.agent.conftest import PODS_TOOL, context_for, settings_for, start
from tests.agent.scripted_server import Reply
from tools.contracts.diagnosis import Category

CRASH_LINE = "checkout-7d9f8c6b5-x2lqp  0/1  CrashLoopBackOff  restarts=7"


def final(evidence: str = "e1", excerpt: str = CRASH_LINE, confidence: float = 0.9, **extra) -> Reply:
    answer = {
        "summary": "checkout crashes on start.",
        "findings": [
            {
                "title": "checkout is in CrashLoopBackOff",
                "category": "AppCrash",
                "resource": {"kind": "Deployment", "namespace": "shop", "name": "checkout"},
                "confidence": confidence,
                "explanation": "The container exits and restarts.",
                "evidence": [evidence],
            }
        ],
        "evidence": [{"id": evidence, "excerpt": excerpt}],
        "next_steps": [{"description": "Read the logs", "command": "kubectl -n shop logs deploy/checkout"}],
    }
    answer.update(extra)
    return Reply(tool_calls=[("final_answer", answer)])


def ask(settings, question: str = "why is checkout failing?", **kwargs):
    events: list = []
    diagnosis = run_agent(context_for(settings), question, on_event=events.append, **kwargs)
    assert diagnosis.contract_problems() == []
    return diagnosis, events


def test_non_streaming_investigation_cites_the_tool_output(scripted, pods_tool):
    server = start(scripted, [Reply(tool_calls=[(PODS_TOOL, {"namespace": "shop"})]), final()])
    diagnosis, events = ask(settings_for(server))

    assert diagnosis.engine == "llm:scripted-model"
    assert diagnosis.cluster == "shop-prod"
    assert diagnosis.answered_at == "2026-11-20T09:30:00Z"
    [finding] = diagnosis.findings
    assert finding.category is Category.AppCrash and finding.confidence == 0.9
    assert finding.evidence == ["e1"]
    [evidence] = diagnosis.evidence
    assert (evidence.id, evidence.tool, evidence.args, evidence.excerpt) == (
        "e1",
        PODS_TOOL,
        {"namespace": "shop"},
        CRASH_LINE,
    )
    assert diagnosis.stats.tool_calls == 1
    assert (diagnosis.stats.input_tokens, diagnosis.stats.output_tokens) == (200, 40)  # the server's usage

    first, second = server.requests
    system = first.messages[0]
    assert system["role"] == "system"
    assert system["content"] == load_prompt("system", categories=[c.value for c in Category])
    assert "Question: why is checkout failing?" in first.messages[1]["content"]
    assert {PODS_TOOL, "health_checks", "final_answer"} <= set(first.tool_names)
    [tool_message] = second.tool_messages()
    assert tool_message["content"].startswith("[e1] agenttest_pods\n")
    assert CRASH_LINE in tool_message["content"]
    assert not first.body.get("stream")

    kinds = [type(e) for e in events]
    assert kinds.index(ToolStarted) < kinds.index(ToolFinished) < kinds.index(Final)
    assert Status("listing pods in shop") not in events  # the test tool's name has no read verb
    started = next(e for e in events if isinstance(e, ToolStarted))
    assert started.status == "running agenttest pods in shop"
    finished = next(e for e in events if isinstance(e, ToolFinished))
    assert finished.evidence_id == "e1" and finished.result.ok and not finished.duplicate


def test_streaming_uses_the_same_loop_and_streams_text(scripted, pods_tool):
    steps = [
        Reply(content="Looking at the pods first.", tool_calls=[(PODS_TOOL, {"namespace": "shop"})]),
        final(),
    ]
    server = start(scripted, steps)
    diagnosis, events = ask(settings_for(server), stream=True)

    assert all(r.body["stream"] is True for r in server.requests)
    assert all(r.body["stream_options"] == {"include_usage": True} for r in server.requests)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Looking at the pods first."
    assert diagnosis.findings[0].evidence == ["e1"]
    assert diagnosis.evidence[0].excerpt == CRASH_LINE
    assert (diagnosis.stats.input_tokens, diagnosis.stats.output_tokens) == (200, 40)  # from the usage chunk
    # the streamed tool call was reassembled from its argument deltas and really ran
    assert pods_tool.runs == 1
    assert server.requests[1].tool_messages()[0]["content"].startswith("[e1] agenttest_pods")
    assert isinstance(events[-1], Final) and events[-1].diagnosis == diagnosis


@pytest.mark.parametrize("stream", [False, True])
def test_parallel_tool_calls_all_run_and_get_their_own_ids(scripted, pods_tool, stream):
    calls = [(PODS_TOOL, {"namespace": "shop"}), (PODS_TOOL, {"namespace": "data"})]
    server = start(scripted, [Reply(tool_calls=calls), final(evidence="e2", excerpt="pods in data:")])
    diagnosis, _ = ask(settings_for(server), stream=stream)

    results = server.requests[1].tool_messages()
    assert [m["tool_call_id"] for m in results] == ["call_1_0", "call_1_1"]
    assert results[0]["content"].startswith("[e1]") and "pods in shop:" in results[0]["content"]
    assert results[1]["content"].startswith("[e2]") and "pods in data:" in results[1]["content"]
    assert diagnosis.evidence[0].args == {"namespace": "data"}
    assert diagnosis.stats.tool_calls == 2


def test_invalid_arguments_come_back_as_an_error_the_model_fixes(scripted, pods_tool):
    steps = [
        Reply(tool_calls=[(PODS_TOOL, {"namespace": "shop", "pod": "checkout"})]),
        Reply(tool_calls=[(PODS_TOOL, '{"namespace": "shop"')]),  # broken JSON
        Reply(tool_calls=[(PODS_TOOL, {"namespace": "shop"})]),
        final(evidence="e2"),
    ]
    server = start(scripted, steps)
    diagnosis, _ = ask(settings_for(server))

    [invalid] = server.requests[1].last_tool_texts()
    assert invalid.startswith("[e1] agenttest_pods")
    assert "error: invalid arguments for agenttest_pods: pod: Extra inputs are not permitted" in invalid
    [broken] = server.requests[2].last_tool_texts()
    assert broken.startswith("error: the arguments are not valid JSON")
    [fixed] = server.requests[3].last_tool_texts()
    assert fixed.startswith("[e2]") and CRASH_LINE in fixed
    assert pods_tool.runs == 1
    assert diagnosis.findings[0].evidence == ["e2"] and diagnosis.findings[0].confidence == 0.9


def test_unknown_evidence_ids_are_dropped(scripted, pods_tool):
    answer = final(evidence="e9", excerpt="whatever").tool_calls[0][1]
    answer["findings"].append(
        {
            "title": "web is fine",
            "category": "Other",
            "resource": {"kind": "Deployment", "namespace": "shop", "name": "web"},
            "confidence": 0.5,
            "explanation": "It runs.",
            "evidence": ["e1", "e7"],
        }
    )
    steps = [
        Reply(tool_calls=[(PODS_TOOL, {"namespace": "shop"})]),
        Reply(tool_calls=[("final_answer", answer)]),
    ]
    server = start(scripted, steps)
    diagnosis, _ = ask(settings_for(server))

    unsupported, web = diagnosis.findings
    assert unsupported.evidence == [] and unsupported.confidence == 0.3  # nothing left to support it
    assert web.evidence == ["e1"] and web.confidence == 0.5
    assert [e.id for e in diagnosis.evidence] == ["e1"]
    assert (
        "web-5c4d7b9f6-abcde  1/1  Running  restarts=0" in diagnosis.evidence[0].excerpt
    )  # cited from the ledger


def test_an_excerpt_the_tools_never_returned_is_dropped_and_confidence_lowered(scripted, pods_tool):
    steps = [
        Reply(tool_calls=[(PODS_TOOL, {"namespace": "shop"})]),
        final(excerpt="checkout OOMKilled exit code 137"),
    ]
    server = start(scripted, steps)
    diagnosis, _ = ask(settings_for(server))

    [finding] = diagnosis.findings
    assert finding.confidence == pytest.approx(0.54)
    assert finding.evidence == ["e1"]
    excerpt = diagnosis.evidence[0].excerpt
    assert "OOMKilled" not in excerpt
    assert CRASH_LINE in excerpt  # the recorded lines that name the culprit instead


def test_malformed_json_is_sent_back_once_and_the_fixed_answer_used(scripted, pods_tool):
    steps = [
        Reply(tool_calls=[(PODS_TOOL, {"namespace": "shop"})]),
        Reply(tool_calls=[("final_answer", '{"summary": "checkout crashes", "findings": [')]),
        final(),
    ]
    server = start(scripted, steps)
    diagnosis, _ = ask(settings_for(server))

    [error] = server.requests[2].last_tool_texts()
    assert error.startswith("error: the final answer is not valid JSON")
    assert diagnosis.summary == "checkout crashes on start."
    assert diagnosis.findings[0].confidence == 0.9


def test_malformed_twice_falls_back_to_the_diagnostician_with_the_models_summary(scripted, pods_tool):
    broken = '{"summary": "checkout crashes because of a bad env var", "findings": [{"title": '
    bad_category = final().tool_calls[0][1] | {"findings": [{"title": "x", "category": "Gremlins"}]}
    steps = [
        Reply(tool_calls=[(PODS_TOOL, {"namespace": "shop"})]),
        Reply(tool_calls=[("final_answer", broken)]),
        Reply(tool_calls=[("final_answer", bad_category)]),
    ]
    server = start(scripted, steps)
    diagnosis, events = ask(settings_for(server))

    assert len(server.requests) == 3
    [retry] = server.requests[2].last_tool_texts()
    assert retry.startswith("error: the final answer is not valid JSON")
    assert diagnosis.summary.startswith(
        "[Fallback: the model's answer could not be used (the final answer is"
    )
    assert "the built-in diagnostician answered" in diagnosis.summary
    assert "checkout crashes on start." in diagnosis.summary  # the model's own summary, quoted
    assert diagnosis.engine == "llm:scripted-model"
    assert any(isinstance(e, Fallback) for e in events)


def test_a_plain_text_reply_gets_the_final_answer_prompt_and_json_content_is_accepted(scripted, pods_tool):
    answer = final().tool_calls[0][1]
    steps = [
        Reply(tool_calls=[(PODS_TOOL, {"namespace": "shop"})]),
        Reply(content="The checkout pod keeps crashing."),
        Reply(content="```json\n" + json.dumps(answer) + "\n```"),
    ]
    server = start(scripted, steps)
    diagnosis, _ = ask(settings_for(server))

    asked = server.requests[2].messages[-1]
    assert asked["role"] == "user"
    assert asked["content"] == load_prompt("final_answer", budget=None)
    assert diagnosis.findings[0].evidence == ["e1"]
    assert diagnosis.evidence[0].excerpt == CRASH_LINE


def test_a_given_ledger_receives_the_results_and_a_namespace_focuses_the_question(scripted, pods_tool):
    from tools.contracts.evidence import Ledger

    server = start(scripted, [Reply(tool_calls=[(PODS_TOOL, {"namespace": "shop"})]), final()])
    ledger = Ledger()
    diagnosis, _ = ask(settings_for(server), ledger=ledger, namespace="shop")

    assert list(ledger.entries) == ["e1"] and ledger.get("e1").tool == PODS_TOOL
    assert "The question is about namespace shop." in server.requests[0].messages[1]["content"]
    assert diagnosis.findings[0].evidence == ["e1"]


def test_prose_with_braces_is_not_mistaken_for_an_answer_and_streamed_json_is_not_shown(scripted, pods_tool):
    answer = json.dumps(final().tool_calls[0][1])
    steps = [
        Reply(
            content="I will look at {namespace} shop next.", tool_calls=[(PODS_TOOL, {"namespace": "shop"})]
        ),
        Reply(content="Pods use labels like {app: checkout}; one crashes."),
        Reply(content=answer),
    ]
    server = start(scripted, steps)
    diagnosis, events = ask(settings_for(server), stream=True)

    assert server.requests[2].messages[-1]["content"] == load_prompt("final_answer", budget=None)
    shown = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert shown == "I will look at {namespace} shop next.Pods use labels like {app: checkout}; one crashes."
    assert diagnosis.findings[0].evidence == ["e1"]
