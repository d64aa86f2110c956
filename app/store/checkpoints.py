"""LangGraph checkpoints on the history database, so an agent conversation (a ``--thread``, a Slack
thread) continues in whichever process answers next: SQLite history -> ``SqliteSaver`` in the same file,
PostgreSQL history -> ``PostgresSaver`` on the same server. The savers keep their own tables."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from app.store.db import BUSY_TIMEOUT_S, StoreError, describe_url
from tools.contracts.settings import Settings


def _driver_errors() -> tuple[type[Exception], ...]:
    try:
        import psycopg
    except ImportError:
        return (sqlite3.Error,)
    return (sqlite3.Error, psycopg.Error)


CHECKPOINT_ERRORS: tuple[type[Exception], ...] = (StoreError, *_driver_errors())


@contextmanager
def open_checkpointer(settings: Settings) -> Iterator[Any]:
    """A checkpointer on ``settings.database_url``, set up on first use; StoreError when it cannot be."""
    url = make_url(settings.database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        path = url.database or ":memory:"
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        from langgraph.checkpoint.sqlite import SqliteSaver

        try:
            connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
            saver = SqliteSaver(connection)
            saver.setup()
        except sqlite3.Error as exc:
            where = describe_url(settings.database_url)
            raise StoreError(f"the conversation store in {where} cannot be used: {exc}") from exc
        try:
            yield saver
        finally:
            connection.close()
    elif backend == "postgresql":
        from langgraph.checkpoint.postgres import PostgresSaver

        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with PostgresSaver.from_conn_string(conninfo) as saver:
            saver.setup()
            yield saver
    else:
        raise StoreError(f"conversation threads need SQLite or PostgreSQL history, not {backend}")
