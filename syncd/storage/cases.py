"""Cases, their status history and outcomes: what the cases job records and ``cases list`` shows.

SQL only. Which alerts a change raises is decided in ``syncd.core.cases``; this module loads
what that needs and writes what the job saw, inside the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from syncd.core.cases import AWAITING_SELLER, CLOSED, KnownCase
from syncd.core.ledger import parse_time
from syncd.storage.tables import Case, CaseOutcome, CaseStatus, OrderItem

WIDTH = 32  # status, reason and outcome columns: longer unknown values are cut, never refused


@dataclass(frozen=True)
class CaseRecord:
    """One case as polled, in storage terms (JSON-able values only)."""

    id: str
    purchase_id: str | None
    order_id: str | None
    order_item_ids: tuple[str, ...]
    reason: str
    status: str
    comment: str | None
    created_at: str | None
    updated_at: str | None
    outcomes: tuple[OutcomeRecord, ...] = ()


@dataclass(frozen=True)
class OutcomeRecord:
    id: str
    type: str
    status: str
    party: str | None
    amount: int | None
    updated_at: str | None


def _insert(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


def _known(case: Case, outcomes: dict[str, str]) -> KnownCase:
    return KnownCase(
        id=case.id,
        status=case.status,
        reason=case.reason,
        order_id=case.order_id,
        opened=parse_time(case.remote_created_at) or case.first_seen_at,
        warned=case.escalation_warned,
        outcome_statuses=outcomes,
    )


def _outcomes(session: Session, ids: Collection[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    if ids:
        for case_id, outcome_id, status in session.execute(
            select(CaseOutcome.case_id, CaseOutcome.id, CaseOutcome.status).where(
                CaseOutcome.case_id.in_(ids)
            )
        ):
            out.setdefault(case_id, {})[outcome_id] = status
    return out


def known_cases(session: Session, ids: Collection[str]) -> dict[str, KnownCase]:
    if not ids:
        return {}
    cases = session.scalars(select(Case).where(Case.id.in_(ids))).all()
    outcomes = _outcomes(session, [c.id for c in cases])
    return {c.id: _known(c, outcomes.get(c.id, {})) for c in cases}


def awaiting_seller(session: Session) -> dict[str, KnownCase]:
    """Recorded OPEN/REMEDIATION cases not yet warned about auto-escalation."""
    cases = session.scalars(
        select(Case).where(Case.status.in_(AWAITING_SELLER), Case.escalation_warned.is_(False))
    ).all()
    return {c.id: _known(c, {}) for c in cases}


def save_case(session: Session, record: CaseRecord, *, status_changed: bool, now: datetime) -> None:
    """Upsert the case and its outcomes; append a status row when the status changed."""
    values = {
        "purchase_id": record.purchase_id,
        "order_id": record.order_id,
        "order_item_ids": json.dumps(list(record.order_item_ids)),
        "reason": record.reason[:WIDTH],
        "status": record.status[:WIDTH],
        "comment": record.comment,
        "remote_created_at": record.created_at,
        "remote_updated_at": record.updated_at,
        "last_seen_at": now,
    }
    stmt = _insert(session, Case).values(id=record.id, first_seen_at=now, **values)
    # When a case was opened never changes; an answer without it keeps the one known (the
    # 7-day auto-escalation clock runs from it).
    kept = func.coalesce(stmt.excluded.remote_created_at, Case.remote_created_at)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["id"], set_={**values, "remote_created_at": kept}
        )
    )
    if status_changed:
        session.add(CaseStatus(case_id=record.id, status=record.status[:WIDTH], seen_at=now))
    for outcome in record.outcomes:
        fields = {
            "case_id": record.id,
            "type": outcome.type[:WIDTH],
            "status": outcome.status[:WIDTH],
            "party": outcome.party[:16] if outcome.party else None,
            "amount": outcome.amount,
            "remote_updated_at": outcome.updated_at,
            "last_seen_at": now,
        }
        ins = _insert(session, CaseOutcome).values(id=outcome.id, **fields)
        session.execute(ins.on_conflict_do_update(index_elements=["id"], set_=fields))
    session.flush()


def mark_warned(session: Session, case_ids: Collection[str]) -> None:
    if case_ids:
        session.execute(update(Case).where(Case.id.in_(case_ids)).values(escalation_warned=True))


def case_is_open() -> ColumnElement[bool]:
    """A case is open until Managem closes it. A status syncd does not know counts as open, so
    a new kind of case is shown to the seller rather than hidden."""
    return Case.status != CLOSED


def list_cases(session: Session, *, open_only: bool = False) -> list[dict[str, Any]]:
    """Cases for ``syncd cases list``: newest first, with their outcomes and items' skus."""
    query = select(Case).order_by(Case.remote_created_at.desc(), Case.id)
    if open_only:
        query = query.where(case_is_open())
    cases = session.scalars(query).all()
    ids = [c.id for c in cases]
    outcomes: dict[str, list[dict[str, Any]]] = {}
    if ids:
        for o in session.scalars(
            select(CaseOutcome).where(CaseOutcome.case_id.in_(ids)).order_by(CaseOutcome.id)
        ):
            outcomes.setdefault(o.case_id, []).append(
                {
                    "id": o.id,
                    "type": o.type,
                    "status": o.status,
                    "party": o.party,
                    "amount": o.amount,
                }
            )
    item_ids = {i for c in cases for i in json.loads(c.order_item_ids or "[]")}
    skus: dict[str, str | None] = {}
    if item_ids:
        found = session.execute(
            select(OrderItem.id, OrderItem.sku).where(OrderItem.id.in_(item_ids))
        )
        skus = {item_id: sku for item_id, sku in found}
    rows = []
    for c in cases:
        items = json.loads(c.order_item_ids or "[]")
        case_outcomes = outcomes.get(c.id, [])
        rows.append(
            {
                "id": c.id,
                "status": c.status,
                "reason": c.reason,
                "order_id": c.order_id,
                "order_item_ids": items,
                "skus": sorted({s for i in items if (s := skus.get(i)) is not None}),
                "created_at": c.remote_created_at,
                "updated_at": c.remote_updated_at,
                "escalation_warned": c.escalation_warned,
                "outcomes": case_outcomes,
                "returning": [
                    o for o in case_outcomes if o["type"] == "RETURN" and o["status"] == "ACCEPTED"
                ],
            }
        )
    return rows
