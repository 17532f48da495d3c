"""structlog set-up: console lines on a TTY, JSON lines otherwise, secrets redacted.

``configure`` is called once by the CLI. ``redact`` is a processor that replaces any registered
secret (the API token) wherever it appears in an event, so even an exception text that quotes a
header cannot leak it. Nothing here decides *what* to log.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

_SECRETS: set[str] = set()
REDACTED = "[redacted]"


def register_secret(value: str | None) -> None:
    """Remember a value that must never be printed (ignored when short or empty)."""
    if value and len(value) >= 4:
        _SECRETS.add(value)


def scrub(text: str) -> str:
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _scrub_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrub_value(v) for v in value)
    return value


def redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: drop credential-looking keys, scrub registered secrets."""
    for key in list(event):
        if key.lower() in {"token", "authorization", "api_key", "password"}:
            event[key] = REDACTED
        else:
            event[key] = _scrub_value(event[key])
    return event


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


class _Stderr:
    """Whatever ``sys.stderr`` is at write time (tests swap it; a bound stream may be closed)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return sys.stderr.isatty()


def configure(level: str = "INFO", fmt: str = "auto", stream: TextIO | None = None) -> None:
    """Configure structlog (and stdlib logging for libraries) for this process."""
    out: Any = stream or _Stderr()
    use_console = fmt == "console" or (fmt == "auto" and out.isatty())
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info if not use_console else _noop,
        redact,
    ]
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=out.isatty())
        if use_console
        else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[*processors, _final_scrub(renderer)],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level)),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=logging.WARNING, stream=out, force=True)
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    logging.getLogger("httpcore2").setLevel(logging.WARNING)


def _noop(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    return event


def _final_scrub(renderer: Any) -> Any:
    """Wrap the renderer so the final text is scrubbed too (tracebacks are rendered late)."""

    def render(logger: Any, name: str, event: MutableMapping[str, Any]) -> Any:
        text = renderer(logger, name, event)
        return scrub(text) if isinstance(text, str) else text

    return render
