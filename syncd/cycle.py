"""The daemon's scheduled work: the cycle (orders → cases → listings), orders alone between
cycles when ``schedule.orders_interval`` is the shorter, and the prices run.

``Work`` runs the jobs through ``syncd.jobs.run_job`` on the scheduler's one worker thread. It
never raises (a failing job must not stop the next cycle), logs errors only when a job changes
from ok to failing and back, records outcomes in ``Vitals`` and the metrics, and tells the
service manager the last cycle's summary. Once the stop Event is set it starts nothing new, and
``idle`` lets the daemon wait for the running job to end its batch. Scheduling (when) is the
daemon's business; what a job does is the job's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import structlog

from syncd.bootstrap import App
from syncd.jobs import JobFn, JobOutcome, run_job
from syncd.notify import Notifier
from syncd.vitals import Vitals

ORDERS = "orders"
CYCLE = (ORDERS, "cases", "listings")
PRICES = "prices"


class Work:
    """The job runs the scheduler calls; one at a time (one worker thread)."""

    def __init__(
        self,
        app: App,
        jobs: Mapping[str, JobFn],
        *,
        vitals: Vitals,
        notifier: Notifier,
        stop: threading.Event,
    ) -> None:
        self.app = app
        self.jobs = dict(jobs)
        self.vitals = vitals
        self.notifier = notifier
        self.stop = stop
        self.idle = threading.Event()  # set while no job runs
        self.idle.set()
        self._busy = threading.Lock()
        self._started: dict[str, float] = {}  # job → monotonic time of its last start
        self._log = structlog.get_logger("syncd.daemon")

    @property
    def has_cycle(self) -> bool:
        return any(name in self.jobs for name in CYCLE)

    def cycle(self) -> None:
        with self._working() as go:
            if not go:
                return
            outcomes: dict[str, str] = {}
            for name in CYCLE:
                if name not in self.jobs:
                    continue
                if self.stop.is_set():
                    break
                outcomes[name] = self.run_one(name)
            self.app.metrics.inc("syncd_cycles_total")
            when = self.app.clock.now().strftime("%H:%M:%SZ")
            text = ", ".join(f"{name} {status}" for name, status in outcomes.items())
            self.notifier.status(f"last cycle {when}: {text}")

    def orders(self) -> None:
        """Orders alone, between cycles: skipped when a cycle polled them within half the
        orders interval (both share the one worker, so they never overlap)."""
        with self._working() as go:
            half = self.app.settings.schedule.orders_interval / 2
            last = self._started.get(ORDERS)
            if go and (last is None or time.monotonic() - last >= half):
                self.run_one(ORDERS)

    def prices(self) -> None:
        with self._working() as go:
            if go:
                self.run_one(PRICES)

    def wait_idle(self, timeout: float) -> bool:
        """After the stop Event is set: True once no job runs (or will start), within timeout."""
        with self._busy:  # after this, no job can start (each checks stop under this lock)
            pass
        return self.idle.wait(timeout)

    @contextmanager
    def _working(self) -> Iterator[bool]:
        """Mark the worker busy unless stopping."""
        with self._busy:
            go = not self.stop.is_set()
            if go:
                self.idle.clear()
        try:
            yield go
        finally:
            if go:
                self.idle.set()

    def _options(self, name: str) -> dict[str, Any]:
        # New cards get their price history without a separate backfill run (which the lock
        # would refuse while the daemon runs); cards already covered cost nothing.
        if name == PRICES:
            return {"backfill_days": self.app.settings.prices.backfill_days}
        return {}

    def run_one(self, name: str) -> str:
        """One job through the runner; never raises, logs only on ok ↔ failing changes."""
        started = time.monotonic()
        self._started[name] = started
        try:
            outcome = run_job(
                self.app, name, self.jobs[name], stop=self.stop, options=self._options(name)
            )
        except Exception as exc:  # the runner itself failed (e.g. job_runs unwritable)
            outcome = JobOutcome("failed", message=f"{type(exc).__name__}: {exc}")
        duration = time.monotonic() - started
        labels = {"job": name}
        self.app.metrics.inc("syncd_job_runs_total", labels={**labels, "status": outcome.status})
        self.app.metrics.inc("syncd_job_duration_seconds_sum", duration, labels)
        self.app.metrics.inc("syncd_job_duration_seconds_count", 1, labels)
        change = self.vitals.record(
            name, outcome.status, at=self.app.clock.now(), duration=duration
        )
        if change == "failing":
            self._log.error("job_failing", job=name, status=outcome.status, why=outcome.message)
        elif change == "recovered":
            self._log.info("job_recovered", job=name)
        return outcome.status
