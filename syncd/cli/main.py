"""``syncd`` entry point: builds the parser from each command module and maps errors to exits.

Exit codes: 0 ok; 1 a job or write failed; 2 bad input or settings; 3 the single-instance lock
is held; 4 a guard refused the plan; 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from syncd import __version__
from syncd.cli import (
    daemon_cmd,
    demo_cmd,
    orders_cmd,
    prices_cmd,
    sandbox_cmd,
    store_cmd,
    sync_cmd,
)
from syncd.errors import SyncdError
from syncd.log import scrub

COMMAND_MODULES = (store_cmd, sync_cmd, orders_cmd, prices_cmd, daemon_cmd, sandbox_cmd, demo_cmd)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="syncd",
        description="Keep a card inventory (SQLite or Postgres) in step with Managem listings.",
    )
    parser.add_argument("--version", action="version", version=f"syncd {__version__}")
    parser.add_argument(
        "--config", metavar="FILE", help="TOML settings file (default: $SYNCD_CONFIG)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        code = int(handler(args))
        sys.stdout.flush()  # here, not at exit, so a closed pipe is caught below
        return code
    except BrokenPipeError:
        # The reader went away (`syncd … | head`): stop quietly. stdout now points at devnull
        # so the interpreter's last flush has nowhere to fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except SyncdError as exc:
        print(f"syncd: error: {scrub(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("syncd: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
