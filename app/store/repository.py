"""The history repository: add a run (with its tool calls), find runs, read one back, read the audit log.

Append-only by design: there is no function to change or remove a row. Everything goes through SQLAlchemy
Core on portable types, so it behaves the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, insert, or_, select

from app.store.db import engine_for, reading, translate_errors, writing
from app.store.models import RUNS
from app.store.models import TOOL_CALLS as CALLS
from tools.contracts.diagnosis import Diagnosis


@dataclass
class CallRecord:
    """One tool call to store (what the audit log keeps)."""

    evidence_id: str
    tool: str
    args: dict[str, Any]
    source: str
    duration_s: float
    output_chars: int
    output_tokens: int
    truncated: bool = False
    error: str | None = None


@dataclass
class RunRecord:
    """One answered question or runbook run to store."""

    user: str
    surface: str
    cluster: str
    question: str
    diagnosis: Diagnosis
    started_at: datetime
    calls: list[CallRecord] = field(default_factory=list)
    runbook: str | None = None
    runbook_params: dict[str, Any] | None = None
    thread: str | None = None


@dataclass
class StoredRun:
    id: int
    recorded_at: datetime
    started_at: datetime
    duration_s: float
    user: str
    surface: str
    cluster: str
    question: str
    engine: str
    runbook: str | None
    runbook_params: dict[str, Any] | None
    summary: str
    findings: int
    top_category: str | None
    tool_calls: int
    input_tokens: int
    output_tokens: int
    diagnosis_json: dict[str, Any] = field(repr=False, default_factory=dict)
    calls: list[AuditEntry] = field(default_factory=list)
    thread: str | None = None

    @property
    def diagnosis(self) -> Diagnosis:
        return Diagnosis.model_validate(self.diagnosis_json)

    @property
    def cost_usd(self) -> float | None:
        """What the answer cost, as its stats recorded it (None: no model, or no price for it)."""
        cost = (self.diagnosis_json.get("stats") or {}).get("cost_usd")
        return float(cost) if isinstance(cost, int | float) else None

    def as_dict(self, *, full: bool = False) -> dict[str, Any]:
        item = {
            "id": self.id,
            "recorded_at": _iso(self.recorded_at),
            "user": self.user,
            "surface": self.surface,
            "cluster": self.cluster,
            "question": self.question,
            "engine": self.engine,
            "runbook": self.runbook,
            "runbook_params": self.runbook_params,
            "summary": self.summary,
            "findings": self.findings,
            "top_category": self.top_category,
            "duration_s": self.duration_s,
            "tool_calls": self.tool_calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd,
            "thread": self.thread,
        }
        if full:
            item["diagnosis"] = self.diagnosis_json
            item["calls"] = [call.as_dict() for call in self.calls]
        return item


@dataclass
class AuditEntry:
    """One line of the audit log: what was read, for whom, when, from which surface and cluster."""

    id: int
    run_id: int
    seq: int
    evidence_id: str
    recorded_at: datetime
    user: str
    surface: str
    cluster: str
    tool: str
    args: dict[str, Any]
    source: str
    duration_s: float
    output_chars: int
    output_tokens: int
    truncated: bool
    error: str | None

    def as_dict(self) -> dict[str, Any]:
        item = dict(self.__dict__)
        item["recorded_at"] = _iso(self.recorded_at)
        return item


def _iso(moment: datetime) -> str:
    return moment.replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc_naive(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


class HistoryStore:
    """The run history and audit log at one database URL (migrated on first use)."""

    def __init__(self, url: str) -> None:
        self.url = url
        with translate_errors(url):
            self.engine = engine_for(url)

    # --- writing (insert only) --------------------------------------------------------------------

    def add_run(self, record: RunRecord) -> int:
        """Store a run and its tool calls in one transaction; returns the run's id."""
        now = datetime.now(UTC).replace(tzinfo=None)
        diagnosis = record.diagnosis
        stats = diagnosis.stats
        row = {
            "recorded_at": now,
            "started_at": _utc_naive(record.started_at),
            "duration_s": float(stats.duration_s),
            "user": record.user[:200],
            "surface": record.surface[:20],
            "cluster": record.cluster[:200],
            "question": record.question,
            "engine": diagnosis.engine[:200],
            "runbook": record.runbook,
            "runbook_params": record.runbook_params,
            "summary": diagnosis.summary,
            "findings": len(diagnosis.findings),
            "top_category": diagnosis.findings[0].category.value if diagnosis.findings else None,
            "diagnosis": diagnosis.model_dump(mode="json"),
            "tool_calls": int(stats.tool_calls),
            "input_tokens": int(stats.input_tokens),
            "output_tokens": int(stats.output_tokens),
            "thread": record.thread[:200] if record.thread else None,
        }
        with translate_errors(self.url), writing(self.engine) as connection:
            run_id = connection.execute(insert(RUNS).values(**row)).inserted_primary_key[0]
            if record.calls:
                connection.execute(
                    insert(CALLS),
                    [
                        {
                            "run_id": run_id,
                            "seq": seq,
                            "recorded_at": now,
                            "user": row["user"],
                            "surface": row["surface"],
                            "cluster": row["cluster"],
                            **call.__dict__,
                        }
                        for seq, call in enumerate(record.calls, 1)
                    ],
                )
        return int(run_id)

    # --- reading ----------------------------------------------------------------------------------

    def list_runs(
        self,
        *,
        limit: int = 20,
        offset: int = 0,
        user: str | None = None,
        surface: str | None = None,
        cluster: str | None = None,
        runbook: str | None = None,
        text: str | None = None,
    ) -> list[StoredRun]:
        """Newest first, filtered; ``text`` searches the question and the summary."""
        query: Select = select(RUNS).order_by(RUNS.c.id.desc()).limit(limit).offset(offset)
        for column, value in (
            ("user", user),
            ("surface", surface),
            ("cluster", cluster),
            ("runbook", runbook),
        ):
            if value is not None:
                query = query.where(RUNS.c[column] == value)
        if text:
            pattern = f"%{text.lower()}%"
            query = query.where(
                or_(func.lower(RUNS.c.question).like(pattern), func.lower(RUNS.c.summary).like(pattern))
            )
        with translate_errors(self.url), reading(self.engine) as connection:
            return [_run(row) for row in connection.execute(query).mappings()]

    def count_runs(self) -> int:
        with translate_errors(self.url), reading(self.engine) as connection:
            return int(connection.execute(select(func.count()).select_from(RUNS)).scalar_one())

    def get_run(self, run_id: int) -> StoredRun | None:
        """One run with its full diagnosis and tool calls."""
        with translate_errors(self.url), reading(self.engine) as connection:
            row = connection.execute(select(RUNS).where(RUNS.c.id == run_id)).mappings().first()
            if row is None:
                return None
            run = _run(row)
            calls = connection.execute(select(CALLS).where(CALLS.c.run_id == run_id).order_by(CALLS.c.seq))
            run.calls = [AuditEntry(**dict(call)) for call in calls.mappings()]
        return run

    def thread_runs(self, thread: str, cluster: str | None = None) -> list[StoredRun]:
        """The turns of one conversation, oldest first (with their diagnoses)."""
        query = select(RUNS).where(RUNS.c.thread == thread).order_by(RUNS.c.id)
        if cluster is not None:
            query = query.where(RUNS.c.cluster == cluster)
        with translate_errors(self.url), reading(self.engine) as connection:
            return [_run(row) for row in connection.execute(query).mappings()]

    def previous_run(self, run: StoredRun) -> StoredRun | None:
        """The latest earlier run of the same runbook with the same parameters (or the same question) on
        the same cluster: what ``history diff`` compares with."""
        query = select(RUNS).where(RUNS.c.id < run.id, RUNS.c.cluster == run.cluster)
        if run.runbook:
            query = query.where(RUNS.c.runbook == run.runbook)
        else:
            query = query.where(RUNS.c.question == run.question, RUNS.c.runbook.is_(None))
        query = query.order_by(RUNS.c.id.desc())
        with translate_errors(self.url), reading(self.engine) as connection:
            for row in connection.execute(query).mappings():
                candidate = _run(row)
                if candidate.runbook_params == run.runbook_params:
                    return self.get_run(candidate.id)
        return None

    def audit(
        self,
        *,
        limit: int = 100,
        user: str | None = None,
        tool: str | None = None,
        since: datetime | None = None,
        run_id: int | None = None,
    ) -> list[AuditEntry]:
        """The audit log, newest first: every tool call with who it was for and when."""
        query: Select = select(CALLS).order_by(CALLS.c.id.desc()).limit(limit)
        if user is not None:
            query = query.where(CALLS.c.user == user)
        if tool is not None:
            query = query.where(CALLS.c.tool == tool)
        if since is not None:
            query = query.where(CALLS.c.recorded_at >= _utc_naive(since))
        if run_id is not None:
            query = query.where(CALLS.c.run_id == run_id)
        with translate_errors(self.url), reading(self.engine) as connection:
            return [AuditEntry(**dict(row)) for row in connection.execute(query).mappings()]


def _run(row: Any) -> StoredRun:
    data = dict(row)
    data["diagnosis_json"] = data.pop("diagnosis")
    return StoredRun(**data)
