"""With a model configured: the agent answers in the thread, its tool calls show as progress, and a
follow-up in the thread carries the thread's conversation to the model (a scripted OpenAI-compatible
server, the real client, the real snapshot server)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.slack.bot import SlackBot, create_bot
from app.slack.clusters import ClusterPool
from devkit.mock_slack import MockSlack
from devkit.slack_requests import bolt_request, mention
from tests.agent.scripted_server import Reply, ScriptedModel
from tests.slack.conftest import bot_settings, run

CHANNEL, USER = "C0SRE", "U0ALICE"
QUESTION = "why does api keep restarting?"
FOLLOW_UP = "is it the same pod every time?"


def script(body: dict[str, Any]) -> Reply:
    """Read the Warning events in shop, then answer quoting the BackOff line the tool returned."""
    messages = body["messages"]
    if messages[-1]["role"] != "tool":
        return Reply(tool_calls=[("k8s_events", {"namespace": "shop", "type": "Warning"})])
    line = next(line.strip() for line in messages[-1]["content"].splitlines() if "BackOff" in line)
    answer = {
        "summary": "api crashes on start and Kubernetes backs off restarting it.",
        "findings": [
            {
                "title": "api is in CrashLoopBackOff",
                "category": "AppCrash",
                "resource": {"kind": "Deployment", "namespace": "shop", "name": "api"},
                "confidence": 0.8,
                "explanation": "The container exits and is restarted with a back-off.",
                "evidence": ["e1"],
            }
        ],
        "evidence": [{"id": "e1", "excerpt": line}],
        "next_steps": [
            {"description": "Read the crashed log", "command": "kubectl -n shop logs deploy/api -p"}
        ],
    }
    return Reply(tool_calls=[("final_answer", answer)])


def model_settings(
    slack: MockSlack, cluster_dir: Path, kubeconfig: Path, model: ScriptedModel, **extra: Any
) -> Any:
    """A bot's settings with the scripted model configured."""
    return bot_settings(
        cluster_dir,
        kubeconfig,
        slack.url,
        llm="openai",
        model=model.model,
        openai_base_url=model.base_url,
        openai_api_key="sk-test",
        max_retries=0,
        request_timeout_s=10.0,
        question_timeout_s=30.0,
        **extra,
    )


@pytest.fixture
def model_bot(
    slack: MockSlack, cluster_dir: Path, dead_kubeconfig: Path
) -> Iterator[tuple[SlackBot, ScriptedModel]]:
    with ScriptedModel(script) as model:
        settings = model_settings(slack, cluster_dir, dead_kubeconfig, model)
        pool = ClusterPool(settings)
        bot = create_bot(settings, pool=pool)
        bot.progress_interval_s = 0.0
        try:
            yield bot, model
        finally:
            bot.close()
            pool.close()


def test_the_agent_answers_and_a_follow_up_carries_the_thread(
    model_bot: tuple[SlackBot, ScriptedModel], slack: MockSlack
) -> None:
    bot, model = model_bot
    body, ts = mention(CHANNEL, USER, QUESTION)
    run(bot, bolt_request(body))
    edits = [c.params["text"] for c in slack.of("chat.update", CHANNEL)]
    assert any("• reading events in shop" in text for text in edits)  # the tool call as progress
    assert edits[-1].startswith(":white_check_mark: Investigated lab") and "llm:scripted-model" in edits[-1]
    answer = next(c for c in slack.thread(CHANNEL, ts) if c.params.get("blocks"))
    blocks = json.dumps(answer.params["blocks"])
    assert "api is in CrashLoopBackOff" in blocks and "BackOff" in blocks

    asked_before = len(model.requests)
    follow, _ = mention(CHANNEL, USER, FOLLOW_UP, thread_ts=ts)
    run(bot, bolt_request(follow))
    first_of_follow_up = model.requests[asked_before].messages
    contents = [(m["role"], m.get("content") or "") for m in first_of_follow_up]
    assert ("user", QUESTION) in contents  # the thread's earlier question...
    assert any(
        role == "assistant" and "api crashes on start" in text for role, text in contents
    )  # ...and answer
    assert contents[-1][0] == "user" and FOLLOW_UP in contents[-1][1]
    assert bot.threads.get(CHANNEL, ts).conversation.questions == 2
    assert slack.errors() == []


def test_a_follow_up_on_another_replica_continues_from_the_threads_checkpoint(
    slack: MockSlack, cluster_dir: Path, dead_kubeconfig: Path, tmp_path: Path
) -> None:
    """Two replicas share only the history database: the first answers, the second takes the follow-up
    and the agent reads the first turn from the thread's LangGraph checkpoint, which then holds both."""
    from app.slack.threads import thread_name
    from app.store.checkpoints import open_checkpointer

    with ScriptedModel(script) as model:
        shared = f"sqlite:///{tmp_path / 'shared.db'}"
        settings = model_settings(slack, cluster_dir, dead_kubeconfig, model, database_url=shared)
        replicas = []
        for _ in range(2):
            pool = ClusterPool(settings)
            bot = create_bot(settings, pool=pool)
            bot.progress_interval_s = 0.0
            replicas.append((bot, pool))
        try:
            (first, _), (second, _) = replicas
            body, ts = mention(CHANNEL, USER, QUESTION)
            run(first, bolt_request(body))
            asked_before = len(model.requests)
            follow, _ = mention(CHANNEL, USER, FOLLOW_UP, thread_ts=ts)
            run(second, bolt_request(follow))
        finally:
            for bot, pool in replicas:
                bot.close()
                pool.close()

    contents = [(m["role"], m.get("content") or "") for m in model.requests[asked_before].messages]
    talk = [(role, text) for role, text in contents if role in ("user", "assistant") and text]
    assert talk[0] == ("user", QUESTION)
    assert talk[1][0] == "assistant" and "api crashes on start" in talk[1][1]
    assert talk[2][0] == "user" and FOLLOW_UP in talk[2][1] and len(talk) == 3
    replies = [c.params["text"] for c in slack.of("chat.update", CHANNEL)]
    assert replies[-1].startswith(":white_check_mark: Investigated lab")
    with open_checkpointer(settings) as saver:
        kept = saver.get_tuple({"configurable": {"thread_id": f"lab/{thread_name(CHANNEL, ts)}"}})
    assert kept is not None, "the thread has no checkpoint"
    questions = [m.content for m in kept.checkpoint["channel_values"]["messages"] if m.type == "human"]
    assert questions[0] == QUESTION and FOLLOW_UP in questions[1] and len(questions) == 2
    assert slack.errors() == []
