"""The single-instance lock on SQLite (flock beside the file) and Postgres (advisory lock)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.bootstrap import App, build_app
from syncd.errors import LockHeld
from syncd.lock import FileLock, instance_lock, lock_holder, take_lock
from syncd.settings import load_settings


@pytest.fixture
def apps(db_url: str) -> Iterator[tuple[App, App]]:
    """Two apps on the same database, as two processes would have."""
    first = build_app(load_settings(database={"url": db_url}))
    second = build_app(load_settings(database={"url": db_url}))
    yield first, second
    first.close()
    second.close()


def test_second_taker_is_refused_with_the_holders_pid(apps: tuple[App, App]) -> None:
    first, second = apps
    with instance_lock(first) as lock:
        assert lock.check()
        with pytest.raises(LockHeld) as err:
            take_lock(second)
        assert f"another syncd (pid {os.getpid()}" in str(err.value)
        assert "is syncing this database" in str(err.value)
        assert err.value.exit_code == 3
        holder = lock_holder(second)
        assert holder is not None
        assert holder.pid == os.getpid()
    # Released at the end of the block: the other one may now take it.
    assert lock_holder(second) is None
    again = take_lock(second)
    try:
        assert again.check()
    finally:
        again.release()


def test_lock_holder_does_not_take_the_lock(apps: tuple[App, App]) -> None:
    first, second = apps
    assert lock_holder(first) is None
    assert lock_holder(first) is None
    lock = take_lock(second)  # would raise if looking had left a lock behind
    lock.release()


def test_sqlite_lock_file_sits_beside_the_database(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    app = build_app(load_settings(database={"url": f"sqlite:///{db}"}))
    try:
        with instance_lock(app) as lock:
            assert lock.where == f"lock file {db}.lock"
            assert (tmp_path / "shop.db.lock").read_text().strip() == str(os.getpid())
    finally:
        app.close()


def test_a_deleted_lock_file_counts_as_a_lost_lock(tmp_path: Path) -> None:
    path = tmp_path / "x.db.lock"
    lock = FileLock(path)
    assert lock.acquire()
    assert lock.check()
    path.unlink()  # a second process could now lock a new file at the same path
    assert not lock.check()
    lock.release()


@pytest.mark.postgres
def test_postgres_lock_is_lost_when_its_session_dies(pg_empty_url: str) -> None:
    import psycopg

    db_url = pg_empty_url  # the advisory lock needs no schema
    app = build_app(load_settings(database={"url": db_url}))
    try:
        lock = take_lock(app)
        assert lock.check()
        holder = lock_holder(app)
        assert holder is not None and holder.pid == os.getpid()
        backend_pid = int(holder.where.rsplit(" ", 1)[1])
        dsn = db_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", (backend_pid,))
        assert not lock.check()
        lock.release()  # safe on a dead session
        assert lock_holder(app) is None  # the server dropped the lock with the session
    finally:
        app.close()
