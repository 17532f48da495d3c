"""``syncd prices show|chart|movers``: a card's price history as a table or a chart, and the
cards whose market moved most.

A card is named by its urn or by one of the seller's skus (a sku resolves to its urn; the own
price shown is then that sku's, not the card's lowest). Money is shown in £ with two decimals.
Reads the database only: no Managem call. Queries are in ``storage.prices``, the series and
rankings in ``core.price_series``; this module wires them and prints.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from syncd.bootstrap import App
from syncd.cli.common import app_from, print_json, print_table
from syncd.core.price_series import (
    OwnStep,
    SeriesDay,
    assemble,
    describe_change,
    latest_change,
    own_steps,
    pounds,
    rank_movers,
    step_change,
)
from syncd.core.prices import day_bounds, own_by_urn, utc_day
from syncd.errors import InputError
from syncd.storage import prices as store

_SOURCES = {"snapshot": "snapshot", "history": "sold median"}


def register(sub: Any) -> None:
    p = sub.add_parser("prices", help="price history: show, chart, movers")
    psub = p.add_subparsers(dest="prices_command", metavar="ACTION", required=True)

    show = psub.add_parser("show", help="a card's daily market and own price as a table")
    show.add_argument("card", metavar="URN_OR_SKU")
    _days(show, 30)
    show.add_argument("--json", action="store_true", help="print the rows as JSON")
    show.set_defaults(handler=_show)

    chart = psub.add_parser("chart", help="draw a card's price chart (needs syncd[charts])")
    chart.add_argument("card", metavar="URN_OR_SKU")
    _days(chart, 90)
    chart.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.png|.svg")
    chart.set_defaults(handler=_chart)

    movers = psub.add_parser("movers", help="cards whose market moved most, either way")
    _days(movers, 7)
    movers.add_argument("--limit", type=int, default=20, metavar="K", help="default 20")
    movers.add_argument(
        "--all", action="store_true", help="include cards no longer in the inventory"
    )
    movers.add_argument("--json", action="store_true", help="print the list as JSON")
    movers.set_defaults(handler=_movers)


def _days(parser: argparse.ArgumentParser, default: int) -> None:
    parser.add_argument(
        "--days", type=int, default=default, metavar="N", help=f"window, default {default}"
    )


def _window(app: App, days: int) -> tuple[date, date]:
    if not 1 <= days <= 3650:
        raise InputError("--days must be 1..3650")
    today = utc_day(app.clock.now())
    return today - timedelta(days=days - 1), today


@dataclass(frozen=True)
class CardHistory:
    """What ``show`` and ``chart`` print or draw for one card."""

    urn: str
    sku: str | None
    label: str
    start: date
    end: date
    days: tuple[SeriesDay, ...]
    steps: tuple[OwnStep, ...]


def load_history(app: App, card: str, days: int) -> CardHistory:
    """Resolve ``card`` (sku first, then urn) and assemble its series over the window."""
    start, end = _window(app, days)
    with app.db.transaction() as session:
        sku: str | None = card
        urn = store.urn_of_sku(session, card)
        if urn is None:
            sku = None
            if not store.urn_known(session, card):
                raise InputError(f"no sku or card {card!r} in the inventory or price history")
            urn = card
        snaps = store.snapshot_points(session, since=day_bounds(start)[0], urn=urn)
        points = store.history_points(session, since=start, urn=urn)
        changes = store.own_changes(session, sku=sku, urn=None if sku else urn)
        label = store.card_name(session, urn).label
    if sku is not None:  # a snapshot's own price is the card's lowest, not this sku's
        snaps = [dataclasses.replace(s, own_price=None) for s in snaps]
    steps = own_steps(changes)
    rows = assemble(start, end, snaps, points, steps)
    return CardHistory(urn, sku, label, start, end, rows, steps)


def _heading(history: CardHistory) -> str:
    parts = [history.label]
    if history.label != history.urn:
        parts.append(f"({history.urn})")
    if history.sku:
        parts.append(f"sku {history.sku}")
    return "  ".join(parts)


def _show(args: argparse.Namespace) -> int:
    with app_from(args) as app:
        history = load_history(app, args.card, args.days)
    if args.json:
        print_json(
            {
                "urn": history.urn,
                "sku": history.sku,
                "name": history.label,
                "days": [dataclasses.asdict(d) for d in history.days],
            }
        )
        return 0
    print(_heading(history))
    if not history.days:
        print(f"no price history from {history.start} to {history.end}")
        return 0
    print_table(
        ["date", "low", "market", "high", "own", "source"],
        [
            [
                d.day.isoformat(),
                pounds(d.low),
                pounds(d.mid),
                pounds(d.high),
                pounds(d.own),
                _SOURCES.get(d.source, ""),
            ]
            for d in history.days
        ],
    )
    print(describe_change("market", latest_change([(d.day, d.mid) for d in history.days])))
    own = step_change(history.steps) or latest_change([(d.day, d.own) for d in history.days])
    print(describe_change("own", own))
    return 0


def _chart(args: argparse.Namespace) -> int:
    from syncd.chart import draw_price_chart

    with app_from(args) as app:
        history = load_history(app, args.card, args.days)
    if not any(d.mid is not None or d.own is not None for d in history.days):
        raise InputError(
            f"nothing to draw for {history.urn}: no prices from {history.start} to {history.end}"
        )
    subtitle = f"{history.urn}" + (f"  ·  sku {history.sku}" if history.sku else "")
    subtitle += f"  ·  {history.start:%-d %b %Y} – {history.end:%-d %b %Y}"
    path = draw_price_chart(
        args.output,
        title=history.label,
        subtitle=subtitle,
        days=history.days,
        steps=history.steps,
        start=history.start,
        end=history.end,
    )
    print(f"wrote {path}")
    return 0


def _movers(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise InputError("--limit must be at least 1")
    with app_from(args) as app:
        start, _ = _window(app, args.days)
        with app.db.transaction() as session:
            own = {u: o.price for u, o in own_by_urn(store.inventory_offers(session)).items()}
            snaps, points = store.window_ends(session, since=day_bounds(start)[0])
            if not args.all:
                snaps = [s for s in snaps if s.urn in own]
                points = [p for p in points if p.urn in own]
            movers = rank_movers(snaps, points, own, limit=args.limit)
            names = store.card_names(session, [m.urn for m in movers])
    if args.json:
        print_json([dataclasses.asdict(m) | {"name": names[m.urn].label} for m in movers])
        return 0
    if not movers:
        print(f"no card's market moved in the last {args.days} days")
        return 0
    print_table(
        ["change", "card", "market", "since", "yours", "vs market"],
        [
            [
                f"{m.pct:+.1f}%",
                _short(names[m.urn].label),
                f"{pounds(m.start)} → {pounds(m.end)}",
                m.start_day.isoformat(),
                pounds(m.own_price),
                _share(m.own_price, m.end),
            ]
            for m in movers
        ],
    )
    return 0


def _share(own: int | None, market: int) -> str:
    """The own price against the market; none against a market of 0 (a card can fall to it)."""
    if own is None or market == 0:
        return ""
    return f"{(own - market) * 100 / market:+.0f}%"


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
