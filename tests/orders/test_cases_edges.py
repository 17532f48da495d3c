"""The cases job on shapes the sandbox never sends (statuses longer than their column, null
timestamps), with an in-process remote on SQLite and Postgres."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select

from syncd.bootstrap import App
from syncd.clock import FakeClock
from syncd.core.ledger import format_time
from syncd.gateway import Case
from syncd.jobs import JobOutcome, job_table, run_job
from syncd.settings import load_settings
from syncd.storage import Database
from syncd.storage.tables import CaseStatus


class CaseRemote:
    """Just the case list: every case, filtered by an inclusive updatedSince (nulls always)."""

    def __init__(self) -> None:
        self.cases: dict[str, dict[str, Any]] = {}
        self.metrics = SimpleNamespace(total_calls=lambda: 0, throttled_seconds=0.0)

    def close(self) -> None:
        pass

    def iter_cases(self, since: Any) -> Iterator[Case]:
        cutoff = None if since is None else format_time(since)
        chosen = [
            c
            for c in self.cases.values()
            if cutoff is None or c["updatedAt"] is None or c["updatedAt"] >= cutoff
        ]
        for case in sorted(chosen, key=lambda c: (c["updatedAt"] or "", c["id"])):
            yield Case.model_validate(case)


@pytest.fixture
def world(db_url: str) -> Iterator[tuple[App, CaseRemote]]:
    clock = FakeClock()
    app = App(settings=load_settings(database={"url": db_url}), db=Database(db_url), clock=clock)
    remote = CaseRemote()
    app._gateway = remote  # type: ignore[assignment]
    yield app, remote
    app.close()


def run(app: App, **kw: Any) -> JobOutcome:
    outcome = run_job(app, "cases", job_table()["cases"], **kw)
    assert outcome.status == "ok", outcome
    return outcome


def case(case_id: str, status: str, created: str | None, updated: str | None) -> dict[str, Any]:
    return {
        "id": case_id,
        "purchaseId": "p1",
        "orderId": "o1",
        "orderItemIds": ["oi1"],
        "reason": "DAMAGED",
        "status": status,
        "createdAt": created,
        "updatedAt": updated,
        "outcomes": [],
    }


def test_a_status_longer_than_its_column_is_no_change_and_no_alert_on_reread(
    world: tuple[App, CaseRemote],
) -> None:
    app, remote = world
    now = format_time(app.clock.now())
    remote.cases["c1"] = case("c1", "AWAITING_THIRD_PARTY_ARBITRATION_X", now, now)
    assert run(app).counts["alerts"] == 1  # opened
    again = run(app)  # read again inside the overlap window: nothing happened
    assert (again.counts["status_changes"], again.counts["alerts"]) == (0, 0)
    with app.db.transaction() as session:
        assert len(session.scalars(select(CaseStatus.id)).all()) == 1


def test_null_timestamps_warn_once_counted_from_first_sight_and_never_when_escalated(
    world: tuple[App, CaseRemote],
) -> None:
    app, remote = world
    clock = app.clock
    assert isinstance(clock, FakeClock)
    remote.cases["c1"] = case("c1", "OPEN", None, None)
    remote.cases["c2"] = case("c2", "ESCALATED", None, None)
    remote.cases["c3"] = case("c3", "CLOSED", None, None)
    run(app)
    clock.advance(timedelta(days=5, hours=23).total_seconds())
    assert run(app).counts["escalation_warnings"] == 0
    clock.advance(timedelta(hours=2).total_seconds())
    assert run(app).counts["escalation_warnings"] == 1  # c1 only
    clock.advance(timedelta(days=3).total_seconds())
    assert run(app).counts["escalation_warnings"] == 0


def test_a_later_answer_without_createdat_keeps_the_known_creation_time(
    world: tuple[App, CaseRemote],
) -> None:
    # A case never changes when it was opened: an answer leaving it out must not move the
    # 7-day clock to "first seen here", or the warning comes after Managem has escalated.
    app, remote = world
    clock = app.clock
    assert isinstance(clock, FakeClock)
    opened = format_time(clock.now() - timedelta(days=2))
    remote.cases["c1"] = case("c1", "OPEN", opened, format_time(clock.now()))
    run(app)
    clock.advance(60)
    remote.cases["c1"] = case("c1", "OPEN", None, format_time(clock.now()))
    run(app)
    clock.advance(timedelta(days=4, hours=1).total_seconds())  # 6 days 1 hour after opening
    assert run(app).counts["escalation_warnings"] == 1
