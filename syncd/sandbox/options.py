"""``SandboxOptions``: how a sandbox starts (seed, token, catalogue, limits, faults, state file).

Every field except ``seed``, ``token``, ``catalogue_size`` and ``state_file`` can also be changed
while it runs (``Sandbox.set_faults``). Plain data; no behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SandboxOptions:
    seed: int = 1
    # Accepted as "Bearer <t>" and "ApiKey <t>"; a fake server's public test token.
    token: str = "sandbox-token"  # noqa: S105
    catalogue_size: int = 12_000  # cards, deterministic from seed
    rate: float | None = None  # requests/s per credential; None = no limit
    burst: int | None = None  # bucket size; default = max(1, int(rate))
    index_lag: float = 0.0  # seconds before a new listing shows in search
    latency: float = 0.0  # seconds added to each answer
    error_rate: float = 0.0  # share of requests answered with an error
    error_codes: tuple[int, ...] = (500, 502, 503, 504)
    ambiguous_rate: float = 0.0  # share of writes applied then answered 500
    drop_rate: float = 0.0  # share of requests whose connection is closed without an answer
    state_file: str | None = None  # load at start if present, save on stop

    def __repr__(self) -> str:
        # The token stays out of reprs (and so out of logs and test failure output).
        fields = ", ".join(
            f"{name}={value!r}" for name, value in vars(self).items() if name != "token"
        )
        return f"SandboxOptions({fields}, token=<hidden>)"
