"""The ``/_sandbox/`` routes: the HTTP face of ``Controls`` (a path the real API cannot have).

Every route is listed in ``syncd/sandbox/README.md``. No credential is needed: the sandbox only
listens on loopback by default. Bodies are JSON objects; refusals use the §8.6 error body.
"""

from __future__ import annotations

from typing import Any

from syncd.sandbox.controls import Controls
from syncd.sandbox.errors import bad_request
from syncd.sandbox.routing import Call, Reply, Route
from syncd.sandbox.validation import get_int, get_str, get_str_list, require_object

PREFIX = "/_sandbox"


def _body(call: Call) -> dict[str, Any]:
    return require_object(call.body if call.body is not None else {})


def _purchase(c: Controls, call: Call) -> Reply:
    data = _body(call)
    buyer = get_str(data, "buyer", required=False) or "buyer1"
    raw_items = data.get("items")
    if raw_items is None:
        wanted = [(get_str(data, "listingId") or "", get_int(data, "quantity", default=1))]
    elif isinstance(raw_items, list):
        wanted = []
        for raw in raw_items:
            entry = require_object(raw, "each item")
            wanted.append(
                (get_str(entry, "listingId") or "", get_int(entry, "quantity", default=1))
            )
    else:
        raise bad_request("items must be an array")
    return Reply(201, c.purchase_many(wanted, buyer=buyer))


def _cancel(c: Controls, call: Call) -> Reply:
    status = get_str(_body(call), "status", required=False) or "CANCELLED"
    return Reply(200, c.cancel_item(call.params["id"], status))


def _item_status(c: Controls, call: Call) -> Reply:
    return Reply(200, c.set_item_status(call.params["id"], get_str(_body(call), "status") or ""))


def _open_case(c: Controls, call: Call) -> Reply:
    data = _body(call)
    reason = get_str(data, "reason", required=False) or "DAMAGED"
    order_id = get_str(data, "orderId") or ""
    return Reply(201, c.open_case(order_id, get_str_list(data, "orderItemIds"), reason))


def _case_status(c: Controls, call: Call) -> Reply:
    return Reply(200, c.set_case_status(call.params["id"], get_str(_body(call), "status") or ""))


def _propose(c: Controls, call: Call) -> Reply:
    data = _body(call)
    kind = get_str(data, "type") or ""
    return Reply(
        201, c.propose_outcome(call.params["id"], kind, get_int(data, "amount", default=0))
    )


def _edit(c: Controls, call: Call) -> Reply:
    return Reply(200, c.seller_edit(call.params["id"], _body(call)))


def _seed(c: Controls, call: Call) -> Reply:
    return Reply(201, c.seed_listing(_body(call)))


def _advance(c: Controls, call: Call) -> Reply:
    seconds = _body(call).get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise bad_request("seconds must be a non-negative number")
    return Reply(200, {"now": c.advance_clock(float(seconds))})


def _clock(c: Controls, call: Call) -> Reply:
    return Reply(200, {"now": c.now()})


def _get_faults(c: Controls, call: Call) -> Reply:
    return Reply(200, c.fault_settings())


def _set_faults(c: Controls, call: Call) -> Reply:
    c.set_faults(**_body(call))
    return Reply(200, c.fault_settings())


def _get_script(c: Controls, call: Call) -> Reply:
    return Reply(200, {"rules": c.faults.script()})


def _set_script(c: Controls, call: Call) -> Reply:
    rules = _body(call).get("rules")
    if not isinstance(rules, list) or not all(isinstance(rule, dict) for rule in rules):
        raise bad_request("rules must be an array of objects")
    c.script_faults(rules)
    return Reply(200, {"rules": c.faults.script()})


def _state(c: Controls, call: Call) -> Reply:
    return Reply(200, c.state())


def _stats(c: Controls, call: Call) -> Reply:
    return Reply(200, c.stats.snapshot())


def _reset_stats(c: Controls, call: Call) -> Reply:
    c.stats.reset()
    return Reply(200, c.stats.snapshot())


def _listings(c: Controls, call: Call) -> Reply:
    return Reply(200, c.listings())


def _catalogue(c: Controls, call: Call) -> Reply:
    raw = call.query.get("n")
    try:
        limit = int(raw[0]) if raw else None
    except ValueError:
        raise bad_request("n must be an integer") from None
    return Reply(200, c.market.catalogue.urns(limit))


def _save(c: Controls, call: Call) -> Reply:
    return Reply(200, {"saved": c.save(get_str(_body(call), "path", required=False))})


ROUTES: tuple[Route[Controls], ...] = (
    Route("GET", PREFIX + "/state", _state),
    Route("GET", PREFIX + "/stats", _stats),
    Route("POST", PREFIX + "/stats/reset", _reset_stats),
    Route("GET", PREFIX + "/listings", _listings),
    Route("POST", PREFIX + "/listings", _seed),
    Route("POST", PREFIX + "/listings/{id}/edit", _edit),
    Route("GET", PREFIX + "/catalogue", _catalogue),
    Route("POST", PREFIX + "/purchase", _purchase),
    Route("POST", PREFIX + "/order-items/{id}/cancel", _cancel),
    Route("POST", PREFIX + "/order-items/{id}/status", _item_status),
    Route("POST", PREFIX + "/cases", _open_case),
    Route("POST", PREFIX + "/cases/{id}/status", _case_status),
    Route("POST", PREFIX + "/cases/{id}/outcomes", _propose),
    Route("GET", PREFIX + "/clock", _clock),
    Route("POST", PREFIX + "/clock/advance", _advance),
    Route("GET", PREFIX + "/faults", _get_faults),
    Route("POST", PREFIX + "/faults", _set_faults),
    Route("GET", PREFIX + "/script-faults", _get_script),
    Route("POST", PREFIX + "/script-faults", _set_script),
    Route("POST", PREFIX + "/save", _save),
)
