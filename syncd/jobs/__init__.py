"""The cycle's jobs: gather → decide (core) → act (gateway) → record (storage).

``job_table`` maps each job name to its function; ``DEFAULT_ORDER`` is the order a cycle runs
them in (orders before listings, so a card sold a minute ago is off local stock before the
listings are compared).
"""

from __future__ import annotations

from syncd.jobs.runner import JobContext, JobFn, JobOutcome, run_job

DEFAULT_ORDER = ("orders", "cases", "listings", "prices")


def job_table() -> dict[str, JobFn]:
    from syncd.jobs import cases, listings, orders, prices

    return {
        "orders": orders.run,
        "cases": cases.run,
        "listings": listings.run,
        "prices": prices.run,
    }


__all__ = ["DEFAULT_ORDER", "JobContext", "JobFn", "JobOutcome", "job_table", "run_job"]
