"""The Overview page on the sample data: its numbers recomputed from the raw CSV files with the standard library."""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import cast

import pytest
import streamlit as st
from streamlit.proto.Metric_pb2 import Metric as MetricProto
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, ROOT, SAMPLE, read_rows
from ui import overview_cache, page_cache, runtime
from ui.charts import line_colors
from ui.components import delta_style
from ui.overview_cache import RECENT_PERIODS as APP_RECENT_PERIODS

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
AppFactory = Callable[..., AppTest]


# Recomputing from the CSV files ----------------------------------------------------------------------------------


def months_of(label: str) -> list[str]:
    """The months ('2026-07') of a period label: 'Q3 FY26' (fiscal years start in January by default) or 'Oct 2026'."""
    quarter = re.fullmatch(r"Q([1-4]) FY(\d\d)", label)
    if quarter:
        first = 3 * (int(quarter.group(1)) - 1) + 1
        return [f"20{quarter.group(2)}-{month:02d}" for month in range(first, first + 3)]
    month, year = label.split()
    return [f"{year}-{MONTHS.index(month) + 1:02d}"]


def shown_periods(at: AppTest) -> tuple[str, str]:
    """The selected and comparison period labels, read from the view line under the title."""
    summary = at.caption[0].value
    selected, comparison = summary.split(" · ")[0].split(" vs ")
    return selected, comparison


def month_shifted(first_of_month: date, months: int) -> date:
    """The first of the month ``months`` later (negative: earlier)."""
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def earlier_quarter(months: list[str]) -> list[str]:
    """The three months before ``months`` (a quarter)."""
    first = date.fromisoformat(f"{months[0]}-01")
    result = []
    for back in (3, 2, 1):
        month_index = first.year * 12 + first.month - 1 - back
        result.append(f"{month_index // 12}-{month_index % 12 + 1:02d}")
    return result


def revenue_metric() -> tuple[str, str]:
    """The catalog's revenue metric: its id and label."""
    row = next(row for row in read_rows("metric_catalog") if row["role"] == "revenue")
    return row["metric"], row["label"]


def stock_total(metric: str, month: str, lines: Iterable[str] | None = None) -> float:
    """A monthly stock over the month (one row per series and month): the sum of its rows, for the lines given."""
    chosen = set(lines) if lines is not None else None
    return sum(
        float(row["value"])
        for row in read_rows("metrics")
        if row["metric"] == metric
        and row["date"].startswith(month)
        and (chosen is None or row["product_line"] in chosen)
    )


def scored_feedback(months: list[str], line: str | None = None) -> list[int]:
    """NPS scores of the feedback dated in the months (of one line, or all)."""
    return [
        int(row["nps_score"])
        for row in read_rows("feedback")
        if row["nps_score"] != "" and row["date"][:7] in months and (line is None or row["product_line"] == line)
    ]


def nps_of(scores: list[int]) -> float:
    """% promoters (9–10) − % detractors (0–6)."""
    promoters = sum(score >= 9 for score in scores)
    detractors = sum(score <= 6 for score in scores)
    return 100.0 * (promoters - detractors) / len(scores)


def feedback_count(months: list[str], line: str | None = None) -> int:
    """Feedback rows dated in the months."""
    return sum(
        row["date"][:7] in months and (line is None or row["product_line"] == line) for row in read_rows("feedback")
    )


def compact_money(value: float) -> str:
    """$42.1M, as the cards write millions."""
    return f"${value / 1e6:.1f}M"


def signed(number: str, negative: bool) -> str:
    """A sign the way the page writes it: + or a real minus (−)."""
    return ("−" if negative else "+") + number


def period_end(months: list[str]) -> date:
    """The last day of the last month."""
    year, month = (int(part) for part in months[-1].split("-"))
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


# Reading the page ------------------------------------------------------------------------------------------------


def card(at: AppTest, label: str) -> dict[str, str]:
    """The KPI card with this label: value, delta, description and tooltip."""
    for metric in at.metric:
        if metric.label == label:
            return {
                "value": metric.value,
                "delta": metric.proto.delta,
                "description": metric.proto.delta_description,
                "help": metric.proto.help,
                "color": MetricProto.MetricColor.Name(metric.proto.color),
            }
    raise AssertionError(f"no card {label!r}; cards: {[metric.label for metric in at.metric]}")


def sentences(at: AppTest) -> list[str]:
    """Every markdown text on the page (the notable changes are among them), unescaped; a bullet list (the changes
    behind "more changes") gives one text per bullet."""
    texts = []
    for element in at.markdown:
        text = element.value.replace("\\$", "$")
        lines = text.split("\n")
        if all(line.startswith("- ") for line in lines):
            texts += [line.removeprefix("- ") for line in lines]
        else:
            texts.append(text)
    return texts


def scorecard(at: AppTest) -> list[dict[str, object]]:
    """The scorecard rows."""
    frame = at.dataframe[0].value
    return [dict(zip(frame.columns, values, strict=True)) for values in frame.itertuples(index=False)]


@pytest.fixture(scope="module")
def default_page() -> AppTest:
    """The Overview on default filters (one run shared by the read-only tests)."""
    previous = os.environ.get("PILLARS_DATA_DIR")
    os.environ["PILLARS_DATA_DIR"] = str(SAMPLE)
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        st.cache_resource.clear()
        at = AppTest.from_file(APP, default_timeout=60)
        at.run()
        return at
    finally:
        os.chdir(cwd)
        if previous is None:
            os.environ.pop("PILLARS_DATA_DIR", None)
        else:
            os.environ["PILLARS_DATA_DIR"] = previous


# Tests -----------------------------------------------------------------------------------------------------------


def test_the_default_view_runs_cleanly(default_page: AppTest) -> None:
    assert not default_page.exception
    assert not default_page.error
    assert default_page.title[0].value == "Overview"
    selected, comparison = shown_periods(default_page)
    assert selected.startswith("Q")
    assert comparison.startswith("Q")
    assert len(default_page.metric) == 6


def test_the_revenue_card_is_the_sum_over_lines_of_the_last_month(default_page: AppTest) -> None:
    metric, label = revenue_metric()
    selected, comparison = shown_periods(default_page)
    value = stock_total(metric, months_of(selected)[-1])
    previous = stock_total(metric, months_of(comparison)[-1])
    change = (value - previous) / previous
    shown = card(default_page, label)
    assert shown["value"] == compact_money(value)
    assert f"{value:,.2f}" in shown["help"]
    assert f"{previous:,.2f}" in shown["help"]
    assert shown["delta"] == signed(f"{abs(change) * 100:.1f}%", change < 0)
    assert shown["description"].startswith(f"vs {comparison}")
    # More revenue is better: green when it grew, red when it shrank.
    assert shown["color"] == ("GREEN" if change > 0 else "RED")


def test_the_nps_card_counts_the_scored_feedback_of_the_period(default_page: AppTest) -> None:
    selected, comparison = shown_periods(default_page)
    scores = scored_feedback(months_of(selected))
    value = nps_of(scores)
    previous = nps_of(scored_feedback(months_of(comparison)))
    shown = card(default_page, "NPS")
    assert shown["value"] == signed(f"{abs(round(value))}", value < 0)
    assert f"n={len(scores):,}" in shown["description"]
    assert f"of {len(scores):,} scored responses" in shown["help"]
    delta = round(value - previous)
    assert shown["delta"].startswith(signed(str(abs(delta)), delta < 0) if delta else "±0")
    assert shown["delta"].endswith(("pt", "pts"))


def test_the_feedback_card_counts_the_rows_of_the_period(default_page: AppTest) -> None:
    selected, comparison = shown_periods(default_page)
    shown = card(default_page, "Feedback volume")
    # More feedback is neither better nor worse: grey.
    assert shown["color"] == "GRAY"
    assert shown["value"] == f"{feedback_count(months_of(selected)):,}"
    assert f"{feedback_count(months_of(comparison)):,}" in shown["help"]


def test_the_scorecard_has_a_row_per_line_with_its_numbers(default_page: AppTest) -> None:
    metric, _ = revenue_metric()
    selected, comparison = shown_periods(default_page)
    lines = sorted({row["product_line"] for row in read_rows("metrics")})
    rows = scorecard(default_page)
    assert [row["product_line"] for row in rows] == lines
    for row in rows:
        line = str(row["product_line"])
        value = stock_total(metric, months_of(selected)[-1], [line])
        previous = stock_total(metric, months_of(comparison)[-1], [line])
        assert row[metric] == pytest.approx(value)
        assert row[f"{metric}_change"] == pytest.approx(100 * (value - previous) / previous)
        scores = scored_feedback(months_of(selected), line)
        assert row["nps"] == pytest.approx(nps_of(scores))
        assert row["nps_responses"] == len(scores)
        assert row["nps_change"] == pytest.approx(nps_of(scores) - nps_of(scored_feedback(months_of(comparison), line)))
        assert row["feedback"] == feedback_count(months_of(selected), line)


def test_one_line_selected_shows_that_line_only(app: AppFactory) -> None:
    at = app(query={"lines": ["Atlas"]})
    assert not at.exception
    metric, label = revenue_metric()
    selected, _ = shown_periods(at)
    assert card(at, label)["value"] == compact_money(stock_total(metric, months_of(selected)[-1], ["Atlas"]))
    assert [row["product_line"] for row in scorecard(at)] == ["Atlas"]
    scores = scored_feedback(months_of(selected), "Atlas")
    assert card(at, "NPS")["value"] == signed(f"{abs(round(nps_of(scores)))}", nps_of(scores) < 0)


def test_a_monthly_view_compares_the_latest_complete_month(app: AppFactory) -> None:
    at = app(query={"granularity": "Month"})
    assert not at.exception
    metric, label = revenue_metric()
    selected, comparison = shown_periods(at)
    assert re.fullmatch(r"[A-Z][a-z]{2} \d{4}", selected), selected
    value = stock_total(metric, months_of(selected)[0])
    previous = stock_total(metric, months_of(comparison)[0])
    shown = card(at, label)
    assert shown["value"] == compact_money(value)
    change = (value - previous) / previous
    assert shown["delta"] == signed(f"{abs(change) * 100:.1f}%", change < 0)
    assert card(at, "Feedback volume")["value"] == f"{feedback_count(months_of(selected)):,}"


def test_a_range_without_a_complete_period_says_so(app: AppFactory) -> None:
    end = max(row["date"] for row in read_rows("feedback"))
    start = (date.fromisoformat(end) - timedelta(days=10)).isoformat()
    at = app(query={"range": [start, end]})
    assert not at.exception
    assert not at.error
    assert any("No complete quarter" in info.value for info in at.info)
    assert len(at.metric) == 0
    assert len(at.get("plotly_chart")) == 0


def test_paired_trends_have_one_colour_per_line(default_page: AppTest) -> None:
    charts = default_page.get("plotly_chart")
    assert len(charts) == 1
    figure = json.loads(charts[0].proto.spec)
    lines = sorted({row["product_line"] for row in read_rows("metrics")})
    colours = line_colors(lines)
    _, label = revenue_metric()
    bars = {trace["name"]: trace for trace in figure["data"] if trace["type"] == "bar"}
    scatters = {trace["name"]: trace for trace in figure["data"] if trace["type"] == "scatter"}
    assert sorted(bars) == [f"{line} · {label}" for line in lines]
    assert sorted(scatters) == [f"{line} · NPS" for line in lines]
    for line in lines:
        assert bars[f"{line} · {label}"]["marker"]["color"] == colours[line]
        assert scatters[f"{line} · NPS"]["line"]["color"] == colours[line]
    assert len(set(colours.values())) == len(lines)
    assert "NPS" in figure["layout"]["title"]["text"]


def test_one_line_keeps_its_colour(app: AppFactory) -> None:
    at = app(query={"lines": ["Cirrus"]})
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    lines = sorted({row["product_line"] for row in read_rows("metrics")})
    bar = next(trace for trace in figure["data"] if trace["type"] == "bar")
    assert bar["name"].startswith("Cirrus")
    assert bar["marker"]["color"] == line_colors(lines)["Cirrus"]


def test_notable_changes_tell_the_sample_stories(default_page: AppTest) -> None:
    metric, _ = revenue_metric()
    selected, comparison = shown_periods(default_page)
    text = sentences(default_page)
    lines = sorted({row["product_line"] for row in read_rows("metrics")})

    # The pricing change: the line whose NPS fell most into the comparison quarter, then its churn rose.
    before = earlier_quarter(months_of(comparison))
    drops = {
        line: nps_of(scored_feedback(months_of(comparison), line)) - nps_of(scored_feedback(before, line))
        for line in lines
    }
    pricing_line = min(drops, key=drops.__getitem__)
    assert any(sentence.startswith(f"{pricing_line}: NPS fell") for sentence in text), text
    assert any(pricing_line in sentence and "churn" in sentence.lower() for sentence in text)

    # The fast grower: the largest relative growth of the revenue metric.
    growth = {
        line: stock_total(metric, months_of(selected)[-1], [line])
        / stock_total(metric, months_of(comparison)[-1], [line])
        for line in lines
    }
    assert any(sentence.startswith(f"{max(growth, key=growth.__getitem__)} is growing fastest") for sentence in text)

    # The roll-out: the practice introduced last.
    rollout = max(read_rows("practices"), key=lambda row: row["since"])["practice"]
    assert any(sentence.startswith(f"{rollout}: adopted by") for sentence in text)

    # The lapsed teams: a practice run at least twice, not within twice its cadence before the period's end.
    as_of = period_end(months_of(selected))
    cadence = {row["practice"]: int(row["cadence_days"]) for row in read_rows("practices")}
    active = {
        row["team"]: row["product_line"]
        for row in read_rows("teams")
        if (not row["active_from"] or date.fromisoformat(row["active_from"]) <= as_of)
        and (not row["active_to"] or date.fromisoformat(row["active_to"]) >= as_of)
    }
    done: dict[tuple[str, str], list[date]] = {}
    for row in read_rows("adoption"):
        day = date.fromisoformat(row["date"])
        if row["status"] in ("", "done", "late") and day <= as_of:
            done.setdefault((row["team"], row["practice"]), []).append(day)
    lapsed = {
        (team, practice)
        for (team, practice), days in done.items()
        if len(days) >= 2 and team in active and (as_of - max(days)).days > 2 * cadence[practice]
    }
    assert lapsed
    for team, practice in lapsed:
        assert any(sentence.startswith(f"{team} ({active[team]}) has lapsed on {practice}") for sentence in text)


def test_each_notable_change_links_to_the_page_that_explains_it(default_page: AppTest) -> None:
    links = [link.value for link in default_page.page_link]
    assert links
    assert set(links) <= {"See Business Data & Insights", "See Customer & Market Insights", "See Process & Practices"}
    assert "See Customer & Market Insights" in links
    assert "See Process & Practices" in links
    # Seven headlines with a link each; the rest as a list behind an expander that says how many, with a link to
    # each page that explains them.
    assert len(links) > 7
    more = [line for line in default_page.expander[0].markdown[0].value.split("\n") if line.startswith("- ")]
    assert more
    assert [expander.label for expander in default_page.expander] == [f"{len(more)} more changes"]


@pytest.mark.parametrize(
    ("delta", "improved", "shown", "style"),
    [
        (3.0, True, "+3.0%", ("up", "green")),
        (-3.0, True, "−3.0%", ("down", "green")),  # e.g. churn fell: better, though down
        (0.4, False, "+0.4 pt", ("up", "red")),
        (2.0, None, "+2", ("up", "gray")),
        (0.0, None, "±0", ("off", "gray")),
        (None, None, None, ("off", "gray")),
        (0.001, False, "+0.00 pt", ("off", "gray")),  # shows as zero: no alarm
    ],
)
def test_delta_style(delta: float | None, improved: bool | None, shown: str | None, style: tuple[str, str]) -> None:
    assert delta_style(delta, improved, shown) == style


def test_a_new_process_shows_the_kept_numbers_without_computing_them(
    app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    st.cache_data.clear()  # computed by this test, so kept in its store
    first = app(query={"lines": ["Atlas", "Beacon"]})
    assert not first.exception
    st.cache_data.clear()  # a new process: nothing in memory, the copies of the views on disk
    st.cache_resource.clear()

    def computed(*_: object) -> None:
        raise AssertionError("computed again")

    computations = ("compute_overview_numbers", "compute_scorecard", "compute_trends")
    for name in (*computations, "compute_notable_changes", "compute_ranked_notable_changes"):
        monkeypatch.setattr(overview_cache, name, computed)
    again = app(query={"lines": ["Atlas", "Beacon"]})
    assert not again.exception
    assert [card(again, metric.label) for metric in again.metric] == [
        card(first, metric.label) for metric in first.metric
    ]
    assert scorecard(again) == scorecard(first)
    assert sentences(again) == sentences(first)
    assert again.get("plotly_chart")[0].proto.spec == first.get("plotly_chart")[0].proto.spec


def test_a_longer_history_redraws_the_trends_but_not_the_period_numbers(
    app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app()
    before = (scorecard(at), sentences(at), at.caption[0].value.split(" · ")[0])
    trend = at.get("plotly_chart")[0].proto.spec

    def computed(*_: object) -> None:
        raise AssertionError("computed again")

    # the scorecard and the notable changes are about the selected quarter: a longer range does not compute them again
    monkeypatch.setattr(overview_cache, "compute_scorecard", computed)
    monkeypatch.setattr(overview_cache, "compute_ranked_notable_changes", computed)
    monkeypatch.setattr(overview_cache, "compute_notable_changes", computed)
    start, end = cast(tuple[date, date], at.date_input(key="range").value)
    at.date_input(key="range").set_value((start.replace(year=start.year - 1), end)).run()
    assert not at.exception
    assert (scorecard(at), sentences(at), at.caption[0].value.split(" · ")[0]) == before
    assert at.get("plotly_chart")[0].proto.spec != trend  # twelve more months of revenue and NPS


def test_choosing_lines_cuts_the_scorecard_and_trends_of_every_line(
    app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app()
    every_row = {row["product_line"]: row for row in scorecard(at)}
    every_panel = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]

    def computed(*_: object) -> None:
        raise AssertionError("computed again")

    # a line's row and panel read that line's data alone: choosing lines cuts them from every line's, not computed again
    monkeypatch.setattr(overview_cache, "compute_scorecard", computed)
    monkeypatch.setattr(overview_cache, "compute_trends", computed)
    # and the notable changes about one line (divergences, lapses, a line's misses) come from every line's too
    monkeypatch.setattr("insights.notable._divergences", computed)
    monkeypatch.setattr("insights.notable._lapses", computed)
    every_sentences = sentences(at)
    at.multiselect(key="lines").set_value(["Beacon", "Drift"]).run()
    assert not at.exception
    lapsed = [text for text in every_sentences if "has lapsed" in text and "(Drift)" in text]
    assert lapsed  # the sample's Drift lapse is shown for the chosen lines, without computing lapses again
    assert set(lapsed) <= set(sentences(at))
    assert scorecard(at) == [every_row["Beacon"], every_row["Drift"]]
    panels = json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
    assert [trace["name"] for trace in panels] == [
        trace["name"] for trace in every_panel if trace["name"].startswith(("Beacon ·", "Drift ·"))
    ]
    assert [trace["y"] for trace in panels] == [
        trace["y"] for trace in every_panel if trace["name"].startswith(("Beacon ·", "Drift ·"))
    ]


def test_after_kept_numbers_the_frames_a_filter_change_needs_are_made_in_the_background(
    app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    st.cache_data.clear()
    assert not app().exception  # computes the default view and keeps it
    st.cache_data.clear()  # a new process: the view's numbers on disk, nothing in memory
    st.cache_resource.clear()
    monkeypatch.setattr(runtime, "_warmed", set())
    at = app()
    assert not at.exception
    for thread in [thread for thread in threading.enumerate() if thread.name.startswith("pillars-warm-")]:
        thread.join(timeout=60)

    def computed(*_: object) -> None:
        raise AssertionError("prepared again")

    # made while the page was read: the first product-line change finds the prepared metrics and adoption history
    monkeypatch.setattr(page_cache, "prepare_metrics", computed)
    monkeypatch.setattr(page_cache, "adoption_history", computed)
    at.multiselect(key="lines").set_value(["Cirrus"]).run()
    assert not at.exception
    assert [row["product_line"] for row in scorecard(at)] == ["Cirrus"]


def test_a_range_moved_back_reads_the_recent_periods_made_while_the_page_was_read(
    app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    st.cache_data.clear()
    monkeypatch.setattr(runtime, "_warmed", set())  # this test's store has none of them: made again here
    monkeypatch.setattr(overview_cache, "RECENT_PERIODS", APP_RECENT_PERIODS)  # as the app has it (not the fixture)
    at = app()  # and waited for: what a server does while the page is read
    assert not at.exception
    latest = shown_periods(at)
    st.cache_data.clear()  # as in a new process: only the copies on disk

    def computed(*_: object, **__: object) -> None:
        raise AssertionError("computed while the reader waits")

    for name in ("compute_scorecard", "notable_changes", "compute_notable_changes"):
        monkeypatch.setattr(overview_cache, name, computed)
    # the range a year back, then a quarter further: two periods before the latest, each read back
    start, end = cast(tuple[date, date], at.date_input(key="range").value)
    seen = set()
    for months in (12, 15):
        shifted = (month_shifted(start, -months), month_shifted(end + timedelta(days=1), -months) - timedelta(days=1))
        at.date_input(key="range").set_value(shifted).run()
        assert not at.exception
        assert runtime.join_warm_ups(timeout=60)
        seen.add(shown_periods(at))
        assert len(scorecard(at)) == 5
        assert sentences(at)
    assert len(seen) == 2
    assert latest not in seen
