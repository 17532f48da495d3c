"""Database-derived gauges for the daemon's /metrics and health checks. Read only.

Cheap aggregate queries (a handful of ``COUNT ... GROUP BY``) run at scrape time, so the numbers
are what the tables say now, whichever process wrote them. This module decides nothing about
health; it only counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, or_, select, text
from sqlalchemy.orm import Session

from syncd.storage.cases import case_is_open
from syncd.storage.tables import Case, JobRun, ListingLink, RemoteListing, WriteIntent


@dataclass(frozen=True)
class Gauges:
    """A snapshot of the counts the metrics endpoint exposes."""

    listings: dict[str, int] = field(default_factory=dict)  # state → count
    intents: dict[str, int] = field(default_factory=dict)  # pending | ambiguous → count
    rejected_items: int = 0
    open_cases: int = 0


def read_gauges(session: Session) -> Gauges:
    return Gauges(
        listings=listing_states(session),
        intents=_intents(session),
        rejected_items=int(
            session.scalar(
                select(func.count())
                .select_from(ListingLink)
                .where(ListingLink.rejected_digest.is_not(None))
            )
            or 0
        ),
        open_cases=int(
            session.scalar(select(func.count()).select_from(Case).where(case_is_open())) or 0
        ),
    )


def listing_states(session: Session) -> dict[str, int]:
    """Remote listings by state (live, hidden, ended, not_ours) plus the links' own states
    (awaiting_id: created, id not learnt yet; rejected: a 4xx recorded on the sku)."""
    linked_ids = select(ListingLink.listing_id).where(ListingLink.listing_id.is_not(None))
    owned = or_(
        RemoteListing.listing_id.in_(linked_ids),
        RemoteListing.reference.in_(select(ListingLink.sku)),
    )
    state = case(
        (~owned, "not_ours"),
        (RemoteListing.quantity <= 0, "ended"),
        (RemoteListing.hidden.is_(True), "hidden"),
        else_="live",
    ).label("state")
    rows = select(state).subquery()
    counts = {
        "live": 0,
        "hidden": 0,
        "ended": 0,
        "not_ours": 0,
    }
    for name, n in session.execute(select(rows.c.state, func.count()).group_by(rows.c.state)):
        counts[str(name)] = int(n)
    counts["awaiting_id"] = int(
        session.scalar(
            select(func.count()).select_from(ListingLink).where(ListingLink.listing_id.is_(None))
        )
        or 0
    )
    counts["rejected"] = int(
        session.scalar(
            select(func.count())
            .select_from(ListingLink)
            .where(ListingLink.rejected_digest.is_not(None))
        )
        or 0
    )
    return counts


def _intents(session: Session) -> dict[str, int]:
    counts = {"pending": 0, "ambiguous": 0}
    for state, n in session.execute(
        select(WriteIntent.state, func.count())
        .where(WriteIntent.state.in_(tuple(counts)))
        .group_by(WriteIntent.state)
    ):
        counts[str(state)] = int(n)
    return counts


def newest_run_at(session: Session, jobs: tuple[str, ...]) -> datetime | None:
    """When the newest run of any of ``jobs`` started (for the database health check)."""
    newest = session.scalar(select(func.max(JobRun.started_at)).where(JobRun.job.in_(jobs)))
    return newest


def last_successes(session: Session) -> dict[str, datetime]:
    """The newest successful finish of each job."""
    rows = session.execute(
        select(JobRun.job, func.max(JobRun.finished_at))
        .where(JobRun.status == "ok")
        .group_by(JobRun.job)
    )
    return {str(job): at for job, at in rows if at is not None}


def ping(session: Session) -> None:
    """One round trip (raises if the database does not answer)."""
    session.execute(text("SELECT 1"))
