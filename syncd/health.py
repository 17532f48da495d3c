"""Is the daemon healthy? The staleness rule, and the loopback HTTP server that answers it.

``/healthz`` (liveness): the scheduler heartbeat is fresh, the lock is ours, and no job is stale
— each job's last success is within ``stale_factor`` × its interval, or the daemon started less
than that ago. ``/readyz``: the database answers, its schema is current and the lock is held.
``/metrics``: Prometheus text. The server is stdlib ``http.server`` in a thread, bound to
loopback by default; it only calls the functions it is given and never writes anything.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import structlog

_log = structlog.get_logger("syncd.health")


@dataclass(frozen=True)
class Verdict:
    """An answer to "healthy?": a yes/no, one line saying why, and details for the JSON body."""

    ok: bool
    reason: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def body(self) -> bytes:
        status = "ok" if self.ok else "failing"
        data = {"status": status, "reason": self.reason, **self.details}
        return json.dumps(data, default=str, sort_keys=True).encode() + b"\n"


def stale_jobs(
    last_success: Mapping[str, datetime | None],
    intervals: Mapping[str, float],
    *,
    started_at: datetime,
    now: datetime,
    factor: float,
) -> dict[str, str]:
    """Jobs with no success within ``factor`` × interval, each with why (empty: none stale).

    A job gets ``factor`` intervals from the daemon's start before it can be stale, so a fresh
    start (or a restart after a long outage) is not reported unhealthy straight away.
    """
    stale: dict[str, str] = {}
    for job, interval in intervals.items():
        allowed = factor * interval
        if (now - started_at).total_seconds() < allowed:
            continue
        last = last_success.get(job)
        if last is None:
            stale[job] = f"no success since the daemon started {_ago(now, started_at)}"
        elif (now - last).total_seconds() > allowed:
            stale[job] = f"last success {_ago(now, last)} (allowed {allowed:g}s)"
    return stale


def _ago(now: datetime, then: datetime) -> str:
    return f"{(now - then).total_seconds():.0f}s ago"


Route = Callable[[], tuple[int, str, bytes]]


def verdict_route(check: Callable[[], Verdict]) -> Route:
    """A route answering 200 or 503 with the verdict's JSON."""

    def answer() -> tuple[int, str, bytes]:
        verdict = check()
        return (200 if verdict.ok else 503), "application/json", verdict.body()

    return answer


def text_route(render: Callable[[], str]) -> Route:
    def answer() -> tuple[int, str, bytes]:
        return 200, "text/plain; version=0.0.4; charset=utf-8", render().encode()

    return answer


class HealthServer:
    """A small threaded HTTP server for a fixed set of GET routes."""

    def __init__(self, routes: Mapping[str, Route], *, host: str, port: int) -> None:
        self._routes = dict(routes)
        self._server = ThreadingHTTPServer((host, port), _handler_for(self._routes))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="syncd-health",
            daemon=True,
        )

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return (host if isinstance(host, str) else host.decode()), int(port)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}"

    def start(self) -> HealthServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __repr__(self) -> str:
        return f"HealthServer({self.url!r})"


def _handler_for(routes: Mapping[str, Route]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "syncd-health"

        def do_GET(self) -> None:
            route = routes.get(self.path.split("?", 1)[0])
            if route is None:
                self._reply(404, "text/plain", b"not found\n")
                return
            try:
                status, content_type, body = route()
            except Exception as exc:  # a failing probe is an unhealthy answer, not a dead server
                _log.warning("health_route_failed", path=self.path, error=repr(exc))
                status, content_type, body = 503, "text/plain", f"error: {exc}\n".encode()
            self._reply(status, content_type, body)

        def _reply(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # scrapes every few seconds would drown the job log lines

    return Handler
