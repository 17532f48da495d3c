"""``syncd demo``: from a fresh clone to a running result, with no Managem account.

Starts the sandbox (the fake Managem) in this process, makes a fresh SQLite database under
``./demo/``, imports the bundled sample inventory, syncs, plays a buyer and the seller on the
website (two sales, a cancellation, a quantity edit, a price edit, a case), syncs again, takes
price snapshots with a short backfill and draws a chart when matplotlib is installed, then says
in plain words what happened. It runs the same job functions as ``syncd run-once``; the story
and the printing are all it adds.
"""

from __future__ import annotations

import argparse
import uuid
from importlib import resources
from pathlib import Path
from typing import Any

from syncd.bootstrap import App, build_app
from syncd.core.inventory import import_changes, parse_inventory
from syncd.core.price_series import pounds
from syncd.errors import InputError, SyncdError
from syncd.jobs import job_table, run_job
from syncd.lock import instance_lock
from syncd.log import configure
from syncd.sandbox import Sandbox, SandboxOptions, start_sandbox
from syncd.settings import load_settings
from syncd.storage.gauges import read_gauges
from syncd.storage.inventory import apply_import, load_rows
from syncd.storage.schema import upgrade

SAMPLE = "sample_inventory.csv"
SOLD_TWO = "aqulopup-tf1-nm"  # a buyer takes 2 of 4, then opens a case about them
SOLD_OUT = "elezechu-ps34-cgc95"  # the graded slab sells: local stock goes to 0
CANCELLED = "kratle-ss12-lp"  # bought, then cancelled before dispatch: stock comes back
QTY_EDIT = "brinudor-eg23-nm"  # the seller sells one at a fair and lowers it on the website
PRICE_EDIT = "flabat-df45-nm"  # someone changes the price on the website; local wins
CHARTED = "flabat-df45-nm"
CYCLE = ("orders", "cases", "listings")
BACKFILL_DAYS = 14


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="a guided run against the built-in sandbox (no account)")
    p.add_argument(
        "--dir", type=Path, default=Path("demo"), help="folder for the database and chart"
    )
    p.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    folder: Path = args.dir
    folder.mkdir(parents=True, exist_ok=True)
    db_path = (folder / "demo.db").resolve()
    for suffix in ("", "-wal", "-shm"):  # every demo starts from nothing, like the sandbox
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    configure("ERROR", "console")  # the story below says what happened; failures still show
    with start_sandbox(SandboxOptions()) as sandbox:
        settings = load_settings(
            database={"url": f"sqlite:///{db_path}"},
            managem={"base_url": sandbox.url, "token": sandbox.token},
        )
        app = build_app(settings)
        try:
            with instance_lock(app):
                return _story(app, sandbox, folder)
        finally:
            app.close()


def _story(app: App, sandbox: Sandbox, folder: Path) -> int:
    upgrade(app.db.engine)
    imported = _import_sample(app)
    stock0 = _stock(app)
    print(f"1. Started a sandbox Managem at {sandbox.url} (a fake marketplace, no account).")
    print(f"   Made a fresh database: {app.db.url.removeprefix('sqlite:///')}")
    print(
        f"   Imported the sample inventory: {imported} cards, {sum(stock0.values())} copies "
        "(two of them graded slabs)."
    )

    _sync(app)
    listings = _our_listings(sandbox, stock0)
    live = sum(1 for item in listings.values() if item["quantity"] > 0)
    print(f"\n2. First sync: syncd listed {live} of your cards on Managem, for example:")
    for sku in (SOLD_OUT, PRICE_EDIT, SOLD_TWO):
        item = listings[sku]
        print(f"   - {sku}: {item['quantity']} at {pounds(item['price'])}")

    print("\n3. Meanwhile on Managem:")
    order = sandbox.purchase(listings[SOLD_TWO]["id"], 2)
    print(f"   - a buyer bought 2 x {SOLD_TWO} (order {order['id']})")
    sandbox.purchase(listings[SOLD_OUT]["id"], 1)
    print(f"   - another buyer bought the graded slab {SOLD_OUT}")
    cancelled = sandbox.purchase(listings[CANCELLED]["id"], 1)
    sandbox.cancel_item(cancelled["items"][0]["id"])
    print(f"   - a buyer bought 1 x {CANCELLED}, then the order was cancelled before dispatch")
    qty = listings[QTY_EDIT]["quantity"]
    sandbox.seller_edit(listings[QTY_EDIT]["id"], quantity=qty - 1)
    print(f"   - you sold a {QTY_EDIT} at a card fair and lowered it to {qty - 1} on the website")
    price = listings[PRICE_EDIT]["price"]
    sandbox.seller_edit(listings[PRICE_EDIT]["id"], price=price + 500)
    print(f"   - someone changed {PRICE_EDIT} to {pounds(price + 500)} on the website")
    sandbox.open_case(order["id"], [order["items"][0]["id"]], "DAMAGED")
    print(f"   - the first buyer opened a case: the {SOLD_TWO} cards arrived damaged")

    _sync(app)
    stock1 = _stock(app)
    after = _our_listings(sandbox, stock0)
    print("\n4. Second sync: orders first, then cases, then listings. Local stock now:")
    for sku, why in (
        (SOLD_TWO, "2 sold"),
        (SOLD_OUT, "sold out; its listing is ended"),
        (CANCELLED, "sold and cancelled: back in stock, and pushed back up on Managem"),
        (QTY_EDIT, "the website edit was taken into local stock, not overwritten"),
    ):
        shown = after[sku]["quantity"] if sku in after else "nothing"
        print(f"   - {sku}: {stock0[sku]} -> {stock1[sku]} ({why}); Managem shows {shown}")
    print(
        f"   - {PRICE_EDIT}: the website price was put back to your "
        f"{pounds(after[PRICE_EDIT]['price'])} (your database is the source of truth)"
    )
    with app.db.transaction() as session:
        open_cases = read_gauges(session).open_cases
    print(f"   - {open_cases} open case recorded; syncd raises an alert for new cases")

    outcome = run_job(
        app, "prices", job_table()["prices"], options={"backfill_days": BACKFILL_DAYS}
    )
    if outcome.status != "ok":
        raise SyncdError(f"the prices job failed: {outcome.message}")
    print(
        f"\n5. Prices: took today's market snapshot of every card and backfilled "
        f"{BACKFILL_DAYS} days of history ({outcome.counts.get('api_calls', 0)} API calls)."
    )
    print(f"   {_chart(app, folder)}")
    total0, total1 = sum(stock0.values()), sum(stock1.values())
    live = sum(1 for item in after.values() if item["quantity"] > 0)
    print(
        f"\nDone. Local stock went from {total0} to {total1} copies; "
        f"{live} listings are live on the sandbox."
    )
    print("Next: `syncd run` keeps this going on a schedule (see README: systemd, Docker).")
    return 0


def _import_sample(app: App) -> int:
    text = resources.files("syncd").joinpath("data", SAMPLE).read_text(encoding="utf-8")
    parsed = parse_inventory(text)
    if parsed.errors:
        raise InputError(f"bundled {SAMPLE} has problems: {parsed.errors[0]}")
    with app.db.transaction() as session:
        changes = import_changes(parsed.rows, load_rows(session), replace_all=False)
        apply_import(session, changes, import_id=uuid.uuid4().hex[:12], now=app.clock.now())
    return len(parsed.rows)


def _sync(app: App) -> None:
    table = job_table()
    for name in CYCLE:
        outcome = run_job(app, name, table[name])
        if outcome.status != "ok":
            raise SyncdError(f"the {name} job did not succeed: {outcome.message or outcome.status}")


def _stock(app: App) -> dict[str, int]:
    with app.db.transaction() as session:
        return {sku: row.quantity for sku, row in load_rows(session).items()}


def _our_listings(sandbox: Sandbox, skus: dict[str, int]) -> dict[str, dict[str, Any]]:
    """The sandbox's listings of our skus (ended ones too), by sku (the listing's reference)."""
    return {item["reference"]: item for item in sandbox.listings() if item.get("reference") in skus}


def _chart(app: App, folder: Path) -> str:
    try:
        from syncd.chart import draw_price_chart
        from syncd.cli.prices_cmd import load_history

        history = load_history(app, CHARTED, BACKFILL_DAYS)
        path = draw_price_chart(
            folder / "price-chart.png",
            title=history.label,
            subtitle=f"{history.urn}  ·  sku {CHARTED}  ·  last {BACKFILL_DAYS} days",
            days=history.days,
            steps=history.steps,
            start=history.start,
            end=history.end,
        )
    except InputError as exc:  # matplotlib is an optional extra
        return f"No chart drawn: {exc}"
    return f"Drew the price chart of {CHARTED} (market band and your price): {path}"
