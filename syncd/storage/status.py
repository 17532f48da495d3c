"""What ``syncd status`` reports, read straight from the tables. Read only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from syncd.storage.cases import case_is_open
from syncd.storage.runs import all_cursors, last_runs
from syncd.storage.tables import Base, Case, ListingLink, WriteIntent


def table_counts(session: Session) -> dict[str, int]:
    counts = {}
    for name, table in sorted(Base.metadata.tables.items()):
        counts[name] = int(session.scalar(select(func.count()).select_from(table)) or 0)
    return counts


def collect(session: Session) -> dict[str, Any]:
    """Counts per table, last run per job, pending intents, rejected items, open cases, cursors."""
    pending = session.execute(
        select(WriteIntent.state, func.count())
        .where(WriteIntent.state.in_(("pending", "ambiguous")))
        .group_by(WriteIntent.state)
    ).all()
    rejected = session.scalar(
        select(func.count())
        .select_from(ListingLink)
        .where(ListingLink.rejected_digest.is_not(None))
    )
    open_cases = session.scalar(select(func.count()).select_from(Case).where(case_is_open()))
    oldest_open = session.execute(
        select(Case.id, Case.status, Case.remote_created_at)
        .where(case_is_open())
        .order_by(Case.remote_created_at)
        .limit(1)
    ).first()
    return {
        "tables": table_counts(session),
        "jobs": last_runs(session),
        "intents": {state: int(n) for state, n in pending},
        "rejected_items": int(rejected or 0),
        "open_cases": int(open_cases or 0),
        "oldest_open_case": (
            {"id": oldest_open[0], "status": oldest_open[1], "created_at": oldest_open[2]}
            if oldest_open
            else None
        ),
        "cursors": {k: {"value": v, "updated_at": t} for k, (v, t) in all_cursors(session).items()},
    }
