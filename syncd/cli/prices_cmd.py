"""Commands of a later piece of work (not built yet): they say so and exit non-zero."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    """Nothing registered yet."""
