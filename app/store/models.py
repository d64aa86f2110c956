"""The history and audit tables. Rows are only ever inserted: the repository has no update or delete.

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
