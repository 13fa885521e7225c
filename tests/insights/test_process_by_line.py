"""The Process page computes its per-line numbers for every line once and cuts or sums them for the chosen lines:
the results must be those of computing for the chosen lines directly."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from insights.periods import Granularity, Period, latest_complete_period, periods_between
from insights.process import (
    AdoptionHistory,
    KeptCounts,
    adoption_by_period,
    adoption_counts_by_line,
    adoption_history,
    adoption_matrix,
    adoption_of_lines,
    cadence_adherence,
    lapsed_teams,
    pooled_adherence,
    process_by_product_line,
    whole_periods,
)
from insights.process_views import (
    process_by_line_of_pulse,
    process_pulse_by_period,
    pulse_counts_by_line,
    pulse_of_lines,
)
from insights.scope import View, every_line, of_selected_lines, product_lines
from sample_data.generate import generate
from sources.files import date_span

Datasets = dict[str, pl.DataFrame]


@pytest.fixture(scope="module")
def company() -> tuple[Datasets, AdoptionHistory]:
    datasets, _ = generate(seed=11, last_month=date(2026, 10, 1))
    return datasets, adoption_history(datasets["adoption"])


def view_of(datasets: Datasets, lines: tuple[str, ...], period: Period) -> View:
    every = product_lines(datasets)
    return View(lines, every, period.start, period.end, "quarter", "previous", period, None, period.end)


def periods() -> list[Period]:
    found = [
        latest_complete_period(date(2026, 1, 1), date(2026, 9, 30), date(2026, 9, 30), "quarter"),
        latest_complete_period(date(2025, 1, 1), date(2025, 8, 31), date(2025, 8, 31), "month"),
    ]
    return [period for period in found if period is not None]


def selections(datasets: Datasets) -> list[tuple[str, ...]]:
    lines = product_lines(datasets)
    return [lines[:1], lines[1:3], (lines[0], lines[-1])]


def per_line_numbers(
    datasets: Datasets, history: AdoptionHistory, period: Period, shown: View
) -> dict[str, pl.DataFrame]:
    """The Process page's numbers with a row per team or line, for the view's lines."""
    frames = (datasets["adoption"], datasets["teams"], datasets["practices"])
    lines = shown.lines_filter
    return {
        "matrix": adoption_matrix(*frames, period.start, period.end, lines, history=history),
        "lapsed": lapsed_teams(*frames, period.end, product_lines=lines, history=history),
        "roll-up": process_by_product_line(*frames, period.start, period.end, period.end, lines, history=history),
    }


def test_per_line_rows_cut_from_every_line_are_those_of_the_chosen_lines(
    company: tuple[Datasets, AdoptionHistory],
) -> None:
    datasets, history = company
    rows = dict.fromkeys(("matrix", "lapsed", "roll-up"), 0)
    for period in periods():
        for lines in selections(datasets):
            view = view_of(datasets, lines, period)
            of_every_line = per_line_numbers(datasets, history, period, every_line(view))
            for name, expected in per_line_numbers(datasets, history, period, view).items():
                assert set(expected.get_column("product_line")) <= set(lines)
                assert_frame_equal(of_selected_lines(of_every_line[name], view), expected)
                rows[name] += expected.height
    assert all(rows.values()), rows  # every kind had rows to compare


@pytest.mark.parametrize("use_history", [True, False])
def test_adherence_of_chosen_lines_is_the_sum_of_their_per_line_counts(
    company: tuple[Datasets, AdoptionHistory], use_history: bool
) -> None:
    datasets, prepared = company
    history = prepared if use_history else None
    adoption, practices = datasets["adoption"], datasets["practices"]
    for period in periods():
        by_line = cadence_adherence(
            adoption, practices, period.start, period.end, by=("product_line", "practice"), history=history
        )
        for lines in [*selections(datasets), None]:
            for by in (("practice",), ()):
                expected = cadence_adherence(adoption, practices, period.start, period.end, lines, by, history=history)
                assert expected.get_column("intervals").sum() > 0
                assert_frame_equal(pooled_adherence(by_line, lines, by), expected)


def test_adherence_follows_the_occurrences_lines_when_a_team_moved() -> None:
    # a team's occurrences count for the line on their own rows (as cadence_adherence filters them)
    adoption = pl.DataFrame(
        {
            "date": [date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19), date(2026, 1, 26)],
            "team": ["Core"] * 4,
            "product_line": ["Atlas", "Atlas", "Beacon", "Beacon"],
            "practice": ["Standup"] * 4,
            "status": ["done"] * 4,
            "artifact": [None] * 4,
            "owner": [None] * 4,
        },
        schema_overrides={"artifact": pl.String, "owner": pl.String},
    )
    practices = pl.DataFrame(
        {"practice": ["Standup"], "cadence_days": [7], "description": [None], "since": [None]},
        schema_overrides={"description": pl.String, "since": pl.Date},
    )
    start, end = date(2026, 1, 1), date(2026, 1, 31)
    by_line = cadence_adherence(adoption, practices, start, end, by=("product_line", "practice"))
    for lines in (("Atlas",), ("Beacon",), ("Atlas", "Beacon")):
        expected = cadence_adherence(adoption, practices, start, end, lines)
        assert_frame_equal(pooled_adherence(by_line, lines), expected)
    assert pooled_adherence(by_line, ("Beacon",)).get_column("intervals").to_list() == [2]


@pytest.mark.parametrize(
    ("granularity", "start", "end"),
    [("quarter", date(2025, 11, 1), date(2026, 10, 31)), ("month", date(2026, 2, 10), date(2026, 7, 20))],
)
def test_adoption_and_pulse_per_period_of_chosen_lines_are_sums_of_their_per_line_counts(
    company: tuple[Datasets, AdoptionHistory], granularity: Granularity, start: date, end: date
) -> None:
    datasets, history = company
    frames = (datasets["adoption"], datasets["teams"], datasets["practices"])
    prepared = (history, datasets["teams"], datasets["practices"])
    adoption_counts = adoption_counts_by_line(*prepared, granularity, 1, start, end)
    pulse_counts = pulse_counts_by_line(*prepared, granularity, 1, start, end)
    starts = [period.start for period in periods_between(start, end, granularity, 1)]
    for lines in [*selections(datasets), None]:
        adoption = adoption_by_period(*frames, granularity, 1, start, end, lines, history=history)
        assert adoption.height > 0
        assert_frame_equal(adoption_of_lines(adoption_counts, lines), adoption)
        # and the same as counted without the prepared history, period by period
        assert_frame_equal(adoption, adoption_by_period(*frames, granularity, 1, start, end, lines))
        pulse = process_pulse_by_period(*frames, granularity, 1, start, end, lines, history=history)
        assert pulse.get_column("pairs_in_scope").sum() > 0
        assert pulse.get_column("lapsed").sum() > 0 or lines is not None
        assert_frame_equal(pulse_of_lines(pulse_counts, starts, lines), pulse)
        assert_frame_equal(pulse, process_pulse_by_period(*frames, granularity, 1, start, end, lines))


def test_a_line_without_teams_or_occurrences_sums_to_zeros() -> None:
    counts = pl.DataFrame(
        {
            "period_start": [date(2026, 1, 1)],
            "product_line": ["Atlas"],
            **{name: [3] for name in ("pairs_in_scope", "pairs_adopted", "intervals", "on_time", "teams", "lapsed")},
        }
    )
    pulse = pulse_of_lines(counts, [date(2026, 1, 1), date(2026, 2, 1)], ["Nowhere"])
    assert pulse.get_column("period_start").to_list() == [date(2026, 1, 1), date(2026, 2, 1)]
    assert pulse.get_column("pairs_in_scope").to_list() == [0, 0]
    assert pulse.get_column("adoption_rate").to_list() == [None, None]
    assert pulse_of_lines(counts, [date(2026, 1, 1)], None).get_column("adoption_rate").to_list() == [1.0]


@pytest.mark.parametrize(
    ("granularity", "fiscal_year_start_month"),
    [("quarter", 1), ("quarter", 2), ("month", 1), ("week", 1), ("year", 4)],
)
def test_counts_read_from_kept_whole_periods_are_those_counted_for_the_range(
    company: tuple[Datasets, AdoptionHistory], granularity: Granularity, fiscal_year_start_month: int
) -> None:
    # A range's whole periods come from counts kept for every whole period of the data's span; the periods the range
    # cuts short, or that lie outside the span, are counted: together, what counting the range gives.
    datasets, history = company
    prepared = (history, datasets["teams"], datasets["practices"])
    first, latest = date_span(datasets["adoption"])
    assert first is not None
    assert latest is not None
    periods = whole_periods(first, latest, granularity, fiscal_year_start_month)
    span = (periods.item(0, "first_day"), periods.item(periods.height - 1, "last_day"))
    assert span[0] <= first
    assert span[1] >= latest
    ranges = [
        (date(2025, 11, 1), date(2026, 10, 31)),  # the default's shape: cut short at one end or neither
        (date(2025, 2, 10), date(2026, 7, 20)),  # cut short at both ends
        (date(2026, 3, 3), date(2026, 3, 3)),  # one day
        (first - timedelta(days=200), first + timedelta(days=100)),  # begins before the data
        (first - timedelta(days=40), latest + timedelta(days=40)),  # around the whole span: runs before and after it
        (latest + timedelta(days=1), latest + timedelta(days=120)),  # after the data
        span,  # exactly the kept periods
    ]
    key = ("period_start", "product_line")
    for count, order in ((adoption_counts_by_line, ("practice", *key)), (pulse_counts_by_line, key)):
        kept = KeptCounts(periods, count(*prepared, granularity, fiscal_year_start_month, *span))
        assert kept.counts.height > 0
        for start, end in ranges:
            expected = count(*prepared, granularity, fiscal_year_start_month, start, end).sort(order)
            read = count(*prepared, granularity, fiscal_year_start_month, start, end, kept).sort(order)
            assert_frame_equal(read, expected)
        # the last range reads every period (nothing counted), and a range inside it reads its whole periods
        assert kept.counts.sort(order).equals(
            count(*prepared, granularity, fiscal_year_start_month, *span, kept).sort(order)
        )


@pytest.mark.parametrize(
    ("granularity", "fiscal_year_start_month"), [("quarter", 1), ("month", 1), ("week", 1), ("year", 4)]
)
def test_the_roll_up_of_a_whole_period_is_its_pulse_counts_per_line(
    company: tuple[Datasets, AdoptionHistory], granularity: Granularity, fiscal_year_start_month: int
) -> None:
    datasets, history = company
    frames = (datasets["adoption"], datasets["teams"], datasets["practices"])
    prepared = (history, datasets["teams"], datasets["practices"])
    compared = 0
    for period in periods_between(date(2025, 1, 1), date(2026, 9, 30), granularity, fiscal_year_start_month)[-6:]:
        counts = pulse_counts_by_line(*prepared, granularity, fiscal_year_start_month, period.start, period.end)
        expected = process_by_product_line(*frames, period.start, period.end, period.end, history=history)
        assert_frame_equal(process_by_line_of_pulse(counts, period.start), expected)
        compared += expected.filter(pl.col("lapsed") > 0, pl.col("adherence").is_not_null()).height
    assert compared  # lines with lapses and adherence among them
