"""Housekeeping: old job runs and finished intents go; open intents and the newest runs stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from syncd.storage import Database
from syncd.storage.history import prune_history
from syncd.storage.runs import last_runs
from syncd.storage.tables import JobRun, WriteIntent

NOW = datetime(2026, 6, 1, tzinfo=UTC)
OLD = NOW - timedelta(days=200)
CUTOFF = NOW - timedelta(days=90)


def _run(run_id: str, job: str, status: str, started: datetime) -> dict[str, object]:
    finished = None if status == "running" else started + timedelta(seconds=5)
    return {
        "run_id": run_id,
        "job": job,
        "status": status,
        "started_at": started,
        "finished_at": finished,
    }


def _intent(
    sku: str, state: str, created: datetime, finished: datetime | None
) -> dict[str, object]:
    return {
        "run_id": "r",
        "sku": sku,
        "op": "create",
        "payload": "{}",
        "state": state,
        "created_at": created,
        "finished_at": finished,
    }


def test_prune_keeps_open_intents_recent_rows_and_each_jobs_newest_runs(db_url: str) -> None:
    db = Database(db_url)
    runs = [
        _run("orders-old-ok", "orders", "ok", OLD),
        _run("orders-old-failed", "orders", "failed", OLD + timedelta(hours=1)),
        _run("orders-new-ok", "orders", "ok", NOW - timedelta(days=1)),
        _run("cases-old-ok-1", "cases", "ok", OLD),
        _run("cases-old-ok-2", "cases", "ok", OLD + timedelta(hours=1)),  # its newest success
        _run("cases-old-failed", "cases", "failed", OLD + timedelta(hours=2)),  # its newest run
        _run("prices-old-crashed", "prices", "running", OLD),  # its only run
    ]
    intents = [
        _intent("done-long-ago", "ok", OLD, OLD),
        _intent("rejected-long-ago", "rejected", OLD, OLD),
        _intent("resolved-long-ago", "resolved_absent", OLD, OLD),
        _intent("failed-no-finish", "failed", OLD, None),
        _intent("pending-long-ago", "pending", OLD, None),
        _intent("ambiguous-long-ago", "ambiguous", OLD, OLD),
        _intent("created-old-finished-recently", "ok", OLD, NOW - timedelta(days=2)),
        _intent("recent", "ok", NOW, NOW),
    ]
    with db.transaction() as session:
        session.execute(insert(JobRun), runs)
        session.execute(insert(WriteIntent), intents)

    with db.transaction() as session:
        pruned = prune_history(session, before=CUTOFF)

    with db.transaction() as session:
        kept_runs = set(session.scalars(select(JobRun.run_id)))
        kept_intents = set(session.scalars(select(WriteIntent.sku)))
        last = last_runs(session)
    assert kept_runs == {
        "orders-new-ok",
        "cases-old-ok-2",
        "cases-old-failed",
        "prices-old-crashed",
    }
    assert kept_intents == {
        "pending-long-ago",
        "ambiguous-long-ago",
        "created-old-finished-recently",
        "recent",
    }
    assert (pruned.job_runs, pruned.intents) == (3, 4)
    assert last["cases"]["run_id"] == "cases-old-failed"
    assert last["cases"]["last_success_at"] is not None

    with db.transaction() as session:
        again = prune_history(session, before=CUTOFF)
    assert (again.job_runs, again.intents) == (0, 0)
    db.dispose()
