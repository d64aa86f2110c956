"""The real bolt app, signed requests through ``app.dispatch``, a recording Slack Web API, and the real
engine on a real snapshot server: what a person sees in the thread."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from app.engine import Answer
from app.store import open_store
from devkit.mock_slack import BOT_USER, Call, MockSlack
from devkit.slack_requests import bolt_request, direct_message, mention, slash
from tests.slack.cluster import BEARER, PASSWORD
from tests.slack.conftest import DEAD_CHANNEL, BotFactory, run
from tools.contracts.diagnosis import Diagnosis
from tools.contracts.evidence import Ledger

CHANNEL, USER = "C0SRE", "U0ALICE"
QUESTION = "why does api keep restarting?"


def blocks_text(call: Call) -> str:
    blocks = call.params.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    texts = []
    for block in blocks:
        texts.append((block.get("text") or {}).get("text", ""))
        texts += [element.get("text", "") for element in block.get("elements", [])]
    return "\n".join(texts)


def uploaded(slack: MockSlack) -> str:
    return "\n".join(call.body.decode() for call in slack.of("upload"))


def assert_answered(slack: MockSlack, channel: str, thread_ts: str) -> list[Call]:
    """The acknowledgement, its progress edits and final edit, the diagnosis and the evidence file."""
    posted = slack.thread(channel, thread_ts)
    assert posted, "nothing was posted in the thread"
    ack = posted[0]
    assert ack.params["text"].startswith(":hourglass_flowing_sand:")
    edits = [c for c in slack.of("chat.update", channel) if c.params["ts"] == ack.answer["ts"]]
    assert len(edits) >= 2, "expected progress edits and a final edit of the acknowledgement"
    assert "•" in edits[0].params["text"]  # a progress line
    assert edits[-1].params["text"].startswith(":white_check_mark: Investigated lab")
    answers = [c for c in posted[1:] if c.params.get("blocks")]
    assert answers, "no Block Kit answer in the thread"
    complete = slack.of("files.completeUploadExternal", channel)
    assert complete and complete[-1].params["thread_ts"] == thread_ts
    assert slack.errors() == []
    return answers


def test_mention_is_answered_in_its_thread(make_bot: BotFactory, slack: MockSlack) -> None:
    bot = make_bot()
    body, ts = mention(CHANNEL, USER, QUESTION)
    response = run(bot, bolt_request(body))
    assert response.status == 200
    answers = assert_answered(slack, CHANNEL, ts)
    text = blocks_text(answers[0])
    assert "api keeps crashing" in text
    assert "`AppCrash`" in text and "fix *Deployment shop/api*" in text
    assert "```" in text  # evidence lines and next steps in code blocks
    assert "kubectl -n shop edit deployment api" in "\n".join(blocks_text(a) for a in answers)
    document = uploaded(slack)
    assert document.startswith(f"kubewhy evidence for: {QUESTION}")
    assert "k8s_logs" in document and "FATAL cannot start" in document
    [run_] = open_store(bot.settings).list_runs()
    assert (run_.surface, run_.user, run_.question, run_.cluster) == (
        "slack",
        f"slack:{USER}",
        QUESTION,
        "lab",
    )
    assert run_.top_category == "AppCrash" and run_.tool_calls > 0


def test_direct_message_is_answered(make_bot: BotFactory, slack: MockSlack) -> None:
    bot = make_bot()
    body, ts = direct_message("D0ALICE", USER, QUESTION)
    assert run(bot, bolt_request(body)).status == 200
    answers = assert_answered(slack, "D0ALICE", ts)
    assert "AppCrash" in blocks_text(answers[0])


def test_bot_ignores_its_own_messages_and_edits(make_bot: BotFactory, slack: MockSlack) -> None:
    bot = make_bot()
    body, _ = direct_message("D0ALICE", BOT_USER, "my own answer")
    run(bot, bolt_request(body))
    edited = json.loads(direct_message("D0ALICE", USER, "edited")[0])
    edited["event"]["subtype"] = "message_changed"
    run(bot, bolt_request(json.dumps(edited)))
    assert slack.of("chat.postMessage") == []


def test_slash_command_posts_the_question_and_answers_under_it(
    make_bot: BotFactory, slack: MockSlack
) -> None:
    bot = make_bot()
    response = run(bot, bolt_request(slash(CHANNEL, USER, QUESTION, slack.response_url), form=True))
    assert response.status == 200
    root = slack.of("chat.postMessage", CHANNEL)[0]
    assert root.params.get("thread_ts") is None
    assert root.params["text"] == f"<@{USER}> asked: {QUESTION}"
    assert_answered(slack, CHANNEL, root.answer["ts"])


def test_slash_help_answers_at_once(make_bot: BotFactory, slack: MockSlack) -> None:
    bot = make_bot()
    response = run(bot, bolt_request(slash(CHANNEL, USER, "help", slack.response_url), form=True))
    assert response.status == 200
    assert "/kubewhy runbook" in response.body
    assert slack.of("chat.postMessage") == []


def test_runbook_command_runs_the_runbook_in_a_thread(make_bot: BotFactory, slack: MockSlack) -> None:
    bot = make_bot()
    text = "runbook pod-restarting namespace=shop workload=api"
    assert run(bot, bolt_request(slash(CHANNEL, USER, text, slack.response_url), form=True)).status == 200
    root = slack.of("chat.postMessage", CHANNEL)[0]
    assert root.params["text"] == f"<@{USER}> ran runbook `pod-restarting` namespace=shop workload=api"
    answers = assert_answered(slack, CHANNEL, root.answer["ts"])
    text = blocks_text(answers[0])
    assert "Runbook pod-restarting ran" in text and "AppCrash" in text
    document = uploaded(slack)
    assert "k8s_workload" in document and "k8s_events" in document  # the runbook's steps
    [run_] = open_store(bot.settings).list_runs()
    assert (run_.runbook, run_.runbook_params) == ("pod-restarting", {"namespace": "shop", "workload": "api"})


def test_runbook_list_and_bad_runbook_are_answered_privately(make_bot: BotFactory, slack: MockSlack) -> None:
    bot = make_bot()
    run(bot, bolt_request(slash(CHANNEL, USER, "runbook", slack.response_url), form=True))
    run(bot, bolt_request(slash(CHANNEL, USER, "runbook no-such-book", slack.response_url), form=True))
    run(
        bot,
        bolt_request(
            slash(CHANNEL, USER, "runbook pod-restarting namespace=shop", slack.response_url), form=True
        ),
    )
    responses = [c.params for c in slack.of("respond")]
    assert [r["response_type"] for r in responses] == ["ephemeral"] * 3
    assert "`pod-restarting`" in responses[0]["text"]
    assert "no-such-book" in responses[1]["text"]
    assert "workload" in responses[2]["text"]
    assert slack.of("chat.postMessage") == []


def test_follow_up_in_the_thread_continues_the_conversation(make_bot: BotFactory, slack: MockSlack) -> None:
    bot = make_bot()
    body, ts = mention(CHANNEL, USER, QUESTION)
    run(bot, bolt_request(body))
    follow_body, _ = mention(CHANNEL, USER, "how do I fix it?", thread_ts=ts)
    run(bot, bolt_request(follow_body))
    posted = slack.thread(CHANNEL, ts)
    acks = [c for c in posted if "Looking into it" in c.params["text"]]
    assert len(acks) == 2 and "(follow-up)" in acks[1].params["text"]
    documents = [c.body.decode() for c in slack.of("upload")]
    assert len(documents) == 2
    assert documents[1].startswith("kubewhy evidence for: how do I fix it?")
    assert bot.threads.get(CHANNEL, ts).questions == [QUESTION, "how do I fix it?"]
    # The follow-up has no name of its own: it is answered about the first answer's culprit, and the
    # direct answer is the first line of the reply.
    assert len(bot.threads.get(CHANNEL, ts).conversation.turns) == 2
    culprit = bot.threads.get(CHANNEL, ts).conversation.last.findings[0].resource
    assert culprit.name == "api"
    replies = [c.params for c in posted if c.params.get("blocks")]
    opening = replies[-1]["blocks"][0]["text"]["text"]
    assert opening.startswith(":mag: *Fix Deployment") and "api" in opening.splitlines()[0]


def test_bad_signature_is_refused_with_401(make_bot: BotFactory, slack: MockSlack) -> None:
    bot = make_bot()
    body, _ = mention(CHANNEL, USER, QUESTION)
    response = run(bot, bolt_request(body, secret="not-the-secret"))
    assert response.status == 401
    assert slack.of("chat.postMessage") == []


def test_user_not_on_the_allow_list_gets_a_polite_refusal(make_bot: BotFactory, slack: MockSlack) -> None:
    bot = make_bot(slack_allowed_users=["U0BOB"])
    body, ts = mention(CHANNEL, USER, QUESTION)
    run(bot, bolt_request(body))
    posted = slack.thread(CHANNEL, ts)
    assert len(posted) == 1 and posted[0].params["text"].startswith(f"Sorry <@{USER}>")
    assert slack.of("chat.update") == [] and slack.of("files.getUploadURLExternal") == []
    response = run(bot, bolt_request(slash(CHANNEL, USER, QUESTION, slack.response_url), form=True))
    assert "Sorry" in response.body and "not on that list" in response.body
    assert len(slack.of("chat.postMessage")) == 1


def test_channel_not_on_the_allow_list_is_refused(make_bot: BotFactory, slack: MockSlack) -> None:
    bot = make_bot(slack_allowed_channels=["C0OTHER"])
    body, ts = mention(CHANNEL, USER, QUESTION)
    run(bot, bolt_request(body))
    [refusal] = slack.thread(CHANNEL, ts)
    assert "not enabled in this channel" in refusal.params["text"]
    dm_body, dm_ts = direct_message("D0ALICE", USER, QUESTION)
    run(bot, bolt_request(dm_body))
    assert "direct messages" in slack.thread("D0ALICE", dm_ts)[0].params["text"]


def test_rate_limit_per_user(make_bot: BotFactory, slack: MockSlack) -> None:
    calls: list[str] = []
    bot = make_bot(ask_fn=_recording_ask(calls), slack_rate_limit_per_minute=1)
    first, _ = mention(CHANNEL, USER, QUESTION)
    second, ts = mention(CHANNEL, USER, "and now?")
    run(bot, bolt_request(first))
    run(bot, bolt_request(second))
    assert calls == [QUESTION]
    assert "questions in the last minute" in slack.thread(CHANNEL, ts)[0].params["text"]


def test_unreachable_cluster_is_said_in_the_thread(make_bot: BotFactory, slack: MockSlack) -> None:
    bot = make_bot()
    body, ts = mention(DEAD_CHANNEL, USER, QUESTION)
    run(bot, bolt_request(body))
    [ack] = slack.thread(DEAD_CHANNEL, ts)
    final = slack.of("chat.update", DEAD_CHANNEL)[-1].params["text"]
    assert ack.params["text"].startswith(":hourglass_flowing_sand:")
    assert final.startswith(":x: The cluster dead is unreachable: cannot reach the Kubernetes API")
    assert "Nothing was diagnosed" in final
    assert slack.of("files.getUploadURLExternal") == []


def test_engine_failure_is_said_in_the_thread(make_bot: BotFactory, slack: MockSlack) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Diagnosis:
        raise RuntimeError("the analyzer tripped")

    bot = make_bot(ask_fn=broken)
    body, _ = mention(CHANNEL, USER, QUESTION)
    run(bot, bolt_request(body))
    final = slack.of("chat.update", CHANNEL)[-1].params["text"]
    assert final == ":x: The investigation failed: RuntimeError: the analyzer tripped"


def test_secrets_and_slack_markup_from_the_cluster_never_reach_slack(
    make_bot: BotFactory, slack: MockSlack
) -> None:
    bot = make_bot()
    body, ts = mention(CHANNEL, USER, "why does api keep restarting? show me its log")
    run(bot, bolt_request(body))
    assert_answered(slack, CHANNEL, ts)
    everything = slack.everything()
    assert "FATAL cannot start" in everything  # the log line was posted...
    assert BEARER not in everything and PASSWORD not in everything  # ...without its secrets
    posted_text = "\n".join(blocks_text(c) + c.params["text"] for c in slack.of("chat.postMessage"))
    assert "<!channel>" not in posted_text and "<http://evil" not in posted_text
    assert "&lt;!channel&gt;" in posted_text


def test_secrets_in_an_engine_answer_are_masked_too(make_bot: BotFactory, slack: MockSlack) -> None:
    """Defence in depth: even a diagnosis that carries a secret (a tool bug) is redacted on the way out."""
    leaky = _diagnosis(
        summary=f"the log says Authorization: Bearer {BEARER}",
        excerpt=f"password={PASSWORD}\n<!here> <http://evil.example|click>",
    )
    bot = make_bot(ask_fn=lambda *_a, **_k: _answered(leaky))
    body, _ = mention(CHANNEL, USER, QUESTION)
    run(bot, bolt_request(body))
    everything = slack.everything()
    assert "Authorization: Bearer ***" in everything and "password=***" in everything
    assert BEARER not in everything and PASSWORD not in everything
    posted = "\n".join(json.dumps(c.params) for c in slack.calls if c.method.startswith("chat."))
    assert "<!here>" not in posted and "&lt;!here&gt;" in posted


def test_an_answer_larger_than_slack_allows_is_split_without_loss(
    make_bot: BotFactory, slack: MockSlack
) -> None:
    lines = [f"line {n:05d} " + "x" * 90 for n in range(1200)]  # ~120k characters of evidence
    big = _diagnosis(summary="A very long answer.", excerpt="\n".join(lines), findings=40)
    bot = make_bot(ask_fn=lambda *_a, **_k: _answered(big))
    body, ts = mention(CHANNEL, USER, QUESTION)
    run(bot, bolt_request(body))
    assert slack.errors() == []  # nothing Slack would refuse
    answers = [c for c in slack.thread(CHANNEL, ts) if c.params.get("blocks")]
    assert len(answers) > 3
    texts = [blocks_text(c) for c in answers]
    total = len(answers)
    for number, text in enumerate(texts, 1):
        assert f"part {number} of {total}" in text
    joined = "\n".join(texts)
    assert all(line in joined for line in lines)  # every evidence line posted
    assert "_part 2 of " in joined  # a split excerpt says it goes on
    assert all(f"*{n}. finding {n}*" in joined for n in range(1, 41))


def _recording_ask(calls: list[str]) -> Any:
    def fake(_session: Any, question: str, **_kwargs: Any) -> Answer:
        calls.append(question)
        return _answered(_diagnosis(summary="ok", excerpt="fine"))

    return fake


def _answered(diagnosis: Diagnosis) -> Answer:
    """What ``app.engine.ask`` returns for a made-up diagnosis (no tool results, not recorded)."""
    return Answer(diagnosis, Ledger(), datetime.now(UTC))


def _diagnosis(summary: str, excerpt: str, findings: int = 1) -> Diagnosis:
    return Diagnosis.model_validate(
        {
            "question": QUESTION,
            "cluster": "lab",
            "answered_at": "2026-03-01T12:00:00Z",
            "engine": "offline",
            "summary": summary,
            "findings": [
                {
                    "title": f"finding {n}",
                    "category": "AppCrash",
                    "resource": {"kind": "Deployment", "namespace": "shop", "name": "api"},
                    "confidence": 0.8,
                    "explanation": "why " * 50,
                    "evidence": ["e1"] if n == 1 else [],
                }
                for n in range(1, findings + 1)
            ],
            "evidence": [{"id": "e1", "source": "logs", "tool": "k8s_logs", "args": {}, "excerpt": excerpt}],
            "next_steps": [{"description": "look", "command": "kubectl -n shop logs deploy/api"}],
        }
    )


def test_slash_command_in_a_channel_without_the_bot_says_how_to_fix_it(
    make_bot: BotFactory, slack: MockSlack
) -> None:
    bot = make_bot()
    slack.failures["chat.postMessage"] = "not_in_channel"
    run(bot, bolt_request(slash(CHANNEL, USER, QUESTION, slack.response_url), form=True))
    [response] = slack.of("respond")
    assert response.params["response_type"] == "ephemeral"
    assert response.params["text"] == (
        "I could not post here (not_in_channel). Invite me to the channel first (`/invite @kubewhy`)."
    )
    assert slack.of("chat.update") == []
