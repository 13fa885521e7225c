"""AppTest of the Customer & Market Insights page: its numbers equal a stdlib recomputation of the sample CSVs."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import month_end, period_bounds, read_rows
from ui import runtime

PAGE = "customers"
# ui.charts.PALETTE's first colours: the sorted product lines take them in order on every chart.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9")


@dataclass(frozen=True)
class Header:
    """What the page header says the view is."""

    period: tuple[date, date]
    comparison: tuple[date, date]
    range: tuple[date, date]


def header(at: AppTest) -> Header:
    """The selected period, the comparison and the date range, read from the page header's caption."""
    caption = at.caption[0].value
    periods = re.match(r"(.+?) vs (.+?) · ", caption)
    assert periods, caption
    days = re.search(r"(\d{1,2} \w{3} \d{4}) – (\d{1,2} \w{3} \d{4})", caption)
    assert days, caption
    first, last = (datetime.strptime(day, "%d %b %Y").date() for day in days.groups())
    return Header(period_bounds(periods[1]), period_bounds(periods[2]), (first, last))


def feedback_in(start: date, end: date, lines: set[str] | None = None) -> list[dict[str, str]]:
    """The sample feedback rows dated in [start, end] for the lines (None = all)."""
    return [
        row
        for row in read_rows("feedback")
        if start <= date.fromisoformat(row["date"]) <= end and (lines is None or row["product_line"] in lines)
    ]


def nps_of(rows: list[dict[str, str]]) -> tuple[float, int]:
    """NPS and its response count: % promoters (9–10) − % detractors (0–6) of the scored rows."""
    scores = [int(row["nps_score"]) for row in rows if row["nps_score"] != ""]
    promoters = sum(score >= 9 for score in scores)
    detractors = sum(score <= 6 for score in scores)
    return 100 * (promoters - detractors) / len(scores), len(scores)


def metric(at: AppTest, label_start: str) -> Any:
    """The one KPI card whose label starts with ``label_start``."""
    found = [card for card in at.metric if card.label.startswith(label_start)]
    assert len(found) == 1, [card.label for card in at.metric]
    return found[0]


def figures(at: AppTest) -> list[dict[str, Any]]:
    """Every Plotly figure on the page, as JSON."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def figure_titled(at: AppTest, title_start: str) -> dict[str, Any]:
    """The one figure whose title starts with ``title_start``."""
    found = [figure for figure in figures(at) if figure["layout"]["title"]["text"].startswith(title_start)]
    assert len(found) == 1, [figure["layout"]["title"]["text"] for figure in figures(at)]
    return found[0]


def pricing_line() -> str:
    """The line the sample data's pricing story happens to (its NPS falls): read from the events, not assumed."""
    return next(row["product_line"] for row in read_rows("events") if row["kind"] == "pricing")


def all_lines() -> list[str]:
    """Every product line in the sample feedback, sorted."""
    return sorted({row["product_line"] for row in read_rows("feedback")})


def expected_nps_card(value: float) -> str:
    """How the card writes an NPS: signed whole points, with a real minus sign."""
    return f"{round(value):+d}".replace("-", "−")


def expected_nps_delta(change: float) -> str:
    """How the card writes a change of NPS: its sign (± for none) and whole points."""
    sign = "+" if change > 0 else "−" if change < 0 else "±"
    return f"{sign}{round(abs(change))}"


def test_default_view_shows_the_nps_of_the_period(app: Callable[..., AppTest]) -> None:
    at = app(page=PAGE)
    assert not at.exception
    assert not at.error
    start, end = header(at).period
    value, responses = nps_of(feedback_in(start, end))
    card = metric(at, "NPS ·")
    assert card.label == f"NPS · n={responses:,}"
    assert card.value == expected_nps_card(value)
    assert f"NPS {value:.2f} in " in card.help
    previous_start, previous_end = header(at).comparison
    previous_value, _ = nps_of(feedback_in(previous_start, previous_end))
    assert card.delta == expected_nps_delta(value - previous_value)
    assert metric(at, "NPS responses").value == f"{responses:,}"
    assert metric(at, "Feedback volume").value == f"{len(feedback_in(start, end)):,}"


def test_kpi_deltas_are_coloured_by_better_or_worse(app: Callable[..., AppTest]) -> None:
    at = app(page=PAGE)
    period, comparison = header(at).period, header(at).comparison
    now, before = feedback_in(*period), feedback_in(*comparison)

    def negative_share(rows: list[dict[str, str]]) -> float:
        labelled = [row for row in rows if row["sentiment"] in ("positive", "neutral", "negative")]
        return sum(row["sentiment"] == "negative" for row in labelled) / len(labelled)

    card = metric(at, "Negative share")
    assert card.value == f"{100 * negative_share(now):.1f}%"
    worse = negative_share(now) > negative_share(before)
    # A rise in the negative share is worse (red); a fall is better (green), whatever the sign's glyph.
    assert card.proto.color == (0 if worse else 1)
    assert metric(at, "Feedback volume").proto.color == 2  # volume is neither better nor worse: grey


def test_arr_behind_negative_feedback_counts_each_account_once(app: Callable[..., AppTest]) -> None:
    at = app(page=PAGE)
    rows = feedback_in(*header(at).period)
    negative_accounts = {row["account"] for row in rows if row["sentiment"] == "negative" and row["account"]}
    latest: dict[str, tuple[str, float]] = {}
    for row in rows:
        if row["account"] and row["account_arr"]:
            key = (row["date"], float(row["account_arr"]))
            latest[row["account"]] = max(latest.get(row["account"], key), key)
    total = sum(latest[account][1] for account in negative_accounts if account in latest)
    card = metric(at, "ARR behind negatives")
    assert f"${total:,.2f} across {len(negative_accounts):,} accounts" in card.help


def test_one_product_line_changes_the_nps(app: Callable[..., AppTest]) -> None:
    line = pricing_line()
    at = app(page=PAGE, query={"lines": [line]})
    assert not at.exception
    value, responses = nps_of(feedback_in(*header(at).period, {line}))
    card = metric(at, "NPS ·")
    assert card.label.startswith(f"NPS · n={responses:,}")
    assert card.value == expected_nps_card(value)
    everyone, _ = nps_of(feedback_in(*header(at).period))
    assert round(value) != round(everyone)


def test_top_theme_by_volume_over_the_range(app: Callable[..., AppTest]) -> None:
    at = app(page=PAGE)
    start, end = header(at).range
    mentions = Counter(row["theme"] or "(untagged)" for row in feedback_in(start, end))
    top_theme, top_count = min(mentions.items(), key=lambda item: (-item[1], item[0]))
    figure = figure_titled(at, "Raised most:")
    assert figure["layout"]["title"]["text"] == f"Raised most: {top_theme} ({top_count:,} mentions)"
    assert figure["data"][0]["y"][0] == top_theme
    assert figure["data"][0]["x"][0] == top_count


def test_verbatim_search_returns_exactly_the_matching_rows(app: Callable[..., AppTest]) -> None:
    at = app(page=PAGE)
    word = "retries"
    in_range = feedback_in(*header(at).range)
    # The search also looks at themes and accounts; this word is in neither, so only the text decides.
    assert not any(word in (row["theme"] + row["account"]).lower() for row in in_range)
    expected = sorted(
        (row["date"], row["product_line"], row["text"]) for row in in_range if word in row["text"].lower()
    )
    assert expected
    at.text_input(key="verbatim_search").input(word.upper()).run()
    assert not at.exception
    table = next(frame.value for frame in at.dataframe if "text" in frame.value.columns)
    shown = [
        (str(day)[:10], line, text)
        for day, line, text in zip(table["date"], table["product_line"], table["text"], strict=True)
    ]
    assert sorted(shown) == expected
    assert at.get("download_button")
    assert [day for day, _, _ in shown] == sorted((day for day, _, _ in shown), reverse=True)


def test_a_range_without_feedback_shows_the_empty_state(app: Callable[..., AppTest]) -> None:
    at = app(page=PAGE, query={"range": ["2016-01-01", "2016-06-30"]})
    assert not at.exception
    assert not at.error
    assert any(message.value.startswith("No feedback between") for message in at.info)
    assert not at.metric
    assert not at.get("plotly_chart")


def test_charts_use_one_colour_per_product_line(app: Callable[..., AppTest]) -> None:
    lines = all_lines()
    colors = dict(zip(lines, PALETTE, strict=False))
    at = app(page=PAGE)
    trend = figure_titled(at, "Is NPS moving?")
    assert {trace["name"]: trace["line"]["color"] for trace in trend["data"]} == colors
    # The hover carries each point's response count.
    assert "n=%{customdata[1]" in trend["data"][0]["hovertemplate"]
    sentiment = figure_titled(at, "Sentiment per product line")
    ticks = sentiment["layout"]["yaxis"]["ticktext"]
    assert ticks == [f"<span style='color:{colors[line]}'>■</span> {line}" for line in lines]


def test_one_line_keeps_its_colour(app: Callable[..., AppTest]) -> None:
    line = pricing_line()
    at = app(page=PAGE, query={"lines": [line]})
    trend = figure_titled(at, "Is NPS moving?")
    assert [(trace["name"], trace["line"]["color"]) for trace in trend["data"]] == [
        (line, PALETTE[all_lines().index(line)])
    ]


def test_low_confidence_points_are_hollow(app: Callable[..., AppTest]) -> None:
    at = app(page=PAGE)
    start, end = header(at).range
    trend = figure_titled(at, "Is NPS moving?")
    for trace in trend["data"]:
        for symbol, period_start in zip(trace["marker"]["symbol"], trace["x"], strict=True):
            first = date.fromisoformat(str(period_start)[:10])
            last = month_end(first.year, first.month + 2)  # quarters start in January, April, July, October
            rows = feedback_in(max(first, start), min(last, end), {trace["name"]})
            _, responses = nps_of(rows)
            assert symbol == ("circle-open" if responses < 30 else "circle"), (trace["name"], first)


def test_choosing_lines_sums_and_cuts_every_lines_nps_and_mix(
    app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(page=PAGE)
    every_line_trend = figure_titled(at, "Is NPS moving?")["data"]

    def computed(*_: object, **__: object) -> None:
        raise AssertionError("computed again")

    # per line for every line already: choosing lines cuts the lines' NPS and sums the split and the volumes
    monkeypatch.setattr("insights.customers.nps_by_period_of_days", computed)
    monkeypatch.setattr("insights.customers.volume_of_days", computed)
    monkeypatch.setattr("insights.customers.sentiment_mix_of_days", computed)
    line = pricing_line()
    at.multiselect(key="lines").set_value([line]).run()
    assert not at.exception
    trend = figure_titled(at, "Is NPS moving?")["data"]
    assert trend
    assert [trace["y"] for trace in trend] == [trace["y"] for trace in every_line_trend if trace["name"] == line]
    start, end = header(at).range
    rows = feedback_in(start, end, {line})
    channels = Counter(row["channel"] for row in rows)
    channel_bars = figure_titled(at, "Where it comes from")["data"][0]
    assert dict(zip(channel_bars["y"], channel_bars["x"], strict=True)) == dict(channels)


def test_a_new_range_at_every_line_reads_its_kpi_history_from_every_periods_pulse(
    app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(page=PAGE)

    def computed(*_: object, **__: object) -> None:
        raise AssertionError("computed again")

    # every period's pulse at every line was counted for the first view; a range a year earlier slices it
    monkeypatch.setattr("insights.customer_views.customer_pulse_by_period", computed)
    start, end = header(at).range
    at.date_input(key="range").set_value((start.replace(year=start.year - 1), end.replace(year=end.year - 1))).run()
    assert not at.exception
    period_start, period_end = header(at).period
    assert period_end.year == end.year - 1
    value, responses = nps_of(feedback_in(period_start, period_end))
    card = metric(at, "NPS ·")
    assert card.label == f"NPS · n={responses:,}"
    assert card.value == expected_nps_card(value)
    previous_start, previous_end = header(at).comparison
    previous_value, _ = nps_of(feedback_in(previous_start, previous_end))
    assert card.delta == expected_nps_delta(value - previous_value)
    assert metric(at, "Feedback volume").value == f"{len(feedback_in(period_start, period_end)):,}"


def test_a_new_line_reads_its_kpi_history_from_every_lines_pulse_counted_while_the_page_is_read(
    app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime, "_warmed", set())  # this test's store has no pulse yet: counted here
    # every line's pulse per period is counted in the background while the first view is read (the fixture waits)
    at = app(page=PAGE)

    def computed(*_: object, **__: object) -> None:
        raise AssertionError("computed again")

    monkeypatch.setattr("insights.customer_views.customer_pulse_by_period", computed)
    monkeypatch.setattr("ui.page_cache.customer_pulse_by_period", computed)
    for line in ("Cirrus", "Ember"):
        at.multiselect(key="lines").set_value([line]).run()
        assert not at.exception
        period_start, period_end = header(at).period
        value, responses = nps_of(feedback_in(period_start, period_end, {line}))
        card = metric(at, "NPS ·")
        assert card.label == f"NPS · n={responses:,}" + (" · low confidence" if responses < 30 else "")
        assert card.value == expected_nps_card(value)
        previous_start, previous_end = header(at).comparison
        previous_value, _ = nps_of(feedback_in(previous_start, previous_end, {line}))
        assert card.delta == expected_nps_delta(value - previous_value)
        assert metric(at, "Feedback volume").value == f"{len(feedback_in(period_start, period_end, {line})):,}"
    # two lines: their pulse is not a sum of the lines' (an account spans lines), so it is counted from their rows
    at.multiselect(key="lines").set_value(["Cirrus", "Ember"]).run()
    assert at.exception


def test_a_new_range_at_every_line_ranks_themes_by_arr_from_the_kept_mention_order(
    app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app(page=PAGE)

    def computed(*_: object, **__: object) -> None:
        raise AssertionError("counted from the range's rows")

    # at every line, a range's ranking reads the feedback with its mention order (kept once per data version)
    monkeypatch.setattr("ui.page_cache.theme_ranking", computed)
    start, end = header(at).range
    earlier = (start.replace(year=start.year - 1), end.replace(year=end.year - 1))
    at.date_input(key="range").set_value(earlier).run()
    assert not at.exception
    # Each account once per theme, at the ARR of its latest row with one in the range (a same-day tie: the larger).
    latest: dict[str, tuple[str, float]] = {}
    themes: dict[str, set[str]] = {}
    for row in feedback_in(*earlier):
        if row["account"]:
            themes.setdefault(row["theme"] or "(untagged)", set()).add(row["account"])
            if row["account_arr"]:
                known = (row["date"], float(row["account_arr"]))
                latest[row["account"]] = max(latest.get(row["account"], known), known)
    arr = {theme: sum(latest[a][1] for a in accounts if a in latest) for theme, accounts in themes.items()}
    bars = figure_titled(at, "Most ARR behind it:")["data"][0]
    expected = sorted(arr.items(), key=lambda item: (-item[1], item[0]))
    assert list(bars["y"]) == [theme for theme, _ in expected][: len(bars["y"])]
    assert list(bars["x"]) == pytest.approx([value for _, value in expected][: len(bars["x"])])
