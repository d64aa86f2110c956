"""A conversation thread lives in the history database's LangGraph checkpoints: a second process, with
nothing in memory, continues the first one's conversation (``kubewhy ask --thread``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.agent.conftest import start
from tests.agent.scripted_server import Reply

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "app" / "demo" / "shop"
FIRST = "why is payments restarting?"
SECOND = "and what should I change?"


def answer(summary: str) -> Reply:
    return Reply(
        tool_calls=[
            (
                "final_answer",
                {
                    "summary": summary,
                    "findings": [
                        {
                            "title": "payments runs out of memory",
                            "category": "OOMKilled",
                            "resource": {"kind": "Deployment", "namespace": "shop", "name": "payments"},
                            "confidence": 0.8,
                            "explanation": "The container is killed at its memory limit.",
                            "evidence": ["e1"],
                        }
                    ],
                },
            )
        ]
    )


def script(body: dict[str, Any]) -> Reply:
    """Read the overview once per question, then answer; the answer names the question it answers."""
    question = next(m for m in reversed(body["messages"]) if m["role"] == "user")["content"]
    asked = SECOND if SECOND in question else FIRST
    last = body["messages"][-1]
    if last["role"] != "tool":
        return Reply(tool_calls=[("k8s_overview", {})])
    return answer(f"Answer to {asked!r}: payments is OOMKilled.")


def ask_in_a_new_process(
    server: Any, database: Path, question: str, thread: str, llm: str = "openai"
) -> dict[str, Any]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "KUBEWHY_DATABASE_URL": f"sqlite:///{database}",
        "KUBEWHY_LLM": llm,
        "KUBEWHY_MODEL": server.model,
        "OPENAI_BASE_URL": server.base_url,
        "OPENAI_API_KEY": "sk-test",
        "KUBEWHY_MAX_RETRIES": "0",
    }
    command = [sys.executable, "-m", "app.cli", "ask", question, "--snapshot", str(DEMO), "-o", "json"]
    done = subprocess.run(
        [*command, "--thread", thread], env=env, capture_output=True, text=True, timeout=180, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def conversation(request: Any) -> list[tuple[str, str]]:
    """The request's user and assistant text messages (the system prompt and tool traffic left out)."""
    return [
        (m["role"], m["content"])
        for m in request.messages
        if m["role"] in ("user", "assistant") and isinstance(m.get("content"), str) and m["content"]
    ]


def test_a_second_process_continues_the_first_ones_thread(scripted, tmp_path):
    server = start(scripted, script)
    database = tmp_path / "history.db"

    first = ask_in_a_new_process(server, database, FIRST, "incident-42")
    assert first["summary"].startswith(f"Answer to {FIRST!r}")
    first_requests = len(server.requests)
    assert conversation(server.requests[0])[0][0] == "user"  # the opening question: no earlier turns
    assert len(conversation(server.requests[0])) == 1

    second = ask_in_a_new_process(server, database, SECOND, "incident-42")
    assert second["summary"].startswith(f"Answer to {SECOND!r}")
    opening = conversation(server.requests[first_requests])
    # the first turn, from the checkpoint the first process wrote: its question and its answer
    assert opening[0] == ("user", FIRST)
    assert opening[1][0] == "assistant"
    assert opening[1][1].startswith(f"Summary: Answer to {FIRST!r}")
    assert "payments runs out of memory" in opening[1][1]
    assert opening[2][0] == "user" and SECOND in opening[2][1]
    # the system prompt is byte-identical across the two processes (the provider's prompt cache holds)
    assert server.requests[0].messages[0] == server.requests[first_requests].messages[0]


def test_a_turn_the_diagnostician_answered_reaches_the_agent_of_the_next_process(scripted, tmp_path):
    """The thread's first turn was answered without a model, so its checkpoint holds nothing: the agent
    of the follow-up still reads that turn (from the run history), once."""
    server = start(scripted, script)
    database = tmp_path / "history.db"

    first = ask_in_a_new_process(server, database, FIRST, "incident-7", llm="none")
    assert not server.requests and first["engine"] == "offline"
    ask_in_a_new_process(server, database, SECOND, "incident-7")

    opening = conversation(server.requests[0])
    assert opening[0] == ("user", FIRST)
    assert opening[1][0] == "assistant" and first["summary"] in opening[1][1]
    assert opening[2][0] == "user" and SECOND in opening[2][1] and len(opening) == 3


def test_another_thread_starts_empty(scripted, tmp_path):
    server = start(scripted, script)
    database = tmp_path / "history.db"

    ask_in_a_new_process(server, database, FIRST, "incident-42")
    first_requests = len(server.requests)
    ask_in_a_new_process(server, database, SECOND, "incident-43")

    opening = conversation(server.requests[first_requests])
    assert len(opening) == 1 and SECOND in opening[0][1]


def test_a_thread_whose_store_is_damaged_is_answered_afresh(scripted, pods_tool, tmp_path, caplog):
    from app.agent.loop import run_agent
    from tests.agent.conftest import PODS_TOOL, context_for, settings_for
    from tests.agent.test_loop import final

    damaged = tmp_path / "history.db"
    damaged.write_bytes(b"garbage" * 1000)
    server = start(scripted, [Reply(tool_calls=[(PODS_TOOL, {"namespace": "shop"})]), final()])
    settings = settings_for(server, database_url=f"sqlite:///{damaged}")

    diagnosis = run_agent(context_for(settings), "why is checkout failing?", thread="incident-42")

    assert not diagnosis.summary.startswith("[Fallback")
    assert diagnosis.findings[0].evidence == ["e1"]
    assert "thread incident-42: its conversation cannot be read" in caplog.text


def test_turns_the_checkpoint_lacks_come_from_the_memory_once(scripted, pods_tool, tmp_path):
    """A Slack thread where a runbook answered between two agent turns: the checkpoint holds only the
    agent's turn, the thread's memory holds both; the model reads both, once each, and the checkpoint
    then keeps all three turns."""
    from app.agent.loop import run_agent
    from app.agent.memory import Conversation
    from app.store.checkpoints import open_checkpointer
    from tests.agent.conftest import PODS_TOOL, context_for, settings_for
    from tests.agent.test_loop import final

    replies = [Reply(tool_calls=[(PODS_TOOL, {"namespace": "shop"})]), final()]
    server = start(scripted, replies * 2)
    settings = settings_for(server, database_url=f"sqlite:///{tmp_path / 'history.db'}")
    memory = Conversation(context_window=settings.context_window)

    first = run_agent(context_for(settings), "why is checkout failing?", memory=memory, thread="t-1")
    runbook = first.model_copy(update={"summary": "The runbook found checkout's probe failing."})
    memory.add("runbook: checkout-health", runbook)  # answered outside the agent
    asked = len(server.requests)
    run_agent(context_for(settings), "so what do I change?", memory=memory, thread="t-1")

    talk = conversation(server.requests[asked])
    assert [role for role, _ in talk] == ["user", "assistant", "user", "assistant", "user"]
    assert talk[0] == ("user", "why is checkout failing?")
    assert talk[2] == ("user", "runbook: checkout-health")
    assert "The runbook found checkout's probe failing." in talk[3][1]
    with open_checkpointer(settings) as saver:
        kept = saver.get_tuple({"configurable": {"thread_id": f"{context_for(settings).cluster_name}/t-1"}})
    questions = [m.content for m in kept.checkpoint["channel_values"]["messages"] if m.type == "human"]
    assert questions == ["why is checkout failing?", "runbook: checkout-health", "so what do I change?"]
