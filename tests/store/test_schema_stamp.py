"""A SQLite history file carries the digest of the migrations that built it, so a new process (every
`kubewhy ask`) opens a current one without loading Alembic, and an older or foreign file still migrates."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine

from app.store import open_store
from app.store.db import MIGRATIONS_DIR, migrations_stamp
from tests.store.helpers import record, settings_at

ROOT = Path(__file__).resolve().parents[2]


def _user_version(db: Path) -> int:
    with sqlite3.connect(db) as raw:
        return raw.execute("pragma user_version").fetchone()[0]


def _migrated_to(db: Path, revision: str, user_version: int) -> None:
    """A file an older kubewhy left behind: the schema up to ``revision``, with this header stamp."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()
    with sqlite3.connect(db) as raw:
        raw.execute(f"pragma user_version = {user_version}")


def test_a_new_file_is_stamped_with_the_migrations_digest(tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    open_store(settings_at(db))
    assert _user_version(db) == migrations_stamp() != 0


def test_the_stamp_follows_the_scripts(tmp_path: Path, monkeypatch) -> None:
    scripts = tmp_path / "migrations"
    (scripts / "versions").mkdir(parents=True)
    (scripts / "versions" / "0001_a.py").write_text("revision = '0001'\n")
    monkeypatch.setattr("app.store.db.MIGRATIONS_DIR", scripts)
    first = migrations_stamp()
    (scripts / "versions" / "0002_b.py").write_text("revision = '0002'\n")
    assert migrations_stamp() != first
    assert 0 < first < 2**31


def test_an_older_file_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    _migrated_to(db, "0001", user_version=0)
    with sqlite3.connect(db) as raw:
        tables = {row[0] for row in raw.execute("select name from sqlite_master where type='table'")}
    assert "slack_threads" not in tables
    settings = settings_at(db)
    run_id = record(settings, question="why?")
    assert open_store(settings).get_run(run_id).question == "why?"
    with sqlite3.connect(db) as raw:
        versions = {row[0] for row in raw.execute("select version_num from alembic_version")}
        tables = {row[0] for row in raw.execute("select name from sqlite_master where type='table'")}
    assert versions == {"0003"} and "slack_threads" in tables
    assert _user_version(db) == migrations_stamp()


def test_a_stale_stamp_does_not_skip_a_migration(tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    _migrated_to(db, "0002", user_version=migrations_stamp() ^ 1)
    open_store(settings_at(db))
    with sqlite3.connect(db) as raw:
        versions = {row[0] for row in raw.execute("select version_num from alembic_version")}
    assert versions == {"0003"}
    assert _user_version(db) == migrations_stamp()


def test_a_current_file_opens_without_alembic(tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    open_store(settings_at(db))
    probe = (
        "import sys; from app.store.db import engine_for; "
        f"engine_for('sqlite:///{db}'); print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip() == "[]"


def test_a_current_file_that_cannot_be_written_now_is_still_read(tmp_path: Path) -> None:
    db = tmp_path / "history.db"
    run_id = record(settings_at(db), question="kept?")
    with sqlite3.connect(db) as raw:
        raw.execute("pragma user_version = 0")  # as a kubewhy from before the stamp left it
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer: this process may read, not write
    try:
        probe = (
            "import app.store.db as db; db.BUSY_TIMEOUT_S = 0.3; from app.store import open_store; "
            "from tests.store.helpers import settings_at; "
            f"print(open_store(settings_at({str(db)!r})).get_run({run_id}).question)"
        )
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "kept?"
    assert _user_version(db) == 0
