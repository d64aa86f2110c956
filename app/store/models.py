"""The history and audit tables (rows only ever inserted), and the small shared state of several replicas.

``runs`` holds one row per answered question or runbook run (who, where from, which cluster, the full
diagnosis, tokens, timing); ``tool_calls`` holds every tool call behind it (the audit log: what the
assistant read, for whom, when). Portable types only, so SQLite and PostgreSQL both work.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)  # UTC
    started_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)  # UTC
    duration_s: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    user: Mapped[str] = mapped_column(String(200), nullable=False)
    surface: Mapped[str] = mapped_column(String(20), nullable=False)
    cluster: Mapped[str] = mapped_column(String(200), nullable=False)
    question: Mapped[str] = mapped_column(Text, nullable=False)
    engine: Mapped[str] = mapped_column(String(200), nullable=False)
    runbook: Mapped[str | None] = mapped_column(String(100), nullable=True)
    runbook_params: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    findings: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    top_category: Mapped[str | None] = mapped_column(String(40), nullable=True)
    diagnosis: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    tool_calls: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    input_tokens: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    thread: Mapped[str | None] = mapped_column(String(200), nullable=True)  # conversation (ask --thread)

    __table_args__ = (
        Index("ix_runs_recorded_at", "recorded_at"),
        Index("ix_runs_thread", "thread"),
        Index("ix_runs_runbook", "runbook"),
        Index("ix_runs_user", "user"),
    )


class ToolCall(Base):
    __tablename__ = "tool_calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    evidence_id: Mapped[str] = mapped_column(String(20), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)  # UTC
    user: Mapped[str] = mapped_column(String(200), nullable=False)  # for whom it was read
    surface: Mapped[str] = mapped_column(String(20), nullable=False)
    cluster: Mapped[str] = mapped_column(String(200), nullable=False)
    tool: Mapped[str] = mapped_column(String(100), nullable=False)
    args: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    source: Mapped[str] = mapped_column(String(20), nullable=False)
    duration_s: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    output_chars: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    truncated: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        Index("ix_tool_calls_run_id", "run_id"),
        Index("ix_tool_calls_recorded_at", "recorded_at"),
    )


# --- shared state of several replicas (Alembic 0003): rows here are updated and expire ----------------


class Claim(Base):
    """A unit of work taken by one process: a Slack event, an alert notification. The unique ``key``
    makes a second claimer fail, on any replica; ``expires_at`` lets the key be claimed again later."""

    __tablename__ = "claims"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    owner: Mapped[str] = mapped_column(String(100), nullable=False)
    claimed_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)  # UTC
    expires_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)  # UTC

    __table_args__ = (Index("ix_claims_expires_at", "expires_at"),)


class AlertGroup(Base):
    """An Alertmanager alert group's Slack thread and what was last investigated for it."""

    __tablename__ = "alert_groups"

    group_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the groupKey
    group_key: Mapped[str] = mapped_column(Text, nullable=False)
    channel: Mapped[str] = mapped_column(String(100), nullable=False)
    thread_ts: Mapped[str] = mapped_column(String(40), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)  # firing | resolved
    fingerprints: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the last investigation
    notifications: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)  # UTC
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)  # UTC


class SlackThread(Base):
    """A Slack thread's conversation, so a follow-up can be answered by any replica."""

    __tablename__ = "slack_threads"

    channel: Mapped[str] = mapped_column(String(100), primary_key=True)
    thread_ts: Mapped[str] = mapped_column(String(40), primary_key=True)
    target: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)  # snapshot / context
    questions: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    run_ids: Mapped[list[int]] = mapped_column(JSON, nullable=False)  # the answers, in the run history
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)  # UTC
