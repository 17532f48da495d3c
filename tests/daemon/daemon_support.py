"""Helpers shared by the daemon tests: the listening end of NOTIFY_SOCKET and a syncd subprocess."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class NotifyListener:
    """The service manager's end of NOTIFY_SOCKET: a thread drains it, as systemd would (a
    datagram queue left unread fills up and then blocks or drops the sender's messages)."""

    def __init__(self, address: str, sock: socket.socket) -> None:
        self.address = address  # what goes into NOTIFY_SOCKET ("@name" for abstract)
        self._sock = sock
        self._seen: list[dict[str, str]] = []
        self._mutex = threading.Lock()
        self._closed = threading.Event()
        self._sock.settimeout(0.05)
        self._thread = threading.Thread(target=self._drain, name="notify-listener")
        self._thread.start()

    def _drain(self) -> None:
        while not self._closed.is_set():
            try:
                data = self._sock.recv(4096)
            except (TimeoutError, BlockingIOError):
                continue
            except OSError:
                return
            message = dict(line.split("=", 1) for line in data.decode().splitlines())
            with self._mutex:
                self._seen.append(message)

    def close(self) -> None:
        self._closed.set()
        self._thread.join(5)
        self._sock.close()

    def messages(self, wait: float = 0.0) -> list[dict[str, str]]:
        """Every datagram so far, each as {KEY: value}; waits up to ``wait`` for the first."""
        deadline = time.monotonic() + wait
        while True:
            with self._mutex:
                if self._seen or time.monotonic() >= deadline:
                    return list(self._seen)
            time.sleep(0.01)

    def wait_for(self, key: str, timeout: float = 20.0) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages():
                if key in message:
                    return message
            time.sleep(0.02)
        raise AssertionError(f"no {key} notification within {timeout}s: {self.messages()}")


@dataclass
class Proc:
    """A syncd subprocess and its log file."""

    popen: subprocess.Popen[bytes]
    log_path: Path
    out_path: Path
    args: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log_events(self) -> list[dict[str, Any]]:
        events = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    events.append(json.loads(line))
                except ValueError:
                    continue
        return events

    def wait_for_event(self, name: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.log_events():
                if event.get("event") == name:
                    return event
            if self.popen.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no {name!r} log event; stderr:\n{self.log_path.read_text()}")

    def stdout(self) -> str:
        return self.out_path.read_text()

    def stderr(self) -> str:
        return self.log_path.read_text()
