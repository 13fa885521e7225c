"""The Customers page computes NPS, volumes and sentiment per line for every line once, and cuts or sums them for the
chosen lines: the results must be those of computing for the chosen lines directly."""

from __future__ import annotations

import itertools
from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from insights.customer_views import (
    customer_pulse_by_period,
    pulse_of_line,
    pulse_of_periods,
    sentiment_shares,
    shares_of_sentiment,
)
from insights.customers import (
    DAILY_COUNTS,
    UNTAGGED,
    daily_feedback_counts,
    feedback_volume,
    nps_by_period,
    nps_by_period_of_days,
    nps_of_lines,
    scope_feedback,
    sentiment_mix,
    sentiment_mix_of_days,
    theme_trend,
    theme_trend_of_days,
    volume_of_days,
    volume_of_lines,
)
from insights.periods import Granularity, periods_between
from insights.scope import View, every_line, of_selected_lines, product_lines
from sample_data.generate import generate
from sources.contracts import FEEDBACK

START, END = date(2025, 11, 1), date(2026, 10, 31)


@pytest.fixture(scope="module")
def feedback() -> pl.DataFrame:
    datasets, _ = generate(seed=23, last_month=date(2026, 10, 1))
    return datasets["feedback"]


def view_of(feedback: pl.DataFrame, lines: tuple[str, ...]) -> View:
    every = product_lines({"feedback": feedback})
    return View(lines, every, START, END, "quarter", "previous", None, None, END)


def selections(feedback: pl.DataFrame) -> list[tuple[str, ...]]:
    lines = product_lines({"feedback": feedback})
    return [lines[:1], lines[1:3], (lines[0], lines[-1]), lines]


@pytest.mark.parametrize("granularity", ["month", "quarter", "week"])
def test_nps_of_chosen_lines_is_cut_or_summed_from_every_lines(
    feedback: pl.DataFrame, granularity: Granularity
) -> None:
    every = scope_feedback(feedback, None, START, END)
    by_line = nps_by_period(every, granularity, min_responses=30)
    for lines in selections(feedback):
        view = view_of(feedback, lines)
        chosen = scope_feedback(feedback, view.lines_filter, START, END)
        expected_by_line = nps_by_period(chosen, granularity, min_responses=30)
        assert expected_by_line.height > 0
        assert_frame_equal(of_selected_lines(by_line, view), expected_by_line)
        assert_frame_equal(
            nps_of_lines(by_line, view.lines_filter, 30), nps_by_period(chosen, granularity, by=(), min_responses=30)
        )


def test_volumes_and_sentiment_of_chosen_lines_are_summed_or_cut_from_every_lines(feedback: pl.DataFrame) -> None:
    every = scope_feedback(feedback, None, START, END)
    # a missing kind of feedback (the column is optional) is a group of its own, summed as one
    with_untyped = every.with_columns(
        pl.when(pl.int_range(pl.len()) % 7 == 0).then(None).otherwise(pl.col("category")).alias("category")
    )
    for category in ("channel", "category"):
        by_line = feedback_volume(with_untyped, ("product_line", category))
        for lines in selections(feedback):
            view = view_of(feedback, lines)
            chosen = with_untyped.filter(pl.col("product_line").is_in(list(lines)))
            expected = feedback_volume(chosen, (category,))
            assert expected.get_column("mentions").sum() == chosen.height
            assert_frame_equal(volume_of_lines(by_line, view.lines_filter, (category,)), expected)
    sentiment = sentiment_shares(every, ("product_line",))
    for lines in selections(feedback):
        view = view_of(feedback, lines)
        chosen = every.filter(pl.col("product_line").is_in(list(lines)))
        assert_frame_equal(of_selected_lines(sentiment, view), sentiment_shares(chosen, ("product_line",)))
    assert every_line(view_of(feedback, selections(feedback)[0])).lines_filter is None


@pytest.mark.parametrize(("granularity", "fiscal_year_start_month"), [("month", 1), ("quarter", 2), ("week", 1)])
def test_the_pulse_of_whole_periods_is_a_slice_of_every_periods_pulse(
    feedback: pl.DataFrame, granularity: Granularity, fiscal_year_start_month: int
) -> None:
    # The Customers page's KPI history at every line: a slice of the pulse of every period of the data, counted once.
    every_period = customer_pulse_by_period(feedback, granularity, fiscal_year_start_month, min_responses=5)
    for start, end in ((START, END), (date(2024, 2, 10), date(2025, 7, 20)), (date(2026, 5, 5), date(2026, 5, 6))):
        whole = [
            period
            for period in periods_between(start, end, granularity, fiscal_year_start_month)
            if start <= period.start and period.end <= end
        ]
        if not whole:
            continue
        first, last = whole[0], whole[-1]
        expected = customer_pulse_by_period(
            scope_feedback(feedback, None, first.start, last.end), granularity, fiscal_year_start_month, 5
        )
        assert expected.height == len(whole)
        assert_frame_equal(pulse_of_periods(every_period, first.start, last.start), expected)


@pytest.mark.parametrize(("granularity", "fiscal_year_start_month"), [("quarter", 1), ("month", 1), ("quarter", 2)])
@pytest.mark.parametrize("form", ["exact", "compact"])
def test_each_lines_pulse_per_period_is_that_of_its_rows_alone(
    feedback: pl.DataFrame, granularity: Granularity, fiscal_year_start_month: int, form: str
) -> None:
    # The Customers page's KPI history of one chosen line: a slice of every line's pulse per period, counted once.
    # an account with negative feedback on several lines (one row in 40 is its): on each it counts once, at its
    # latest ARR there
    spanning = feedback.get_column("account").drop_nulls().item(0)
    every_fortieth = pl.int_range(pl.len()) % 40 == 0
    spread = feedback.with_columns(pl.when(every_fortieth).then(pl.lit(spanning)).otherwise("account").alias("account"))
    rows = FEEDBACK.compact(spread) if form == "compact" else spread
    assert (
        rows.filter(pl.col("account") == spanning, pl.col("sentiment") == "negative")
        .get_column("product_line")
        .n_unique()
        > 1
    )
    by_line = customer_pulse_by_period(rows, granularity, fiscal_year_start_month, 5, by=("product_line",))
    lines = product_lines({"feedback": feedback})
    assert by_line.get_column("product_line").cast(pl.String).unique().sort().to_list() == list(lines)
    for line in lines:
        alone = rows.filter(pl.col("product_line") == line)
        expected = customer_pulse_by_period(alone, granularity, fiscal_year_start_month, 5)
        assert expected.height > 1
        assert_frame_equal(pulse_of_line(by_line, line), expected)
        # and its whole periods of a range are a slice of it, as for every line
        first, last = expected.item(1, "period_start"), expected.item(-2, "period_start")
        assert_frame_equal(
            pulse_of_periods(pulse_of_line(by_line, line), first, last),
            expected.filter(pl.col("period_start").is_between(first, last)),
        )
    assert pulse_of_line(by_line, "No such line").height == 0


@pytest.mark.parametrize("form", ["exact", "compact"])
def test_a_ranges_numbers_are_sums_of_its_days(feedback: pl.DataFrame, form: str) -> None:
    # The Customers page's NPS per period, volumes, sentiment and theme trend of a range are summed from the feedback
    # counted per day and line: the same as counting the range's rows, for any range, lines and granularity. Rows
    # without a score, a kind, a sentiment, a theme or a date (counted under none) are among them.
    index = pl.int_range(pl.len())
    rows = feedback.with_columns(
        pl.when(index % 7 == 0).then(None).otherwise(pl.col("category")).alias("category"),
        pl.when(index % 11 == 0).then(None).otherwise(pl.col("sentiment")).alias("sentiment"),
        pl.when(index % 13 == 0).then(None).otherwise(pl.col("theme")).alias("theme"),
        pl.when(index % 97 == 0).then(None).otherwise(pl.col("date")).alias("date"),
    )
    if form == "compact":
        rows = FEEDBACK.compact(rows)
    days = daily_feedback_counts(rows)
    assert set(days) == set(DAILY_COUNTS)
    assert days["channel"].get_column("mentions").sum() == rows.height  # every row once, dated or not
    ranges = ((START, END), (date(2024, 2, 10), date(2025, 7, 20)), (date(2026, 5, 5), date(2026, 5, 6)))
    for (start, end), lines in itertools.product(ranges, [None, *selections(feedback)[:3]]):
        scope = (lines, start, end)
        in_scope = scope_feedback(rows, lines, start, end)
        grains: tuple[tuple[Granularity, int], ...] = (("month", 1), ("quarter", 2), ("week", 1))
        for granularity, fiscal_year_start_month in grains:
            assert_frame_equal(
                nps_by_period_of_days(days["nps"], scope, granularity, fiscal_year_start_month, min_responses=30),
                nps_by_period(in_scope, granularity, fiscal_year_start_month, min_responses=30),
            )
            assert_frame_equal(
                nps_by_period_of_days(days["nps"], scope, granularity, fiscal_year_start_month, by=()),
                nps_by_period(in_scope, granularity, fiscal_year_start_month, by=()),
            )
            for themes in (None, ["Pricing", UNTAGGED, "not a theme"]):
                assert_frame_equal(
                    theme_trend_of_days(days, scope, granularity, fiscal_year_start_month, themes),
                    theme_trend(in_scope, granularity, fiscal_year_start_month, themes),
                )
        for by in (("product_line", "channel"), ("category",), ("product_line", "category")):
            assert_frame_equal(volume_of_days(days, scope, by), feedback_volume(in_scope, by))
        for per_line in (("product_line",), ()):
            assert_frame_equal(sentiment_mix_of_days(days, scope, per_line), sentiment_mix(in_scope, per_line))
            assert_frame_equal(
                shares_of_sentiment(sentiment_mix(in_scope, per_line), per_line), sentiment_shares(in_scope, per_line)
            )
