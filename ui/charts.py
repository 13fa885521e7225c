"""Plotly figure builders (go.Figure, not px): one colour per product line everywhere, direct labels, rounded data."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from insights.periods import Granularity, Period, period_label

# Okabe-Ito, extended: distinguishable for colour-blind readers, and none of them is the green/red of good/bad.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
    "#999999",
    "#882255",
    "#44AA99",
    "#117733",
)
GOOD, BAD, NEUTRAL, MUTED = "#1a7f37", "#cf222e", "#8c959f", "#d0d7de"
# Greys for everything that is neither a product line nor good/bad (DESIGN §4); the leader of a ranking is darker.
INK, GREY = "#424a53", "#afb8c1"
# Hover and axis formats per catalog unit (d3-format).
AXIS_FORMAT = {"currency": "$~s", "percent": ".1f", "count": "~s", "ratio": ".2f", "score": "+.0f"}
HOVER_FORMAT = {"currency": "$,.0f", "percent": ".2f", "count": ",.0f", "ratio": ".3f", "score": "+.1f"}
UNIT_SUFFIX = {"percent": " %", "currency": "", "count": "", "ratio": "", "score": ""}
_DECIMALS = 4
# Above this many periods, tick labels would collide: Plotly's own date ticks take over.
_MAX_PERIOD_TICKS = 14
# A small-multiple panel has room for this many period names at the most.
_PANEL_PERIOD_TICKS = 6


@st.cache_resource(max_entries=64, ttl=3600, show_spinner=False)
def _figure(name: str, data_version: str, view_key: str, arguments: tuple[Hashable, ...], _build: Any) -> go.Figure:
    # name, data_version, view_key and arguments are the key; _build is what they name, so it is not hashed
    figure: go.Figure = _build()
    return figure


def cached_figure(
    name: str, data_version: str, view: object, build: Callable[[], go.Figure], *arguments: Hashable
) -> go.Figure:
    """``build()`` once per chart, data version, view and arguments, shared read-only by every session.

    Building a Plotly figure costs more than computing its numbers (a dozen small multiples: ~0.2 s of Plotly's
    validation per rerun); st.plotly_chart only reads the figure. ``arguments`` must name everything ``build`` uses
    beyond the data and the view (widget values, settings).
    """
    return _figure(name, data_version, repr(view), tuple(arguments), build)


def chart(
    key: str,
    data_version: str,
    view: object,
    build: Callable[[], go.Figure],
    *arguments: Hashable,
    where: Any = None,
) -> None:
    """Draw the chart ``build`` makes, full width, built once per data version, view and ``arguments``
    (``cached_figure``); ``key`` names it on the page and in the cache, ``where`` is a column or container."""
    (where or st).plotly_chart(cached_figure(key, data_version, view, build, *arguments), width="stretch", key=key)


def line_colors(all_product_lines: Sequence[str]) -> dict[str, str]:
    """A stable colour per product line: the sorted lines take the palette in order (it repeats past its end)."""
    return {line: PALETTE[index % len(PALETTE)] for index, line in enumerate(sorted(all_product_lines))}


HOUSE_X_AXIS: dict[str, object] = {"showgrid": False, "linecolor": MUTED}
HOUSE_Y_AXIS: dict[str, object] = {"gridcolor": "#eef0f2", "zeroline": False}


def house_layout(title: str, height: int = 360) -> dict[str, object]:
    """The house style's layout: a title that states the finding, no legend unless asked, tight margins."""
    return {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 50, "b": 10},
        "showlegend": False,
        "plot_bgcolor": "white",
        "hovermode": "x unified",
        "font": {"size": 12},
    }


def base_layout(figure: go.Figure, title: str, height: int = 360) -> go.Figure:
    """The house style: a title that states the finding, light grid, no legend unless asked, tight margins."""
    figure.update_layout(house_layout(title, height))
    figure.update_xaxes(HOUSE_X_AXIS)
    figure.update_yaxes(HOUSE_Y_AXIS)
    return figure


def rounded(values: Iterable[float | None]) -> list[float | None]:
    """Chart data rounded to four decimals: identical bytes on every rerun let Streamlit skip an unchanged chart."""
    return [None if value is None else round(value, _DECIMALS) for value in values]


def line_swatch(line: str, color: str) -> str:
    """A product line's axis label with a square of its colour (Plotly renders this bit of markup in tick text)."""
    return f"<span style='color:{color}'>■</span> {line}"


def period_ticks(figure: go.Figure, starts: Sequence[date], granularity: Granularity, fiscal_year_start: int) -> None:
    """Label the x axis with period names ("Q3 FY26") when there are few enough periods to read them."""
    unique_starts = sorted(set(starts))
    if 0 < len(unique_starts) <= _MAX_PERIOD_TICKS:
        figure.update_xaxes(
            tickvals=unique_starts,
            ticktext=[period_label(start, granularity, fiscal_year_start) for start in unique_starts],
        )


def panel_period_ticks(
    figure: go.Figure, starts: Sequence[date], granularity: Granularity, fiscal_year_start: int
) -> None:
    """Small multiples' x axes: period names, slanted, when they fit a narrow panel; otherwise a few dates."""
    if len(set(starts)) <= _PANEL_PERIOD_TICKS:
        period_ticks(figure, starts, granularity, fiscal_year_start)
        figure.update_xaxes(tickangle=-45)
    else:
        figure.update_xaxes(nticks=4, tickformat="%b %Y", tickangle=0)


def axis_reference(axis_name: str) -> str:
    """How a trace or a shape names an axis: layout's 'xaxis3' is 'x3', 'yaxis' is 'y'."""
    return axis_name.replace("axis", "")


def partial_period_shapes(
    figure: go.Figure, partial: Sequence[Period], row: int | None = None, col: int | None = None
) -> list[dict[str, object]]:
    """A light band around the points of periods the range or the data cuts short (their counts are not comparable),
    as the layout shapes add_vrect makes, for the panel at row, col — set with the figure's other shapes in one
    update: add_vrect walked and validated the whole figure for each band (0.1 s a chart)."""
    if row is not None and col is not None:
        panel = figure.get_subplot(row, col)
        x_ref, y_ref = axis_reference(panel.xaxis.plotly_name), axis_reference(panel.yaxis.plotly_name) + " domain"
    else:
        x_ref, y_ref = "x", "y domain"
    shapes: list[dict[str, object]] = []
    for period in partial:
        half = (period.end - period.start + timedelta(days=1)) / 2
        shapes.append(
            {
                "type": "rect",
                "x0": period.start - half * 0.9,
                "x1": period.start + half * 0.9,
                "xref": x_ref,
                "y0": 0,
                "y1": 1,
                "yref": y_ref,
                "fillcolor": "#eef0f2",
                "opacity": 0.7,
                "line": {"width": 0},
                "layer": "below",
            }
        )
    return shapes


def trend_figure(
    frame: pl.DataFrame,
    *,
    title: str,
    unit: str,
    colors: Mapping[str, str],
    y_title: str,
    group: str = "product_line",
    x: str = "period_start",
    y: str = "value",
    markers: Sequence[tuple[date, str]] = (),
) -> go.Figure:
    """One line per group over time, labelled at its end instead of a legend; optional dated markers (events)."""
    figure = go.Figure()
    frame = frame.sort(group, x)
    for (name,), rows in frame.group_by(group, maintain_order=True):
        label = str(name) if name is not None else "All"
        color = colors.get(label, PALETTE[0])
        xs = rows.get_column(x).to_list()
        ys = rounded(rows.get_column(y).to_list())
        figure.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines+markers",
                name=label,
                line={"color": color, "width": 2},
                marker={"size": 5},
                hovertemplate=f"{label}: %{{y:{HOVER_FORMAT.get(unit, ',.2f')}}}<extra></extra>",
            )
        )
        if xs:
            figure.add_annotation(
                x=xs[-1], y=ys[-1], text=label, showarrow=False, xanchor="left", xshift=6, font={"color": color}
            )
    for day, text in markers:
        figure.add_vline(x=day, line={"color": NEUTRAL, "dash": "dot", "width": 1})
        figure.add_annotation(
            x=day,
            y=1,
            yref="paper",
            text=text,
            showarrow=False,
            textangle=-90,
            xanchor="right",
            yanchor="top",
            font={"size": 10, "color": NEUTRAL},
        )
    base_layout(figure, title)
    figure.update_yaxes(title_text=y_title, tickformat=AXIS_FORMAT.get(unit, ""))
    figure.update_xaxes(title_text=None)
    figure.update_layout(margin={"r": 90})
    return figure


def bar_figure(
    frame: pl.DataFrame,
    *,
    category: str,
    value: str,
    title: str,
    value_title: str,
    unit: str = "count",
    colors: Sequence[str] | None = None,
    horizontal: bool = True,
    text: str | None = None,
) -> go.Figure:
    """Bars for a ranked breakdown (largest on top when horizontal), each labelled with its value."""
    categories = [str(item) for item in frame.get_column(category).to_list()]
    values = rounded(frame.get_column(value).to_list())
    labels = frame.get_column(text).to_list() if text else None
    category_axis, value_axis = ("y", "x") if horizontal else ("x", "y")
    bar = go.Bar(
        x=values if horizontal else categories,
        y=categories if horizontal else values,
        orientation="h" if horizontal else "v",
        marker={"color": list(colors) if colors else PALETTE[0]},
        text=labels,
        textposition="auto",
        hovertemplate=f"%{{{category_axis}}}: %{{{value_axis}:{HOVER_FORMAT.get(unit, ',.2f')}}}<extra></extra>",
    )
    figure = base_layout(go.Figure(bar), title, height=max(260, 34 * len(categories) + 80) if horizontal else 360)
    figure.update_layout(hovermode="closest")
    if horizontal:
        figure.update_yaxes(autorange="reversed", gridcolor="white")
        figure.update_xaxes(
            title_text=value_title, tickformat=AXIS_FORMAT.get(unit, ""), showgrid=True, gridcolor="#eef0f2"
        )
    else:
        figure.update_yaxes(title_text=value_title, tickformat=AXIS_FORMAT.get(unit, ""))
    return figure


def ranked_bars_figure(
    names: Sequence[str],
    values: Sequence[float | None],
    *,
    labels: Sequence[str],
    hovertemplate: str,
    title: str,
    value_title: str,
    height: int,
    right_margin: int,
    customdata: Sequence[str] | None = None,
    value_axis: Mapping[str, object] | None = None,
) -> go.Figure:
    """Horizontal bars in the given order, the first on top in darker grey (the leader), each labelled past its end.

    ``value_axis`` adds settings of the value axis (its tick format, its range).
    """
    figure = go.Figure(
        go.Bar(
            x=list(values),
            y=list(names),
            orientation="h",
            marker={"color": [INK if index == 0 else GREY for index in range(len(names))]},
            text=list(labels),
            textposition="outside",
            cliponaxis=False,
            customdata=customdata,
            hovertemplate=hovertemplate,
        )
    )
    base_layout(figure, title, height=height)
    figure.update_layout(hovermode="closest", margin={"r": right_margin})
    figure.update_yaxes(autorange="reversed", gridcolor="white")
    figure.update_xaxes(title_text=value_title, showgrid=True, gridcolor="#eef0f2", **(value_axis or {}))
    return figure


def stacked_share_figure(
    frame: pl.DataFrame,
    *,
    x: str,
    parts: Sequence[tuple[str, str, str]],
    title: str,
    y_title: str,
) -> go.Figure:
    """Stacked bars of shares (0–1) over time; ``parts`` are (column, label, colour), bottom first."""
    figure = go.Figure()
    xs = frame.get_column(x).to_list()
    for column, label, color in parts:
        figure.add_trace(
            go.Bar(
                x=xs,
                y=rounded(frame.get_column(column).to_list()),
                name=label,
                marker={"color": color},
                hovertemplate=f"{label}: %{{y:.0%}}<extra></extra>",
            )
        )
    base_layout(figure, title)
    figure.update_layout(barmode="stack", showlegend=True, legend={"orientation": "h", "y": -0.15})
    figure.update_yaxes(title_text=y_title, tickformat=".0%", range=[0, 1])
    return figure


def heatmap_figure(
    frame: pl.DataFrame,
    *,
    rows: str,
    columns: str,
    value: str,
    title: str,
    text: str | None = None,
    value_format: str = ".0%",
) -> go.Figure:
    """A matrix (e.g. team × practice) shaded by value, light = low, dark = high, with the value in each cell."""
    row_labels = sorted({str(item) for item in frame.get_column(rows).to_list()})
    column_labels = sorted({str(item) for item in frame.get_column(columns).to_list()})
    lookup = {(str(r), str(c)): v for r, c, v in frame.select(rows, columns, value).iter_rows()}
    texts = {(str(r), str(c)): t for r, c, t in frame.select(rows, columns, text).iter_rows()} if text else {}
    z = [[lookup.get((r, c)) for c in column_labels] for r in row_labels]
    cell_text = [[texts.get((r, c), "") for c in column_labels] for r in row_labels] if text else None
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=column_labels,
            y=row_labels,
            colorscale=[[0, "#f6f8fa"], [1, "#0072B2"]],
            zmin=0,
            zmax=1,
            text=cell_text,
            texttemplate="%{text}" if text else None,
            hovertemplate=f"%{{y}} · %{{x}}: %{{z:{value_format}}}<extra></extra>",
            showscale=False,
            xgap=2,
            ygap=2,
        )
    )
    base_layout(figure, title, height=max(300, 26 * len(row_labels) + 120))
    figure.update_layout(hovermode="closest")
    figure.update_yaxes(autorange="reversed", gridcolor="white")
    figure.update_xaxes(side="top")
    return figure
