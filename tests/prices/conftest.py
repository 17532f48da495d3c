"""Fixtures for the price tests: a sandbox and a fake clock that agrees with it on the day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from syncd.clock import FakeClock
from syncd.sandbox import Sandbox, SandboxOptions, start_sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with start_sandbox(SandboxOptions(seed=11)) as sb:
        yield sb


@pytest.fixture
def clock() -> FakeClock:
    # The sandbox's "today" is the real one, so the app's day must agree with it.
    return FakeClock(datetime.now(UTC).replace(microsecond=0))
