"""Fault injection: seeded random faults and a script of one-shot rules for exact scenarios.

Kinds: ``error`` (answered with a 5xx, nothing applied), ``ambiguous`` (write applied, then
answered 500), ``drop_before`` (connection closed, nothing applied), ``drop_after`` (write
applied, then the connection closed), ``429`` (throttled, nothing applied). A random drop on a
write tosses a second coin to decide whether the write was applied first: the client can never
tell which. Scripted rules are matched in order (method, path prefix) and used up after
``times`` matches. Decisions only; the server carries them out. Thread-safe.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any

KINDS = ("error", "ambiguous", "drop_before", "drop_after", "429")
_RULE_KEYS = {"method", "path", "fault", "status", "times", "retry_after"}


@dataclass(frozen=True)
class Fault:
    kind: str  # one of KINDS
    status: int = 500
    retry_after: int = 1

    @property
    def applies_write(self) -> bool:
        return self.kind in ("ambiguous", "drop_after")

    @property
    def drops(self) -> bool:
        return self.kind in ("drop_before", "drop_after")


@dataclass
class Rule:
    method: str | None
    path: str | None
    fault: Fault
    times: int

    def matches(self, method: str, path: str) -> bool:
        method_ok = self.method in (None, "*") or self.method == method
        return method_ok and (self.path is None or path.startswith(self.path))

    def describe(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "fault": self.fault.kind,
            "status": self.fault.status,
            "retry_after": self.fault.retry_after,
            "times": self.times,
        }


def parse_rule(raw: dict[str, Any]) -> Rule:
    """Check one scripted rule; raises ValueError with a readable reason."""
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise ValueError(f"unknown rule keys: {', '.join(sorted(unknown))}")
    kind = str(raw.get("fault", ""))
    if kind not in KINDS:
        raise ValueError(f"fault must be one of {', '.join(KINDS)}")
    default_status = {"error": 503, "429": 429}.get(kind, 500)
    status, times, retry_after = (
        raw.get("status", default_status),
        raw.get("times", 1),
        raw.get("retry_after", 1),
    )
    for name, value in (("status", status), ("times", times), ("retry_after", retry_after)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer")
    method = raw.get("method")
    path = raw.get("path")
    if method is not None and not isinstance(method, str):
        raise ValueError("method must be a string")
    if path is not None and not isinstance(path, str):
        raise ValueError("path must be a string")
    return Rule(method.upper() if method else None, path, Fault(kind, status, retry_after), times)


@dataclass
class FaultSettings:
    """The random-fault knobs; ``latency`` (seconds added to each answer) rides along."""

    latency: float = 0.0
    error_rate: float = 0.0
    error_codes: tuple[int, ...] = (500, 502, 503, 504)
    ambiguous_rate: float = 0.0
    drop_rate: float = 0.0


class FaultInjector:
    """Decides, per request, whether and how it fails. Deterministic from the seed."""

    def __init__(self, seed: int, settings: FaultSettings) -> None:
        self._rng = random.Random(f"faults|{seed}")
        self._guard = threading.Lock()
        self.settings = settings
        self._script: list[Rule] = []

    def set_script(self, rules: list[dict[str, Any]]) -> None:
        parsed = [parse_rule(rule) for rule in rules]
        with self._guard:
            self._script = [rule for rule in parsed if rule.times > 0]

    def script(self) -> list[dict[str, Any]]:
        with self._guard:
            return [rule.describe() for rule in self._script]

    def scripted(self, method: str, path: str) -> Fault | None:
        """The first matching scripted rule's fault (using one of its ``times``), if any."""
        with self._guard:
            for index, rule in enumerate(self._script):
                if rule.matches(method, path):
                    rule.times -= 1
                    if rule.times <= 0:
                        del self._script[index]
                    return rule.fault
        return None

    def random(self, writes: bool) -> Fault | None:
        with self._guard:
            rates, rng = self.settings, self._rng
            if rates.drop_rate > 0 and rng.random() < rates.drop_rate:
                applied = writes and rng.random() < 0.5
                return Fault("drop_after" if applied else "drop_before")
            if rates.error_rate > 0 and rng.random() < rates.error_rate:
                return Fault("error", rng.choice(rates.error_codes) if rates.error_codes else 500)
            if writes and rates.ambiguous_rate > 0 and rng.random() < rates.ambiguous_rate:
                return Fault("ambiguous", 500)
        return None
