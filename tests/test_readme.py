"""The README documents the contracts exactly as the code defines them."""

from __future__ import annotations

from pathlib import Path

from scripts.contracts_md import with_contracts

ROOT = Path(__file__).resolve().parent.parent


def test_readme_contracts_are_current() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == with_contracts(readme), "run `python scripts/contracts_md.py` to refresh README.md"
