"""Engine and session set-up for SQLite and Postgres.

SQLite gets WAL, a busy timeout and foreign keys on every connection, because a till or web shop
may write the inventory at the same time. Postgres uses ``postgresql+psycopg://``. This module
builds engines; it never decides what to store.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from syncd.errors import ConfigError


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, *, busy_timeout_ms: int = 5000) -> Engine:
    """An engine for ``url`` with the per-backend connection settings syncd relies on."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ConfigError(f"setting database.url: not a database URL ({exc})") from None
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            parsed,
            connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy manage transactions (BEGIN) while the driver stays out of the way.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            if parsed.database not in (None, "", ":memory:"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # BEGIN IMMEDIATE would serialise readers too; a plain BEGIN plus the busy timeout
            # is enough because every stock change is a single atomic UPDATE.
            conn.exec_driver_sql("BEGIN")

        return engine
    if parsed.drivername != "postgresql+psycopg":
        raise ConfigError(
            f"setting database.url: driver {parsed.drivername!r} is not supported "
            "(use sqlite:///file.db or postgresql+psycopg://...)"
        )
    return create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=5)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session
