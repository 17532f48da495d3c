"""systemd's notify protocol (``sd_notify``): READY, STATUS, WATCHDOG and STOPPING datagrams.

systemd declares the protocol stable and ships a dependency-free reference implementation; this
is the same thing in a few lines. The socket named by ``$NOTIFY_SOCKET`` is a path or, with a
leading ``@``, an abstract socket. Without the variable (a shell, Docker) every call is a no-op.

It must never raise: a service manager that stopped listening is not a reason to stop syncing.
It knows nothing of jobs or schedules; the daemon decides what to say and when.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Mapping

import structlog

_log = structlog.get_logger("syncd.notify")


class Notifier:
    """Sends notify messages to the service manager, if there is one."""

    def __init__(self, address: str | None, *, watchdog_usec: int | None = None) -> None:
        self.address = address or None
        self.watchdog_usec = watchdog_usec
        self._lock = threading.Lock()
        self._failed = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Notifier:
        """Read ``NOTIFY_SOCKET`` and ``WATCHDOG_USEC`` (honouring ``WATCHDOG_PID``)."""
        env = os.environ if environ is None else environ
        usec: int | None = None
        pid = env.get("WATCHDOG_PID")
        if env.get("WATCHDOG_USEC", "").isdigit() and (pid is None or pid == str(os.getpid())):
            usec = int(env["WATCHDOG_USEC"]) or None
        return cls(env.get("NOTIFY_SOCKET"), watchdog_usec=usec)

    @property
    def enabled(self) -> bool:
        return self.address is not None

    @property
    def watchdog_interval(self) -> float | None:
        """How often to ping: half of ``WatchdogSec=`` (sd_watchdog_enabled(3)); None if off."""
        if not self.watchdog_usec:
            return None
        return self.watchdog_usec / 2_000_000

    def send(self, **fields: str | int) -> bool:
        """One datagram of ``KEY=value`` lines; True if it was handed to the socket."""
        if self.address is None:
            return False
        text = "\n".join(f"{key}={_one_line(str(value))}" for key, value in fields.items())
        target = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        try:
            with self._lock, socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.settimeout(0.5)  # never hold up a heartbeat for long
                sock.connect(target)
                sock.sendall(text.encode())
        except OSError as exc:
            if not self._failed:  # once: a dead socket would otherwise log every heartbeat
                self._failed = True
                _log.warning("notify_failed", socket=self.address, error=str(exc))
            return False
        self._failed = False
        return True

    def ready(self, status: str | None = None) -> bool:
        fields: dict[str, str | int] = {"READY": 1, "MAINPID": os.getpid()}
        if status:
            fields["STATUS"] = status
        return self.send(**fields)

    def status(self, text: str) -> bool:
        return self.send(STATUS=text)

    def watchdog(self) -> bool:
        return self.send(WATCHDOG=1)

    def stopping(self, status: str | None = None, *, extend_seconds: float | None = None) -> bool:
        """STOPPING=1; ``extend_seconds`` asks for that long to drain (EXTEND_TIMEOUT_USEC)."""
        fields: dict[str, str | int] = {"STOPPING": 1}
        if status:
            fields["STATUS"] = status
        if extend_seconds:
            fields["EXTEND_TIMEOUT_USEC"] = int(extend_seconds * 1_000_000)
        return self.send(**fields)

    def __repr__(self) -> str:
        return f"Notifier(address={self.address!r}, watchdog_usec={self.watchdog_usec!r})"


def _one_line(value: str) -> str:
    # A newline would start a new KEY=value assignment in the datagram.
    return " ".join(value.splitlines())
