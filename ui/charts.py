"""Plotly figure builders (go.Figure, not px): one colour per product line everywhere, direct labels, rounded data."""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Literal

import plotly.graph_objects as go
import polars as pl
import streamlit as st
from plotly.basedatatypes import BaseTraceType

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


def _merged(target: dict[str, Any], settings: Mapping[str, Any]) -> None:
    # Plotly's update semantics: nested settings merge into what is there, anything else replaces it.
    for name, value in settings.items():
        if isinstance(value, Mapping) and isinstance(target.get(name), dict):
            _merged(target[name], value)
        else:
            target[name] = copy.deepcopy(value) if isinstance(value, Mapping | list) else value


SharedAxes = bool | Literal["all", "rows", "columns"]


def _grid_layout(
    rows: int,
    cols: int,
    titles: Sequence[str],
    *,
    secondary_y: bool,
    shared_xaxes: SharedAxes,
    shared_yaxes: SharedAxes,
    horizontal_spacing: float | None,
    vertical_spacing: float | None,
) -> tuple[dict[str, Any], dict[tuple[int, int], tuple[str, str, str]]]:
    """The layout (axes with their domains, panel titles) and axis references per cell of a grid laid out as
    plotly.subplots.make_subplots lays it out from the top left, with every cell an xy panel (its arithmetic, step by
    step, so the domains are the same floats; tests/ui/test_charts.py compares the two on many grids).

    make_subplots builds and validates a Plotly figure for this: 10-60 ms a grid, every time a new view draws one.
    """
    if rows < 1 or cols < 1:
        raise ValueError(f"a grid needs at least one row and one column, not {rows} x {cols}")
    if secondary_y and shared_yaxes:
        raise ValueError("a grid with secondary y axes does not share its y axes here")
    if horizontal_spacing is None:
        horizontal_spacing = (0.4 if secondary_y else 0.2) / cols
    if vertical_spacing is None:
        vertical_spacing = (0.5 if titles else 0.3) / rows
    for count, spacing, what in ((cols, horizontal_spacing, "horizontal"), (rows, vertical_spacing, "vertical")):
        if not 0 <= spacing <= 1 or (count > 1 and spacing > 1.0 / float(count - 1)):
            raise ValueError(f"{what} spacing {spacing} does not fit {count} panels")
    max_width = 0.94 if secondary_y else 1.0  # room for the secondary axes' titles
    width = (max_width - horizontal_spacing * (cols - 1)) / cols
    height = (1.0 - vertical_spacing * (rows - 1)) / rows
    widths, heights = [width] * cols, [height] * rows
    layout: dict[str, Any] = {}
    cells: dict[tuple[int, int], tuple[str, str, str]] = {}
    domains: list[tuple[list[float], list[float]]] = []
    x_count = y_count = 0
    for r in range(rows):  # r = 0 is the top row: rows are laid out from the bottom up
        from_bottom = rows - 1 - r
        y_start = sum(heights[:from_bottom]) + from_bottom * vertical_spacing
        y_end = y_start + heights[-1 - r]
        y_domain = [min(max(y_start, 0.0), 1.0), min(max(y_end, 0.0), 1.0)]
        for c in range(cols):
            x_start = sum(widths[:c]) + c * horizontal_spacing
            x_domain = [x_start, x_start + widths[c]]
            domains.append((x_domain, y_domain))
            x_count, y_count = x_count + 1, y_count + 1
            x_ref, y_ref = _reference("x", x_count), _reference("y", y_count)
            layout[axis_name(x_ref)] = {"domain": [max(0.0, x_domain[0]), min(1.0, x_domain[1])], "anchor": y_ref}
            layout[axis_name(y_ref)] = {"domain": list(y_domain), "anchor": x_ref}
            second_ref = ""
            if secondary_y:
                y_count += 1
                second_ref = _reference("y", y_count)
                layout[axis_name(second_ref)] = {"anchor": x_ref, "overlaying": y_ref, "side": "right"}
            cells[(r + 1, c + 1)] = (x_ref, y_ref, second_ref)
    _share_axes(layout, cells, rows, cols, "x", shared_xaxes)
    _share_axes(layout, cells, rows, cols, "y", shared_yaxes)
    annotations = [
        {
            "y": y_domain[1],
            "xref": "paper",
            "x": sum(x_domain) / 2.0,
            "yref": "paper",
            "text": title,
            "showarrow": False,
            "font": {"size": 16},
            "xanchor": "center",
            "yanchor": "bottom",
        }
        for title, (x_domain, y_domain) in zip(titles, domains, strict=False)
    ]
    if annotations:
        layout["annotations"] = annotations
    return layout, cells


def _reference(kind: str, number: int) -> str:
    return f"{kind}{number if number > 1 else ''}"


def _share_axes(
    layout: dict[str, Any],
    cells: Mapping[tuple[int, int], tuple[str, str, str]],
    rows: int,
    cols: int,
    kind: str,
    shared: SharedAxes,
) -> None:
    # make_subplots' rules, the bottom row first: an axis matches the first of its group; labels stay on the bottom
    # row (x) or the first column (y)
    index = 0 if kind == "x" else 1
    bottom_up = range(rows, 0, -1)
    if shared == "columns" or (kind == "x" and shared is True):
        groups = [[(row, col) for row in bottom_up] for col in range(1, cols + 1)]
        hide = [[kind == "x"] * rows for _ in range(cols)]
    elif shared == "rows" or (kind == "y" and shared is True):
        groups = [[(row, col) for col in range(1, cols + 1)] for row in bottom_up]
        hide = [[kind == "y"] * cols for _ in range(rows)]
    elif shared == "all":
        groups = [[(row, col) for row in bottom_up for col in range(1, cols + 1)]]
        hide = [[(row < rows) if kind == "x" else (col > 1) for row in bottom_up for col in range(1, cols + 1)]]
    else:
        return
    for group, hidden in zip(groups, hide, strict=True):
        first = cells[group[0]][index]
        for cell, hide_labels in zip(group[1:], hidden[1:], strict=True):
            axis = layout[axis_name(cells[cell][index])]
            axis["matches"] = first
            if hide_labels:
                axis["showticklabels"] = False


class Draft:
    """A figure being made as plain data, made a Plotly figure when built (``build()``).

    Its methods follow go.Figure's (add_trace, update_layout, update_xaxes, update_yaxes with their merge semantics;
    nested settings as dicts, no magic underscores): every call on a Plotly figure object validates and walks the whole
    figure, which cost more than the numbers behind it (10-60 ms a chart); a draft costs nothing until built.
    """

    def __init__(
        self,
        layout: Mapping[str, Any] | None = None,
        cells: Mapping[tuple[int, int], tuple[str, str, str]] | None = None,
    ) -> None:
        self.data: list[dict[str, Any]] = []
        self.layout: dict[str, Any] = dict(layout or {})
        self.cells = dict(cells or {})

    @classmethod
    def grid(
        cls,
        rows: int,
        cols: int,
        titles: Sequence[str] = (),
        *,
        secondary_y: bool = False,
        shared_xaxes: SharedAxes = False,
        shared_yaxes: SharedAxes = False,
        horizontal_spacing: float | None = None,
        vertical_spacing: float | None = None,
    ) -> Draft:
        """A grid of panels as make_subplots lays it out (its options of the same names; ``secondary_y`` gives every
        panel a second y axis on the right), panel titles included."""
        layout, cells = _grid_layout(
            rows,
            cols,
            titles,
            secondary_y=secondary_y,
            shared_xaxes=shared_xaxes,
            shared_yaxes=shared_yaxes,
            horizontal_spacing=horizontal_spacing,
            vertical_spacing=vertical_spacing,
        )
        return cls(layout, cells)

    def axes(self, row: int | None = None, col: int | None = None) -> tuple[str, str]:
        """The x and y axis references ('x2', 'y2') of the panel at row, col; ('x', 'y') without a grid."""
        if row is None or col is None:
            return "x", "y"
        x_ref, y_ref, _ = self.cells[(row, col)]
        return x_ref, y_ref

    def secondary_axis(self, row: int, col: int) -> str:
        """The reference of the secondary y axis of the panel at row, col (a grid with ``secondary_y`` specs)."""
        return self.cells[(row, col)][2]

    def add_trace(
        self, trace: Mapping[str, Any] | BaseTraceType, row: int | None = None, col: int | None = None
    ) -> None:
        """Add a trace (a dict with its ``type``, taken as it is, or a graph object), in the panel at row, col."""
        data = trace.to_plotly_json() if isinstance(trace, BaseTraceType) else dict(trace)
        if row is not None and col is not None:
            data["xaxis"], data["yaxis"] = self.axes(row, col)
        self.data.append(data)

    def update_layout(self, settings: Mapping[str, Any] | None = None, **more: Any) -> None:
        """Merge settings into the layout, as go.Figure.update_layout does."""
        _merged(self.layout, {**(settings or {}), **more})

    def update_xaxes(
        self, settings: Mapping[str, Any] | None = None, row: int | None = None, col: int | None = None, **more: Any
    ) -> None:
        """Merge settings into every x axis, or the one of the panel at row, col."""
        self._update_axes("x", {**(settings or {}), **more}, row, col)

    def update_yaxes(
        self, settings: Mapping[str, Any] | None = None, row: int | None = None, col: int | None = None, **more: Any
    ) -> None:
        """Merge settings into every y axis, or the one of the panel at row, col."""
        self._update_axes("y", {**(settings or {}), **more}, row, col)

    def add_annotations(self, annotations: Iterable[Mapping[str, Any]]) -> None:
        """Add annotations after those already there (panel titles among them)."""
        self.layout["annotations"] = [*self.layout.get("annotations", ()), *map(dict, annotations)]

    def add_shapes(self, shapes: Iterable[Mapping[str, Any]]) -> None:
        """Add shapes after those already there."""
        self.layout["shapes"] = [*self.layout.get("shapes", ()), *map(dict, shapes)]

    def house(self, title: str, height: int = 360) -> None:
        """The house style: ``house_layout`` and the house's axes (light grid, no x grid) on every axis."""
        self.update_layout(house_layout(title, height))
        self.update_xaxes(HOUSE_X_AXIS)
        self.update_yaxes(HOUSE_Y_AXIS)

    def build(self) -> go.Figure:
        """The figure, made in one go without Plotly's validation (``_validate=False``): it cost a third of building a
        chart (paired trends at 1M rows: ~10 ms a new view). Every chart the pages draw is validated by the tests
        instead (tests/app/test_chart_specs.py), on the sample data in the views a user reaches."""
        return go.Figure(data=self.data, layout=self.layout, _validate=False)

    def _update_axes(self, kind: str, settings: Mapping[str, Any], row: int | None, col: int | None) -> None:
        if row is not None and col is not None:
            names = [axis_name(self.axes(row, col)[0 if kind == "x" else 1])]
        else:
            names = [name for name in self.layout if _axis_kind(name) == kind] or [f"{kind}axis"]
        for name in names:
            _merged(self.layout.setdefault(name, {}), settings)


def _axis_kind(name: str) -> str | None:
    # 'xaxis', 'xaxis2' … are x axes; 'xaxis' settings such as layout keys of other kinds are not
    for kind in ("x", "y"):
        prefix = f"{kind}axis"
        suffix = name.removeprefix(prefix)
        if name.startswith(prefix) and (suffix == "" or suffix.isdigit()):
            return kind
    return None


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


def rounded(values: Iterable[float | None]) -> list[float | None]:
    """Chart data rounded to four decimals: identical bytes on every rerun let Streamlit skip an unchanged chart."""
    return [None if value is None else round(value, _DECIMALS) for value in values]


def line_swatch(line: str, color: str) -> str:
    """A product line's axis label with a square of its colour (Plotly renders this bit of markup in tick text)."""
    return f"<span style='color:{color}'>■</span> {line}"


def period_ticks(figure: Draft, starts: Sequence[date], granularity: Granularity, fiscal_year_start: int) -> None:
    """Label the x axis with period names ("Q3 FY26") when there are few enough periods to read them."""
    unique_starts = sorted(set(starts))
    if 0 < len(unique_starts) <= _MAX_PERIOD_TICKS:
        figure.update_xaxes(
            tickvals=unique_starts,
            ticktext=[period_label(start, granularity, fiscal_year_start) for start in unique_starts],
        )


def panel_period_ticks(figure: Draft, starts: Sequence[date], granularity: Granularity, fiscal_year_start: int) -> None:
    """Small multiples' x axes: period names, slanted, when they fit a narrow panel; otherwise a few dates."""
    if len(set(starts)) <= _PANEL_PERIOD_TICKS:
        period_ticks(figure, starts, granularity, fiscal_year_start)
        figure.update_xaxes(tickangle=-45)
    else:
        figure.update_xaxes(nticks=4, tickformat="%b %Y", tickangle=0)


def axis_reference(name: str) -> str:
    """How a trace or a shape names an axis: layout's 'xaxis3' is 'x3', 'yaxis' is 'y'."""
    return name.replace("axis", "")


def axis_name(reference: str) -> str:
    """The layout's name of the axis a trace or shape refers to: 'x3' is 'xaxis3', 'y' is 'yaxis'."""
    return reference[0] + "axis" + reference[1:]


def partial_period_shapes(
    figure: Draft, partial: Sequence[Period], row: int | None = None, col: int | None = None
) -> list[dict[str, object]]:
    """A light band around the points of periods the range or the data cuts short (their counts are not comparable),
    as the layout shapes add_vrect makes, for the panel at row, col — to be set with the figure's other shapes."""
    x_ref, y_axis = figure.axes(row, col)
    y_ref = f"{y_axis} domain"
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
    figure = Draft()
    frame = frame.sort(group, x)
    labels: list[dict[str, Any]] = []
    for (name,), rows in frame.group_by(group, maintain_order=True):
        label = str(name) if name is not None else "All"
        color = colors.get(label, PALETTE[0])
        xs = rows.get_column(x).to_list()
        ys = rounded(rows.get_column(y).to_list())
        figure.add_trace(
            {
                "type": "scatter",
                "x": xs,
                "y": ys,
                "mode": "lines+markers",
                "name": label,
                "line": {"color": color, "width": 2},
                "marker": {"size": 5},
                "hovertemplate": f"{label}: %{{y:{HOVER_FORMAT.get(unit, ',.2f')}}}<extra></extra>",
            }
        )
        if xs:
            labels.append(
                {
                    "x": xs[-1],
                    "y": ys[-1],
                    "text": label,
                    "showarrow": False,
                    "xanchor": "left",
                    "xshift": 6,
                    "font": {"color": color},
                }
            )
    lines: list[dict[str, Any]] = []
    for day, text in markers:
        lines.append(
            {
                "type": "line",
                "x0": day,
                "x1": day,
                "xref": "x",
                "y0": 0,
                "y1": 1,
                "yref": "y domain",
                "line": {"color": NEUTRAL, "dash": "dot", "width": 1},
            }
        )
        labels.append(
            {
                "x": day,
                "y": 1,
                "yref": "paper",
                "text": text,
                "showarrow": False,
                "textangle": -90,
                "xanchor": "right",
                "yanchor": "top",
                "font": {"size": 10, "color": NEUTRAL},
            }
        )
    figure.add_annotations(labels)
    if lines:
        figure.add_shapes(lines)
    figure.house(title)
    figure.update_yaxes(title={"text": y_title}, tickformat=AXIS_FORMAT.get(unit, ""))
    figure.update_xaxes(title={"text": None})
    figure.update_layout(margin={"r": 90})
    return figure.build()


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
    figure = Draft()
    figure.add_trace(
        {
            "type": "bar",
            "x": values if horizontal else categories,
            "y": categories if horizontal else values,
            "orientation": "h" if horizontal else "v",
            "marker": {"color": list(colors) if colors else PALETTE[0]},
            "text": labels,
            "textposition": "auto",
            "hovertemplate": f"%{{{category_axis}}}: %{{{value_axis}:{HOVER_FORMAT.get(unit, ',.2f')}}}<extra></extra>",
        }
    )
    figure.house(title, height=max(260, 34 * len(categories) + 80) if horizontal else 360)
    figure.update_layout(hovermode="closest")
    if horizontal:
        figure.update_yaxes(autorange="reversed", gridcolor="white")
        figure.update_xaxes(
            title={"text": value_title}, tickformat=AXIS_FORMAT.get(unit, ""), showgrid=True, gridcolor="#eef0f2"
        )
    else:
        figure.update_yaxes(title={"text": value_title}, tickformat=AXIS_FORMAT.get(unit, ""))
    return figure.build()


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
    figure = Draft()
    figure.add_trace(
        {
            "type": "bar",
            "x": list(values),
            "y": list(names),
            "orientation": "h",
            "marker": {"color": [INK if index == 0 else GREY for index in range(len(names))]},
            "text": list(labels),
            "textposition": "outside",
            "cliponaxis": False,
            "customdata": customdata,
            "hovertemplate": hovertemplate,
        }
    )
    figure.house(title, height=height)
    figure.update_layout(hovermode="closest", margin={"r": right_margin})
    figure.update_yaxes(autorange="reversed", gridcolor="white")
    figure.update_xaxes(
        {"title": {"text": value_title}, "showgrid": True, "gridcolor": "#eef0f2", **(value_axis or {})}
    )
    return figure.build()


def stacked_share_figure(
    frame: pl.DataFrame,
    *,
    x: str,
    parts: Sequence[tuple[str, str, str]],
    title: str,
    y_title: str,
) -> go.Figure:
    """Stacked bars of shares (0–1) over time; ``parts`` are (column, label, colour), bottom first."""
    figure = Draft()
    xs = frame.get_column(x).to_list()
    for column, label, color in parts:
        figure.add_trace(
            {
                "type": "bar",
                "x": xs,
                "y": rounded(frame.get_column(column).to_list()),
                "name": label,
                "marker": {"color": color},
                "hovertemplate": f"{label}: %{{y:.0%}}<extra></extra>",
            }
        )
    figure.house(title)
    figure.update_layout(barmode="stack", showlegend=True, legend={"orientation": "h", "y": -0.15})
    figure.update_yaxes(title={"text": y_title}, tickformat=".0%", range=[0, 1])
    return figure.build()


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
    figure = Draft()
    figure.add_trace(
        {
            "type": "heatmap",
            "z": z,
            "x": column_labels,
            "y": row_labels,
            "colorscale": [[0, "#f6f8fa"], [1, "#0072B2"]],
            "zmin": 0,
            "zmax": 1,
            "text": cell_text,
            "texttemplate": "%{text}" if text else None,
            "hovertemplate": f"%{{y}} · %{{x}}: %{{z:{value_format}}}<extra></extra>",
            "showscale": False,
            "xgap": 2,
            "ygap": 2,
        }
    )
    figure.house(title, height=max(300, 26 * len(row_labels) + 120))
    figure.update_layout(hovermode="closest")
    figure.update_yaxes(autorange="reversed", gridcolor="white")
    figure.update_xaxes(side="top")
    return figure.build()
