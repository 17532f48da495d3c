"""A small progress bar on stderr for long runs (thousands of listing writes).

Drawn only when asked (the CLI asks when stderr is a TTY), redrawn at most ten times a second,
and erased when closed so the summary line that follows stands alone. No dependency, no
logging, no effect on what a run does; a disabled bar does nothing at all.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

_WIDTH = 30
_REDRAW_EVERY = 0.1


class Progress:
    """``label [#####.....] done/total`` on one line of ``stream``."""

    def __init__(
        self, label: str, total: int, *, enabled: bool, stream: TextIO | None = None
    ) -> None:
        self.label = label
        self.total = max(total, 0)
        self.done = 0
        self.enabled = enabled and self.total > 0
        self._stream = stream if stream is not None else sys.stderr
        self._drawn_at = 0.0
        self._drawn = False

    def advance(self, n: int = 1) -> None:
        self.done = min(self.total, self.done + n)
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._drawn_at >= _REDRAW_EVERY or self.done == self.total:
            self._drawn_at = now
            self._draw()

    def line(self) -> str:
        filled = _WIDTH * self.done // self.total if self.total else _WIDTH
        bar = "#" * filled + "." * (_WIDTH - filled)
        return f"{self.label} [{bar}] {self.done}/{self.total}"

    def _draw(self) -> None:
        self._stream.write("\r" + self.line())
        self._stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self._stream.write("\r" + " " * len(self.line()) + "\r")
            self._stream.flush()
            self._drawn = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
