"""The database side of the single-instance lock: a Postgres session advisory lock, and where
the lock file of a SQLite database lives.

The advisory lock is held on a dedicated connection built outside the pool (``NullPool``), so
pool recycling or pre-ping can never hand the lock's session away, and it dies with the process:
Postgres drops session locks when the session ends, crash included. Connect directly, not through
PgBouncer in transaction mode (the lock would stay on a pooled backend with no owner).

This module only takes, checks and describes locks; deciding what a held lock means (refuse to
start, stop syncing) is ``syncd.lock``'s job.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from syncd.errors import StorageError

# Two-int advisory key: ("sync" as int32, 1 = the instance lock). Scoped to one database, so two
# syncds on two databases of one server never collide.
LOCK_CLASS = 0x73796E63
LOCK_OBJECT = 1
_APP_NAME_PREFIX = "syncd pid "


@dataclass(frozen=True)
class Holder:
    """Who holds the lock, as far as can be told."""

    pid: int | None
    where: str  # host for Postgres, lock file path for SQLite

    def describe(self) -> str:
        who = f"pid {self.pid}" if self.pid is not None else "pid unknown"
        return f"{who}, {self.where}"


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL; None for Postgres or an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).resolve()


_HOLDER_SQL = text(
    "SELECT a.pid, a.application_name, a.client_hostname, a.client_addr::text"
    " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
    " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :c AND l.objid = :o"
    " AND l.objsubid = 2"
    " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


class AdvisoryLock:
    """``pg_try_advisory_lock`` on a connection of its own, for one database."""

    def __init__(self, url: str, *, check_timeout_ms: int = 5000) -> None:
        app_name = f"{_APP_NAME_PREFIX}{os.getpid()} on {socket.gethostname()}"[:63]
        self._engine = create_engine(
            url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={
                "application_name": app_name,
                "connect_timeout": 10,
                # A silent network partition must show up as an error on the next check,
                # not as a check that hangs: keepalives plus a statement timeout.
                "keepalives": 1,
                "keepalives_idle": 10,
                "keepalives_interval": 5,
                "keepalives_count": 3,
                "options": f"-c statement_timeout={int(check_timeout_ms)}",
            },
        )
        # The server-side statement_timeout cannot fire for a server that never gets the query
        # (frozen, or a middlebox that acknowledges and drops): the check has a wait of its own.
        self._check_wait = check_timeout_ms / 1000 + 1.0
        self._conn: Connection | None = None
        self._hung = False  # a check never came back: the connection is unusable

    @property
    def held(self) -> bool:
        return self._conn is not None

    def acquire(self) -> bool:
        """Take the lock if free; False if another session holds it."""
        try:
            conn = self._engine.connect()
        except (OperationalError, DBAPIError) as exc:
            raise StorageError(f"cannot connect to take the instance lock: {exc.orig}") from exc
        got = conn.execute(
            text("SELECT pg_try_advisory_lock(:c, :o)"), {"c": LOCK_CLASS, "o": LOCK_OBJECT}
        ).scalar()
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def check(self) -> bool:
        """True while the lock's session is alive (a round trip on the lock connection that
        answers within the check timeout; one that does not is a lost lock)."""
        conn = self._conn
        if conn is None or self._hung:
            return False
        answered: list[bool] = []

        def round_trip() -> None:
            try:
                conn.execute(text("SELECT 1")).scalar()
            except SQLAlchemyError:
                answered.append(False)
            else:
                answered.append(True)

        if not self._bounded(round_trip):
            return False
        return answered == [True]

    def _bounded(self, work: Callable[[], None]) -> bool:
        """Run ``work`` on the lock connection, waiting at most the check wait; False (and the
        connection marked hung) when it did not finish. A daemon thread: one stuck on a silent
        server must not keep the process alive."""
        worker = threading.Thread(target=work, name="syncd-lock", daemon=True)
        worker.start()
        worker.join(self._check_wait)
        if worker.is_alive():
            self._hung = True
            return False
        return True

    def holder(self) -> Holder | None:
        """The session holding the lock in this database (read from pg_locks), if any."""
        try:
            with self._engine.connect() as conn:
                row = conn.execute(_HOLDER_SQL, {"c": LOCK_CLASS, "o": LOCK_OBJECT}).first()
        except (OperationalError, DBAPIError) as exc:
            raise StorageError(f"cannot read pg_locks: {exc.orig}") from exc
        if row is None:
            return None
        backend_pid, app_name, client_host, client_addr = row
        pid: int | None = None
        host = client_host or client_addr or "local socket"
        if isinstance(app_name, str) and app_name.startswith(_APP_NAME_PREFIX):
            number, _, rest = app_name[len(_APP_NAME_PREFIX) :].partition(" on ")
            pid = int(number) if number.isdigit() else None
            host = rest or host
        return Holder(pid=pid, where=f"host {host}, postgres backend {backend_pid}")

    def release(self) -> None:
        """Unlock and close; safe to call twice or after the connection died.

        A connection that stopped answering is given up after the check wait (the driver would
        wait behind a stuck check for ever): the session, and its lock, end with this process.
        """
        conn, self._conn = self._conn, None
        if conn is not None and not self._hung:

            def unlock_and_close() -> None:
                try:
                    conn.execute(
                        text("SELECT pg_advisory_unlock(:c, :o)"),
                        {"c": LOCK_CLASS, "o": LOCK_OBJECT},
                    )
                except SQLAlchemyError:
                    pass  # the session is gone, and the lock with it
                finally:
                    with suppress(SQLAlchemyError):
                        conn.close()

            self._bounded(unlock_and_close)
        self._engine.dispose()

    def __repr__(self) -> str:
        return f"AdvisoryLock(held={self.held})"
