"""Process metrics: counters and gauges with labels, rendered in the Prometheus text format.

One ``Metrics`` object per process lives on the ``App``; jobs and the daemon record into it and
the health server renders it. The gateway keeps its own counters (``GatewayMetrics``) which the
renderer reads at scrape time. Writing the text format ourselves keeps a dependency out for
about forty lines.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping

Labels = tuple[tuple[str, str], ...]


def _labels(labels: Mapping[str, str] | None) -> Labels:
    return tuple(sorted((labels or {}).items()))


class Metrics:
    """Thread-safe named counters and gauges."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, dict[Labels, float]] = {}
        self._gauges: dict[str, dict[Labels, float]] = {}
        self._help: dict[str, str] = {}

    def describe(self, name: str, text: str) -> None:
        self._help[name] = text

    def inc(self, name: str, amount: float = 1.0, labels: Mapping[str, str] | None = None) -> None:
        with self._lock:
            series = self._counters.setdefault(name, {})
            key = _labels(labels)
            series[key] = series.get(key, 0.0) + amount

    def set(self, name: str, value: float, labels: Mapping[str, str] | None = None) -> None:
        with self._lock:
            self._gauges.setdefault(name, {})[_labels(labels)] = float(value)

    def value(self, name: str, labels: Mapping[str, str] | None = None) -> float:
        with self._lock:
            for table in (self._counters, self._gauges):
                if name in table:
                    return table[name].get(_labels(labels), 0.0)
        return 0.0

    def render(self, extra: Iterable[tuple[str, str, Mapping[str, str], float]] = ()) -> str:
        """Prometheus text exposition; ``extra`` adds (name, type, labels, value) samples."""
        lines: list[str] = []
        with self._lock:
            samples = [
                (name, "counter", dict(k), v)
                for name, series in self._counters.items()
                for k, v in series.items()
            ] + [
                (name, "gauge", dict(k), v)
                for name, series in self._gauges.items()
                for k, v in series.items()
            ]
        samples.extend((n, t, dict(lb), v) for n, t, lb, v in extra)
        seen: set[str] = set()
        for name, kind, labels, value in sorted(
            samples, key=lambda s: (s[0], sorted(s[2].items()))
        ):
            if name not in seen:
                seen.add(name)
                if name in self._help:
                    lines.append(f"# HELP {name} {self._help[name]}")
                lines.append(f"# TYPE {name} {kind}")
            label_text = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
            number = _number(float(value))
            lines.append(f"{name}{{{label_text}}} {number}" if label_text else f"{name} {number}")
        return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    # Every digit: ":g" would round a Unix timestamp to the nearest 10 000 seconds.
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
