"""Benchmark the Slack bot on the demo cluster: how fast Slack is acknowledged, how fast the thread gets
its acknowledgement message and its answer, and what a large answer costs to render.

    python bench/bench_slack.py [--snapshot app/demo/shop] [--truth app/demo/shop_truth.yaml] [--repeat 3]

The real bolt app receives signed app_mention requests through ``app.dispatch`` and posts to a local
recording Slack Web API (``devkit/mock_slack.py``); the built-in diagnostician answers the truth
file's questions on the snapshot served by kubewhy, with a real Prometheus over its metrics.

Reported: ``dispatch`` (the HTTP answer to Slack, which must come within 3 s), the time until the
acknowledgement is in the thread, until the answer's first message is posted and until the last edit
says it is done; the cluster's first opening (snapshot server + Prometheus) separately; and rendering
a 40-finding answer with 120 k characters of evidence into Block Kit messages.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.slack.blocks import diagnosis_messages  # noqa: E402
from app.slack.bot import create_bot  # noqa: E402
from devkit.mock_slack import MockSlack  # noqa: E402
from devkit.slack_requests import SECRET, bolt_request, mention  # noqa: E402
from tools.contracts.diagnosis import Diagnosis  # noqa: E402
from tools.contracts.settings import Settings  # noqa: E402

CHANNEL, USER = "C0BENCH", "U0BENCH"


def ms(seconds: float) -> str:
    if seconds < 0.01:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def ask_once(bot, slack: MockSlack, question: str) -> dict[str, float]:
    body, ts = mention(CHANNEL, USER, question)
    started = time.monotonic()
    bot.app.dispatch(bolt_request(body))
    acked = time.monotonic()
    assert bot.executor.wait_idle(120)
    thread = slack.thread(CHANNEL, ts)
    ack_ts = thread[0].answer["ts"]
    first_answer = next(c for c in thread if c.params.get("blocks"))
    last_edit = [c for c in slack.of("chat.update", CHANNEL) if c.params["ts"] == ack_ts][-1]
    assert last_edit.params["text"].startswith(":white_check_mark:"), last_edit.params["text"]
    return {
        "dispatch": acked - started,
        "ack_message": thread[0].at - started,
        "answer": first_answer.at - started,
        "done": last_edit.at - started,
    }


def big_diagnosis() -> Diagnosis:
    lines = [f"line {n:05d} " + "x" * 90 for n in range(1200)]
    finding = {
        "category": "AppCrash",
        "resource": {"kind": "Deployment", "namespace": "shop", "name": "api"},
        "confidence": 0.8,
        "explanation": "why " * 50,
    }
    return Diagnosis.model_validate(
        {
            "question": "q",
            "cluster": "c",
            "answered_at": "2026-01-01T00:00:00Z",
            "engine": "offline",
            "summary": "s",
            "findings": [
                {**finding, "title": f"finding {n}", "evidence": ["e1"] if n == 1 else []} for n in range(40)
            ],
            "evidence": [{"id": "e1", "source": "logs", "tool": "k8s_logs", "excerpt": "\n".join(lines)}],
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshot", default=str(ROOT / "app/demo/shop"))
    parser.add_argument("--truth", default=str(ROOT / "app/demo/shop_truth.yaml"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    questions = [p["question"] for p in yaml.safe_load(Path(args.truth).read_text())["problems"]]

    with MockSlack() as slack, tempfile.TemporaryDirectory() as scratch:
        settings = Settings(
            llm="none",
            database_url=f"sqlite:///{scratch}/history.db",  # the run history of the bench only
            snapshot=args.snapshot,
            slack_bot_token="xoxb-bench",
            slack_signing_secret=SECRET,
            slack_api_url=slack.url,
            slack_rate_limit_per_minute=0,
        )
        bot = create_bot(settings)
        try:
            opening = ask_once(bot, slack, questions[0])
            runs = [ask_once(bot, slack, q) for _ in range(args.repeat) for q in questions]
        finally:
            bot.close()

    print(f"first question (opens the cluster: snapshot server + Prometheus): done in {ms(opening['done'])}")
    print(f"{len(runs)} questions ({len(questions)} demo questions x {args.repeat}), median / max:")
    for key, label in [
        ("dispatch", "dispatch returns (Slack acknowledged)"),
        ("ack_message", "acknowledgement posted in the thread"),
        ("answer", "first answer message posted"),
        ("done", "last edit: done"),
    ]:
        values = [run[key] for run in runs]
        print(f"  {label:42s} {ms(statistics.median(values)):>9s} / {ms(max(values))}")

    big = big_diagnosis()
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        messages = diagnosis_messages(big)
        timings.append(time.perf_counter() - started)
    blocks = sum(len(m.blocks) for m in messages)
    print(
        f"render 40 findings + 120k chars of evidence: {len(messages)} messages, {blocks} blocks, "
        f"median {ms(statistics.median(timings))}"
    )


if __name__ == "__main__":
    main()
