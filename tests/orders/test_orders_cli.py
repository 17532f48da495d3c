"""``syncd orders list``: out-of-range input is a clear error (exit 2), never a traceback."""

from __future__ import annotations

import pytest

from syncd.cli.main import main


@pytest.mark.parametrize(
    "argv",
    [
        ["--limit", "99999999999999999999"],
        ["--limit", "-1"],
        ["--since", "0001-01-01T00:00:00+01:00"],
        ["--since", "9999-12-31T23:59:59-01:00"],
    ],
)
def test_out_of_range_input_is_refused_with_a_message(
    env_db: str, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["orders", "list", *argv]) == 2
    assert argv[0] in capsys.readouterr().err


def test_the_largest_sensible_limit_still_lists(
    env_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["orders", "list", "--limit", "1000000"]) == 0
    assert "no orders recorded" in capsys.readouterr().out
