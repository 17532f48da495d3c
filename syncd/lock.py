"""The single-instance lock: two syncd processes must never sync the same database at once.

SQLite: an exclusive ``flock`` on ``<database file>.lock``; the kernel drops it when the process
dies, so there is no stale-pid clean-up. Postgres: a session advisory lock on a connection of
its own (``syncd.storage.lock``). ``syncd run`` holds it for its lifetime, ``syncd run-once``
for its pass; whoever comes second gets ``LockHeld`` naming the holder.

This module takes, checks and describes the lock. It does not decide what to do when the lock
is lost; the daemon does (it stops and exits non-zero so the service manager restarts it).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Protocol

from syncd.bootstrap import App
from syncd.errors import ConfigError, LockHeld
from syncd.storage.lock import AdvisoryLock, Holder, sqlite_file


class InstanceLock(Protocol):
    """What the daemon needs from a held lock."""

    where: str

    def check(self) -> bool:
        """True while the lock is still ours."""

    def release(self) -> None: ...


class FileLock:
    """``flock(LOCK_EX | LOCK_NB)`` on a lock file; our pid is written into it for messages."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = f"lock file {path}"
        self._fd: int | None = None

    def acquire(self) -> bool:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except FileNotFoundError:
            raise ConfigError(
                f"setting database.url: folder {self.path.parent} does not exist"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return True

    def check(self) -> bool:
        """Ours while we hold the descriptor and the path still names the same file (someone
        deleting the lock file would let a second process lock a new one)."""
        if self._fd is None:
            return False
        try:
            return os.fstat(self._fd).st_ino == os.stat(self.path).st_ino
        except OSError:
            return False

    def holder(self) -> Holder | None:
        """Who holds the lock, read from /proc/locks without touching the lock itself."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        pid = _proc_locks_holder(st.st_dev, st.st_ino)
        if pid is not None:
            return Holder(pid=pid or self._pid_in_file(), where=self.where)
        if Path("/proc/locks").is_file():
            return None
        # No /proc (not Linux): try the lock; if it is free nobody holds it.
        probe = FileLock(self.path)
        if probe.acquire():
            probe.release()
            return None
        return Holder(pid=self._pid_in_file(), where=self.where)

    def _pid_in_file(self) -> int | None:
        with suppress(OSError, ValueError):
            return int(self.path.read_text().strip())
        return None

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # drops the flock; the file stays (unlinking would race a newcomer)

    def __repr__(self) -> str:
        return f"FileLock({str(self.path)!r}, held={self._fd is not None})"


class NoLock:
    """An in-memory SQLite database is private to the process: nothing to lock."""

    where = "in-memory database"

    def check(self) -> bool:
        return True

    def release(self) -> None:
        pass


class PostgresLock:
    """Adapts ``AdvisoryLock`` to ``InstanceLock``."""

    def __init__(self, lock: AdvisoryLock) -> None:
        self._lock = lock
        self.where = "postgres advisory lock"

    def check(self) -> bool:
        return self._lock.check()

    def release(self) -> None:
        self._lock.release()


def take_lock(app: App) -> InstanceLock:
    """Take the lock for ``app``'s database or raise ``LockHeld`` naming who has it."""
    url = app.db.url
    if app.db.is_sqlite:
        path = sqlite_file(url)
        if path is None:
            return NoLock()
        lock = FileLock(path.with_name(path.name + ".lock"))
        if lock.acquire():
            return lock
        holder = lock.holder()
    else:
        advisory = AdvisoryLock(url)
        if advisory.acquire():
            return PostgresLock(advisory)
        try:
            holder = advisory.holder()
        finally:
            advisory.release()
    who = holder.describe() if holder else "pid unknown"
    raise LockHeld(f"another syncd ({who}) is syncing this database; not starting a second one")


def lock_holder(app: App) -> Holder | None:
    """Who holds the lock of ``app``'s database right now (None: nobody), without taking it."""
    if app.db.is_sqlite:
        path = sqlite_file(app.db.url)
        if path is None:
            return None
        return FileLock(path.with_name(path.name + ".lock")).holder()
    advisory = AdvisoryLock(app.db.url)
    try:
        return advisory.holder()
    finally:
        advisory.release()


@contextmanager
def instance_lock(app: App) -> Iterator[InstanceLock]:
    """Hold the single-instance lock for the body; ``LockHeld`` if another syncd has it."""
    lock = take_lock(app)
    try:
        yield lock
    finally:
        lock.release()


def _proc_locks_holder(dev: int, ino: int) -> int | None:
    """The pid holding a FLOCK on (dev, ino) per /proc/locks; 0 if held by an invisible pid."""
    wanted = f"{os.major(dev):02x}:{os.minor(dev):02x}:{ino}"
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 00:2d:5678 0 EOF"; waiters carry a "->" marker.
        if len(parts) >= 6 and parts[1] == "FLOCK" and parts[5] == wanted:
            return int(parts[4]) if parts[4].isdigit() else 0
    return None
