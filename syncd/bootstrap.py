"""The one place real objects are built: database, gateway, clock.

Commands and the daemon call ``build_app`` and pass the ``App`` (or its parts) down. Tests build
an ``App`` with a fake clock or a mock transport through the same function.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from syncd.clock import Clock, SystemClock
from syncd.errors import ConfigError
from syncd.log import register_secret
from syncd.metrics import Metrics
from syncd.settings import Settings
from syncd.storage import Database

if TYPE_CHECKING:
    from syncd.gateway import Gateway


@dataclass
class App:
    """Everything a job needs, built once per process."""

    settings: Settings
    db: Database
    clock: Clock
    transport: Any = None  # an httpx2 transport for tests; None = the real network
    metrics: Metrics = field(default_factory=Metrics)
    _gateway: Gateway | None = field(default=None, repr=False)

    def gateway(self) -> Gateway:
        """The process's one Gateway, built on first use (commands that only touch the
        database never need a token)."""
        if self._gateway is None:
            from syncd.gateway import Gateway

            if self.settings.managem.token is None:
                raise ConfigError(
                    "setting managem.token (env SYNCD_MANAGEM__TOKEN): required to talk to Managem"
                )
            self._gateway = Gateway(
                self.settings.managem,
                self.settings.ratelimit,
                clock=self.clock,
                transport=self.transport,
            )
        return self._gateway

    @property
    def has_gateway(self) -> bool:
        return self._gateway is not None

    def close(self) -> None:
        if self._gateway is not None:
            self._gateway.close()
            self._gateway = None
        self.db.dispose()


def build_app(settings: Settings, *, clock: Clock | None = None, transport: Any = None) -> App:
    token = settings.managem.token
    register_secret(token.get_secret_value() if token is not None else None)
    db = Database(settings.database.url, busy_timeout_ms=settings.database.busy_timeout_ms)
    return App(settings=settings, db=db, clock=clock or SystemClock(), transport=transport)
