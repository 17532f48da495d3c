"""Job runs and cursors: when each job ran, how it ended, and the high-water marks it keeps."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syncd.storage.tables import Cursor, JobRun


def start_run(session: Session, *, run_id: str, job: str, now: datetime) -> None:
    session.add(JobRun(run_id=run_id, job=job, started_at=now, status="running"))


def finish_run(
    session: Session,
    *,
    run_id: str,
    status: str,
    now: datetime,
    summary: dict[str, Any],
    error: str | None = None,
) -> None:
    run = session.scalars(select(JobRun).where(JobRun.run_id == run_id)).one()
    run.status = status
    run.finished_at = now
    run.summary = json.dumps(summary, sort_keys=True, default=str)
    run.error = error


def last_runs(session: Session) -> dict[str, dict[str, Any]]:
    """The newest run of each job, plus its newest successful finish."""
    out: dict[str, dict[str, Any]] = {}
    newest = select(JobRun.job, func.max(JobRun.id).label("id")).group_by(JobRun.job).subquery()
    for run in session.scalars(select(JobRun).join(newest, JobRun.id == newest.c.id)):
        out[run.job] = {
            "run_id": run.run_id,
            "status": run.status,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "summary": json.loads(run.summary) if run.summary else None,
            "error": run.error,
        }
    ok = (
        select(JobRun.job, func.max(JobRun.finished_at))
        .where(JobRun.status == "ok")
        .group_by(JobRun.job)
    )
    for job, finished in session.execute(ok):
        out.setdefault(job, {})["last_success_at"] = finished
    return out


def get_cursor(session: Session, name: str) -> str | None:
    return session.scalar(select(Cursor.value).where(Cursor.name == name))


def set_cursor(session: Session, name: str, value: str, *, now: datetime) -> None:
    cursor = session.get(Cursor, name)
    if cursor is None:
        session.add(Cursor(name=name, value=value, updated_at=now))
    else:
        cursor.value = value
        cursor.updated_at = now


def all_cursors(session: Session) -> dict[str, tuple[str, datetime]]:
    return {c.name: (c.value, c.updated_at) for c in session.scalars(select(Cursor))}
