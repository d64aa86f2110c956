"""Model factory (OpenAI, Azure, compatible endpoints), conversation memory and its compaction."""

from __future__ import annotations

import pytest

from app.agent.loop import run_agent
from app.agent.memory import Conversation
from app.agent.models import ModelConfigError, choose_model, make_chat_model
from tests.agent.conftest import PODS_TOOL, context_for, settings_for, start
from tests.agent.scripted_server import Reply
from tests.agent.test_loop import final
from tools.contracts.diagnosis import Diagnosis, Stats
from tools.contracts.settings import Settings


def test_azure_openai_is_reached_by_deployment_with_the_api_key(scripted, pods_tool):
    server = start(scripted, [final(evidence="e1", excerpt="x")])
    settings = Settings(
        llm="azure",
        model="kubewhy-gpt4o",
        azure_openai_endpoint=server.root_url,
        azure_openai_api_key="azure-key",
        openai_api_version="2024-10-21",
        max_retries=0,
    )
    diagnosis = run_agent(context_for(settings), "why is checkout failing?")

    [request] = server.requests
    assert request.path == "/openai/deployments/kubewhy-gpt4o/chat/completions?api-version=2024-10-21"
    assert request.headers["api-key"] == "azure-key"
    assert diagnosis.engine == "llm:kubewhy-gpt4o"
    assert diagnosis.findings[0].evidence == []  # it cited e1 before any tool ran: dropped


def test_azure_openai_with_an_entra_id_token_sends_it_as_a_bearer(scripted, pods_tool):
    server = start(scripted, [final(evidence="e1", excerpt="x")])
    settings = Settings(
        llm="azure",
        model="kubewhy-gpt4o",
        azure_openai_endpoint=server.root_url,
        azure_openai_ad_token="entra-token",
        max_retries=0,
    )
    run_agent(context_for(settings), "why is checkout failing?")
    [request] = server.requests
    assert request.headers["authorization"] == "Bearer entra-token"
    assert "api-key" not in request.headers


def test_a_keyless_compatible_endpoint_gets_a_placeholder_key(scripted):
    server = start(scripted, [Reply(content="hi")])
    model = make_chat_model(Settings(openai_base_url=server.base_url, model="llama3.1"))
    assert model.invoke("hello").content == "hi"
    assert server.requests[0].headers["authorization"] == "Bearer not-needed"
    assert server.requests[0].body["model"] == "llama3.1"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"llm": "none", "openai_api_key": "k"}, "no model is configured (KUBEWHY_LLM=none)"),
        ({"llm": "auto"}, "set OPENAI_API_KEY, OPENAI_BASE_URL or AZURE_OPENAI_ENDPOINT"),
        ({"llm": "openai"}, "KUBEWHY_LLM=openai needs OPENAI_API_KEY"),
        ({"llm": "openai", "openai_api_key": "k", "model": " "}, "KUBEWHY_MODEL is empty"),
    ],
)
def test_missing_model_settings_name_what_to_set(values, message, monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ModelConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        choose_model(Settings(**values))


def test_azure_without_a_key_needs_entra_id_sign_in():
    settings = Settings(llm="azure", azure_openai_endpoint="https://example.openai.azure.com")
    assert choose_model(settings).provider == "azure"
    try:
        import azure.identity  # noqa: F401
    except ImportError:
        with pytest.raises(ModelConfigError, match="azure-identity"):
            make_chat_model(settings)
    else:  # with azure-identity installed the credential chain is built lazily, without a network call
        assert make_chat_model(settings) is not None


def test_auto_prefers_openai_when_both_are_set_and_azure_when_only_azure():
    both = Settings(openai_api_key="k", azure_openai_endpoint="https://a.openai.azure.com")
    assert choose_model(both).provider == "openai"
    only_azure = Settings(azure_openai_endpoint="https://a.openai.azure.com", azure_openai_api_key="k")
    assert choose_model(only_azure).provider == "azure"


def test_follow_up_questions_see_the_earlier_turn_and_totals_add_up(scripted, pods_tool):
    steps = [
        Reply(tool_calls=[(PODS_TOOL, {"namespace": "shop"})]),
        final(),
        final(evidence="e5", excerpt="x"),
    ]
    server = start(scripted, steps)
    settings = settings_for(server)
    memory = Conversation(context_window=settings.context_window)
    first = run_agent(context_for(settings), "why is checkout failing?", memory=memory)
    second = run_agent(context_for(settings), "and what should I do?", memory=memory)

    follow_up = server.requests[2].messages
    assert [m["role"] for m in follow_up[:4]] == ["system", "user", "assistant", "user"]
    assert follow_up[1]["content"] == "why is checkout failing?"
    assert follow_up[2]["content"].startswith("Summary: checkout crashes on start.")
    assert "checkout-7d9f8c6b5-x2lqp  0/1  CrashLoopBackOff  restarts=7" in follow_up[2]["content"]
    assert "Question: and what should I do?" in follow_up[3]["content"]
    assert memory.questions == 2
    assert memory.totals.tool_calls == first.stats.tool_calls + second.stats.tool_calls == 1
    assert memory.totals.input_tokens == 300 and memory.totals.output_tokens == 60


def diagnosis(summary: str, filler: int) -> Diagnosis:
    return Diagnosis(
        question="q",
        cluster="c",
        answered_at="t",
        engine="llm:m",
        summary=summary,
        next_steps=[{"description": "word " * filler}],
        stats=Stats(tool_calls=1, input_tokens=10),
    )


def test_memory_compacts_old_turns_then_drops_the_oldest():
    memory = Conversation(context_window=4000, share=0.25)  # 1,000 tokens of memory
    for number in range(3):
        memory.add(f"question {number}", diagnosis(f"answer {number}", filler=400))
    assert memory.tokens() <= memory.limit_tokens
    assert [t.compacted for t in memory.turns] == [True, False, False]
    assert memory.messages()[1].content == "Summary: answer 0"

    for number in range(3, 20):  # compacted turns are small, but they add up
        memory.add(f"question {number}", diagnosis(f"answer {number}", filler=400))
    assert memory.tokens() <= memory.limit_tokens
    assert memory.turns[-1].question == "question 19" and not memory.turns[-1].compacted
    assert memory.turns[0].question != "question 0"  # the oldest went
    assert memory.questions == 20 and memory.totals.tool_calls == 20 and memory.totals.input_tokens == 200
