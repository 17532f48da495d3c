"""The single-instance lock on SQLite (flock beside the file) and Postgres (advisory lock)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, suppress
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from syncd.bootstrap import App, build_app
from syncd.errors import LockHeld
from syncd.lock import FileLock, instance_lock, lock_holder, take_lock
from syncd.settings import load_settings
from syncd.storage.lock import AdvisoryLock


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


class StallingProxy:
    """A TCP relay that can stop relaying while keeping both connections open, as a frozen
    server or a stalled middlebox does: the client's bytes are acknowledged, never answered."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.frozen = threading.Event()
        self._closing = threading.Event()
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self._sockets += [client, server]
            for src, dst in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        with suppress(OSError):
            while data := src.recv(65536):
                while self.frozen.is_set() and not self._closing.is_set():
                    time.sleep(0.02)
                dst.sendall(data)

    def close(self) -> None:
        self._closing.set()
        for sock in [self._listener, *self._sockets]:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


@pytest.mark.postgres
@pytest.mark.parametrize("release_during_check", [False, True])
def test_a_postgres_lock_whose_server_stops_answering_is_lost_in_bounded_time(
    pg_empty_url: str, release_during_check: bool
) -> None:
    # keepalives and statement_timeout cannot notice a server that stops answering while TCP
    # stays up: the check hung for ever, and release() then waited behind it, so a daemon that
    # found its heartbeat wedged could never exit for the service manager to restart it. A
    # release racing a check that is still waiting (SIGTERM during a heartbeat) is bounded too.
    real = make_url(pg_empty_url)
    with ExitStack() as stack:
        proxy = StallingProxy((real.host or "127.0.0.1", real.port or 5432))
        stack.callback(proxy.close)
        url = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        lock = AdvisoryLock(url, check_timeout_ms=300)
        assert lock.acquire()
        assert lock.check()
        proxy.frozen.set()
        started = time.monotonic()
        outcome: list[bool] = []

        def check_then_release() -> None:
            outcome.append(lock.check())
            if not release_during_check:
                lock.release()

        workers = [threading.Thread(target=check_then_release, daemon=True)]
        if release_during_check:
            workers.append(threading.Thread(target=lock.release, daemon=True))
        for worker in workers:
            worker.start()
            time.sleep(0.1)  # a release comes while the check's query is out, unanswered
        for worker in workers:
            worker.join(timeout=10)
        assert not any(w.is_alive() for w in workers), "hung on a server that stopped answering"
        assert outcome == [False]
        assert time.monotonic() - started < 5
