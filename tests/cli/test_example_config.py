"""The documented example config loads, and documents every setting the code knows."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from syncd.settings import Settings, load_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "syncd.example.toml"


def test_example_loads_and_equals_defaults() -> None:
    loaded = load_settings(EXAMPLE)
    assert loaded == Settings()


def test_every_setting_is_documented() -> None:
    text = EXAMPLE.read_text()
    data = tomllib.loads(text)
    for group, model in Settings.model_fields.items():
        assert group in data, f"[{group}] missing from the example"
        sub = model.annotation
        assert sub is not None
        for key in sub.model_fields:  # type: ignore[union-attr]
            documented = key in data[group] or re.search(rf"^# {key} = ", text, re.M)
            assert documented, f"{group}.{key} missing from the example"
