"""The view: product lines, default range relative to the data, the selected and comparison periods, the summary."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from insights.periods import Comparison, Granularity, comparison_period, shift_period
from insights.scope import (
    data_end,
    product_lines,
    recent_period_views,
    resolve_view,
    rows_between,
    rows_in_scope,
    view_for,
)
from sources.contracts import CONTRACTS


def datasets() -> dict[str, pl.DataFrame]:
    frames = {name: contract.empty() for name, contract in CONTRACTS.items()}
    frames["metrics"] = pl.DataFrame(
        {
            "date": [date(2025, 1, 1), date(2026, 9, 1), date(2026, 9, 1)],
            "product_line": ["Beacon", "Atlas", "Beacon"],
            "metric": ["arr", "arr", "arr"],
            "value": [1.0, 2.0, 3.0],
            "segment": [None, None, None],
            "region": [None, None, None],
        },
        schema=CONTRACTS["metrics"].schema,
    )
    frames["teams"] = pl.DataFrame(
        {"team": ["Core"], "product_line": ["Cirrus"], "pm": [None], "active_from": [None], "active_to": [None]},
        schema=CONTRACTS["teams"].schema,
    )
    return frames


def test_product_lines_and_data_end() -> None:
    frames = datasets()
    assert product_lines(frames) == ("Atlas", "Beacon", "Cirrus")
    assert data_end(frames) == date(2026, 9, 30)  # a monthly value of 1 Sep covers the month
    assert data_end({name: contract.empty() for name, contract in CONTRACTS.items()}) is None


def test_default_view_is_the_last_twelve_months_and_the_latest_complete_quarter() -> None:
    view = resolve_view(datasets(), [], None, "quarter", "previous")
    assert (view.start, view.end) == (date(2025, 10, 1), date(2026, 9, 30))
    assert view.product_lines == ("Atlas", "Beacon", "Cirrus")
    assert view.all_selected
    assert view.lines_filter is None
    assert view.period is not None
    assert view.comparison is not None
    assert (view.period.label, view.comparison.label) == ("Q3 FY26", "Q2 FY26")
    assert view.summary() == (
        "Q3 FY26 vs Q2 FY26 · all 3 product lines · 1 Oct 2025 – 30 Sep 2026 · data to 30 Sep 2026"
    )


def test_chosen_lines_range_and_year_ago_comparison() -> None:
    view = resolve_view(datasets(), ["Beacon", "Nope"], (date(2026, 8, 31), date(2026, 1, 1)), "month", "year_ago")
    assert view.product_lines == ("Beacon",)
    assert view.lines_filter == ("Beacon",)
    assert (view.start, view.end) == (date(2026, 1, 1), date(2026, 8, 31))
    assert view.period is not None
    assert view.comparison is not None
    assert (view.period.label, view.comparison.label) == ("Aug 2026", "Aug 2025")
    assert view.summary().startswith("Aug 2026 vs Aug 2025 · Beacon · ")


def test_a_range_with_no_complete_period_says_so() -> None:
    view = resolve_view(datasets(), [], (date(2026, 9, 10), date(2026, 9, 20)), "quarter", "previous")
    assert view.period is None
    assert view.comparison is None
    assert view.summary().startswith("no complete quarter in the range · all 3 product lines")


def test_fiscal_year_start_moves_the_quarters() -> None:
    view = resolve_view(datasets(), [], None, "quarter", "previous", fiscal_year_start_month=2)
    assert view.period is not None
    assert (view.period.start, view.period.end, view.period.label) == (date(2026, 5, 1), date(2026, 7, 31), "Q2 FY27")


def test_view_for_takes_the_lines_and_data_end_as_given() -> None:
    view = view_for(("Atlas", "Beacon"), date(2025, 6, 30), ["Beacon", "Zephyr"], None, "quarter", "previous")
    assert view.product_lines == ("Beacon",)
    assert view.all_product_lines == ("Atlas", "Beacon")
    assert (view.start, view.end) == (date(2024, 7, 1), date(2025, 6, 30))
    assert view.period is not None
    assert view.period.label == "Q2 FY25"
    assert view.comparison is not None
    assert view.comparison.label == "Q1 FY25"


def test_view_for_without_data_anchors_on_today() -> None:
    view = view_for((), None, [], None, "month", "previous", today=date(2025, 3, 15))
    assert view.product_lines == ()
    assert (view.start, view.end) == (date(2024, 4, 1), date(2025, 3, 15))
    assert view.period is not None
    assert view.period.label == "Feb 2025"


def test_rows_between_cuts_sorted_dates_by_search_and_others_by_filter() -> None:
    days = [date(2026, 1, 1), date(2026, 1, 15), date(2026, 1, 31), date(2026, 2, 1), date(2026, 3, 1)]
    rows = pl.DataFrame({"date": days, "product_line": ["A", "B", "A", "A", "B"], "value": [1, 2, 3, 4, 5]})
    sorted_rows = rows.with_columns(pl.col("date").set_sorted())
    assert sorted_rows.get_column("date").flags["SORTED_ASC"]
    shuffled = rows.reverse()
    for frame in (sorted_rows, shuffled):
        # [15 Jan, 1 Feb], both ends included
        assert sorted(rows_between(frame, date(2026, 1, 15), date(2026, 2, 1)).get_column("value").to_list()) == [
            2,
            3,
            4,
        ]
        assert sorted(rows_between(frame, None, date(2026, 1, 14)).get_column("value").to_list()) == [1]
        assert sorted(rows_between(frame, date(2026, 2, 2), None).get_column("value").to_list()) == [5]
        assert rows_between(frame, date(2026, 4, 1), date(2026, 5, 1)).height == 0
        assert rows_between(frame, None, None).height == 5
        assert sorted(rows_in_scope(frame, ["A"], date(2026, 1, 2), None).get_column("value").to_list()) == [3, 4]
    # a sorted column with nulls takes the filter, which drops them
    with_null = pl.DataFrame({"date": [None, date(2026, 1, 1)], "value": [0, 1]}).with_columns(
        pl.col("date").set_sorted()
    )
    assert rows_between(with_null, date(2025, 1, 1), None).get_column("value").to_list() == [1]


def test_rows_in_scope_of_rows_already_of_the_lines_are_the_rows_themselves() -> None:
    # A cut made before (the Overview cuts its feedback once per view) is sliced by date, never copied again.
    frame = pl.DataFrame(
        {"date": [date(2025, 1, 1), date(2025, 1, 2), date(2025, 1, 3)], "product_line": ["A", "B", "A"]}
    )
    only_a = rows_in_scope(frame, ["A"], None, None)
    assert only_a.get_column("product_line").to_list() == ["A", "A"]
    assert rows_in_scope(only_a, ["A"], None, None) is only_a
    assert rows_in_scope(frame, ["A", "B"], None, None) is frame
    assert rows_in_scope(frame, ["C"], None, None).height == 0


@pytest.mark.parametrize(
    ("granularity", "comparison", "fiscal_start", "labels"),
    [
        ("quarter", "previous", 1, ["Q3 FY26", "Q2 FY26", "Q1 FY26", "Q4 FY25"]),
        ("month", "year_ago", 1, ["Oct 2026", "Sep 2026", "Aug 2026", "Jul 2026"]),
        ("quarter", "previous", 2, ["Q3 FY27", "Q2 FY27", "Q1 FY27", "Q4 FY26"]),
    ],
)
def test_the_recent_periods_are_the_latest_and_those_before_each_with_its_comparison(
    granularity: Granularity, comparison: Comparison, fiscal_start: int, labels: list[str]
) -> None:
    lines = ("Atlas", "Beacon")
    # a range of two lines, a year back: the recent periods are of every line and the data's, not the range's
    shown = view_for(
        lines,
        date(2026, 10, 31),
        ["Beacon"],
        (date(2025, 1, 1), date(2025, 10, 31)),
        granularity,
        comparison,
        fiscal_start,
    )
    views = recent_period_views(shown, 3)
    assert [view.period.label for view in views if view.period is not None] == labels
    latest = view_for(lines, date(2026, 10, 31), [], None, granularity, comparison, fiscal_start)
    assert views[0].period_key == latest.period_key  # the default view's numbers, keyed alike
    newest = views[0].period
    assert newest is not None
    for back, view in enumerate(views):
        assert view.period == shift_period(newest, -back, fiscal_start)
        assert view.period is not None
        assert view.comparison == comparison_period(view.period, comparison, fiscal_start)
        assert (view.start, view.end) == (view.period.start, view.period.end)
        assert view.lines_filter is None
        assert view.all_product_lines == lines
        assert (view.granularity, view.comparison_mode, view.fiscal_year_start_month) == (
            granularity,
            comparison,
            fiscal_start,
        )


def test_a_view_without_data_or_without_a_complete_period_has_no_recent_periods() -> None:
    assert recent_period_views(view_for((), None, [], None, "quarter", "previous", today=date(2026, 5, 1)), 8) == []
    # no complete year inside the default range (the last twelve months): the page shows no period, none is made ahead
    view = view_for(("Atlas",), date(2026, 2, 10), [], None, "year", "previous")
    assert view.period is None
    assert recent_period_views(view, 8) == []
    # data to a year's end: that year and those before it (empty before the data begin: their numbers are empty too)
    view = view_for(("Atlas",), date(2026, 12, 31), [], None, "year", "previous")
    assert [found.period.label for found in recent_period_views(view, 2) if found.period is not None] == [
        "FY26",
        "FY25",
        "FY24",
    ]
