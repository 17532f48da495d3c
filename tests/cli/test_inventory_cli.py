"""``syncd migrate``, ``inventory import|export``, ``status`` and settings errors, end to end."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from syncd.cli import store_cmd
from syncd.cli.main import main
from syncd.core.inventory import HEADER
from syncd.storage import Database
from syncd.storage.tables import InventoryItem, StockLedger

H = ",".join(HEADER)
ROWS = [
    "a1,urn:managem:pokemon:set/base/card/1,NM,English,150,2,false,,,,,",
    'a2,urn:managem:pokemon:set/base/card/2,EX,Japanese,2500,1,true,"Slight, wear",box 3,'
    "PSA,9,12345",
    "a3,urn:managem:pokemon:set/base/card/3,M,English,99,0,false,,,,,",
]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join([H, *lines]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def cli_db(env_db: str) -> str:
    return env_db


def test_export_import_export_is_byte_identical(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inventory", "import", str(_write(tmp_path / "in.csv", ROWS))]) == 0
    assert main(["inventory", "export", str(tmp_path / "one.csv")]) == 0
    assert main(["inventory", "import", str(tmp_path / "one.csv")]) == 0
    out = capsys.readouterr().out
    assert "0 new, 0 changed, 3 unchanged, 0 stock changes" in out
    assert main(["inventory", "export", str(tmp_path / "two.csv")]) == 0
    one = (tmp_path / "one.csv").read_bytes()
    assert one == (tmp_path / "two.csv").read_bytes()
    assert one.decode().splitlines()[2].startswith("a2,urn:managem:pokemon:set/base/card/2,EX")


def test_bad_rows_change_nothing(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inventory", "import", str(_write(tmp_path / "in.csv", ROWS))]) == 0
    assert main(["inventory", "export", str(tmp_path / "before.csv")]) == 0
    bad = _write(
        tmp_path / "bad.csv",
        [
            "a1,urn:managem:pokemon:set/base/card/1,NM,English,150,7,false,,,,,",
            "a4,urn:managem:pokemon:set/base/card/4,XX,English,150,1,false,,,,,",
            "a5,urn:managem:pokemon:set/base/card/5,NM,English,1.5,1,false,,,,,",
        ],
    )
    capsys.readouterr()
    assert main(["inventory", "import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:3: condition 'XX'" in err
    assert f"{bad}:4: price '1.5'" in err
    assert "nothing was imported" in err
    assert main(["inventory", "export", str(tmp_path / "after.csv")]) == 0
    assert (tmp_path / "before.csv").read_bytes() == (tmp_path / "after.csv").read_bytes()


def test_replace_and_status_json(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inventory", "import", str(_write(tmp_path / "in.csv", ROWS))]) == 0
    assert (
        main(["inventory", "import", "--replace", str(_write(tmp_path / "r.csv", ROWS[2:]))]) == 0
    )
    capsys.readouterr()
    assert main(["inventory", "export", "-"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split(",")[5] for ln in lines[1:]] == ["0", "0", "0"]
    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["schema"]["up_to_date"] is True
    assert status["tables"]["inventory_items"] == 3
    # import +2, +1, then --replace −2, −1: four ledger rows
    assert status["tables"]["stock_ledger"] == 4


def test_missing_file_and_unmigrated_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SYNCD_DATABASE__URL", f"sqlite:///{tmp_path}/fresh.db")
    assert main(["inventory", "import", str(tmp_path / "nope.csv")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["inventory", "export", "-"]) == 1
    assert "run `syncd migrate`" in capsys.readouterr().err
    assert main(["migrate"]) == 0
    assert main(["migrate"]) == 0
    assert "already at" in capsys.readouterr().out


def test_bad_setting_is_one_line_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("SYNCD_RATELIMIT__RATE", "fast")
    assert main(["status"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "ratelimit.rate" in err and "SYNCD_RATELIMIT__RATE" in err
    monkeypatch.delenv("SYNCD_RATELIMIT__RATE")
    cfg = tmp_path / "c.toml"
    cfg.write_text('[database]\nurl = "mysql://x"\n[safety]\nmax_delete_share = 3\n')
    assert main(["--config", str(cfg), "status"]) == 2
    err = capsys.readouterr().err
    assert "database.url" in err and "max_delete_share" in err and str(cfg) in err


def test_environment_wins_over_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from syncd.settings import load_settings

    cfg = tmp_path / "c.toml"
    cfg.write_text('[ratelimit]\nrate = 3.0\nburst = 7\n[managem]\ntoken = "from-file"\n')
    monkeypatch.setenv("SYNCD_RATELIMIT__RATE", "9")
    settings = load_settings(cfg)
    assert settings.ratelimit.rate == 9.0
    assert settings.ratelimit.burst == 7
    assert settings.managem.token is not None
    assert "from-file" not in repr(settings)
    monkeypatch.setenv("SYNCD_CONFIG", str(cfg))
    assert load_settings().ratelimit.burst == 7


def test_unreadable_input_and_unwritable_output_are_one_line_exit_2(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inventory", "import", str(_write(tmp_path / "in.csv", ROWS))]) == 0
    capsys.readouterr()
    assert main(["inventory", "import", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"syncd: error: {tmp_path}: ") and err.count("\n") == 1
    (tmp_path / "taken").mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    for target in (tmp_path / "nodir" / "out.csv", tmp_path / "taken"):
        assert main(["inventory", "export", str(target)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"syncd: error: {target}: ") and err.count("\n") == 1
        assert "nothing was written" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no temporary file left


def test_unreadable_settings_are_one_line_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_bytes(b"\xff\xfe[database]\n")  # saved as UTF-16 by an editor
    assert main(["--config", str(cfg), "status"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"syncd: error: config file {cfg}: ") and err.count("\n") == 1
    monkeypatch.setenv("SYNCD_DATABASE", "sqlite:///x.db")  # the group, not database.url
    assert main(["status"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("syncd: error: ") and "database" in err and err.count("\n") == 1


def test_unreachable_database_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for url in (
        f"sqlite:///{tmp_path}/nodir/x.db",
        "postgresql+psycopg://me:hunter2@127.0.0.1:1/syncd",
    ):
        monkeypatch.setenv("SYNCD_DATABASE__URL", url)
        for argv in (["status"], ["migrate"], ["inventory", "export", "-"]):
            assert main(argv) == 1
            err = capsys.readouterr().err
            assert err.startswith("syncd: error: database ") and err.count("\n") == 1
            assert "cannot connect" in err and "hunter2" not in err


def test_longest_allowed_sku_imports_with_its_stock_change(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sku = "L" * 255  # the CSV contract's limit; the ledger's source_id is 255 too
    row = f"{sku},urn:managem:pokemon:set/base/card/1,NM,English,150,2,false,,,,,"
    assert main(["inventory", "import", str(_write(tmp_path / "in.csv", [row]))]) == 0
    again = row.replace(",2,false", ",5,false")
    assert main(["inventory", "import", str(_write(tmp_path / "in2.csv", [again]))]) == 0
    capsys.readouterr()
    assert main(["inventory", "export", "-"]) == 0
    line = capsys.readouterr().out.splitlines()[1]
    assert line.startswith(f"{sku},") and ",150,5,false," in line


def test_output_into_a_closed_pipe_is_no_traceback(cli_db: str, tmp_path: Path) -> None:
    # `syncd inventory export - | head -1`: head exits and the pipe closes under the writer.
    import os
    import subprocess
    import sys

    assert main(["inventory", "import", str(_write(tmp_path / "in.csv", ROWS))]) == 0
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "syncd.cli.main", "inventory", "export", "-"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr
    assert done.returncode == 1


def test_unreadable_systemd_credential_is_one_line_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "managem_token").write_bytes(b"\xfftok-secret")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    monkeypatch.delenv("SYNCD_MANAGEM__TOKEN", raising=False)
    assert main(["status"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("syncd: error: ") and "managem_token" in err and err.count("\n") == 1
    assert "tok-secret" not in err


def test_export_file_gets_the_usual_permissions(cli_db: str, tmp_path: Path) -> None:
    # Written through a private temporary file (0600) and renamed: the result must still be
    # readable by whoever a plain `open(..., "w")` would have let read it.
    import os

    old = os.umask(0o022)
    try:
        assert main(["inventory", "export", str(tmp_path / "out.csv")]) == 0
    finally:
        os.umask(old)
    assert (tmp_path / "out.csv").stat().st_mode & 0o777 == 0o644


def test_a_till_sale_during_an_import_is_neither_lost_nor_fails_it(
    cli_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import reads the rows, then writes the file's quantities. A till selling a1 in
    between must wait for the import (and then sell from the imported count), not be
    overwritten by it (Postgres) nor make it fail with "database is locked" (SQLite)."""
    assert main(["inventory", "import", str(_write(tmp_path / "in.csv", ROWS))]) == 0
    raised = [r.replace(",150,2,", ",150,5,") if r.startswith("a1,") else r for r in ROWS]
    till_done = threading.Event()

    def till() -> None:
        db = Database(cli_db)
        with db.transaction() as session:
            session.execute(
                update(InventoryItem)
                .where(InventoryItem.sku == "a1")
                .values(quantity=InventoryItem.quantity - 1)
            )
        db.dispose()
        till_done.set()

    real = store_cmd.import_changes
    thread = threading.Thread(target=till)

    def import_changes_with_a_till_sale(*args: Any, **kwargs: Any) -> Any:
        changes = real(*args, **kwargs)  # the rows are read by now
        thread.start()
        till_done.wait(1.0)  # the till must wait for the import's commit
        assert not till_done.is_set(), "the till wrote while the import held its rows"
        return changes

    monkeypatch.setattr(store_cmd, "import_changes", import_changes_with_a_till_sale)
    assert main(["inventory", "import", str(_write(tmp_path / "raised.csv", raised))]) == 0
    thread.join(10)
    assert till_done.is_set()
    db = Database(cli_db)
    with db.transaction() as session:
        assert session.scalar(select(InventoryItem.quantity).where(InventoryItem.sku == "a1")) == 4
        deltas = session.scalars(
            select(StockLedger.delta)
            .where(StockLedger.sku == "a1", StockLedger.reason == "import")
            .order_by(StockLedger.id)
        ).all()
    db.dispose()
    assert deltas == [2, 3]  # 0 → 2, then 2 → 5: the till's sale came after, on top
