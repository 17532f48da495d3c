"""Alembic environment: runs against the engine syncd hands over (see syncd/storage/schema.py)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from syncd.storage.tables import Base

config = context.config
engine = config.attributes.get("engine")
if not isinstance(engine, Engine):  # pragma: no cover - only via syncd
    raise RuntimeError("run migrations through `syncd migrate`")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
