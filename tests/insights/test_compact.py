"""The dashboard holds each dataset's labels compact (``Contract.compact``: Categoricals): every number computed on
compact frames must be the one computed on contract-exact frames, and exact frames come back for checks and commits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from insights.business import breakdown, period_table
from insights.customer_views import customer_pulse_by_period
from insights.customers import (
    DAILY_NPS,
    UNTAGGED,
    daily_feedback_counts,
    nps_by_period,
    nps_in,
    theme_ranking,
    theme_trend,
    top_negative_theme,
)
from insights.metrics import monthly_metrics, prepare_metrics
from insights.notable import NotableContext, notable_changes
from insights.overview import overview_cards, paired_trends, product_line_scorecard
from insights.periods import comparison_period, default_date_range, latest_complete_period
from insights.process import adoption_history, adoption_matrix, lapsed_teams, process_by_product_line
from insights.process_views import process_pulse_by_period
from insights.scope import View, data_end, product_lines
from sample_data.generate import generate
from sources.contracts import CONTRACTS, contract_for
from sources.files import DataBundle, ExactFrames

Datasets = dict[str, pl.DataFrame]


@pytest.fixture(scope="module")
def exact() -> Datasets:
    datasets, _ = generate(seed=5, last_month=date(2026, 10, 1))
    return datasets


@pytest.fixture(scope="module")
def compact(exact: Datasets) -> Datasets:
    return DataBundle(exact).compact().frames


def view_of(datasets: Datasets, granularity: str, lines: int | None) -> View:
    end = data_end(datasets)
    assert end is not None
    start, end = default_date_range(end)
    period = latest_complete_period(start, end, end, granularity)  # type: ignore[arg-type]
    assert period is not None
    every = product_lines(datasets)
    return View(
        every[:lines] if lines else every,
        every,
        start,
        end,
        granularity,  # type: ignore[arg-type]
        "previous",
        period,
        comparison_period(period, "previous"),
        end,
    )


def as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Categorical columns of a result as text: the values compared, not how they are held."""
    return frame.with_columns(pl.col(pl.Categorical).cast(pl.String))


def test_the_compact_labels_are_categoricals_and_come_back_exact(exact: Datasets, compact: Datasets) -> None:
    marked = 0
    for name, contract in CONTRACTS.items():
        for column in contract.columns:
            expected = pl.Categorical if column.compact else column.dtype
            assert compact[name].schema[column.name] == expected, (name, column.name)
            marked += column.compact
        assert_frame_equal(contract.exact(compact[name]), exact[name])
        assert contract.exact(exact[name]) is exact[name]  # nothing to do: the frame itself
    assert marked == 23
    # the rows stay flagged in date order: a range is still a binary-searched slice
    assert (
        compact["feedback"].get_column("date").flags["SORTED_ASC"]
        == exact["feedback"].get_column("date").flags["SORTED_ASC"]
    )


def test_exact_frames_give_each_dataset_back_when_read(exact: Datasets, compact: Datasets) -> None:
    frames = ExactFrames(compact)
    assert len(frames) == len(compact)
    assert list(frames) == list(compact)
    assert_frame_equal(frames["adoption"], exact["adoption"])
    assert frames.get("nothing") is None
    # a frame missing a compact column is compact in the columns it has
    metrics = contract_for("metrics")
    without = metrics.compact(exact["metrics"].drop("segment"))
    assert "segment" not in without.columns
    assert without.schema["region"] == pl.Categorical
    assert_frame_equal(metrics.exact(without), exact["metrics"].drop("segment"))


Computation = Callable[[Datasets, View], pl.DataFrame]


def _context(view: View) -> NotableContext:
    assert view.period is not None
    assert view.comparison is not None
    return NotableContext(view.period, view.comparison, view.lines_filter, view.all_product_lines)


def _prepared(datasets: Datasets) -> pl.DataFrame:
    return prepare_metrics(datasets["metrics"], datasets["metric_catalog"])


def _breakdown(datasets: Datasets, view: View) -> pl.DataFrame:
    assert view.period is not None
    assert view.comparison is not None
    catalog = datasets["metric_catalog"]
    return pl.concat(
        breakdown(_prepared(datasets), catalog, "new_bookings", by, view.period, view.comparison, view.lines_filter)
        .pipe(as_text)
        .rename({by: "group"})
        for by in ("segment", "region")
    )


def _process(datasets: Datasets, view: View) -> pl.DataFrame:
    assert view.period is not None
    frames = (datasets["adoption"], datasets["teams"], datasets["practices"])
    history = adoption_history(datasets["adoption"])
    start, end = view.period.start, view.period.end
    return pl.concat(
        [
            as_text(process_by_product_line(*frames, start, end, end, view.lines_filter, history)).select(
                pl.lit("roll-up").alias("part"), pl.struct(pl.all()).alias("row")
            ),
            as_text(adoption_matrix(*frames, start, end, view.lines_filter, history=history)).select(
                pl.lit("matrix").alias("part"), pl.struct(pl.all()).alias("row")
            ),
            as_text(lapsed_teams(*frames, end, product_lines=view.lines_filter, history=history)).select(
                pl.lit("lapsed").alias("part"), pl.struct(pl.all()).alias("row")
            ),
        ],
        how="vertical_relaxed",
    )


COMPUTATIONS: dict[str, Computation] = {
    "overview cards": lambda datasets, view: overview_cards(datasets, view, 5),
    "scorecard": lambda datasets, view: product_line_scorecard(datasets, view, 5),
    "paired trends": lambda datasets, view: paired_trends(datasets, view, 5),
    "notable changes": lambda datasets, view: notable_changes(datasets, _context(view)),
    "breakdowns": _breakdown,
    "period table": lambda datasets, view: period_table(
        _prepared(datasets),
        datasets["metric_catalog"],
        "arr",
        view.granularity,
        1,
        view.lines_filter,
        view.start,
        view.end,
        monthly_metrics(_prepared(datasets), datasets["metric_catalog"]),
    ),
    "customer pulse": lambda datasets, view: customer_pulse_by_period(datasets["feedback"], view.granularity, 1, 5),
    "nps by period": lambda datasets, view: nps_by_period(datasets["feedback"], view.granularity, by=("product_line",)),
    "theme ranking": lambda datasets, view: theme_ranking(datasets["feedback"]),
    "theme trend": lambda datasets, view: theme_trend(
        datasets["feedback"], view.granularity, 1, ["Pricing", "Onboarding"]
    ),
    "process": _process,
    "process pulse": lambda datasets, view: process_pulse_by_period(
        datasets["adoption"], datasets["teams"], datasets["practices"], view.granularity, 1, view.start, view.end
    ),
}


@pytest.mark.parametrize("name", list(COMPUTATIONS))
@pytest.mark.parametrize(("granularity", "lines"), [("quarter", None), ("month", 2)])
def test_numbers_of_compact_frames_are_those_of_exact_frames(
    exact: Datasets, compact: Datasets, name: str, granularity: str, lines: int | None
) -> None:
    view = view_of(exact, granularity, lines)
    expected = COMPUTATIONS[name](exact, view)
    assert expected.height > 0
    assert_frame_equal(as_text(COMPUTATIONS[name](compact, view)), as_text(expected))


def test_untagged_feedback_is_one_theme_with_any_written_so_compact_or_not(exact: Datasets) -> None:
    # rows without a theme count with those written as the untagged label itself: one theme, its account once
    rows = (
        exact["feedback"]
        .head(6)
        .with_columns(
            pl.Series("theme", [None, UNTAGGED, "Pricing", None, UNTAGGED, "Pricing"], dtype=pl.String),
            pl.lit("Acme").alias("account"),
        )
    )
    compact_rows = contract_for("feedback").compact(rows)
    assert compact_rows.schema["theme"] == pl.Categorical
    ranking = theme_ranking(rows)
    assert ranking.filter(pl.col("theme") == UNTAGGED).select("mentions", "accounts").row(0) == (4, 1)
    assert_frame_equal(theme_ranking(compact_rows), ranking)
    assert_frame_equal(theme_trend(compact_rows, "month"), theme_trend(rows, "month"))
    assert_frame_equal(top_negative_theme(compact_rows, by=()), top_negative_theme(rows, by=()))


OVERVIEW_NPS = ("overview cards", "scorecard", "paired trends", "notable changes")


def with_daily_nps(datasets: Datasets, feedback: pl.DataFrame | None = None) -> Datasets:
    """The datasets with the NPS responses per day of ``feedback`` (theirs by default), as the Overview's carry them."""
    nps_days = daily_feedback_counts(datasets["feedback"] if feedback is None else feedback)["nps"]
    return {**datasets, DAILY_NPS: nps_days}


@pytest.mark.parametrize("name", OVERVIEW_NPS)
@pytest.mark.parametrize(("granularity", "lines"), [("quarter", None), ("month", 2), ("week", None)])
def test_the_overviews_nps_summed_from_days_is_that_of_the_rows(
    compact: Datasets, name: str, granularity: str, lines: int | None
) -> None:
    view = view_of(compact, granularity, lines)
    expected = COMPUTATIONS[name](compact, view)
    assert expected.height > 0
    assert_frame_equal(COMPUTATIONS[name](with_daily_nps(compact), view), expected)


def test_the_overview_reads_its_nps_from_the_days_when_it_has_them(
    compact: Datasets, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = view_of(compact, "quarter", None)
    # days in which everyone is a promoter: every NPS read from them is 100
    promoters = with_daily_nps(compact, compact["feedback"].with_columns(pl.col("nps_score").fill_null(10).clip(10)))
    cards = COMPUTATIONS["overview cards"](promoters, view)
    assert cards.filter(pl.col("key") == "nps").select("value", "previous").row(0) == (100.0, 100.0)
    assert set(COMPUTATIONS["scorecard"](promoters, view).get_column("nps").to_list()) == {100.0}
    assert set(COMPUTATIONS["paired trends"](promoters, view).get_column("nps").drop_nulls().to_list()) == {100.0}
    # and the notable changes' NPS per line of each compared period
    read: list[bool] = []

    def recording(feedback: pl.DataFrame, nps_days: pl.DataFrame | None, *rest: object, **named: object) -> object:
        read.append(nps_days is not None)
        return nps_in(feedback, nps_days, *rest, **named)  # type: ignore[arg-type]

    monkeypatch.setattr("insights.notable.nps_in", recording)
    COMPUTATIONS["notable changes"](with_daily_nps(compact), view)
    assert read
    assert all(read)


def test_an_unchanged_metric_shows_no_change_every_time(compact: Datasets) -> None:
    # Logo churn is recorded monthly: in a week view the period and the week before it read the same month, so its
    # change is none. A rate averages its series, and a roll-up that combined them in whatever order a hash group-by
    # left them differed in the last bit now and then (1.154 against 1.1540000000000001): an arrow for "worse".
    view = view_of(compact, "week", None)
    cards = [COMPUTATIONS["overview cards"](compact, view) for _ in range(12)]
    churn = [
        card.filter(pl.col("label") == "Logo churn").select("value", "previous", "delta", "improved").row(0)
        for card in cards
    ]
    value, previous, delta, improved = churn[0]
    assert value == previous
    assert delta == 0.0
    assert improved is None
    assert all(row == churn[0] for row in churn)
