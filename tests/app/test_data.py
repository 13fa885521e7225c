"""AppTest of the Data page: source cards agree with their CSVs, rejected files show problems, templates parse."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from sources.contracts import CONTRACTS
from sources.parser import parse_records
from tests.app.conftest import MONTHS, SAMPLE, downloaded, read_rows

App = Callable[..., AppTest]


def _day(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _card_facts(at: AppTest, dataset: str) -> str:
    """The facts block of a dataset's card: the markdown naming its file as origin."""
    found = [md.value for md in at.markdown if "**Rows**" in md.value and f"/{dataset}.csv`" in md.value]
    assert len(found) == 1, dataset
    return found[0]


def test_every_card_matches_its_csv(app: App) -> None:
    at = app(page="data")
    assert not at.exception
    assert not at.error
    for name in CONTRACTS:
        facts = _card_facts(at, name)
        rows = read_rows(name)
        assert f"**Rows** {len(rows):,}" in facts, name
        column = next((column for column in ("date", "period_start") if column in rows[0]), None)
        if column is None:
            assert "**Dates** none: a list, not a history" in facts
            assert "Latest date" not in facts
        else:
            days = [date.fromisoformat(row[column]) for row in rows if row[column]]
            assert f"**Latest date** {_day(max(days))}" in facts, name
            assert f"**Date range** {_day(min(days))} – {_day(max(days))}" in facts, name
        assert f"**Origin** `{SAMPLE / f'{name}.csv'}`" in facts
        assert "UTC" in facts
    assert not at.dataframe  # nothing is rejected, so there is no problems table
    # The first dataset's contract is shown, a row per column (the others one at a time: see the template test).
    assert [len(table.value) for table in at.table] == [len(next(iter(CONTRACTS.values())).columns)]
    assert any("each committed upload makes the next version" in info.value for info in at.info)


def test_a_rejected_file_shows_its_problems_and_a_missing_optional_one_says_so(
    app: App, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, downloads: dict[str, bytes]
) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(SAMPLE, data_dir)
    records = list(csv.reader((data_dir / "targets.csv").open(newline="", encoding="utf-8")))
    target = records[0].index("target")
    records[3][target] = "lots"  # the 4th line of the file (the header is line 1)
    with (data_dir / "targets.csv").open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(records)
    (data_dir / "events.csv").unlink()
    monkeypatch.setenv("PILLARS_DATA_DIR", str(data_dir))
    st.cache_resource.clear()

    at = app(page="data")
    assert not at.exception
    problems = at.dataframe[0].value
    assert list(problems.columns) == ["row", "column", "value", "problem"]
    assert (4, "target", "lots") in [(row.row, row.column, row.value) for row in problems.itertuples()]
    assert "**Rows** none used: the file is rejected" in _card_facts(at, "targets")
    assert any("Optional dataset, not provided" in md.value for md in at.markdown)
    problems_csv = downloaded(at, "problems_targets", downloads).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(problems_csv)))[1][:3] == ["4", "target", "lots"]
    # The other sources still read.
    assert f"**Rows** {len(read_rows('metrics', data_dir)):,}" in _card_facts(at, "metrics")
    # the rejected targets read as none: the Overview still shows its cards (it failed when their empty frame was not
    # compact like the others)
    at.switch_page("app_pages/overview.py").run()
    assert not at.exception
    assert at.metric


def test_every_template_downloads_and_parses(app: App, downloads: dict[str, bytes]) -> None:
    at = app(page="data")
    chooser = at.selectbox(key="contract_shown")
    assert [str(option) for option in chooser.options] == [
        contract.file_name + (" (optional)" if contract.optional_dataset else "") for contract in CONTRACTS.values()
    ]
    for name, contract in CONTRACTS.items():
        downloads.clear()
        at.selectbox(key="contract_shown").set_value(contract).run()
        assert at.table[0].value.shape[0] == len(contract.columns), name
        button = at.download_button(key="contract_template")
        assert button.label == "Download CSV template"
        records = list(csv.reader(io.StringIO(downloaded(at, "contract_template", downloads).decode("utf-8"))))
        assert records[0] == [column.name for column in contract.columns]
        parsed = parse_records(contract.file_name, records, contract)
        assert parsed.ok, name
