"""``syncd sandbox``: run the fake Managem server on loopback until SIGINT or SIGTERM.

Prints the URL and the sandbox's own test token (one line each) so a demo can point syncd at
it; saves the state file on the way out when one is named. All behaviour lives in
``syncd.sandbox``; this module only maps arguments to ``SandboxOptions``.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from syncd.sandbox import SandboxOptions, start_sandbox


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sandbox",
        help="run the fake Managem server (for tests, benchmarks and the demo)",
        description="Run the fake Managem until SIGINT/SIGTERM (see syncd/sandbox/README.md).",
    )
    defaults = SandboxOptions()
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8765, help="port (0 picks a free one)")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="catalogue and id seed")
    parser.add_argument("--token", default=defaults.token, help="the credential it accepts")
    parser.add_argument(
        "--catalogue-size", type=int, default=defaults.catalogue_size, help="cards generated"
    )
    parser.add_argument("--rate", type=float, default=None, help="requests/s per credential")
    parser.add_argument("--burst", type=int, default=None, help="rate-limit bucket size")
    parser.add_argument(
        "--state-file", default=None, help="JSON state: loaded at start, saved at exit"
    )
    parser.add_argument("--index-lag", type=float, default=0.0, help="seconds before search sees")
    parser.add_argument("--error-rate", type=float, default=0.0, help="share answered 5xx")
    parser.add_argument("--ambiguous-rate", type=float, default=0.0, help="writes applied then 500")
    parser.add_argument("--drop-rate", type=float, default=0.0, help="connections dropped")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per answer")
    parser.set_defaults(handler=_run)


def _options(args: argparse.Namespace) -> SandboxOptions:
    return SandboxOptions(
        seed=args.seed,
        token=args.token,
        catalogue_size=args.catalogue_size,
        rate=args.rate,
        burst=args.burst,
        index_lag=args.index_lag,
        latency=args.latency,
        error_rate=args.error_rate,
        ambiguous_rate=args.ambiguous_rate,
        drop_rate=args.drop_rate,
        state_file=args.state_file,
    )


def _run(args: argparse.Namespace) -> int:
    try:
        sandbox = start_sandbox(_options(args), host=args.host, port=args.port)
    except (ValueError, OSError) as exc:
        print(f"syncd sandbox: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(sandbox.url, flush=True)
        print(sandbox.token, flush=True)
        while not stop.wait(0.5):  # a timed wait so signals are handled promptly
            pass
    finally:
        sandbox.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if args.state_file:
        print(f"state saved to {args.state_file}", file=sys.stderr)
    return 0
