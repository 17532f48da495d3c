"""The database handle the rest of syncd holds: an engine, sessions and transactions.

Jobs and commands receive a ``Database`` and use ``transaction()``; they never build engines.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from syncd.storage.engine import is_sqlite, make_engine, session_factory
from syncd.storage.schema import require_current


class Database:
    """One engine and its session factory."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 5000) -> None:
        self.url = url
        self.engine: Engine = make_engine(url, busy_timeout_ms=busy_timeout_ms)
        self._factory = session_factory(self.engine)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    @property
    def display_url(self) -> str:
        """The URL without a password, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on error."""
        with self._factory() as session, session.begin():
            yield session

    def require_current(self) -> None:
        require_current(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.display_url!r})"
