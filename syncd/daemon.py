"""``syncd run``: the long-running process — lock, schema, scheduler, heartbeat, clean stop.

APScheduler 3.x ``BackgroundScheduler`` with jobs registered in code at every start
(MemoryJobStore: no pickled job store to lose or share). One worker thread runs the work, so
the cycle (orders → cases → listings), orders on their own shorter interval (when
``schedule.orders_interval`` < ``cycle_interval``) and prices never overlap; a separate
one-thread executor runs the heartbeat, so a long cycle cannot starve it. The main thread owns
the signals: SIGTERM or SIGINT only sets the shared stop Event; jobs see it between batches and
end cleanly.

Order at start: single-instance lock → migrations → health server → scheduler → READY=1.
The heartbeat checks the lock (a round trip on Postgres) and pings the systemd watchdog; a lost
lock stops the syncing and exits non-zero so the service manager restarts us.

This module wires and times things. The scheduled work is ``syncd.cycle``; what a job does is in
``syncd.jobs``; what "healthy" means is in ``syncd.vitals`` and ``syncd.health``.
"""

from __future__ import annotations

import logging
import math
import signal
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

import structlog
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from syncd.bootstrap import App
from syncd.cycle import CYCLE, ORDERS, PRICES, Work
from syncd.errors import ConfigError
from syncd.health import HealthServer, text_route, verdict_route
from syncd.jobs import JobFn
from syncd.lock import instance_lock
from syncd.notify import Notifier
from syncd.storage.gauges import last_successes
from syncd.storage.schema import current_revision, head_revision, upgrade
from syncd.vitals import Vitals, describe_metrics, liveness, metrics_text, readiness

_EVENTS = {EVENT_JOB_MISSED: "missed", EVENT_JOB_MAX_INSTANCES: "max_instances"}


class Daemon:
    """One ``syncd run``. ``jobs`` maps names to job functions (tests inject fakes)."""

    def __init__(
        self,
        app: App,
        *,
        jobs: Mapping[str, JobFn],
        notifier: Notifier | None = None,
        heartbeat: float | None = None,
        handle_signals: bool = True,
    ) -> None:
        self.app = app
        self.jobs = dict(jobs)
        self.notifier = notifier or Notifier(None)
        watchdog = self.notifier.watchdog_interval
        self.heartbeat = heartbeat or min(5.0, watchdog or 5.0)
        self.handle_signals = handle_signals
        self.stop = threading.Event()
        self.stuck = False  # a job outlived stop_timeout: the caller must not wait for it
        self.health: HealthServer | None = None
        self._log = structlog.get_logger("syncd.daemon")
        self._exit_code = 0
        sched = app.settings.schedule
        intervals = {name: sched.cycle_interval for name in CYCLE if name in self.jobs}
        if PRICES in self.jobs:
            intervals[PRICES] = sched.prices_interval
        describe_metrics(app.metrics)
        self.vitals = Vitals(
            started_at=app.clock.now(),
            intervals=intervals,
            heartbeat_limit=max(5 * self.heartbeat, 30.0),
        )
        self.work = Work(app, jobs, vitals=self.vitals, notifier=self.notifier, stop=self.stop)

    # -- lifecycle ------------------------------------------------------------------------------

    def run(self) -> int:
        """Run until stopped; the exit code (0 clean stop, 1 lock lost or wedged scheduler).
        Raises ``LockHeld`` (exit 3) when another syncd has this database."""
        with self._signals(), instance_lock(self.app) as lock:
            self.vitals.lock = lock
            self._prepare_schema()
            with self.app.db.transaction() as session:
                self.vitals.seed_successes(last_successes(session))
            self._start_health()
            scheduler = self._scheduler()
            try:
                if not self.stop.is_set():
                    scheduler.start(paused=True)  # jobs scheduled, none running yet
                    self.notifier.ready(status=f"syncing every {self._every()}")
                    self.vitals.beat()  # the heartbeat's clock starts with the scheduler
                    scheduler.resume()
                    self._log.info("daemon_started", jobs=sorted(self.jobs), **self._where())
                    self._wait()
                self._drain(scheduler)
            finally:
                if self.health is not None:
                    self.health.stop()
        self._log.info("daemon_stopped", exit_code=self._exit_code, stuck=self.stuck)
        return self._exit_code

    def request_stop(self) -> None:
        self.stop.set()

    @contextmanager
    def _signals(self) -> Iterator[None]:
        if not self.handle_signals:
            yield
            return

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            self.stop.set()  # only a flag: the main loop does the stopping

        previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _prepare_schema(self) -> None:
        engine = self.app.db.engine
        if self.app.settings.database.migrate_on_start:
            before = current_revision(engine)
            if before != head_revision(engine):
                upgrade(engine)
                self._log.info("schema_migrated", before=before, after=current_revision(engine))
        self.app.db.require_current()

    def _start_health(self) -> None:
        cfg = self.app.settings.health
        if not cfg.enabled:
            return
        factor = cfg.stale_factor
        routes = {
            "/healthz": verdict_route(
                lambda: liveness(self.vitals, now=self.app.clock.now(), factor=factor)
            ),
            "/readyz": verdict_route(lambda: readiness(self.app, self.vitals)),
            "/metrics": text_route(lambda: metrics_text(self.app, self.vitals)),
        }
        try:
            self.health = HealthServer(routes, host=cfg.host, port=cfg.port).start()
        except OSError as exc:
            where = f"{cfg.host}:{cfg.port}"
            raise ConfigError(f"setting health.port: cannot listen on {where} ({exc})") from exc

    def _wait(self) -> None:
        """Main thread: sleep on the stop Event, watch the heartbeat."""
        while not self.stop.wait(min(self.heartbeat, 1.0)):
            age = self.vitals.beat_age()
            if age > self.vitals.heartbeat_limit:
                self._log.error("scheduler_wedged", heartbeat_age_s=round(age, 1))
                self._exit_code = 1
                self.stop.set()

    def _drain(self, scheduler: BackgroundScheduler) -> None:
        """Stop scheduling, let the running job end its batch, bounded by stop_timeout."""
        timeout = self.app.settings.schedule.stop_timeout
        self.stop.set()
        if scheduler.running:
            scheduler.shutdown(wait=False)
        self.notifier.stopping(status="stopping", extend_seconds=timeout)
        if not self.work.wait_idle(timeout):
            self.stuck = True
            self._exit_code = 1
            self._log.error("stop_timeout", seconds=timeout)

    # -- scheduling -----------------------------------------------------------------------------

    def _scheduler(self) -> BackgroundScheduler:
        sched = self.app.settings.schedule
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(1), "heartbeat": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=UTC,
        )
        logging.getLogger("apscheduler").setLevel(logging.ERROR)  # its skips are events below
        scheduler.add_listener(self._on_event, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
        scheduler.add_listener(self._on_error, EVENT_JOB_ERROR)
        now = datetime.now(UTC)  # APScheduler runs on the wall clock, not app.clock
        grace = max(1, math.ceil(sched.misfire_grace))
        scheduler.add_job(
            self._heartbeat,
            "interval",
            seconds=self.heartbeat,
            id="heartbeat",
            executor="heartbeat",
            next_run_time=now,
            misfire_grace_time=max(1, math.ceil(self.heartbeat)),
        )
        if self.work.has_cycle:
            scheduler.add_job(
                self.work.cycle,
                "interval",
                seconds=sched.cycle_interval,
                id="cycle",
                next_run_time=now,  # a first cycle right at start
                misfire_grace_time=grace,
            )
        if ORDERS in self.jobs and sched.orders_interval < sched.cycle_interval:
            scheduler.add_job(
                self.work.orders,
                "interval",
                seconds=sched.orders_interval,
                id="orders",
                next_run_time=now + timedelta(seconds=sched.orders_interval),
                misfire_grace_time=grace,
            )
        if PRICES in self.jobs:
            scheduler.add_job(
                self.work.prices,
                "interval",
                seconds=sched.prices_interval,
                id="prices",
                next_run_time=self._prices_due(now),
                # Queued behind a long cycle on the one worker, it must not count as missed.
                misfire_grace_time=max(grace, math.ceil(sched.prices_interval / 2)),
            )
        return scheduler

    def _prices_due(self, now: datetime) -> datetime:
        """Now if the last prices success is older than the interval, else when it falls due."""
        last = self.vitals.jobs()[PRICES].last_success_at
        interval = timedelta(seconds=self.app.settings.schedule.prices_interval)
        if last is None or self.app.clock.now() - last >= interval:
            return now + timedelta(seconds=1)  # after the first cycle, on the same worker
        return now + (last + interval - self.app.clock.now())

    def _every(self) -> str:
        return f"{self.app.settings.schedule.cycle_interval:g}s"

    def _where(self) -> dict[str, Any]:
        where: dict[str, Any] = {"database": self.app.db.display_url}
        if self.health is not None:
            where["health_url"] = self.health.url
        return where

    def _on_event(self, event: JobEvent) -> None:
        kind = _EVENTS.get(event.code, str(event.code))
        self.app.metrics.inc("syncd_scheduler_events_total", labels={"event": kind})
        self._log.info("scheduler_skipped_run", scheduled_job=event.job_id, why=kind)

    def _on_error(self, event: JobEvent) -> None:
        self.app.metrics.inc("syncd_scheduler_events_total", labels={"event": "error"})
        self._log.error("scheduler_job_error", scheduled_job=event.job_id)

    # -- the heartbeat ----------------------------------------------------------------------------

    def _heartbeat(self) -> None:
        if self.stop.is_set():
            return  # stopping: no more watchdog pings after STOPPING=1
        lock = self.vitals.lock
        if lock is None or not lock.check():
            if not self.vitals.lock_lost:
                self._log.error("lock_lost", where=getattr(lock, "where", None))
            self.vitals.lose_lock()
            self._exit_code = 1
            self.stop.set()  # jobs stop between batches; nothing syncs without the lock
            return
        self.vitals.beat()
        self.notifier.watchdog()
