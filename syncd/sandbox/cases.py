"""Cases (disputes): opened by a buyer (test control), moved by seller actions (§4.3, §8.3).

Rules mirrored: only items not refunded/disputed, within 30 days of their last update, can be
disputed; the buyer's opening proposal is a REFUND of the disputed items; a party cannot accept
or reject its own proposal (400); once an outcome is accepted, accept/reject/propose answer 409;
ESCALATED and CLOSED cases answer 409 to every seller action; OPEN/REMEDIATION cases escalate by
themselves 7 days after opening (``auto_escalate``, run before each request and clock move).
An accepted REFUND, or a resolved RETURN, marks the disputed items REFUNDED (no restock).
Callers hold ``market.lock``. No HTTP here.
"""

from __future__ import annotations

from typing import Any

from syncd.sandbox.clock import DAY_MS, iso_ms
from syncd.sandbox.errors import bad_request, conflict, not_found
from syncd.sandbox.market import Market
from syncd.sandbox.orders import find_item, set_item_status
from syncd.sandbox.paging import Query, page_of, parse_page
from syncd.sandbox.records import Case, Outcome
from syncd.sandbox.validation import get_choice, get_int, get_str, require_object

CASE_STATUSES = ("OPEN", "REMEDIATION", "SETTLED", "CLOSED", "ESCALATED")
REASONS = ("SNAD", "DAMAGED", "WRONG_ITEM", "NOT_RECEIVED", "OTHER", "CHARGEBACK")
OUTCOME_TYPES = ("RETURN", "REFUND", "REPLACEMENT")
ACTIONS = ("escalate", "accept", "reject", "propose", "resolve")
DISPUTE_WINDOW_MS = 30 * DAY_MS
AUTO_ESCALATE_MS = 7 * DAY_MS


def render(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "workflowId": case.workflow_id,
        "purchaseId": case.purchase_id,
        "orderId": case.order_id,
        "orderItemIds": list(case.order_item_ids),
        "reason": case.reason,
        "status": case.status,
        "createdAt": iso_ms(case.created_ms),
        "updatedAt": iso_ms(case.updated_ms),
        "comment": case.comment,
        "outcomes": [
            {
                "id": o.id,
                "type": o.type,
                "party": o.party,
                "status": o.status,
                "caseId": o.case_id,
                "amount": o.amount,
                "createdAt": iso_ms(o.created_ms),
                "updatedAt": iso_ms(o.updated_ms),
                "comment": o.comment,
                "deliveryAddress": None,
            }
            for o in case.outcomes
        ],
        "attachments": [],
    }


def _disputed_total(market: Market, case: Case) -> int:
    return sum(item.price * item.quantity for item in _items(market, case))


def _items(market: Market, case: Case) -> list[Any]:
    return [find_item(market, item_id)[1] for item_id in case.order_item_ids]


def open_case(market: Market, order_id: str, item_ids: list[str], reason: str = "DAMAGED") -> Case:
    order = market.orders.get(order_id)
    if order is None:
        raise not_found("order")
    if reason not in REASONS:
        raise bad_request(f"reason must be one of {', '.join(REASONS)}")
    by_id = {item.id: item for item in order.items}
    if not item_ids or any(item_id not in by_id for item_id in item_ids):
        raise bad_request("orderItemIds must name items of this order")
    now = market.now_ms()
    for item_id in item_ids:
        item = by_id[item_id]
        if item.status in ("REFUNDED", "DISPUTED"):
            raise conflict(f"order item {item_id} is {item.status} and cannot be disputed")
        if now - item.updated_ms > DISPUTE_WINDOW_MS:
            raise conflict(f"order item {item_id} is past the 30-day dispute window")
    case = Case(
        id=market.new_cuid(),
        workflow_id=market.new_id("wf"),
        purchase_id=order.purchase_id,
        order_id=order.id,
        seller_id=order.seller_id,
        reason=reason,
        status="OPEN",
        created_ms=now,
        updated_ms=now,
        order_item_ids=list(item_ids),
    )
    amount = sum(by_id[i].price * by_id[i].quantity for i in item_ids)
    case.outcomes.append(
        Outcome(market.new_id("out"), case.id, "REFUND", "BUYER", "PENDING", amount, now, now)
    )
    for item_id in item_ids:
        set_item_status(market, item_id, "DISPUTED", party="BUYER", note="Dispute opened")
    market.cases[case.id] = case
    return case


def _refund_items(market: Market, case: Case) -> None:
    for item_id in case.order_item_ids:
        set_item_status(market, item_id, "REFUNDED", party="SYSTEM", note="Refunded after case")


def seller_update(market: Market, case_id: str, body: Any) -> Case:
    """``PUT /seller/cases/{id}``: one seller action (§8.3)."""
    case = market.own_case(case_id)
    data = require_object(body)
    action = get_choice(data, "action", ACTIONS, "")
    comment = get_str(data, "comment", required=False)
    if case.status in ("ESCALATED", "CLOSED"):
        raise conflict(f"case is {case.status} and takes no further updates")
    accepted = any(outcome.status == "ACCEPTED" for outcome in case.outcomes)
    now = market.now_ms()
    if action == "escalate":
        case.status = "ESCALATED"
    elif action in ("accept", "reject"):
        outcome_id = get_str(data, "outcomeId")
        outcome = next((o for o in case.outcomes if o.id == outcome_id), None)
        if outcome is None:
            raise bad_request("outcomeId does not name an outcome of this case")
        if accepted:
            raise conflict("an outcome has already been accepted and can't be changed")
        if outcome.party == "SELLER":
            raise bad_request("a party cannot accept or reject its own proposal")
        if outcome.status != "PENDING":
            raise conflict(f"outcome is already {outcome.status}")
        outcome.updated_ms = now
        if action == "reject":
            outcome.status = "REJECTED"
            case.status = "REMEDIATION"
        else:
            outcome.status = "ACCEPTED"
            case.status = "SETTLED" if outcome.type == "RETURN" else "CLOSED"
            if outcome.type == "REFUND":
                _refund_items(market, case)
    elif action == "propose":
        if accepted:
            raise conflict("an outcome has already been accepted and can't be changed")
        kind = get_choice(data, "type", OUTCOME_TYPES, "")
        cap = _disputed_total(market, case) + market.own_order(case.order_id).delivery_charge
        amount = get_int(data, "amount", default=0, minimum=0, maximum=cap)
        case.outcomes.append(
            Outcome(
                market.new_id("out"), case.id, kind, "SELLER", "PENDING", amount, now, now, comment
            )
        )
        case.status = "REMEDIATION"
    else:  # resolve: the returned goods arrived; only after an accepted RETURN
        if case.status != "SETTLED":
            raise conflict("only a SETTLED case (accepted return) can be resolved")
        case.status = "CLOSED"
        _refund_items(market, case)
    if comment is not None:
        case.comment = comment
    case.updated_ms = now
    return case


def buyer_propose(market: Market, case_id: str, kind: str, amount: int) -> Case:
    """Test control: the buyer proposes an outcome (same rules as a seller proposal)."""
    case = market.cases.get(case_id)
    if case is None:
        raise not_found("case")
    if case.status in ("ESCALATED", "CLOSED"):
        raise conflict(f"case is {case.status} and takes no further updates")
    if any(outcome.status == "ACCEPTED" for outcome in case.outcomes):
        raise conflict("an outcome has already been accepted and can't be changed")
    get_choice({"type": kind}, "type", OUTCOME_TYPES, "")
    cap = _disputed_total(market, case) + market.orders[case.order_id].delivery_charge
    get_int({"amount": amount}, "amount", minimum=0, maximum=cap)
    now = market.now_ms()
    outcome = Outcome(market.new_id("out"), case.id, kind, "BUYER", "PENDING", amount, now, now)
    case.outcomes.append(outcome)
    case.status = "REMEDIATION"
    case.updated_ms = now
    return case


def set_status(market: Market, case_id: str, status: str) -> Case:
    """Test control: move a case to any documented status (buyer, support or system moves)."""
    case = market.cases.get(case_id)
    if case is None:
        raise not_found("case")
    if status not in CASE_STATUSES:
        raise bad_request(f"status must be one of {', '.join(CASE_STATUSES)}")
    case.status = status
    case.updated_ms = market.now_ms()
    return case


def auto_escalate(market: Market) -> None:
    """Escalate OPEN/REMEDIATION cases 7 days after opening, stamped at that moment."""
    now = market.now_ms()
    for case in market.cases.values():
        due = case.created_ms + AUTO_ESCALATE_MS
        if case.status in ("OPEN", "REMEDIATION") and now >= due:
            case.status = "ESCALATED"
            case.updated_ms = max(case.updated_ms, due)


def list_cases(market: Market, query: Query) -> dict[str, Any]:
    request = parse_page(query)
    own = [case for case in market.cases.values() if case.seller_id == market.seller_id]
    total, page = page_of(
        own,
        request,
        created=lambda c: c.created_ms,
        updated=lambda c: c.updated_ms,
        key=lambda c: c.id,
    )
    return {"total": total, "hits": [render(case) for case in page]}
