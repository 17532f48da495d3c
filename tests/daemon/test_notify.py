"""sd_notify: datagrams reach a path socket and an abstract one; without NOTIFY_SOCKET, nothing."""

from __future__ import annotations

import os

from daemon_support import NotifyListener

from syncd.notify import Notifier


def test_messages_arrive_as_key_value_lines(notify_socket: NotifyListener) -> None:
    notifier = Notifier.from_env({"NOTIFY_SOCKET": notify_socket.address})
    assert notifier.enabled
    assert notifier.ready(status="syncing every 60s")
    assert notifier.status("last cycle 12:00:00Z: orders ok\nsecond line")
    assert notifier.watchdog()
    assert notifier.stopping(extend_seconds=2.5)

    notify_socket.wait_for("STOPPING")  # the last one sent
    got = notify_socket.messages()
    assert got[0] == {"READY": "1", "MAINPID": str(os.getpid()), "STATUS": "syncing every 60s"}
    # A newline in a status must not start a new assignment.
    assert got[1] == {"STATUS": "last cycle 12:00:00Z: orders ok second line"}
    assert got[2] == {"WATCHDOG": "1"}
    assert got[3] == {"STOPPING": "1", "EXTEND_TIMEOUT_USEC": "2500000"}


def test_without_notify_socket_every_call_is_a_quiet_no_op() -> None:
    notifier = Notifier.from_env({})
    assert not notifier.enabled
    assert notifier.ready() is False
    assert notifier.watchdog() is False


def test_a_dead_socket_never_raises() -> None:
    notifier = Notifier("/nonexistent/dir/notify.sock")
    assert notifier.ready() is False
    assert notifier.watchdog() is False


def test_watchdog_interval_is_half_of_watchdog_usec_for_this_pid_only() -> None:
    mine = Notifier.from_env({"WATCHDOG_USEC": "4000000", "WATCHDOG_PID": str(os.getpid())})
    assert mine.watchdog_interval == 2.0
    unset_pid = Notifier.from_env({"WATCHDOG_USEC": "1000000"})
    assert unset_pid.watchdog_interval == 0.5
    other = Notifier.from_env({"WATCHDOG_USEC": "4000000", "WATCHDOG_PID": "1"})
    assert other.watchdog_interval is None
    assert Notifier.from_env({}).watchdog_interval is None
