"""Figures of the Process & Practices page (plotly.graph_objects), and caches for its per-period loops."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from insights.formatting import NumberFormat, format_value
from insights.periods import Granularity, Period, period_label
from insights.process import adoption_of_lines, clipped_periods
from insights.process_views import pulse_of_lines
from ui.charts import (
    INK,
    MUTED,
    NEUTRAL,
    Draft,
    line_swatch,
    panel_period_ticks,
    partial_period_shapes,
    ranked_bars_figure,
    rounded,
)
from ui.components import day_text
from ui.data import bundle, settings
from ui.page_cache import COUNTS_BY_LINE, PerPeriod, kept_counts, prepared_adoption

_PANELS_PER_ROW = 4
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"
_DECIMALS = 4
NOT_ADOPTED = "#f6f8fa"


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def counts_by_line(
    kind: PerPeriod, data_version: str, granularity: Granularity, fiscal_year_start_month: int, start: date, end: date
) -> pl.DataFrame:
    """Every line's counts per period overlapping [start, end] (``COUNTS_BY_LINE[kind]``) on the current data
    (``data_version`` keys the cache): the whole periods' read from ``kept_counts``, the others counted in one pass
    over the prepared adoption rows."""
    data = bundle(settings())
    return COUNTS_BY_LINE[kind](
        prepared_adoption(data),
        data.frame("teams"),
        data.frame("practices"),
        granularity,
        fiscal_year_start_month,
        start,
        end,
        kept_counts(data, kind, granularity, fiscal_year_start_month),
    )


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def cached_by_period(
    kind: PerPeriod,
    data_version: str,
    product_lines: tuple[str, ...] | None,
    granularity: Granularity,
    fiscal_year_start_month: int,
    start: date,
    end: date,
) -> pl.DataFrame:
    """``adoption_by_period`` ("adoption") or ``process_pulse_by_period`` ("pulse") of ``product_lines`` on the
    current data (``data_version`` keys the cache to the files' version): the counts of every line over the range,
    counted once (``adoption_counts_by_line``, ``pulse_counts_by_line``), summed over the chosen lines — a product-line
    change is a sum, not another pass over the rows."""
    counts = counts_by_line(kind, data_version, granularity, fiscal_year_start_month, start, end)
    if kind == "adoption":
        return adoption_of_lines(counts, product_lines)
    periods = clipped_periods(start, end, granularity, fiscal_year_start_month)
    return pulse_of_lines(counts, periods.get_column("period_start").to_list(), product_lines)


def adoption_matrix_figure(matrix: pl.DataFrame, *, colors: Mapping[str, str], title: str) -> go.Figure:
    """Team × practice: dark where the team ran the practice in the period, with its count of done occurrences.

    Teams are grouped by product line (a square of the line's colour before each name), practices sorted by name.
    """
    teams = sorted({(str(line), str(team)) for team, line in matrix.select("team", "product_line").iter_rows()})
    practices = sorted({str(practice) for practice in matrix.get_column("practice").to_list()})
    cells = {
        (str(row["team"]), str(row["practice"])): row
        for row in matrix.select("team", "practice", "occurrences", "done", "last_done", "adopted").iter_rows(
            named=True
        )
    }
    # Formatting a date (Babel) is slow and most cells share a handful of last dates: each one once.
    day_texts = {day: day_text(day) for day in {row["last_done"] for row in cells.values()} if day is not None}
    z: list[list[float | None]] = []
    text: list[list[str]] = []
    # The hover's numbers travel as data and the sentence once as the template: a sentence per cell made the figure
    # of 200 teams weigh 150 KB. Cells of practices not rolled out for a team are blank and have no hover.
    hover: list[list[list[int | str] | None]] = []
    for _, team in teams:
        z_row: list[float | None] = []
        text_row: list[str] = []
        hover_row: list[list[int | str] | None] = []
        for practice in practices:
            cell = cells.get((team, practice))
            if cell is None:
                z_row.append(None)
                text_row.append("")
                hover_row.append(None)
                continue
            z_row.append(1.0 if cell["adopted"] else 0.0)
            text_row.append(str(cell["done"]) if cell["done"] else "–")
            last = day_texts[cell["last_done"]] if cell["last_done"] is not None else "never"
            hover_row.append([cell["done"], cell["occurrences"], last])
        z.append(z_row)
        text.append(text_row)
        hover.append(hover_row)
    team_names = [team for _, team in teams]
    figure = Draft()
    figure.add_trace(
        {
            "type": "heatmap",
            "z": z,
            "x": practices,
            "y": team_names,
            "text": text,
            "texttemplate": "%{text}",
            "customdata": hover,
            "colorscale": [[0, NOT_ADOPTED], [1, INK]],
            "zmin": 0,
            "zmax": 1,
            "showscale": False,
            "xgap": 2,
            "ygap": 2,
            "hoverongaps": False,
            "hovertemplate": (
                "%{y} · %{x}: %{customdata[0]} done of %{customdata[1]} occurrences, last done %{customdata[2]}"
                "<extra></extra>"
            ),
        }
    )
    figure.house(title, height=max(300, 26 * len(team_names) + 170))
    # The practice names sit above the matrix, under the title.
    figure.update_layout(hovermode="closest", plot_bgcolor="white", margin={"t": 100})
    figure.update_yaxes(
        autorange="reversed",
        gridcolor="white",
        tickvals=team_names,
        ticktext=[line_swatch(team, colors.get(line, INK)) for line, team in teams],
    )
    figure.update_xaxes(side="top", tickangle=0)
    return figure.build()


def adoption_trend_figure(
    by_period: pl.DataFrame,
    markers: pl.DataFrame,
    *,
    granularity: Granularity,
    fiscal_year_start_month: int,
    partial: Sequence[Period],
) -> go.Figure:
    """Small multiples, one per practice: its adoption rate per period, roll-out and process events as dotted lines."""
    practices = sorted({str(practice) for practice in by_period.get_column("practice").to_list()})
    columns = min(_PANELS_PER_ROW, max(len(practices), 1))
    rows = max(math.ceil(len(practices) / columns), 1)
    # One time axis for all panels, so a practice rolled out mid-range starts where its roll-out is.
    figure = Draft.grid(
        rows,
        columns,
        practices,
        shared_xaxes="all",
        shared_yaxes=True,
        vertical_spacing=0.12,
        horizontal_spacing=0.03,
    )
    for annotation in figure.layout.get("annotations", ()):
        annotation["font"] = {"size": 12}  # the panel titles; the marks below set their own
    per_practice = by_period.sort("period_start").partition_by("practice", as_dict=True)
    marks = markers.select("practice", "date", "label", "kind").rows()
    event_numbers = _event_numbers(markers)
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for index, practice in enumerate(practices):
        row, col = index // columns + 1, index % columns + 1
        frame = per_practice[(practice,)]
        starts = frame.get_column("period_start").to_list()
        figure.add_trace(
            {
                "type": "scatter",
                "x": starts,
                "y": rounded(frame.get_column("adoption_rate").to_list()),
                "mode": "lines+markers",
                "name": practice,
                "line": {"color": INK, "width": 2},
                "marker": {"size": 5},
                "customdata": [
                    list(item)
                    for item in zip(
                        [period_label(start, granularity, fiscal_year_start_month) for start in starts],
                        frame.get_column("teams_adopted").to_list(),
                        frame.get_column("teams_in_scope").to_list(),
                        strict=True,
                    )
                ],
                "hovertemplate": f"{practice} · %{{customdata[0]}}: %{{y:.0%}} "
                "(%{customdata[1]} of %{customdata[2]} teams)<extra></extra>",
            },
            row=row,
            col=col,
        )
        x_ref, y_axis = figure.axes(row, col)
        y_ref = f"{y_axis} domain"
        shapes += partial_period_shapes(figure, partial, row=row, col=col)
        for mark_practice, day, label, kind in marks:
            if mark_practice not in (None, practice):
                continue
            shapes.append(
                {
                    "type": "line",
                    "x0": day,
                    "x1": day,
                    "xref": x_ref,
                    "y0": 0,
                    "y1": 1,
                    "yref": y_ref,
                    "line": {"color": NEUTRAL, "dash": "dot", "width": 1},
                }
            )
            annotations.append(
                {
                    "x": day,
                    "xref": x_ref,
                    "y": 0.02 if kind == "rollout" else 0.98,
                    "yref": y_ref,
                    # Events apply to every panel: a number here, the words in the caption (markers_caption).
                    "text": "rolled out" if kind == "rollout" else event_numbers.get((day, str(label)), "•"),
                    "showarrow": False,
                    "xanchor": "left",
                    "xshift": 2,
                    "yanchor": "bottom" if kind == "rollout" else "top",
                    "font": {"size": 10, "color": NEUTRAL},
                }
            )
    if shapes:
        figure.add_shapes(shapes)
    if annotations:
        figure.add_annotations(annotations)
    figure.house(
        f"Is each practice taking hold? Share of teams that ran it, per {granularity}",
        height=260 * rows + 80,
    )
    figure.update_layout(hovermode="closest")
    figure.update_yaxes(range=[0, 1.05], tickformat=".0%", gridcolor="#eef0f2")
    for row in range(1, rows + 1):
        figure.update_yaxes(title={"text": "Teams that ran it"}, row=row, col=1)
    figure.update_xaxes(showgrid=False, linecolor=MUTED)
    panel_period_ticks(figure, by_period.get_column("period_start").to_list(), granularity, fiscal_year_start_month)
    return figure.build()


def _event_numbers(markers: pl.DataFrame) -> dict[tuple[date, str], str]:
    """A circled number per process event, in date order (the chart shows the number, the caption the words)."""
    events = [
        (day, str(label)) for day, label, kind in markers.select("date", "label", "kind").rows() if kind == "process"
    ]
    return {event: _CIRCLED[index] if index < len(_CIRCLED) else f"({index + 1})" for index, event in enumerate(events)}


def markers_caption(markers: pl.DataFrame) -> str | None:
    """What the dotted lines of the adoption chart mark: each numbered process event in full; None without any."""
    numbers = _event_numbers(markers)
    if not numbers:
        return None
    events = "; ".join(f"{number} {day_text(day)}: {label}" for (day, label), number in numbers.items())
    return f"Dotted lines: process events — {events} — and, in its own panel, each practice's roll-out."


def adherence_figure(adherence: pl.DataFrame, *, period_label: str, number_format: NumberFormat) -> go.Figure | None:
    """Cadence adherence per practice as bars, lowest on top, labelled with the share and on-time/intervals.

    None when no practice has an interval to measure (practices without one are left out).
    """
    frame = adherence.drop_nulls("adherence").sort("adherence", "practice")
    if frame.height == 0:
        return None
    practices = [str(practice) for practice in frame.get_column("practice").to_list()]
    values = [round(value, _DECIMALS) for value in frame.get_column("adherence").to_list()]
    on_time = frame.get_column("on_time").to_list()
    intervals = frame.get_column("intervals").to_list()
    lowest = format_value(values[0] * 100, "percent", number_format)
    return ranked_bars_figure(
        practices,
        values,
        labels=[f"{value:.0%} · {hit}/{total}" for value, hit, total in zip(values, on_time, intervals, strict=True)],
        hovertemplate="%{y}: %{x:.1%} of intervals within the cadence<extra></extra>",
        title=f"On cadence in {period_label}: lowest is {practices[0]} ({lowest})",
        value_title="Occurrences within the cadence of the previous one",
        height=max(260, 32 * len(practices) + 100),
        right_margin=70,
        value_axis={"tickformat": ".0%", "range": [0, 1]},
    )
