"""Which cases count as open: everything Managem has not closed, unknown statuses included."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert

from syncd.storage import Database
from syncd.storage.cases import list_cases
from syncd.storage.gauges import read_gauges
from syncd.storage.status import collect
from syncd.storage.tables import Case

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def test_a_case_in_a_status_syncd_does_not_know_is_shown_as_open(db_url: str) -> None:
    db = Database(db_url)
    statuses = {"c-open": "OPEN", "c-closed": "CLOSED", "c-new": "ON_HOLD", "c-settled": "SETTLED"}
    with db.transaction() as session:
        session.execute(
            insert(Case),
            [
                {
                    "id": case_id,
                    "reason": "DAMAGED",
                    "status": status,
                    "remote_created_at": f"2026-05-0{n}T00:00:00.000Z",
                    "first_seen_at": NOW,
                    "last_seen_at": NOW,
                }
                for n, (case_id, status) in enumerate(sorted(statuses.items()), start=1)
            ],
        )
    with db.transaction() as session:
        listed = {c["id"] for c in list_cases(session, open_only=True)}
        report = collect(session)
        gauges = read_gauges(session)
    assert listed == {"c-open", "c-new", "c-settled"}
    assert report["open_cases"] == 3
    assert gauges.open_cases == 3
    db.dispose()
