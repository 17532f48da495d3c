"""Benchmark: how close does the gateway get to the server's allowed rate, and at how many 429s?

Against the sandbox limited to R requests/s (bucket size R), several threads issue reads
(``get_listing``, the bulk lane) through one Gateway, in three modes:

* told            settings rate=R, burst=R, rate-limit headers ignored
* told+headers    settings rate=R, burst=R, learning from X-RateLimit-* on
* learn           settings rate=50, burst=50: the gateway must learn R from the headers

achieved/allowed is the steady-state ratio: (calls - R) / seconds / R, i.e. the calls beyond the
server's initial full bucket over what the server allows in that time (1.0 = every token used).
Target: ≥ 0.9 with 429s ≤ 1 % of calls in every mode.

    .venv/bin/python bench/gateway_rate.py                  # R=20: 1000 calls, R=5: 300 calls
    .venv/bin/python bench/gateway_rate.py --rates 20 --calls 400 --latency 0.2
"""

from __future__ import annotations

import argparse
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from syncd.clock import SystemClock
from syncd.gateway import Gateway, ListingDraft
from syncd.sandbox import Sandbox, SandboxOptions, start_sandbox
from syncd.settings import ManagemSettings, RateLimitSettings

MODES: dict[str, dict[str, Any]] = {
    "told": {"learn_from_headers": False},
    "told+headers": {"learn_from_headers": True},
    "learn": {"learn_from_headers": True, "rate": 50.0, "burst": 50},
}


@dataclass
class Row:
    rate: float
    mode: str
    calls: int
    seconds: float
    rate_limited: int
    learnt_rate: float
    learnt_burst: float

    @property
    def achieved(self) -> float:
        return self.calls / self.seconds

    @property
    def ratio(self) -> float:
        return (self.calls - self.rate) / self.seconds / self.rate


def seed_listings(sandbox: Sandbox, count: int) -> list[str]:
    settings = ManagemSettings(base_url=sandbox.url, token=sandbox.token)
    with Gateway(settings, RateLimitSettings(rate=1000, burst=1000), clock=SystemClock()) as gw:
        drafts = [
            ListingDraft(urn=urn, condition="NM", language="English", price=100, quantity=1)
            for urn in sandbox.catalogue_urns(count)
        ]
        gw.bulk_create(drafts)
        return [listing.id for listing in gw.iter_listings()]


def run_mode(
    sandbox: Sandbox, ids: list[str], rate: float, mode: str, calls: int, threads: int
) -> Row:
    sandbox.set_faults(rate=rate, burst=int(rate))  # buckets start full again
    limits = {"rate": rate, "burst": int(rate), "priority_share": 0.25, **MODES[mode]}
    settings = ManagemSettings(base_url=sandbox.url, token=sandbox.token, call_deadline=120.0)
    gateway = Gateway(
        settings, RateLimitSettings(**limits), clock=SystemClock(), rng=random.Random(1)
    )
    targets = [ids[i % len(ids)] for i in range(calls)]
    with gateway, ThreadPoolExecutor(threads) as pool:
        start = time.monotonic()
        list(pool.map(gateway.get_listing, targets))
        seconds = time.monotonic() - start
        state = gateway.limiter_state()
    return Row(
        rate=rate,
        mode=mode,
        calls=calls,
        seconds=seconds,
        rate_limited=gateway.metrics.rate_limited,
        learnt_rate=state.rate,
        learnt_burst=state.capacity,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rates", type=float, nargs="+", default=[20.0, 5.0])
    parser.add_argument("--calls", type=int, default=None, help="default 1000 (300 for R<10)")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.05, help="sandbox seconds per answer")
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=list(MODES))
    args = parser.parse_args()

    rows: list[Row] = []
    with start_sandbox(SandboxOptions(seed=5, catalogue_size=500)) as sandbox:
        ids = seed_listings(sandbox, 50)
        sandbox.set_faults(latency=args.latency)
        for rate in args.rates:
            calls = args.calls or (1000 if rate >= 10 else 300)
            for mode in args.modes:
                row = run_mode(sandbox, ids, rate, mode, calls, args.threads)
                rows.append(row)
                print(f"  done: R={rate:g} {mode} in {row.seconds:.1f}s", flush=True)

    print()
    print(f"threads={args.threads} latency={args.latency}s; target: ratio >= 0.90, 429s <= 1%")
    header = (
        f"{'R/s':>5} {'mode':<13} {'calls':>6} {'secs':>7} {'achieved/s':>10} "
        f"{'ach/allowed':>11} {'429s':>5} {'429 %':>6} {'learnt rate':>11} {'burst':>6} {'ok':>3}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        share = 100.0 * r.rate_limited / r.calls
        ok = "yes" if r.ratio >= 0.9 and share <= 1.0 else "NO"
        print(
            f"{r.rate:>5g} {r.mode:<13} {r.calls:>6} {r.seconds:>7.1f} {r.achieved:>10.2f} "
            f"{r.ratio:>11.3f} {r.rate_limited:>5} {share:>6.2f} {r.learnt_rate:>11.2f} "
            f"{r.learnt_burst:>6g} {ok:>3}"
        )


if __name__ == "__main__":
    main()
