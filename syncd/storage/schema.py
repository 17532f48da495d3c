"""Schema versions: upgrade, downgrade and "is the schema current?" through Alembic.

Alembic scripts live in the top-level ``migrations/`` folder. An installed copy finds them
through ``SYNCD_MIGRATIONS_DIR`` (the Docker image sets it); a checkout finds them beside the
package.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from syncd.errors import SchemaOutOfDate, StorageError


def migrations_dir() -> Path:
    env = os.environ.get("SYNCD_MIGRATIONS_DIR")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[2] / "migrations")
    for path in candidates:
        if (path / "env.py").is_file():
            return path
    raise StorageError("alembic migrations folder not found (set SYNCD_MIGRATIONS_DIR)")


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    try:
        conn = engine.connect()
    except OperationalError as exc:  # every command's first contact with the database
        url = engine.url.render_as_string(hide_password=True)
        why = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else "no reason"
        raise StorageError(f"database {url}: cannot connect ({why})") from None
    with conn:
        return MigrationContext.configure(conn).get_current_revision()


def require_current(engine: Engine) -> None:
    """Raise SchemaOutOfDate unless the database is at the newest migration."""
    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        raise SchemaOutOfDate(
            f"database schema is at {current or 'nothing'}, code needs {head}: run `syncd migrate`"
        )
