"""AppTest of the Business page: its numbers equal those recomputed from the sample CSVs with the standard library."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import statistics
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from streamlit.proto.Metric_pb2 import Metric as MetricProto
from streamlit.testing.v1 import AppTest

from tests.app.conftest import downloaded, read_rows
from ui.charts import PALETTE

App = Callable[..., AppTest]
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# --- reading the view and the sample data ----------------------------------------------------------------------------


def _quarter(label: str) -> tuple[date, date]:
    """First and last day of "Q3 FY26" (the sample settings keep the fiscal year on the calendar year)."""
    match = re.fullmatch(r"Q(\d) FY(\d\d)", label)
    assert match, label
    quarter, year = int(match.group(1)), 2000 + int(match.group(2))
    first = date(year, 3 * quarter - 2, 1)
    following = date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    return first, following - timedelta(days=1)


def _view(at: AppTest) -> tuple[str, str, date, date]:
    """Period label, comparison label, range start and end, read from the caption under the title."""
    caption = at.caption[0].value
    match = re.match(r"(\S+ \S+) vs (\S+ \S+) · .* · (\d+ \w+ \d{4}) – (\d+ \w+ \d{4})", caption)
    assert match, caption
    return match.group(1), match.group(2), _day(match.group(3)), _day(match.group(4))


def _day(text: str) -> date:
    day, month, year = text.split()
    return date(int(year), MONTHS.index(month) + 1, int(day))


def _month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _values(metric: str, line: str | None = None) -> dict[tuple[str, date], list[float]]:
    """(product line, date) → values of a metric's rows."""
    values: dict[tuple[str, date], list[float]] = {}
    for row in read_rows("metrics"):
        if row["metric"] == metric and (line is None or row["product_line"] == line):
            values.setdefault((row["product_line"], date.fromisoformat(row["date"])), []).append(float(row["value"]))
    return values


def _metric(at: AppTest, prefix: str) -> Any:
    found = [metric for metric in at.metric if metric.label.startswith(prefix)]
    assert found, [metric.label for metric in at.metric]
    return found[0]


def _help(card: Any) -> str:
    """A card's tooltip as people read it: the dollar signs are escaped for Markdown."""
    return str(card.help).replace("\\$", "$")


def _exact(help_text: str) -> float:
    match = re.search(r"Exact: \$?([\d,.]+)", help_text)
    assert match, help_text
    return float(match.group(1).replace(",", ""))


def _pick(at: AppTest, group: str, metric: str) -> AppTest:
    at.button_group(key="metric_group").set_value(group).run()
    return at.selectbox(key="metric").set_value(metric).run()


def _figures(at: AppTest) -> Iterator[dict[str, Any]]:
    for chart in at.get("plotly_chart"):
        yield json.loads(chart.proto.spec)


# --- the tests -------------------------------------------------------------------------------------------------------


def test_default_view_shows_company_arr_against_the_comparison(app: App) -> None:
    at = app(page="business")
    assert not at.exception
    assert not at.error
    period, comparison, _, _ = _view(at)
    _, period_end = _quarter(period)
    _, comparison_end = _quarter(comparison)
    arr = _values("arr")
    # ARR is a stock: a quarter's value is that of its last month, summed over the product lines.
    value = sum(sum(values) for (_, day), values in arr.items() if day == period_end.replace(day=1))
    previous = sum(sum(values) for (_, day), values in arr.items() if day == comparison_end.replace(day=1))
    card = _metric(at, f"ARR · {period}")
    assert _exact(_help(card)) == value
    assert card.value == f"${value / 1e6:.1f}M"
    assert card.proto.delta == f"{'+' if value >= previous else '-'}{abs(value / previous - 1) * 100:.1f}%"
    assert card.proto.delta_description == f"vs {comparison}"
    assert f"{comparison}: ${previous:,.2f}" in _help(card)


def test_best_and_worst_lines_by_relative_change(app: App) -> None:
    at = app(page="business")
    period, comparison, _, _ = _view(at)
    last, before = _quarter(period)[1].replace(day=1), _quarter(comparison)[1].replace(day=1)
    arr = _values("arr")
    lines = sorted({line for line, _ in arr})
    change = {line: sum(arr[line, last]) / sum(arr[line, before]) - 1 for line in lines}
    ranked = sorted(lines, key=lambda line: (-change[line], line))
    assert _metric(at, "Best change").value == ranked[0]
    assert _metric(at, "Worst change").value == ranked[-1]
    assert _metric(at, "Best change").proto.delta == f"+{change[ranked[0]] * 100:.1f}%"


def _company_rate(values: dict[tuple[str, date], list[float]], first: date, last: date) -> float:
    """A rate over a quarter: each line's mean of its monthly rows, then the mean across the lines."""
    per_line: dict[str, list[float]] = {}
    for (line, day), found in values.items():
        if first <= day <= last:
            per_line.setdefault(line, []).extend(found)
    return statistics.mean(statistics.mean(found) for found in per_line.values())


def test_a_rate_is_the_mean_of_monthly_rows_per_line_then_across_lines(app: App) -> None:
    at = _pick(app(page="business"), "percent", "logo_churn")
    assert not at.exception
    period, comparison, _, _ = _view(at)
    churn = _values("logo_churn")
    expected = _company_rate(churn, *_quarter(period))
    previous = _company_rate(churn, *_quarter(comparison))
    card = _metric(at, f"Logo churn · {period}")
    assert _exact(_help(card)) == pytest.approx(expected, abs=5e-4)
    assert card.value == f"{expected:.1f}%"
    # Lower is better: a fall is good news (green), a rise bad news (red).
    assert MetricProto.MetricColor.Name(card.proto.color) == ("GREEN" if expected < previous else "RED")
    assert card.proto.delta_description == f"vs {comparison}"


def test_the_table_behind_the_chart_for_one_line(app: App) -> None:
    at = app(page="business")
    period, _, start, end = _view(at)
    arr = _values("arr", "Atlas")
    months = sorted(day for _, day in arr)
    coverage = _month_end(months[-1])
    # Each quarter overlapping the range: its value is Atlas's ARR in the quarter's latest month inside the range.
    expected: list[tuple[str, float, float | None, bool]] = []
    quarter_start = date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
    before_start = date(quarter_start.year - (quarter_start.month == 1), (quarter_start.month - 4) % 12 + 1, 1)
    previous: float | None = sum(arr["Atlas", max(day for day in months if before_start <= day < quarter_start)])
    while quarter_start <= end:
        label = f"Q{(quarter_start.month - 1) // 3 + 1} FY{quarter_start.year % 100:02d}"
        quarter_end = _quarter(label)[1]
        inside = [day for day in months if max(start, quarter_start) <= day <= min(end, quarter_end)]
        if inside:
            value = sum(arr["Atlas", inside[-1]])
            whole = quarter_start >= start and quarter_end <= min(end, coverage)
            expected.append((label, value, previous, whole))
            previous = value
        quarter_start = quarter_end + timedelta(days=1)
    table = at.dataframe[-1].value
    atlas = table[table["product_line"] == "Atlas"]
    shown = [
        (row.period, row.value, None if math.isnan(row.previous) else row.previous, bool(row.complete))
        for row in atlas.itertuples()
    ]
    assert shown == expected
    assert any(label == period for label, _, _, _ in shown)
    for row in atlas.itertuples():
        if not math.isnan(row.previous):
            assert row.delta == pytest.approx(row.value - row.previous)


def test_one_line_changes_the_numbers(app: App) -> None:
    at = app(page="business", query={"lines": ["Atlas"]})
    assert not at.exception
    period, _, _, _ = _view(at)
    last = _quarter(period)[1].replace(day=1)
    expected = sum(_values("arr", "Atlas")["Atlas", last])
    assert _exact(_help(_metric(at, f"ARR · {period}"))) == expected
    table = at.dataframe[-1].value
    assert set(table["product_line"]) == {"Atlas"}
    # With one line there is nothing to rank.
    assert _metric(at, "Best change").value == "–"


def test_breakdowns_and_the_note_for_a_metric_without_them(app: App) -> None:
    at = app(page="business")
    assert "ARR is not broken down by segment or region in the data." in [caption.value for caption in at.caption]
    at = _pick(at, "currency", "new_bookings")
    period, _, _, _ = _view(at)
    first, last = _quarter(period)
    by_segment: dict[str, float] = {}
    for row in read_rows("metrics"):
        if row["metric"] == "new_bookings" and first <= date.fromisoformat(row["date"]) <= last and row["segment"]:
            by_segment[row["segment"]] = by_segment.get(row["segment"], 0.0) + float(row["value"])
    figures = {figure["layout"]["title"]["text"]: figure for figure in _figures(at)}
    segment_title = next(title for title in figures if title.startswith("New bookings by segment"))
    bars = figures[segment_title]["data"][0]
    assert dict(zip(bars["y"], bars["x"], strict=True)) == pytest.approx(by_segment)
    largest = max(by_segment, key=lambda segment: by_segment[segment])
    assert segment_title == f"New bookings by segment: {largest} is largest in {period}"
    assert not any("is not broken down by segment" in caption.value for caption in at.caption)


def test_trend_chart_has_one_colour_per_line(app: App) -> None:
    at = app(page="business")
    lines = sorted({row["product_line"] for row in read_rows("metrics")})
    colours = {line: PALETTE[index] for index, line in enumerate(lines)}
    trend = next(
        figure for figure in _figures(at) if figure["layout"]["title"]["text"] == "Are we growing recurring revenue?"
    )
    traces = [trace for trace in trend["data"] if trace["name"] in colours]
    assert {trace["name"] for trace in traces} == set(lines)
    for trace in traces:
        assert trace["line"]["color"] == colours[trace["name"]]
    # The company against its target sits beside it, with a target trace.
    assert any(trace["name"] == "Target" for figure in _figures(at) for trace in figure["data"])


def test_csv_download_equals_the_table_shown(app: App, downloads: dict[str, bytes]) -> None:
    at = app(page="business")
    data = downloaded(at, "business_table_csv", downloads)
    assert data.startswith(b"\xef\xbb\xbf")
    records = list(csv.reader(io.StringIO(data[3:].decode("utf-8"))))
    table = at.dataframe[-1].value
    assert records[0] == list(table.columns)
    assert len(records) - 1 == len(table)
    for record, row in zip(records[1:], table.itertuples(index=False), strict=True):
        for cell, value in zip(record, row, strict=True):
            if isinstance(value, bool):
                assert cell == str(value).lower()
            elif isinstance(value, float):
                assert (cell == "" and math.isnan(value)) or float(cell) == value
            elif hasattr(value, "isoformat"):
                assert cell == value.isoformat()[:10]
            else:
                assert cell == str(value)


def test_a_range_without_data_shows_empty_states(app: App) -> None:
    at = app(page="business")
    at.date_input(key="range").set_value((date(2020, 1, 1), date(2020, 6, 30))).run()
    assert not at.exception
    period, _, _, _ = _view(at)
    messages = [info.value for info in at.info]
    assert f"No ARR data for the company in {period}." in messages
    assert any(
        message.startswith("No ARR data for the selected product lines in the date range") for message in messages
    )
    assert not at.get("plotly_chart")
    assert not at.metric


def test_no_complete_period_in_the_range_keeps_the_trend(app: App) -> None:
    at = app(page="business", query={"granularity": "Year"})
    assert not at.exception
    assert at.caption[0].value.startswith("no complete year in the range")
    assert any(info.value.startswith("No complete year lies inside the date range") for info in at.info)
    assert not at.metric
    assert at.get("plotly_chart")
    assert len(at.dataframe[-1].value) > 0
