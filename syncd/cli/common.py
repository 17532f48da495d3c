"""What every command shares: settings from the arguments, the app, JSON and table printing."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from syncd.bootstrap import App, build_app
from syncd.log import configure
from syncd.settings import Settings, load_settings


def settings_from(args: argparse.Namespace) -> Settings:
    return load_settings(getattr(args, "config", None))


@contextmanager
def app_from(args: argparse.Namespace, *, require_schema: bool = True) -> Iterator[App]:
    """Settings → logging → App; the schema must be current unless asked otherwise."""
    settings = settings_from(args)
    configure(settings.log.level, settings.log.format)
    app = build_app(settings)
    try:
        if require_schema:
            app.db.require_current()
        yield app
    finally:
        app.close()


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return str(value)


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=True, default=_default)
    sys.stdout.write("\n")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain aligned text table."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
