"""Cases (disputes): which alerts a change raises, and when an auto-escalation is near.

A seller must hear about a case when it is opened, when its status changes, when it escalates,
and once when an OPEN/REMEDIATION case is within 24 hours of Managem's 7-day auto-escalation.
An accepted RETURN also raises an alert: goods are coming back. This module compares what the
remote shows with what syncd recorded and returns the alerts as data.

Pure: no I/O, no clock (``now`` comes in), no logging and no metrics — the shell emits them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

AUTO_ESCALATION = timedelta(days=7)
WARN_BEFORE = timedelta(hours=24)
# Statuses the 7-day clock runs in (Managem escalates these by itself).
AWAITING_SELLER = frozenset({"OPEN", "REMEDIATION"})
CLOSED = "CLOSED"
ESCALATED = "ESCALATED"

# Alert kinds (the ``kind`` label of syncd_case_alerts_total).
OPENED = "opened"
STATUS_CHANGED = "status_changed"
ESCALATED_KIND = "escalated"
ESCALATION_DUE = "escalation_due"
RETURN_ACCEPTED = "return_accepted"


@dataclass(frozen=True)
class SeenOutcome:
    id: str
    type: str
    status: str


@dataclass(frozen=True)
class SeenCase:
    """A case as the remote shows it now."""

    id: str
    status: str
    reason: str
    order_id: str | None
    created: datetime | None
    outcomes: tuple[SeenOutcome, ...] = ()


@dataclass(frozen=True)
class KnownCase:
    """What syncd recorded of a case."""

    id: str
    status: str
    reason: str
    order_id: str | None
    opened: datetime  # remote createdAt, or when syncd first saw it if the remote gave none
    warned: bool
    outcome_statuses: Mapping[str, str]


@dataclass(frozen=True)
class Alert:
    kind: str
    case_id: str
    status: str
    reason: str
    order_id: str | None


def _alert(kind: str, case: SeenCase | KnownCase) -> Alert:
    return Alert(kind, case.id, case.status, case.reason, case.order_id)


def escalation_due(status: str, opened: datetime, now: datetime, warned: bool) -> bool:
    """True once a case awaiting the seller is within 24 h of auto-escalation (or past it)."""
    return (
        not warned and status in AWAITING_SELLER and now >= opened + AUTO_ESCALATION - WARN_BEFORE
    )


def case_alerts(seen: SeenCase, known: KnownCase | None) -> tuple[Alert, ...]:
    """Alerts for one polled case: one per event, the most specific kind.

    A case first seen already CLOSED (history from before syncd ran) raises nothing.
    """
    alerts: list[Alert] = []
    if known is None:
        if seen.status != CLOSED:
            alerts.append(_alert(OPENED, seen))
            if seen.status == ESCALATED:
                alerts.append(_alert(ESCALATED_KIND, seen))
    elif known.status != seen.status:
        alerts.append(_alert(ESCALATED_KIND if seen.status == ESCALATED else STATUS_CHANGED, seen))
    before = known.outcome_statuses if known is not None else {}
    for outcome in seen.outcomes:
        if (
            outcome.type == "RETURN"
            and outcome.status == "ACCEPTED"
            and before.get(outcome.id) != "ACCEPTED"
            and not (known is None and seen.status == CLOSED)
        ):
            alerts.append(_alert(RETURN_ACCEPTED, seen))
    return tuple(alerts)


def warnings_due(cases: Mapping[str, KnownCase], now: datetime) -> tuple[Alert, ...]:
    """Escalation warnings for recorded cases (a quiet case is not in the poll, so the shell
    checks every recorded one awaiting the seller)."""
    return tuple(
        _alert(ESCALATION_DUE, case)
        for case in sorted(cases.values(), key=lambda c: (c.opened, c.id))
        if escalation_due(case.status, case.opened, now, case.warned)
    )
