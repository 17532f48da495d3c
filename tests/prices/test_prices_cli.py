"""``syncd prices show|chart|movers`` on a known series, on SQLite and Postgres."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from price_env import add_inventory, make_app
from sqlalchemy import insert

from syncd.bootstrap import App
from syncd.cli import prices_cmd
from syncd.cli.main import main
from syncd.clock import FakeClock
from syncd.storage.tables import CatalogueItem, OwnPrice, PricePoint, PriceSnapshot

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
PIKA = "urn:managem:pokemon:card/base1/58-pikachu"
MEW = "urn:managem:pokemon:card/base1/8-mew"


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def seed(app: App) -> None:
    add_inventory(app, [("PIKA-NM", PIKA, 140, 2), ("PIKA-LP", PIKA, 95, 1), ("MEW", MEW, 500, 1)])
    own = [
        ("PIKA-NM", PIKA, 150, at(20, 9)),
        ("PIKA-NM", PIKA, 140, at(29, 15)),
        ("PIKA-LP", PIKA, 95, at(29, 16)),
        ("MEW", MEW, 500, at(1, 9)),
    ]
    snaps = [
        (PIKA, at(28, 8), 130, 91, 196),
        (PIKA, at(28, 9), 135, 94, 203),  # newest of the 28th: the one shown
        (PIKA, at(30, 6), 135, 94, 203),
        (MEW, at(24, 6), 400, 300, 600),
        (MEW, at(30, 6), 300, 200, 450),
    ]
    with app.db.transaction() as s:
        s.execute(
            insert(OwnPrice),
            [
                {"sku": k, "urn": u, "price": p, "reason": "import", "recorded_at": t}
                for k, u, p, t in own
            ],
        )
        s.execute(
            insert(PricePoint),
            [
                {"urn": PIKA, "day": "2026-11-20", "low": 1, "median": 2, "high": 3, "sold": 1},
                {"urn": PIKA, "day": "2026-11-25", "low": 100, "median": 120, "high": 150},
                {"urn": PIKA, "day": "2026-11-26", "sold": 0},
            ],
        )
        s.execute(
            insert(PriceSnapshot),
            [
                {"urn": u, "taken_at": t, "market_price": m, "low": lo, "high": hi}
                for u, t, m, lo, hi in snaps
            ],
        )
        s.execute(
            insert(CatalogueItem),
            [{"urn": PIKA, "name": "Pikachu", "set_name": "Base", "number": "58", "seen_at": NOW}],
        )


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The known series in ``db_url``; the commands see the fake clock's today."""
    app = make_app(db_url, clock=FakeClock(NOW))
    seed(app)
    app.close()

    @contextmanager
    def app_from(_args: Any, *, require_schema: bool = True) -> Iterator[App]:
        fake = make_app(db_url, clock=FakeClock(NOW))
        try:
            yield fake
        finally:
            fake.close()

    monkeypatch.setattr(prices_cmd, "app_from", app_from)
    return db_url


SHOW_PIKA_NM = """\
Pikachu — Base #58  (urn:managem:pokemon:card/base1/58-pikachu)  sku PIKA-NM
date        low    market  high   own    source
----------  -----  ------  -----  -----  -----------
2026-11-25  £1.00  £1.20   £1.50  £1.50  sold median
2026-11-28  £0.94  £1.35   £2.03  £1.50  snapshot
2026-11-29  -      -       -      £1.40
2026-11-30  £0.94  £1.35   £2.03  £1.40  snapshot
market £1.20 → £1.35 (+12.5%) since 2026-11-28
own £1.50 → £1.40 (-6.7%) since 2026-11-29
"""


def test_show_prints_the_series_and_latest_changes(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prices", "show", "PIKA-NM", "--days", "7"]) == 0
    assert capsys.readouterr().out == SHOW_PIKA_NM


def test_show_by_urn_uses_the_cards_lowest_own_price(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prices", "show", PIKA, "--days", "7"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"Pikachu — Base #58  ({PIKA})"
    # 15:00 NM to 1.40, 16:00 the LP copy at 0.95: the latest change is the second
    assert out[-1] == "own £1.40 → £0.95 (-32.1%) since 2026-11-29"


def test_unknown_card_is_a_clear_error(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prices", "show", "NOPE-1"]) == 2
    assert "no sku or card 'NOPE-1'" in capsys.readouterr().err
    assert main(["prices", "chart", "urn:x", "-o", "x.png"]) == 2


def test_movers_ranks_both_directions_with_own_price(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prices", "movers", "--days", "7", "--json"]) == 0
    movers = json.loads(capsys.readouterr().out)
    assert [(m["urn"], round(m["pct"], 1), m["own_price"]) for m in movers] == [
        (MEW, -25.0, 500),  # 4.00 → 3.00
        (PIKA, 12.5, 95),  # 1.20 → 1.35
    ]
    assert main(["prices", "movers", "--days", "7", "--limit", "1"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["change", "card", "market", "since", "yours", "vs", "market"]
    assert table[2].split()[0] == "-25.0%" and "£4.00 → £3.00" in table[2]
    assert table[2].rstrip().endswith("+67%")  # £5.00 against a £3.00 market
    assert len(table) == 3


def test_chart_writes_png_and_svg(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    png = tmp_path / "pika.png"
    assert main(["prices", "chart", "PIKA-NM", "--days", "14", "-o", str(png)]) == 0
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000
    svg = tmp_path / "pika.svg"
    assert main(["prices", "chart", PIKA, "-o", str(svg)]) == 0
    assert "<svg" in svg.read_text()[:2000]
    assert main(["prices", "chart", PIKA, "-o", str(tmp_path / "pika.jpg")]) == 2
    assert "must end in .png or .svg" in capsys.readouterr().err


def test_chart_without_matplotlib_names_the_extra(
    cli_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    assert main(["prices", "chart", PIKA, "-o", str(tmp_path / "x.png")]) == 2
    assert "pip install 'syncd[charts]'" in capsys.readouterr().err


def test_movers_with_a_market_fallen_to_zero_prints_no_share(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(cli_db, clock=FakeClock(NOW))
    with app.db.transaction() as s:  # Managem's market price may be 0 (managem-api.md §8.5)
        s.execute(insert(PriceSnapshot), [{"urn": MEW, "taken_at": at(30, 7), "market_price": 0}])
    app.close()
    assert main(["prices", "movers", "--days", "7"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[2].split()[0] == "-100.0%" and "£4.00 → £0.00" in table[2]
    assert table[2].rstrip().endswith("£5.00")  # no share of a zero market


def test_chart_into_a_missing_folder_is_exit_2(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "nodir" / "pika.png"
    assert main(["prices", "chart", PIKA, "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"syncd: error: {target}: cannot write") and err.count("\n") == 1
