"""Tests for insights.metrics: roll-ups per period, comparisons, targets, status and the KPI table."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from insights.metrics import (
    MONTHLY_METRICS,
    compare_periods,
    delta_pct,
    is_monthly,
    is_prepared,
    kpi_table,
    metric_rows,
    metric_trend,
    metric_values,
    monthly_metrics,
    overview_metrics,
    period_values,
    prepare_metrics,
    revenue_metric,
    scope_metrics,
    target_status,
    targets_for_period,
    targets_for_periods,
)
from insights.periods import Granularity, Period, metric_grains, period_for
from sources.contracts import METRIC_CATALOG, METRICS, TARGETS

CATALOG = pl.DataFrame(
    {
        "metric": ["arr", "bookings", "nrr", "churn"],
        "label": ["ARR", "Bookings", "NRR", "Logo churn"],
        "unit": ["currency", "currency", "percent", "percent"],
        "aggregation": ["last", "sum", "mean", "mean"],
        "higher_is_better": [True, True, True, False],
        "overview": [2, None, 1, None],
        "role": ["revenue", None, None, None],
    },
    schema_overrides={"overview": pl.Int64},
)

# arr: weekly (all Mondays), a stock, split by segment in line A; A's SMB series stops on 20 Jan.
# bookings: daily, a flow. nrr: monthly, a rate, split by segment in line A. churn: one Wednesday (daily).
_ROWS: list[tuple[str, str, str, float, str | None]] = [
    ("2025-01-06", "A", "arr", 100.0, "Ent"),
    ("2025-01-27", "A", "arr", 120.0, "Ent"),
    ("2025-02-03", "A", "arr", 130.0, "Ent"),
    ("2025-01-06", "A", "arr", 50.0, "SMB"),
    ("2025-01-20", "A", "arr", 55.0, "SMB"),
    ("2025-02-03", "A", "arr", 65.0, "SMB"),
    ("2025-01-06", "B", "arr", 40.0, None),
    ("2025-01-27", "B", "arr", 45.0, None),
    ("2025-02-03", "B", "arr", 50.0, None),
    ("2025-01-30", "A", "bookings", 10.0, None),
    ("2025-01-31", "A", "bookings", 5.0, None),
    ("2025-02-01", "A", "bookings", 7.0, None),
    ("2025-01-31", "B", "bookings", 3.0, None),
    ("2025-01-01", "A", "nrr", 1.25, "Ent"),
    ("2025-02-01", "A", "nrr", 1.75, "Ent"),
    ("2025-01-01", "A", "nrr", 1.0, "SMB"),
    ("2025-02-01", "A", "nrr", 1.25, "SMB"),
    ("2025-01-01", "B", "nrr", 0.75, None),
    ("2025-02-01", "B", "nrr", 0.75, None),
    ("2025-01-15", "A", "churn", 2.0, None),
]

METRICS_FRAME = pl.DataFrame(
    {
        "date": [date.fromisoformat(row[0]) for row in _ROWS],
        "product_line": [row[1] for row in _ROWS],
        "metric": [row[2] for row in _ROWS],
        "value": [row[3] for row in _ROWS],
        "segment": [row[4] for row in _ROWS],
        "region": [None for _ in _ROWS],
    },
    schema=METRICS.schema,
)

JANUARY = Period(date(2025, 1, 1), date(2025, 1, 31), "month", "Jan 2025")
FEBRUARY = Period(date(2025, 2, 1), date(2025, 2, 28), "month", "Feb 2025")
WEEK_OF_27_JAN = Period(date(2025, 1, 27), date(2025, 2, 2), "week", "W05 2025")
WEEK_OF_3_FEB = Period(date(2025, 2, 3), date(2025, 2, 9), "week", "W06 2025")

VALUE_SCHEMA = {"metric": pl.String, "product_line": pl.String, "period_start": pl.Date, "value": pl.Float64}


def _values(rows: list[tuple[str, str | None, date, float, str]], by: str = "product_line") -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"metric": pl.String, by: pl.String, "period_start": pl.Date, "value": pl.Float64, "grain": pl.String},
        orient="row",
    )


# --- scope_metrics ----------------------------------------------------------------------------------------------------


def test_scope_metrics_lines_and_inclusive_dates() -> None:
    scoped = scope_metrics(METRICS_FRAME, ["B"], date(2025, 1, 27), date(2025, 2, 3))
    assert scoped.select("date", "metric", "value").rows() == [
        (date(2025, 1, 27), "arr", 45.0),
        (date(2025, 2, 3), "arr", 50.0),
        (date(2025, 1, 31), "bookings", 3.0),
        (date(2025, 2, 1), "nrr", 0.75),
    ]


def test_scope_metrics_none_keeps_everything_and_empty_selection_keeps_nothing() -> None:
    assert_frame_equal(scope_metrics(METRICS_FRAME, None, None, None), METRICS_FRAME)
    assert_frame_equal(scope_metrics(METRICS_FRAME, [], None, None), METRICS.empty())


# --- metric_values ----------------------------------------------------------------------------------------------------


def test_metric_values_monthly_by_product_line() -> None:
    expected = _values(
        [
            # last: each segment's latest value in the month, summed (A Jan = 120 Ent + 55 SMB).
            ("arr", "A", date(2025, 1, 1), 175.0, "week"),
            ("arr", "A", date(2025, 2, 1), 195.0, "week"),
            ("arr", "B", date(2025, 1, 1), 45.0, "week"),
            ("arr", "B", date(2025, 2, 1), 50.0, "week"),
            ("bookings", "A", date(2025, 1, 1), 15.0, "day"),
            ("bookings", "A", date(2025, 2, 1), 7.0, "day"),
            ("bookings", "B", date(2025, 1, 1), 3.0, "day"),
            ("churn", "A", date(2025, 1, 1), 2.0, "day"),
            # mean: the segments of A averaged.
            ("nrr", "A", date(2025, 1, 1), 1.125, "month"),
            ("nrr", "A", date(2025, 2, 1), 1.5, "month"),
            ("nrr", "B", date(2025, 1, 1), 0.75, "month"),
            ("nrr", "B", date(2025, 2, 1), 0.75, "month"),
        ]
    )
    assert_frame_equal(metric_values(METRICS_FRAME, CATALOG, "month"), expected)


def test_metric_values_company_total_quarter() -> None:
    expected = pl.DataFrame(
        [
            ("arr", date(2025, 1, 1), 245.0, "week"),  # 130 + 65 + 50 on 3 Feb
            ("bookings", date(2025, 1, 1), 25.0, "day"),
            ("churn", date(2025, 1, 1), 2.0, "day"),
            # mean of the series means 1.5, 1.125, 0.75 (the mean of the two lines' means would be 1.03125)
            ("nrr", date(2025, 1, 1), 1.125, "month"),
        ],
        schema={"metric": pl.String, "period_start": pl.Date, "value": pl.Float64, "grain": pl.String},
        orient="row",
    )
    assert_frame_equal(metric_values(METRICS_FRAME, CATALOG, "quarter", by=()), expected)


def test_metric_values_fiscal_quarter_boundary() -> None:
    # Fiscal year from February: 30–31 Jan close Q4 FY25 (from 1 Nov 2024), 1 Feb opens Q1 FY26.
    bookings = METRICS_FRAME.filter(pl.col("metric") == "bookings")
    expected = _values(
        [
            ("bookings", "A", date(2024, 11, 1), 15.0, "day"),
            ("bookings", "A", date(2025, 2, 1), 7.0, "day"),
            ("bookings", "B", date(2024, 11, 1), 3.0, "day"),
        ]
    )
    assert_frame_equal(metric_values(bookings, CATALOG, "quarter", 2), expected)


def test_metric_values_weekly_keeps_monthly_metric_at_its_grain() -> None:
    frame = METRICS_FRAME.filter(pl.col("metric").is_in(["bookings", "nrr"]))
    expected = _values(
        [
            # 30 Jan – 1 Feb all fall in the week starting Monday 27 Jan.
            ("bookings", "A", date(2025, 1, 27), 22.0, "day"),
            ("bookings", "B", date(2025, 1, 27), 3.0, "day"),
            ("nrr", "A", date(2025, 1, 1), 1.125, "month"),
            ("nrr", "A", date(2025, 2, 1), 1.5, "month"),
            ("nrr", "B", date(2025, 1, 1), 0.75, "month"),
            ("nrr", "B", date(2025, 2, 1), 0.75, "month"),
        ]
    )
    assert_frame_equal(metric_values(frame, CATALOG, "week"), expected)


def test_metric_values_by_segment_keeps_null_segment_as_a_group() -> None:
    arr = METRICS_FRAME.filter(pl.col("metric") == "arr", pl.col("date") <= date(2025, 1, 31))
    expected = _values(
        [
            ("arr", "Ent", date(2025, 1, 1), 120.0, "week"),
            ("arr", "SMB", date(2025, 1, 1), 55.0, "week"),
            ("arr", None, date(2025, 1, 1), 45.0, "week"),
        ],
        by="segment",
    )
    assert_frame_equal(metric_values(arr, CATALOG, "month", by=("segment",)), expected)


def test_metric_values_by_line_and_segment() -> None:
    nrr = METRICS_FRAME.filter(pl.col("metric") == "nrr")
    expected = pl.DataFrame(
        [
            ("nrr", "A", "Ent", date(2025, 1, 1), 1.5, "month"),
            ("nrr", "A", "SMB", date(2025, 1, 1), 1.125, "month"),
            ("nrr", "B", None, date(2025, 1, 1), 0.75, "month"),
        ],
        schema={
            "metric": pl.String,
            "product_line": pl.String,
            "segment": pl.String,
            "period_start": pl.Date,
            "value": pl.Float64,
            "grain": pl.String,
        },
        orient="row",
    )
    assert_frame_equal(metric_values(nrr, CATALOG, "year", by=("product_line", "segment")), expected)


def test_metric_values_without_optional_columns_drops_unknown_metrics_and_null_values() -> None:
    frame = pl.DataFrame(
        {
            "date": [date(2025, 3, 3), date(2025, 3, 4), date(2025, 3, 4), date(2025, 3, 4)],
            "product_line": ["A", "A", "A", "A"],
            "metric": ["bookings", "bookings", "bookings_v2", "bookings"],
            "value": [4.0, None, 9.0, 6.0],
        },
        schema={"date": pl.Date, "product_line": pl.String, "metric": pl.String, "value": pl.Float64},
    )
    expected = pl.DataFrame(
        [("bookings", None, date(2025, 3, 1), 10.0, "day")],
        schema={
            "metric": pl.String,
            "region": pl.String,
            "period_start": pl.Date,
            "value": pl.Float64,
            "grain": pl.String,
        },
        orient="row",
    )
    assert_frame_equal(metric_values(frame, CATALOG, "month", by=("region",)), expected)


def test_metric_values_empty() -> None:
    expected = pl.DataFrame(schema={**VALUE_SCHEMA, "grain": pl.String})
    assert_frame_equal(metric_values(METRICS.empty(), CATALOG, "month"), expected)
    assert_frame_equal(metric_values(METRICS_FRAME, METRIC_CATALOG.empty(), "month"), expected)


# --- period_values ----------------------------------------------------------------------------------------------------


def test_period_values_month() -> None:
    expected = pl.DataFrame(
        [
            ("arr", "A", 175.0, 4),
            ("arr", "B", 45.0, 2),
            ("bookings", "A", 15.0, 2),
            ("bookings", "B", 3.0, 1),
            ("churn", "A", 2.0, 1),
            ("nrr", "A", 1.125, 2),
            ("nrr", "B", 0.75, 1),
        ],
        schema={"metric": pl.String, "product_line": pl.String, "value": pl.Float64, "observations": pl.Int64},
        orient="row",
    )
    assert_frame_equal(period_values(METRICS_FRAME, CATALOG, JANUARY), expected)


def test_period_values_week_uses_the_month_of_its_first_day_for_monthly_metrics() -> None:
    expected = pl.DataFrame(
        [
            ("arr", 165.0, 2),  # 27 Jan: Ent 120 + B 45; SMB has no row that week
            ("bookings", 25.0, 4),
            ("nrr", 1.0, 3),  # January: mean of 1.25, 1.0, 0.75
        ],
        schema={"metric": pl.String, "value": pl.Float64, "observations": pl.Int64},
        orient="row",
    )
    assert_frame_equal(period_values(METRICS_FRAME, CATALOG, WEEK_OF_27_JAN, by=()), expected)


def test_period_values_next_week_moves_to_february() -> None:
    expected = pl.DataFrame(
        [("arr", 245.0, 3), ("nrr", 1.25, 3)],
        schema={"metric": pl.String, "value": pl.Float64, "observations": pl.Int64},
        orient="row",
    )
    assert_frame_equal(period_values(METRICS_FRAME, CATALOG, WEEK_OF_3_FEB, by=()), expected)


def test_period_values_no_rows_in_period() -> None:
    empty_period = Period(date(2024, 1, 1), date(2024, 12, 31), "year", "FY24")
    expected = pl.DataFrame(
        schema={"metric": pl.String, "product_line": pl.String, "value": pl.Float64, "observations": pl.Int64}
    )
    assert_frame_equal(period_values(METRICS_FRAME, CATALOG, empty_period), expected)
    assert_frame_equal(period_values(METRICS.empty(), CATALOG, JANUARY), expected)


# --- delta_pct and compare_periods -----------------------------------------------------------------------------------


def test_delta_pct() -> None:
    frame = pl.DataFrame(
        {"value": [110.0, 5.0, -2.0, None, 3.0, 0.0], "previous": [100.0, 0.0, -4.0, 2.0, None, 0.0]},
    )
    result = frame.select(delta_pct(pl.col("value"), pl.col("previous")).alias("delta_pct"))
    assert result["delta_pct"].to_list() == pytest.approx([0.1, None, 0.5, None, None, None], nan_ok=False)


def test_compare_periods_full_join() -> None:
    current = pl.DataFrame(
        {"metric": ["a", "b", "c", "e"], "value": [10.0, 3.0, 5.0, -2.0], "observations": [1, 1, 1, 1]}
    )
    previous = pl.DataFrame({"metric": ["d", "b", "a", "e"], "value": [4.0, 0.0, 8.0, -4.0]})
    expected = pl.DataFrame(
        [
            ("a", 10.0, 8.0, 2.0, 0.25),
            ("b", 3.0, 0.0, 3.0, None),
            ("c", 5.0, None, None, None),
            ("d", None, 4.0, None, None),
            ("e", -2.0, -4.0, 2.0, 0.5),
        ],
        schema={
            "metric": pl.String,
            "value": pl.Float64,
            "previous": pl.Float64,
            "delta": pl.Float64,
            "delta_pct": pl.Float64,
        },
        orient="row",
    )
    assert_frame_equal(compare_periods(current, previous, ["metric"]), expected)


def test_compare_periods_matches_null_keys() -> None:
    current = pl.DataFrame({"metric": ["arr", "arr"], "segment": ["Ent", None], "value": [12.0, 6.0]})
    previous = pl.DataFrame({"metric": ["arr", "arr"], "segment": [None, "Ent"], "value": [4.0, 10.0]})
    expected = pl.DataFrame(
        {
            "metric": ["arr", "arr"],
            "segment": ["Ent", None],
            "value": [12.0, 6.0],
            "previous": [10.0, 4.0],
            "delta": [2.0, 2.0],
            "delta_pct": [0.2, 0.5],
        }
    )
    assert_frame_equal(compare_periods(current, previous, ["metric", "segment"]), expected)


def test_compare_periods_empty() -> None:
    empty = pl.DataFrame(schema={"metric": pl.String, "value": pl.Float64})
    expected = pl.DataFrame(
        schema={
            "metric": pl.String,
            "value": pl.Float64,
            "previous": pl.Float64,
            "delta": pl.Float64,
            "delta_pct": pl.Float64,
        }
    )
    assert_frame_equal(compare_periods(empty, empty, ["metric"]), expected)


# --- targets_for_period ---------------------------------------------------------------------------------------------


def _targets(rows: list[tuple[str, str | None, date, date, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "metric": pl.String,
            "product_line": pl.String,
            "period_start": pl.Date,
            "period_end": pl.Date,
            "target": pl.Float64,
        },
        orient="row",
    ).select(list(TARGETS.schema))


Q1 = (date(2025, 1, 1), date(2025, 3, 31))  # 90 days
YEAR_2025 = (date(2025, 1, 1), date(2025, 12, 31))  # 365 days

TARGETS_FRAME = _targets(
    [
        ("arr", None, *Q1, 250.0),
        ("arr", "A", *Q1, 190.0),
        ("arr", "B", *Q1, 55.0),
        ("bookings", "A", *Q1, 900.0),
        ("bookings", "A", *YEAR_2025, 7300.0),
        ("bookings", "B", *Q1, 90.0),
        ("nrr", None, date(2025, 2, 1), date(2025, 2, 28), 1.25),
        ("nrr", "A", *Q1, 1.25),
        ("nrr", "B", *Q1, 1.0),
        ("churn", None, *Q1, 1.5),
        ("unknown", None, *Q1, 1.0),
    ]
)

COMPANY_TARGET_SCHEMA = {"metric": pl.String, "target": pl.Float64}
LINE_TARGET_SCHEMA = {"metric": pl.String, "product_line": pl.String, "target": pl.Float64}


@pytest.mark.parametrize("by_product_line", [True, False])
@pytest.mark.parametrize("lines", [None, ["A"], ["B", "A"], ["A", "C"]])
@pytest.mark.parametrize(
    ("granularity", "fiscal_year_start_month"), [("month", 1), ("quarter", 1), ("quarter", 2), ("year", 1)]
)
def test_targets_of_many_periods_are_each_period_s_targets(
    by_product_line: bool, lines: list[str] | None, granularity: Granularity, fiscal_year_start_month: int
) -> None:
    # one pass over a trend's periods gives each period the targets it gets alone
    periods = []
    day = date(2024, 11, 1)
    while day <= date(2026, 2, 1):
        period = period_for(day, granularity, fiscal_year_start_month)
        periods.append(period)
        day = period.end + timedelta(days=1)
    together = targets_for_periods(TARGETS_FRAME, CATALOG, periods, lines, ["A", "B", "C"], by_product_line)
    assert together.height > 0
    for period in periods:
        alone = targets_for_period(TARGETS_FRAME, CATALOG, period, lines, ["A", "B", "C"], by_product_line)
        assert_frame_equal(together.filter(pl.col("period_start") == period.start).drop("period_start"), alone)


def test_targets_by_product_line_pro_rates_flows_only() -> None:
    # arr's Q1 targets (a stock) say where it should be on 31 Mar, so they don't apply in January.
    expected = pl.DataFrame(
        [
            # 900 over Q1's 90 days → 31 January days; the yearly 7300 is less specific than the quarter's.
            ("bookings", "A", 310.0),
            ("bookings", "B", 31.0),
            ("nrr", "A", 1.25),
            ("nrr", "B", 1.0),
        ],
        schema=LINE_TARGET_SCHEMA,
        orient="row",
    )
    assert_frame_equal(targets_for_period(TARGETS_FRAME, CATALOG, JANUARY, None, ["A", "B"], True), expected)


def test_targets_by_product_line_only_selected_lines() -> None:
    result = targets_for_period(TARGETS_FRAME, CATALOG, FEBRUARY, ["B"], ["A", "B"], True)
    expected = pl.DataFrame([("bookings", "B", 28.0), ("nrr", "B", 1.0)], schema=LINE_TARGET_SCHEMA, orient="row")
    assert_frame_equal(result, expected)


def test_company_targets_use_company_rows_when_all_lines_selected() -> None:
    expected = pl.DataFrame(
        [
            # No arr: its Q1 targets apply only to a period ending on 31 Mar.
            ("bookings", 308.0),  # no company row: A 280 + B 28 for February's 28 days
            ("churn", 1.5),
            ("nrr", 1.25),  # the company row covering February, not the lines' mean 1.125
        ],
        schema=COMPANY_TARGET_SCHEMA,
        orient="row",
    )
    result = targets_for_period(TARGETS_FRAME, CATALOG, FEBRUARY, ["B", "A"], ["A", "B"], False)
    assert_frame_equal(result, expected)


def test_company_targets_combine_selected_lines_for_a_subset() -> None:
    # Only A and B have line targets; with A and C selected the company rows no longer apply.
    # A's arr target (Q1, a stock) does not apply in January.
    expected = pl.DataFrame(
        [("bookings", 310.0), ("nrr", 1.25)],
        schema=COMPANY_TARGET_SCHEMA,
        orient="row",
    )
    result = targets_for_period(TARGETS_FRAME, CATALOG, JANUARY, ["A", "C"], ["A", "B", "C"], False)
    assert_frame_equal(result, expected)


def test_company_targets_mean_for_rates_when_no_company_row() -> None:
    # In January there is no company nrr row (it covers February only): lines 1.25 and 1.0 average to 1.125.
    result = targets_for_period(TARGETS_FRAME, CATALOG, JANUARY, None, ["A", "B"], False)
    expected = pl.DataFrame(
        [("bookings", 341.0), ("churn", 1.5), ("nrr", 1.125)],
        schema=COMPANY_TARGET_SCHEMA,
        orient="row",
    )
    assert_frame_equal(result, expected)


def test_targets_must_cover_the_whole_period() -> None:
    quarter = Period(date(2025, 1, 1), date(2025, 3, 31), "quarter", "Q1 FY25")
    result = targets_for_period(TARGETS_FRAME, CATALOG, quarter, None, ["A", "B"], False)
    # The February nrr row does not cover the quarter; A's quarterly bookings target beats its yearly one.
    expected = pl.DataFrame(
        [("arr", 250.0), ("bookings", 990.0), ("churn", 1.5), ("nrr", 1.125)],
        schema=COMPANY_TARGET_SCHEMA,
        orient="row",
    )
    assert_frame_equal(result, expected)
    # Only the yearly target covers April: 7300 × 30 / 365.
    april = Period(date(2025, 4, 1), date(2025, 4, 30), "month", "Apr 2025")
    april_targets = targets_for_period(TARGETS_FRAME, CATALOG, april, None, ["A", "B"], False)
    assert_frame_equal(april_targets, pl.DataFrame({"metric": ["bookings"], "target": [600.0]}))
    next_year = Period(date(2026, 1, 1), date(2026, 1, 31), "month", "Jan 2026")
    empty = targets_for_period(TARGETS_FRAME, CATALOG, next_year, None, ["A", "B"], False)
    assert_frame_equal(empty, pl.DataFrame(schema=COMPANY_TARGET_SCHEMA))


def test_stock_targets_do_not_apply_to_a_month_inside_their_period() -> None:
    # February lies inside Q1 but does not end on 31 Mar: arr's Q1 targets say nothing about it, while the
    # bookings targets (flows) are pro-rated to its 28 days and the nrr targets (rates) apply as they are.
    by_line = targets_for_period(TARGETS_FRAME, CATALOG, FEBRUARY, None, ["A", "B"], True)
    expected_by_line = pl.DataFrame(
        [
            ("bookings", "A", 280.0),  # 900 × 28 / 90
            ("bookings", "B", 28.0),  # 90 × 28 / 90
            ("nrr", "A", 1.25),
            ("nrr", "B", 1.0),
        ],
        schema=LINE_TARGET_SCHEMA,
        orient="row",
    )
    assert_frame_equal(by_line, expected_by_line)
    company = targets_for_period(TARGETS_FRAME, CATALOG, FEBRUARY, None, ["A", "B"], False)
    expected_company = pl.DataFrame(
        [("bookings", 308.0), ("churn", 1.5), ("nrr", 1.25)], schema=COMPANY_TARGET_SCHEMA, orient="row"
    )
    assert_frame_equal(company, expected_company)
    # March ends on 31 Mar, so the company arr row applies to it; bookings is 900 × 31 / 90 + 90 × 31 / 90.
    march = Period(date(2025, 3, 1), date(2025, 3, 31), "month", "Mar 2025")
    march_company = targets_for_period(TARGETS_FRAME, CATALOG, march, None, ["A", "B"], False)
    expected_march = pl.DataFrame(
        [("arr", 250.0), ("bookings", 341.0), ("churn", 1.5), ("nrr", 1.125)],
        schema=COMPANY_TARGET_SCHEMA,
        orient="row",
    )
    assert_frame_equal(march_company, expected_march)


def test_targets_without_product_line_column_are_company_targets() -> None:
    targets = TARGETS_FRAME.filter(pl.col("product_line").is_null()).drop("product_line")
    company = targets_for_period(targets, CATALOG, FEBRUARY, None, ["A", "B"], False)
    # The company arr row covers Q1 but February does not end on 31 Mar.
    expected = pl.DataFrame([("churn", 1.5), ("nrr", 1.25)], schema=COMPANY_TARGET_SCHEMA, orient="row")
    assert_frame_equal(company, expected)
    by_line = targets_for_period(targets, CATALOG, FEBRUARY, None, ["A", "B"], True)
    assert_frame_equal(by_line, pl.DataFrame(schema=LINE_TARGET_SCHEMA))


def test_targets_empty() -> None:
    company = targets_for_period(TARGETS.empty(), CATALOG, JANUARY, None, ["A"], False)
    assert_frame_equal(company, pl.DataFrame(schema=COMPANY_TARGET_SCHEMA))
    by_line = targets_for_period(TARGETS.empty(), CATALOG, JANUARY, None, ["A"], True)
    assert_frame_equal(by_line, pl.DataFrame(schema=LINE_TARGET_SCHEMA))


# --- target_status ----------------------------------------------------------------------------------------------------


def test_target_status_both_directions() -> None:
    values = pl.DataFrame(
        [
            ("arr", "A", 165.0),
            ("arr", "B", 160.0),
            ("arr", None, 150.0),
            ("churn", "A", 1.0),
            ("churn", "B", 2.0),
            ("nrr", "A", None),
            ("nrr", "B", 0.8),
        ],
        schema={"metric": pl.String, "product_line": pl.String, "value": pl.Float64},
        orient="row",
    )
    targets = pl.DataFrame(
        [
            ("arr", "A", 160.0),
            ("arr", "B", 160.0),
            ("arr", None, 200.0),
            ("churn", "A", 1.5),
            ("churn", "B", 1.5),
            ("nrr", "A", 1.0),
        ],
        schema=LINE_TARGET_SCHEMA,
        orient="row",
    )
    expected = values.with_columns(
        pl.Series("target", [160.0, 160.0, 200.0, 1.5, 1.5, 1.0, None]),
        pl.Series("target_gap", [5.0, 0.0, -50.0, -0.5, 0.5, None, None]),
        pl.Series("target_gap_pct", [0.03125, 0.0, -0.25, -1 / 3, 1 / 3, None, None]),
        pl.Series("status", ["met", "met", "missed", "met", "missed", None, None], dtype=pl.String),
    )
    assert_frame_equal(target_status(values, targets, CATALOG, ["metric", "product_line"]), expected)


def test_target_status_empty() -> None:
    values = pl.DataFrame(schema={"metric": pl.String, "value": pl.Float64})
    expected = pl.DataFrame(
        schema={
            "metric": pl.String,
            "value": pl.Float64,
            "target": pl.Float64,
            "target_gap": pl.Float64,
            "target_gap_pct": pl.Float64,
            "status": pl.String,
        }
    )
    result = target_status(values, pl.DataFrame(schema=COMPANY_TARGET_SCHEMA), CATALOG, ["metric"])
    assert_frame_equal(result, expected)


# --- kpi_table --------------------------------------------------------------------------------------------------------

KPI_SCHEMA = {
    "metric": pl.String,
    "label": pl.String,
    "unit": pl.String,
    "higher_is_better": pl.Boolean,
    "value": pl.Float64,
    "previous": pl.Float64,
    "delta": pl.Float64,
    "delta_pct": pl.Float64,
    "improved": pl.Boolean,
    "target": pl.Float64,
    "target_gap": pl.Float64,
    "target_gap_pct": pl.Float64,
    "status": pl.String,
    "overview": pl.Int64,
}


def test_kpi_table_company_view() -> None:
    expected = pl.DataFrame(
        [
            # Overview positions first (nrr 1, arr 2), then the catalog's order.
            ("nrr", "NRR", "percent", True, 1.25, 1.0, 0.25, 0.25, True, 1.25, 0.0, 0.0, "met", 1),
            # arr's Q1 target does not apply to February: no target, gap or status.
            ("arr", "ARR", "currency", True, 245.0, 220.0, 25.0, 25 / 220, True, None, None, None, None, 2),
            (
                "bookings",
                "Bookings",
                "currency",
                True,
                7.0,
                18.0,
                -11.0,
                -11 / 18,
                False,
                308.0,
                -301.0,
                -301 / 308,
                "missed",
                None,
            ),
            ("churn", "Logo churn", "percent", False, None, 2.0, None, None, None, 1.5, None, None, None, None),
        ],
        schema=KPI_SCHEMA,
        orient="row",
    )
    result = kpi_table(METRICS_FRAME, CATALOG, TARGETS_FRAME, FEBRUARY, JANUARY, None, ["A", "B"])
    assert_frame_equal(result, expected)


def test_kpi_table_one_line_uses_its_targets() -> None:
    expected = pl.DataFrame(
        [
            ("nrr", "NRR", "percent", True, 0.75, 0.75, 0.0, 0.0, None, 1.0, -0.25, -0.25, "missed", 1),
            ("arr", "ARR", "currency", True, 50.0, 45.0, 5.0, 5 / 45, True, None, None, None, None, 2),
            ("bookings", "Bookings", "currency", True, None, 3.0, None, None, None, 28.0, None, None, None, None),
        ],
        schema=KPI_SCHEMA,
        orient="row",
    )
    result = kpi_table(METRICS_FRAME, CATALOG, TARGETS_FRAME, FEBRUARY, JANUARY, ["B"], ["A", "B"])
    assert_frame_equal(result, expected)


def test_kpi_table_quarter_ending_on_the_stock_target_end() -> None:
    quarter = Period(date(2025, 1, 1), date(2025, 3, 31), "quarter", "Q1 2025")
    previous_quarter = Period(date(2024, 10, 1), date(2024, 12, 31), "quarter", "Q4 2024")
    # The quarter ends on 31 Mar, the end of arr's Q1 targets: they apply, each line's and the company's.
    by_line = targets_for_period(TARGETS_FRAME, CATALOG, quarter, None, ["A", "B"], True)
    expected_by_line = pl.DataFrame(
        [
            ("arr", "A", 190.0),
            ("arr", "B", 55.0),
            ("bookings", "A", 900.0),  # the quarter's own target, whole; not the yearly 7300 × 90 / 365
            ("bookings", "B", 90.0),
            ("nrr", "A", 1.25),
            ("nrr", "B", 1.0),
        ],
        schema=LINE_TARGET_SCHEMA,
        orient="row",
    )
    assert_frame_equal(by_line, expected_by_line)
    company_targets = targets_for_period(TARGETS_FRAME, CATALOG, quarter, None, ["A", "B"], False)
    assert_frame_equal(
        company_targets.filter(pl.col("metric") == "arr"), pl.DataFrame({"metric": ["arr"], "target": [250.0]})
    )

    # Company: arr 130 + 65 + 50 on 3 Feb = 245 misses the company row's 250 (not 190 + 55 = 245, which it would meet).
    # nrr: the series means 1.5, 1.125 and 0.75 average to 1.125, meeting the lines' mean target (1.25 + 1.0) / 2.
    # bookings 10 + 5 + 7 + 3 = 25 against 900 + 90; churn 2.0 against 1.5, where lower is better.
    # Q4 2024 has no rows: no previous value, change or direction.
    expected_company = pl.DataFrame(
        [
            ("nrr", "NRR", "percent", True, 1.125, None, None, None, None, 1.125, 0.0, 0.0, "met", 1),
            ("arr", "ARR", "currency", True, 245.0, None, None, None, None, 250.0, -5.0, -0.02, "missed", 2),
            (
                "bookings",
                "Bookings",
                "currency",
                True,
                25.0,
                None,
                None,
                None,
                None,
                990.0,
                -965.0,
                -965 / 990,
                "missed",
                None,
            ),
            ("churn", "Logo churn", "percent", False, 2.0, None, None, None, None, 1.5, 0.5, 1 / 3, "missed", None),
        ],
        schema=KPI_SCHEMA,
        orient="row",
    )
    company = kpi_table(METRICS_FRAME, CATALOG, TARGETS_FRAME, quarter, previous_quarter, None, ["A", "B"])
    assert_frame_equal(company, expected_company)

    # Line A alone: arr 130 + 65 = 195 meets its 190; nrr (1.5 + 1.125) / 2 = 1.3125 meets its 1.25;
    # bookings 10 + 5 + 7 = 22 misses its 900; churn has only a company target, which no longer applies.
    expected_line_a = pl.DataFrame(
        [
            ("nrr", "NRR", "percent", True, 1.3125, None, None, None, None, 1.25, 0.0625, 0.05, "met", 1),
            ("arr", "ARR", "currency", True, 195.0, None, None, None, None, 190.0, 5.0, 5 / 190, "met", 2),
            (
                "bookings",
                "Bookings",
                "currency",
                True,
                22.0,
                None,
                None,
                None,
                None,
                900.0,
                -878.0,
                -878 / 900,
                "missed",
                None,
            ),
            ("churn", "Logo churn", "percent", False, 2.0, None, None, None, None, None, None, None, None, None),
        ],
        schema=KPI_SCHEMA,
        orient="row",
    )
    line_a = kpi_table(METRICS_FRAME, CATALOG, TARGETS_FRAME, quarter, previous_quarter, ["A"], ["A", "B"])
    assert_frame_equal(line_a, expected_line_a)


def test_kpi_table_lower_is_better_improves_when_it_falls() -> None:
    churn = pl.DataFrame(
        {
            "date": [date(2025, 1, 15), date(2025, 2, 12)],
            "product_line": ["A", "A"],
            "metric": ["churn", "churn"],
            "value": [2.0, 1.0],
        },
        schema={"date": pl.Date, "product_line": pl.String, "metric": pl.String, "value": pl.Float64},
    )
    catalog = CATALOG.drop("overview", "role")
    expected = pl.DataFrame(
        [("churn", "Logo churn", "percent", False, 1.0, 2.0, -1.0, -0.5, True, 1.5, -0.5, -1 / 3, "met", None)],
        schema=KPI_SCHEMA,
        orient="row",
    )
    assert_frame_equal(kpi_table(churn, catalog, TARGETS_FRAME, FEBRUARY, JANUARY, None, ["A"]), expected)


def test_kpi_table_empty() -> None:
    result = kpi_table(METRICS.empty(), CATALOG, TARGETS.empty(), FEBRUARY, JANUARY, None, [])
    assert_frame_equal(result, pl.DataFrame(schema=KPI_SCHEMA))


# --- metric_trend -----------------------------------------------------------------------------------------------------


def test_metric_trend_in_scope() -> None:
    result = metric_trend(METRICS_FRAME, CATALOG, "arr", "month", 1, ["A"], date(2025, 1, 1), date(2025, 1, 31))
    expected = pl.DataFrame(
        {"product_line": ["A"], "period_start": [date(2025, 1, 1)], "value": [175.0]},
        schema={"product_line": pl.String, "period_start": pl.Date, "value": pl.Float64},
    )
    assert_frame_equal(result, expected)


def test_metric_trend_rounds_to_four_decimals() -> None:
    frame = pl.DataFrame(
        {
            "date": [date(2025, 1, 1), date(2025, 1, 2), date(2025, 1, 3)],
            "product_line": ["A", "A", "A"],
            "metric": ["churn", "churn", "churn"],
            "value": [0.1, 0.2, 0.2],
        },
        schema={"date": pl.Date, "product_line": pl.String, "metric": pl.String, "value": pl.Float64},
    )
    result = metric_trend(frame, CATALOG, "churn", "quarter", 1, None, None, None, by=())
    expected = pl.DataFrame({"period_start": [date(2025, 1, 1)], "value": [0.1667]})
    assert_frame_equal(result, expected, check_exact=True)


def test_metric_trend_unknown_metric_is_empty() -> None:
    result = metric_trend(METRICS_FRAME, CATALOG, "nps", "month", 1, None, None, None)
    expected = pl.DataFrame(schema={"product_line": pl.String, "period_start": pl.Date, "value": pl.Float64})
    assert_frame_equal(result, expected)


# --- overview_metrics and revenue_metric ------------------------------------------------------------------------------


def test_overview_metrics_in_position_order() -> None:
    assert overview_metrics(CATALOG) == (["nrr", "arr"], False)


def test_overview_metrics_ties_keep_catalog_order() -> None:
    catalog = CATALOG.with_columns(pl.Series("overview", [None, 1, 1, None], dtype=pl.Int64))
    assert overview_metrics(catalog) == (["bookings", "nrr"], False)


def test_overview_metrics_fall_back_to_first_three() -> None:
    assert overview_metrics(CATALOG.drop("overview")) == (["arr", "bookings", "nrr"], True)
    no_positions = CATALOG.with_columns(pl.lit(None, dtype=pl.Int64).alias("overview"))
    assert overview_metrics(no_positions) == (["arr", "bookings", "nrr"], True)
    assert overview_metrics(CATALOG.head(1).drop("overview")) == (["arr"], True)
    assert overview_metrics(METRIC_CATALOG.empty()) == ([], True)


def test_revenue_metric_from_role() -> None:
    assert revenue_metric(CATALOG) == ("arr", False)


def test_revenue_metric_falls_back() -> None:
    catalog = pl.DataFrame(
        {
            "metric": ["nps", "bookings", "mrr", "arr"],
            "unit": ["score", "currency", "currency", "currency"],
            "aggregation": ["mean", "sum", "last", "last"],
        }
    )
    assert revenue_metric(catalog) == ("mrr", True)
    assert revenue_metric(catalog.with_columns(pl.lit(None, dtype=pl.String).alias("role"))) == ("mrr", True)
    assert revenue_metric(catalog.head(2)) == ("nps", True)
    assert revenue_metric(METRIC_CATALOG.empty()) == (None, True)


def test_percent_stocks_are_averaged_across_lines_not_added() -> None:
    catalog = pl.DataFrame(
        {
            "metric": ["nrr_trailing", "accounts"],
            "label": ["NRR", "Accounts"],
            "unit": ["percent", "count"],
            "aggregation": ["last", "last"],
            "higher_is_better": [True, True],
        }
    )
    metrics = pl.DataFrame(
        [
            (date(2025, 1, 1), "A", "nrr_trailing", 100.0, None, None),
            (date(2025, 2, 1), "A", "nrr_trailing", 110.0, None, None),  # A's last in Q1: 110
            (date(2025, 3, 1), "B", "nrr_trailing", 120.0, None, None),  # B's last in Q1: 120
            (date(2025, 3, 1), "A", "accounts", 10.0, None, None),
            (date(2025, 3, 1), "B", "accounts", 5.0, None, None),
        ],
        schema=METRICS_FRAME.schema,
        orient="row",
    )
    quarter = Period(date(2025, 1, 1), date(2025, 3, 31), "quarter", "Q1 FY25")
    result = period_values(metrics, catalog, quarter, by=())
    assert result.select("metric", "value").rows() == [("accounts", 15.0), ("nrr_trailing", 115.0)]


def test_prepared_metrics_carry_the_catalog_columns_and_each_metric_grain() -> None:
    prepared = prepare_metrics(METRICS_FRAME, CATALOG)
    assert prepared.height == 20
    assert is_prepared(prepared)
    assert not is_prepared(METRICS_FRAME)
    per_metric = (
        prepared.group_by("metric")
        .agg(
            pl.col("aggregation").first().cast(pl.String),
            pl.col("unit").first().cast(pl.String),
            pl.col("grain").first().cast(pl.String),
        )
        .sort("metric")
    )
    expected = pl.DataFrame(
        {
            "metric": ["arr", "bookings", "churn", "nrr"],
            "aggregation": ["last", "sum", "mean", "mean"],
            "unit": ["currency", "currency", "percent", "percent"],
            "grain": ["week", "day", "day", "month"],
        }
    )
    assert_frame_equal(per_metric, expected)


def test_prepared_metrics_roll_up_as_the_raw_rows_do() -> None:
    prepared = prepare_metrics(METRICS_FRAME, CATALOG)
    values = period_values(prepared, CATALOG, JANUARY).select("metric", "product_line", "value")
    # arr: A's Ent last 120 + SMB last 55; nrr: A's mean of its series' means (1.25, 1.0); bookings: sums.
    expected = pl.DataFrame(
        {
            "metric": ["arr", "arr", "bookings", "bookings", "churn", "nrr", "nrr"],
            "product_line": ["A", "B", "A", "B", "A", "A", "B"],
            "value": [175.0, 45.0, 15.0, 3.0, 2.0, 1.125, 0.75],
        }
    )
    assert_frame_equal(values, expected)
    assert_frame_equal(
        period_values(METRICS_FRAME, CATALOG, JANUARY).select("metric", "product_line", "value"), expected
    )


def test_a_part_of_prepared_rows_keeps_its_metric_grain() -> None:
    # Bookings on 1 Feb alone would read as monthly (a first of the month); the prepared rows know it is daily.
    one_day = pl.col("metric").eq("bookings") & pl.col("date").eq(date(2025, 2, 1))
    expected = pl.DataFrame({"metric": ["bookings"], "grain": ["day"]})
    assert_frame_equal(metric_grains(prepare_metrics(METRICS_FRAME, CATALOG).filter(one_day)), expected)
    assert metric_grains(METRICS_FRAME.filter(one_day)).get_column("grain").to_list() == ["month"]


def test_preparing_no_rows_gives_no_rows() -> None:
    prepared = prepare_metrics(METRICS_FRAME.clear(), CATALOG)
    assert prepared.height == 0
    assert is_prepared(prepared)


# --- rolled up per month (monthly_metrics) ---------------------------------------------------------------------------


def _daily_rows() -> pl.DataFrame:
    # Seven months of daily rows for every catalog metric (a stock, a flow, two rates), two lines, two segments, with
    # values that are not round, rows of the same day twice in one series, and a series that stops in March.
    days = pl.date_range(date(2024, 11, 1), date(2025, 5, 31), eager=True).to_list()
    rows = []
    for index, day in enumerate(days):
        for metric_index, metric in enumerate(("arr", "bookings", "nrr", "churn")):
            for line, segment in (("A", "Ent"), ("A", "SMB"), ("B", None)):
                if line == "B" and day > date(2025, 3, 10) and metric == "arr":
                    continue
                value = ((index * 37 + metric_index * 11 + len(line + (segment or ""))) % 97) / 7.0
                rows.append((day, line, metric, value, segment, None))
                if index % 45 == 0:
                    rows.append((day, line, metric, value + 1.5, segment, None))
    frame = pl.DataFrame(rows, schema=METRICS.schema, orient="row")
    return prepare_metrics(frame, CATALOG).sort("date", maintain_order=True).with_columns(pl.col("date").set_sorted())


@pytest.mark.parametrize(
    "period",
    [
        Period(date(2025, 2, 1), date(2025, 2, 28), "month", "Feb 2025"),
        Period(date(2025, 1, 1), date(2025, 3, 31), "quarter", "Q1 2025"),
        Period(date(2024, 11, 1), date(2025, 1, 31), "quarter", "Q4 FY25"),
        Period(date(2025, 1, 1), date(2025, 12, 31), "year", "2025"),
    ],
)
@pytest.mark.parametrize("by", [(), ("product_line",), ("product_line", "segment")])
def test_monthly_rows_roll_up_to_the_daily_rows_numbers(period: Period, by: tuple[str, ...]) -> None:
    daily = _daily_rows()
    monthly = monthly_metrics(daily, CATALOG)
    assert is_monthly(monthly)
    assert monthly.height < daily.height / 20
    assert_frame_equal(
        period_values(monthly, CATALOG, period, by=by), period_values(daily, CATALOG, period, by=by), abs_tol=1e-9
    )


@pytest.mark.parametrize("part_rows", [1, 100, 1_500, 10_000_000])
def test_monthly_rows_rolled_up_in_parts_are_the_rows_of_one_roll_up(
    monkeypatch: pytest.MonkeyPatch, part_rows: int
) -> None:
    # months are rolled up a few at a time; every size of part gives the very rows (and order) of one group-by
    daily = _daily_rows()
    expected = (
        daily.group_by(
            "metric", "product_line", "segment", "region", pl.col("date").dt.month_start(), maintain_order=True
        )
        .agg(
            pl.col("aggregation", "unit", "grain").first(),
            pl.col("value").last(),
            pl.col("value").sum().alias("value_sum"),
            pl.len().cast(pl.Int64).alias("observations"),
        )
        .sort("date", maintain_order=True)
    )
    monkeypatch.setattr("insights.metrics._MONTHLY_PART_ROWS", part_rows)
    assert_frame_equal(monthly_metrics(daily, CATALOG), expected)


@pytest.mark.parametrize("granularity", ["month", "quarter", "year"])
@pytest.mark.parametrize("fiscal_year", [1, 2, 4])
def test_monthly_rows_give_the_daily_rows_values_per_period(granularity: Granularity, fiscal_year: int) -> None:
    daily = _daily_rows()
    monthly = monthly_metrics(daily, CATALOG)
    assert_frame_equal(
        metric_values(monthly, CATALOG, granularity, fiscal_year),
        metric_values(daily, CATALOG, granularity, fiscal_year),
        abs_tol=1e-9,
    )
    february, january = (
        Period(date(2025, 2, 1), date(2025, 2, 28), "month", "Feb 2025"),
        Period(date(2025, 1, 1), date(2025, 1, 31), "month", "Jan 2025"),
    )
    assert_frame_equal(
        kpi_table(monthly, CATALOG, TARGETS.empty(), february, january, ["A"], ["A", "B"]),
        kpi_table(daily, CATALOG, TARGETS.empty(), february, january, ["A"], ["A", "B"]),
        abs_tol=1e-9,
    )


def test_metric_rows_are_monthly_only_for_whole_months_and_not_weeks() -> None:
    daily = _daily_rows()
    datasets = {"metrics": daily, MONTHLY_METRICS: monthly_metrics(daily, CATALOG)}
    assert metric_rows(datasets, date(2025, 1, 1), date(2025, 3, 31), "quarter") is datasets[MONTHLY_METRICS]
    assert metric_rows(datasets, date(2024, 2, 1), date(2024, 2, 29), "month") is datasets[MONTHLY_METRICS]
    assert metric_rows(datasets, date(2025, 1, 1), date(2025, 3, 31), "week") is daily
    assert metric_rows(datasets, date(2025, 1, 2), date(2025, 3, 31), "quarter") is daily
    assert metric_rows(datasets, date(2025, 1, 1), date(2025, 3, 30), "quarter") is daily
    assert metric_rows({"metrics": daily}, date(2025, 1, 1), date(2025, 3, 31), "quarter") is daily
