"""`kubewhy ask QUESTION --thread NAME` (contracts section 4): each question is the next turn of a
conversation kept in the history store, so a follow-up with no name of its own ("when did that start?",
"how do I fix it?") is answered about the previous turn's subject and culprit; `history show NAME` lists
the turns."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from app.demo import SHOP_SNAPSHOT

KUBEWHY = [sys.executable, "-m", "app.cli"]
POLICY = {"kind": "NetworkPolicy", "namespace": "data", "name": "postgres-allow-catalog"}
CHECKOUT = {"kind": "Deployment", "namespace": "shop", "name": "checkout"}


def run(tmp_db: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBEWHY_LLM": "none", "KUBEWHY_DATABASE_URL": tmp_db}
    return subprocess.run([*KUBEWHY, *args], capture_output=True, text=True, timeout=120, env=env)


def ask(tmp_db: str, question: str, thread: str | None = "orders") -> dict:
    extra = ["--thread", thread] if thread else []
    result = run(tmp_db, "ask", question, "--snapshot", str(SHOP_SNAPSHOT), "-o", "json", *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def conversation(tmp_path_factory) -> tuple[str, list[dict]]:
    db = f"sqlite:///{tmp_path_factory.mktemp('thread')}/history.db"
    turns = [
        ask(db, "why are orders failing at checkout?"),
        ask(db, "when did that start, and what changed right before it?"),
        ask(db, "how do I fix it?"),
    ]
    return db, turns


def test_follow_ups_stay_on_the_first_turns_subject_and_culprit(conversation):
    _, (first, onset, fix) = conversation
    assert first["answer"]["subject"] == CHECKOUT
    assert first["findings"][0]["resource"] == POLICY
    assert onset["answer"]["intent"] == "onset"
    assert onset["answer"]["subject"] == CHECKOUT
    assert onset["answer"]["since"] == "2026-11-20T08:52:00Z"
    assert "08:52 NetworkPolicy data/postgres-allow-catalog created" in onset["answer"]["text"]
    assert fix["answer"]["intent"] == "remediation"
    assert fix["findings"][0]["resource"] == POLICY
    assert fix["answer"]["text"].startswith("Fix NetworkPolicy data/postgres-allow-catalog")


def test_without_a_thread_the_same_follow_up_has_no_subject(conversation):
    db, _ = conversation
    alone = ask(db, "how do I fix it?", thread=None)
    assert alone["answer"]["subject"] is None


def test_history_show_lists_the_threads_turns(conversation):
    db, turns = conversation
    listed = run(db, "history", "show", "orders", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    document = json.loads(listed.stdout)
    assert document["thread"] == "orders"
    assert [t["question"] for t in document["turns"]] == [t["question"] for t in turns]
    assert [t["answer"]["text"] for t in document["turns"]] == [t["answer"]["text"] for t in turns]
    text = run(db, "history", "show", "orders")
    assert text.returncode == 0
    assert "3 turns" in text.stdout and "Q: how do I fix it?" in text.stdout


def test_an_unknown_thread_is_one_clear_line(conversation):
    db, _ = conversation
    missing = run(db, "history", "show", "no-such-thread")
    assert missing.returncode == 2
    assert "no thread called 'no-such-thread'" in missing.stderr


def test_threads_on_another_cluster_do_not_leak(tmp_path):
    """A thread's previous turn is the latest on the same cluster: a new cluster starts afresh."""
    db = f"sqlite:///{tmp_path}/history.db"
    from app.store import last_turn
    from tools.contracts.settings import Settings

    settings = Settings.load()
    settings.database_url = db
    assert last_turn(settings, "orders", "shop-prod") is None
    ask(db, "why are orders failing at checkout?")
    assert last_turn(settings, "orders", "shop-prod").answer.subject.name == "checkout"
    assert last_turn(settings, "orders", "another-cluster") is None
