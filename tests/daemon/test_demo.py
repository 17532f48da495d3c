"""``syncd demo`` tells the story it promises, and the bundled sample inventory fits the sandbox."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from syncd.cli.main import main
from syncd.core.inventory import parse_inventory
from syncd.sandbox import SandboxOptions, start_sandbox


def test_sample_inventory_is_valid_and_every_card_is_in_the_default_catalogue() -> None:
    text = resources.files("syncd").joinpath("data", "sample_inventory.csv").read_text()
    parsed = parse_inventory(text)
    assert not parsed.errors
    assert 35 <= len(parsed.rows) <= 45
    assert sum(1 for r in parsed.rows if r.grading_provider) >= 2
    assert len({r.condition for r in parsed.rows}) >= 5
    with start_sandbox(SandboxOptions()) as sandbox:
        catalogue = sandbox._app.market.catalogue
        assert all(catalogue.exists(r.urn) for r in parsed.rows)


@pytest.mark.slow
def test_demo_runs_from_nothing_and_says_what_happened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SYNCD_CONFIG", raising=False)
    for name in ("SYNCD_DATABASE__URL", "SYNCD_MANAGEM__BASE_URL", "SYNCD_MANAGEM__TOKEN"):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "demo.db").write_text("left over from an older demo")  # each run starts afresh
    assert main(["demo", "--dir", str(folder)]) == 0
    out = capsys.readouterr().out
    for line in (
        "First sync: syncd listed 42 of your cards",
        "aqulopup-tf1-nm: 4 -> 2 (2 sold); Managem shows 2",
        "elezechu-ps34-cgc95: 1 -> 0 (sold out; its listing is ended); Managem shows 0",
        "kratle-ss12-lp: 6 -> 6 (sold and cancelled",
        "brinudor-eg23-nm: 4 -> 3 (the website edit was taken into local stock",
        "flabat-df45-nm: the website price was put back to your £4.95",
        "1 open case recorded",
        "Local stock went from 102 to 98 copies; 41 listings are live",
    ):
        assert line in out, line
    assert (folder / "price-chart.png").stat().st_size > 10_000
