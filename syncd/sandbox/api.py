"""The public API's route table: each Managem endpoint the sandbox serves, mapped to its rules.

Handlers only translate between ``Call``/``Reply`` and the rule modules; they run with
``market.lock`` held and after authentication, rate limiting and fault decisions (see ``app``).
Paths are §4/§8 of ``managem-api.md``; the undocumented ones are the §8 assumptions.
"""

from __future__ import annotations

from typing import Any

from syncd.sandbox import cases, items, listings, orders, search
from syncd.sandbox.market import Market
from syncd.sandbox.routing import Call, Reply, Route


def seller_account(market: Market) -> dict[str, Any]:
    """``GET /seller`` (§4.0): the Stripe-backed seller record, with illustrative values."""
    return {
        "id": market.seller_id,
        "email": f"{market.username}@sandbox.managem.invalid",
        "country": "GB",
        "defaultCurrency": "gbp",
        "detailsSubmitted": True,
        "chargesEnabled": True,
        "payoutsEnabled": True,
        "requirements": {"currentlyDue": [], "pastDue": [], "eventuallyDue": []},
        "businessProfile": {"name": market.username, "url": None},
        "settings": {
            "payouts": {"schedule": {"delayDays": 7, "interval": "weekly"}},
            "dashboard": {"timezone": "Europe/London"},
        },
    }


def _ok(body: Any, status: int = 200) -> Reply:
    return Reply(status, body)


def _get_seller(m: Market, c: Call) -> Reply:
    return _ok(seller_account(m))


def _create(m: Market, c: Call) -> Reply:
    return _ok(listings.render(m, listings.create(m, c.body)), 201)


def _bulk(m: Market, c: Call) -> Reply:
    return _ok(listings.create_bulk(m, c.body))


def _search(m: Market, c: Call) -> Reply:
    return _ok(search.search(m, c.body))


def _suggest(m: Market, c: Call) -> Reply:
    return _ok(items.suggest(m, c.body))


def _get_listing(m: Market, c: Call) -> Reply:
    return _ok(listings.render(m, m.own_listing(c.params["id"])))


def _put_listing(m: Market, c: Call) -> Reply:
    return _ok(listings.render(m, listings.replace(m, c.params["id"], c.body)))


def _delete_listing(m: Market, c: Call) -> Reply:
    listings.delete(m, c.params["id"])
    return Reply(204)


def _list_orders(m: Market, c: Call) -> Reply:
    return _ok(orders.list_orders(m, c.query))


def _get_order(m: Market, c: Call) -> Reply:
    return _ok(orders.render(m, m.own_order(c.params["id"])))


def _order_history(m: Market, c: Call) -> Reply:
    return _ok(orders.history(m, c.params["id"]))


def _put_order(m: Market, c: Call) -> Reply:
    return _ok(orders.render(m, orders.seller_update(m, c.params["id"], c.body)))


def _list_cases(m: Market, c: Call) -> Reply:
    return _ok(cases.list_cases(m, c.query))


def _get_case(m: Market, c: Call) -> Reply:
    return _ok(cases.render(m.own_case(c.params["id"])))


def _put_case(m: Market, c: Call) -> Reply:
    return _ok(cases.render(cases.seller_update(m, c.params["id"], c.body)))


def _lookup(m: Market, c: Call) -> Reply:
    return _ok(items.lookup(m, c.body))


def _prices(m: Market, c: Call) -> Reply:
    return _ok(items.price_history(m, c.query))


ROUTES: tuple[Route[Market], ...] = (
    Route("GET", "/seller", _get_seller),
    Route("POST", "/seller/listings", _create, writes=True),
    Route("POST", "/seller/listings/bulk", _bulk, writes=True),
    Route("POST", "/seller/listings/search", _search),
    Route("POST", "/seller/listings/suggest-prices", _suggest),
    Route("GET", "/seller/listings/{id}", _get_listing),
    Route("PUT", "/seller/listings/{id}", _put_listing, writes=True),
    Route("DELETE", "/seller/listings/{id}", _delete_listing, writes=True),
    Route("GET", "/seller/orders", _list_orders),
    Route("GET", "/seller/orders/{id}", _get_order),
    Route("GET", "/seller/orders/{id}/history", _order_history),
    Route("PUT", "/seller/orders/{id}", _put_order, writes=True),
    Route("GET", "/seller/cases", _list_cases),
    Route("GET", "/seller/cases/{id}", _get_case),
    Route("PUT", "/seller/cases/{id}", _put_case, writes=True),
    Route("POST", "/items/lookup", _lookup, public=True),
    Route("GET", "/items/prices", _prices, public=True),
)
