"""The Process page computes its per-line numbers for every line once and cuts or sums them for the chosen lines:
the results must be those of computing for the chosen lines directly."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from insights.periods import Period, latest_complete_period
from insights.process import (
    AdoptionHistory,
    adoption_history,
    adoption_matrix,
    cadence_adherence,
    lapsed_teams,
    pooled_adherence,
    process_by_product_line,
)
from insights.scope import View, every_line, of_selected_lines, product_lines
from sample_data.generate import generate

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
