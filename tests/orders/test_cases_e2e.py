"""The cases job against the sandbox over HTTP, on SQLite and Postgres: status history, alerts
(log event + metric), the once-only escalation warning, accepted returns, and the list command."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
import structlog
from orders_env import OrdersEnv, close_env, open_env
from sqlalchemy import select

from syncd.cli.main import main
from syncd.jobs.cases import ALERT_METRIC
from syncd.storage.tables import Case, CaseStatus

DAY = 86_400.0


@pytest.fixture
def env(db_url: str) -> Iterator[OrdersEnv]:
    before = {t.ident for t in threading.enumerate()}
    e = open_env(db_url)
    yield e
    close_env(e)
    leftover = [t.name for t in threading.enumerate() if t.ident not in before]
    assert leftover == [], f"threads left running: {leftover}"


@pytest.fixture
def cli(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI on this database; structlog put back afterwards (the CLI configures it to print
    to a stream the capture closes)."""
    monkeypatch.setenv("SYNCD_DATABASE__URL", db_url)
    monkeypatch.delenv("SYNCD_CONFIG", raising=False)
    yield
    structlog.reset_defaults()


def alerts_of(logs: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(e["kind"], e["case_id"], e["status"]) for e in logs if e["event"] == "case_alert"]


def metric(env: OrdersEnv, kind: str) -> float:
    return env.app.metrics.value(ALERT_METRIC, {"kind": kind})


def statuses(env: OrdersEnv, case_id: str) -> list[str]:
    with env.app.db.transaction() as session:
        return list(
            session.scalars(
                select(CaseStatus.status)
                .where(CaseStatus.case_id == case_id)
                .order_by(CaseStatus.id)
            )
        )


def disputed_order(env: OrdersEnv, quantity: int = 1) -> tuple[dict[str, Any], dict[str, Any]]:
    (sku,) = env.listed(1, quantity=3, prefix=f"c{len(env.listing_of)}")
    order = env.sandbox.purchase(env.listing_of[sku], quantity)
    env.run("orders")
    case = env.sandbox.open_case(order["id"], [order["items"][0]["id"]], "DAMAGED")
    return order, case


def test_open_escalated_closed_leaves_three_rows_and_three_alerts(env: OrdersEnv) -> None:
    order, case = disputed_order(env)
    with structlog.testing.capture_logs() as logs:
        env.run("cases")
        env.run("cases")  # nothing changed: no alert, no row
        env.sandbox.set_case_status(case["id"], "ESCALATED")
        env.run("cases")
        env.sandbox.set_case_status(case["id"], "CLOSED")
        env.run("cases")
    assert alerts_of(logs) == [
        ("opened", case["id"], "OPEN"),
        ("escalated", case["id"], "ESCALATED"),
        ("status_changed", case["id"], "CLOSED"),
    ]
    alert = next(e for e in logs if e["event"] == "case_alert")
    assert (alert["reason"], alert["order_id"], alert["log_level"]) == (
        "DAMAGED",
        order["id"],
        "warning",
    )
    assert statuses(env, case["id"]) == ["OPEN", "ESCALATED", "CLOSED"]
    assert [metric(env, k) for k in ("opened", "escalated", "status_changed")] == [1, 1, 1]
    with env.app.db.transaction() as session:
        row = session.get(Case, case["id"])
        assert row is not None
        assert (row.order_id, json.loads(row.order_item_ids)) == (
            order["id"],
            [order["items"][0]["id"]],
        )


def test_escalation_warning_fires_once_within_a_day_of_seven(env: OrdersEnv) -> None:
    _, case = disputed_order(env)
    env.run("cases")
    env.advance(5 * DAY)
    with structlog.testing.capture_logs() as early:
        env.run("cases")
    assert alerts_of(early) == []
    env.advance(1 * DAY + 3600)  # 6 days 1 hour: inside the last 24 hours
    with structlog.testing.capture_logs() as due:
        first = env.run("cases")
        env.run("cases")
        env.advance(3600)
        env.run("cases")
    assert alerts_of(due) == [("escalation_due", case["id"], "OPEN")]
    assert first.counts["escalation_warnings"] == 1
    assert metric(env, "escalation_due") == 1
    env.advance(DAY)  # past 7 days: Managem escalates it by itself
    with structlog.testing.capture_logs() as late:
        env.run("cases")
    assert alerts_of(late) == [("escalated", case["id"], "ESCALATED")]
    assert statuses(env, case["id"]) == ["OPEN", "ESCALATED"]


def test_dry_run_raises_no_alert_and_writes_nothing(env: OrdersEnv) -> None:
    disputed_order(env)
    with structlog.testing.capture_logs() as logs:
        outcome = env.run("cases", dry_run=True)
    assert outcome.counts["alerts"] == 1 and alerts_of(logs) == []
    assert metric(env, "opened") == 0 and env.cursor("cases") is None
    with env.app.db.transaction() as session:
        assert session.scalars(select(Case)).all() == []


@pytest.mark.usefixtures("cli")
def test_an_accepted_return_is_recorded_and_listed(
    env: OrdersEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    _, case = disputed_order(env)
    env.run("cases")
    proposed = env.sandbox.propose_outcome(case["id"], "RETURN", 0)
    ret = next(o for o in proposed["outcomes"] if o["type"] == "RETURN")
    with httpx2.Client(
        base_url=env.sandbox.url, headers={"Authorization": f"Bearer {env.sandbox.token}"}
    ) as http:
        answer = http.put(
            f"/seller/cases/{case['id']}", json={"action": "accept", "outcomeId": ret["id"]}
        )
        assert answer.status_code == 200, answer.text
    with structlog.testing.capture_logs() as logs:
        env.run("cases")
    assert ("return_accepted", case["id"], "SETTLED") in alerts_of(logs)

    capsys.readouterr()  # the jobs' log lines
    assert main(["cases", "list", "--open", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["id"] == case["id"] and listed["status"] == "SETTLED"
    assert [(o["type"], o["status"]) for o in listed["returning"]] == [("RETURN", "ACCEPTED")]
    assert listed["skus"] == [next(iter(env.listing_of))]
    assert main(["cases", "list"]) == 0
    table = capsys.readouterr().out
    assert case["id"] in table and "RETURN ACCEPTED" in table


@pytest.mark.usefixtures("cli")
def test_orders_list_shows_items_and_their_stock_effect(
    env: OrdersEnv, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = env.listed(2, quantity=3)
    kept = env.sandbox.purchase(env.listing_of[a], 2)
    gone = env.sandbox.purchase(env.listing_of[b], 1)
    env.sandbox.cancel_item(gone["items"][0]["id"])
    env.run("orders")
    capsys.readouterr()  # the job's log line
    assert main(["orders", "list", "--json"]) == 0
    rows = {r["item_id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows[kept["items"][0]["id"]]["stock_delta"] == -2
    assert rows[gone["items"][0]["id"]]["stock_delta"] == 0
    assert main(["orders", "list", "--status", "cancelled"]) == 0
    table = capsys.readouterr().out
    assert gone["items"][0]["id"] in table and kept["items"][0]["id"] not in table
    assert main(["orders", "list", "--limit", "1"]) == 0
    table = capsys.readouterr().out
    assert sum(i in table for i in (kept["items"][0]["id"], gone["items"][0]["id"])) == 1
    assert "--limit 0 shows all" in table
    assert main(["orders", "list", "--limit", "0"]) == 0
    assert "--limit 0" not in capsys.readouterr().out
    assert main(["orders", "list", "--since", "2999-01-01"]) == 0
    assert "no orders recorded matching the filters" in capsys.readouterr().out
    assert main(["orders", "list", "--since", "last tuesday"]) == 2
