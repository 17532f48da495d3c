"""Fixtures for the daemon tests: a notify socket to listen on, a sandbox, a daemon subprocess.

``notify_socket`` is a bound AF_UNIX datagram socket (what systemd would own); ``.messages()``
collects what arrived. ``spawn`` starts ``python -m syncd.cli.main ARGS`` with settings in the
environment, stderr to a file (JSON log lines), and kills whatever is still running at teardown
so no test leaves a process behind.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from daemon_support import NotifyListener, Proc

from syncd.sandbox import Sandbox, SandboxOptions, start_sandbox

REPO = Path(__file__).resolve().parents[2]


def _listen(kind: str) -> NotifyListener:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if kind == "abstract":
        name = f"syncd-test-{uuid.uuid4().hex}"
        sock.bind("\0" + name)
        return NotifyListener("@" + name, sock)
    # AF_UNIX paths are limited to ~107 bytes; pytest's tmp_path can be longer.
    address = f"/tmp/syncd-notify-{uuid.uuid4().hex[:12]}.sock"
    sock.bind(address)
    return NotifyListener(address, sock)


@pytest.fixture(params=["path", "abstract"])
def notify_socket(request: pytest.FixtureRequest) -> Iterator[NotifyListener]:
    """A listening notify socket, once as a file path and once as an abstract name."""
    listener = _listen(str(request.param))
    yield listener
    listener.close()
    if not listener.address.startswith("@"):
        Path(listener.address).unlink(missing_ok=True)


@pytest.fixture
def notify_path() -> Iterator[NotifyListener]:
    """A listening notify socket at a file path (for tests that need only one kind)."""
    listener = _listen("path")
    yield listener
    listener.close()
    Path(listener.address).unlink(missing_ok=True)


@pytest.fixture
def pg_db_url(pg_empty_url: str) -> str:
    """A migrated Postgres database (for the tests about the advisory lock only)."""
    from syncd.storage.engine import make_engine
    from syncd.storage.schema import upgrade

    engine = make_engine(pg_empty_url)
    upgrade(engine)
    engine.dispose()
    return pg_empty_url


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    threads_before = {t.ident for t in threading.enumerate()}
    sb = start_sandbox(SandboxOptions(seed=1))
    yield sb
    sb.stop()
    assert sb.internal_errors == 0
    leftover = [t.name for t in threading.enumerate() if t.ident not in threads_before]
    assert leftover == [], f"threads left running: {leftover}"


Spawn = Callable[..., Proc]


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    started: list[Proc] = []

    def start(args: list[str], env: dict[str, str]) -> Proc:
        n = len(started)
        log_path, out_path = tmp_path / f"proc{n}.err", tmp_path / f"proc{n}.out"
        full_env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("SYNCD_") and k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")
        }
        full_env.update({"SYNCD_LOG__FORMAT": "json", "PYTHONUNBUFFERED": "1", **env})
        with log_path.open("wb") as err, out_path.open("wb") as out:
            popen = subprocess.Popen(
                [sys.executable, "-m", "syncd.cli.main", *args],
                cwd=REPO,
                env=full_env,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
            )
        proc = Proc(popen, log_path, out_path, args)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.popen.poll() is None:
            proc.popen.send_signal(signal.SIGKILL)
            proc.popen.wait(timeout=10)
