"""The history and audit tables (rows only ever inserted), and the small shared state of several replicas.

``runs`` holds one row per answered question or runbook run (who, where from, which cluster, the full
diagnosis, tokens, timing); ``tool_calls`` holds every tool call behind it (the audit log: what the
assistant read, for whom, when). Portable types only, so SQLite and PostgreSQL both work.

Plain SQLAlchemy Core tables: the store reads and writes rows with Core, and the ORM would only cost
every `kubewhy ask` the time to import it.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

METADATA = MetaData()

RUNS = Table(
    "runs",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("recorded_at", DateTime, nullable=False),  # UTC
    Column("started_at", DateTime, nullable=False),  # UTC
    Column("duration_s", Float, nullable=False, default=0.0),
    Column("user", String(200), nullable=False),
    Column("surface", String(20), nullable=False),
    Column("cluster", String(200), nullable=False),
    Column("question", Text, nullable=False),
    Column("engine", String(200), nullable=False),
    Column("runbook", String(100), nullable=True),
    Column("runbook_params", JSON, nullable=True),
    Column("summary", Text, nullable=False),
    Column("findings", Integer, nullable=False, default=0),
    Column("top_category", String(40), nullable=True),
    Column("diagnosis", JSON, nullable=False),
    Column("tool_calls", Integer, nullable=False, default=0),
    Column("input_tokens", Integer, nullable=False, default=0),
    Column("output_tokens", Integer, nullable=False, default=0),
    Column("thread", String(200), nullable=True),  # conversation (ask --thread)
    Index("ix_runs_recorded_at", "recorded_at"),
    Index("ix_runs_thread", "thread"),
    Index("ix_runs_runbook", "runbook"),
    Index("ix_runs_user", "user"),
)

TOOL_CALLS = Table(
    "tool_calls",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("runs.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("evidence_id", String(20), nullable=False),
    Column("recorded_at", DateTime, nullable=False),  # UTC
    Column("user", String(200), nullable=False),  # for whom it was read
    Column("surface", String(20), nullable=False),
    Column("cluster", String(200), nullable=False),
    Column("tool", String(100), nullable=False),
    Column("args", JSON, nullable=False),
    Column("source", String(20), nullable=False),
    Column("duration_s", Float, nullable=False, default=0.0),
    Column("output_chars", Integer, nullable=False, default=0),
    Column("output_tokens", Integer, nullable=False, default=0),
    Column("truncated", Boolean, nullable=False, default=False),
    Column("error", Text, nullable=True),
    Index("ix_tool_calls_run_id", "run_id"),
    Index("ix_tool_calls_recorded_at", "recorded_at"),
)

# --- shared state of several replicas (Alembic 0003): rows here are updated and expire ----------------

# A unit of work taken by one process: a Slack event, an alert notification. The unique ``key`` makes a
# second claimer fail, on any replica; ``expires_at`` lets the key be claimed again later.
CLAIMS = Table(
    "claims",
    METADATA,
    Column("key", String(200), primary_key=True),
    Column("owner", String(100), nullable=False),
    Column("claimed_at", DateTime, nullable=False),  # UTC
    Column("expires_at", DateTime, nullable=False),  # UTC
    Index("ix_claims_expires_at", "expires_at"),
)

# An Alertmanager alert group's Slack thread and what was last investigated for it.
ALERT_GROUPS = Table(
    "alert_groups",
    METADATA,
    Column("group_hash", String(64), primary_key=True),  # sha256 of the groupKey
    Column("group_key", Text, nullable=False),
    Column("channel", String(100), nullable=False),
    Column("thread_ts", String(40), nullable=False),
    Column("status", String(20), nullable=False),  # firing | resolved
    Column("fingerprints", JSON, nullable=False),
    Column("run_id", Integer, nullable=True),  # the last investigation
    Column("notifications", Integer, nullable=False, default=1),
    Column("created_at", DateTime, nullable=False),  # UTC
    Column("updated_at", DateTime, nullable=False),  # UTC
)

# A Slack thread's conversation, so a follow-up can be answered by any replica.
SLACK_THREADS = Table(
    "slack_threads",
    METADATA,
    Column("channel", String(100), primary_key=True),
    Column("thread_ts", String(40), primary_key=True),
    Column("target", JSON, nullable=False),  # snapshot / context
    Column("questions", JSON, nullable=False),
    Column("run_ids", JSON, nullable=False),  # the answers, in the run history
    Column("updated_at", DateTime, nullable=False),  # UTC
)
