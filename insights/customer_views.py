"""What the Customer & Market Insights page needs beyond insights.customers: the KPI pulse, shares, ranked themes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal

import polars as pl

from insights.customers import nps, sentiment_mix
from insights.periods import Granularity, period_start

ThemeOrder = Literal["volume", "arr"]

_PULSE_COLUMNS = (
    "feedback",
    "responses",
    "promoters",
    "passives",
    "detractors",
    "nps",
    "low_confidence",
    "negative",
    "negative_share",
    "negative_accounts",
    "negative_arr",
)


def customer_pulse(feedback: pl.DataFrame, by: Sequence[str] = (), min_responses: int = 30) -> pl.DataFrame:
    """Per group of ``by``: feedback rows, NPS with its mix, negative rows and share, and the ARR behind them.

    ``negative_arr`` counts each account with negative feedback once, at the ARR on its latest row in the group
    (any sentiment; on a same-day tie the larger ARR). Groups come from all rows, so a group without scores still
    shows, with 0 responses, a null NPS and low confidence.
    """
    volume = sentiment_mix(feedback, by).select(
        *by,
        pl.col("total").alias("feedback"),
        "negative",
        "negative_share",
    )
    scores = nps(feedback, by, min_responses).select(
        *by,
        "responses",
        "promoters",
        "passives",
        "detractors",
        "nps",
        "low_confidence",
    )
    pulse = _side_by_side(_side_by_side(volume, scores, by), _negative_arr(feedback, by), by)
    return pulse.with_columns(
        pl.col("responses").fill_null(0),
        pl.col("promoters").fill_null(0),
        pl.col("passives").fill_null(0),
        pl.col("detractors").fill_null(0),
        pl.col("low_confidence").fill_null(True),
        pl.col("negative_accounts").fill_null(0),
        pl.col("negative_arr").fill_null(0.0),
    ).select(*by, *_PULSE_COLUMNS)


def customer_pulse_by_period(
    feedback: pl.DataFrame,
    granularity: Granularity,
    fiscal_year_start_month: int = 1,
    min_responses: int = 30,
    by: Sequence[str] = (),
) -> pl.DataFrame:
    """``customer_pulse`` per period of the granularity that has feedback, sorted by ``period_start``; with ``by``,
    per group and period (each group's rows alone), sorted by the groups then ``period_start``."""
    with_period = feedback.with_columns(
        period_start(pl.col("date"), granularity, fiscal_year_start_month).alias("period_start"),
    )
    return customer_pulse(with_period, (*by, "period_start"), min_responses).sort(*by, "period_start")


def pulse_of_line(pulse_by_line: pl.DataFrame, line: str) -> pl.DataFrame:
    """One product line's rows of a ``customer_pulse_by_period`` result ``by=("product_line",)``, without that column:
    ``customer_pulse_by_period`` of the line's rows alone."""
    return pulse_by_line.filter(pl.col("product_line") == line).drop("product_line")


def pulse_of_periods(pulse_by_period: pl.DataFrame, first_start: date, last_start: date) -> pl.DataFrame:
    """The rows of a ``customer_pulse_by_period`` result for the periods starting from ``first_start`` to
    ``last_start``: for whole periods, what ``customer_pulse_by_period`` of those periods' rows alone gives, so the
    pulse of every period of the data, counted once, serves any range of whole periods."""
    return pulse_by_period.filter(pl.col("period_start").is_between(first_start, last_start))


def sentiment_shares(feedback: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    """Per group of ``by``: positive, neutral and negative shares of the rows that carry one of those sentiments."""
    return shares_of_sentiment(sentiment_mix(feedback, by), by)


def shares_of_sentiment(mix: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    """``sentiment_shares`` from the ``sentiment_mix`` of the same rows (or ``sentiment_mix_of_days``)."""
    with_sentiment = pl.col("positive") + pl.col("neutral") + pl.col("negative")
    return mix.with_columns(with_sentiment.alias("with_sentiment")).select(
        *by,
        "positive",
        "neutral",
        "negative",
        "with_sentiment",
        _share(pl.col("positive"), pl.col("with_sentiment")).alias("positive_share"),
        _share(pl.col("neutral"), pl.col("with_sentiment")).alias("neutral_share"),
        _share(pl.col("negative"), pl.col("with_sentiment")).alias("negative_share"),
    )


def ranked_themes(ranking: pl.DataFrame, order: ThemeOrder, limit: int) -> pl.DataFrame:
    """The first ``limit`` rows of a ``theme_ranking`` result in its volume or ARR order."""
    rank = "rank_volume" if order == "volume" else "rank_arr"
    return ranking.sort(rank).head(limit)


def _negative_arr(feedback: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    # lazy, so that the filters copy only the columns read here
    latest_arr = (
        feedback.lazy()
        .filter(
            pl.col("account").is_not_null(),
            pl.col("account_arr").is_not_null(),
        )
        .group_by(*by, "account")
        .agg(pl.col("account_arr").sort_by("date", "account_arr").last().alias("latest_arr"))
    )
    negative_accounts = (
        feedback.lazy()
        .filter(
            pl.col("sentiment") == "negative",
            pl.col("account").is_not_null(),
        )
        .select(*by, "account")
        .unique()
        # An account without any ARR on record still counts as an account, with no ARR behind it.
        .join(latest_arr, on=[*by, "account"], how="left", nulls_equal=True)
        .collect()
    )
    aggregations = (
        pl.len().cast(pl.Int64).alias("negative_accounts"),
        pl.col("latest_arr").sum().cast(pl.Float64).alias("negative_arr"),
    )
    if not by:
        return negative_accounts.select(*aggregations)
    return negative_accounts.group_by(*by).agg(*aggregations)


def _side_by_side(left: pl.DataFrame, right: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    # Without groups both sides are one row each; with groups the left side holds every group.
    if not by:
        return left.hstack(right)
    return left.join(right, on=list(by), how="left", nulls_equal=True)


def _share(part: pl.Expr, whole: pl.Expr) -> pl.Expr:
    return pl.when(whole > 0).then(part / whole).otherwise(None)
