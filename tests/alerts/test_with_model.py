"""With a model configured, the agent investigates the alert group: the alert's question reaches the model
(a scripted OpenAI-compatible server, the real client), its tool calls run on the demo cluster, and its
answer, quoting what the tool returned, is the thread's diagnosis and the root's direct answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.slack.clusters import ClusterPool
from devkit.alert_payloads import alert, notification, send
from devkit.mock_slack import MockSlack
from tests.agent.scripted_server import Reply, ScriptedModel

from .conftest import CHANNEL, TOKEN, ReceiverFactory, alert_settings
from .test_threads import blocks_text, roots

SUMMARY = "payments crashes on start and Kubernetes backs off restarting it."


def script(body: dict[str, Any]) -> Reply:
    """Read the Warning events in shop, then answer quoting the payments BackOff line the tool returned."""
    messages = body["messages"]
    if messages[-1]["role"] != "tool":
        return Reply(tool_calls=[("k8s_events", {"namespace": "shop", "type": "Warning"})])
    line = next(
        line.strip()
        for line in messages[-1]["content"].splitlines()
        if "BackOff" in line and "payments" in line
    )
    answer = {
        "summary": SUMMARY,
        "findings": [
            {
                "title": "payments is in CrashLoopBackOff",
                "category": "AppCrash",
                "resource": {"kind": "Deployment", "namespace": "shop", "name": "payments"},
                "confidence": 0.8,
                "explanation": "The container exits on start and is restarted with a back-off.",
                "evidence": ["e1"],
            }
        ],
        "evidence": [{"id": "e1", "excerpt": line}],
    }
    return Reply(tool_calls=[("final_answer", answer)])


@pytest.fixture
def model() -> Iterator[ScriptedModel]:
    with ScriptedModel(script) as scripted:
        yield scripted


def test_the_agent_investigates_the_alert(
    model: ScriptedModel, make_receiver: ReceiverFactory, slack: MockSlack, tmp_path: Path
) -> None:
    extra = {
        "llm": "openai",
        "model": model.model,
        "openai_base_url": model.base_url,
        "openai_api_key": "sk-test",
        "max_retries": 0,
        "request_timeout_s": 10.0,
        "question_timeout_s": 60.0,
    }
    pool = ClusterPool(alert_settings(tmp_path / "pool.db", slack.url, **extra))
    try:
        receiver = make_receiver(pool=pool, **extra)
        group = notification(
            [
                alert(
                    "KubePodCrashLooping",
                    namespace="shop",
                    pod="payments-lm2kvkchd7-d9zdb",
                    container="payments",
                )
            ]
        )
        assert send(receiver.url, group, TOKEN).json()["status"] == "investigating"
        receiver.idle()
    finally:
        pool.close()
    asked = json.dumps(model.requests[0].messages)
    assert "why is deployment payments in namespace shop crash looping?" in asked
    [root] = roots(slack)
    thread = slack.thread(CHANNEL, root.answer["ts"])
    answer = next(c for c in thread if SUMMARY in c.params.get("text", ""))
    text = blocks_text(answer)
    assert "fix *Deployment shop/payments*" in text and "BackOff" in text
    assert "llm:scripted-model" in text
    assert SUMMARY in blocks_text(
        [c for c in slack.of("chat.update") if c.params.get("ts") == root.answer["ts"]][-1]
    )
