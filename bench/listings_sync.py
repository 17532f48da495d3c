"""Benchmark: a listings sync of N items (default 10,000) against a sandbox limited to R req/s.

The sandbox runs in its own process (``syncd sandbox``), so this process's memory and CPU are
syncd's alone; it is limited to R requests/s and the gateway is told the same rate. Cycles:

1. first sync of N new items (bulk creates into an empty shop)
2. idle: learns the new listing ids (reads every new listing once)
3. idle
4. 5 % of the items changed locally (half price, half quantity): that many PUTs
5. idle: reads back the listings the PUTs touched
6. idle

Between cycles the clocks of syncd and of the sandbox move on by ``--gap`` seconds (default
130 s, more than the default two-minute overlap), as a daemon's next cycles would, without
waiting for real. Lower bound = the calls no client could avoid: bulk calls needed + listing
pages needed (+ one PUT per change); its time = lower-bound calls ÷ R. Peak memory is this
process's max RSS (``ru_maxrss``), next to the RSS before the first sync.

    .venv/bin/python bench/listings_sync.py                      # 10,000 items at 20 req/s
    .venv/bin/python bench/listings_sync.py --items 2000 --db-url postgresql+psycopg://...
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from syncd.bootstrap import App, build_app
from syncd.jobs import listings
from syncd.jobs.runner import run_job
from syncd.log import configure
from syncd.settings import load_settings
from syncd.storage.engine import make_engine
from syncd.storage.schema import upgrade
from syncd.storage.tables import InventoryItem

PAGE = 50
BULK = 200


class ShiftedClock:
    """The real clock plus an offset the benchmark moves between cycles."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class SandboxProcess:
    """``syncd sandbox`` in a child process, driven through its ``/_sandbox`` control routes."""

    def __init__(self, rate: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "syncd.cli.main", "sandbox", "--port", "0",
             "--rate", str(rate), "--burst", str(int(rate))],
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        self.token = self.proc.stdout.readline().strip()

    def control(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 (our own loopback sandbox)
            self.url + "/_sandbox" + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
            return json.loads(answer.read() or b"null")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


@dataclass
class Row:
    cycle: str
    calls: int
    bound: int
    wall: float
    throttled: float
    status: str
    counts: str
    rss_mb: float


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _stock(app: App, urns: list[str]) -> None:
    with app.db.transaction() as session:
        session.add_all(
            InventoryItem(sku=f"sku-{i:06d}", urn=urn, condition="NM", language="English",
                          price=100 + i % 900, quantity=1 + i % 4, hidden=False)
            for i, urn in enumerate(urns)
        )  # fmt: skip


def _change(app: App, n: int, share: float) -> int:
    """Change ``share`` of the rows: even ones get a new price, odd ones a new quantity."""
    step = round(1 / share)
    changed = 0
    with app.db.transaction() as session:
        for i in range(0, n, step):
            sku = f"sku-{i:06d}"
            values = {"price": 5000 + i} if (i // step) % 2 == 0 else {"quantity": 9}
            session.execute(update(InventoryItem).where(InventoryItem.sku == sku).values(values))
            changed += 1
    return changed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--changed", type=float, default=0.05, help="share changed in cycle 4")
    parser.add_argument("--gap", type=float, default=130.0, help="simulated seconds between")
    parser.add_argument("--db-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="stop a cycle after")
    args = parser.parse_args()

    sandbox = SandboxProcess(args.rate)
    tmp = tempfile.mkdtemp(prefix="syncd-bench-")
    db_url = args.db_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    engine.dispose()
    configure("WARNING", "console")
    clock = ShiftedClock()
    settings = load_settings(
        database={"url": db_url},
        managem={"base_url": sandbox.url, "token": sandbox.token},
        ratelimit={"rate": args.rate, "burst": int(args.rate)},
        log={"level": "WARNING"},
    )
    app = build_app(settings, clock=clock)
    rows: list[Row] = []
    try:
        urns = sandbox.control("GET", f"/catalogue?n={args.items}")
        if len(urns) < args.items:
            raise SystemExit(f"the sandbox catalogue has only {len(urns)} cards")
        _stock(app, urns)
        rss_before = _rss_mb()
        changed = 0
        plan = [
            ("1 first sync", 1 + math.ceil(args.items / BULK)),
            ("2 idle (learn ids)", math.ceil(args.items / PAGE)),
            ("3 idle", 1),
            ("4 changed", -1),
            ("5 idle (read back)", -2),
            ("6 idle", 1),
        ]
        for name, bound in plan:
            if name.startswith("4"):
                changed = _change(app, args.items, args.changed)
                bound = 1 + changed
            elif bound == -2:
                bound = math.ceil((changed + 1) / PAGE)
            sandbox.control("POST", "/stats/reset")
            stop = threading.Event()
            timer = threading.Timer(args.max_seconds, stop.set)
            timer.start()
            started = time.perf_counter()
            outcome = run_job(app, "listings", listings.run, stop=stop)
            wall = time.perf_counter() - started
            timer.cancel()
            served = sandbox.control("GET", "/stats")["totals"]
            counts = {k: v for k, v in outcome.counts.items() if isinstance(v, int) and v}
            for noise in ("api_calls", "unchanged", "seen"):
                counts.pop(noise, None)
            rows.append(
                Row(name, int(served.get("all", 0)), bound, wall,
                    float(outcome.counts.get("throttled_s", 0.0)), outcome.status,
                    " ".join(f"{k}={v}" for k, v in counts.items())
                    + (f" 429s={served['429']}" if served.get("429") else ""),
                    _rss_mb())
            )  # fmt: skip
            clock.offset += args.gap
            sandbox.control("POST", "/clock/advance", {"seconds": args.gap})
    finally:
        app.close()
        sandbox.stop()

    print(f"listings sync: {args.items} items, sandbox and gateway at {args.rate:g} req/s, "
          f"{args.gap:g} s simulated between cycles, db {db_url.split(':')[0]}")  # fmt: skip
    print(f"RSS before the first sync: {rss_before:.0f} MB")
    header = ("cycle", "calls", "bound", "calls/bound", "wall s", "bound s", "wall/bound",
              "throttled s", "max RSS MB", "status", "counts")  # fmt: skip
    table = [header] + [
        (r.cycle, str(r.calls), str(r.bound), f"{r.calls / max(r.bound, 1):.2f}",
         f"{r.wall:.1f}", f"{r.bound / args.rate:.1f}",
         f"{r.wall / max(r.bound / args.rate, 1e-9):.2f}", f"{r.throttled:.1f}",
         f"{r.rss_mb:.0f}", r.status, r.counts)
        for r in rows
    ]  # fmt: skip
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for line in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
    return 0 if all(r.status == "ok" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
