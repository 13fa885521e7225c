"""The bundled sample data passes every contract and cross-dataset check, read the way the app reads it."""

from __future__ import annotations

import csv
from pathlib import Path

from sources.contracts import CONTRACTS
from sources.files import load_bundle

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


def test_every_sample_dataset_matches_its_contract() -> None:
    bundle = load_bundle(SAMPLE)
    for name, contract in CONTRACTS.items():
        info = bundle.sources[name]
        assert info.status == "ok", (name, info.problems.head(5).to_dicts())
        assert info.notes == (), (name, info.notes)  # written exactly to the contract: nothing read leniently
        with (SAMPLE / contract.file_name).open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == [column.name for column in contract.columns]
        assert info.rows == len(rows) - 1


def test_sample_data_is_small_enough_to_commit() -> None:
    total = sum(path.stat().st_size for path in SAMPLE.glob("*.csv"))
    assert total < 4_000_000
