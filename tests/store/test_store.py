"""The history store: migrations, what a run keeps, finding runs again, the audit log, append-only."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.store import HistoryStore, diff_findings, open_store
from app.store.db import MIGRATIONS_DIR
from tests.store.helpers import diagnosis, ledger, record, settings_at


def _script_heads() -> list[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return list(ScriptDirectory.from_config(config).get_heads())


@pytest.fixture
def settings(tmp_path: Path):
    return settings_at(tmp_path / "nested" / "dir" / "history.db")


def test_first_use_creates_the_database_at_head_in_wal_mode(settings, tmp_path: Path) -> None:
    open_store(settings)
    db = tmp_path / "nested" / "dir" / "history.db"
    with sqlite3.connect(db) as raw:
        tables = {row[0] for row in raw.execute("select name from sqlite_master where type='table'")}
        assert {"runs", "tool_calls", "claims", "alert_groups", "slack_threads", "alembic_version"} <= tables
        versions = {row[0] for row in raw.execute("select version_num from alembic_version")}
        assert versions == set(_script_heads()) and versions == {"0003"}
        assert raw.execute("pragma journal_mode").fetchone() == ("wal",)


def test_a_run_keeps_everything(settings) -> None:
    run_id = record(settings, user="alice", surface="page", question="why is checkout failing?")
    run = open_store(settings).get_run(run_id)
    assert (run.user, run.surface, run.cluster, run.question, run.engine) == (
        "alice", "page", "shop-prod", "why is checkout failing?", "offline",
    )  # fmt: skip
    assert (run.findings, run.top_category, run.tool_calls, run.input_tokens, run.output_tokens) == (
        1, "AppCrash", 2, 120, 30,
    )  # fmt: skip
    assert run.diagnosis == diagnosis("why is checkout failing?", ("AppCrash", "Deployment", "checkout"))
    first, second = run.calls
    assert (first.evidence_id, first.tool, first.args, first.source) == (
        "e1", "k8s_list", {"kind": "Pod", "namespace": "shop"}, "kubernetes",
    )  # fmt: skip
    assert first.output_chars == len(ledger().get("e1").text) and first.output_tokens > 0
    assert first.duration_s == pytest.approx(0.02) and first.user == "alice" and first.error is None
    assert second.error == "prometheus is unavailable: not configured"


def test_find_runs_again(settings) -> None:
    record(settings, user="alice", question="why is checkout failing?")
    record(settings, user="bob", surface="slack", question="pods pending in batch")
    record(settings, user="bob", surface="runbook", question="Rollout", runbook="rollout-stuck",
           runbook_params={"namespace": "shop", "workload": "a"})  # fmt: skip
    latest = record(settings, user="bob", surface="runbook", question="Rollout", runbook="rollout-stuck",
                    runbook_params={"namespace": "shop", "workload": "b"})  # fmt: skip
    store = open_store(settings)
    assert [r.id for r in store.list_runs()] == [4, 3, 2, 1]
    assert [r.id for r in store.list_runs(user="bob", limit=2)] == [4, 3]
    assert [r.id for r in store.list_runs(surface="slack")] == [2]
    assert [r.id for r in store.list_runs(text="CHECKOUT")] == [1]
    assert [r.id for r in store.list_runs(runbook="rollout-stuck")] == [4, 3]
    assert store.count_runs() == 4
    assert store.previous_run(store.get_run(latest)) is None  # other parameters: not comparable
    again = record(settings, surface="runbook", question="Rollout", runbook="rollout-stuck",
                   runbook_params={"namespace": "shop", "workload": "a"})  # fmt: skip
    assert store.previous_run(store.get_run(again)).id == 3
    assert store.get_run(999) is None


def test_audit_log_says_what_was_read_for_whom_and_when(settings) -> None:
    record(settings, user="alice")
    record(settings, user="bob", surface="slack")
    store = open_store(settings)
    entries = store.audit()
    assert [(e.user, e.surface, e.tool) for e in entries] == [
        ("bob", "slack", "prom_query"), ("bob", "slack", "k8s_list"),
        ("alice", "cli", "prom_query"), ("alice", "cli", "k8s_list"),
    ]  # fmt: skip
    assert [e.run_id for e in store.audit(user="alice", tool="k8s_list")] == [1]
    assert all(e.recorded_at is not None and e.cluster == "shop-prod" for e in entries)


def test_append_only(settings, tmp_path: Path) -> None:
    """The repository API can only add and read; nothing it does changes a stored row."""
    public = {name for name in dir(HistoryStore) if not name.startswith("_")}
    forbidden = ("update", "delete", "remove", "edit", "clear", "purge", "drop", "set_", "truncate")
    assert not [name for name in public if any(word in name for word in forbidden)], public
    record(settings, user="alice")

    def dump() -> list[tuple]:
        with sqlite3.connect(tmp_path / "nested" / "dir" / "history.db") as raw:
            return (
                raw.execute("select * from runs where id = 1").fetchall()
                + raw.execute("select * from tool_calls where run_id = 1").fetchall()
            )

    before = dump()
    store = open_store(settings)
    record(settings, user="bob", question="q")  # same question again: a new row, never an update
    store.list_runs(text="q")
    store.previous_run(store.get_run(2))
    store.audit()
    assert dump() == before


def test_diff_findings_keys_on_category_and_resource() -> None:
    before = diagnosis("q", ("AppCrash", "Deployment", "payments"), ("ImagePull", "Deployment", "reco"))
    after = diagnosis("q", ("AppCrash", "Deployment", "payments"), ("OOMKilled", "Deployment", "cart"))
    change = diff_findings(before, after)
    assert [f.resource.name for f in change.added] == ["cart"]
    assert [f.resource.name for f in change.resolved] == ["reco"]
    assert [f.resource.name for f in change.unchanged] == ["payments"] and change.changed
    assert not diff_findings(after, after).changed


def test_postgresql_gets_the_same_schema_without_dialect_specific_sql() -> None:
    """The migration renders for PostgreSQL (offline SQL) with portable types only."""
    import io

    from alembic import command
    from alembic.config import Config

    config = Config(output_buffer=io.StringIO())
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", "postgresql://kubewhy@db.example/kubewhy")
    command.upgrade(config, "heads", sql=True)
    sql = config.output_buffer.getvalue()
    assert "CREATE TABLE runs" in sql and "CREATE TABLE tool_calls" in sql and "CREATE TABLE claims" in sql
    assert "id SERIAL NOT NULL" in sql and "diagnosis JSON NOT NULL" in sql
