"""The import-linter contracts name every top-level module, so a new one cannot slip past."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _modules() -> set[str]:
    pkg = ROOT / "syncd"
    names = {p.stem for p in pkg.glob("*.py") if p.stem != "__init__"}
    names |= {p.name for p in pkg.iterdir() if (p / "__init__.py").is_file()}
    return {f"syncd.{n}" for n in names}


def _contracts() -> dict[str, dict[str, list[str]]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {c["name"]: c for c in data["tool"]["importlinter"]["contracts"]}


def test_core_contract_forbids_every_other_module() -> None:
    core = next(c for n, c in _contracts().items() if n.startswith("core is pure"))
    expected = _modules() - {"syncd.core", "syncd.errors"}
    assert expected <= set(core["forbidden_modules"])


def test_client_and_sql_contracts_cover_every_other_module() -> None:
    contracts = _contracts()
    http = next(c for n, c in contracts.items() if n.startswith("only the gateway"))
    sql = next(c for n, c in contracts.items() if n.startswith("only storage"))
    sandbox = next(c for n, c in contracts.items() if n.startswith("the sandbox stands alone"))
    assert _modules() - {"syncd.gateway"} <= set(http["source_modules"])
    assert _modules() - {"syncd.storage"} <= set(sql["source_modules"])
    assert _modules() - {"syncd.sandbox"} <= set(sandbox["forbidden_modules"])
