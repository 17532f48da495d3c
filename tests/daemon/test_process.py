"""``syncd run`` as a real process against the sandbox, on SQLite and Postgres: it cycles, serves
/healthz and /metrics, refuses a second instance and a run-once, passes ``syncd healthcheck``,
and stops on SIGTERM with every run recorded."""

from __future__ import annotations

import signal
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import Spawn
from daemon_support import NotifyListener
from sqlalchemy import select

from syncd.bootstrap import build_app
from syncd.cli.main import main
from syncd.sandbox import Sandbox
from syncd.settings import load_settings
from syncd.storage.tables import JobRun

pytestmark = pytest.mark.slow

HEADER = (
    "sku,urn,condition,language,price,quantity,hidden,comment,notes,"
    "grading_provider,grading_score,grading_number"
)
STOP_TIMEOUT = 10.0


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 (http only)
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _runs(db_url: str) -> list[tuple[str, str]]:
    app = build_app(load_settings(database={"url": db_url}))
    try:
        with app.db.transaction() as session:
            return [(r.job, r.status) for r in session.scalars(select(JobRun).order_by(JobRun.id))]
    finally:
        app.close()


def _import(db_url: str, sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    urns = sandbox.catalogue_urns(3)
    rows = [f"S{n},{urn},NM,English,{100 + n},{n + 1},false,,,,," for n, urn in enumerate(urns)]
    csv = tmp_path / "inventory.csv"
    csv.write_text("\n".join([HEADER, *rows]) + "\n")
    monkeypatch.setenv("SYNCD_DATABASE__URL", db_url)
    assert main(["inventory", "import", str(csv)]) == 0


def test_daemon_process_end_to_end(
    db_url: str,
    sandbox: Sandbox,
    spawn: Spawn,
    notify_path: NotifyListener,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _import(db_url, sandbox, tmp_path, monkeypatch)
    env = {
        "SYNCD_DATABASE__URL": db_url,
        "SYNCD_MANAGEM__BASE_URL": sandbox.url,
        "SYNCD_MANAGEM__TOKEN": sandbox.token,
        "SYNCD_SCHEDULE__CYCLE_INTERVAL": "0.5",
        "SYNCD_SCHEDULE__STOP_TIMEOUT": str(STOP_TIMEOUT),
        "SYNCD_HEALTH__ENABLED": "true",
        "SYNCD_HEALTH__PORT": "0",
        "SYNCD_HEALTH__STALE_FACTOR": "40",  # staleness itself is tested in-process
    }
    daemon = spawn(
        ["run"], {**env, "NOTIFY_SOCKET": notify_path.address, "WATCHDOG_USEC": "400000"}
    )
    notify_path.wait_for("READY")
    url = daemon.wait_for_event("daemon_started")["health_url"]

    # While it runs, neither a second daemon nor a run-once may touch the database.
    second = spawn(["run"], env)
    once = spawn(["run-once", "--job", "orders"], env)
    for refused in (second, once):
        assert refused.popen.wait(timeout=30) == 3
        assert f"another syncd (pid {daemon.pid}" in refused.stderr()

    # Several cycles, real jobs against the sandbox: the three cards get listed.
    deadline = time.monotonic() + 60
    while sum(1 for job, _ in _runs(db_url) if job == "listings") < 3:
        assert time.monotonic() < deadline, daemon.stderr()
        time.sleep(0.1)
    assert sorted(item["reference"] for item in sandbox.listings()) == ["S0", "S1", "S2"]

    status, body = _get(url + "/healthz")
    assert status == 200, body
    assert _get(url + "/readyz")[0] == 200
    status, metrics = _get(url + "/metrics")
    assert status == 200
    for name in (
        'syncd_job_last_success_timestamp_seconds{job="listings"}',
        'syncd_job_duration_seconds_count{job="orders"}',
        'syncd_listings{state="live"} 3',
        'syncd_intents{state="pending"} 0',
        "syncd_rejected_items 0",
        "syncd_open_cases 0",
        "syncd_api_calls_total{",
        "syncd_api_rate_limited_total",
        "syncd_api_throttled_seconds_total",
        "syncd_instance_lock_held 1",
    ):
        assert name in metrics, name

    # The container health check, both ways: through /healthz, and from the database alone.
    port = url.rsplit(":", 1)[1]
    monkeypatch.setenv("SYNCD_HEALTH__ENABLED", "true")
    monkeypatch.setenv("SYNCD_HEALTH__PORT", port)
    monkeypatch.setenv("SYNCD_HEALTH__STALE_FACTOR", "40")
    monkeypatch.setenv("SYNCD_SCHEDULE__CYCLE_INTERVAL", "0.5")
    assert main(["healthcheck"]) == 0
    monkeypatch.setenv("SYNCD_HEALTH__ENABLED", "false")
    assert main(["healthcheck"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-2] == "healthy: alive, no job stale"
    assert out[-1].startswith("healthy: cycle ran") and f"pid {daemon.pid}" in out[-1]

    # SIGTERM: STOPPING=1, exit 0 within the bound, no run left "running".
    daemon.popen.send_signal(signal.SIGTERM)
    assert daemon.popen.wait(timeout=STOP_TIMEOUT + 20) == 0, daemon.stderr()
    notify_path.wait_for("STOPPING")
    keys = [next(iter(m)) for m in notify_path.messages()]
    assert "WATCHDOG" in keys and "STATUS" in keys
    runs = _runs(db_url)
    assert {status for _, status in runs} <= {"ok", "failed", "refused"}
    assert {job for job, _ in runs} >= {"orders", "cases", "listings"}

    # Stopped: the database check now fails, saying why.
    assert main(["healthcheck"]) == 1
    assert capsys.readouterr().out.startswith("unhealthy: no syncd holds the lock")
