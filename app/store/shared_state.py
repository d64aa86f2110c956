"""What replicas share besides the history: each alert group's Slack thread, and each Slack thread's
conversation (its cluster, its questions, its answers in the run history). Small rows, updated in place,
read by whichever replica handles the next notification or follow-up."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from app.store.db import engine_for, reading, translate_errors, writing
from app.store.models import ALERT_GROUPS as GROUPS
from app.store.models import SLACK_THREADS as THREADS


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def group_hash(group_key: str) -> str:
    return hashlib.sha256(group_key.encode()).hexdigest()


@dataclass
class GroupThread:
    group_key: str
    channel: str
    thread_ts: str
    status: str
    fingerprints: list[str]
    run_id: int | None
    notifications: int


def _group(row: Any) -> GroupThread:
    return GroupThread(
        group_key=row["group_key"],
        channel=row["channel"],
        thread_ts=row["thread_ts"],
        status=row["status"],
        fingerprints=list(row["fingerprints"]),
        run_id=row["run_id"],
        notifications=int(row["notifications"]),
    )


def get_group(url: str, group_key: str) -> GroupThread | None:
    with translate_errors(url), reading(engine_for(url)) as connection:
        row = connection.execute(select(GROUPS).where(GROUPS.c.group_hash == group_hash(group_key)))
        found = row.mappings().first()
    return _group(found) if found is not None else None


def open_group(url: str, group: GroupThread) -> GroupThread:
    """Store a new group's thread; when another replica stored one first, that one is returned."""
    now = _now()
    row = {
        "group_hash": group_hash(group.group_key),
        "group_key": group.group_key,
        "channel": group.channel,
        "thread_ts": group.thread_ts,
        "status": group.status,
        "fingerprints": sorted(group.fingerprints),
        "run_id": group.run_id,
        "notifications": group.notifications,
        "created_at": now,
        "updated_at": now,
    }
    with translate_errors(url):
        try:
            with writing(engine_for(url)) as connection:
                connection.execute(insert(GROUPS).values(**row))
        except IntegrityError:
            existing = get_group(url, group.group_key)
            if existing is not None:
                return existing
            raise
    return group


def update_group(url: str, group_key: str, **changes: Any) -> None:
    """Change a group's status, fingerprints, last run or notification count."""
    if "fingerprints" in changes:
        changes["fingerprints"] = sorted(changes["fingerprints"])
    with translate_errors(url), writing(engine_for(url)) as connection:
        connection.execute(
            update(GROUPS)
            .where(GROUPS.c.group_hash == group_hash(group_key))
            .values(updated_at=_now(), **changes)
        )


def count_notification(url: str, group_key: str, amount: int = 1) -> int:
    """``amount`` more notifications for the group (a repeat); returns the new count."""
    key = group_hash(group_key)
    with translate_errors(url), writing(engine_for(url)) as connection:
        connection.execute(
            update(GROUPS)
            .where(GROUPS.c.group_hash == key)
            .values(notifications=GROUPS.c.notifications + amount, updated_at=_now())
        )
        found = connection.execute(select(GROUPS.c.notifications).where(GROUPS.c.group_hash == key))
        return int(found.scalar_one_or_none() or 0)


@dataclass
class StoredThread:
    target: dict[str, Any]
    questions: list[str]
    run_ids: list[int]


def get_thread(url: str, channel: str, thread_ts: str) -> StoredThread | None:
    query = select(THREADS).where(THREADS.c.channel == channel, THREADS.c.thread_ts == thread_ts)
    with translate_errors(url), reading(engine_for(url)) as connection:
        row = connection.execute(query).mappings().first()
    if row is None:
        return None
    return StoredThread(dict(row["target"]), list(row["questions"]), [int(i) for i in row["run_ids"]])


def save_thread(url: str, channel: str, thread_ts: str, thread: StoredThread) -> None:
    """Insert or replace the thread's row (the last answer wins; one answer at a time per thread)."""
    values = {
        "target": thread.target,
        "questions": thread.questions,
        "run_ids": thread.run_ids,
        "updated_at": _now(),
    }
    where = (THREADS.c.channel == channel, THREADS.c.thread_ts == thread_ts)
    engine = engine_for(url)
    with translate_errors(url):
        with writing(engine) as connection:
            if connection.execute(update(THREADS).where(*where).values(**values)).rowcount:
                return
        try:
            with writing(engine) as connection:
                connection.execute(insert(THREADS).values(channel=channel, thread_ts=thread_ts, **values))
        except IntegrityError:  # another replica inserted it meanwhile
            with writing(engine) as connection:
                connection.execute(update(THREADS).where(*where).values(**values))
