"""Exactly-once work across replicas: a unit of work (a Slack event, an alert notification) is done by the
process that inserts its key first. The key is the table's primary key, so a second insert fails on any
replica and any database (SQLite, PostgreSQL); a claim expires after its time-to-live, and then the key
can be claimed again (a notification that really is new, a week later)."""

from __future__ import annotations

import hashlib
import itertools
import os
import socket
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.store.db import engine_for, translate_errors, writing
from app.store.models import CLAIMS

KEY_CHARS = 200
PURGE_EVERY = 200
_purge_clock = itertools.count(1)
OWNER = f"{socket.gethostname()}:{os.getpid()}"[:100]


def claim_key(kind: str, *parts: str) -> str:
    """A bounded key: ``kind:`` and the parts, hashed when they would not fit the column."""
    raw = ":".join(parts)
    key = f"{kind}:{raw}"
    if len(key) <= KEY_CHARS:
        return key
    return f"{kind}:sha256:{hashlib.sha256(raw.encode()).hexdigest()}"


def claim(url: str, key: str, ttl_s: float, owner: str = OWNER) -> bool:
    """True for the one caller that takes ``key`` now; False while another claim on it lives.

    An expired claim on the key is deleted in the same transaction, so the key is free again; other
    expired claims are purged now and then. Raises StoreError when the database cannot be used (the
    caller decides whether to do the work anyway)."""
    if len(key) > KEY_CHARS:
        raise ValueError(f"a claim key is at most {KEY_CHARS} characters; use claim_key()")
    now = datetime.now(UTC).replace(tzinfo=None)
    row = {"key": key, "owner": owner, "claimed_at": now, "expires_at": now + timedelta(seconds=ttl_s)}
    with translate_errors(url):
        engine = engine_for(url)
        try:
            with writing(engine) as connection:
                connection.execute(delete(CLAIMS).where(CLAIMS.c.key == key, CLAIMS.c.expires_at <= now))
                connection.execute(insert(CLAIMS).values(**row))
        except IntegrityError:
            return False
    if next(_purge_clock) % PURGE_EVERY == 0:
        _purge(engine, now)
    return True


def _purge(engine: Engine, now: datetime) -> None:
    """Delete expired claims of every key; best effort (replicas purging at once may conflict)."""
    try:
        with writing(engine) as connection:
            connection.execute(delete(CLAIMS).where(CLAIMS.c.expires_at <= now))
    except SQLAlchemyError:
        pass


def release(url: str, key: str) -> None:
    """Give a claim back (the work was not done), so the next claimer of ``key`` does it."""
    with translate_errors(url), writing(engine_for(url)) as connection:
        connection.execute(delete(CLAIMS).where(CLAIMS.c.key == key))
