"""Claims: one winner per key among many threads, a second claim refused while the first lives, the key
free again once it expired, long keys bounded; and the shared rows replicas read (alert group threads,
Slack threads)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from app.store.claims import KEY_CHARS, claim, claim_key
from app.store.shared_state import (
    GroupThread,
    StoredThread,
    count_notification,
    get_group,
    get_thread,
    open_group,
    save_thread,
    update_group,
)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'claims.db'}"


def test_one_winner_among_many(url: str) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        won = list(pool.map(lambda n: claim(url, "slack-event:C1:1.2", 60, owner=f"p{n}"), range(32)))
    assert won.count(True) == 1


def test_a_claim_expires(url: str) -> None:
    assert claim(url, "alert:g", 0.3)
    assert not claim(url, "alert:g", 0.3)
    time.sleep(0.4)
    assert claim(url, "alert:g", 0.3)  # free again after its time-to-live


def test_long_keys_are_hashed_and_overlong_raw_keys_refused(url: str) -> None:
    key = claim_key("alert", "x" * 5000)
    assert len(key) <= KEY_CHARS and key.startswith("alert:sha256:")
    assert claim_key("alert", "short") == "alert:short"
    assert claim(url, key, 60) and not claim(url, key, 60)
    with pytest.raises(ValueError, match="at most 200 characters"):
        claim(url, "k" * 300, 60)


def test_group_threads_and_slack_threads(url: str) -> None:
    first = open_group(url, GroupThread("{}:{a=1}", "C1", "1.1", "firing", ["f2", "f1"], None, 1))
    second = open_group(url, GroupThread("{}:{a=1}", "C1", "2.2", "firing", ["f1"], None, 1))
    assert second.thread_ts == first.thread_ts == "1.1"  # the thread stored first wins
    assert count_notification(url, "{}:{a=1}") == 2
    update_group(url, "{}:{a=1}", status="resolved", fingerprints=["f3"], run_id=7)
    stored = get_group(url, "{}:{a=1}")
    assert (stored.status, stored.fingerprints, stored.run_id) == ("resolved", ["f3"], 7)
    assert get_group(url, "{}:{other}") is None

    save_thread(url, "C1", "9.9", StoredThread({"snapshot": "/s", "context": None}, ["q1"], [1]))
    save_thread(url, "C1", "9.9", StoredThread({"snapshot": "/s", "context": None}, ["q1", "q2"], [1, 2]))
    assert get_thread(url, "C1", "9.9") == StoredThread(
        {"snapshot": "/s", "context": None}, ["q1", "q2"], [1, 2]
    )
    assert get_thread(url, "C1", "0.0") is None
