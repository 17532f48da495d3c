"""The runtime lock (the Docker image, systemd installs) pins the same versions as the full lock."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([a-z0-9_.-]+)==(\S+)", re.M)


def _pins(name: str) -> dict[str, str]:
    return dict(PIN.findall((ROOT / name).read_text()))


def test_runtime_lock_is_a_subset_of_the_full_lock() -> None:
    full, runtime = _pins("requirements.lock"), _pins("requirements.runtime.lock")
    assert {"sqlalchemy", "alembic", "apscheduler", "httpx2", "structlog"} <= set(runtime)
    assert {k: (v, full.get(k)) for k, v in runtime.items() if full.get(k) != v} == {}
    assert "pytest" not in runtime and "mypy" not in runtime
