"""Running one job: a run id, a job_runs row, the summary log line, and errors kept in bounds.

A job function takes a ``JobContext`` and returns a ``JobOutcome``. The runner never lets an
exception escape (the daemon must survive a failing job); it records it and returns ``failed``.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import structlog

from syncd.bootstrap import App
from syncd.errors import SyncdError
from syncd.log import new_run_id, scrub
from syncd.storage.runs import finish_run, start_run

Status = Literal["ok", "failed", "refused"]


@dataclass(frozen=True)
class JobOutcome:
    """How a job ended, with the counts for its summary line."""

    status: Status
    counts: Mapping[str, Any] = field(default_factory=dict)
    message: str = ""


@dataclass
class JobContext:
    """What a job receives."""

    app: App
    run_id: str
    dry_run: bool = False
    force: bool = False
    stop: threading.Event = field(default_factory=threading.Event)
    options: Mapping[str, Any] = field(default_factory=dict)
    log: Any = None
    progress: bool = False  # draw a progress bar (stderr is a TTY)


JobFn = Callable[[JobContext], JobOutcome]


def run_job(
    app: App,
    name: str,
    fn: JobFn,
    *,
    dry_run: bool = False,
    force: bool = False,
    stop: threading.Event | None = None,
    options: Mapping[str, Any] | None = None,
    progress: bool = False,
) -> JobOutcome:
    """Run one job and record it; never raises for a job failure."""
    run_id = new_run_id()
    log = structlog.get_logger("syncd.job").bind(run_id=run_id, job=name)
    ctx = JobContext(
        app=app,
        run_id=run_id,
        dry_run=dry_run,
        force=force,
        stop=stop or threading.Event(),
        options=options or {},
        log=log,
        progress=progress,
    )
    calls_before, waited_before = _gateway_totals(app)
    started = time.monotonic()
    if not dry_run:
        with app.db.transaction() as session:
            start_run(session, run_id=run_id, job=name, now=app.clock.now())
    error: str | None = None
    try:
        outcome = fn(ctx)
    except SyncdError as exc:
        error = scrub(f"{type(exc).__name__}: {exc}")
        outcome = JobOutcome("failed", message=error)
    except Exception as exc:
        error = scrub(f"{type(exc).__name__}: {exc}")
        # The summary line below carries the error; the daemon logs the change from ok to
        # failing once, so the traceback goes out at debug level only, not every cycle.
        log.debug("job_traceback", error=error, traceback=scrub(traceback.format_exc()))
        outcome = JobOutcome("failed", message=error)
    calls_after, waited_after = _gateway_totals(app)
    summary = {
        **outcome.counts,
        "api_calls": calls_after - calls_before,
        "throttled_s": round(waited_after - waited_before, 3),
        "duration_s": round(time.monotonic() - started, 3),
    }
    if outcome.message:
        summary["message"] = outcome.message
    if not dry_run:
        with app.db.transaction() as session:
            finish_run(
                session,
                run_id=run_id,
                status=outcome.status,
                now=app.clock.now(),
                summary=summary,
                error=error or (outcome.message if outcome.status != "ok" else None),
            )
    level = log.info if outcome.status == "ok" else log.warning
    level("job_finished", status=outcome.status, dry_run=dry_run, **summary)
    return JobOutcome(outcome.status, summary, outcome.message)


def _gateway_totals(app: App) -> tuple[int, float]:
    if not app.has_gateway:
        return 0, 0.0
    metrics = app.gateway().metrics
    return metrics.total_calls(), metrics.throttled_seconds
