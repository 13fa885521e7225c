"""Tests for insights.customer_views: the customer pulse, sentiment shares, ranked themes."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from insights.customer_views import customer_pulse, customer_pulse_by_period, ranked_themes, sentiment_shares
from sources.contracts import FEEDBACK

PULSE_SCHEMA: dict[str, pl.DataType] = {
    "feedback": pl.Int64(),
    "responses": pl.Int64(),
    "promoters": pl.Int64(),
    "passives": pl.Int64(),
    "detractors": pl.Int64(),
    "nps": pl.Float64(),
    "low_confidence": pl.Boolean(),
    "negative": pl.Int64(),
    "negative_share": pl.Float64(),
    "negative_accounts": pl.Int64(),
    "negative_arr": pl.Float64(),
}
SHARES_SCHEMA: dict[str, pl.DataType] = {
    "positive": pl.Int64(),
    "neutral": pl.Int64(),
    "negative": pl.Int64(),
    "with_sentiment": pl.Int64(),
    "positive_share": pl.Float64(),
    "neutral_share": pl.Float64(),
    "negative_share": pl.Float64(),
}
RANKING_SCHEMA: dict[str, pl.DataType] = {
    "theme": pl.String(),
    "mentions": pl.Int64(),
    "negative": pl.Int64(),
    "negative_share": pl.Float64(),
    "accounts": pl.Int64(),
    "arr": pl.Float64(),
    "rank_volume": pl.Int64(),
    "rank_arr": pl.Int64(),
}


def feedback_frame(rows: list[tuple[date, str, str | None, float | None, int | None, str | None]]) -> pl.DataFrame:
    """Feedback as (date, product_line, account, account_arr, nps_score, sentiment); other columns fixed or null."""
    return pl.DataFrame(
        [
            {
                "date": day,
                "product_line": line,
                "channel": "survey",
                "text": "words",
                "account": account,
                "account_arr": arr,
                "nps_score": score,
                "sentiment": sentiment,
            }
            for day, line, account, arr, score, sentiment in rows
        ],
        schema=FEEDBACK.schema,
    )


# Account A's latest ARR is on a Beacon row without sentiment; B has two ARRs on one day (the larger counts);
# C has no ARR at all; one negative row has no account; Cirrus has no scores.
FEEDBACK_ROWS = feedback_frame(
    [
        (date(2026, 1, 5), "Atlas", "A", 100.0, 10, "positive"),
        (date(2026, 1, 20), "Atlas", "A", 120.0, 3, "negative"),
        (date(2026, 2, 3), "Atlas", "B", 50.0, None, "negative"),
        (date(2026, 2, 3), "Atlas", "B", 80.0, 8, "neutral"),
        (date(2026, 2, 10), "Beacon", "C", None, None, "negative"),
        (date(2026, 2, 11), "Beacon", None, None, None, "negative"),
        (date(2026, 2, 12), "Beacon", "A", 130.0, None, None),
        (date(2026, 3, 1), "Beacon", "D", 40.0, 9, "positive"),
        (date(2026, 3, 15), "Cirrus", "E", 70.0, None, "positive"),
    ]
)


def test_customer_pulse_overall() -> None:
    expected = pl.DataFrame(
        {
            "feedback": [9],
            "responses": [4],
            "promoters": [2],
            "passives": [1],
            "detractors": [1],
            "nps": [25.0],
            "low_confidence": [False],
            "negative": [4],
            "negative_share": [0.5],
            "negative_accounts": [3],
            # A at 130 (its latest row, Beacon, no sentiment), B at 80 (the larger same-day ARR), C without ARR.
            "negative_arr": [210.0],
        },
        schema=PULSE_SCHEMA,
    )
    assert_frame_equal(customer_pulse(FEEDBACK_ROWS, min_responses=4), expected)


def test_customer_pulse_below_the_minimum_is_low_confidence() -> None:
    pulse = customer_pulse(FEEDBACK_ROWS, min_responses=5)
    assert pulse.get_column("low_confidence").to_list() == [True]


def test_customer_pulse_by_product_line_keeps_groups_without_scores() -> None:
    expected = pl.DataFrame(
        {
            "product_line": ["Atlas", "Beacon", "Cirrus"],
            "feedback": [4, 4, 1],
            "responses": [3, 1, 0],
            "promoters": [1, 1, 0],
            "passives": [1, 0, 0],
            "detractors": [1, 0, 0],
            "nps": [0.0, 100.0, None],
            # Atlas has exactly the minimum of 3 responses: enough.
            "low_confidence": [False, True, True],
            "negative": [2, 2, 0],
            "negative_share": [0.5, 2 / 3, 0.0],
            "negative_accounts": [2, 1, 0],
            # Atlas: A at 120 (its latest Atlas row) + B at 80; Beacon: C has no ARR.
            "negative_arr": [200.0, 0.0, 0.0],
        },
        schema={"product_line": pl.String(), **PULSE_SCHEMA},
    )
    assert_frame_equal(customer_pulse(FEEDBACK_ROWS, ("product_line",), min_responses=3), expected)


def test_customer_pulse_single_row() -> None:
    single = feedback_frame([(date(2026, 1, 5), "Atlas", "A", 100.0, 6, "negative")])
    expected = pl.DataFrame(
        {
            "feedback": [1],
            "responses": [1],
            "promoters": [0],
            "passives": [0],
            "detractors": [1],
            "nps": [-100.0],
            "low_confidence": [False],
            "negative": [1],
            "negative_share": [1.0],
            "negative_accounts": [1],
            "negative_arr": [100.0],
        },
        schema=PULSE_SCHEMA,
    )
    assert_frame_equal(customer_pulse(single, min_responses=1), expected)


def test_customer_pulse_empty_overall_is_one_row_of_zeros() -> None:
    expected = pl.DataFrame(
        {
            "feedback": [0],
            "responses": [0],
            "promoters": [0],
            "passives": [0],
            "detractors": [0],
            "nps": [None],
            "low_confidence": [True],
            "negative": [0],
            "negative_share": [None],
            "negative_accounts": [0],
            "negative_arr": [0.0],
        },
        schema=PULSE_SCHEMA,
    )
    assert_frame_equal(customer_pulse(FEEDBACK.empty()), expected)


def test_customer_pulse_empty_by_group_has_no_rows() -> None:
    expected = pl.DataFrame(schema={"product_line": pl.String(), **PULSE_SCHEMA})
    assert_frame_equal(customer_pulse(FEEDBACK.empty(), ("product_line",)), expected)


def test_customer_pulse_by_month() -> None:
    expected = pl.DataFrame(
        {
            "period_start": [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)],
            "feedback": [2, 5, 2],
            "responses": [2, 1, 1],
            "promoters": [1, 0, 1],
            "passives": [0, 1, 0],
            "detractors": [1, 0, 0],
            "nps": [0.0, 0.0, 100.0],
            "low_confidence": [True, True, True],
            "negative": [1, 3, 0],
            "negative_share": [0.5, 0.75, 0.0],
            "negative_accounts": [1, 2, 0],
            # Within a month an account's ARR is its latest in that month: A at 120 in January.
            "negative_arr": [120.0, 80.0, 0.0],
        },
        schema={"period_start": pl.Date(), **PULSE_SCHEMA},
    )
    assert_frame_equal(customer_pulse_by_period(FEEDBACK_ROWS, "month", min_responses=4), expected)


def test_customer_pulse_by_fiscal_quarter() -> None:
    # With the fiscal year from February, January 2026 is in Q4 FY26 (Nov–Jan) and February–March in Q1 FY27.
    pulse = customer_pulse_by_period(FEEDBACK_ROWS, "quarter", 2, min_responses=1)
    assert pulse.get_column("period_start").to_list() == [date(2025, 11, 1), date(2026, 2, 1)]
    assert pulse.get_column("feedback").to_list() == [2, 7]


def test_customer_pulse_by_period_empty() -> None:
    expected = pl.DataFrame(schema={"period_start": pl.Date(), **PULSE_SCHEMA})
    assert_frame_equal(customer_pulse_by_period(FEEDBACK.empty(), "month"), expected)


def test_sentiment_shares_leave_out_rows_without_sentiment() -> None:
    expected = pl.DataFrame(
        {
            "product_line": ["Atlas", "Beacon", "Cirrus"],
            "positive": [1, 1, 1],
            "neutral": [1, 0, 0],
            "negative": [2, 2, 0],
            "with_sentiment": [4, 3, 1],
            "positive_share": [0.25, 1 / 3, 1.0],
            "neutral_share": [0.25, 0.0, 0.0],
            "negative_share": [0.5, 2 / 3, 0.0],
        },
        schema={"product_line": pl.String(), **SHARES_SCHEMA},
    )
    assert_frame_equal(sentiment_shares(FEEDBACK_ROWS, ("product_line",)), expected)


def test_sentiment_shares_without_any_sentiment_are_null() -> None:
    unlabelled = feedback_frame([(date(2026, 1, 5), "Atlas", None, None, 7, None)])
    expected = pl.DataFrame(
        {
            "positive": [0],
            "neutral": [0],
            "negative": [0],
            "with_sentiment": [0],
            "positive_share": [None],
            "neutral_share": [None],
            "negative_share": [None],
        },
        schema=SHARES_SCHEMA,
    )
    assert_frame_equal(sentiment_shares(unlabelled, ()), expected)


RANKING = pl.DataFrame(
    {
        "theme": ["Yield", "Xenon", "Zinc"],
        "mentions": [30, 20, 10],
        "negative": [3, 10, 1],
        "negative_share": [0.1, 0.5, 0.1],
        "accounts": [12, 9, 5],
        "arr": [100.0, 900.0, 300.0],
        "rank_volume": [1, 2, 3],
        "rank_arr": [3, 1, 2],
    },
    schema=RANKING_SCHEMA,
)


@pytest.mark.parametrize(
    ("order", "limit", "themes"),
    [
        ("volume", 2, ["Yield", "Xenon"]),
        ("arr", 2, ["Xenon", "Zinc"]),
        ("arr", 10, ["Xenon", "Zinc", "Yield"]),
        ("volume", 0, []),
    ],
)
def test_ranked_themes(order: str, limit: int, themes: list[str]) -> None:
    ranked = ranked_themes(RANKING, "arr" if order == "arr" else "volume", limit)
    assert ranked.get_column("theme").to_list() == themes
    assert ranked.columns == list(RANKING_SCHEMA)


def test_ranked_themes_empty() -> None:
    assert_frame_equal(
        ranked_themes(pl.DataFrame(schema=RANKING_SCHEMA), "arr", 5), pl.DataFrame(schema=RANKING_SCHEMA)
    )
