"""Several writers at once (page sessions in threads, the Slack bot and CLI in other processes) on a fresh
database: the schema is created once and no row is lost."""

from __future__ import annotations

import multiprocessing
import sqlite3
import sys
import types
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest

from app.store import open_store
from tests.store.helpers import record, settings_at

WRITES = 15


def _write_many(path: str, writer: str) -> list[int]:
    settings = settings_at(path)
    return [record(settings, user=writer, question=f"{writer} question {n}") for n in range(WRITES)]


def test_threads_lose_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "threads.db")
    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = [
            i for batch in pool.map(_write_many, [path] * 8, [f"page-{n}" for n in range(8)]) for i in batch
        ]
    assert sorted(ids) == list(range(1, 8 * WRITES + 1))
    _check_complete(path, 8)


def test_processes_lose_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Spawned children re-run the parent's __main__ file; in a full suite an earlier Streamlit AppTest
    # may have left __main__ pointing at its temporary page script. Children need no __main__ at all.
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    path = str(tmp_path / "processes.db")
    # A process pool whose worker dies raises BrokenProcessPool here instead of hanging like Pool does.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=4, mp_context=context) as pool:
        futures = [pool.submit(_write_many, path, f"proc-{n}") for n in range(4)]
        batches = [future.result(timeout=120) for future in futures]
    assert sorted(i for batch in batches for i in batch) == list(range(1, 4 * WRITES + 1))
    _check_complete(path, 4)


def _check_complete(path: str, writers: int) -> None:
    store = open_store(settings_at(path))
    assert store.count_runs() == writers * WRITES
    with sqlite3.connect(path) as raw:
        assert raw.execute("select count(*) from tool_calls").fetchone() == (writers * WRITES * 2,)
        assert raw.execute("select count(*) from alembic_version").fetchone() == (1,)
        per_run = raw.execute(
            "select count(*) from tool_calls group by run_id having count(*) != 2"
        ).fetchall()
        assert per_run == []
