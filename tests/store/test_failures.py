"""A locked, damaged or unreachable database gives one clear error, and the question is still answered."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from app.store import StoreError, open_store, record_answer_safely
from app.store import db as store_db
from tests.store.helpers import diagnosis, ledger, record, settings_at

DEMO = Path(__file__).resolve().parents[2] / "app" / "demo" / "shop"


def test_damaged_file_is_named_and_explained(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match=rf"{path} is damaged or not a SQLite database.*move it aside"):
        open_store(settings_at(path))


def test_locked_database_times_out_with_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_S", 0.3)
    path = tmp_path / "locked.db"
    settings = settings_at(path)
    record(settings)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match=r"is locked by another program \(waited 0.3s\)"):
            record(settings)
        warnings: list[str] = []
        assert record_answer_safely(settings, warn=warnings.append, user="a", surface="cli", cluster="c",
                                    question="q", diagnosis=diagnosis(), ledger=ledger(),
                                    started_at=datetime.now(UTC)) is None  # fmt: skip
        assert warnings == [
            f"kubewhy: warning: the answer was not saved to the history: the history database {path} is "
            "locked by another program (waited 0.3s)"
        ]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert record(settings) == 2


def test_bad_urls_are_explained(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is not a database URL"):
        open_store(settings_at(tmp_path).model_copy(update={"database_url": "not a url"}))
    with pytest.raises(StoreError, match="install the database driver"):
        open_store(settings_at(tmp_path).model_copy(update={"database_url": "postgresql+nodriver://x@h/db"}))


def test_ask_still_answers_when_the_history_is_damaged(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    path.write_bytes(b"garbage" * 1000)
    env = {"KUBEWHY_DATABASE_URL": f"sqlite:///{path}", "KUBEWHY_LLM": "none"}
    result = CliRunner().invoke(
        app, ["ask", "why is the cart broken?", "--snapshot", str(DEMO), "-o", "json"], env=env
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["findings"][0]["resource"]["name"] == "cart"
    assert "warning: the answer was not saved to the history" in result.stderr
    assert "damaged or not a SQLite database" in result.stderr
