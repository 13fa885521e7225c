"""Tests for insights.overview: KPI cards, the scorecard, paired trends, headline changes and card texts, by hand."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from insights.formatting import NumberFormat
from insights.overview import (
    CARD_SCHEMA,
    CardText,
    card_text,
    change_basis,
    change_text,
    coarser_metric_labels,
    feedback_days,
    headline_changes,
    overview_cards,
    paired_trends,
    product_line_scorecard,
    revenue_metric_info,
    sparkline_periods,
)
from insights.periods import Period
from insights.scope import View
from sources.contracts import ADOPTION, CONTRACTS, FEEDBACK, METRIC_CATALOG, METRICS, PRACTICES, TARGETS, TEAMS

JANUARY = Period(date(2025, 1, 1), date(2025, 1, 31), "month", "Jan 2025")
FEBRUARY = Period(date(2025, 2, 1), date(2025, 2, 28), "month", "Feb 2025")
MARCH = Period(date(2025, 3, 1), date(2025, 3, 31), "month", "Mar 2025")
US = NumberFormat("USD", "en_US")


def view(lines: tuple[str, ...] = ("A", "B"), start: date = date(2025, 1, 1), granularity: str = "month") -> View:
    """March 2025 against February, in a January–March range (monthly unless asked)."""
    return View(
        product_lines=lines,
        all_product_lines=("A", "B"),
        start=start,
        end=date(2025, 3, 31),
        granularity=granularity,  # type: ignore[arg-type]
        comparison_mode="previous",
        period=MARCH,
        comparison=FEBRUARY,
        data_end=date(2025, 3, 31),
    )


def catalog() -> pl.DataFrame:
    """Logo churn is the first card, ARR (the revenue metric) the second; bookings is not on the Overview."""
    rows = [
        ("arr", "ARR", "currency", "last", True, 2, "revenue"),
        ("churn", "Logo churn", "percent", "mean", False, 1, None),
        ("bookings", "Bookings", "currency", "sum", True, None, None),
    ]
    return pl.DataFrame(
        [
            {
                "metric": metric,
                "label": label,
                "unit": unit,
                "aggregation": aggregation,
                "higher_is_better": higher_is_better,
                "overview": overview,
                "role": role,
            }
            for metric, label, unit, aggregation, higher_is_better, overview, role in rows
        ],
        schema=METRIC_CATALOG.schema,
    )


def metrics() -> pl.DataFrame:
    """Monthly values. ARR: A 100 → 110 → 121, B 50 → 50 → 40. Churn: A 1 → 2 → 3, B 1 → 1 → 2. Bookings: A, March."""
    rows = [
        ("2025-01-01", "A", "arr", 100.0),
        ("2025-02-01", "A", "arr", 110.0),
        ("2025-03-01", "A", "arr", 121.0),
        ("2025-01-01", "B", "arr", 50.0),
        ("2025-02-01", "B", "arr", 50.0),
        ("2025-03-01", "B", "arr", 40.0),
        ("2025-01-01", "A", "churn", 1.0),
        ("2025-02-01", "A", "churn", 2.0),
        ("2025-03-01", "A", "churn", 3.0),
        ("2025-01-01", "B", "churn", 1.0),
        ("2025-02-01", "B", "churn", 1.0),
        ("2025-03-01", "B", "churn", 2.0),
        ("2025-03-01", "A", "bookings", 5.0),
    ]
    return pl.DataFrame(
        [
            {"date": date.fromisoformat(day), "product_line": line, "metric": metric, "value": value}
            for day, line, metric, value in rows
        ],
        schema=METRICS.schema,
    )


def targets() -> pl.DataFrame:
    """A company ARR target for March (170) and a churn target per line for the half-year (A 2.5, B 2.0)."""
    rows = [
        ("arr", "2025-03-01", "2025-03-31", 170.0, None),
        ("churn", "2025-01-01", "2025-06-30", 2.5, "A"),
        ("churn", "2025-01-01", "2025-06-30", 2.0, "B"),
    ]
    return pl.DataFrame(
        [
            {
                "metric": metric,
                "period_start": date.fromisoformat(start),
                "period_end": date.fromisoformat(end),
                "target": target,
                "product_line": line,
            }
            for metric, start, end, target, line in rows
        ],
        schema=TARGETS.schema,
    )


def feedback() -> pl.DataFrame:
    """January: one promoter (A). February: A 10, 10; B 0, 7. March: A 10, 9, 3 and an unscored row; B 6, 8."""
    rows: list[tuple[str, str, int | None, str, str | None]] = [
        ("2025-01-15", "A", 9, "positive", "Speed"),
        ("2025-02-10", "A", 10, "positive", "Speed"),
        ("2025-02-11", "A", 10, "positive", None),
        ("2025-02-12", "B", 0, "negative", "Setup"),
        ("2025-02-13", "B", 7, "neutral", None),
        ("2025-03-03", "A", 10, "positive", "Speed"),
        ("2025-03-10", "A", 9, "negative", "Billing"),
        ("2025-03-17", "A", 3, "negative", "Billing"),
        ("2025-03-20", "A", None, "negative", "Setup"),
        ("2025-03-05", "B", 6, "negative", "Setup"),
        ("2025-03-06", "B", 8, "neutral", None),
    ]
    return pl.DataFrame(
        [
            {
                "date": date.fromisoformat(day),
                "product_line": line,
                "channel": "survey",
                "text": "…",
                "nps_score": score,
                "sentiment": sentiment,
                "theme": theme,
            }
            for day, line, score, sentiment, theme in rows
        ],
        schema=FEEDBACK.schema,
    )


def process() -> dict[str, pl.DataFrame]:
    """Teams T1 (A) and T2 (B); practices P and R since 2024, Q from March 2025; T2 ran R twice in January only."""
    teams = pl.DataFrame(
        [{"team": "T1", "product_line": "A"}, {"team": "T2", "product_line": "B"}],
        schema=TEAMS.schema,
    )
    practices = pl.DataFrame(
        [
            {"practice": "P", "cadence_days": 30, "since": date(2024, 1, 1)},
            {"practice": "Q", "cadence_days": 30, "since": date(2025, 3, 1)},
            {"practice": "R", "cadence_days": 14, "since": date(2024, 1, 1)},
        ],
        schema=PRACTICES.schema,
    )
    rows: list[tuple[str, str, str, str, str | None]] = [
        ("2025-01-05", "T2", "B", "R", "done"),
        ("2025-01-10", "T1", "A", "P", "done"),
        ("2025-01-19", "T2", "B", "R", "done"),
        ("2025-02-10", "T1", "A", "P", "done"),
        ("2025-02-12", "T2", "B", "P", "skipped"),
        ("2025-03-05", "T1", "A", "P", "done"),
        ("2025-03-06", "T2", "B", "P", None),
        ("2025-03-07", "T1", "A", "Q", "late"),
    ]
    adoption = pl.DataFrame(
        [
            {
                "date": date.fromisoformat(day),
                "team": team,
                "product_line": line,
                "practice": practice,
                "status": status,
            }
            for day, team, line, practice, status in rows
        ],
        schema=ADOPTION.schema,
    )
    return {"teams": teams, "practices": practices, "adoption": adoption}


def datasets() -> dict[str, pl.DataFrame]:
    """The hand-built company."""
    return {
        "metrics": metrics(),
        "metric_catalog": catalog(),
        "targets": targets(),
        "feedback": feedback(),
        **process(),
    }


def empty_datasets() -> dict[str, pl.DataFrame]:
    """Every dataset present but without rows."""
    return {name: contract.empty() for name, contract in CONTRACTS.items()}


def cards_frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    """Expected cards in the CARD_SCHEMA."""
    return pl.DataFrame(rows, schema=CARD_SCHEMA)


def card(key: str, label: str, unit: str, **values: object) -> dict[str, object]:
    """One expected card; fields not given are null."""
    return {"key": key, "label": label, "unit": unit, **values}


# change_basis and change_text ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "basis"),
    [
        ("percent", "points"),
        ("score", "points"),
        ("currency", "relative"),
        ("count", "relative"),
        ("ratio", "relative"),
    ],
)
def test_change_basis(unit: str, basis: str) -> None:
    assert change_basis(unit) == basis


@pytest.mark.parametrize(
    ("unit", "delta", "delta_pct", "text"),
    [
        ("percent", 0.8, 0.1, "+0.8 pt"),
        ("percent", -0.04, -0.05, "−0.04 pt"),  # hundredths of a point, not "−0.0 pt"
        ("percent", 0.06, 0.05, "+0.1 pt"),
        ("percent", 0.0, 0.0, "±0.0 pt"),
        ("score", -6.0, None, "−6 pts"),
        ("score", 1.2, None, "+1 pt"),
        ("score", 0.0, None, "±0 pts"),
        ("currency", 100.0, 0.032, "+3.2%"),
        ("count", -26.0, -0.243, "−24.3%"),
        ("count", 5.0, None, "+5"),  # no relative change from zero: the absolute one
        ("count", None, None, "–"),
    ],
)
def test_change_text(unit: str, delta: float | None, delta_pct: float | None, text: str) -> None:
    assert change_text(unit, delta, delta_pct, US) == text


# sparkline_periods -----------------------------------------------------------------------------------------------


def test_sparkline_periods_are_the_complete_periods_up_to_the_selected_one() -> None:
    assert sparkline_periods(view()) == [JANUARY, FEBRUARY, MARCH]


def test_sparkline_periods_leave_out_a_period_cut_by_the_range_start() -> None:
    assert sparkline_periods(view(start=date(2025, 1, 15))) == [FEBRUARY, MARCH]


def test_no_sparkline_without_a_selected_period() -> None:
    no_period = View(("A",), ("A",), date(2025, 3, 10), date(2025, 3, 20), "month", "previous", None, None, None)
    assert sparkline_periods(no_period) == []


# overview_cards --------------------------------------------------------------------------------------------------


def test_cards_for_all_lines() -> None:
    expected = cards_frame(
        [
            # Churn is averaged over the lines: 2.5 (3, 2) vs 1.5 (2, 1); its target, with no company one, is the
            # lines' mean 2.25; higher churn is worse.
            card(
                "churn",
                "Logo churn",
                "percent",
                value=2.5,
                previous=1.5,
                delta=1.0,
                delta_pct=1.0 / 1.5,
                higher_is_better=False,
                improved=False,
                target=2.25,
                status="missed",
                sparkline=[1.0, 1.5, 2.5],
            ),
            # ARR is a stock summed over the lines: 121 + 40 = 161 vs 110 + 50 = 160; the company target 170 is missed.
            card(
                "arr",
                "ARR",
                "currency",
                value=161.0,
                previous=160.0,
                delta=1.0,
                delta_pct=1.0 / 160.0,
                higher_is_better=True,
                improved=True,
                target=170.0,
                status="missed",
                sparkline=[150.0, 160.0, 161.0],
            ),
            # March: 2 promoters (10, 9), 2 detractors (3, 6) of 5 scored = 0; February: 2 and 1 of 4 = +25.
            card(
                "nps",
                "NPS",
                "score",
                value=0.0,
                previous=25.0,
                delta=-25.0,
                higher_is_better=True,
                improved=False,
                responses=5,
                low_confidence=True,
                sparkline=[100.0, 25.0, 0.0],
            ),
            # Six rows in March (one unscored), four in February, one in January.
            card(
                "feedback_volume",
                "Feedback volume",
                "count",
                value=6.0,
                previous=4.0,
                delta=2.0,
                delta_pct=0.5,
                responses=6,
                sparkline=[1.0, 4.0, 6.0],
            ),
            # March: T1·P, T2·P (no status), T1·Q (late) of 6 pairs; February: T1·P of 4 (Q not rolled out, T2·P
            # skipped); January: T1·P and T2·R of 4.
            card(
                "process_adoption",
                "Process adoption",
                "percent",
                value=50.0,
                previous=25.0,
                delta=25.0,
                delta_pct=1.0,
                higher_is_better=True,
                improved=True,
                responses=6,
                sparkline=[50.0, 25.0, 50.0],
            ),
        ]
    )
    assert_frame_equal(overview_cards(datasets(), view(), min_responses=6), expected)


def test_cards_for_one_line() -> None:
    expected = cards_frame(
        [
            card(
                "churn",
                "Logo churn",
                "percent",
                value=2.0,
                previous=1.0,
                delta=1.0,
                delta_pct=1.0,
                higher_is_better=False,
                improved=False,
                target=2.0,
                status="met",
                sparkline=[1.0, 1.0, 2.0],
            ),
            # The company target belongs to all lines together: none applies to B alone.
            card(
                "arr",
                "ARR",
                "currency",
                value=40.0,
                previous=50.0,
                delta=-10.0,
                delta_pct=-0.2,
                higher_is_better=True,
                improved=False,
                sparkline=[50.0, 50.0, 40.0],
            ),
            # B: 6 and 8 in March, 0 and 7 in February: −50 both times, so no verdict; nothing in January.
            card(
                "nps",
                "NPS",
                "score",
                value=-50.0,
                previous=-50.0,
                delta=0.0,
                higher_is_better=True,
                responses=2,
                low_confidence=False,
                sparkline=[-50.0, -50.0],
            ),
            card(
                "feedback_volume",
                "Feedback volume",
                "count",
                value=2.0,
                previous=2.0,
                delta=0.0,
                delta_pct=0.0,
                responses=2,
                sparkline=[0.0, 2.0, 2.0],
            ),
            # T2 adopted P of P, Q, R in March; none of P, R in February (P skipped); R in January.
            card(
                "process_adoption",
                "Process adoption",
                "percent",
                value=100.0 / 3.0,
                previous=0.0,
                delta=100.0 / 3.0,
                higher_is_better=True,
                improved=True,
                responses=3,
                sparkline=[50.0, 0.0, 33.3333],
            ),
        ]
    )
    assert_frame_equal(overview_cards(datasets(), view(lines=("B",)), min_responses=2), expected)


def test_cards_without_any_data() -> None:
    expected = cards_frame(
        [
            card("nps", "NPS", "score", higher_is_better=True, responses=0, low_confidence=True, sparkline=[]),
            card(
                "feedback_volume",
                "Feedback volume",
                "count",
                value=0.0,
                previous=0.0,
                delta=0.0,
                responses=0,
                sparkline=[0.0, 0.0, 0.0],
            ),
            card("process_adoption", "Process adoption", "percent", higher_is_better=True, responses=0, sparkline=[]),
        ]
    )
    assert_frame_equal(overview_cards(empty_datasets(), view(), min_responses=30), expected)


def test_cards_with_missing_datasets_read_them_as_empty() -> None:
    only_metrics = {"metrics": metrics(), "metric_catalog": catalog()}
    cards = overview_cards(only_metrics, view(), min_responses=30)
    assert cards.get_column("key").to_list() == ["churn", "arr", "nps", "feedback_volume", "process_adoption"]
    assert cards.get_column("value").to_list() == [2.5, 161.0, None, 0.0, None]
    # Without targets, no status.
    assert cards.get_column("status").to_list() == [None, None, None, None, None]


def test_no_cards_without_a_selected_period() -> None:
    no_period = View(
        ("A", "B"), ("A", "B"), date(2025, 3, 10), date(2025, 3, 20), "month", "previous", None, None, None
    )
    assert_frame_equal(overview_cards(datasets(), no_period), pl.DataFrame(schema=CARD_SCHEMA))


def test_a_monthly_metric_in_a_weekly_view_takes_its_month() -> None:
    week = Period(date(2025, 3, 10), date(2025, 3, 16), "week", "W11 2025")
    weekly = View(
        ("A", "B"),
        ("A", "B"),
        date(2025, 3, 3),
        date(2025, 3, 16),
        "week",
        "previous",
        week,
        Period(date(2025, 3, 3), date(2025, 3, 9), "week", "W10 2025"),
        date(2025, 3, 31),
    )
    arr = overview_cards(datasets(), weekly).filter(pl.col("key") == "arr")
    # Both weeks lie in March: the month's ARR, unchanged; the sparkline has one point per week.
    assert arr.select("value", "previous", "delta", "sparkline").row(0) == (161.0, 161.0, 0.0, [161.0, 161.0])


# product_line_scorecard ------------------------------------------------------------------------------------------


SCORECARD_SCHEMA: dict[str, pl.DataType] = {
    "product_line": pl.String(),
    "churn": pl.Float64(),
    "churn_change": pl.Float64(),
    "arr": pl.Float64(),
    "arr_change": pl.Float64(),
    "nps": pl.Float64(),
    "nps_change": pl.Float64(),
    "nps_responses": pl.Int64(),
    "nps_low_confidence": pl.Boolean(),
    "feedback": pl.Int64(),
    "top_negative_theme": pl.String(),
    "adoption_rate": pl.Float64(),
    "lapsed": pl.Int64(),
}


def test_scorecard_has_a_row_per_selected_line() -> None:
    expected = pl.DataFrame(
        {
            "product_line": ["A", "B"],
            # Churn changes in points (3 − 2, 2 − 1); ARR relative, in %: 121 / 110 − 1, 40 / 50 − 1.
            "churn": [3.0, 2.0],
            "churn_change": [1.0, 1.0],
            "arr": [121.0, 40.0],
            "arr_change": [10.0, -20.0],
            # A: 2 promoters, 1 detractor of 3 = +33.3, from +100; B: −50 both months.
            "nps": [100.0 / 3.0, -50.0],
            "nps_change": [100.0 / 3.0 - 100.0, 0.0],
            "nps_responses": [3, 2],
            "nps_low_confidence": [False, True],
            "feedback": [4, 2],
            "top_negative_theme": ["Billing", "Setup"],
            # A: P and Q of P, Q, R; B: P of the three.
            "adoption_rate": [200.0 / 3.0, 100.0 / 3.0],
            # T2 last ran R (every 14 days) on 19 Jan: 71 days before 31 Mar.
            "lapsed": [0, 1],
        },
        schema=SCORECARD_SCHEMA,
    )
    assert_frame_equal(product_line_scorecard(datasets(), view(), min_responses=3), expected)


def test_scorecard_keeps_a_selected_line_without_data() -> None:
    lines = View(
        ("A", "C"), ("A", "B", "C"), date(2025, 1, 1), date(2025, 3, 31), "month", "previous", MARCH, FEBRUARY, None
    )
    scorecard = product_line_scorecard(datasets(), lines, min_responses=3)
    assert scorecard.get_column("product_line").to_list() == ["A", "C"]
    c_row = scorecard.row(1, named=True)
    assert c_row == {
        "product_line": "C",
        "churn": None,
        "churn_change": None,
        "arr": None,
        "arr_change": None,
        "nps": None,
        "nps_change": None,
        "nps_responses": 0,
        "nps_low_confidence": True,
        "feedback": 0,
        "top_negative_theme": None,
        "adoption_rate": None,
        "lapsed": 0,
    }


def test_scorecard_on_empty_data() -> None:
    scorecard = product_line_scorecard(empty_datasets(), view(), min_responses=3)
    assert scorecard.columns == [
        "product_line",
        "nps",
        "nps_change",
        "nps_responses",
        "nps_low_confidence",
        "feedback",
        "top_negative_theme",
        "adoption_rate",
        "lapsed",
    ]
    assert scorecard.get_column("product_line").to_list() == ["A", "B"]
    assert scorecard.get_column("feedback").to_list() == [0, 0]


# paired_trends ---------------------------------------------------------------------------------------------------


def test_paired_trends_per_line_and_period() -> None:
    expected = pl.DataFrame(
        {
            "product_line": ["A", "A", "A", "B", "B", "B"],
            "period_start": [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)] * 2,
            "period": ["Jan 2025", "Feb 2025", "Mar 2025"] * 2,
            "revenue": [100.0, 110.0, 121.0, 50.0, 50.0, 40.0],
            "nps": [100.0, 100.0, 33.3333, None, -50.0, -50.0],
            "responses": [1, 2, 3, 0, 2, 2],
            "low_confidence": [True, False, False, True, False, False],
        },
        schema={
            "product_line": pl.String,
            "period_start": pl.Date,
            "period": pl.String,
            "revenue": pl.Float64,
            "nps": pl.Float64,
            "responses": pl.Int64,
            "low_confidence": pl.Boolean,
        },
    )
    assert_frame_equal(paired_trends(datasets(), view(), min_responses=2), expected)


def test_paired_trends_put_a_monthly_revenue_in_the_week_its_month_starts_in() -> None:
    weekly = View(
        ("A",),
        ("A", "B"),
        date(2025, 2, 24),
        date(2025, 3, 9),
        "week",
        "previous",
        Period(date(2025, 3, 3), date(2025, 3, 9), "week", "W10 2025"),
        Period(date(2025, 2, 24), date(2025, 3, 2), "week", "W09 2025"),
        None,
    )
    trends = paired_trends(datasets(), weekly, min_responses=1)
    # 1 March (a Saturday) belongs to the week of 24 February; the week of 3 March has no revenue value of its own.
    assert trends.select("period", "revenue", "nps", "responses").rows() == [
        ("W09 2025", 121.0, None, 0),
        ("W10 2025", None, 100.0, 1),
    ]


def test_paired_trends_without_data_keep_the_grid() -> None:
    trends = paired_trends(empty_datasets(), view(), min_responses=2)
    assert trends.height == 6
    assert trends.get_column("revenue").null_count() == 6
    assert trends.get_column("responses").to_list() == [0] * 6


def test_revenue_metric_info() -> None:
    assert revenue_metric_info(catalog()) == ("arr", "ARR", "currency")
    assert revenue_metric_info(METRIC_CATALOG.empty()) is None


def test_coarser_metric_labels_only_in_a_weekly_view() -> None:
    assert coarser_metric_labels(datasets(), ["churn", "arr"], view()) == []
    weekly = view(granularity="week")
    assert coarser_metric_labels(datasets(), ["churn", "arr"], weekly) == ["Logo churn", "ARR"]
    assert coarser_metric_labels(datasets(), [], weekly) == []


# headline_changes ------------------------------------------------------------------------------------------------


def changes(rows: list[tuple[str, str | None, str]]) -> pl.DataFrame:
    """Notable changes (kind, product line, subject), most important first, with a sentence naming each."""
    return pl.DataFrame(
        [
            {
                "kind": kind,
                "product_line": line,
                "subject": subject,
                "score": 1.0,
                "sentence": f"{kind} {line} {subject}",
                "page": "business",
            }
            for kind, line, subject in rows
        ],
        schema={
            "kind": pl.String,
            "product_line": pl.String,
            "subject": pl.String,
            "score": pl.Float64,
            "sentence": pl.String,
            "page": pl.String,
        },
    )


NOTABLE = [
    ("divergence", "X", "nps"),
    ("off_target", "X", "churn"),
    ("off_target", None, "churn"),
    ("off_target", "X", "arr"),
    ("mover", "X", "churn"),  # says again what the miss of X's churn said
    ("adoption", None, "P"),
    ("lapsed", "Y", "T · P"),
]


def test_headlines_take_each_kind_in_turn() -> None:
    ranked = headline_changes(changes(NOTABLE), limit=4)
    assert ranked.get_column("sentence").to_list() == [
        "divergence X nps",
        "off_target X churn",
        "adoption None P",
        "lapsed Y T · P",
        "off_target None churn",
        "off_target X arr",
        "mover X churn",
    ]
    assert ranked.get_column("headline").to_list() == [True] * 4 + [False] * 3


def test_headlines_fill_with_each_kinds_next_rows_but_never_a_repeat() -> None:
    ranked = headline_changes(changes(NOTABLE), limit=7)
    # Six rows say something new; the mover repeats the miss and stays out even with room to spare.
    assert ranked.filter(pl.col("headline")).height == 6
    assert ranked.row(-1, named=True)["sentence"] == "mover X churn"
    assert ranked.get_column("sentence").to_list()[:6] == [
        "divergence X nps",
        "off_target X churn",
        "off_target None churn",
        "off_target X arr",
        "adoption None P",
        "lapsed Y T · P",
    ]


def test_headlines_of_nothing() -> None:
    ranked = headline_changes(changes([]), limit=7)
    assert ranked.height == 0
    assert ranked.columns == ["kind", "product_line", "subject", "score", "sentence", "page", "headline"]


def test_a_limit_of_zero_keeps_the_order_without_headlines() -> None:
    ranked = headline_changes(changes(NOTABLE[:2]), limit=0)
    assert ranked.get_column("headline").to_list() == [False, False]
    assert ranked.get_column("sentence").to_list() == ["divergence X nps", "off_target X churn"]


# card_text -------------------------------------------------------------------------------------------------------


def text_of(**row: object) -> CardText:
    base: dict[str, object] = {
        "key": "arr",
        "label": "ARR",
        "unit": "currency",
        "value": None,
        "previous": None,
        "delta": None,
        "delta_pct": None,
        "target": None,
        "status": None,
        "responses": None,
        "low_confidence": None,
    }
    return card_text(base | row, "Q2 FY25", "Q1 FY25", US, min_responses=30)


def test_card_text_for_money_on_target() -> None:
    text = text_of(
        value=1_500_000.0, previous=1_200_000.0, delta=300_000.0, delta_pct=0.25, target=1_400_000.0, status="met"
    )
    assert text == CardText(
        value="$1.5M",
        delta="+25.0%",
        description="vs Q1 FY25 · ✓ on target ($1.4M)",
        help=(
            "ARR in Q2 FY25: $1,500,000.00 (Q1 FY25: $1,200,000.00; change +$300,000.00; +25.0%).  \n"
            "Target $1,400,000.00: met."
        ),
    )


def test_card_text_for_a_percent_off_target() -> None:
    text = text_of(
        key="churn",
        label="Logo churn",
        unit="percent",
        value=2.5,
        previous=1.5,
        delta=1.0,
        delta_pct=1.0 / 1.5,
        target=2.0,
        status="missed",
    )
    assert text == CardText(
        value="2.5%",
        delta="+1.0 pt",
        description="vs Q1 FY25 · ✗ off target (2.0%)",
        help="Logo churn in Q2 FY25: 2.50 % (Q1 FY25: 1.50 %; change +1.00 pt; +66.7%).  \nTarget 2.00 %: missed.",
    )


def test_card_text_for_a_low_confidence_nps() -> None:
    text = text_of(
        key="nps", label="NPS", unit="score", value=-12.4, previous=3.0, delta=-15.4, responses=12, low_confidence=True
    )
    assert text == CardText(
        value="−12",
        delta="−15 pts",
        description="vs Q1 FY25 · n=12 · ⚠ low confidence",
        help=(
            "NPS in Q2 FY25: −12.4 (Q1 FY25: +3.0; change −15.4).  \n"
            "NPS = % promoters (9–10) − % detractors (0–6) of 12 scored responses; fewer than 30 is low confidence."
        ),
    )


def test_card_text_for_a_count_from_zero() -> None:
    text = text_of(
        key="feedback_volume", label="Feedback volume", unit="count", value=6.0, previous=0.0, delta=6.0, responses=6
    )
    assert text == CardText(
        value="6",
        delta="+6",
        description="vs Q1 FY25",
        help=(
            "Feedback volume in Q2 FY25: 6 (Q1 FY25: 0; change +6).  \n"
            "Rows of feedback from every channel; more is neither better nor worse."
        ),
    )


def test_card_text_for_adoption() -> None:
    text = text_of(
        key="process_adoption",
        label="Process adoption",
        unit="percent",
        value=50.0,
        previous=25.0,
        delta=25.0,
        delta_pct=1.0,
        responses=6,
    )
    assert text.value == "50.0%"
    assert text.delta == "+25.0 pt"
    assert text.help == (
        "Process adoption in Q2 FY25: 50.00 % (Q1 FY25: 25.00 %; change +25.00 pt; +100.0%).  \n"
        "Share of 6 team × practice pairs in scope with a done occurrence."
    )


def test_card_text_without_values() -> None:
    assert text_of() == CardText(
        value="–", delta=None, description="vs Q1 FY25", help="ARR in Q2 FY25: – (Q1 FY25: –)."
    )


def test_feedback_days_cover_the_range_the_comparison_and_two_periods_back() -> None:
    # March vs February in a January-March range: the notable changes look back to January (two months before March).
    assert feedback_days(view()) == (date(2025, 1, 1), date(2025, 3, 31))
    # A range that starts in March still reads January for the divergences.
    assert feedback_days(view(start=date(2025, 3, 1))) == (date(2025, 1, 1), date(2025, 3, 31))
