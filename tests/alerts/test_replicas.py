"""Several replicas on one PostgreSQL: a Slack event (with Slack's retries) and an alert group (with
Alertmanager's re-sends) that reach every replica are answered exactly once, and a Slack thread started on
one replica continues on another. Replica A runs the bot and the receiver on one port (``kubewhy slack
--mode http --alerts``); replica B runs them as two processes (``kubewhy slack --mode http`` and ``kubewhy
alerts``)."""

from __future__ import annotations

import shutil
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from app.store import open_store
from devkit.alert_payloads import alert, notification, send
from devkit.mock_slack import Call, MockSlack
from devkit.scripted_model import Reply, ScriptedModel
from devkit.slack_requests import SECRET, mention, signed_headers
from tools.contracts.settings import Settings

from .conftest import CHANNEL as ALERTS_CHANNEL
from .conftest import DEMO, TOKEN
from .stack import PG_BIN, kubewhy, postgres

pytest.importorskip(
    "psycopg", reason="the PostgreSQL driver is not installed (pip install 'kubewhy[postgres]')"
)
pytestmark = pytest.mark.skipif(
    not (PG_BIN / "initdb").exists() or shutil.which("runuser") is None, reason="needs PostgreSQL 15 binaries"
)

SRE = "C0SRE"
USER = "U0ALICE"


def _deliver(url: str, body: str, retry: int | None = None) -> int:
    headers = signed_headers(body)
    if retry:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    return httpx.post(url, content=body, headers=headers, timeout=30).status_code


def _acks(calls: list[Call], thread_ts: str) -> list[str]:
    return [
        c.params["text"]
        for c in calls
        if c.method == "chat.postMessage"
        and c.params.get("thread_ts") == thread_ts
        and "Looking into it" in c.params.get("text", "")
    ]


def _settled(slack: MockSlack, predicate, quiet_s: float = 4.0, timeout: float = 180.0) -> None:
    """Wait until ``predicate`` holds, then a little longer, so a duplicate would have arrived too."""
    slack.wait_for(predicate, timeout=timeout)
    time.sleep(quiet_s)


def test_two_replicas_answer_once_and_share_threads(slack: MockSlack) -> None:
    with postgres() as database:
        env = {
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": SECRET,
            "KUBEWHY_SLACK_API_URL": slack.url,
            "KUBEWHY_LLM": "none",
            "KUBEWHY_DATABASE_URL": database,
            "KUBEWHY_ALERTS_CHANNEL": ALERTS_CHANNEL,
            "KUBEWHY_ALERTS_TOKEN": TOKEN,
            "KUBEWHY_SLACK_RATE_LIMIT_PER_MINUTE": "100",
        }
        snapshot = ["--snapshot", str(DEMO), "--port", "0"]
        with (
            kubewhy(["slack", "--mode", "http", "--alerts", *snapshot], env, lines=2) as [a_events, a_alerts],
            kubewhy(["slack", "--mode", "http", *snapshot], env) as [b_events],
            kubewhy(["alerts", *snapshot], env) as [b_alerts],
        ):
            assert a_events.rsplit(":", 1)[1].split("/")[0] == a_alerts.rsplit(":", 1)[1].split("/")[0]

            # one Slack event, delivered to both replicas, then retried to both
            body, ts = mention(SRE, USER, "why does the new payments pod keep restarting?")
            deliveries = [(a_events, None), (b_events, None), (a_events, 1), (b_events, 1), (b_events, 2)]
            with ThreadPoolExecutor(max_workers=5) as pool:
                statuses = list(
                    pool.map(
                        lambda d: _deliver(*d, body=body) if False else _deliver(d[0], body, d[1]), deliveries
                    )
                )
            assert statuses == [200] * 5

            # one alert group, sent to both receivers twice (Alertmanager's re-send, or two Alertmanagers)
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
            with ThreadPoolExecutor(max_workers=4) as pool:
                answers = list(
                    pool.map(lambda url: send(url, group, TOKEN).json()["status"], [a_alerts, b_alerts] * 2)
                )
            assert sorted(answers) == ["investigating", "repeat", "repeat", "repeat"]

            def done(calls) -> bool:
                finished = [c for c in calls if c.method == "files.completeUploadExternal"]
                return len(finished) >= 2

            _settled(slack, done)
            assert len(_acks(slack.calls, ts)) == 1  # the Slack question: one acknowledgement
            uploads = [c for c in slack.of("files.completeUploadExternal")]
            assert len(uploads) == 2  # one answer to the question, one to the alert group
            alert_roots = [
                c for c in slack.of("chat.postMessage", ALERTS_CHANNEL) if not c.params.get("thread_ts")
            ]
            assert len(alert_roots) == 1
            answers_in_alert_thread = [
                c
                for c in slack.thread(ALERTS_CHANNEL, alert_roots[0].answer["ts"])
                if " · fix *" in str(c.params.get("blocks", ""))
            ]
            assert len(answers_in_alert_thread) == 1

            # a thread started on replica A continues on replica B
            first, first_ts = mention(SRE, USER, "why do shoppers get errors when they open their cart?")
            assert _deliver(a_events, first) == 200
            _settled(
                slack,
                lambda calls: len([c for c in calls if c.method == "files.completeUploadExternal"]) >= 3,
                1,
            )
            follow, _ = mention(SRE, USER, "and what does its log say?", thread_ts=first_ts)
            assert _deliver(b_events, follow) == 200
            _settled(slack, lambda calls: len(_acks(calls, first_ts)) >= 2, 1)
            acks = _acks(slack.calls, first_ts)
            assert len(acks) == 2 and "(follow-up)" in acks[1]

        store = open_store(Settings(database_url=database))
        surfaces = sorted(run.surface for run in store.list_runs(limit=50))
        assert surfaces.count("alerts") == 1
        slack_runs = [run for run in store.list_runs(surface="slack", limit=50)]
        questions = [run.question for run in slack_runs]
        assert questions.count("why does the new payments pod keep restarting?") == 1
        assert any(q.startswith("and what does its log say?") for q in questions)


def _script(body: dict) -> Reply:
    """Read shop's Warning events once per question, then answer naming the question it answers."""
    messages = body["messages"]
    if messages[-1]["role"] != "tool":
        return Reply(tool_calls=[("k8s_events", {"namespace": "shop", "type": "Warning"})])
    asked = next(m for m in reversed(messages) if m["role"] == "user")["content"]
    finding = {
        "title": "payments is in CrashLoopBackOff",
        "category": "AppCrash",
        "resource": {"kind": "Deployment", "namespace": "shop", "name": "payments"},
        "confidence": 0.8,
        "explanation": "The container exits at start.",
        "evidence": ["e1"],
    }
    summary = f"Answer to {asked.splitlines()[-1][:60]!r}: payments crashes at start."
    return Reply(tool_calls=[("final_answer", {"summary": summary, "findings": [finding]})])


def test_with_a_model_a_slack_thread_continues_from_its_checkpoint_on_another_replica(
    slack: MockSlack,
) -> None:
    """Two `kubewhy slack` processes share only PostgreSQL: the follow-up reaches replica B, and the
    agent there reads the first turn from the thread's LangGraph checkpoint that replica A wrote."""
    from app.store.checkpoints import open_checkpointer

    question, follow_up = "why is payments restarting?", "and what should I change?"
    with postgres() as database, ScriptedModel(_script) as model:
        env = {
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": SECRET,
            "KUBEWHY_SLACK_API_URL": slack.url,
            "KUBEWHY_LLM": "openai",
            "KUBEWHY_MODEL": model.model,
            "OPENAI_BASE_URL": model.base_url,
            "OPENAI_API_KEY": "sk-test",
            "KUBEWHY_MAX_RETRIES": "0",
            "KUBEWHY_DATABASE_URL": database,
            "KUBEWHY_SLACK_RATE_LIMIT_PER_MINUTE": "100",
        }
        snapshot = ["--snapshot", str(DEMO), "--port", "0"]
        with (
            kubewhy(["slack", "--mode", "http", *snapshot], env) as [a_events],
            kubewhy(["slack", "--mode", "http", *snapshot], env) as [b_events],
        ):
            first, ts = mention(SRE, USER, question)
            assert _deliver(a_events, first) == 200
            _settled(slack, lambda calls: any(c.method == "files.completeUploadExternal" for c in calls), 1)
            asked_before = len(model.requests)
            follow, _ = mention(SRE, USER, follow_up, thread_ts=ts)
            assert _deliver(b_events, follow) == 200
            _settled(
                slack,
                lambda calls: len([c for c in calls if c.method == "files.completeUploadExternal"]) >= 2,
                1,
            )
        talk = [
            (m["role"], m["content"])
            for m in model.requests[asked_before].messages
            if m["role"] in ("user", "assistant") and isinstance(m.get("content"), str) and m["content"]
        ]
        assert talk[0] == ("user", question)
        assert talk[1][0] == "assistant" and "payments crashes at start" in talk[1][1]
        assert talk[2][0] == "user" and follow_up in talk[2][1] and len(talk) == 3
        with open_checkpointer(Settings(database_url=database)) as saver:
            kept = [
                c
                for c in saver.list(None)
                if str(c.config["configurable"]["thread_id"]).endswith(f"/slack/{SRE}/{ts}")
            ]
        assert kept, "replica A wrote no checkpoint for the thread"
        newest = max(kept, key=lambda c: c.checkpoint["ts"])
        humans = [m.content for m in newest.checkpoint["channel_values"]["messages"] if m.type == "human"]
        assert humans == [question, follow_up]
