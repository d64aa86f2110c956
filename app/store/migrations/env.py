"""Alembic environment: kubewhy runs migrations itself (``app.store.db``) on a connection it passes in."""

from __future__ import annotations

from alembic import context

from app.store.models import METADATA

connection = context.config.attributes.get("connection")
if connection is None:  # offline SQL generation: alembic upgrade head --sql
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=METADATA,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=METADATA, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
