"""Housekeeping of syncd's own history: old job runs and finished write intents are dropped.

A daemon polling orders every 30 s adds thousands of ``job_runs`` rows a day, and every write
adds a ``write_intents`` row; kept for ever they slow ``syncd status`` and the gauges for no
gain. What goes: job runs that started before the cutoff, except the newest run of each job and
its newest success (``last_runs`` and the health check read those), and intents that finished
before the cutoff. An intent still ``pending`` or ``ambiguous`` is never dropped, however old:
it is the only record that a write may have reached Managem. Rejections live on the link, not
here, so dropping an old ``rejected`` intent does not make its item be sent again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.orm import Session

from syncd.storage.tables import JobRun, WriteIntent

OPEN_INTENT_STATES = ("pending", "ambiguous")


@dataclass(frozen=True)
class Pruned:
    """How many rows one pass dropped."""

    job_runs: int
    intents: int


def prune_history(session: Session, *, before: datetime) -> Pruned:
    """Drop job runs started and intents finished before ``before`` (the caller commits)."""
    newest = select(func.max(JobRun.id)).group_by(JobRun.job)
    newest_ok = select(func.max(JobRun.id)).where(JobRun.status == "ok").group_by(JobRun.job)
    keep = {*session.scalars(newest), *session.scalars(newest_ok)}
    runs = delete(JobRun).where(JobRun.started_at < before)
    if keep:
        runs = runs.where(JobRun.id.not_in(keep))
    intents = delete(WriteIntent).where(
        WriteIntent.state.not_in(OPEN_INTENT_STATES),
        func.coalesce(WriteIntent.finished_at, WriteIntent.created_at) < before,
    )
    dropped_runs = cast("CursorResult[Any]", session.execute(runs)).rowcount
    dropped_intents = cast("CursorResult[Any]", session.execute(intents)).rowcount
    return Pruned(job_runs=dropped_runs, intents=dropped_intents)
