"""Tests for insights.process: teams in scope, adoption, cadence adherence and lapsed teams, on hand-built frames."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from insights import process
from insights.process import (
    adoption_by_period,
    adoption_history,
    adoption_matrix,
    adoption_rate,
    cadence_adherence,
    done_history,
    lapsed_counts,
    lapsed_teams,
    occurrence_gaps,
    occurrences_in_periods,
    period_pairs,
    period_teams,
    process_by_product_line,
    teams_in_scope,
)
from sources.contracts import ADOPTION, PRACTICES, TEAMS

Q1_START = date(2025, 1, 1)
Q1_END = date(2025, 3, 31)

RATE_COUNTS: dict[str, pl.DataType] = {
    "teams_in_scope": pl.Int64(),
    "teams_adopted": pl.Int64(),
    "adoption_rate": pl.Float64(),
}
ADHERENCE_COUNTS: dict[str, pl.DataType] = {
    "intervals": pl.Int64(),
    "on_time": pl.Int64(),
    "adherence": pl.Float64(),
}
LAPSED_SCHEMA: dict[str, pl.DataType] = {
    "team": pl.String(),
    "product_line": pl.String(),
    "practice": pl.String(),
    "last_done": pl.Date(),
    "days_since": pl.Int64(),
    "cadence_days": pl.Int64(),
    "overdue_days": pl.Int64(),
}


def teams_frame(rows: list[tuple[str, str, date | None, date | None]]) -> pl.DataFrame:
    """Teams as (team, product_line, active_from, active_to)."""
    return pl.DataFrame(
        [
            {"team": team, "product_line": line, "active_from": active_from, "active_to": active_to}
            for team, line, active_from, active_to in rows
        ],
        schema=TEAMS.schema,
    )


def practices_frame(rows: list[tuple[str, int, date | None]]) -> pl.DataFrame:
    """Practices as (practice, cadence_days, since)."""
    return pl.DataFrame(
        [{"practice": practice, "cadence_days": cadence, "since": since} for practice, cadence, since in rows],
        schema=PRACTICES.schema,
    )


def adoption_frame(rows: list[tuple[date, str, str, str, str | None]]) -> pl.DataFrame:
    """Occurrences as (date, team, product_line, practice, status)."""
    return pl.DataFrame(
        [
            {"date": day, "team": team, "product_line": line, "practice": practice, "status": status}
            for day, team, line, practice, status in rows
        ],
        schema=ADOPTION.schema,
    )


# Atlas Growth joins mid-quarter, Boreal Ops leaves mid-quarter; Boreal Data starts and Comet ends outside Q1.
TEAMS_FRAME = teams_frame(
    [
        ("Atlas Core", "Atlas", None, None),
        ("Atlas Growth", "Atlas", date(2025, 2, 15), None),
        ("Boreal Ops", "Boreal", None, date(2025, 1, 20)),
        ("Boreal Data", "Boreal", date(2025, 4, 1), None),
        ("Comet", "Comet", date(2024, 1, 1), date(2024, 12, 31)),
    ]
)
# QBR rolls out during Q1; Demo only after it.
PRACTICES_FRAME = practices_frame(
    [
        ("Retro", 14, None),
        ("QBR", 91, date(2025, 3, 1)),
        ("Demo", 7, date(2025, 6, 1)),
    ]
)
ADOPTION_FRAME = adoption_frame(
    [
        (date(2024, 12, 22), "Atlas Core", "Atlas", "Retro", "done"),
        (date(2025, 1, 5), "Atlas Core", "Atlas", "Retro", None),  # gap 14 across the range start: on time
        (date(2025, 1, 19), "Atlas Core", "Atlas", "Retro", "late"),  # gap 14: on time
        (date(2025, 2, 10), "Atlas Core", "Atlas", "Retro", "done"),  # gap 22: not
        (date(2025, 2, 24), "Atlas Core", "Atlas", "Retro", "skipped"),
        (date(2025, 3, 3), "Atlas Core", "Atlas", "Retro", "done"),  # gap 21 (the skipped row is no occurrence): not
        (date(2025, 3, 10), "Atlas Core", "Atlas", "QBR", "done"),
        (date(2025, 2, 20), "Atlas Growth", "Atlas", "Retro", "skipped"),
        (date(2025, 3, 20), "Atlas Growth", "Atlas", "Retro", "done"),
        (date(2025, 1, 8), "Boreal Ops", "Boreal", "Retro", None),
        (date(2025, 1, 15), "Boreal Ops", "Boreal", "Retro", "late"),  # gap 7: on time
        (date(2025, 1, 10), "Boreal Ops", "Boreal", "Demo", "done"),
        (date(2025, 4, 7), "Boreal Data", "Boreal", "Retro", "done"),
    ]
)
EMPTY_TEAMS = TEAMS.empty()
EMPTY_PRACTICES = PRACTICES.empty()
EMPTY_ADOPTION = ADOPTION.empty()
PERIODS_SCHEMA: dict[str, pl.DataType] = {"period_start": pl.Date(), "first_day": pl.Date(), "last_day": pl.Date()}
# The functions that take an optional ``history``: every test below runs them on the raw rows and on the prepared ones.
WITH_HISTORY = (
    "adoption_rate",
    "adoption_by_period",
    "adoption_matrix",
    "cadence_adherence",
    "lapsed_teams",
    "process_by_product_line",
)


def with_history(function: Callable[..., pl.DataFrame]) -> Callable[..., pl.DataFrame]:
    """``function`` given the ``adoption_history`` of its adoption rows, so it takes the prepared path."""

    def prepared(adoption: pl.DataFrame, *arguments: Any, **options: Any) -> pl.DataFrame:
        return function(adoption, *arguments, history=adoption_history(adoption), **options)

    return prepared


@pytest.fixture(autouse=True, params=["raw", "prepared"])
def adoption_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test twice: the expected values are the same whether or not the adoption rows were prepared."""
    if request.param == "prepared":
        for name in WITH_HISTORY:
            monkeypatch.setitem(globals(), name, with_history(getattr(process, name)))
    return str(request.param)


# --- teams_in_scope ---------------------------------------------------------------------------------------------------


def test_teams_in_scope_overlap_with_the_range() -> None:
    scoped = teams_in_scope(TEAMS_FRAME, Q1_START, Q1_END, None)
    assert scoped["team"].to_list() == ["Atlas Core", "Atlas Growth", "Boreal Ops"]
    assert scoped.schema == TEAMS_FRAME.schema


def test_teams_in_scope_boundaries_are_inclusive() -> None:
    teams = teams_frame(
        [
            ("Ends on start", "Atlas", None, date(2025, 1, 1)),
            ("Starts on end", "Atlas", date(2025, 3, 31), None),
            ("Ends the day before", "Atlas", None, date(2024, 12, 31)),
            ("Starts the day after", "Atlas", date(2025, 4, 1), None),
        ]
    )
    assert teams_in_scope(teams, Q1_START, Q1_END, None)["team"].to_list() == ["Ends on start", "Starts on end"]


def test_teams_in_scope_product_lines() -> None:
    assert teams_in_scope(TEAMS_FRAME, Q1_START, Q1_END, ["Boreal", "Comet"])["team"].to_list() == ["Boreal Ops"]
    assert teams_in_scope(TEAMS_FRAME, Q1_START, Q1_END, []).height == 0


# --- adoption_rate ----------------------------------------------------------------------------------------------------


def test_adoption_rate_per_practice() -> None:
    # In scope: Atlas Core, Atlas Growth, Boreal Ops. Demo is not rolled out by 31 March, so it is absent.
    # Retro: all three (Boreal Ops only has a status-less and a late row, which both count).
    expected = pl.DataFrame(
        {
            "practice": ["QBR", "Retro"],
            "teams_in_scope": [3, 3],
            "teams_adopted": [1, 3],
            "adoption_rate": [1 / 3, 1.0],
        },
        schema={"practice": pl.String(), **RATE_COUNTS},
    )
    assert_frame_equal(adoption_rate(ADOPTION_FRAME, TEAMS_FRAME, PRACTICES_FRAME, Q1_START, Q1_END), expected)


def test_adoption_rate_per_practice_and_product_line_keeps_zero_groups() -> None:
    expected = pl.DataFrame(
        {
            "practice": ["QBR", "QBR", "Retro", "Retro"],
            "product_line": ["Atlas", "Boreal", "Atlas", "Boreal"],
            "teams_in_scope": [2, 1, 2, 1],
            "teams_adopted": [1, 0, 2, 1],
            "adoption_rate": [0.5, 0.0, 1.0, 1.0],
        },
        schema={"practice": pl.String(), "product_line": pl.String(), **RATE_COUNTS},
    )
    result = adoption_rate(
        ADOPTION_FRAME, TEAMS_FRAME, PRACTICES_FRAME, Q1_START, Q1_END, by=("practice", "product_line")
    )
    assert_frame_equal(result, expected)


def test_adoption_rate_per_product_line_pools_practices() -> None:
    # Atlas: 2 teams × 2 practices = 4 pairs, 3 adopted (Atlas Growth never ran a QBR); Boreal: 2 pairs, 1 adopted.
    expected = pl.DataFrame(
        {
            "product_line": ["Atlas", "Boreal"],
            "teams_in_scope": [4, 2],
            "teams_adopted": [3, 1],
            "adoption_rate": [0.75, 0.5],
        },
        schema={"product_line": pl.String(), **RATE_COUNTS},
    )
    result = adoption_rate(ADOPTION_FRAME, TEAMS_FRAME, PRACTICES_FRAME, Q1_START, Q1_END, by=("product_line",))
    assert_frame_equal(result, expected)


def test_adoption_rate_selected_product_line() -> None:
    expected = pl.DataFrame(
        {"practice": ["QBR", "Retro"], "teams_in_scope": [1, 1], "teams_adopted": [0, 1], "adoption_rate": [0.0, 1.0]},
        schema={"practice": pl.String(), **RATE_COUNTS},
    )
    result = adoption_rate(ADOPTION_FRAME, TEAMS_FRAME, PRACTICES_FRAME, Q1_START, Q1_END, product_lines=["Boreal"])
    assert_frame_equal(result, expected)


def test_adoption_rate_status_rules() -> None:
    teams = teams_frame([(name, "Atlas", None, None) for name in ("Done", "Late", "No status", "Skipped")])
    practices = practices_frame([("Retro", 14, None)])
    adoption = adoption_frame(
        [
            (date(2025, 1, 10), "Done", "Atlas", "Retro", "done"),
            (date(2025, 1, 10), "Late", "Atlas", "Retro", "late"),
            (date(2025, 1, 10), "No status", "Atlas", "Retro", None),
            (date(2025, 1, 10), "Skipped", "Atlas", "Retro", "skipped"),
            # Outside the range, and a team missing from the teams list: neither counts.
            (date(2025, 4, 1), "Skipped", "Atlas", "Retro", "done"),
            (date(2025, 1, 10), "Unknown team", "Atlas", "Retro", "done"),
        ]
    )
    matrix = adoption_matrix(adoption, teams, practices, Q1_START, Q1_END)
    assert matrix["adopted"].to_list() == [True, True, True, False]
    rate = adoption_rate(adoption, teams, practices, Q1_START, Q1_END)
    assert rate.row(0) == ("Retro", 4, 3, 0.75)


def test_adoption_rate_practice_rolled_out_on_the_last_day_is_present() -> None:
    practices = practices_frame([("Retro", 14, Q1_END), ("Later", 14, date(2025, 4, 1))])
    result = adoption_rate(ADOPTION_FRAME, TEAMS_FRAME, practices, Q1_START, Q1_END)
    assert result["practice"].to_list() == ["Retro"]


def test_adoption_rate_empty_inputs() -> None:
    no_adoption = pl.DataFrame(
        {"practice": ["QBR", "Retro"], "teams_in_scope": [3, 3], "teams_adopted": [0, 0], "adoption_rate": [0.0, 0.0]},
        schema={"practice": pl.String(), **RATE_COUNTS},
    )
    assert_frame_equal(adoption_rate(EMPTY_ADOPTION, TEAMS_FRAME, PRACTICES_FRAME, Q1_START, Q1_END), no_adoption)
    no_teams = pl.DataFrame(schema={"practice": pl.String(), **RATE_COUNTS})
    assert_frame_equal(adoption_rate(ADOPTION_FRAME, EMPTY_TEAMS, PRACTICES_FRAME, Q1_START, Q1_END), no_teams)
    overall = pl.DataFrame(
        {"teams_in_scope": [0], "teams_adopted": [0], "adoption_rate": [None]},
        schema=RATE_COUNTS,
    )
    assert_frame_equal(adoption_rate(ADOPTION_FRAME, TEAMS_FRAME, EMPTY_PRACTICES, Q1_START, Q1_END, by=()), overall)


def test_adoption_rate_rejects_unknown_grouping() -> None:
    with pytest.raises(ValueError, match="status"):
        adoption_rate(ADOPTION_FRAME, TEAMS_FRAME, PRACTICES_FRAME, Q1_START, Q1_END, by=("status",))


# --- adoption_by_period -----------------------------------------------------------------------------------------------

BY_PERIOD_SCHEMA: dict[str, pl.DataType] = {"practice": pl.String(), "period_start": pl.Date(), **RATE_COUNTS}


def test_adoption_by_period_monthly_clips_to_the_range() -> None:
    # From 16 January: January counts 16–31 only, so Boreal Ops' runs on 8 and 15 January fall outside it.
    # January: Atlas Core and Boreal Ops in scope; February: Atlas Core and Atlas Growth (whose run was skipped);
    # March: the same two, both ran a Retro, and QBR (rolled out 1 March) appears, run by Atlas Core only.
    expected = pl.DataFrame(
        {
            "practice": ["QBR", "Retro", "Retro", "Retro"],
            "period_start": [date(2025, 3, 1), date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)],
            "teams_in_scope": [2, 2, 2, 2],
            "teams_adopted": [1, 1, 1, 2],
            "adoption_rate": [0.5, 0.5, 0.5, 1.0],
        },
        schema=BY_PERIOD_SCHEMA,
    )
    result = adoption_by_period(ADOPTION_FRAME, TEAMS_FRAME, PRACTICES_FRAME, "month", 1, date(2025, 1, 16), Q1_END)
    assert_frame_equal(result, expected)


def test_adoption_by_period_fiscal_quarters() -> None:
    # Fiscal year from February: Q1 2025 spans the quarter Nov–Jan (clipped to January) and Feb–Apr (clipped to
    # February–March). QBR is rolled out before the end of the second one only.
    expected = pl.DataFrame(
        {
            "practice": ["QBR", "Retro", "Retro"],
            "period_start": [date(2025, 2, 1), date(2024, 11, 1), date(2025, 2, 1)],
            "teams_in_scope": [2, 2, 2],
            "teams_adopted": [1, 2, 2],
            "adoption_rate": [0.5, 1.0, 1.0],
        },
        schema=BY_PERIOD_SCHEMA,
    )
    result = adoption_by_period(ADOPTION_FRAME, TEAMS_FRAME, PRACTICES_FRAME, "quarter", 2, Q1_START, Q1_END)
    assert_frame_equal(result, expected)


def test_adoption_by_period_selected_line_single_day() -> None:
    expected = pl.DataFrame(
        {
            "practice": ["Retro"],
            "period_start": [date(2025, 1, 13)],
            "teams_in_scope": [1],
            "teams_adopted": [1],
            "adoption_rate": [1.0],
        },
        schema=BY_PERIOD_SCHEMA,
    )
    day = date(2025, 1, 15)
    result = adoption_by_period(
        ADOPTION_FRAME, TEAMS_FRAME, PRACTICES_FRAME, "week", 1, day, day, product_lines=["Boreal"]
    )
    assert_frame_equal(result, expected)


def test_adoption_by_period_empty() -> None:
    empty = pl.DataFrame(schema=BY_PERIOD_SCHEMA)
    assert_frame_equal(
        adoption_by_period(EMPTY_ADOPTION, EMPTY_TEAMS, EMPTY_PRACTICES, "month", 1, Q1_START, Q1_END), empty
    )
    # An end before the start has no periods at all.
    assert_frame_equal(
        adoption_by_period(ADOPTION_FRAME, TEAMS_FRAME, PRACTICES_FRAME, "month", 1, Q1_END, Q1_START), empty
    )


# --- adoption_matrix --------------------------------------------------------------------------------------------------

MATRIX_SCHEMA: dict[str, pl.DataType] = {
    "team": pl.String(),
    "product_line": pl.String(),
    "practice": pl.String(),
    "occurrences": pl.Int64(),
    "done": pl.Int64(),
    "last_done": pl.Date(),
    "adopted": pl.Boolean(),
}


def test_adoption_matrix_every_team_in_scope_by_rolled_out_practice() -> None:
    expected = pl.DataFrame(
        {
            "team": ["Atlas Core", "Atlas Core", "Atlas Growth", "Atlas Growth", "Boreal Ops", "Boreal Ops"],
            "product_line": ["Atlas", "Atlas", "Atlas", "Atlas", "Boreal", "Boreal"],
            "practice": ["QBR", "Retro"] * 3,
            # Atlas Core's Retro: 5 January, 19 January (late), 10 February, 3 March; the skipped one and December's
            # are not counted.
            "occurrences": [1, 4, 0, 1, 0, 2],
            "done": [1, 4, 0, 1, 0, 2],
            "last_done": [date(2025, 3, 10), date(2025, 3, 3), None, date(2025, 3, 20), None, date(2025, 1, 15)],
            "adopted": [True, True, False, True, False, True],
        },
        schema=MATRIX_SCHEMA,
    )
    assert_frame_equal(adoption_matrix(ADOPTION_FRAME, TEAMS_FRAME, PRACTICES_FRAME, Q1_START, Q1_END), expected)


def test_adoption_matrix_empty() -> None:
    empty = pl.DataFrame(schema=MATRIX_SCHEMA)
    assert_frame_equal(adoption_matrix(ADOPTION_FRAME, EMPTY_TEAMS, PRACTICES_FRAME, Q1_START, Q1_END), empty)
    assert_frame_equal(adoption_matrix(ADOPTION_FRAME, TEAMS_FRAME, EMPTY_PRACTICES, Q1_START, Q1_END), empty)


# --- cadence_adherence ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("by", "expected_rows"),
    [
        # Retro: Atlas Core 4 intervals, 2 on time; Boreal Ops 1 of 1; Atlas Growth's lone run has no previous one.
        # QBR: one run, no interval. Demo is not rolled out.
        (("practice",), [{"practice": "QBR", "intervals": 0, "on_time": 0, "adherence": None},
                         {"practice": "Retro", "intervals": 5, "on_time": 3, "adherence": 0.6}]),
        (("team",), [{"team": "Atlas Core", "intervals": 4, "on_time": 2, "adherence": 0.5},
                     {"team": "Atlas Growth", "intervals": 0, "on_time": 0, "adherence": None},
                     {"team": "Boreal Ops", "intervals": 1, "on_time": 1, "adherence": 1.0}]),
        (("product_line",), [{"product_line": "Atlas", "intervals": 4, "on_time": 2, "adherence": 0.5},
                             {"product_line": "Boreal", "intervals": 1, "on_time": 1, "adherence": 1.0}]),
        (("practice", "product_line"), [
            {"practice": "QBR", "product_line": "Atlas", "intervals": 0, "on_time": 0, "adherence": None},
            {"practice": "Retro", "product_line": "Atlas", "intervals": 4, "on_time": 2, "adherence": 0.5},
            {"practice": "Retro", "product_line": "Boreal", "intervals": 1, "on_time": 1, "adherence": 1.0},
        ]),
        ((), [{"intervals": 5, "on_time": 3, "adherence": 0.6}]),
    ],
)  # fmt: skip
def test_cadence_adherence_groupings(by: tuple[str, ...], expected_rows: list[dict[str, object]]) -> None:
    schema = {**dict.fromkeys(by, pl.String()), **ADHERENCE_COUNTS}
    expected = pl.DataFrame(expected_rows, schema=schema)
    assert_frame_equal(cadence_adherence(ADOPTION_FRAME, PRACTICES_FRAME, Q1_START, Q1_END, by=by), expected)


def test_cadence_adherence_gap_equal_to_cadence_is_on_time() -> None:
    practices = practices_frame([("Retro", 14, None)])
    adoption = adoption_frame(
        [
            (date(2025, 1, 1), "Atlas Core", "Atlas", "Retro", "done"),
            (date(2025, 1, 15), "Atlas Core", "Atlas", "Retro", "done"),  # 14 days: on time
            (date(2025, 1, 30), "Atlas Core", "Atlas", "Retro", "done"),  # 15 days: not
        ]
    )
    result = cadence_adherence(adoption, practices, Q1_START, Q1_END)
    assert result.row(0) == ("Retro", 2, 1, 0.5)


def test_cadence_adherence_uses_history_before_the_range_only_for_gaps() -> None:
    practices = practices_frame([("Retro", 14, None)])
    adoption = adoption_frame(
        [
            (date(2025, 1, 20), "Atlas Core", "Atlas", "Retro", "done"),  # before the range: previous only
            (date(2025, 2, 1), "Atlas Core", "Atlas", "Retro", "done"),  # 12 days: on time
            (date(2025, 3, 1), "Atlas Core", "Atlas", "Retro", "done"),  # 28 days: not
            (date(2025, 3, 5), "Atlas Core", "Atlas", "Retro", "done"),  # after the range: not counted
        ]
    )
    result = cadence_adherence(adoption, practices, date(2025, 2, 1), date(2025, 3, 1))
    assert result.row(0) == ("Retro", 2, 1, 0.5)


def test_cadence_adherence_selected_line_keeps_history_of_a_team_that_moved() -> None:
    practices = practices_frame([("Retro", 14, None)])
    # The team moved from Atlas to Boreal; its first Boreal run is measured against its last Atlas one.
    adoption = adoption_frame(
        [
            (date(2025, 1, 1), "Nomads", "Atlas", "Retro", "done"),
            (date(2025, 1, 10), "Nomads", "Boreal", "Retro", "done"),
        ]
    )
    expected = pl.DataFrame(
        {"practice": ["Retro"], "intervals": [1], "on_time": [1], "adherence": [1.0]},
        schema={"practice": pl.String(), **ADHERENCE_COUNTS},
    )
    result = cadence_adherence(adoption, practices, Q1_START, Q1_END, product_lines=["Boreal"])
    assert_frame_equal(result, expected)


def test_cadence_adherence_empty() -> None:
    by_practice = pl.DataFrame(schema={"practice": pl.String(), **ADHERENCE_COUNTS})
    assert_frame_equal(cadence_adherence(EMPTY_ADOPTION, PRACTICES_FRAME, Q1_START, Q1_END), by_practice)
    overall = pl.DataFrame({"intervals": [0], "on_time": [0], "adherence": [None]}, schema=ADHERENCE_COUNTS)
    assert_frame_equal(cadence_adherence(EMPTY_ADOPTION, PRACTICES_FRAME, Q1_START, Q1_END, by=()), overall)


# --- lapsed_teams -----------------------------------------------------------------------------------------------------


def test_lapsed_teams_on_the_shared_data() -> None:
    # Atlas Core's Retro: last run 3 March, 43 days before 15 April > 1.5 × 14. Boreal Ops has left; the other pairs
    # have fewer than two runs.
    expected = pl.DataFrame(
        [
            {
                "team": "Atlas Core",
                "product_line": "Atlas",
                "practice": "Retro",
                "last_done": date(2025, 3, 3),
                "days_since": 43,
                "cadence_days": 14,
                "overdue_days": 29,
            }
        ],
        schema=LAPSED_SCHEMA,
    )
    assert_frame_equal(lapsed_teams(ADOPTION_FRAME, TEAMS_FRAME, PRACTICES_FRAME, date(2025, 4, 15)), expected)


def test_lapsed_teams_grace_boundary_and_sorting() -> None:
    teams = teams_frame(
        [
            ("Alpha", "Atlas", None, None),
            ("Bravo", "Boreal", None, None),
            ("Charlie", "Atlas", None, None),
            ("Delta", "Atlas", None, None),
        ]
    )
    practices = practices_frame([("Retro", 10, None), ("Sync", 20, None)])
    as_of = date(2025, 3, 31)
    adoption = adoption_frame(
        [
            # Exactly 1.5 × 10 = 15 days ago: not lapsed.
            (date(2025, 3, 1), "Alpha", "Atlas", "Retro", "done"),
            (date(2025, 3, 16), "Alpha", "Atlas", "Retro", "done"),
            # 16 days ago: lapsed, 6 days overdue.
            (date(2025, 3, 1), "Bravo", "Boreal", "Retro", "done"),
            (date(2025, 3, 15), "Bravo", "Boreal", "Retro", "late"),
            # Status-less runs count; 31 days ago > 30: lapsed, 11 days overdue.
            (date(2025, 2, 1), "Charlie", "Atlas", "Sync", None),
            (date(2025, 2, 28), "Charlie", "Atlas", "Sync", None),
            # 16 days ago: lapsed, 6 days overdue, ties with Bravo. The skipped and the later run don't count.
            (date(2025, 3, 1), "Delta", "Atlas", "Retro", "done"),
            (date(2025, 3, 15), "Delta", "Atlas", "Retro", "done"),
            (date(2025, 3, 25), "Delta", "Atlas", "Retro", "skipped"),
            (date(2025, 4, 2), "Delta", "Atlas", "Retro", "done"),
        ]
    )
    expected = pl.DataFrame(
        {
            "team": ["Charlie", "Bravo", "Delta"],
            "product_line": ["Atlas", "Boreal", "Atlas"],
            "practice": ["Sync", "Retro", "Retro"],
            "last_done": [date(2025, 2, 28), date(2025, 3, 15), date(2025, 3, 15)],
            "days_since": [31, 16, 16],
            "cadence_days": [20, 10, 10],
            "overdue_days": [11, 6, 6],
        },
        schema=LAPSED_SCHEMA,
    )
    assert_frame_equal(lapsed_teams(adoption, teams, practices, as_of), expected)
    only_boreal = lapsed_teams(adoption, teams, practices, as_of, product_lines=["Boreal"])
    assert only_boreal["team"].to_list() == ["Bravo"]
    # A wider grace forgives them all: 31 ≤ 1.6 × 20 and 16 ≤ 1.6 × 10.
    assert lapsed_teams(adoption, teams, practices, as_of, grace=1.6).height == 0


def test_lapsed_teams_single_run_and_inactive_team() -> None:
    teams = teams_frame([("Once", "Atlas", None, None), ("Gone", "Atlas", None, date(2025, 3, 30))])
    practices = practices_frame([("Retro", 10, None)])
    adoption = adoption_frame(
        [
            (date(2025, 1, 1), "Once", "Atlas", "Retro", "done"),
            (date(2025, 1, 1), "Gone", "Atlas", "Retro", "done"),
            (date(2025, 1, 11), "Gone", "Atlas", "Retro", "done"),
        ]
    )
    assert_frame_equal(lapsed_teams(adoption, teams, practices, date(2025, 3, 31)), pl.DataFrame(schema=LAPSED_SCHEMA))


def test_lapsed_teams_empty() -> None:
    result = lapsed_teams(EMPTY_ADOPTION, EMPTY_TEAMS, EMPTY_PRACTICES, date(2025, 3, 31))
    assert_frame_equal(result, pl.DataFrame(schema=LAPSED_SCHEMA))


# --- process_by_product_line ------------------------------------------------------------------------------------------

BY_LINE_SCHEMA: dict[str, pl.DataType] = {
    "product_line": pl.String(),
    "teams": pl.Int64(),
    "adoption_rate": pl.Float64(),
    "adherence": pl.Float64(),
    "lapsed": pl.Int64(),
}


def test_process_by_product_line() -> None:
    expected = pl.DataFrame(
        {
            "product_line": ["Atlas", "Boreal"],
            "teams": [2, 1],
            "adoption_rate": [0.75, 0.5],
            "adherence": [0.5, 1.0],
            "lapsed": [1, 0],
        },
        schema=BY_LINE_SCHEMA,
    )
    result = process_by_product_line(ADOPTION_FRAME, TEAMS_FRAME, PRACTICES_FRAME, Q1_START, Q1_END, date(2025, 4, 15))
    assert_frame_equal(result, expected)


def test_process_by_product_line_without_practices_or_runs() -> None:
    expected = pl.DataFrame(
        {"product_line": ["Atlas"], "teams": [2], "adoption_rate": [None], "adherence": [None], "lapsed": [0]},
        schema=BY_LINE_SCHEMA,
    )
    result = process_by_product_line(
        EMPTY_ADOPTION, TEAMS_FRAME, EMPTY_PRACTICES, Q1_START, Q1_END, Q1_END, product_lines=["Atlas"]
    )
    assert_frame_equal(result, expected)


def test_process_by_product_line_empty() -> None:
    result = process_by_product_line(EMPTY_ADOPTION, EMPTY_TEAMS, EMPTY_PRACTICES, Q1_START, Q1_END, Q1_END)
    assert_frame_equal(result, pl.DataFrame(schema=BY_LINE_SCHEMA))


# --- prepared adoption history ----------------------------------------------------------------------------------------

GAPS_SCHEMA: dict[str, pl.DataType] = {
    "date": pl.Date(),
    "team": pl.String(),
    "product_line": pl.String(),
    "practice": pl.String(),
    "done": pl.Boolean(),
    "gap_days": pl.Int64(),
}


def test_occurrence_gaps() -> None:
    # The skipped rows (24 Feb, 20 Feb) are no occurrences, so Atlas Core's 3 March Retro is 21 days after 10 Feb.
    expected = pl.DataFrame(
        [
            (date(2024, 12, 22), "Atlas Core", "Atlas", "Retro", True, None),
            (date(2025, 1, 5), "Atlas Core", "Atlas", "Retro", True, 14),
            (date(2025, 1, 8), "Boreal Ops", "Boreal", "Retro", True, None),
            (date(2025, 1, 10), "Boreal Ops", "Boreal", "Demo", True, None),
            (date(2025, 1, 15), "Boreal Ops", "Boreal", "Retro", True, 7),
            (date(2025, 1, 19), "Atlas Core", "Atlas", "Retro", True, 14),
            (date(2025, 2, 10), "Atlas Core", "Atlas", "Retro", True, 22),
            (date(2025, 3, 3), "Atlas Core", "Atlas", "Retro", True, 21),
            (date(2025, 3, 10), "Atlas Core", "Atlas", "QBR", True, None),
            (date(2025, 3, 20), "Atlas Growth", "Atlas", "Retro", True, None),
            (date(2025, 4, 7), "Boreal Data", "Boreal", "Retro", True, None),
        ],
        schema=GAPS_SCHEMA,
        orient="row",
    )
    assert_frame_equal(occurrence_gaps(ADOPTION_FRAME), expected)


def test_occurrence_gaps_status_and_null_dates() -> None:
    # A row without a date is left out; an unknown status is an occurrence that is not done; same-day runs: gap 0.
    adoption = adoption_frame(
        [
            (date(2025, 1, 1), "Alpha", "Atlas", "Retro", "done"),
            (date(2025, 1, 1), "Alpha", "Atlas", "Sync", "planned"),
            (date(2025, 1, 1), "Bravo", "Atlas", "Retro", None),
        ]
    ).vstack(adoption_frame([(date(2025, 1, 3), "Alpha", "Atlas", "Retro", "late")]).with_columns(date=None))
    expected = pl.DataFrame(
        [
            (date(2025, 1, 1), "Alpha", "Atlas", "Retro", True, None),
            (date(2025, 1, 1), "Alpha", "Atlas", "Sync", False, None),
            (date(2025, 1, 1), "Bravo", "Atlas", "Retro", True, None),
        ],
        schema=GAPS_SCHEMA,
        orient="row",
    )
    assert_frame_equal(occurrence_gaps(adoption), expected)
    assert_frame_equal(occurrence_gaps(EMPTY_ADOPTION), pl.DataFrame(schema=GAPS_SCHEMA))


DONE_SCHEMA: dict[str, pl.DataType] = {
    "team": pl.String(),
    "practice": pl.String(),
    "date": pl.Date(),
    "done_count": pl.Int64(),
}


def test_done_history() -> None:
    # Atlas Core ran Retro five times (the skipped 24 February is not one); Boreal Ops' status-less 8 January counts.
    expected = pl.DataFrame(
        [
            ("Atlas Core", "QBR", date(2025, 3, 10), 1),
            ("Atlas Core", "Retro", date(2024, 12, 22), 1),
            ("Atlas Core", "Retro", date(2025, 1, 5), 2),
            ("Atlas Core", "Retro", date(2025, 1, 19), 3),
            ("Atlas Core", "Retro", date(2025, 2, 10), 4),
            ("Atlas Core", "Retro", date(2025, 3, 3), 5),
            ("Atlas Growth", "Retro", date(2025, 3, 20), 1),
            ("Boreal Data", "Retro", date(2025, 4, 7), 1),
            ("Boreal Ops", "Demo", date(2025, 1, 10), 1),
            ("Boreal Ops", "Retro", date(2025, 1, 8), 1),
            ("Boreal Ops", "Retro", date(2025, 1, 15), 2),
        ],
        schema=DONE_SCHEMA,
        orient="row",
    )
    assert_frame_equal(done_history(ADOPTION_FRAME), expected)
    assert_frame_equal(done_history(EMPTY_ADOPTION), pl.DataFrame(schema=DONE_SCHEMA))


def test_adoption_history_numbers_pairs_and_keys_done_rows() -> None:
    history = adoption_history(ADOPTION_FRAME)
    pairs = pl.DataFrame(
        {
            "pair": [0, 1, 2, 3, 4, 5],
            "team": ["Atlas Core", "Atlas Core", "Atlas Growth", "Boreal Data", "Boreal Ops", "Boreal Ops"],
            "practice": ["QBR", "Retro", "Retro", "Retro", "Demo", "Retro"],
        },
        schema={"pair": pl.Int64(), "team": pl.String(), "practice": pl.String()},
    )
    assert_frame_equal(history.pairs, pairs)
    # Boreal Ops' Retro (pair 5) on 8 January 2025, day 20096 since 1970: 5 × 2**32 + 20096 + 2**31.
    last = history.done.row(history.done.height - 2, named=True)
    assert last == {"key": 5 * 2**32 + 20096 + 2**31, "pair": 5, "date": date(2025, 1, 8), "done_count": 1}
    assert history.done.get_column("key").is_sorted()
    assert history.done.height == 11


TWO_MONTHS = pl.DataFrame(
    [
        (date(2025, 1, 1), date(2025, 1, 16), date(2025, 1, 31)),
        (date(2025, 2, 1), date(2025, 2, 1), date(2025, 2, 28)),
        (date(2025, 3, 1), date(2025, 3, 1), date(2025, 3, 15)),
    ],
    schema=PERIODS_SCHEMA,
    orient="row",
)


def test_period_teams_and_pairs() -> None:
    # Boreal Ops (gone 20 January) is still in the clipped January from the 16th; Atlas Growth joins 15 February.
    # QBR is rolled out on 1 March, Demo after the range.
    teams = pl.DataFrame(
        {
            "period_start": [date(2025, 2, 1), date(2025, 2, 1), date(2025, 3, 1), date(2025, 3, 1)],
            "team": ["Atlas Core", "Atlas Growth", "Atlas Core", "Atlas Growth"],
            "product_line": ["Atlas"] * 4,
        },
        schema={"period_start": pl.Date(), "team": pl.String(), "product_line": pl.String()},
    )
    january = pl.DataFrame(
        {
            "period_start": [date(2025, 1, 1)] * 2,
            "team": ["Atlas Core", "Boreal Ops"],
            "product_line": ["Atlas", "Boreal"],
        }
    )
    assert_frame_equal(period_teams(TEAMS_FRAME, TWO_MONTHS, None), pl.concat([january, teams]))
    assert_frame_equal(period_teams(TEAMS_FRAME, TWO_MONTHS, ["Boreal"]), january.slice(1, 1))
    pairs = pl.DataFrame(
        [
            (date(2025, 1, 1), "Atlas Core", "Atlas", "Retro"),
            (date(2025, 1, 1), "Boreal Ops", "Boreal", "Retro"),
            (date(2025, 2, 1), "Atlas Core", "Atlas", "Retro"),
            (date(2025, 2, 1), "Atlas Growth", "Atlas", "Retro"),
            (date(2025, 3, 1), "Atlas Core", "Atlas", "QBR"),
            (date(2025, 3, 1), "Atlas Core", "Atlas", "Retro"),
            (date(2025, 3, 1), "Atlas Growth", "Atlas", "QBR"),
            (date(2025, 3, 1), "Atlas Growth", "Atlas", "Retro"),
        ],
        schema={"period_start": pl.Date(), "team": pl.String(), "product_line": pl.String(), "practice": pl.String()},
        orient="row",
    )
    assert_frame_equal(period_pairs(TEAMS_FRAME, PRACTICES_FRAME, TWO_MONTHS, None), pairs)
    assert_frame_equal(period_pairs(TEAMS_FRAME, EMPTY_PRACTICES, TWO_MONTHS, None), pairs.clear())


def test_occurrences_in_periods() -> None:
    history = adoption_history(ADOPTION_FRAME)
    expected = pl.DataFrame(
        [
            (date(2025, 1, 19), "Atlas Core", "Atlas", "Retro", True, 14, date(2025, 1, 1)),
            (date(2025, 2, 10), "Atlas Core", "Atlas", "Retro", True, 22, date(2025, 2, 1)),
            (date(2025, 3, 3), "Atlas Core", "Atlas", "Retro", True, 21, date(2025, 3, 1)),
            (date(2025, 3, 10), "Atlas Core", "Atlas", "QBR", True, None, date(2025, 3, 1)),
        ],
        schema={**GAPS_SCHEMA, "period_start": pl.Date()},
        orient="row",
    )
    assert_frame_equal(occurrences_in_periods(history, TWO_MONTHS), expected)
    assert_frame_equal(occurrences_in_periods(history, TWO_MONTHS.clear()), expected.clear())


def test_lapsed_counts() -> None:
    # Atlas Core's Retro (cadence 14, grace 21 days): last run 19 January at the end of January (12 days), 10 February
    # at the end of February (18), 3 March at the end of March (28: lapsed) and on 15 April (43). Boreal Ops has two
    # runs but has left by 31 January; on 16 January it is active and ran the day before.
    as_of = pl.DataFrame(
        {
            "period_start": [date(2025, 1, 1), date(2025, 1, 2), date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1)],
            "as_of": [date(2025, 1, 16), date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 15)],
        }
    )
    history = adoption_history(ADOPTION_FRAME)
    expected = pl.DataFrame(
        {"period_start": as_of.get_column("period_start"), "lapsed": [0, 0, 0, 1, 1]},
        schema={"period_start": pl.Date(), "lapsed": pl.Int64()},
    )
    assert_frame_equal(lapsed_counts(history, TEAMS_FRAME, PRACTICES_FRAME, as_of), expected)
    # With a grace of 1, 18 days after 10 February is already past 14 days.
    one = expected.with_columns(lapsed=pl.Series([0, 0, 1, 1, 1]))
    assert_frame_equal(lapsed_counts(history, TEAMS_FRAME, PRACTICES_FRAME, as_of, grace=1.0), one)
    none = expected.with_columns(lapsed=pl.Series([0, 0, 0, 0, 0]))
    assert_frame_equal(lapsed_counts(history, TEAMS_FRAME, PRACTICES_FRAME, as_of, product_lines=["Boreal"]), none)
    empty = adoption_history(EMPTY_ADOPTION)
    assert_frame_equal(lapsed_counts(empty, TEAMS_FRAME, PRACTICES_FRAME, as_of), none)
