"""Shared fixtures: databases on SQLite and Postgres, a fake clock, the CLI runner.

Postgres: every test that asks for ``db_url`` runs on both backends. Each Postgres test gets a
fresh database copied from a migrated template. Locally, Postgres tests skip (and say so) when no
server answers; under CI (``CI=true``) a missing server fails the run loudly.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# CI gates a landing, so there the property tests replay the same examples every run (a new
# counterexample is looked for locally, where each run draws afresh); the failing example is
# printed so it can be replayed.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

PG_ADMIN = os.environ.get(
    "SYNCD_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
_PG_STATE: dict[str, object] = {}


def _pg_dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def pg_available() -> bool:
    if "ok" not in _PG_STATE:
        import psycopg

        try:
            with psycopg.connect(_pg_dsn(PG_ADMIN), connect_timeout=3):
                _PG_STATE["ok"] = True
        except psycopg.OperationalError as exc:
            _PG_STATE["ok"] = False
            _PG_STATE["why"] = str(exc).strip().splitlines()[0]
    return bool(_PG_STATE["ok"])


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(_pg_dsn(PG_ADMIN), autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _pg_url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def _require_pg() -> None:
    if not pg_available():
        message = f"PostgreSQL at {PG_ADMIN} does not answer: {_PG_STATE.get('why')}"
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Postgres: {message}")
        pytest.skip(message)


@pytest.fixture(autouse=True)
def _fresh_logging() -> Iterator[None]:
    """Each test starts from structlog's defaults (a CLI test configures a level filter)."""
    import structlog

    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated template database, made once per test session."""
    _require_pg()
    from syncd.storage.engine import make_engine
    from syncd.storage.schema import upgrade

    name = f"syncd_tmpl_{uuid.uuid4().hex[:10]}"
    _admin(f'CREATE DATABASE "{name}"')
    engine = make_engine(_pg_url(name))
    upgrade(engine)
    engine.dispose()
    yield name
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_empty_url() -> Iterator[str]:
    """A brand-new empty Postgres database."""
    _require_pg()
    name = f"syncd_t_{uuid.uuid4().hex[:10]}"
    _admin(f'CREATE DATABASE "{name}"')
    yield _pg_url(name)
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """An empty database (no schema) on each backend."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return str(request.getfixturevalue("pg_empty_url"))


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated database on each backend (fresh per test)."""
    if backend == "sqlite":
        from syncd.storage.engine import make_engine
        from syncd.storage.schema import upgrade

        url = f"sqlite:///{tmp_path / 'syncd.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    template = request.getfixturevalue("pg_template")
    name = f"syncd_t_{uuid.uuid4().hex[:10]}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield _pg_url(name)
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def env_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """``db_url`` exported as SYNCD_DATABASE__URL for CLI tests, with no config file around."""
    monkeypatch.setenv("SYNCD_DATABASE__URL", db_url)
    monkeypatch.delenv("SYNCD_CONFIG", raising=False)
    return db_url


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say plainly whether the Postgres half ran."""
    stats = terminalreporter.stats
    ran = sum(1 for r in stats.get("passed", []) if "postgres" in r.keywords)
    failed = sum(1 for r in stats.get("failed", []) if "postgres" in r.keywords)
    skipped = sum(1 for r in stats.get("skipped", []) if "postgres" in r.keywords)
    terminalreporter.write_line(
        f"postgres tests: {ran} passed, {failed} failed, {skipped} skipped"
        + (f" ({_PG_STATE.get('why')})" if skipped and _PG_STATE.get("why") else "")
    )
