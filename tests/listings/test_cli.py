"""``syncd plan`` and ``syncd run-once --job listings`` as a person runs them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from syncd.cli.main import main
from syncd.storage.tables import Cursor, InventoryItem, RemoteListing, WriteIntent


@pytest.fixture
def cli_world(world: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("SYNCD_CONFIG", raising=False)
    monkeypatch.setenv("SYNCD_DATABASE__URL", world.db_url)
    monkeypatch.setenv("SYNCD_MANAGEM__BASE_URL", world.sandbox.url)
    monkeypatch.setenv("SYNCD_MANAGEM__TOKEN", world.sandbox.token)
    monkeypatch.setenv("SYNCD_SAFETY__AMBIGUOUS_GRACE", "0")
    monkeypatch.setenv("SYNCD_LOG__FORMAT", "json")
    return world


def _snapshot(world: Any) -> Any:
    with world.app.db.transaction() as session:
        return (
            world.row_counts(),
            [(c.name, c.value) for c in session.scalars(select(Cursor))],
            [
                (r.listing_id, r.quantity, r.price, r.seen_at)
                for r in session.scalars(select(RemoteListing).order_by(RemoteListing.listing_id))
            ],
            [(i.id, i.state) for i in session.scalars(select(WriteIntent))],
        )


def test_plan_writes_nothing_anywhere(cli_world: Any, capsys: pytest.CaptureFixture[str]) -> None:
    world = cli_world
    world.stock(6)
    assert main(["run-once", "--job", "listings"]) == 0
    assert main(["run-once", "--job", "listings"]) == 0
    world.set_row("sku-00000", price=444)
    world.set_row("sku-00001", quantity=0)
    world.stock(2, start=10)
    ids = {ref: ls[0]["id"] for ref, ls in world.live().items()}
    world.sandbox.seller_edit(ids["sku-00002"], price=5)
    before = _snapshot(world)
    world.sandbox.reset_stats()
    capsys.readouterr()

    assert main(["plan"]) == 0
    text = capsys.readouterr().out
    assert main(["plan", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)

    assert _snapshot(world) == before
    assert world.writes() == 0
    assert world.calls()["POST /seller/listings/search"] >= 2
    ops = {(a["op"], a["sku"]) for a in plan["actions"]}
    assert ops == {
        ("update", "sku-00000"),
        ("delete", "sku-00001"),
        ("update", "sku-00002"),
        ("create", "sku-00010"),
        ("create", "sku-00011"),
    }
    assert plan["counts"]["create"] == 2 and plan["refused"] is None
    drift = next(a for a in plan["actions"] if a["sku"] == "sku-00002")
    assert drift["reason"].startswith("drift corrected") and drift["changed"] == ["price"]
    assert "sku-00010" in text and "new listing" in text and "quantity 0 in the inventory" in text


def test_an_emptied_inventory_is_refused_unless_forced(
    cli_world: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    world = cli_world
    world.stock(8)
    assert main(["run-once", "--job", "listings"]) == 0
    assert main(["run-once", "--job", "listings"]) == 0
    with world.app.db.transaction() as session:
        for row in session.scalars(select(InventoryItem)):
            session.delete(row)
    world.sandbox.reset_stats()
    capsys.readouterr()

    assert main(["plan"]) == 4
    assert "REFUSED: inventory came back empty" in capsys.readouterr().out
    assert main(["run-once", "--job", "listings"]) == 4
    out = capsys.readouterr().out
    assert "listings: refused" in out and "--force" in out
    assert world.writes() == 0 and len(world.live()) == 8

    assert main(["run-once", "--job", "listings", "--dry-run", "--force"]) == 0
    assert world.writes() == 0
    assert main(["run-once", "--job", "listings", "--force"]) == 0
    assert "deleted 8" in capsys.readouterr().out
    assert world.live() == {}


def test_run_once_prints_the_summary_and_fails_on_a_rejection(
    cli_world: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    world = cli_world
    world.stock(3)
    world.set_row("sku-00002", urn="urn:managem:pokemon:set/nowhere/card/9")
    assert main(["run-once", "--job", "listings"]) == 1
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith(
        "listings: failed — created 2, updated 0, deleted 0, adopted 0, "
        "repaired 0, rejected 1, unchanged 0"
    )
    assert "api_calls" in line and "throttled_s" in line
    assert main(["run-once", "--job", "listings"]) == 0
