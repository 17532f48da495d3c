"""The daemon in-process with fake jobs: cycles go on past a failing job, errors are logged on
the change only, stopping is bounded, sd_notify speaks, a lost Postgres lock stops it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import structlog
from daemon_support import NotifyListener
from sqlalchemy import select

from syncd.bootstrap import App, build_app
from syncd.daemon import Daemon
from syncd.errors import SchemaOutOfDate
from syncd.jobs import JobContext, JobFn, JobOutcome
from syncd.notify import Notifier
from syncd.settings import load_settings
from syncd.storage.tables import JobRun


def make_app(url: str, **groups: Any) -> App:
    schedule = {"cycle_interval": 0.2, "stop_timeout": 5.0, **groups.pop("schedule", {})}
    database = {"url": url, **groups.pop("database", {})}
    return build_app(load_settings(database=database, schedule=schedule, **groups))


class Running:
    """A daemon running on a background thread (signals stay with pytest's main thread)."""

    def __init__(self, daemon: Daemon) -> None:
        self.daemon = daemon
        self.result: list[int | BaseException] = []
        self.thread = threading.Thread(target=self._run, name="test-daemon")
        self.thread.start()

    def _run(self) -> None:
        try:
            self.result.append(self.daemon.run())
        except BaseException as exc:
            self.result.append(exc)

    def stop(self, timeout: float = 15.0) -> int | BaseException:
        self.daemon.request_stop()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "daemon did not stop"
        return self.result[0]


@pytest.fixture
def start() -> Iterator[Callable[..., Running]]:
    running: list[Running] = []

    def go(app: App, jobs: dict[str, JobFn], **kwargs: Any) -> Running:
        kwargs.setdefault("heartbeat", 0.05)
        r = Running(Daemon(app, jobs=jobs, handle_signals=False, **kwargs))
        running.append(r)
        return r

    yield go
    for r in running:
        if r.thread.is_alive():
            r.stop()
        r.daemon.app.close()


def until(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def counting(calls: list[str], name: str, fail_first: int = 0) -> JobFn:
    def run(ctx: JobContext) -> JobOutcome:
        calls.append(name)
        if calls.count(name) <= fail_first:
            raise RuntimeError(f"{name} exploded")
        return JobOutcome("ok", {"seen": calls.count(name)})

    return run


def runs(app: App) -> list[tuple[str, str]]:
    with app.db.transaction() as session:
        return [(r.job, r.status) for r in session.scalars(select(JobRun).order_by(JobRun.id))]


def test_a_raising_job_does_not_stop_the_cycle_and_is_logged_once(
    db_url: str, start: Callable[..., Running]
) -> None:
    calls: list[str] = []
    jobs = {
        "orders": counting(calls, "orders"),
        "cases": counting(calls, "cases", fail_first=3),
        "listings": counting(calls, "listings"),
    }
    app = make_app(db_url)
    with structlog.testing.capture_logs() as logs:
        running = start(app, jobs)
        until(lambda: calls.count("listings") >= 5)
        assert running.stop() == 0
    # Every cycle ran all three, in order, although cases raised in the first three.
    assert calls[:6] == ["orders", "cases", "listings"] * 2
    recorded = runs(app)
    assert [s for j, s in recorded if j == "cases"][:4] == ["failed"] * 3 + ["ok"]
    assert all(s == "ok" for j, s in recorded if j != "cases")
    assert not [r for r in recorded if r[1] == "running"]
    failing = [e for e in logs if e["event"] == "job_failing"]
    assert [(e["job"], e["why"]) for e in failing] == [("cases", "RuntimeError: cases exploded")]
    assert [e["job"] for e in logs if e["event"] == "job_recovered"] == ["cases"]


def test_stop_lets_the_running_job_finish_its_batch(
    tmp_path: Any, start: Callable[..., Running]
) -> None:
    batches: list[int] = []
    in_job = threading.Event()

    def slow_listings(ctx: JobContext) -> JobOutcome:
        in_job.set()
        for n in range(10_000):
            if ctx.stop.is_set():  # between batches, as the real jobs do
                return JobOutcome("ok", {"batches": n, "stopped_early": True})
            time.sleep(0.02)
            batches.append(n)
        return JobOutcome("ok", {"batches": 10_000})

    app = make_app(f"sqlite:///{tmp_path / 'x.db'}")
    running = start(app, {"listings": slow_listings})
    in_job.wait(10)
    time.sleep(0.1)
    assert running.stop() == 0
    assert not running.daemon.stuck
    assert 0 < len(batches) < 10_000
    with app.db.transaction() as session:
        run = session.scalars(select(JobRun)).one()
        assert run.status == "ok" and '"stopped_early": true' in (run.summary or "")


def test_a_job_that_ignores_stop_is_abandoned_after_stop_timeout(
    tmp_path: Any, start: Callable[..., Running]
) -> None:
    release = threading.Event()
    in_job = threading.Event()

    def stubborn(ctx: JobContext) -> JobOutcome:
        in_job.set()
        release.wait(30)
        return JobOutcome("ok")

    app = make_app(f"sqlite:///{tmp_path / 'x.db'}", schedule={"stop_timeout": 0.3})
    running = start(app, {"orders": stubborn})
    in_job.wait(10)
    try:
        assert running.stop() == 1
        assert running.daemon.stuck
    finally:
        release.set()  # let the worker thread end so the test leaves nothing running
    until(lambda: runs(app) == [("orders", "ok")])


def test_sd_notify_ready_status_watchdog_stopping(
    tmp_path: Any, start: Callable[..., Running], notify_socket: NotifyListener
) -> None:
    calls: list[str] = []
    jobs = {name: counting(calls, name) for name in ("orders", "cases", "listings")}
    app = make_app(f"sqlite:///{tmp_path / 'x.db'}")
    notifier = Notifier(notify_socket.address, watchdog_usec=100_000)
    running = start(app, jobs, notifier=notifier, heartbeat=None)
    assert running.daemon.heartbeat == 0.05  # half of WATCHDOG_USEC
    ready = notify_socket.wait_for("READY")
    assert ready["STATUS"] == "syncing every 0.2s"
    until(lambda: calls.count("listings") >= 2)
    assert running.stop() == 0
    stopping = notify_socket.wait_for("STOPPING")
    assert stopping["EXTEND_TIMEOUT_USEC"] == "5000000"  # stop_timeout, to drain
    got = notify_socket.messages()
    keys = [next(iter(m)) for m in got]
    assert keys[0] == "READY"  # nothing before READY, not even a watchdog ping
    assert keys.count("WATCHDOG") >= 2
    statuses = [m["STATUS"] for m in got if next(iter(m)) == "STATUS"]
    assert any(s.startswith("last cycle ") and "listings ok" in s for s in statuses), statuses


def test_prices_run_at_start_only_when_due(tmp_path: Any, start: Callable[..., Running]) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    calls: list[str] = []
    options: list[dict[str, Any]] = []
    count_prices = counting(calls, "prices")

    def prices(ctx: JobContext) -> JobOutcome:
        options.append(dict(ctx.options))
        return count_prices(ctx)

    jobs = {"orders": counting(calls, "orders"), "prices": prices}
    app = make_app(url, schedule={"prices_interval": 3600})
    running = start(app, jobs)
    until(lambda: "prices" in calls and calls.count("orders") >= 2)
    assert running.stop() == 0
    assert calls.count("prices") == 1  # never ran before: due at start, once
    # New cards get their history from the daemon's own runs (run-once would be locked out).
    assert options == [{"backfill_days": 30}]

    # Restart: the success just recorded is fresh, so prices waits for its interval.
    calls.clear()
    app2 = make_app(url, schedule={"prices_interval": 3600})
    running = start(app2, jobs)
    until(lambda: calls.count("orders") >= 3)
    assert running.stop() == 0
    assert "prices" not in calls


def test_migrates_an_empty_database_at_start_unless_told_not_to(
    empty_db_url: str, start: Callable[..., Running]
) -> None:
    refused = start(make_app(empty_db_url, database={"migrate_on_start": False}), {})
    refused.thread.join(15)
    assert isinstance(refused.result[0], SchemaOutOfDate)

    calls: list[str] = []
    app = make_app(empty_db_url)
    running = start(app, {"orders": counting(calls, "orders")})
    until(lambda: len(calls) >= 1)
    assert running.stop() == 0
    app.db.require_current()


@pytest.mark.postgres
def test_losing_the_postgres_lock_stops_syncing_and_exits_non_zero(
    pg_db_url: str, start: Callable[..., Running]
) -> None:
    import psycopg

    db_url = pg_db_url

    calls: list[str] = []
    app = make_app(db_url, schedule={"cycle_interval": 0.1})
    running = start(app, {"orders": counting(calls, "orders")})
    until(lambda: len(calls) >= 2)
    dsn = db_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name LIKE 'syncd pid %%' AND datname = current_database()"
        )
    running.thread.join(15)
    assert running.result == [1]
    seen = len(calls)
    time.sleep(0.3)
    assert len(calls) == seen  # nothing syncs without the lock


def test_syncd_run_without_a_token_exits_2_at_once(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from syncd.cli.main import main

    monkeypatch.delenv("SYNCD_CONFIG", raising=False)
    monkeypatch.delenv("SYNCD_MANAGEM__TOKEN", raising=False)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    monkeypatch.setenv("SYNCD_DATABASE__URL", f"sqlite:///{tmp_path / 'x.db'}")
    assert main(["run"]) == 2
    assert "setting managem.token" in capsys.readouterr().err
    assert not (tmp_path / "x.db.lock").exists()  # refused before taking the lock


def test_token_from_the_systemd_credentials_directory(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "managem_token").write_text("from-load-credential\n")
    monkeypatch.delenv("SYNCD_MANAGEM__TOKEN", raising=False)
    monkeypatch.delenv("SYNCD_CONFIG", raising=False)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    token = load_settings().managem.token
    assert token is not None and token.get_secret_value() == "from-load-credential"
    monkeypatch.setenv("SYNCD_MANAGEM__TOKEN", "from-env")  # the environment still wins
    token = load_settings().managem.token
    assert token is not None and token.get_secret_value() == "from-env"


def test_orders_are_polled_on_their_own_between_cycles_when_their_interval_is_shorter(
    tmp_path: Any, start: Callable[..., Running]
) -> None:
    calls: list[str] = []
    jobs = {name: counting(calls, name) for name in ("orders", "cases", "listings")}
    app = make_app(
        f"sqlite:///{tmp_path / 'x.db'}",
        schedule={"cycle_interval": 1.0, "orders_interval": 0.2},
    )
    running = start(app, jobs)
    until(lambda: calls.count("orders") >= calls.count("listings") + 4)
    assert running.stop() == 0
    # Each cycle still runs in order: every listings run directly follows orders then cases.
    for i, name in enumerate(calls):
        if name == "listings":
            assert calls[i - 2 : i] == ["orders", "cases"]
