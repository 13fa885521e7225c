"""AppTest of the Process & Practices page: its numbers equal a stdlib recomputation of the sample CSVs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

import polars as pl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import insights.process as process_module
import insights.process_views as process_views_module
from insights.process import whole_periods
from tests.app.conftest import period_bounds, read_rows

PAGE = "process"
DONE = ("done", "late", "")  # a late occurrence happened; a row without a status records one


@dataclass(frozen=True)
class Header:
    """What the page header says the view is."""

    period: tuple[date, date]
    comparison: tuple[date, date]


def header(at: AppTest) -> Header:
    """The selected and comparison periods, read from the page header's caption."""
    periods = re.match(r"(.+?) vs (.+?) · ", at.caption[0].value)
    assert periods, at.caption[0].value
    return Header(period_bounds(periods[1]), period_bounds(periods[2]))


def day(text: str) -> date | None:
    """A CSV date, or None when the cell is empty."""
    return date.fromisoformat(text) if text else None


def teams_in_scope(start: date, end: date, lines: set[str] | None = None) -> dict[str, str]:
    """Team → product line, for the teams of the lines (None = all) active at any time in [start, end]."""
    scope = {}
    for row in read_rows("teams"):
        active_from, active_to = day(row["active_from"]), day(row["active_to"])
        active = (active_from is None or active_from <= end) and (active_to is None or active_to >= start)
        if active and (lines is None or row["product_line"] in lines):
            scope[row["team"]] = row["product_line"]
    return scope


def adoption(start: date, end: date, lines: set[str] | None = None) -> tuple[int, int]:
    """Adopted and in-scope team × practice pairs: practices rolled out by ``end``, a done occurrence in the range."""
    teams = teams_in_scope(start, end, lines)
    practices = {
        row["practice"] for row in read_rows("practices") if (since := day(row["since"])) is None or since <= end
    }
    pairs = {(team, practice) for team in teams for practice in practices}
    adopted = {
        (row["team"], row["practice"])
        for row in read_rows("adoption")
        if start <= date.fromisoformat(row["date"]) <= end and row["status"] in DONE
    }
    return len(pairs & adopted), len(pairs)


def lapsed(as_of: date, lines: set[str] | None = None) -> set[tuple[str, str]]:
    """(team, practice) pairs run at least twice whose last done is over 1.5 × the cadence before ``as_of``."""
    active = teams_in_scope(as_of, as_of, lines)
    cadence = {row["practice"]: int(row["cadence_days"]) for row in read_rows("practices")}
    done_dates: dict[tuple[str, str], list[date]] = {}
    for row in read_rows("adoption"):
        when = date.fromisoformat(row["date"])
        if when <= as_of and row["status"] in DONE:
            done_dates.setdefault((row["team"], row["practice"]), []).append(when)
    return {
        (team, practice)
        for (team, practice), dates in done_dates.items()
        if team in active and len(dates) >= 2 and (as_of - max(dates)).days > 1.5 * cadence[practice]
    }


def metric(at: AppTest, label: str) -> Any:
    """The KPI card with this label."""
    found = [card for card in at.metric if card.label == label]
    assert len(found) == 1, [card.label for card in at.metric]
    return found[0]


def figure_titled(at: AppTest, title_start: str) -> dict[str, Any]:
    """The one figure whose title starts with ``title_start``."""
    found = [
        figure
        for figure in (json.loads(chart.proto.spec) for chart in at.get("plotly_chart"))
        if figure["layout"]["title"]["text"].startswith(title_start)
    ]
    assert len(found) == 1
    figure: dict[str, Any] = found[0]
    return figure


def lapsed_table(at: AppTest) -> set[tuple[str, str]]:
    """The (team, practice) rows of the lapsed cadences table."""
    table = next(frame.value for frame in at.dataframe if "overdue_days" in frame.value.columns)
    return set(zip(table["team"], table["practice"], strict=True))


def test_default_view_adoption_equals_the_stdlib_count(app: Callable[..., AppTest]) -> None:
    at = app(page=PAGE)
    assert not at.exception
    assert not at.error
    start, end = header(at).period
    adopted, pairs = adoption(start, end)
    card = metric(at, "Adoption")
    assert card.value == f"{100 * adopted / pairs:.1f}%"
    assert card.help.startswith(f"{adopted:,} of {pairs:,} team × practice pairs")
    assert f"({adopted / pairs:.2%})" in card.help
    assert metric(at, "Teams in scope").value == str(len(teams_in_scope(start, end)))


def test_lapsed_table_lists_exactly_the_lapsed_pairs(app: Callable[..., AppTest]) -> None:
    at = app(page=PAGE)
    _, end = header(at).period
    expected = lapsed(end)
    assert expected
    assert lapsed_table(at) == expected
    assert metric(at, "Lapsed cadences").value == str(len(expected))


def test_matrix_has_one_row_per_team_in_scope(app: Callable[..., AppTest]) -> None:
    at = app(page=PAGE)
    start, end = header(at).period
    matrix = figure_titled(at, "Who ran what in")
    teams = matrix["data"][0]["y"]
    assert len(teams) == len(set(teams))
    assert set(teams) == set(teams_in_scope(start, end))
    # Grouped by product line: the lines of the rows, in order, never come back after another line.
    scope = teams_in_scope(start, end)
    line_order = [scope[team] for team in teams]
    assert line_order == sorted(line_order)


def test_one_product_line_changes_the_numbers(app: Callable[..., AppTest]) -> None:
    everyone = app(page=PAGE)
    start, end = header(everyone).period
    line = next(iter(sorted({scope_line for _, scope_line in lapsed_lines(end)})))
    at = app(page=PAGE, query={"lines": [line]})
    assert not at.exception
    adopted, pairs = adoption(start, end, {line})
    assert pairs < adoption(start, end)[1]
    assert metric(at, "Adoption").value == f"{100 * adopted / pairs:.1f}%"
    assert lapsed_table(at) == lapsed(end, {line})
    assert set(figure_titled(at, "Who ran what in")["data"][0]["y"]) == set(teams_in_scope(start, end, {line}))


def lapsed_lines(as_of: date) -> set[tuple[str, str]]:
    """(team, product line) of every lapsed pair: a line with something to act on."""
    teams = {row["team"]: row["product_line"] for row in read_rows("teams")}
    return {(team, teams[team]) for team, _ in lapsed(as_of)}


def test_monthly_view_recomputes_for_the_month_and_warns_about_slow_practices(app: Callable[..., AppTest]) -> None:
    at = app(page=PAGE, query={"granularity": "Month"})
    assert not at.exception
    start, end = header(at).period
    assert (end - start).days < 31
    adopted, pairs = adoption(start, end)
    assert metric(at, "Adoption").value == f"{100 * adopted / pairs:.1f}%"
    slow = sorted(row["practice"] for row in read_rows("practices") if int(row["cadence_days"]) > 31)
    assert slow
    assert any(caption.value.startswith(", ".join(slow)) for caption in at.caption)


def test_trend_marks_rollouts_and_process_events(app: Callable[..., AppTest]) -> None:
    at = app(page=PAGE)
    range_start, range_end = (
        datetime.strptime(text, "%d %b %Y").date()
        for text in re.findall(r"\d{1,2} \w{3} \d{4}", at.caption[0].value)[:2]
    )
    trend = figure_titled(at, "Is each practice taking hold?")
    lines_at = {shape["x0"][:10] for shape in trend["layout"]["shapes"] if shape.get("line", {}).get("dash") == "dot"}
    events = {
        row["date"]
        for row in read_rows("events")
        if row["kind"] == "process" and range_start <= date.fromisoformat(row["date"]) <= range_end
    }
    rollouts = {
        row["since"]
        for row in read_rows("practices")
        if row["since"] and range_start <= date.fromisoformat(row["since"]) <= range_end
    }
    assert events | rollouts
    assert lines_at == events | rollouts
    practices = {row["practice"] for row in read_rows("practices")}
    assert {trace["name"] for trace in trend["data"]} <= practices


def test_a_range_without_teams_shows_the_empty_state(app: Callable[..., AppTest]) -> None:
    at = app(page=PAGE, query={"range": ["2016-01-01", "2016-06-30"]})
    assert not at.exception
    assert not at.error
    assert any(message.value.startswith("No team was active between") for message in at.info)
    assert not at.metric
    assert not at.get("plotly_chart")


def test_a_longer_history_redraws_the_trend_but_not_the_period_numbers(
    app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app("process")
    period_numbers = (
        [(kpi.label, kpi.value, kpi.proto.delta) for kpi in at.metric],
        [frame.value.to_dict("records") for frame in at.dataframe],
        figure_titled(at, "Who ran what"),
    )
    trend = figure_titled(at, "Is each practice taking hold?")

    def computed(*_: object, **__: object) -> None:
        raise AssertionError("computed again")

    # the matrix, cadences, lapsed teams and roll-up are about the selected period: a longer range reuses them
    for name in ("adoption_matrix", "cadence_adherence", "lapsed_teams", "process_by_product_line"):
        monkeypatch.setattr(f"insights.process.{name}", computed)
    monkeypatch.setattr("insights.process_views.process_pulse", computed)
    start, end = cast(tuple[date, date], at.date_input(key="range").value)
    at.date_input(key="range").set_value((start.replace(year=start.year - 1), end)).run()
    assert not at.exception
    assert (
        [(kpi.label, kpi.value, kpi.proto.delta) for kpi in at.metric],
        [frame.value.to_dict("records") for frame in at.dataframe],
        figure_titled(at, "Who ran what"),
    ) == period_numbers
    assert figure_titled(at, "Is each practice taking hold?") != trend  # a year more of adoption per practice


def test_choosing_lines_cuts_the_per_line_numbers_of_every_line(
    app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app("process")
    every_rollup = next(frame.value for frame in at.dataframe if "lapsed" in frame.value.columns)
    matrix_rows = figure_titled(at, "Who ran what")["data"][0]["y"]

    def computed(*_: object, **__: object) -> None:
        raise AssertionError("computed again")

    # rows per team or line, and adherence counts per line: choosing lines cuts and sums them
    for name in ("adoption_matrix", "cadence_adherence", "lapsed_teams", "process_by_product_line"):
        monkeypatch.setattr(f"insights.process.{name}", computed)
    at.multiselect(key="lines").set_value(["Atlas"]).run()
    assert not at.exception
    rollup = next(frame.value for frame in at.dataframe if "lapsed" in frame.value.columns)
    assert rollup.to_dict("records") == [
        row for row in every_rollup.to_dict("records") if row["product_line"] == "Atlas"
    ]
    start, end = header(at).period
    matrix_teams = set(figure_titled(at, "Who ran what")["data"][0]["y"])
    assert matrix_teams == set(teams_in_scope(start, end, {"Atlas"}))
    assert matrix_teams < set(matrix_rows)
    assert lapsed_table(at) == lapsed(end, {"Atlas"})


def test_a_new_range_counts_only_the_periods_it_cuts_short(
    app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every whole period's counts over the adoption's span are kept once; a range a year earlier reads its whole
    # periods from them and counts only those it cuts short (the sample's range is twelve months of quarters).
    st.cache_data.clear()  # the default view's counts too are made here, so its first run keeps every whole period
    at = app("process")
    counted: list[tuple[date, date, date]] = []

    def recording(original: Callable[..., pl.DataFrame]) -> Callable[..., pl.DataFrame]:
        def count(history: object, teams: object, practices: object, periods: pl.DataFrame, *rest: object) -> Any:
            counted.extend(periods.select("period_start", "first_day", "last_day").iter_rows())
            return original(history, teams, practices, periods, *rest)

        return count

    monkeypatch.setattr("insights.process._adoption_counts", recording(process_module._adoption_counts))
    monkeypatch.setattr("insights.process_views._pulse_counts", recording(process_views_module._pulse_counts))
    start, end = cast(tuple[date, date], at.date_input(key="range").value)
    at.date_input(key="range").set_value((start.replace(year=start.year - 1), end.replace(year=end.year - 1))).run()
    assert not at.exception
    assert figure_titled(at, "Is each practice taking hold?")["data"]
    whole = {
        period
        for first_day, last_day in {(first, last) for _, first, last in counted}
        for period in whole_periods(first_day, last_day, "quarter", 1).iter_rows()
    }
    assert counted, "the range a year earlier cuts a quarter short"
    assert not whole & set(counted), "a whole quarter was counted again"
