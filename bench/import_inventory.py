"""Benchmark: import N inventory rows from CSV into SQLite (and Postgres if it answers).

Usage: .venv/bin/python bench/import_inventory.py [N]   (default 100000)

Prints the time for a first import (all rows new), a re-import with no changes, and a re-import
where 5 % of quantities changed, through the same code path as `syncd inventory import`.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = (
    "sku,urn,condition,language,price,quantity,hidden,comment,notes,"
    "grading_provider,grading_score,grading_number"
)
CONDITIONS = ["M", "NM", "EX", "GD", "LP", "PL", "PO"]
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/"


def write_csv(path: Path, n: int, rng: random.Random, change: float = 0.0) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(HEADER + "\n")
        for i in range(n):
            qty = (i % 7) + (1 if change and rng.random() < change else 0)
            fh.write(
                f"sku-{i:06d},urn:managem:pokemon:set/s{i % 40}/card/{i % 250 + 1},"
                f"{CONDITIONS[i % 7]},English,{100 + i % 5000},{qty},false,,,,,\n"
            )


def run(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def bench(url: str, n: int, tmp: Path) -> None:
    env = {**os.environ, "SYNCD_DATABASE__URL": url}
    syncd = str(Path(sys.executable).with_name("syncd"))
    rng = random.Random(1)
    first, changed = tmp / "first.csv", tmp / "changed.csv"
    write_csv(first, n, rng)
    write_csv(changed, n, rng, change=0.05)
    run([syncd, "migrate"], env)
    t1 = run([syncd, "inventory", "import", str(first)], env)
    t2 = run([syncd, "inventory", "import", str(first)], env)
    t3 = run([syncd, "inventory", "import", str(changed)], env)
    t4 = run([syncd, "inventory", "export", str(tmp / "out.csv")], env)
    name = "sqlite" if url.startswith("sqlite") else "postgres"
    print(
        f"{name:10} {n:>8} rows  first import {t1:6.2f}s ({n / t1:8.0f} rows/s)  "
        f"no-op re-import {t2:6.2f}s  5% changed {t3:6.2f}s  export {t4:6.2f}s"
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        bench(f"sqlite:///{tmp / 'bench.db'}", n, tmp)
        try:
            import psycopg

            name = f"syncd_bench_{os.getpid()}"
            with psycopg.connect(
                "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True
            ) as c:
                c.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
            try:
                bench(PG + name, n, tmp)
            finally:
                with psycopg.connect(
                    "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True
                ) as c:
                    c.execute(f'DROP DATABASE "{name}" WITH (FORCE)')  # type: ignore[arg-type]
        except Exception as exc:  # the figure for SQLite stands on its own
            print(f"postgres   skipped: {exc}")


if __name__ == "__main__":
    main()
