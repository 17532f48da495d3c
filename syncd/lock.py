"""Single-instance lock (placeholder until the daemon work lands: it takes no lock yet)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from syncd.bootstrap import App


@contextmanager
def instance_lock(app: App) -> Iterator[None]:
    yield
