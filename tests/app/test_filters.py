"""The global filters: restored from the URL, held across pages, and the defaults relative to the data's last date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from streamlit.testing.v1 import AppTest

from tests.app.conftest import read_rows


def latest_day() -> date:
    """The last day the sample data covers: its latest piece of feedback (monthly metrics end with the same month)."""
    return max(date.fromisoformat(row["date"]) for row in read_rows("feedback"))


def test_defaults_are_the_last_twelve_months_of_the_data_and_the_latest_complete_quarter(
    app: Callable[..., AppTest],
) -> None:
    at = app()
    assert not at.exception
    assert at.multiselect(key="lines").value == []
    assert at.date_input(key="range").value == (date(2025, 11, 1), date(2026, 10, 31))
    assert latest_day() == date(2026, 10, 31)
    assert at.caption[0].value == (
        "Q3 FY26 vs Q2 FY26 · all 5 product lines · 1 Nov 2025 – 31 Oct 2026 · data to 31 Oct 2026"
    )


def test_query_parameters_restore_every_filter_and_pages_keep_them(app: Callable[..., AppTest]) -> None:
    at = app(
        query={
            "lines": ["Beacon", "Atlas"],
            "range": ["2026-01-01", "2026-08-31"],
            "granularity": "Month",
            "vs": "same period last year",
        }
    )
    assert not at.exception
    expected = "Aug 2026 vs Aug 2025 · Atlas, Beacon · 1 Jan 2026 – 31 Aug 2026 · data to 31 Oct 2026"
    assert at.caption[0].value == expected
    assert at.multiselect(key="lines").value == ["Beacon", "Atlas"]
    for page in ("business", "customers", "process", "data"):
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, page
        assert at.caption[0].value == expected, page


def test_unknown_values_in_the_url_fall_back_to_the_defaults(app: Callable[..., AppTest]) -> None:
    at = app(query={"lines": ["Nowhere"], "granularity": "Fortnight"})
    assert not at.exception
    assert at.caption[0].value.startswith("Q3 FY26 vs Q2 FY26 · all 5 product lines")
