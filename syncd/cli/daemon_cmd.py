"""``syncd run`` (the daemon) and ``syncd healthcheck`` (exit 0/1 for container health checks).

``healthcheck`` asks the daemon's ``/healthz`` when the health server is enabled; otherwise it
checks the database: the newest cycle run is not stale and a live process holds the
single-instance lock. It prints one line saying why either way. No logic of its own beyond
mapping answers to an exit code.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any

from syncd.bootstrap import build_app
from syncd.cli.common import settings_from
from syncd.cycle import CYCLE
from syncd.daemon import Daemon
from syncd.jobs import job_table
from syncd.lock import lock_holder
from syncd.log import configure
from syncd.notify import Notifier
from syncd.settings import Settings
from syncd.storage.gauges import newest_run_at


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="the daemon: sync on a schedule until SIGTERM/SIGINT")
    p.set_defaults(handler=_run)
    h = sub.add_parser("healthcheck", help="exit 0 when the daemon is alive and not stale")
    h.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for an answer")
    h.set_defaults(handler=_healthcheck)


def _run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    configure(settings.log.level, settings.log.format)
    app = build_app(settings)
    try:
        app.gateway()  # no token: say so now (exit 2) rather than fail every cycle
    except BaseException:
        app.close()
        raise
    daemon = Daemon(app, jobs=job_table(), notifier=Notifier.from_env())
    try:
        code = daemon.run()
    finally:
        if not daemon.stuck:
            app.close()
    if daemon.stuck:
        # A job ignored the stop Event past stop_timeout; waiting for its thread at interpreter
        # exit would overrun the service manager's stop timeout, so leave now.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _healthcheck(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    configure("ERROR", settings.log.format)
    if settings.health.enabled:
        ok, why = _ask_server(settings, args.timeout)
    else:
        ok, why = _ask_database(settings)
    print(("healthy: " if ok else "unhealthy: ") + why)
    return 0 if ok else 1


def _ask_server(settings: Settings, timeout: float) -> tuple[bool, str]:
    host = settings.health.host
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"  # listening on every address includes loopback
    if ":" in host:
        host = f"[{host}]"
    url = f"http://{host}:{settings.health.port}/healthz"
    try:
        # The URL is built from settings and is always http:// (no file:// or other schemes).
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return True, _reason(answer.read(), default="ok")
    except urllib.error.HTTPError as exc:
        return False, _reason(exc.read(), default=f"HTTP {exc.code}")
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, f"no answer from {url} ({reason})"


def _reason(body: bytes, *, default: str) -> str:
    try:
        return str(json.loads(body).get("reason", default))
    except (ValueError, AttributeError):
        return default


def _ask_database(settings: Settings) -> tuple[bool, str]:
    app = build_app(settings)
    try:
        limit = settings.health.stale_factor * settings.schedule.cycle_interval
        try:
            with app.db.transaction() as session:
                newest = newest_run_at(session, CYCLE)
        except Exception as exc:
            return False, f"database check failed: {type(exc).__name__}: {exc}"
        holder = lock_holder(app)
        if holder is None:
            return False, f"no syncd holds the lock of {app.db.display_url}"
        if newest is None:
            return False, f"no cycle has run yet (lock held by {holder.describe()})"
        age = (app.clock.now() - newest).total_seconds()
        if age > limit:
            return False, f"newest cycle run started {age:.0f}s ago (allowed {limit:g}s)"
        return True, f"cycle ran {age:.0f}s ago; lock held by {holder.describe()}"
    finally:
        app.close()
