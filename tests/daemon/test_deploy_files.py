"""The deployment files hold to their rules: the Dockerfile lint accepts ours and names each
problem in a bad one; the systemd unit is Type=notify with a watchdog and room to stop.
(systemd-analyze verify and the exposure score run in .ci/run.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LINT = REPO / ".ci" / "lint_dockerfile.py"


def _lint(path: Path) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, str(LINT), str(path)], capture_output=True, text=True, check=False
    )
    return done.returncode, done.stdout


def test_our_dockerfile_passes_the_lint() -> None:
    assert _lint(REPO / "Dockerfile") == (0, f"{REPO / 'Dockerfile'}: ok\n")


def test_the_lint_names_every_broken_rule(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text(
        "FROM python:latest AS build\n"
        "RUN pip install requests \\\n    && apt-get install -y curl\n"
        "FROM build\n"
        "USER root\n"
        "ADD x /x\n"
        "ENTRYPOINT syncd\n"
    )
    code, out = _lint(bad)
    assert code == 1
    for problem in (
        "line 1: base image 'python:latest' is not pinned",
        "line 2: pip install outside the lock file",
        "line 2: apt-get install without --no-install-recommends",
        "line 6: use COPY, not ADD",
        "line 7: ENTRYPOINT must be exec form",
        "the final stage must switch to a non-root USER",
        "no HEALTHCHECK",
    ):
        assert problem in out, problem


def test_service_unit_is_notify_with_watchdog_and_stop_room() -> None:
    unit = (REPO / "systemd" / "syncd.service").read_text()
    lines = {
        line.split("=", 1)[0]: line.split("=", 1)[1]
        for line in unit.splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert lines["Type"] == "notify"
    assert lines["NotifyAccess"] == "main"
    assert int(lines["WatchdogSec"]) > 0
    assert lines["Restart"] == "on-failure"
    assert lines["LoadCredential"].startswith("managem_token:")
    # Longer than the default settings.schedule.stop_timeout (60 s), so a batch can finish.
    assert int(lines["TimeoutStopSec"]) > 60
    assert lines["ExecStart"].endswith("syncd run")
