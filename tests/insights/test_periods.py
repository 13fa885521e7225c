"""Tests for insights.periods: weeks, months, fiscal quarters and years, labels, grains and coverage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from insights.periods import (
    Granularity,
    Period,
    comparison_period,
    complete_periods,
    coverage_end,
    data_coverage_end,
    default_date_range,
    latest_complete_period,
    metric_grains,
    partial_periods,
    period_for,
    period_label,
    period_start,
    periods_between,
    periods_span,
    shift_period,
)

# --- period_start (expression) ---------------------------------------------------------------------------------------


def _starts(days: Sequence[date | None], granularity: Granularity, fiscal_year: int = 1) -> list[date | None]:
    frame = pl.DataFrame({"date": list(days)}, schema={"date": pl.Date})
    starts = frame.select(period_start(pl.col("date"), granularity, fiscal_year).alias("start"))
    return starts["start"].to_list()


def test_period_start_week_is_monday() -> None:
    # 2025-06-15 is a Sunday, 2025-06-09 a Monday, 2025-01-01 a Wednesday.
    days = [date(2025, 6, 15), date(2025, 6, 9), date(2025, 1, 1), None]
    assert _starts(days, "week") == [date(2025, 6, 9), date(2025, 6, 9), date(2024, 12, 30), None]


def test_period_start_month() -> None:
    assert _starts([date(2024, 2, 29), date(2025, 12, 1)], "month") == [date(2024, 2, 1), date(2025, 12, 1)]


def test_period_start_calendar_quarter_and_year() -> None:
    days = [date(2025, 1, 1), date(2025, 3, 31), date(2025, 8, 10), date(2025, 12, 31)]
    assert _starts(days, "quarter") == [date(2025, 1, 1), date(2025, 1, 1), date(2025, 7, 1), date(2025, 10, 1)]
    assert _starts(days, "year") == [date(2025, 1, 1)] * 4


def test_period_start_fiscal_april() -> None:
    days = [date(2025, 1, 15), date(2025, 3, 31), date(2025, 4, 1), date(2024, 12, 31)]
    assert _starts(days, "quarter", 4) == [date(2025, 1, 1), date(2025, 1, 1), date(2025, 4, 1), date(2024, 10, 1)]
    assert _starts(days, "year", 4) == [date(2024, 4, 1), date(2024, 4, 1), date(2025, 4, 1), date(2024, 4, 1)]


def test_period_start_fiscal_february() -> None:
    days = [date(2025, 1, 15), date(2025, 2, 1), date(2024, 12, 31), date(2025, 10, 31)]
    assert _starts(days, "quarter", 2) == [date(2024, 11, 1), date(2025, 2, 1), date(2024, 11, 1), date(2025, 8, 1)]
    assert _starts(days, "year", 2) == [date(2024, 2, 1), date(2025, 2, 1), date(2024, 2, 1), date(2025, 2, 1)]


@pytest.mark.parametrize("fiscal_year", range(1, 13))
@pytest.mark.parametrize("granularity", ["quarter", "year"])
def test_period_start_every_day_of_two_centuries(granularity: Granularity, fiscal_year: int) -> None:
    # The native truncation (calendar-aligned fiscal years) and the arithmetic (the others) agree with period_for on
    # every day from 1899 to 2101, leap days and the century years among them, and keep nulls.
    days = pl.date_range(date(1899, 1, 1), date(2101, 12, 31), eager=True).to_list()
    expected = [period_for(day, granularity, fiscal_year).start for day in days]
    assert _starts([*days, None], granularity, fiscal_year) == [*expected, None]


def test_period_start_empty() -> None:
    assert _starts([], "quarter", 4) == []


def test_bad_fiscal_start_month_raises() -> None:
    with pytest.raises(ValueError, match="fiscal_year_start_month"):
        period_start(pl.col("date"), "year", 13)
    with pytest.raises(ValueError, match="fiscal_year_start_month"):
        period_for(date(2025, 1, 1), "year", 0)


# --- period_for and labels --------------------------------------------------------------------------------------------


def test_period_for_week_iso_label() -> None:
    assert period_for(date(2025, 6, 15), "week") == Period(date(2025, 6, 9), date(2025, 6, 15), "week", "W24 2025")


def test_week_label_uses_iso_year_across_new_year() -> None:
    # 2024-12-30 (Monday) starts ISO week 1 of 2025; 2021-01-03 (Sunday) is in ISO week 53 of 2020.
    assert period_for(date(2025, 1, 1), "week").label == "W01 2025"
    assert period_for(date(2021, 1, 3), "week") == Period(date(2020, 12, 28), date(2021, 1, 3), "week", "W53 2020")


def test_period_for_month_leap_february() -> None:
    assert period_for(date(2024, 2, 10), "month") == Period(date(2024, 2, 1), date(2024, 2, 29), "month", "Feb 2024")


def test_period_for_calendar_quarter_and_year() -> None:
    assert period_for(date(2025, 8, 10), "quarter") == Period(date(2025, 7, 1), date(2025, 9, 30), "quarter", "Q3 FY25")
    assert period_for(date(2025, 8, 10), "year") == Period(date(2025, 1, 1), date(2025, 12, 31), "year", "FY25")


def test_period_for_fiscal_april() -> None:
    assert period_for(date(2025, 6, 15), "quarter", 4) == Period(
        date(2025, 4, 1), date(2025, 6, 30), "quarter", "Q1 FY26"
    )
    assert period_for(date(2025, 3, 31), "quarter", 4) == Period(
        date(2025, 1, 1), date(2025, 3, 31), "quarter", "Q4 FY25"
    )
    assert period_for(date(2025, 6, 15), "year", 4) == Period(date(2025, 4, 1), date(2026, 3, 31), "year", "FY26")


def test_period_for_fiscal_february() -> None:
    # Start month 2: FY26 = Feb 2025 – Jan 2026.
    assert period_for(date(2026, 1, 15), "quarter", 2) == Period(
        date(2025, 11, 1), date(2026, 1, 31), "quarter", "Q4 FY26"
    )
    assert period_for(date(2025, 2, 1), "year", 2) == Period(date(2025, 2, 1), date(2026, 1, 31), "year", "FY26")
    assert period_for(date(2025, 1, 31), "year", 2) == Period(date(2024, 2, 1), date(2025, 1, 31), "year", "FY25")


def test_period_label_of_any_day_in_the_period() -> None:
    assert period_label(date(2025, 6, 1), "month") == "Jun 2025"
    assert period_label(date(2025, 5, 20), "quarter", 4) == "Q1 FY26"
    assert period_label(date(2099, 12, 1), "year") == "FY99"
    assert period_label(date(2100, 3, 1), "year", 3) == "FY01"


# --- shift_period and comparison_period ------------------------------------------------------------------------------


def test_shift_period_months_across_years() -> None:
    december = period_for(date(2024, 12, 5), "month")
    assert shift_period(december, 13) == Period(date(2026, 1, 1), date(2026, 1, 31), "month", "Jan 2026")
    assert shift_period(december, -12) == Period(date(2023, 12, 1), date(2023, 12, 31), "month", "Dec 2023")
    assert shift_period(december, 0) == december


def test_shift_period_weeks() -> None:
    week = period_for(date(2025, 1, 1), "week")
    assert shift_period(week, -1) == Period(date(2024, 12, 23), date(2024, 12, 29), "week", "W52 2024")
    assert shift_period(week, 2) == Period(date(2025, 1, 13), date(2025, 1, 19), "week", "W03 2025")


def test_previous_quarter_crosses_fiscal_year() -> None:
    quarter = period_for(date(2025, 6, 15), "quarter", 4)
    assert comparison_period(quarter, "previous", 4) == Period(
        date(2025, 1, 1), date(2025, 3, 31), "quarter", "Q4 FY25"
    )


def test_year_ago_quarter_and_year_fiscal_february() -> None:
    quarter = period_for(date(2026, 1, 15), "quarter", 2)
    assert comparison_period(quarter, "year_ago", 2) == Period(
        date(2024, 11, 1), date(2025, 1, 31), "quarter", "Q4 FY25"
    )
    year = period_for(date(2026, 1, 15), "year", 2)
    assert comparison_period(year, "year_ago", 2) == Period(date(2024, 2, 1), date(2025, 1, 31), "year", "FY25")
    assert comparison_period(year, "previous", 2) == Period(date(2024, 2, 1), date(2025, 1, 31), "year", "FY25")


def test_year_ago_week_is_52_weeks_earlier() -> None:
    week = period_for(date(2025, 6, 15), "week")
    assert comparison_period(week, "year_ago") == Period(date(2024, 6, 10), date(2024, 6, 16), "week", "W24 2024")
    # 2020 has 53 ISO weeks, so 52 weeks before W53 2020 is W01 2020.
    week_53 = period_for(date(2020, 12, 28), "week")
    assert comparison_period(week_53, "year_ago") == Period(date(2019, 12, 30), date(2020, 1, 5), "week", "W01 2020")


def test_year_ago_month() -> None:
    month = period_for(date(2024, 2, 29), "month")
    assert comparison_period(month, "year_ago") == Period(date(2023, 2, 1), date(2023, 2, 28), "month", "Feb 2023")
    assert comparison_period(month, "previous") == Period(date(2024, 1, 1), date(2024, 1, 31), "month", "Jan 2024")


# --- metric_grains --------------------------------------------------------------------------------------------------


def _metrics(rows: list[tuple[str, date | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"metric": [metric for metric, _ in rows], "date": [day for _, day in rows]},
        schema={"metric": pl.String, "date": pl.Date},
    )


def test_metric_grains_month_week_day() -> None:
    metrics = _metrics(
        [
            ("mrr", date(2025, 7, 1)),
            ("mrr", date(2025, 8, 1)),
            ("mrr", date(2025, 8, 1)),  # a second segment on the same date
            ("active", date(2025, 9, 8)),
            ("active", date(2025, 9, 1)),  # a Monday that is a 1st: still weekly, the other dates are not 1sts
            ("active", date(2025, 9, 15)),
            ("tickets", date(2025, 9, 1)),
            ("tickets", date(2025, 9, 2)),
            ("tickets", date(2025, 9, 4)),
        ]
    )
    expected = pl.DataFrame({"metric": ["active", "mrr", "tickets"], "grain": ["week", "month", "day"]})
    assert_frame_equal(metric_grains(metrics), expected)


def test_metric_grains_mondays_that_are_firsts_are_monthly() -> None:
    # 2025-09-01 and 2025-12-01 are both Mondays and 1sts, 91 days apart.
    metrics = _metrics([("nrr", date(2025, 9, 1)), ("nrr", date(2025, 12, 1)), ("solo", date(2025, 9, 1))])
    expected = pl.DataFrame({"metric": ["nrr", "solo"], "grain": ["month", "month"]})
    assert_frame_equal(metric_grains(metrics), expected)


def test_metric_grains_single_dates() -> None:
    # A lone Tuesday is daily; a lone Monday that is not a 1st is weekly.
    metrics = _metrics([("b", date(2025, 6, 3)), ("a", date(2025, 6, 2))])
    expected = pl.DataFrame({"metric": ["a", "b"], "grain": ["week", "day"]})
    assert_frame_equal(metric_grains(metrics), expected)


def test_metric_grains_ignores_null_dates() -> None:
    metrics = _metrics([("mrr", date(2025, 7, 1)), ("mrr", None), ("undated", None)])
    assert_frame_equal(metric_grains(metrics), pl.DataFrame({"metric": ["mrr"], "grain": ["month"]}))


def test_metric_grains_empty() -> None:
    expected = pl.DataFrame(schema={"metric": pl.String, "grain": pl.String})
    assert_frame_equal(metric_grains(_metrics([])), expected)


# --- coverage ---------------------------------------------------------------------------------------------------------


def test_coverage_end_per_grain() -> None:
    assert coverage_end(date(2025, 6, 3), "day") == date(2025, 6, 3)
    assert coverage_end(date(2025, 6, 2), "week") == date(2025, 6, 8)
    assert coverage_end(date(2025, 12, 29), "week") == date(2026, 1, 4)
    assert coverage_end(date(2024, 2, 1), "month") == date(2024, 2, 29)
    assert coverage_end(date(2025, 12, 1), "month") == date(2025, 12, 31)


def test_data_coverage_end_uses_each_metrics_grain() -> None:
    metrics = _metrics(
        [
            ("mrr", date(2025, 4, 1)),
            ("mrr", date(2025, 5, 1)),  # monthly: covers to 2025-05-31
            ("active", date(2025, 5, 26)),
            ("active", date(2025, 6, 2)),  # weekly: covers to 2025-06-08
            ("tickets", date(2025, 6, 2)),
            ("tickets", date(2025, 6, 5)),  # daily: covers to 2025-06-05
        ]
    )
    assert data_coverage_end(metrics) == date(2025, 6, 8)


def test_data_coverage_end_monthly_wins() -> None:
    metrics = _metrics([("mrr", date(2025, 6, 1)), ("tickets", date(2025, 6, 20)), ("tickets", date(2025, 6, 21))])
    assert data_coverage_end(metrics) == date(2025, 6, 30)


def test_data_coverage_end_empty() -> None:
    assert data_coverage_end(_metrics([])) is None
    assert data_coverage_end(_metrics([("mrr", None)])) is None


def test_default_date_range() -> None:
    assert default_date_range(date(2025, 6, 30)) == (date(2024, 7, 1), date(2025, 6, 30))
    assert default_date_range(date(2025, 2, 14), 3) == (date(2024, 12, 1), date(2025, 2, 14))
    assert default_date_range(date(2025, 2, 14), 1) == (date(2025, 2, 1), date(2025, 2, 14))
    with pytest.raises(ValueError, match="months"):
        default_date_range(date(2025, 2, 14), 0)


# --- latest_complete_period and periods_between ----------------------------------------------------------------------


def test_latest_complete_month() -> None:
    start, end = date(2024, 7, 1), date(2025, 6, 30)
    assert latest_complete_period(start, end, date(2025, 6, 30), "month") == Period(
        date(2025, 6, 1), date(2025, 6, 30), "month", "Jun 2025"
    )
    assert latest_complete_period(start, end, date(2025, 6, 15), "month") == Period(
        date(2025, 5, 1), date(2025, 5, 31), "month", "May 2025"
    )


def test_latest_complete_period_bounded_by_range_end() -> None:
    period = latest_complete_period(date(2024, 7, 1), date(2025, 3, 31), date(2025, 6, 30), "month")
    assert period == Period(date(2025, 3, 1), date(2025, 3, 31), "month", "Mar 2025")


def test_latest_complete_week() -> None:
    # 2025-06-15 is a Sunday, so its week (9–15 June) is complete; on Saturday the 14th it is not.
    start, end = date(2025, 1, 1), date(2025, 12, 31)
    assert latest_complete_period(start, end, date(2025, 6, 15), "week") == Period(
        date(2025, 6, 9), date(2025, 6, 15), "week", "W24 2025"
    )
    assert latest_complete_period(start, end, date(2025, 6, 14), "week") == Period(
        date(2025, 6, 2), date(2025, 6, 8), "week", "W23 2025"
    )


def test_latest_complete_fiscal_quarter() -> None:
    period = latest_complete_period(date(2024, 7, 1), date(2025, 6, 30), date(2025, 6, 15), "quarter", 4)
    assert period == Period(date(2025, 1, 1), date(2025, 3, 31), "quarter", "Q4 FY25")


def test_latest_complete_period_none_fits() -> None:
    # No whole calendar year lies inside July 2024 – June 2025.
    assert latest_complete_period(date(2024, 7, 1), date(2025, 6, 30), date(2025, 6, 30), "year") is None
    # Data ends before the range starts.
    assert latest_complete_period(date(2025, 1, 1), date(2025, 6, 30), date(2024, 12, 31), "month") is None
    # The range starts mid-month and ends before that month does.
    assert latest_complete_period(date(2025, 6, 2), date(2025, 6, 29), date(2025, 6, 30), "month") is None


def test_periods_between_months() -> None:
    assert periods_between(date(2025, 1, 15), date(2025, 3, 1), "month") == [
        Period(date(2025, 1, 1), date(2025, 1, 31), "month", "Jan 2025"),
        Period(date(2025, 2, 1), date(2025, 2, 28), "month", "Feb 2025"),
        Period(date(2025, 3, 1), date(2025, 3, 31), "month", "Mar 2025"),
    ]


def test_periods_between_weeks_and_fiscal_quarters() -> None:
    weeks = periods_between(date(2025, 6, 4), date(2025, 6, 16), "week")
    assert [week.start for week in weeks] == [date(2025, 6, 2), date(2025, 6, 9), date(2025, 6, 16)]
    quarters = periods_between(date(2025, 3, 1), date(2025, 4, 1), "quarter", 4)
    assert [quarter.label for quarter in quarters] == ["Q4 FY25", "Q1 FY26"]


def test_periods_between_single_day_and_empty() -> None:
    assert periods_between(date(2025, 6, 4), date(2025, 6, 4), "year") == [
        Period(date(2025, 1, 1), date(2025, 12, 31), "year", "FY25")
    ]
    assert periods_between(date(2025, 6, 4), date(2025, 6, 3), "month") == []


# --- complete_periods, partial_periods ------------------------------------------------------------------------------


def quarter_period(start: date, end: date, label: str) -> Period:
    """A quarter as the periods module builds it."""
    return Period(start=start, end=end, granularity="quarter", label=label)


def test_complete_and_partial_periods_split_the_range() -> None:
    start, end = date(2025, 12, 1), date(2026, 11, 1)
    q4_25 = quarter_period(date(2025, 10, 1), date(2025, 12, 31), "Q4 FY25")
    q1 = quarter_period(date(2026, 1, 1), date(2026, 3, 31), "Q1 FY26")
    q2 = quarter_period(date(2026, 4, 1), date(2026, 6, 30), "Q2 FY26")
    q3 = quarter_period(date(2026, 7, 1), date(2026, 9, 30), "Q3 FY26")
    q4_26 = quarter_period(date(2026, 10, 1), date(2026, 12, 31), "Q4 FY26")
    assert complete_periods(start, end, end, "quarter") == [q1, q2, q3]
    assert partial_periods(start, end, end, "quarter") == [q4_25, q4_26]


def test_complete_periods_stop_where_the_data_stops() -> None:
    # The range runs to the end of June, the data only to 15 June: June is not complete.
    months = complete_periods(date(2026, 4, 1), date(2026, 6, 30), date(2026, 6, 15), "month")
    assert [month.label for month in months] == ["Apr 2026", "May 2026"]
    partial = partial_periods(date(2026, 4, 1), date(2026, 6, 30), date(2026, 6, 15), "month")
    assert [month.label for month in partial] == ["Jun 2026"]


def test_complete_periods_follow_the_fiscal_year() -> None:
    # Fiscal year from April: Apr–Jun 2026 is Q1 FY27, and the range from 1 May cuts it short.
    quarters = complete_periods(date(2026, 5, 1), date(2026, 12, 31), date(2026, 12, 31), "quarter", 4)
    assert [quarter.label for quarter in quarters] == ["Q2 FY27", "Q3 FY27"]
    partial = partial_periods(date(2026, 5, 1), date(2026, 12, 31), date(2026, 12, 31), "quarter", 4)
    assert [quarter.label for quarter in partial] == ["Q1 FY27"]


def test_periods_of_an_empty_range() -> None:
    assert complete_periods(date(2026, 5, 1), date(2026, 4, 1), date(2026, 5, 1), "month") == []
    assert partial_periods(date(2026, 5, 1), date(2026, 4, 1), date(2026, 5, 1), "month") == []


def test_periods_span_runs_from_the_earliest_start_to_the_latest_end() -> None:
    march = period_for(date(2025, 3, 10), "month")
    q4 = period_for(date(2024, 11, 5), "quarter")
    assert periods_span(march, q4) == (date(2024, 10, 1), date(2025, 3, 31))
    assert periods_span(march) == (date(2025, 3, 1), date(2025, 3, 31))
