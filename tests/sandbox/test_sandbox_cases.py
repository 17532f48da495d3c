"""Cases over HTTP: opening, the paged list, seller actions and their state rules."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from sandbox_http import NewListing

from syncd.sandbox import ApiError, Sandbox

DAY = 86_400.0


@pytest.fixture
def disputed(sandbox: Sandbox, new_listing: NewListing) -> dict[str, Any]:
    """A case on one item of a two-item order (prices 300×1 and 200×2)."""
    a, b = new_listing(price=300), new_listing(price=200)
    order = sandbox.purchase_many([(a["id"], 1), (b["id"], 2)])
    case = sandbox.open_case(order["id"], [order["items"][0]["id"]], reason="SNAD")
    return {"order": order, "case": case}


def act(client: httpx2.Client, case_id: str, **body: Any) -> httpx2.Response:
    return client.put(f"/seller/cases/{case_id}", json=body)


def test_opening_a_case(sandbox: Sandbox, client: httpx2.Client, disputed: dict[str, Any]) -> None:
    case, order = disputed["case"], disputed["order"]
    assert (case["status"], case["reason"]) == ("OPEN", "SNAD")
    assert case["orderId"] == order["id"] and case["purchaseId"] == order["purchaseId"]
    assert case["orderItemIds"] == [order["items"][0]["id"]]
    (opening,) = case["outcomes"]
    assert (opening["type"], opening["party"], opening["status"]) == ("REFUND", "BUYER", "PENDING")
    assert opening["amount"] == 300
    fetched = client.get(f"/seller/orders/{order['id']}").json()
    assert [i["status"] for i in fetched["items"]] == ["DISPUTED", "PENDING"]
    listed = client.get("/seller/cases").json()
    assert listed["total"] == 1 and listed["hits"][0] == case
    assert client.get(f"/seller/cases/{case['id']}").json() == case
    with pytest.raises(ApiError) as twice:  # already disputed
        sandbox.open_case(order["id"], [order["items"][0]["id"]])
    assert twice.value.status == 409


def test_dispute_window_is_30_days(sandbox: Sandbox, new_listing: NewListing) -> None:
    order = sandbox.purchase(new_listing()["id"], 1)
    sandbox.advance_clock(30 * DAY + 1)
    with pytest.raises(ApiError) as late:
        sandbox.open_case(order["id"], [order["items"][0]["id"]])
    assert late.value.status == 409


def test_accepting_the_refund_closes_and_refunds(
    client: httpx2.Client, disputed: dict[str, Any]
) -> None:
    case = disputed["case"]
    closed = act(client, case["id"], action="accept", outcomeId=case["outcomes"][0]["id"])
    assert closed.status_code == 200
    assert closed.json()["status"] == "CLOSED"
    assert closed.json()["outcomes"][0]["status"] == "ACCEPTED"
    order = client.get(f"/seller/orders/{disputed['order']['id']}").json()
    assert order["items"][0]["status"] == "REFUNDED"
    assert act(client, case["id"], action="escalate").status_code == 409  # CLOSED takes no more


def test_own_proposals_cannot_be_accepted_and_the_cap_holds(
    client: httpx2.Client, disputed: dict[str, Any]
) -> None:
    case = disputed["case"]
    cap = 300 + disputed["order"]["deliveryCharge"]
    assert (
        act(client, case["id"], action="propose", type="REFUND", amount=cap + 1).status_code == 400
    )
    proposed = act(client, case["id"], action="propose", type="REFUND", amount=cap).json()
    assert proposed["status"] == "REMEDIATION"
    mine = proposed["outcomes"][-1]
    assert (mine["party"], mine["amount"]) == ("SELLER", cap)
    assert act(client, case["id"], action="accept", outcomeId=mine["id"]).status_code == 400
    assert act(client, case["id"], action="accept", outcomeId="nope").status_code == 400
    assert act(client, case["id"], action="propose", type="GIFT").status_code == 400
    assert act(client, case["id"], action="shrug").status_code == 400


def test_reject_then_return_then_resolve(
    sandbox: Sandbox, client: httpx2.Client, disputed: dict[str, Any]
) -> None:
    case = disputed["case"]
    rejected = act(client, case["id"], action="reject", outcomeId=case["outcomes"][0]["id"])
    assert rejected.json()["status"] == "REMEDIATION"
    again = act(client, case["id"], action="reject", outcomeId=case["outcomes"][0]["id"])
    assert again.status_code == 409  # no longer pending
    assert act(client, case["id"], action="resolve").status_code == 409  # nothing settled
    buyer_return = sandbox.propose_outcome(case["id"], "RETURN")["outcomes"][-1]["id"]
    settled = act(client, case["id"], action="accept", outcomeId=buyer_return)
    assert settled.json()["status"] == "SETTLED"
    after = act(client, case["id"], action="propose", type="REFUND", amount=1)
    assert after.status_code == 409  # an outcome is accepted: no more changes
    resolved = act(client, case["id"], action="resolve", comment="parcel back")
    assert resolved.json()["status"] == "CLOSED" and resolved.json()["comment"] == "parcel back"


def test_escalated_cases_reject_updates(client: httpx2.Client, disputed: dict[str, Any]) -> None:
    case = disputed["case"]
    assert act(client, case["id"], action="escalate").json()["status"] == "ESCALATED"
    outcome_id = case["outcomes"][0]["id"]
    assert act(client, case["id"], action="accept", outcomeId=outcome_id).status_code == 409


def test_auto_escalation_after_7_days(
    sandbox: Sandbox, client: httpx2.Client, disputed: dict[str, Any]
) -> None:
    case = disputed["case"]
    sandbox.advance_clock(7 * DAY - 60)
    assert client.get(f"/seller/cases/{case['id']}").json()["status"] == "OPEN"
    sandbox.advance_clock(60)
    escalated = client.get(f"/seller/cases/{case['id']}").json()
    assert escalated["status"] == "ESCALATED"
    listed = client.get("/seller/cases", params={"updatedSince": escalated["updatedAt"]}).json()
    assert [c["id"] for c in listed["hits"]] == [case["id"]]


def test_case_list_paging_and_status_control(
    sandbox: Sandbox, client: httpx2.Client, new_listing: NewListing
) -> None:
    listing = new_listing(quantity=6)
    ids = []
    for _ in range(5):
        order = sandbox.purchase(listing["id"], 1)
        ids.append(sandbox.open_case(order["id"], [order["items"][0]["id"]])["id"])
        sandbox.advance_clock(1)
    page = client.get("/seller/cases", params={"size": 2, "page": 2, "order": "asc"}).json()
    assert page["total"] == 5 and [c["id"] for c in page["hits"]] == ids[2:4]
    assert client.get("/seller/cases", params={"page": 9}).json()["hits"] == []
    assert client.get("/seller/cases", params={"size": 101}).status_code == 400
    moved = sandbox.set_case_status(ids[0], "CLOSED")
    assert moved["status"] == "CLOSED"
    newest = client.get("/seller/cases", params={"sort": "updatedAt", "size": 1}).json()
    assert newest["hits"][0]["id"] == ids[0]
    assert client.get("/seller/cases/c_missing").status_code == 404
    with pytest.raises(ApiError):
        sandbox.set_case_status(ids[1], "WON")
