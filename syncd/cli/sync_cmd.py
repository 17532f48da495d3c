"""``syncd run-once``: one pass of the jobs, in cycle order, under the single-instance lock.

``syncd plan``: what a listings sync would do now, printed; it writes nothing anywhere.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from syncd.cli.common import app_from, print_json, print_table
from syncd.jobs import DEFAULT_ORDER, job_table, run_job
from syncd.lock import instance_lock


def register(sub: Any) -> None:
    _register_plan(sub)
    p = sub.add_parser("run-once", help="one pass of the jobs; exit 0 only if all succeeded")
    p.add_argument(
        "--job",
        action="append",
        choices=DEFAULT_ORDER,
        dest="jobs",
        metavar="NAME",
        help=f"run only this job (repeatable; default all: {', '.join(DEFAULT_ORDER)})",
    )
    p.add_argument("--dry-run", action="store_true", help="plan and stop before the first write")
    p.add_argument("--force", action="store_true", help="override the delete guards")
    p.add_argument(
        "--backfill-days",
        type=int,
        metavar="N",
        help="prices: pull N days of history first (2..365)",
    )
    p.add_argument("--json", action="store_true", help="print the outcomes as JSON")
    p.set_defaults(handler=_run_once)


def _run_once(args: argparse.Namespace) -> int:
    names = [n for n in DEFAULT_ORDER if n in (args.jobs or DEFAULT_ORDER)]
    options: dict[str, Any] = {}
    if args.backfill_days is not None:
        if not 2 <= args.backfill_days <= 365:
            # Today is never stored (its sales are not over): 1 would store nothing, ever.
            print(
                "syncd: error: --backfill-days must be 2..365 (today is not stored until it ends)",
                file=sys.stderr,
            )
            return 2
        options["backfill_days"] = args.backfill_days
    table = job_table()
    results = {}
    with app_from(args) as app, instance_lock(app):
        for name in names:
            outcome = run_job(
                app,
                name,
                table[name],
                dry_run=args.dry_run,
                force=args.force,
                options=options,
                progress=sys.stderr.isatty(),
            )
            results[name] = outcome
    if args.json:
        print_json({n: {"status": o.status, **o.counts} for n, o in results.items()})
    else:
        for name, outcome in results.items():
            counts = ", ".join(f"{k} {v}" for k, v in outcome.counts.items() if k != "message")
            line = f"{name}: {outcome.status}" + (f" — {counts}" if counts else "")
            if outcome.message:
                line += f"\n  {outcome.message}"
            print(line)
    if any(o.status == "refused" for o in results.values()):
        return 4
    return 0 if all(o.status == "ok" for o in results.values()) else 1


def _register_plan(sub: Any) -> None:
    p = sub.add_parser("plan", help="show what a listings sync would do; writes nothing anywhere")
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    p.set_defaults(handler=_plan)


def _plan(args: argparse.Namespace) -> int:
    from syncd.jobs.listings import prepare

    with app_from(args) as app:
        prepared = prepare(app, force=False, persist=False)
    plan = prepared.plan
    read = {"full": prepared.read.full, "seen": len(prepared.read.rows)}
    if args.json:
        print_json({**plan.to_dict(), "read": read})
        return 4 if plan.refused is not None else 0
    counts = ", ".join(f"{n} {k}" for k, n in plan.counts().items())
    kind = "full" if prepared.read.full else "incremental"
    print(f"plan: {counts} ({kind} read, {read['seen']} listing(s) seen)")
    if plan.refused is not None:
        print(f"REFUSED: {plan.refused}")
    if plan.actions:
        print()
        print_table(
            ("op", "sku", "listing", "reason", "changed"),
            [
                (a.op.value, a.sku, a.listing_id or "(new)", a.reason, ", ".join(a.changed))
                for a in plan.actions
            ],
        )
    if plan.adjustments:
        print()
        print_table(
            ("stock", "sku", "listing", "remote quantity"),
            [(a.delta, a.sku, a.listing_id, a.remote_quantity) for a in plan.adjustments],
        )
    if plan.notes:
        print()
        for note in plan.notes:
            print(f"[{note.kind}] " + (f"{note.sku}: " if note.sku else "") + note.detail)
    return 4 if plan.refused is not None else 0
