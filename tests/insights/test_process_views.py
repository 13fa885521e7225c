"""Tests for insights.process_views: the process pulse, per period, chart markers and slow practices."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from insights import process_views
from insights.periods import Granularity, periods_between
from insights.process import adoption_history, adoption_rate
from insights.process_views import (
    pooled_adoption_by_period,
    practice_markers,
    practices_slower_than,
    process_pulse,
    process_pulse_by_period,
)
from sources.contracts import ADOPTION, EVENTS, PRACTICES, TEAMS
from tests.insights.test_process import with_history

Q1_START = date(2025, 1, 1)
Q1_END = date(2025, 3, 31)
PULSE_SCHEMA: dict[str, pl.DataType] = {
    "pairs_in_scope": pl.Int64(),
    "pairs_adopted": pl.Int64(),
    "adoption_rate": pl.Float64(),
    "intervals": pl.Int64(),
    "on_time": pl.Int64(),
    "adherence": pl.Float64(),
    "teams": pl.Int64(),
    "lapsed": pl.Int64(),
}
MARKER_SCHEMA: dict[str, pl.DataType] = {
    "practice": pl.String(),
    "date": pl.Date(),
    "label": pl.String(),
    "kind": pl.String(),
}

# T2 joins mid-February; T3 leaves on 10 January (in scope for Q1, inactive at its end); T4 starts after Q1.
TEAMS_FRAME = pl.DataFrame(
    [
        {"team": "T1", "product_line": "Atlas", "active_from": None, "active_to": None},
        {"team": "T2", "product_line": "Atlas", "active_from": date(2025, 2, 15), "active_to": None},
        {"team": "T3", "product_line": "Beacon", "active_from": None, "active_to": date(2025, 1, 10)},
        {"team": "T4", "product_line": "Beacon", "active_from": date(2025, 6, 1), "active_to": None},
    ],
    schema=TEAMS.schema,
)
# P30 rolls out on 1 March (inside Q1), P7 only in June (after it).
PRACTICES_FRAME = pl.DataFrame(
    [
        {"practice": "P14", "cadence_days": 14, "since": None},
        {"practice": "P30", "cadence_days": 30, "since": date(2025, 3, 1)},
        {"practice": "P7", "cadence_days": 7, "since": date(2025, 6, 1)},
    ],
    schema=PRACTICES.schema,
)
ADOPTION_FRAME = pl.DataFrame(
    [
        {"date": day, "team": team, "product_line": line, "practice": practice, "status": status}
        for day, team, line, practice, status in [
            (date(2024, 12, 20), "T1", "Atlas", "P14", "done"),
            (date(2025, 1, 2), "T1", "Atlas", "P14", "done"),
            (date(2025, 1, 20), "T1", "Atlas", "P14", "late"),
            (date(2025, 3, 10), "T1", "Atlas", "P14", "skipped"),
            (date(2025, 3, 5), "T1", "Atlas", "P30", None),
            (date(2025, 2, 20), "T2", "Atlas", "P14", "skipped"),
            (date(2024, 11, 1), "T3", "Beacon", "P14", "done"),
            (date(2024, 11, 15), "T3", "Beacon", "P14", "done"),
            (date(2025, 1, 5), "T3", "Beacon", "P14", "done"),
        ]
    ],
    schema=ADOPTION.schema,
)


@pytest.fixture(autouse=True, params=["raw", "prepared"])
def adoption_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each pulse test twice: the expected values are the same whether or not the adoption rows were prepared."""
    if request.param == "prepared":
        for name in ("process_pulse", "process_pulse_by_period"):
            monkeypatch.setitem(globals(), name, with_history(getattr(process_views, name)))
    return str(request.param)


def pulse_frame(rows: dict[str, list[object]], extra: dict[str, pl.DataType] | None = None) -> pl.DataFrame:
    """An expected pulse frame, with any leading columns first."""
    return pl.DataFrame(rows, schema={**(extra or {}), **PULSE_SCHEMA})


def test_process_pulse_for_a_quarter() -> None:
    expected = pulse_frame(
        {
            # T1, T2, T3 × P14, P30: adopted are T1·P14 (a late one counts), T1·P30 (no status) and T3·P14.
            "pairs_in_scope": [6],
            "pairs_adopted": [3],
            "adoption_rate": [0.5],
            # T1·P14: 2 Jan after 20 Dec is 13 days (on time), 20 Jan is 18 (late); T3·P14: 5 Jan after 15 Nov is 51.
            "intervals": [3],
            "on_time": [1],
            "adherence": [1 / 3],
            "teams": [3],
            # T1·P14 last done 20 Jan: 70 days before 31 Mar > 21; T3 is no longer active.
            "lapsed": [1],
        }
    )
    assert_frame_equal(process_pulse(ADOPTION_FRAME, TEAMS_FRAME, PRACTICES_FRAME, Q1_START, Q1_END), expected)


def test_process_pulse_for_one_product_line() -> None:
    expected = pulse_frame(
        {
            "pairs_in_scope": [2],
            "pairs_adopted": [1],
            "adoption_rate": [0.5],
            "intervals": [1],
            "on_time": [0],
            "adherence": [0.0],
            "teams": [1],
            "lapsed": [0],
        }
    )
    pulse = process_pulse(ADOPTION_FRAME, TEAMS_FRAME, PRACTICES_FRAME, Q1_START, Q1_END, ["Beacon"])
    assert_frame_equal(pulse, expected)


def test_process_pulse_empty() -> None:
    expected = pulse_frame(
        {
            "pairs_in_scope": [0],
            "pairs_adopted": [0],
            "adoption_rate": [None],
            "intervals": [0],
            "on_time": [0],
            "adherence": [None],
            "teams": [0],
            "lapsed": [0],
        }
    )
    pulse = process_pulse(ADOPTION.empty(), TEAMS.empty(), PRACTICES.empty(), Q1_START, Q1_END)
    assert_frame_equal(pulse, expected)


def test_process_pulse_by_month_clips_the_first_month() -> None:
    expected = pulse_frame(
        {
            "period_start": [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)],
            # January counts from the 15th: T3 has left, T2 not yet joined, P30 not rolled out.
            "pairs_in_scope": [1, 2, 4],
            "pairs_adopted": [1, 0, 1],
            "adoption_rate": [1.0, 0.0, 0.25],
            # March: T1·P30's first occurrence has no previous one, so no interval.
            "intervals": [1, 0, 0],
            "on_time": [0, 0, 0],
            "adherence": [0.0, None, None],
            "teams": [1, 2, 2],
            # As of 31 Jan, T1·P14's last done (20 Jan) is 11 days old; as of 28 Feb, 39 days.
            "lapsed": [0, 1, 1],
        },
        extra={"period_start": pl.Date()},
    )
    pulse = process_pulse_by_period(ADOPTION_FRAME, TEAMS_FRAME, PRACTICES_FRAME, "month", 1, date(2025, 1, 15), Q1_END)
    assert_frame_equal(pulse, expected)


def test_process_pulse_by_month_for_a_line_without_teams_in_later_months() -> None:
    expected = pulse_frame(
        {
            "period_start": [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)],
            # January: T3 (until 10 January) ran P14 on the 5th, 51 days after 15 November. Then no Beacon team.
            "pairs_in_scope": [1, 0, 0],
            "pairs_adopted": [1, 0, 0],
            "adoption_rate": [1.0, None, None],
            "intervals": [1, 0, 0],
            "on_time": [0, 0, 0],
            "adherence": [0.0, None, None],
            "teams": [1, 0, 0],
            # T3 is no longer active at the end of January.
            "lapsed": [0, 0, 0],
        },
        extra={"period_start": pl.Date()},
    )
    pulse = process_pulse_by_period(
        ADOPTION_FRAME, TEAMS_FRAME, PRACTICES_FRAME, "month", 1, Q1_START, Q1_END, product_lines=["Beacon"]
    )
    assert_frame_equal(pulse, expected)


def test_process_pulse_by_period_of_an_empty_range() -> None:
    pulse = process_pulse_by_period(
        ADOPTION_FRAME, TEAMS_FRAME, PRACTICES_FRAME, "month", 1, date(2025, 3, 1), date(2025, 2, 1)
    )
    assert_frame_equal(pulse, pulse_frame({}, extra={"period_start": pl.Date()}))


EVENTS_FRAME = pl.DataFrame(
    [
        {"date": date(2025, 2, 1), "event": "Weekly demos start", "product_line": None, "kind": "process"},
        {"date": date(2025, 2, 10), "event": "Beacon adopts RFCs", "product_line": "Beacon", "kind": "process"},
        # One event recorded for two lines: one mark.
        {"date": date(2025, 3, 3), "event": "New PRD review", "product_line": "Atlas", "kind": "process"},
        {"date": date(2025, 3, 3), "event": "New PRD review", "product_line": "Beacon", "kind": "process"},
        {"date": date(2025, 3, 20), "event": "Atlas launch", "product_line": "Atlas", "kind": "launch"},
        {"date": date(2024, 6, 1), "event": "Old process", "product_line": None, "kind": "process"},
    ],
    schema=EVENTS.schema,
)


def test_practice_markers_for_all_lines() -> None:
    expected = pl.DataFrame(
        {
            "practice": [None, None, "P30", None],
            "date": [date(2025, 2, 1), date(2025, 2, 10), date(2025, 3, 1), date(2025, 3, 3)],
            "label": ["Weekly demos start", "Beacon adopts RFCs", "rolled out", "New PRD review"],
            "kind": ["process", "process", "rollout", "process"],
        },
        schema=MARKER_SCHEMA,
    )
    assert_frame_equal(practice_markers(PRACTICES_FRAME, EVENTS_FRAME, Q1_START, Q1_END), expected)


def test_practice_markers_for_one_line() -> None:
    markers = practice_markers(PRACTICES_FRAME, EVENTS_FRAME, Q1_START, Q1_END, ["Atlas"])
    assert markers.get_column("label").to_list() == ["Weekly demos start", "rolled out", "New PRD review"]


def test_practice_markers_same_day_rollout_sorts_before_all_practice_events() -> None:
    events = pl.DataFrame(
        [{"date": date(2025, 3, 1), "event": "Big change", "product_line": None, "kind": "process"}],
        schema=EVENTS.schema,
    )
    markers = practice_markers(PRACTICES_FRAME, events, Q1_START, Q1_END)
    assert markers.get_column("practice").to_list() == ["P30", None]


def test_practice_markers_empty() -> None:
    markers = practice_markers(PRACTICES.empty(), EVENTS.empty(), Q1_START, Q1_END)
    assert_frame_equal(markers, pl.DataFrame(schema=MARKER_SCHEMA))


@pytest.mark.parametrize(
    ("granularity", "practices"),
    [
        ("week", ["P14", "P30", "P92"]),
        ("month", ["P92"]),
        # 92 days fits the longest quarter.
        ("quarter", []),
        ("year", []),
    ],
)
def test_practices_slower_than(granularity: Granularity, practices: list[str]) -> None:
    frame = pl.DataFrame(
        [
            {"practice": "P92", "cadence_days": 92, "since": None},
            {"practice": "P7", "cadence_days": 7, "since": None},
            {"practice": "P30", "cadence_days": 30, "since": None},
            {"practice": "P14", "cadence_days": 14, "since": None},
        ],
        schema=PRACTICES.schema,
    )
    assert practices_slower_than(frame, granularity) == practices


def test_practices_slower_than_without_practices() -> None:
    assert practices_slower_than(PRACTICES.empty(), "week") == []


@pytest.mark.parametrize("product_lines", [None, ["Atlas"], ["Beacon"]])
@pytest.mark.parametrize("granularity", ["week", "month", "quarter"])
def test_pooled_adoption_by_period_is_adoption_rate_of_each_period(
    product_lines: list[str] | None, granularity: Granularity
) -> None:
    # Counted in one pass, each whole period's pairs and rate are adoption_rate's for that period alone.
    periods = periods_between(date(2024, 11, 1), Q1_END, granularity, 1)
    pooled = pooled_adoption_by_period(
        adoption_history(ADOPTION_FRAME), TEAMS_FRAME, PRACTICES_FRAME, periods, product_lines
    )
    assert pooled.get_column("period_start").to_list() == [period.start for period in periods]
    for period, row in zip(periods, pooled.iter_rows(named=True), strict=True):
        alone = adoption_rate(
            ADOPTION_FRAME, TEAMS_FRAME, PRACTICES_FRAME, period.start, period.end, product_lines, by=()
        ).row(0, named=True)
        assert (row["pairs_in_scope"], row["pairs_adopted"]) == (alone["teams_in_scope"], alone["teams_adopted"])
        assert row["adoption_rate"] == alone["adoption_rate"]


@pytest.mark.parametrize("product_lines", [None, ["Atlas"], ["Beacon"]])
@pytest.mark.parametrize("granularity", ["week", "month", "quarter"])
def test_process_pulse_by_period_of_whole_periods_is_process_pulse_of_each(
    product_lines: list[str] | None, granularity: Granularity
) -> None:
    # The Process page reads the selected and the comparison period's pulse from the history's rows (both with the
    # prepared rows, and both without, as adoption_path sets).
    periods = periods_between(date(2024, 11, 1), Q1_END, granularity, 1)
    by_period = process_pulse_by_period(
        ADOPTION_FRAME, TEAMS_FRAME, PRACTICES_FRAME, granularity, 1, periods[0].start, periods[-1].end, product_lines
    )
    for period, row in zip(periods, by_period.iter_rows(named=True), strict=True):
        alone = process_pulse(
            ADOPTION_FRAME, TEAMS_FRAME, PRACTICES_FRAME, period.start, period.end, product_lines
        ).row(0, named=True)
        assert row.pop("period_start") == period.start
        assert row == alone
