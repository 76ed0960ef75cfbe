"""Alembic environment: migrations always run on a connection handed in by migrate.py."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from control_plane.db.models import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError(
        "run migrations through control_plane.db.migrate (python -m control_plane.db), "
        "which hands Alembic its connection"
    )
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite alters tables by copying them; batch mode does that for future migrations.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
