"""The pure case rules: one alert per event, escalation warnings once, near the 7-day mark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from syncd.core.cases import (
    KnownCase,
    SeenCase,
    SeenOutcome,
    case_alerts,
    escalation_due,
    warnings_due,
)

OPENED = datetime(2026, 3, 1, tzinfo=UTC)


def seen(status: str, *outcomes: SeenOutcome) -> SeenCase:
    return SeenCase("c1", status, "DAMAGED", "o1", OPENED, tuple(outcomes))


def known(status: str, warned: bool = False, outcomes: dict[str, str] | None = None) -> KnownCase:
    return KnownCase("c1", status, "DAMAGED", "o1", OPENED, warned, outcomes or {})


def kinds(alerts: tuple[object, ...]) -> list[str]:
    return [a.kind for a in alerts]  # type: ignore[attr-defined]


def test_one_alert_per_event_most_specific_kind() -> None:
    assert kinds(case_alerts(seen("OPEN"), None)) == ["opened"]
    assert kinds(case_alerts(seen("ESCALATED"), None)) == ["opened", "escalated"]
    assert kinds(case_alerts(seen("CLOSED"), None)) == []  # history from before syncd
    assert kinds(case_alerts(seen("ESCALATED"), known("OPEN"))) == ["escalated"]
    assert kinds(case_alerts(seen("CLOSED"), known("ESCALATED"))) == ["status_changed"]
    assert kinds(case_alerts(seen("OPEN"), known("OPEN"))) == []
    (alert,) = case_alerts(seen("REMEDIATION"), known("OPEN"))
    assert (alert.case_id, alert.status, alert.reason, alert.order_id) == (
        "c1",
        "REMEDIATION",
        "DAMAGED",
        "o1",
    )


def test_an_accepted_return_is_announced_once() -> None:
    ret = SeenOutcome("out1", "RETURN", "ACCEPTED")
    assert kinds(case_alerts(seen("SETTLED", ret), known("REMEDIATION"))) == [
        "status_changed",
        "return_accepted",
    ]
    again = known("SETTLED", outcomes={"out1": "ACCEPTED"})
    assert kinds(case_alerts(seen("SETTLED", ret), again)) == []
    refund = SeenOutcome("out2", "REFUND", "ACCEPTED")
    assert kinds(case_alerts(seen("CLOSED", refund), known("CLOSED"))) == []


def test_escalation_warning_window() -> None:
    six_days = OPENED + timedelta(days=6)
    assert not escalation_due("OPEN", OPENED, six_days - timedelta(seconds=1), False)
    assert escalation_due("OPEN", OPENED, six_days, False)
    assert escalation_due("REMEDIATION", OPENED, six_days + timedelta(hours=23), False)
    assert escalation_due("OPEN", OPENED, OPENED + timedelta(days=8), False)  # late is still due
    assert not escalation_due("OPEN", OPENED, six_days, True)
    assert not escalation_due("ESCALATED", OPENED, six_days, False)
    assert not escalation_due("SETTLED", OPENED, six_days, False)


def test_warnings_due_picks_only_unwarned_cases_in_the_window() -> None:
    now = OPENED + timedelta(days=6, hours=1)
    cases = {
        "due": KnownCase("due", "OPEN", "SNAD", None, OPENED, False, {}),
        "warned": KnownCase("warned", "OPEN", "SNAD", None, OPENED, True, {}),
        "young": KnownCase("young", "OPEN", "SNAD", None, OPENED + timedelta(days=2), False, {}),
    }
    assert [(a.kind, a.case_id) for a in warnings_due(cases, now)] == [("escalation_due", "due")]
