"""What the running daemon knows about itself, and the three answers built from it.

``Vitals`` is written by the daemon (each job outcome, each heartbeat) and read by the health
server's threads, so every access takes its lock. ``liveness`` works from memory only (a slow
database must not make a live daemon look dead); ``readiness`` and the metrics read the
database. Nothing here schedules, retries or stops anything.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from syncd import __version__
from syncd.bootstrap import App
from syncd.health import Verdict, stale_jobs
from syncd.lock import InstanceLock
from syncd.metrics import Metrics
from syncd.storage.gauges import ping, read_gauges

Sample = tuple[str, str, Mapping[str, str], float]
Change = Literal["failing", "recovered"] | None


@dataclass(frozen=True)
class JobRecord:
    last_status: str | None = None
    last_run_at: datetime | None = None
    last_success_at: datetime | None = None
    last_duration: float | None = None
    failing: bool = False


class Vitals:
    """Per-job outcomes and the heartbeat, shared between the daemon and the health server."""

    def __init__(
        self,
        *,
        started_at: datetime,
        intervals: Mapping[str, float],
        heartbeat_limit: float,
    ) -> None:
        self.started_at = started_at
        self.intervals = dict(intervals)  # job → seconds between runs
        self.heartbeat_limit = heartbeat_limit
        self.lock: InstanceLock | None = None
        self._mutex = threading.Lock()
        self._jobs: dict[str, JobRecord] = {name: JobRecord() for name in intervals}
        self._beat = time.monotonic()
        self._lock_lost = False

    def seed_successes(self, successes: Mapping[str, datetime]) -> None:
        """Last successes from job_runs, so a restart does not forget them."""
        with self._mutex:
            for job, at in successes.items():
                if job in self._jobs:
                    self._jobs[job] = replace(self._jobs[job], last_success_at=at)

    def record(self, job: str, status: str, *, at: datetime, duration: float) -> Change:
        """Store an outcome; return the change worth logging (ok → failing, failing → ok)."""
        with self._mutex:
            old = self._jobs.get(job, JobRecord())
            failing = status != "ok"
            self._jobs[job] = JobRecord(
                last_status=status,
                last_run_at=at,
                last_success_at=at if not failing else old.last_success_at,
                last_duration=duration,
                failing=failing,
            )
        if failing and not old.failing:
            return "failing"
        if old.failing and not failing:
            return "recovered"
        return None

    def beat(self) -> None:
        with self._mutex:
            self._beat = time.monotonic()

    def beat_age(self) -> float:
        with self._mutex:
            return time.monotonic() - self._beat

    def lose_lock(self) -> None:
        with self._mutex:
            self._lock_lost = True

    @property
    def lock_lost(self) -> bool:
        with self._mutex:
            return self._lock_lost

    def jobs(self) -> dict[str, JobRecord]:
        with self._mutex:
            return dict(self._jobs)


def liveness(vitals: Vitals, *, now: datetime, factor: float) -> Verdict:
    """Alive, heartbeat fresh, lock ours, no job stale (memory only)."""
    jobs = vitals.jobs()
    details: dict[str, Any] = {
        "started_at": vitals.started_at.isoformat(),
        "jobs": {
            name: {
                "last_status": rec.last_status,
                "last_run_at": rec.last_run_at.isoformat() if rec.last_run_at else None,
                "last_success_at": rec.last_success_at.isoformat() if rec.last_success_at else None,
            }
            for name, rec in sorted(jobs.items())
        },
    }
    if vitals.lock_lost:
        return Verdict(False, "the single-instance lock was lost", details)
    age = vitals.beat_age()
    if age > vitals.heartbeat_limit:
        return Verdict(False, f"scheduler heartbeat {age:.0f}s old", details)
    stale = stale_jobs(
        {name: rec.last_success_at for name, rec in jobs.items()},
        vitals.intervals,
        started_at=vitals.started_at,
        now=now,
        factor=factor,
    )
    if stale:
        why = "; ".join(f"{job}: {reason}" for job, reason in sorted(stale.items()))
        return Verdict(False, f"stale: {why}", {**details, "stale": stale})
    return Verdict(True, "alive, no job stale", details)


def readiness(app: App, vitals: Vitals) -> Verdict:
    """The database answers, the schema is current, the lock is held."""
    try:
        with app.db.transaction() as session:
            ping(session)
    except Exception as exc:
        return Verdict(False, f"database unreachable: {type(exc).__name__}")
    try:
        app.db.require_current()
    except Exception as exc:
        return Verdict(False, str(exc))
    if vitals.lock is None or vitals.lock_lost or not vitals.lock.check():
        return Verdict(False, "the single-instance lock is not held")
    return Verdict(True, "database reachable, schema current, lock held")


HELP = {
    "syncd_job_last_success_timestamp_seconds": "Unix time of the job's last ok run (alert on age)",
    "syncd_job_last_run_timestamp_seconds": "Unix time the job last finished, any outcome",
    "syncd_job_last_duration_seconds": "Seconds the job's last run took",
    "syncd_job_runs_total": "Job runs since the daemon started, by outcome",
    "syncd_job_failing": "1 while the job's last run did not end ok",
    "syncd_listings": "Listings by state (remote mirror and links)",
    "syncd_intents": "Write intents waiting to be resolved",
    "syncd_rejected_items": "Skus whose last write Managem refused (4xx)",
    "syncd_open_cases": "Cases not yet closed",
    "syncd_api_calls_total": "HTTP attempts to Managem by operation and status",
    "syncd_api_rate_limited_total": "429 answers from Managem",
    "syncd_api_throttled_seconds_total": "Seconds calls waited for the rate limiter",
    "syncd_instance_lock_held": "1 while this daemon holds the single-instance lock",
}


def describe_metrics(metrics: Metrics) -> None:
    for name, text in HELP.items():
        metrics.describe(name, text)


def metrics_text(app: App, vitals: Vitals) -> str:
    """Prometheus text: the app's own counters plus samples read now."""
    samples: list[Sample] = [
        ("syncd_build_info", "gauge", {"version": __version__}, 1.0),
        ("syncd_start_time_seconds", "gauge", {}, vitals.started_at.timestamp()),
        ("syncd_heartbeat_age_seconds", "gauge", {}, vitals.beat_age()),
        ("syncd_instance_lock_held", "gauge", {}, 0.0 if vitals.lock_lost else 1.0),
    ]
    for job, rec in sorted(vitals.jobs().items()):
        labels = {"job": job}
        samples.append(("syncd_job_failing", "gauge", labels, float(rec.failing)))
        if rec.last_success_at is not None:
            ts = rec.last_success_at.timestamp()
            samples.append(("syncd_job_last_success_timestamp_seconds", "gauge", labels, ts))
        if rec.last_run_at is not None:
            ts = rec.last_run_at.timestamp()
            samples.append(("syncd_job_last_run_timestamp_seconds", "gauge", labels, ts))
        if rec.last_duration is not None:
            d = rec.last_duration
            samples.append(("syncd_job_last_duration_seconds", "gauge", labels, d))
    samples.extend(_database_samples(app))
    samples.extend(_gateway_samples(app))
    return app.metrics.render(samples)


def _database_samples(app: App) -> list[Sample]:
    try:
        with app.db.transaction() as session:
            gauges = read_gauges(session)
    except Exception:
        return [("syncd_database_up", "gauge", {}, 0.0)]
    out: list[Sample] = [("syncd_database_up", "gauge", {}, 1.0)]
    out += [("syncd_listings", "gauge", {"state": s}, n) for s, n in gauges.listings.items()]
    out += [("syncd_intents", "gauge", {"state": s}, n) for s, n in gauges.intents.items()]
    out.append(("syncd_rejected_items", "gauge", {}, gauges.rejected_items))
    out.append(("syncd_open_cases", "gauge", {}, gauges.open_cases))
    return out


def _gateway_samples(app: App) -> list[Sample]:
    if not app.has_gateway:  # never build a gateway (or demand a token) just to be scraped
        return []
    snap = app.gateway().metrics.snapshot()
    out: list[Sample] = [
        ("syncd_api_calls_total", "counter", {"operation": op, "status": str(status)}, n)
        for op, by_status in snap.get("calls_by_operation", {}).items()
        for status, n in by_status.items()
    ]
    out += [
        ("syncd_api_retries_total", "counter", {"operation": op}, n)
        for op, n in snap.get("retries_by_operation", {}).items()
    ]
    out.append(("syncd_api_rate_limited_total", "counter", {}, snap.get("rate_limited", 0)))
    out.append(
        ("syncd_api_throttled_seconds_total", "counter", {}, snap.get("throttled_seconds", 0.0))
    )
    return out
