"""How many requests per second the sandbox serves on this machine (loopback only).

The sandbox runs in its own process (as ``syncd sandbox`` would), so its GIL is not shared with
the clients. Phase 1: bulk creates (200 listings a call) from the client workers. Phase 2: reads,
each worker a keep-alive ``httpx2`` client doing GETs of one listing by id, then seller searches
(size 50, random page), then the two alternating. Each phase is bounded by ``--seconds`` and
``--max-requests`` (per worker).

    .venv/bin/python bench/sandbox_rps.py [--clients 4] [--seconds 3] [--listings 4000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2

SERVER = """
import sys
from syncd.sandbox import SandboxOptions, start_sandbox
sandbox = start_sandbox(SandboxOptions(seed=3), port=0)
print(sandbox.url, flush=True)
sys.stdin.read()  # serve until the parent closes our stdin
sandbox.stop()
"""
TOKEN = "sandbox-token"


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time the server process has used (Linux /proc), to split the cost
    between server and clients on a machine where both share the same cores."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _client(url: str) -> httpx2.Client:
    return httpx2.Client(
        base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30.0, verify=False
    )


def bulk_worker(job: tuple[str, list[str], float, int]) -> tuple[int, int, float]:
    """Create listings 200 at a time; (calls, listings created, seconds)."""
    url, urns, seconds, max_calls = job
    calls = created = 0
    started = time.perf_counter()
    with _client(url) as client:
        for start in range(0, len(urns), 200):
            if calls >= max_calls or time.perf_counter() - started > seconds:
                break
            chunk = urns[start : start + 200]
            body = {
                "listings": [
                    {"urn": u, "condition": "NM", "price": 150, "language": "English"}
                    for u in chunk
                ]
            }
            response = client.post("/seller/listings/bulk", json=body)
            response.raise_for_status()
            created += len(response.json()["successful"])
            calls += 1
    return calls, created, time.perf_counter() - started


def read_worker(job: tuple[str, str, list[str], float, int, int]) -> tuple[int, float]:
    """Repeat one kind of read ("get", "search" or "mixed"); (requests, seconds)."""
    url, mode, ids, seconds, max_requests, seed = job
    rng = random.Random(seed)
    done = 0
    started = time.perf_counter()
    with _client(url) as client:
        while done < max_requests and time.perf_counter() - started < seconds:
            if mode == "search" or (mode == "mixed" and done % 2 == 0):
                offset = rng.randrange(0, max(1, len(ids) - 50))
                body: dict[str, Any] = {"from": offset, "size": 50}
                client.post("/seller/listings/search", json=body).raise_for_status()
            else:
                client.get(f"/seller/listings/{rng.choice(ids)}").raise_for_status()
            done += 1
    return done, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4, help="client worker processes")
    parser.add_argument("--seconds", type=float, default=3.0, help="time bound per phase")
    parser.add_argument("--listings", type=int, default=4000, help="listings to bulk-create")
    parser.add_argument("--max-requests", type=int, default=20_000, help="per worker, reads")
    args = parser.parse_args()

    server = subprocess.Popen(
        [sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        if not url.startswith("http://127.0.0.1:"):
            raise SystemExit(f"sandbox did not start: {url!r}")
        load = os.getloadavg()[0]
        print(
            f"sandbox {url}  machine: {os.cpu_count()} CPUs, load {load:.1f}, "
            f"{args.clients} client processes"
        )

        with _client(url) as probe:
            urns = probe.get("/_sandbox/catalogue", params={"n": args.listings}).json()
        share = [urns[i :: args.clients] for i in range(args.clients)]
        with multiprocessing.Pool(args.clients) as pool:
            jobs = [(url, part, args.seconds * 4, 10_000) for part in share]
            started, cpu = time.perf_counter(), _cpu_seconds(server.pid)
            results = pool.map(bulk_worker, jobs)
            wall = time.perf_counter() - started
            server_ms = (_cpu_seconds(server.pid) - cpu) * 1000
        calls = sum(r[0] for r in results)
        created = sum(r[1] for r in results)
        print(
            f"bulk creates: {calls} calls, {created} listings in {wall:.2f} s = "
            f"{calls / wall:.1f} calls/s, {created / wall:.0f} listings/s, "
            f"server CPU {server_ms / max(1, calls):.1f} ms/call"
        )

        with _client(url) as probe:
            ids = [x["id"] for x in probe.get("/_sandbox/listings").json()]
        for mode in ("get", "search", "mixed"):
            with _client(url) as probe:
                probe.post("/_sandbox/stats/reset")
            with multiprocessing.Pool(args.clients) as pool:
                read_jobs = [
                    (url, mode, ids, args.seconds, args.max_requests, seed)
                    for seed in range(args.clients)
                ]
                started, cpu = time.perf_counter(), _cpu_seconds(server.pid)
                done = sum(r[0] for r in pool.map(read_worker, read_jobs))
                wall = time.perf_counter() - started
                server_ms = (_cpu_seconds(server.pid) - cpu) * 1000 / max(1, done)
            with _client(url) as probe:
                totals = probe.get("/_sandbox/stats").json()["totals"]
            what = {
                "get": "GET /seller/listings/{id}",
                "search": "seller searches (size 50, full listings)",
                "mixed": "half searches, half GETs",
            }[mode]
            print(
                f"reads, {what}: {done} in {wall:.2f} s = {done / wall:.0f} req/s, "
                f"server CPU {server_ms:.2f} ms/request  {totals}"
            )
    finally:
        if server.stdin is not None:
            server.stdin.close()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
