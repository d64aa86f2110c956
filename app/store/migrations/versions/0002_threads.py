"""runs.thread: the conversation a question belongs to (``kubewhy ask --thread NAME``)

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("thread", sa.String(200), nullable=True))
    op.create_index("ix_runs_thread", "runs", ["thread"])


def downgrade() -> None:
    op.drop_index("ix_runs_thread", "runs")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("thread")
