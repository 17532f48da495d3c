"""Commands on the local database: ``migrate``, ``inventory import|export``, ``status``."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from syncd.cli.common import app_from, print_json, print_table
from syncd.core.inventory import format_inventory, import_changes, parse_inventory
from syncd.errors import InputError
from syncd.storage.inventory import apply_import, iter_rows, load_rows, lock_inventory
from syncd.storage.schema import current_revision, head_revision, upgrade
from syncd.storage.status import collect


def register(sub: Any) -> None:
    p = sub.add_parser("migrate", help="create or upgrade the database schema")
    p.set_defaults(handler=_migrate)

    inv = sub.add_parser("inventory", help="load or dump the inventory as CSV")
    inv_sub = inv.add_subparsers(dest="inventory_command", metavar="ACTION", required=True)
    imp = inv_sub.add_parser("import", help="load rows from CSV (all or nothing)")
    imp.add_argument("file", type=Path)
    imp.add_argument(
        "--replace", action="store_true", help="rows absent from the file go to quantity 0"
    )
    imp.set_defaults(handler=_import)
    exp = inv_sub.add_parser("export", help="write the inventory as CSV ('-' for stdout)")
    exp.add_argument("file")
    exp.set_defaults(handler=_export)

    st = sub.add_parser("status", help="last runs, pending intents, rejected items, open cases")
    st.add_argument("--json", action="store_true", help="machine-readable output")
    st.set_defaults(handler=_status)


def _migrate(args: argparse.Namespace) -> int:
    with app_from(args, require_schema=False) as app:
        before = current_revision(app.db.engine)
        upgrade(app.db.engine)
        after = current_revision(app.db.engine)
        if before == after:
            print(f"schema already at {after} ({app.db.display_url})")
        else:
            print(f"schema upgraded {before or 'empty'} → {after} ({app.db.display_url})")
    return 0


def _import(args: argparse.Namespace) -> int:
    path: Path = args.file
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:  # a directory, no permission, an I/O error
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    parsed = parse_inventory(text)
    if parsed.errors:
        for err in parsed.errors:
            print(f"{path}:{err.line}: {err.reason}", file=sys.stderr)
        raise InputError(f"{path}: {len(parsed.errors)} problem(s); nothing was imported")
    with app_from(args) as app, app.db.transaction() as session:
        lock_inventory(session)  # a till's sale now waits for us instead of being overwritten
        changes = import_changes(parsed.rows, load_rows(session), replace_all=bool(args.replace))
        apply_import(session, changes, import_id=uuid.uuid4().hex[:12], now=app.clock.now())
    print(
        f"imported {path}: {len(changes.inserts)} new, {len(changes.updates)} changed, "
        f"{changes.unchanged} unchanged, {len(changes.quantity_deltas)} stock changes"
    )
    return 0


def _export(args: argparse.Namespace) -> int:
    with app_from(args) as app, app.db.transaction() as session:
        text = format_inventory(iter_rows(session))
    if args.file == "-":
        sys.stdout.write(text)
        return 0
    target = Path(args.file)
    # Write beside the target, then rename: a crash never leaves a half-written export.
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent or Path("."), prefix=f".{target.name}.")
    except OSError as exc:  # no such folder, no permission
        raise InputError(
            f"{target}: cannot write ({exc.strerror or exc}); nothing was written"
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it 0600; a plain write would not
        os.replace(tmp, target)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):  # the target is a folder, the disk is full
            why = exc.strerror or exc
            raise InputError(f"{target}: cannot write ({why}); nothing was written") from None
        raise
    print(f"exported {text.count(chr(10)) - 1} rows to {target}")
    return 0


def _status(args: argparse.Namespace) -> int:
    with app_from(args, require_schema=False) as app:
        current, head = current_revision(app.db.engine), head_revision(app.db.engine)
        data: dict[str, Any] = {
            "database": app.db.display_url,
            "schema": {"current": current, "head": head, "up_to_date": current == head},
        }
        if current is not None:
            with app.db.transaction() as session:
                data.update(collect(session))
    if args.json:
        print_json(data)
        return 0
    schema = data["schema"]
    print(f"database  {data['database']}")
    print(
        f"schema    {schema['current'] or 'empty'}"
        + ("" if schema["up_to_date"] else f" (code needs {schema['head']}: run `syncd migrate`)")
    )
    if current is None:
        return 0
    jobs = data["jobs"]
    if jobs:
        print()
        print_table(
            ["job", "last run", "status", "finished", "last success"],
            [
                [
                    name,
                    info.get("run_id"),
                    info.get("status"),
                    _when(info.get("finished_at")),
                    _when(info.get("last_success_at")),
                ]
                for name, info in sorted(jobs.items())
            ],
        )
    intents = data["intents"]
    print()
    print(
        f"pending writes {intents.get('pending', 0)}, ambiguous {intents.get('ambiguous', 0)}, "
        f"rejected items {data['rejected_items']}, open cases {data['open_cases']}"
    )
    oldest = data["oldest_open_case"]
    if oldest:
        print(
            f"oldest open case {oldest['id']} ({oldest['status']}, opened {oldest['created_at']})"
        )
    for name, cur in sorted(data["cursors"].items()):
        print(f"cursor {name}: {cur['value']} (saved {_when(cur['updated_at'])})")
    print()
    print_table(["table", "rows"], sorted(data["tables"].items()))
    return 0


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else "-"
