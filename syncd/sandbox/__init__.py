"""The sandbox: a fake Managem server for end-to-end tests, benchmarks and the demo.

It follows ``/work/shared/managem-api.md`` (§1–7 where documented, §8 where assumed), rough
edges included: bulk answers keyed by URN, soft deletes, index lag, 429s, 5xx, ambiguous writes
and dropped connections. Assumption worth knowing (Prisma-style ``@updatedAt``): every change to
a listing — PUT, DELETE, a purchase taking quantity off, a website edit — moves ``updatedAt``.
Stdlib only: it must not import httpx2, SQLAlchemy, pydantic or any other part of syncd, so the
server never shares code (or bugs) with the client. Routes and controls: ``README.md`` here.

    with start_sandbox(SandboxOptions(seed=7, rate=20)) as sandbox:
        ...  # point the client at sandbox.url with sandbox.token
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from syncd.sandbox.app import SandboxApp
from syncd.sandbox.errors import ApiError
from syncd.sandbox.options import SandboxOptions
from syncd.sandbox.server import SandboxHTTPServer

__all__ = ["ApiError", "Sandbox", "SandboxOptions", "start_sandbox"]


class Sandbox:
    """A running sandbox server. Direct controls are thread-safe and raise ``ApiError``."""

    def __init__(self, app: SandboxApp, server: SandboxHTTPServer, options: SandboxOptions) -> None:
        self._app = app
        self._server = server
        self._options = options
        host, port = server.server_address[:2]
        self.url = f"http://{host if isinstance(host, str) else host.decode()}:{port}"
        self.token = options.token
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox-server"
        )
        self._stopped = False
        self._thread.start()

    def __repr__(self) -> str:
        return f"Sandbox(url={self.url!r})"

    def stop(self) -> None:
        """Stop serving, end every connection thread, save the state file if one was given."""
        if self._stopped:
            return
        self._stopped = True
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._server.join_connections()
        self._thread.join()
        if self._options.state_file:
            self._app.controls.save()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- faults and limits --------------------------------------------------------------------

    def set_faults(self, **kwargs: Any) -> None:
        """Change rate, burst, index_lag, latency, error_rate, error_codes, ambiguous_rate,
        drop_rate at run time."""
        self._app.controls.set_faults(**kwargs)

    def script_faults(self, rules: list[dict[str, Any]]) -> None:
        """Replace the queue of one-shot rules, e.g. ``{"method": "POST", "path":
        "/seller/listings/bulk", "fault": "ambiguous", "times": 1}`` (see README)."""
        self._app.controls.script_faults(rules)

    # -- buyer, seller and clock ----------------------------------------------------------------

    def purchase(
        self, listing_id: str, quantity: int = 1, *, buyer: str = "buyer1"
    ) -> dict[str, Any]:
        return self._app.controls.purchase_many([(listing_id, quantity)], buyer=buyer)

    def purchase_many(
        self, items: list[tuple[str, int]], *, buyer: str = "buyer1"
    ) -> dict[str, Any]:
        return self._app.controls.purchase_many(items, buyer=buyer)

    def cancel_item(self, order_item_id: str, status: str = "CANCELLED") -> dict[str, Any]:
        return self._app.controls.cancel_item(order_item_id, status)

    def set_item_status(self, order_item_id: str, status: str) -> dict[str, Any]:
        return self._app.controls.set_item_status(order_item_id, status)

    def open_case(
        self, order_id: str, order_item_ids: list[str], reason: str = "DAMAGED"
    ) -> dict[str, Any]:
        return self._app.controls.open_case(order_id, order_item_ids, reason)

    def propose_outcome(self, case_id: str, kind: str, amount: int = 0) -> dict[str, Any]:
        """The buyer proposes an outcome (RETURN, REFUND or REPLACEMENT); returns the case."""
        return self._app.controls.propose_outcome(case_id, kind, amount)

    def set_case_status(self, case_id: str, status: str) -> dict[str, Any]:
        return self._app.controls.set_case_status(case_id, status)

    def seller_edit(self, listing_id: str, **fields: Any) -> dict[str, Any]:
        return self._app.controls.seller_edit(listing_id, fields)

    def seed_listing(self, **fields: Any) -> dict[str, Any]:
        return self._app.controls.seed_listing(fields)

    def advance_clock(self, seconds: float) -> None:
        self._app.controls.advance_clock(seconds)

    # -- introspection --------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return self._app.controls.state()

    def stats(self) -> dict[str, dict[str, int]]:
        return self._app.stats.snapshot()

    def reset_stats(self) -> None:
        self._app.stats.reset()

    @property
    def internal_errors(self) -> int:
        """Requests that hit a bug in the sandbox itself (answered 500); tests assert zero."""
        return self._app.stats.internal_errors

    def listings(self) -> list[dict[str, Any]]:
        return self._app.controls.listings()

    def catalogue_urns(self, n: int | None = None) -> list[str]:
        return self._app.market.catalogue.urns(n)

    def save(self, path: str | None = None) -> str:
        return self._app.controls.save(path)


def start_sandbox(
    options: SandboxOptions | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> Sandbox:
    """Start a sandbox on ``host:port`` (port 0 picks a free one) and return it, serving."""
    chosen = options or SandboxOptions()
    app = SandboxApp(chosen)
    server = SandboxHTTPServer((host, port), app)
    return Sandbox(app, server, chosen)
