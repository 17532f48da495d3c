"""``syncd orders list`` and ``syncd cases list``: what sold, its stock effect, what is disputed.

Read only: both print what the orders and cases jobs recorded (plain tables, or ``--json``).
Nothing here talks to Managem or decides anything.
"""

from __future__ import annotations

import argparse
from typing import Any

from syncd.cli.common import app_from, print_json, print_table
from syncd.core.ledger import format_time, parse_time
from syncd.errors import InputError
from syncd.storage.cases import list_cases
from syncd.storage.orders import list_items

MAX_LIMIT = 1_000_000  # a SQL LIMIT must fit the database's integer; 0 lists everything


def register(sub: Any) -> None:
    orders = sub.add_parser("orders", help="orders syncd has seen and their stock effect")
    orders_sub = orders.add_subparsers(dest="orders_command", metavar="ACTION", required=True)
    ls = orders_sub.add_parser("list", help="one line per order item, newest order first")
    ls.add_argument("--since", metavar="ISO", help="only orders updated at or after this time")
    ls.add_argument("--status", metavar="S", help="only items with this status (e.g. CANCELLED)")
    ls.add_argument(
        "--limit", type=int, default=200, metavar="N", help="newest N items (0: all; default 200)"
    )
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(handler=_orders_list)

    cases = sub.add_parser("cases", help="disputes on the seller's orders")
    cases_sub = cases.add_subparsers(dest="cases_command", metavar="ACTION", required=True)
    cl = cases_sub.add_parser("list", help="cases, newest first, with returns coming back")
    cl.add_argument("--open", action="store_true", help="only cases not yet closed")
    cl.add_argument("--json", action="store_true", help="machine-readable output")
    cl.set_defaults(handler=_cases_list)


def _since(text: str | None) -> str | None:
    if text is None:
        return None
    moment = parse_time(text)
    if moment is None:
        raise InputError(f"--since {text!r}: not an ISO-8601 time (e.g. 2026-03-01T12:00:00Z)")
    return format_time(moment)


def _pence(value: int | None) -> str:
    return "" if value is None else f"£{value / 100:.2f}"


def _orders_list(args: argparse.Namespace) -> int:
    since = _since(args.since)
    status = args.status.strip().upper() if args.status else None
    if not 0 <= args.limit <= MAX_LIMIT:
        raise InputError(f"--limit must be 0 (all) to {MAX_LIMIT}")
    fetch = args.limit + 1 if args.limit else None  # one row more tells whether there are more
    with app_from(args) as app, app.db.transaction() as session:
        rows = list_items(session, since=since, status=status, limit=fetch)
    more = bool(args.limit) and len(rows) > args.limit
    rows = rows[: args.limit] if more else rows
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("no orders recorded" + (" matching the filters" if since or status else ""))
        return 0
    print_table(
        ("order", "created", "item", "sku", "qty", "price", "status", "stock"),
        [
            (
                r["order_id"],
                r["created_at"],
                r["item_id"],
                r["sku"] or "(not ours)",
                r["quantity"],
                _pence(r["price"]),
                r["status"],
                "" if r["stock_delta"] is None else f"{r['stock_delta']:+d}",
            )
            for r in rows
        ],
    )
    if more:
        print(f"(the newest {len(rows)} items; --limit 0 shows all)")
    return 0


def _outcomes(outcomes: list[dict[str, Any]]) -> str:
    return ", ".join(
        f"{o['type']} {o['status']}" + (f" {_pence(o['amount'])}" if o["amount"] else "")
        for o in outcomes
    )


def _cases_list(args: argparse.Namespace) -> int:
    with app_from(args) as app, app.db.transaction() as session:
        rows = list_cases(session, open_only=bool(args.open))
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("no open cases" if args.open else "no cases recorded")
        return 0
    print_table(
        ("case", "status", "reason", "order", "skus", "opened", "outcomes", "returning"),
        [
            (
                r["id"],
                r["status"] + (" (warned)" if r["escalation_warned"] else ""),
                r["reason"],
                r["order_id"],
                ",".join(r["skus"]),
                r["created_at"],
                _outcomes(r["outcomes"]),
                "yes" if r["returning"] else "",
            )
            for r in rows
        ],
    )
    return 0
