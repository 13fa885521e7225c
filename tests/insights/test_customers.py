"""Tests for insights.customers: NPS, its changes, volume, sentiment, themes and verbatims, on hand-built feedback."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from insights.customer_views import customer_pulse, customer_pulse_by_period
from insights.customers import (
    MENTION_ORDER,
    UNTAGGED,
    feedback_volume,
    newest_first,
    nps,
    nps_by_period,
    nps_change,
    nps_standard_error,
    scope_feedback,
    sentiment_mix,
    theme_mention_order,
    theme_ranking,
    theme_ranking_between,
    theme_trend,
    top_negative_theme,
    verbatims,
)
from sources.contracts import FEEDBACK

NPS_COUNTS: dict[str, pl.DataType] = {
    "responses": pl.Int64(),
    "promoters": pl.Int64(),
    "passives": pl.Int64(),
    "detractors": pl.Int64(),
    "nps": pl.Float64(),
    "promoter_share": pl.Float64(),
    "passive_share": pl.Float64(),
    "detractor_share": pl.Float64(),
    "low_confidence": pl.Boolean(),
}
CHANGE_SCHEMA: dict[str, pl.DataType] = {
    "nps": pl.Float64(),
    "responses": pl.Int64(),
    "previous_nps": pl.Float64(),
    "previous_responses": pl.Int64(),
    "delta": pl.Float64(),
    "significant": pl.Boolean(),
    "low_confidence": pl.Boolean(),
}
THEME_SCHEMA: dict[str, pl.DataType] = {
    "theme": pl.String(),
    "mentions": pl.Int64(),
    "negative": pl.Int64(),
    "negative_share": pl.Float64(),
    "accounts": pl.Int64(),
    "arr": pl.Float64(),
    "rank_volume": pl.Int64(),
    "rank_arr": pl.Int64(),
}


def feedback_frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    """A feedback frame with the full contract schema; columns a row leaves out are null."""
    return pl.DataFrame(rows, schema=FEEDBACK.schema)


def nps_result(rows: list[dict[str, object]], by: dict[str, pl.DataType] | None = None) -> pl.DataFrame:
    """An expected ``nps()``-shaped frame."""
    return pl.DataFrame(rows, schema={**(by or {}), **NPS_COUNTS})


EMPTY_FEEDBACK = feedback_frame([])


# --- scope_feedback ---------------------------------------------------------------------------------------------------


def test_scope_feedback_filters_lines_and_inclusive_dates() -> None:
    feedback = feedback_frame(
        [
            {"date": date(2024, 12, 31), "product_line": "Atlas", "text": "before"},
            {"date": date(2025, 1, 1), "product_line": "Atlas", "text": "first day"},
            {"date": date(2025, 1, 31), "product_line": "Boreal", "text": "last day"},
            {"date": date(2025, 1, 31), "product_line": "Comet", "text": "other line"},
            {"date": date(2025, 2, 1), "product_line": "Atlas", "text": "after"},
        ]
    )
    scoped = scope_feedback(feedback, ["Atlas", "Boreal"], date(2025, 1, 1), date(2025, 1, 31))
    assert scoped["text"].to_list() == ["first day", "last day"]
    assert scoped.schema == feedback.schema


def test_scope_feedback_none_means_unbounded() -> None:
    feedback = feedback_frame(
        [
            {"date": date(2024, 12, 31), "product_line": "Atlas", "text": "a"},
            {"date": date(2025, 2, 1), "product_line": "Boreal", "text": "b"},
        ]
    )
    assert_frame_equal(scope_feedback(feedback, None, None, None), feedback)
    assert scope_feedback(feedback, None, date(2025, 1, 1), None)["text"].to_list() == ["b"]
    assert scope_feedback(feedback, None, None, date(2025, 1, 1))["text"].to_list() == ["a"]


def test_scope_feedback_empty_selection_selects_nothing() -> None:
    feedback = feedback_frame([{"date": date(2025, 1, 1), "product_line": "Atlas", "text": "a"}])
    assert scope_feedback(feedback, [], None, None).height == 0


# --- nps ------------------------------------------------------------------------------------------------------------


def test_nps_boundaries_six_seven_eight_nine() -> None:
    # 0, 6, 6 are detractors; 7, 8, 8 passives; 9, 10 promoters; the unscored row is left out.
    scores = [0, 6, 6, 7, 8, 8, 9, 10, None]
    feedback = feedback_frame(
        [{"date": date(2025, 1, 1), "product_line": "Atlas", "nps_score": score} for score in scores]
    )
    expected = nps_result(
        [
            {
                "responses": 8,
                "promoters": 2,
                "passives": 3,
                "detractors": 3,
                "nps": -12.5,
                "promoter_share": 0.25,
                "passive_share": 0.375,
                "detractor_share": 0.375,
                # 8 responses is not below a minimum of 8.
                "low_confidence": False,
            }
        ]
    )
    assert_frame_equal(nps(feedback, min_responses=8), expected)


def test_nps_by_product_line_uses_every_channel_and_drops_unscored_groups() -> None:
    feedback = feedback_frame(
        [
            {"date": date(2025, 1, 1), "product_line": "Boreal", "channel": "sales", "nps_score": 7},
            {"date": date(2025, 1, 2), "product_line": "Atlas", "channel": "survey", "nps_score": 10},
            {"date": date(2025, 1, 3), "product_line": "Atlas", "channel": "support", "nps_score": 9},
            {"date": date(2025, 1, 4), "product_line": "Atlas", "channel": "review", "nps_score": 3},
            {"date": date(2025, 1, 5), "product_line": "Atlas", "channel": "interview", "nps_score": None},
            {"date": date(2025, 1, 6), "product_line": "Boreal", "channel": "survey", "nps_score": 8},
            {"date": date(2025, 1, 7), "product_line": "Comet", "channel": "survey", "nps_score": None},
        ]
    )
    expected = nps_result(
        [
            {
                "product_line": "Atlas",
                "responses": 3,
                "promoters": 2,
                "passives": 0,
                "detractors": 1,
                "nps": 100 / 3,
                "promoter_share": 2 / 3,
                "passive_share": 0.0,
                "detractor_share": 1 / 3,
                "low_confidence": False,
            },
            {
                "product_line": "Boreal",
                "responses": 2,
                "promoters": 0,
                "passives": 2,
                "detractors": 0,
                "nps": 0.0,
                "promoter_share": 0.0,
                "passive_share": 1.0,
                "detractor_share": 0.0,
                "low_confidence": True,
            },
        ],
        by={"product_line": pl.String()},
    )
    assert_frame_equal(nps(feedback, by=("product_line",), min_responses=3), expected)


def test_nps_single_row() -> None:
    feedback = feedback_frame([{"date": date(2025, 1, 1), "product_line": "Atlas", "nps_score": 9}])
    expected = nps_result(
        [
            {
                "responses": 1,
                "promoters": 1,
                "passives": 0,
                "detractors": 0,
                "nps": 100.0,
                "promoter_share": 1.0,
                "passive_share": 0.0,
                "detractor_share": 0.0,
                "low_confidence": True,
            }
        ]
    )
    assert_frame_equal(nps(feedback), expected)


def test_nps_without_scores_overall_is_one_empty_row() -> None:
    expected = nps_result(
        [
            {
                "responses": 0,
                "promoters": 0,
                "passives": 0,
                "detractors": 0,
                "nps": None,
                "promoter_share": None,
                "passive_share": None,
                "detractor_share": None,
                "low_confidence": True,
            }
        ]
    )
    assert_frame_equal(nps(EMPTY_FEEDBACK), expected)
    unscored = feedback_frame([{"date": date(2025, 1, 1), "product_line": "Atlas", "nps_score": None}])
    assert_frame_equal(nps(unscored), expected)


def test_nps_without_scores_by_group_is_empty() -> None:
    expected = nps_result([], by={"product_line": pl.String()})
    assert_frame_equal(nps(EMPTY_FEEDBACK, by=("product_line",)), expected)


# --- nps_standard_error -----------------------------------------------------------------------------------------------


def test_nps_standard_error_in_points() -> None:
    shares = pl.DataFrame(
        {
            "nps": [25.0, 100.0, None],
            "promoter_share": [0.5, 1.0, None],
            "detractor_share": [0.25, 0.0, None],
            "responses": [100, 5, 0],
        }
    )
    standard_error = shares.select(
        nps_standard_error(
            pl.col("nps"), pl.col("promoter_share"), pl.col("detractor_share"), pl.col("responses")
        ).alias("standard_error")
    )
    # 100·sqrt((0.75 − 0.25²) / 100) = 100·sqrt(0.006875); all promoters has no spread; no responses has no error.
    expected = pl.DataFrame({"standard_error": [8.291561975888499, 0.0, None]}, schema={"standard_error": pl.Float64})
    assert_frame_equal(standard_error, expected)


# --- nps_by_period ----------------------------------------------------------------------------------------------------


def test_nps_by_period_monthly_per_product_line() -> None:
    feedback = feedback_frame(
        [
            {"date": date(2025, 1, 5), "product_line": "Atlas", "nps_score": 9},
            {"date": date(2025, 1, 31), "product_line": "Atlas", "nps_score": 10},
            {"date": date(2025, 2, 1), "product_line": "Atlas", "nps_score": 0},
            {"date": date(2025, 1, 20), "product_line": "Boreal", "nps_score": 7},
        ]
    )
    expected = nps_result(
        [
            {
                "product_line": "Atlas",
                "period_start": date(2025, 1, 1),
                "responses": 2,
                "promoters": 2,
                "passives": 0,
                "detractors": 0,
                "nps": 100.0,
                "promoter_share": 1.0,
                "passive_share": 0.0,
                "detractor_share": 0.0,
                "low_confidence": True,
            },
            {
                "product_line": "Atlas",
                "period_start": date(2025, 2, 1),
                "responses": 1,
                "promoters": 0,
                "passives": 0,
                "detractors": 1,
                "nps": -100.0,
                "promoter_share": 0.0,
                "passive_share": 0.0,
                "detractor_share": 1.0,
                "low_confidence": True,
            },
            {
                "product_line": "Boreal",
                "period_start": date(2025, 1, 1),
                "responses": 1,
                "promoters": 0,
                "passives": 1,
                "detractors": 0,
                "nps": 0.0,
                "promoter_share": 0.0,
                "passive_share": 1.0,
                "detractor_share": 0.0,
                "low_confidence": True,
            },
        ],
        by={"product_line": pl.String(), "period_start": pl.Date()},
    )
    assert_frame_equal(nps_by_period(feedback, "month"), expected)


def test_nps_by_period_fiscal_quarters_overall() -> None:
    # Fiscal year from February: January 2025 is in the quarter Nov 2024 – Jan 2025, February opens the next one.
    feedback = feedback_frame(
        [
            {"date": date(2025, 1, 15), "product_line": "Atlas", "nps_score": 9},
            {"date": date(2025, 2, 3), "product_line": "Boreal", "nps_score": 8},
            {"date": date(2025, 4, 30), "product_line": "Atlas", "nps_score": 2},
        ]
    )
    expected = nps_result(
        [
            {
                "period_start": date(2024, 11, 1),
                "responses": 1,
                "promoters": 1,
                "passives": 0,
                "detractors": 0,
                "nps": 100.0,
                "promoter_share": 1.0,
                "passive_share": 0.0,
                "detractor_share": 0.0,
                "low_confidence": False,
            },
            {
                "period_start": date(2025, 2, 1),
                "responses": 2,
                "promoters": 0,
                "passives": 1,
                "detractors": 1,
                "nps": -50.0,
                "promoter_share": 0.0,
                "passive_share": 0.5,
                "detractor_share": 0.5,
                "low_confidence": False,
            },
        ],
        by={"period_start": pl.Date()},
    )
    assert_frame_equal(nps_by_period(feedback, "quarter", 2, by=(), min_responses=1), expected)


def test_nps_by_period_empty() -> None:
    expected = nps_result([], by={"product_line": pl.String(), "period_start": pl.Date()})
    assert_frame_equal(nps_by_period(EMPTY_FEEDBACK, "week"), expected)


# --- nps_change -------------------------------------------------------------------------------------------------------


def nps_input(rows: list[dict[str, object]]) -> pl.DataFrame:
    """A hand-written ``nps()`` result per product line (only the columns nps_change reads are filled in)."""
    return pl.DataFrame(rows, schema={"product_line": pl.String(), **NPS_COUNTS})


def test_nps_change_significance_and_one_sided_groups() -> None:
    current = nps_input(
        [
            # se² = 100²·(0.7 − 0.5²)/100 = 45
            {
                "product_line": "Atlas",
                "responses": 100,
                "nps": 50.0,
                "promoter_share": 0.6,
                "detractor_share": 0.1,
                "low_confidence": False,
            },
            # se² = 100²·(0.7 − 0.3²)/100 = 61
            {
                "product_line": "Boreal",
                "responses": 100,
                "nps": 30.0,
                "promoter_share": 0.5,
                "detractor_share": 0.2,
                "low_confidence": False,
            },
            {
                "product_line": "Comet",
                "responses": 10,
                "nps": 20.0,
                "promoter_share": 0.4,
                "detractor_share": 0.2,
                "low_confidence": True,
            },
        ]
    )
    previous = nps_input(
        [
            # se² = 100²·(0.6 − 0.2²)/100 = 56 → 1.96·sqrt(45 + 56) = 19.70 < 30: significant, though low confidence.
            {
                "product_line": "Atlas",
                "responses": 100,
                "nps": 20.0,
                "promoter_share": 0.4,
                "detractor_share": 0.2,
                "low_confidence": True,
            },
            # se² = 100²·(0.65 − 0.25²)/100 = 58.75 → 1.96·sqrt(61 + 58.75) = 21.45 > 5: not significant.
            {
                "product_line": "Boreal",
                "responses": 100,
                "nps": 25.0,
                "promoter_share": 0.45,
                "detractor_share": 0.2,
                "low_confidence": False,
            },
            {
                "product_line": "Dune",
                "responses": 40,
                "nps": 10.0,
                "promoter_share": 0.3,
                "detractor_share": 0.2,
                "low_confidence": False,
            },
        ]
    )
    expected = pl.DataFrame(
        [
            {
                "product_line": "Atlas",
                "nps": 50.0,
                "responses": 100,
                "previous_nps": 20.0,
                "previous_responses": 100,
                "delta": 30.0,
                "significant": True,
                "low_confidence": True,
            },
            {
                "product_line": "Boreal",
                "nps": 30.0,
                "responses": 100,
                "previous_nps": 25.0,
                "previous_responses": 100,
                "delta": 5.0,
                "significant": False,
                "low_confidence": False,
            },
            {
                "product_line": "Comet",
                "nps": 20.0,
                "responses": 10,
                "previous_nps": None,
                "previous_responses": 0,
                "delta": None,
                "significant": False,
                "low_confidence": True,
            },
            {
                "product_line": "Dune",
                "nps": None,
                "responses": 0,
                "previous_nps": 10.0,
                "previous_responses": 40,
                "delta": None,
                "significant": False,
                "low_confidence": True,
            },
        ],
        schema={"product_line": pl.String(), **CHANGE_SCHEMA},
    )
    assert_frame_equal(nps_change(current, previous, on=["product_line"]), expected)


def test_nps_change_overall_with_no_previous_responses() -> None:
    current = pl.DataFrame(
        [
            {
                "responses": 5,
                "promoters": 5,
                "passives": 0,
                "detractors": 0,
                "nps": 100.0,
                "promoter_share": 1.0,
                "passive_share": 0.0,
                "detractor_share": 0.0,
                "low_confidence": True,
            }
        ],
        schema=NPS_COUNTS,
    )
    previous = pl.DataFrame(
        [
            {
                "responses": 0,
                "promoters": 0,
                "passives": 0,
                "detractors": 0,
                "nps": None,
                "promoter_share": None,
                "passive_share": None,
                "detractor_share": None,
                "low_confidence": True,
            }
        ],
        schema=NPS_COUNTS,
    )
    expected = pl.DataFrame(
        [
            {
                "nps": 100.0,
                "responses": 5,
                "previous_nps": None,
                "previous_responses": 0,
                "delta": None,
                "significant": False,
                "low_confidence": True,
            }
        ],
        schema=CHANGE_SCHEMA,
    )
    assert_frame_equal(nps_change(current, previous, on=()), expected)


def test_nps_change_without_spread_any_change_is_significant() -> None:
    # All promoters, then all detractors: both standard errors are 0, so a 200-point swing clears 0.
    current = nps_input(
        [
            {
                "product_line": "Atlas",
                "responses": 5,
                "nps": 100.0,
                "promoter_share": 1.0,
                "detractor_share": 0.0,
                "low_confidence": True,
            }
        ]
    )
    previous = nps_input(
        [
            {
                "product_line": "Atlas",
                "responses": 5,
                "nps": -100.0,
                "promoter_share": 0.0,
                "detractor_share": 1.0,
                "low_confidence": True,
            }
        ]
    )
    change = nps_change(current, previous, on=["product_line"])
    assert change["delta"].to_list() == [200.0]
    assert change["significant"].to_list() == [True]


def test_nps_change_same_score_is_not_significant() -> None:
    same = nps_input(
        [
            {
                "product_line": "Atlas",
                "responses": 5,
                "nps": 100.0,
                "promoter_share": 1.0,
                "detractor_share": 0.0,
                "low_confidence": False,
            }
        ]
    )
    change = nps_change(same, same, on=["product_line"])
    assert change["delta"].to_list() == [0.0]
    assert change["significant"].to_list() == [False]
    assert change["low_confidence"].to_list() == [False]


# --- feedback_volume --------------------------------------------------------------------------------------------------


def test_feedback_volume_sorted_by_mentions_then_name() -> None:
    feedback = feedback_frame(
        [
            {"date": date(2025, 1, 1), "product_line": "Atlas", "channel": "support"},
            {"date": date(2025, 1, 2), "product_line": "Atlas", "channel": "survey"},
            {"date": date(2025, 1, 3), "product_line": "Atlas", "channel": "support"},
            {"date": date(2025, 1, 4), "product_line": "Atlas", "channel": "sales"},
            {"date": date(2025, 1, 5), "product_line": "Atlas", "channel": "survey"},
            {"date": date(2025, 1, 6), "product_line": "Atlas", "channel": "review"},
            {"date": date(2025, 1, 7), "product_line": "Atlas", "channel": "support"},
            {"date": date(2025, 1, 8), "product_line": "Atlas", "channel": "survey"},
        ]
    )
    expected = pl.DataFrame(
        {
            "channel": ["support", "survey", "review", "sales"],
            "mentions": [3, 3, 1, 1],
            "share": [0.375, 0.375, 0.125, 0.125],
        },
        schema={"channel": pl.String, "mentions": pl.Int64, "share": pl.Float64},
    )
    assert_frame_equal(feedback_volume(feedback, ["channel"]), expected)


def test_feedback_volume_empty() -> None:
    grouped = pl.DataFrame(
        schema={"product_line": pl.String, "channel": pl.String, "mentions": pl.Int64, "share": pl.Float64}
    )
    assert_frame_equal(feedback_volume(EMPTY_FEEDBACK, ["product_line", "channel"]), grouped)
    overall = pl.DataFrame({"mentions": [0], "share": [None]}, schema={"mentions": pl.Int64, "share": pl.Float64})
    assert_frame_equal(feedback_volume(EMPTY_FEEDBACK, []), overall)


# --- sentiment_mix ----------------------------------------------------------------------------------------------------


def test_sentiment_mix_counts_unknown_and_negative_share() -> None:
    feedback = feedback_frame(
        [
            {"date": date(2025, 1, 1), "product_line": "Boreal", "sentiment": None},
            {"date": date(2025, 1, 2), "product_line": "Atlas", "sentiment": "negative"},
            {"date": date(2025, 1, 3), "product_line": "Atlas", "sentiment": "positive"},
            {"date": date(2025, 1, 4), "product_line": "Atlas", "sentiment": "negative"},
            {"date": date(2025, 1, 5), "product_line": "Atlas", "sentiment": None},
            {"date": date(2025, 1, 6), "product_line": "Atlas", "sentiment": "neutral"},
        ]
    )
    expected = pl.DataFrame(
        {
            "product_line": ["Atlas", "Boreal"],
            "positive": [1, 0],
            "neutral": [1, 0],
            "negative": [2, 0],
            "unknown": [1, 1],
            "total": [5, 1],
            # Atlas: 2 negative of the 4 rows with a sentiment; Boreal has none with a sentiment.
            "negative_share": [0.5, None],
        },
        schema={
            "product_line": pl.String,
            "positive": pl.Int64,
            "neutral": pl.Int64,
            "negative": pl.Int64,
            "unknown": pl.Int64,
            "total": pl.Int64,
            "negative_share": pl.Float64,
        },
    )
    assert_frame_equal(sentiment_mix(feedback, ["product_line"]), expected)


def test_sentiment_mix_overall_empty() -> None:
    expected = pl.DataFrame(
        {"positive": [0], "neutral": [0], "negative": [0], "unknown": [0], "total": [0], "negative_share": [None]},
        schema={
            "positive": pl.Int64,
            "neutral": pl.Int64,
            "negative": pl.Int64,
            "unknown": pl.Int64,
            "total": pl.Int64,
            "negative_share": pl.Float64,
        },
    )
    assert_frame_equal(sentiment_mix(EMPTY_FEEDBACK, []), expected)


# --- theme_ranking ----------------------------------------------------------------------------------------------------


def test_theme_ranking_counts_each_account_once_at_its_latest_arr() -> None:
    rows: list[tuple[date, str | None, str | None, float | None, str | None]] = [
        # Acme's ARR changes: its latest row with an ARR (1 March, 150) holds for every theme it raised.
        (date(2025, 1, 1), "Pricing", "Acme", 100.0, "negative"),
        (date(2025, 2, 15), "Pricing", "Acme", None, "negative"),
        (date(2025, 3, 1), "Pricing", "Acme", 150.0, "neutral"),
        (date(2025, 2, 1), "Onboarding", "Acme", 120.0, "positive"),
        (date(2025, 4, 1), "Support", "Acme", None, "negative"),
        (date(2025, 1, 10), "Pricing", "Beta", 10.0, None),
        (date(2025, 1, 12), "Support", None, None, "negative"),
        (date(2025, 1, 20), None, "Gamma", 30.0, "positive"),
        # Delta never gave an ARR: it counts as an account but adds nothing to the ARR.
        (date(2025, 1, 21), "Onboarding", "Delta", None, None),
        (date(2025, 1, 25), "Support", "Gamma", None, "neutral"),
        (date(2025, 1, 30), "Billing", "Zeta", 30.0, "negative"),
    ]
    feedback = feedback_frame(
        [
            {
                "date": day,
                "product_line": "Atlas",
                "theme": theme,
                "account": account,
                "account_arr": arr,
                "sentiment": s,
            }
            for day, theme, account, arr, s in rows
        ]
    )
    expected = pl.DataFrame(
        {
            "theme": ["Pricing", "Support", "Onboarding", "(untagged)", "Billing"],
            "mentions": [4, 3, 2, 1, 1],
            "negative": [2, 2, 0, 0, 1],
            "negative_share": [2 / 3, 2 / 3, 0.0, 0.0, 1.0],
            "accounts": [2, 2, 2, 1, 1],
            # Pricing: Acme 150 + Beta 10; Support: Acme 150 + Gamma 30; Onboarding: Acme 150.
            "arr": [160.0, 180.0, 150.0, 30.0, 30.0],
            "rank_volume": [1, 2, 3, 4, 5],
            # "(untagged)" and Billing tie on volume and on ARR: the name decides.
            "rank_arr": [2, 1, 3, 4, 5],
        },
        schema=THEME_SCHEMA,
    )
    assert_frame_equal(theme_ranking(feedback), expected)


def test_theme_ranking_same_day_arr_tie_takes_the_larger() -> None:
    feedback = feedback_frame(
        [
            {
                "date": date(2025, 1, 1),
                "product_line": "Atlas",
                "theme": "Pricing",
                "account": "Acme",
                "account_arr": 90.0,
            },
            {
                "date": date(2025, 1, 1),
                "product_line": "Atlas",
                "theme": "Support",
                "account": "Acme",
                "account_arr": 70.0,
            },
        ]
    )
    assert theme_ranking(feedback)["arr"].to_list() == [90.0, 90.0]


def test_theme_ranking_without_accounts_has_zero_arr() -> None:
    feedback = feedback_frame([{"date": date(2025, 1, 1), "product_line": "Atlas", "theme": "Pricing"}])
    expected = pl.DataFrame(
        [
            {
                "theme": "Pricing",
                "mentions": 1,
                "negative": 0,
                "negative_share": None,
                "accounts": 0,
                "arr": 0.0,
                "rank_volume": 1,
                "rank_arr": 1,
            }
        ],
        schema=THEME_SCHEMA,
    )
    assert_frame_equal(theme_ranking(feedback), expected)


def test_theme_ranking_empty() -> None:
    assert_frame_equal(theme_ranking(EMPTY_FEEDBACK), pl.DataFrame(schema=THEME_SCHEMA))


# --- theme_trend ------------------------------------------------------------------------------------------------------

TREND_SCHEMA = {"theme": pl.String, "period_start": pl.Date, "mentions": pl.Int64}
TREND_FEEDBACK = feedback_frame(
    [
        {"date": date(2025, 1, 5), "product_line": "Atlas", "theme": "Pricing"},
        {"date": date(2025, 1, 20), "product_line": "Boreal", "theme": "Pricing"},
        {"date": date(2025, 2, 3), "product_line": "Atlas", "theme": "Support"},
        {"date": date(2025, 3, 10), "product_line": "Atlas", "theme": None},
    ]
)


def test_theme_trend_fills_missing_periods_with_zero() -> None:
    january, february, march = date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)
    expected = pl.DataFrame(
        {
            "theme": ["(untagged)"] * 3 + ["Pricing"] * 3 + ["Support"] * 3,
            "period_start": [january, february, march] * 3,
            "mentions": [0, 0, 1, 2, 0, 0, 0, 1, 0],
        },
        schema=TREND_SCHEMA,
    )
    assert_frame_equal(theme_trend(TREND_FEEDBACK, "month"), expected)


def test_theme_trend_selected_themes_include_silent_ones() -> None:
    january, february, march = date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)
    expected = pl.DataFrame(
        {
            "theme": ["Security"] * 3 + ["Support"] * 3,
            "period_start": [january, february, march] * 2,
            "mentions": [0, 0, 0, 0, 1, 0],
        },
        schema=TREND_SCHEMA,
    )
    assert_frame_equal(theme_trend(TREND_FEEDBACK, "month", themes=["Support", "Security"]), expected)


def test_theme_trend_fiscal_quarters() -> None:
    expected = pl.DataFrame(
        {
            "theme": ["(untagged)", "(untagged)", "Pricing", "Pricing", "Support", "Support"],
            "period_start": [date(2024, 11, 1), date(2025, 2, 1)] * 3,
            "mentions": [0, 1, 2, 0, 0, 1],
        },
        schema=TREND_SCHEMA,
    )
    assert_frame_equal(theme_trend(TREND_FEEDBACK, "quarter", fiscal_year_start_month=2), expected)


def test_theme_trend_empty() -> None:
    assert_frame_equal(theme_trend(EMPTY_FEEDBACK, "week"), pl.DataFrame(schema=TREND_SCHEMA))


# --- top_negative_theme -----------------------------------------------------------------------------------------------


NEGATIVE_FEEDBACK = feedback_frame(
    [
        {"date": date(2025, 1, 1), "product_line": "Atlas", "theme": "Support", "sentiment": "negative"},
        {"date": date(2025, 1, 2), "product_line": "Atlas", "theme": "Pricing", "sentiment": "negative"},
        {"date": date(2025, 1, 3), "product_line": "Atlas", "theme": "Support", "sentiment": "negative"},
        {"date": date(2025, 1, 4), "product_line": "Atlas", "theme": "Pricing", "sentiment": "negative"},
        {"date": date(2025, 1, 5), "product_line": "Atlas", "theme": "Billing", "sentiment": "negative"},
        {"date": date(2025, 1, 6), "product_line": "Atlas", "theme": "Billing", "sentiment": "positive"},
        {"date": date(2025, 1, 6), "product_line": "Atlas", "theme": "Billing", "sentiment": None},
        {"date": date(2025, 1, 7), "product_line": "Boreal", "theme": None, "sentiment": "negative"},
        {"date": date(2025, 1, 8), "product_line": "Boreal", "theme": "Pricing", "sentiment": "positive"},
        {"date": date(2025, 1, 9), "product_line": "Comet", "theme": "Pricing", "sentiment": "positive"},
    ]
)


def test_top_negative_theme_per_line_ties_by_name() -> None:
    expected = pl.DataFrame(
        {"product_line": ["Atlas", "Boreal"], "theme": ["Pricing", "(untagged)"], "negative": [2, 1]},
        schema={"product_line": pl.String, "theme": pl.String, "negative": pl.Int64},
    )
    assert_frame_equal(top_negative_theme(NEGATIVE_FEEDBACK), expected)


def test_top_negative_theme_overall() -> None:
    expected = pl.DataFrame(
        {"theme": ["Pricing"], "negative": [2]},
        schema={"theme": pl.String, "negative": pl.Int64},
    )
    assert_frame_equal(top_negative_theme(NEGATIVE_FEEDBACK, by=()), expected)


def test_top_negative_theme_empty() -> None:
    expected = pl.DataFrame(schema={"product_line": pl.String, "theme": pl.String, "negative": pl.Int64})
    assert_frame_equal(top_negative_theme(EMPTY_FEEDBACK), expected)


# --- verbatims --------------------------------------------------------------------------------------------------------


VERBATIM_FEEDBACK = feedback_frame(
    [
        {
            "date": date(2025, 1, 1),
            "product_line": "Atlas",
            "text": "Pricing is too high",
            "theme": "Pricing",
            "account": "Acme",
        },
        {"date": date(2025, 3, 1), "product_line": "Atlas", "text": "Love the new dashboard"},
        {
            "date": date(2025, 2, 1),
            "product_line": "Boreal",
            "text": "Export (CSV) broken",
            "theme": "Data",
            "account": "Price Corp",
        },
        {"date": date(2025, 2, 1), "product_line": "Boreal", "text": "a.b test", "account": "Beta"},
        {"date": date(2025, 1, 15), "product_line": "Comet", "text": "Maxbox sync fails", "theme": "Sync"},
    ]
)


@pytest.mark.parametrize(
    ("search", "texts"),
    [
        # Newest first; rows of the same day keep their order.
        (
            None,
            ["Love the new dashboard", "Export (CSV) broken", "a.b test", "Maxbox sync fails", "Pricing is too high"],
        ),
        (
            "   ",
            ["Love the new dashboard", "Export (CSV) broken", "a.b test", "Maxbox sync fails", "Pricing is too high"],
        ),
        # Found in the text of one row and the account of another, whatever the case.
        ("PRIC", ["Export (CSV) broken", "Pricing is too high"]),
        # Found in a theme.
        ("sync", ["Maxbox sync fails"]),
        ("data", ["Export (CSV) broken"]),
        # Literal, not a regular expression: "a.b" does not match "axb", and "(" is not a syntax error.
        ("a.b", ["a.b test"]),
        ("(csv)", ["Export (CSV) broken"]),
        ("nowhere", []),
    ],
)
def test_verbatims_search(search: str | None, texts: list[str]) -> None:
    found = verbatims(VERBATIM_FEEDBACK, search)
    assert found["text"].to_list() == texts
    assert found.schema == VERBATIM_FEEDBACK.schema


def test_verbatims_limit() -> None:
    expected = pl.DataFrame(
        {"date": [date(2025, 3, 1), date(2025, 2, 1)], "text": ["Love the new dashboard", "Export (CSV) broken"]}
    )
    assert_frame_equal(verbatims(VERBATIM_FEEDBACK, None, limit=2).select("date", "text"), expected)


def test_verbatims_empty() -> None:
    assert_frame_equal(verbatims(EMPTY_FEEDBACK, "anything", limit=5), EMPTY_FEEDBACK)


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 6, 7, 20])
def test_newest_first_of_rows_in_date_order_equals_a_full_sort(limit: int) -> None:
    # Rows kept in date order (sources.files.in_date_order) take the tail from the limit's day: the same rows, in the
    # same order (ties in their order), as sorting them all.
    days = [date(2025, 1, 1), date(2025, 1, 2), date(2025, 1, 2), date(2025, 1, 2), date(2025, 1, 3), date(2025, 1, 3)]
    frame = pl.DataFrame({"date": days, "text": [f"row {index}" for index in range(len(days))]})
    flagged = frame.with_columns(pl.col("date").set_sorted())
    expected = frame.sort("date", descending=True, maintain_order=True).head(limit)
    assert_frame_equal(newest_first(flagged, limit), expected)
    assert_frame_equal(newest_first(frame, limit), expected)


# --- accounts held compact --------------------------------------------------------------------------------------------


def _many_accounts_feedback() -> pl.DataFrame:
    # Deterministic variety: accounts on several lines and themes, ARR changing over time, same-day ties, rows without
    # an account or an ARR, every sentiment and score.
    rows = []
    for index in range(400):
        rows.append(
            {
                "date": date(2025, 1 + index % 12, 1 + index % 27),
                "product_line": ["Atlas", "Boreal", "Comet"][index % 3],
                "channel": ["support", "survey", "sales"][index % 3],
                "text": f"note {index}",
                "account": None if index % 17 == 0 else f"Account {index % 23}",
                "account_arr": None if index % 11 == 0 else float(1000 * (index % 7) + index),
                "nps_score": None if index % 5 == 0 else index % 11,
                "sentiment": ["positive", "neutral", "negative", None][index % 4],
                "theme": [None, "Pricing", "Sync", "Data"][index % 4 if index % 3 else (index + 1) % 4],
            }
        )
    return feedback_frame(rows)


RANKING_RANGES = [
    (date(2025, 1, 1), date(2025, 12, 31)),  # every row
    (date(2025, 3, 15), date(2025, 8, 14)),  # cut in the middle of months
    (date(2025, 6, 1), date(2025, 6, 1)),  # one day
    (date(2025, 11, 20), date(2026, 3, 31)),  # past the last rows
    (date(2024, 1, 1), date(2024, 12, 31)),  # before the first: nothing
]


@pytest.mark.parametrize("form", ["exact", "compact", "compact in date order"])
def test_theme_ranking_between_is_the_ranking_of_the_range(form: str) -> None:
    # Same-day ties, accounts without an ARR, rows without an account, themes missing or written "(untagged)", rows
    # out of date order; the bundle's form is compact and sorted by date (a range is a slice of it).
    feedback = _many_accounts_feedback().with_columns(
        pl.when(pl.int_range(pl.len()) % 29 == 0).then(pl.lit(UNTAGGED)).otherwise(pl.col("theme")).alias("theme")
    )
    if form != "exact":
        feedback = FEEDBACK.compact(feedback)
    if form == "compact in date order":
        feedback = feedback.sort("date", maintain_order=True)
    order = theme_mention_order(feedback)
    assert order.columns == list(MENTION_ORDER)
    assert order.height == feedback.height
    for start, end in RANKING_RANGES:
        expected = theme_ranking(scope_feedback(feedback, None, start, end))
        assert_frame_equal(theme_ranking_between(feedback, order, start, end), expected)
    assert theme_ranking_between(feedback, order, *RANKING_RANGES[0])["accounts"].sum() > 23


def test_theme_ranking_between_counts_each_account_once_at_its_latest_arr_in_the_range() -> None:
    rows = [
        (date(2025, 1, 1), "Pricing", "Acme", 300.0),
        (date(2025, 1, 1), "Pricing", "Acme", 100.0),  # the same day: the larger ARR is the latest of 1 January
        (date(2025, 2, 1), "Support", "Acme", None),  # no ARR: the ARR stays that of 1 January
        (date(2025, 3, 1), "Pricing", "Acme", 50.0),
        (date(2025, 3, 2), "Support", "Beta", 10.0),
    ]
    feedback = feedback_frame(
        [
            {"date": day, "product_line": "Atlas", "theme": theme, "account": account, "account_arr": arr}
            for day, theme, account, arr in rows
        ]
    )
    order = theme_mention_order(feedback)

    def arr_by_theme(start: date, end: date) -> dict[str, tuple[int, float]]:
        ranking = theme_ranking_between(feedback, order, start, end)
        return {row["theme"]: (row["accounts"], row["arr"]) for row in ranking.iter_rows(named=True)}

    assert arr_by_theme(date(2025, 1, 1), date(2025, 2, 28)) == {"Pricing": (1, 300.0), "Support": (1, 300.0)}
    assert arr_by_theme(date(2025, 1, 1), date(2025, 3, 31)) == {"Pricing": (1, 50.0), "Support": (2, 60.0)}
    assert arr_by_theme(date(2025, 2, 1), date(2025, 2, 1)) == {"Support": (1, 0.0)}


def test_accounts_held_as_a_categorical_give_the_same_numbers() -> None:
    feedback = _many_accounts_feedback()
    keyed = feedback.with_columns(pl.col("account").cast(pl.Categorical))
    assert_frame_equal(theme_ranking(keyed), theme_ranking(feedback))
    for granularity in ("month", "quarter"):
        assert_frame_equal(
            customer_pulse_by_period(keyed, granularity), customer_pulse_by_period(feedback, granularity)
        )
    assert_frame_equal(customer_pulse(keyed, ("product_line",)), customer_pulse(feedback, ("product_line",)))
    assert_frame_equal(top_negative_theme(keyed), top_negative_theme(feedback))
    assert_frame_equal(nps(keyed, ("product_line",)), nps(feedback, ("product_line",)))
    for search in (None, "account 1", "pricing", "note 3"):
        found = verbatims(keyed, search, limit=50)
        assert_frame_equal(found.with_columns(pl.col("account").cast(pl.String)), verbatims(feedback, search, limit=50))
