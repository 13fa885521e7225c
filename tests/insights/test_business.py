"""Tests for insights.business: picker groups, definitions, KPI, line ranking, period table, targets, breakdowns."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from insights.business import (
    MetricDefinition,
    MetricGroup,
    breakdown,
    change_text,
    exact_text,
    group_of,
    line_changes,
    metric_definition,
    metric_groups,
    metric_kpi,
    metric_labels,
    metric_named,
    partial_period_labels,
    period_table,
    shown_at_own_grain,
    total_vs_target,
    whole_period_values,
)
from insights.formatting import NumberFormat
from insights.metrics import monthly_metrics, prepare_metrics
from insights.periods import Granularity, Period
from sources.contracts import METRIC_CATALOG, METRICS, TARGETS

CATALOG = pl.DataFrame(
    {
        "metric": ["arr", "bookings", "churn", "nps"],
        "label": ["ARR", "Bookings", "Logo churn", None],
        "unit": ["currency", "currency", "percent", "score"],
        "aggregation": ["last", "sum", "mean", "mean"],
        "higher_is_better": [True, True, False, True],
        "pillar": ["business", "business", "customers", None],
        "question": ["Are we growing?", None, "Do we keep customers?", None],
        "owner": ["Finance", "Sales", None, None],
        "description": ["Annual recurring revenue.", None, None, None],
    }
).with_columns(pl.lit(None, dtype=pl.String).alias("role"))

_MONTHS = [date(2025, month, 1) for month in range(1, 7)]


Row = tuple[date, str, str, float, str | None, str | None]


def _monthly(metric: str, line: str, values: list[float | None], segment: str | None = None) -> list[Row]:
    return [
        (day, line, metric, value, segment, None)
        for day, value in zip(_MONTHS, values, strict=True)
        if value is not None
    ]


# arr: a stock; A grows, B shrinks in Q2. bookings: a flow split by segment in A only. churn: a rate, B starts in April.
METRICS_FRAME = pl.DataFrame(
    [
        *_monthly("arr", "A", [100.0, 110.0, 120.0, 130.0, 140.0, 150.0]),
        *_monthly("arr", "B", [50.0, 50.0, 60.0, 55.0, 50.0, 45.0]),
        *_monthly("bookings", "A", [10.0, 20.0, 30.0, 40.0, 50.0, 60.0], "Ent"),
        *_monthly("bookings", "A", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "SMB"),
        *_monthly("bookings", "B", [5.0, 5.0, 5.0, 5.0, 5.0, 5.0]),
        *_monthly("churn", "A", [2.0, 1.0, 3.0, 1.0, 1.0, 1.0]),
        *_monthly("churn", "B", [None, None, None, 4.0, 2.0, 3.0]),
        *_monthly("churn", "C", [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
    ],
    schema=METRICS.schema,
    orient="row",
)

TARGETS_FRAME = pl.DataFrame(
    [
        ("arr", date(2025, 1, 1), date(2025, 3, 31), 170.0, None),
        ("arr", date(2025, 4, 1), date(2025, 6, 30), 200.0, None),
        # A half-year target of a stock applies only where it ends, and the quarter's own target is more specific.
        ("arr", date(2025, 1, 1), date(2025, 6, 30), 999.0, None),
        ("arr", date(2025, 4, 1), date(2025, 6, 30), 140.0, "A"),
        # A flow's half-year target is spread over the days: 362 × 90 / 181 = 180 for Q1, × 91 / 181 = 182 for Q2.
        ("bookings", date(2025, 1, 1), date(2025, 6, 30), 362.0, None),
    ],
    schema=TARGETS.schema,
    orient="row",
)

Q1 = Period(date(2025, 1, 1), date(2025, 3, 31), "quarter", "Q1 FY25")
Q2 = Period(date(2025, 4, 1), date(2025, 6, 30), "quarter", "Q2 FY25")

TABLE_SCHEMA = {
    "product_line": pl.String(),
    "period": pl.String(),
    "period_start": pl.Date(),
    "complete": pl.Boolean(),
    "value": pl.Float64(),
    "previous": pl.Float64(),
    "delta": pl.Float64(),
    "delta_pct": pl.Float64(),
}
TOTALS_SCHEMA = {
    "period": pl.String(),
    "period_start": pl.Date(),
    "period_end": pl.Date(),
    "complete": pl.Boolean(),
    "value": pl.Float64(),
    "target": pl.Float64(),
}
CHANGES_SCHEMA = {
    "product_line": pl.String(),
    "value": pl.Float64(),
    "previous": pl.Float64(),
    "delta": pl.Float64(),
    "delta_pct": pl.Float64(),
    "change": pl.Float64(),
    "improved": pl.Boolean(),
}
NUMBERS = NumberFormat("USD", "en_US")


# --- metric_groups, metric_labels, group_of --------------------------------------------------------------------------


def test_metric_groups_by_pillar_in_catalog_order_with_other_for_none() -> None:
    assert metric_groups(CATALOG) == [
        MetricGroup("business", "Business", ("arr", "bookings")),
        MetricGroup("customers", "Customers", ("churn",)),
        MetricGroup("other", "Other", ("nps",)),
    ]


def test_metric_groups_fall_back_to_unit_with_fewer_than_two_pillars() -> None:
    expected = [
        MetricGroup("currency", "Money", ("arr", "bookings")),
        MetricGroup("percent", "Percentages", ("churn",)),
        MetricGroup("score", "Scores", ("nps",)),
    ]
    assert metric_groups(CATALOG.with_columns(pl.lit("business").alias("pillar"))) == expected
    assert metric_groups(CATALOG.drop("pillar")) == expected


def test_metric_groups_empty_catalog() -> None:
    assert metric_groups(METRIC_CATALOG.empty()) == []


def test_metric_labels_use_the_id_without_a_label() -> None:
    assert metric_labels(CATALOG) == {"arr": "ARR", "bookings": "Bookings", "churn": "Logo churn", "nps": "nps"}


def test_metric_named_by_id_or_label() -> None:
    labels = metric_labels(CATALOG)
    assert metric_named(labels, "churn") == "churn"
    assert metric_named(labels, "Logo churn") == "churn"
    assert metric_named(labels, "logo churn") is None
    assert metric_named(labels, None) is None


def test_group_of() -> None:
    groups = metric_groups(CATALOG)
    assert group_of(groups, "churn") == "customers"
    assert group_of(groups, "nps") == "other"
    assert group_of(groups, "unknown") is None
    assert group_of(groups, None) is None


# --- definitions -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("grain", "granularity", "expected"),
    [
        ("month", "week", True),
        ("month", "month", False),
        ("month", "quarter", False),
        ("week", "week", False),
        ("day", "week", False),
        (None, "week", False),
    ],
)
def test_shown_at_own_grain(grain: str | None, granularity: Granularity, expected: bool) -> None:
    assert shown_at_own_grain(grain, granularity) is expected


def test_metric_definition_with_grain_and_a_note_for_a_finer_granularity() -> None:
    assert metric_definition(CATALOG, METRICS_FRAME, "arr", "week") == MetricDefinition(
        metric="arr",
        label="ARR",
        unit="currency",
        aggregation="last",
        higher_is_better=True,
        pillar="business",
        question="Are we growing?",
        description="Annual recurring revenue.",
        owner="Finance",
        grain="month",
        shown_at_own_grain=True,
    )
    churn = metric_definition(CATALOG, METRICS_FRAME, "churn", "quarter")
    assert churn is not None
    assert (churn.label, churn.higher_is_better, churn.owner, churn.grain, churn.shown_at_own_grain) == (
        "Logo churn",
        False,
        None,
        "month",
        False,
    )


def test_metric_definition_without_data_or_catalog_entry() -> None:
    nps = metric_definition(CATALOG, METRICS_FRAME, "nps", "week")
    assert nps is not None
    assert (nps.label, nps.grain, nps.shown_at_own_grain) == ("nps", None, False)
    assert metric_definition(CATALOG, METRICS_FRAME, "unknown", "month") is None


# --- metric_kpi ------------------------------------------------------------------------------------------------------


def test_metric_kpi_company_value_change_and_target() -> None:
    kpi = metric_kpi(METRICS_FRAME, CATALOG, TARGETS_FRAME, "arr", Q2, Q1, None, ["A", "B"])
    assert kpi.select("metric", "value", "previous", "delta", "target", "target_gap", "status").rows() == [
        # Q2 = 150 + 45 (June), Q1 = 120 + 60 (March); the company's Q2 target is 200.
        ("arr", 195.0, 180.0, 15.0, 200.0, -5.0, "missed"),
    ]
    assert kpi.get_column("delta_pct").item() == pytest.approx(15 / 180)


def test_metric_kpi_for_one_line_uses_its_target() -> None:
    kpi = metric_kpi(METRICS_FRAME, CATALOG, TARGETS_FRAME, "arr", Q2, Q1, ["A"], ["A", "B"])
    assert kpi.select("value", "previous", "target", "status").rows() == [(150.0, 120.0, 140.0, "met")]


def test_metric_kpi_without_data_is_empty() -> None:
    assert metric_kpi(METRICS_FRAME, CATALOG, TARGETS_FRAME, "nps", Q2, Q1, None, ["A", "B"]).height == 0


# --- change_text, exact_text -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "delta", "delta_pct", "expected"),
    [
        ("currency", 1000.0, 0.032, "+3.2%"),
        ("count", -30.0, -0.125, "−12.5%"),
        ("currency", 1500.0, None, "+$1.5K"),
        ("percent", 0.8, 0.1, "+0.8 pt"),
        ("percent", 0.04, 0.05, "+0.04 pt"),
        ("percent", -0.04, -0.05, "−0.04 pt"),
        ("percent", 0.0, 0.0, "±0.0 pt"),
        ("ratio", 0.12, 0.5, "+0.12"),
        ("percent", None, None, "–"),
    ],
)
def test_change_text(unit: str, delta: float | None, delta_pct: float | None, expected: str) -> None:
    assert change_text(unit, delta, delta_pct, NUMBERS) == expected


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (88904565.0, "currency", "$88,904,565.00"),
        (0.7533333, "percent", "0.753 %"),
        (1204.5, "count", "1,204.5"),
        (-1.5, "ratio", "−1.5"),
        (None, "percent", "–"),
    ],
)
def test_exact_text(value: float | None, unit: str, expected: str) -> None:
    assert exact_text(value, unit, NUMBERS) == expected


# --- line_changes ----------------------------------------------------------------------------------------------------


def test_line_changes_money_by_relative_change_best_first() -> None:
    expected = pl.DataFrame(
        [
            ("A", 150.0, 120.0, 30.0, 0.25, 0.25, True),
            ("B", 45.0, 60.0, -15.0, -0.25, -0.25, False),
        ],
        schema=CHANGES_SCHEMA,
        orient="row",
    )
    assert_frame_equal(line_changes(METRICS_FRAME, CATALOG, "arr", Q2, Q1, None), expected)


def test_line_changes_lower_is_better_in_points_without_unknown_changes() -> None:
    # A's churn fell from mean(2, 1, 3) = 2 to 1: the best. C stayed at 1 (no change). B has no Q1, so no change.
    expected = pl.DataFrame(
        [
            ("A", 1.0, 2.0, -1.0, -0.5, -1.0, True),
            ("C", 1.0, 1.0, 0.0, 0.0, 0.0, None),
        ],
        schema=CHANGES_SCHEMA,
        orient="row",
    )
    assert_frame_equal(line_changes(METRICS_FRAME, CATALOG, "churn", Q2, Q1, None), expected)


def test_line_changes_ties_in_name_order_and_scope() -> None:
    tied = pl.DataFrame(
        [
            (date(2025, 3, 1), "Z", "arr", 10.0, None, None),
            (date(2025, 6, 1), "Z", "arr", 11.0, None, None),
            (date(2025, 3, 1), "Y", "arr", 20.0, None, None),
            (date(2025, 6, 1), "Y", "arr", 22.0, None, None),
        ],
        schema=METRICS.schema,
        orient="row",
    )
    assert line_changes(tied, CATALOG, "arr", Q2, Q1, None).get_column("product_line").to_list() == ["Y", "Z"]
    assert line_changes(tied, CATALOG, "arr", Q2, Q1, ["Z"]).get_column("product_line").to_list() == ["Z"]


def test_line_changes_unknown_metric_or_no_data() -> None:
    empty = pl.DataFrame(schema=CHANGES_SCHEMA)
    assert_frame_equal(line_changes(METRICS_FRAME, CATALOG, "unknown", Q2, Q1, None), empty)
    assert_frame_equal(line_changes(METRICS.empty(), CATALOG, "arr", Q2, Q1, None), empty)


# --- period_table ----------------------------------------------------------------------------------------------------


def test_period_table_quarters_with_a_partial_first_quarter() -> None:
    # The range starts on 1 Feb: Q1 holds Feb and Mar only (partial), January is left out.
    expected = pl.DataFrame(
        [
            ("A", "Q1 FY25", date(2025, 1, 1), False, 120.0, None, None, None),
            ("A", "Q2 FY25", date(2025, 4, 1), True, 150.0, 120.0, 30.0, 0.25),
            ("B", "Q1 FY25", date(2025, 1, 1), False, 60.0, None, None, None),
            ("B", "Q2 FY25", date(2025, 4, 1), True, 45.0, 60.0, -15.0, -0.25),
        ],
        schema=TABLE_SCHEMA,
        orient="row",
    )
    result = period_table(METRICS_FRAME, CATALOG, "arr", "quarter", 1, None, date(2025, 2, 1), date(2025, 6, 30))
    assert_frame_equal(result, expected)


def test_period_table_first_previous_comes_from_before_the_range() -> None:
    expected = pl.DataFrame(
        [("A", "Q2 FY25", date(2025, 4, 1), True, 150.0, 120.0, 30.0, 0.25)],
        schema=TABLE_SCHEMA,
        orient="row",
    )
    result = period_table(METRICS_FRAME, CATALOG, "arr", "quarter", 1, ["A"], date(2025, 4, 1), date(2025, 6, 30))
    assert_frame_equal(result, expected)


def test_period_table_a_rate_by_month_for_one_line() -> None:
    expected = pl.DataFrame(
        [
            ("B", "Apr 2025", date(2025, 4, 1), True, 4.0, None, None, None),
            ("B", "May 2025", date(2025, 5, 1), True, 2.0, 4.0, -2.0, -0.5),
            ("B", "Jun 2025", date(2025, 6, 1), True, 3.0, 2.0, 1.0, 0.5),
        ],
        schema=TABLE_SCHEMA,
        orient="row",
    )
    result = period_table(METRICS_FRAME, CATALOG, "churn", "month", 1, ["B"], date(2025, 1, 1), date(2025, 6, 30))
    assert_frame_equal(result, expected)


def test_period_table_monthly_metric_in_a_weekly_view_stays_monthly() -> None:
    # The week of 1 May starts on Monday 28 Apr; April's row is before it and only gives May its previous value.
    expected = pl.DataFrame(
        [
            ("A", "May 2025", date(2025, 5, 1), True, 140.0, 130.0, 10.0, 0.076923),
            ("A", "Jun 2025", date(2025, 6, 1), False, 150.0, 140.0, 10.0, 0.071429),
        ],
        schema=TABLE_SCHEMA,
        orient="row",
    )
    # The range ends on 15 Jun, inside June: June is partial.
    result = period_table(METRICS_FRAME, CATALOG, "arr", "week", 1, ["A"], date(2025, 5, 1), date(2025, 6, 15))
    assert_frame_equal(result, expected)


def test_period_table_fiscal_year_from_april_and_data_ending_early() -> None:
    # FY26 starts 1 Apr 2025, so April–June is Q1 FY26 and January–March (Q4 FY25) gives its previous value. The range
    # runs to September, but the data covers the quarter to its end (30 Jun), so the quarter is whole.
    result = period_table(METRICS_FRAME, CATALOG, "arr", "quarter", 4, ["B"], date(2025, 4, 1), date(2025, 9, 30))
    expected = pl.DataFrame(
        [("B", "Q1 FY26", date(2025, 4, 1), True, 45.0, 60.0, -15.0, -0.25)],
        schema=TABLE_SCHEMA,
        orient="row",
    )
    assert_frame_equal(result, expected)


def test_period_table_data_ending_inside_a_period_makes_it_partial() -> None:
    short = METRICS_FRAME.filter(pl.col("date") <= date(2025, 5, 1))
    result = period_table(short, CATALOG, "arr", "quarter", 1, ["A"], date(2025, 1, 1), date(2025, 6, 30))
    assert result.select("period", "complete", "value").rows() == [("Q1 FY25", True, 120.0), ("Q2 FY25", False, 140.0)]


def test_period_table_empty() -> None:
    empty = pl.DataFrame(schema=TABLE_SCHEMA)
    assert_frame_equal(
        period_table(METRICS.empty(), CATALOG, "arr", "quarter", 1, None, date(2025, 1, 1), date(2025, 6, 30)), empty
    )
    assert_frame_equal(
        period_table(METRICS_FRAME, CATALOG, "arr", "month", 1, None, date(2026, 1, 1), date(2026, 6, 30)), empty
    )


# --- total_vs_target -------------------------------------------------------------------------------------------------


def test_total_vs_target_company_stock() -> None:
    expected = pl.DataFrame(
        [
            ("Q1 FY25", date(2025, 1, 1), date(2025, 3, 31), True, 180.0, 170.0),
            ("Q2 FY25", date(2025, 4, 1), date(2025, 6, 30), True, 195.0, 200.0),
        ],
        schema=TOTALS_SCHEMA,
        orient="row",
    )
    result = total_vs_target(
        METRICS_FRAME,
        CATALOG,
        TARGETS_FRAME,
        "arr",
        "quarter",
        1,
        None,
        ["A", "B"],
        date(2025, 1, 1),
        date(2025, 6, 30),
    )
    assert_frame_equal(result, expected)


def test_total_vs_target_monthly_stock_target_only_where_its_period_ends() -> None:
    result = total_vs_target(
        METRICS_FRAME, CATALOG, TARGETS_FRAME, "arr", "month", 1, None, ["A", "B"], date(2025, 1, 1), date(2025, 6, 30)
    )
    assert result.select("period", "value", "target").rows() == [
        ("Jan 2025", 150.0, None),
        ("Feb 2025", 160.0, None),
        ("Mar 2025", 180.0, 170.0),
        ("Apr 2025", 185.0, None),
        ("May 2025", 190.0, None),
        ("Jun 2025", 195.0, 200.0),
    ]


def test_total_vs_target_flow_pro_rated_and_partial_period() -> None:
    # Q1 bookings = (10 + 20 + 30) + (1 + 2 + 3) + 3 × 5 = 81; Q2 in range (April, May) = 90 + 9 + 10 = 109, partial.
    expected = pl.DataFrame(
        [
            ("Q1 FY25", date(2025, 1, 1), date(2025, 3, 31), True, 81.0, 180.0),
            ("Q2 FY25", date(2025, 4, 1), date(2025, 6, 30), False, 109.0, 182.0),
        ],
        schema=TOTALS_SCHEMA,
        orient="row",
    )
    result = total_vs_target(
        METRICS_FRAME,
        CATALOG,
        TARGETS_FRAME,
        "bookings",
        "quarter",
        1,
        None,
        ["A", "B"],
        date(2025, 1, 1),
        date(2025, 5, 31),
    )
    assert_frame_equal(result, expected)


def test_total_vs_target_one_line_uses_its_own_targets() -> None:
    result = total_vs_target(
        METRICS_FRAME,
        CATALOG,
        TARGETS_FRAME,
        "arr",
        "quarter",
        1,
        ["A"],
        ["A", "B"],
        date(2025, 1, 1),
        date(2025, 6, 30),
    )
    assert result.select("period", "value", "target").rows() == [("Q1 FY25", 120.0, None), ("Q2 FY25", 150.0, 140.0)]


def test_total_vs_target_without_targets_or_data() -> None:
    result = total_vs_target(
        METRICS_FRAME, CATALOG, TARGETS.empty(), "churn", "quarter", 1, None, ["A", "B", "C"], Q1.start, Q2.end
    )
    # A rate is the mean of its lines' means: Q1 mean(2, 1) = 1.5 (B has no Q1); Q2 mean(1, 3, 1) = 1.6667.
    assert result.select("period", "value", "target").rows() == [
        ("Q1 FY25", 1.5, None),
        ("Q2 FY25", 1.6667, None),
    ]
    empty = total_vs_target(METRICS.empty(), CATALOG, TARGETS_FRAME, "arr", "quarter", 1, None, ["A"], Q1.start, Q2.end)
    assert_frame_equal(empty, pl.DataFrame(schema=TOTALS_SCHEMA))


# --- breakdown -------------------------------------------------------------------------------------------------------


def test_breakdown_by_segment_largest_first_without_unsegmented_rows() -> None:
    expected = pl.DataFrame(
        [("Ent", 150.0, 60.0, 90.0, 1.5), ("SMB", 15.0, 6.0, 9.0, 1.5)],
        schema={
            "segment": pl.String,
            "value": pl.Float64,
            "previous": pl.Float64,
            "delta": pl.Float64,
            "delta_pct": pl.Float64,
        },
        orient="row",
    )
    assert_frame_equal(breakdown(METRICS_FRAME, CATALOG, "bookings", "segment", Q2, Q1, None), expected)


def test_breakdown_ties_by_name_and_new_groups_without_previous() -> None:
    frame = pl.DataFrame(
        [
            (date(2025, 4, 1), "A", "bookings", 5.0, None, "NA"),
            (date(2025, 4, 1), "A", "bookings", 5.0, None, "EMEA"),
            (date(2025, 1, 1), "A", "bookings", 2.0, None, "EMEA"),
        ],
        schema=METRICS.schema,
        orient="row",
    )
    result = breakdown(frame, CATALOG, "bookings", "region", Q2, Q1, None)
    assert result.rows() == [("EMEA", 5.0, 2.0, 3.0, 1.5), ("NA", 5.0, None, None, None)]


def test_breakdown_empty_when_the_metric_has_none_or_the_scope_leaves_nothing() -> None:
    assert breakdown(METRICS_FRAME, CATALOG, "arr", "segment", Q2, Q1, None).height == 0
    assert breakdown(METRICS_FRAME, CATALOG, "bookings", "region", Q2, Q1, None).height == 0
    assert breakdown(METRICS_FRAME, CATALOG, "bookings", "segment", Q2, Q1, ["B"]).height == 0
    assert breakdown(METRICS_FRAME.drop("segment"), CATALOG, "bookings", "segment", Q2, Q1, None).columns == [
        "segment",
        "value",
        "previous",
        "delta",
        "delta_pct",
    ]


# --- partial_period_labels, whole_period_values --------------------------------------------------------------------


def test_partial_periods_and_whole_period_values() -> None:
    totals = pl.DataFrame(
        [
            ("Q2 FY25", date(2025, 4, 1), date(2025, 6, 30), False, 10.0, None),
            ("Q4 FY24", date(2024, 10, 1), date(2024, 12, 31), False, 7.0, None),
            ("Q1 FY25", date(2025, 1, 1), date(2025, 3, 31), True, 8.0, None),
            ("Q3 FY25", date(2025, 7, 1), date(2025, 9, 30), True, None, None),
        ],
        schema=TOTALS_SCHEMA,
        orient="row",
    )
    assert partial_period_labels(totals) == ["Q4 FY24", "Q2 FY25"]
    assert whole_period_values(totals) == [8.0]
    assert partial_period_labels(totals.head(0)) == []
    assert whole_period_values(totals.head(0)) == []


# --- read per month (monthly_metrics) --------------------------------------------------------------------------------


def _daily_metrics() -> pl.DataFrame:
    # Daily rows of every metric from November to June (two of them on some days), prepared and in date order.
    days = pl.date_range(date(2024, 11, 1), date(2025, 6, 30), eager=True).to_list()
    rows: list[Row] = []
    for index, day in enumerate(days):
        for offset, (metric, line, segment) in enumerate(
            [
                ("arr", "A", None),
                ("arr", "B", None),
                ("bookings", "A", "Ent"),
                ("bookings", "A", "SMB"),
                ("churn", "B", None),
            ]
        ):
            value = ((index * 13 + offset * 7) % 41) / 3.0
            rows.append((day, line, metric, value, segment, None))
            if index % 30 == 0:
                rows.append((day, line, metric, value + 2.0, segment, None))
    frame = pl.DataFrame(rows, schema=METRICS.schema, orient="row")
    return prepare_metrics(frame, CATALOG).sort("date", maintain_order=True).with_columns(pl.col("date").set_sorted())


@pytest.mark.parametrize("metric", ["arr", "bookings", "churn"])
@pytest.mark.parametrize(
    ("granularity", "start", "end"),
    [
        ("quarter", date(2025, 2, 1), date(2025, 6, 30)),  # whole months, a partial first quarter
        ("month", date(2025, 1, 1), date(2025, 5, 31)),
        ("year", date(2024, 11, 1), date(2025, 6, 30)),
        ("quarter", date(2025, 1, 15), date(2025, 6, 30)),  # cut mid-month: the daily rows are read
        ("week", date(2025, 1, 1), date(2025, 3, 31)),  # weeks: the daily rows are read
    ],
)
def test_business_numbers_from_monthly_rows_equal_those_from_daily_rows(
    metric: str, granularity: Granularity, start: date, end: date
) -> None:
    daily = _daily_metrics()
    monthly = monthly_metrics(daily, CATALOG)
    for lines in (None, ["A"]):
        assert_frame_equal(
            period_table(daily, CATALOG, metric, granularity, 1, lines, start, end, monthly),
            period_table(daily, CATALOG, metric, granularity, 1, lines, start, end),
            abs_tol=1e-9,
        )
        assert_frame_equal(
            total_vs_target(
                daily, CATALOG, TARGETS_FRAME, metric, granularity, 1, lines, ["A", "B"], start, end, monthly
            ),
            total_vs_target(daily, CATALOG, TARGETS_FRAME, metric, granularity, 1, lines, ["A", "B"], start, end),
            abs_tol=1e-9,
        )
    assert_frame_equal(
        breakdown(monthly, CATALOG, metric, "segment", Q2, Q1, None),
        breakdown(daily, CATALOG, metric, "segment", Q2, Q1, None),
        abs_tol=1e-9,
    )
    assert_frame_equal(
        line_changes(monthly, CATALOG, metric, Q2, Q1, None),
        line_changes(daily, CATALOG, metric, Q2, Q1, None),
        abs_tol=1e-9,
    )
    assert_frame_equal(
        metric_kpi(monthly, CATALOG, TARGETS_FRAME, metric, Q2, Q1, None, ["A", "B"]),
        metric_kpi(daily, CATALOG, TARGETS_FRAME, metric, Q2, Q1, None, ["A", "B"]),
        abs_tol=1e-9,
    )
