"""Figures and table formats of the Business page: a metric by product line, its total vs target, breakdowns."""

from __future__ import annotations

from collections.abc import Mapping

import plotly.graph_objects as go
import polars as pl
import streamlit as st
from streamlit.elements.lib.column_types import ColumnConfig

from insights.business import change_text
from insights.formatting import NumberFormat, format_value
from ui.charts import AXIS_FORMAT, HOVER_FORMAT, NEUTRAL, Draft, bar_figure

TOTAL_COLOR = "#24292f"
# At most this many period ticks are labelled on the main chart, and on the narrow target chart beside it.
_MAX_TICKS = 12
_MAX_SMALL_TICKS = 4
_UNIT_NAMES = {"percent": "%", "count": "count", "ratio": "ratio", "score": "score"}
_CURRENCY_FORMATS = {"USD": "dollar", "EUR": "euro", "JPY": "yen"}


def axis_title(label: str, unit: str, currency: str) -> str:
    """An axis title with its unit: "ARR (USD)", "Logo churn (%)"."""
    return f"{label} ({currency if unit == 'currency' else _UNIT_NAMES.get(unit, unit)})"


def value_column_format(unit: str, currency: str) -> str:
    """A st.column_config.NumberColumn format for values in ``unit`` (percents are points: 1.2 means 1.2 %)."""
    if unit == "currency":
        return _CURRENCY_FORMATS.get(currency, "localized")
    if unit == "percent":
        return "%.2f %%"
    if unit == "ratio":
        return "%.3f"
    if unit == "score":
        return "%.1f"
    return "localized"


def period_table_columns(label: str, unit: str, currency: str) -> dict[str, ColumnConfig]:
    """column_config for insights.business.period_table: headings in words, values in the metric's unit."""
    value_format = value_column_format(unit, currency)
    delta_format = "%.2f pt" if unit == "percent" else value_format
    return {
        "product_line": st.column_config.TextColumn("Product line"),
        "period": st.column_config.TextColumn("Period"),
        "period_start": st.column_config.DateColumn("Period start", format="YYYY-MM-DD"),
        "complete": st.column_config.CheckboxColumn(
            "Whole period", help="False when the period lies only partly inside the date range or the data."
        ),
        "value": st.column_config.NumberColumn(label, format=value_format),
        "previous": st.column_config.NumberColumn("Previous period", format=value_format),
        "delta": st.column_config.NumberColumn("Change", format=delta_format),
        "delta_pct": st.column_config.NumberColumn("Change %", format="percent"),
    }


def _period_ticks(figure: Draft, frame: pl.DataFrame, max_ticks: int) -> None:
    """Ticks named as the periods ("Q3 FY26"), every n-th one so that at most ``max_ticks`` are labelled."""
    ticks = frame.select("period_start", "period").unique().sort("period_start")
    if ticks.height == 0:
        return
    every = -(-ticks.height // max_ticks)
    shown = ticks.gather_every(every, offset=(ticks.height - 1) % every)
    figure.update_xaxes(tickvals=shown.get_column("period_start").to_list(), ticktext=shown["period"].to_list())


def _value_axis(figure: Draft, unit: str, title: str) -> None:
    # Percents are points (0.75 means 0.75 %): small rates need two decimals on the axis, big ones none.
    if unit == "percent":
        figure.update_yaxes(title={"text": title}, tickformat=".3~f", ticksuffix=" %")
    else:
        figure.update_yaxes(title={"text": title}, tickformat=AXIS_FORMAT.get(unit, ""))


def _series(
    figure: Draft,
    *,
    name: str,
    xs: list[object],
    ys: list[float | None],
    complete: list[bool],
    color: str,
    unit: str,
) -> None:
    """One series: solid between whole periods, dotted into a partial one (hollow marker), so a part-period dip
    does not read as news."""
    value_format = HOVER_FORMAT.get(unit, ",.2f")
    figure.add_trace(
        {
            "type": "scatter",
            "x": xs,
            "y": ys,
            "mode": "lines+markers",
            "name": name,
            "line": {"color": color, "width": 1.5, "dash": "dot"},
            "marker": {
                "size": 7,
                "color": color,
                "symbol": ["circle" if whole else "circle-open" for whole in complete],
                "line": {"color": color, "width": 2},
            },
            "customdata": ["" if whole else " (partial period)" for whole in complete],
            "hovertemplate": f"{name}: %{{y:{value_format}}}%{{customdata}}<extra></extra>",
        }
    )
    figure.add_trace(
        {
            "type": "scatter",
            "x": xs,
            "y": [value if whole else None for value, whole in zip(ys, complete, strict=True)],
            "mode": "lines",
            "name": name,
            "line": {"color": color, "width": 2.5},
            "hoverinfo": "skip",
            "showlegend": False,
        }
    )


def trend_by_line_figure(
    table: pl.DataFrame,
    *,
    title: str,
    subtitle: str,
    unit: str,
    y_title: str,
    colors: Mapping[str, str],
    target: pl.DataFrame | None = None,
) -> go.Figure:
    """The metric per product line over the range (from period_table), labelled at the line ends; with ``target``
    (from total_vs_target) a dashed step line in the colour of the single line shown."""
    figure = Draft()
    labels: list[dict[str, object]] = []
    for (line,), rows in table.sort("product_line", "period_start").group_by("product_line", maintain_order=True):
        name = str(line)
        color = colors.get(name, NEUTRAL)
        xs = rows.get_column("period_start").to_list()
        ys = rows.get_column("value").to_list()
        _series(figure, name=name, xs=xs, ys=ys, complete=rows["complete"].to_list(), color=color, unit=unit)
        labels.append(
            {"x": xs[-1], "y": ys[-1], "text": name, "showarrow": False, "xanchor": "left", "xshift": 6}
            | {"font": {"color": color}}
        )
    figure.add_annotations(labels)
    if target is not None and target.get_column("target").drop_nulls().len() > 0:
        lines = table.get_column("product_line").unique().to_list()
        _add_target(figure, target, colors.get(lines[0], NEUTRAL) if len(lines) == 1 else NEUTRAL, unit, label=True)
    figure.house(title)
    _value_axis(figure, unit, y_title)
    _period_ticks(figure, table, _MAX_TICKS)
    figure.update_layout(title={"subtitle": {"text": subtitle}}, margin={"t": 70, "r": 90})
    return figure.build()


def _add_target(figure: Draft, target: pl.DataFrame, color: str, unit: str, *, label: bool) -> None:
    """The target as dashed steps: a level across each period that has one (a stock's only where its period ends)."""
    xs: list[object] = []
    ys: list[float | None] = []
    for start, end, value in target.select("period_start", "period_end", "target").iter_rows():
        if value is not None:
            xs.extend([start, end, None])
            ys.extend([value, value, None])
    if not ys:
        return
    figure.add_trace(
        {
            "type": "scatter",
            "x": xs,
            "y": ys,
            "mode": "lines",
            "name": "Target",
            "line": {"color": color, "dash": "dash", "width": 2},
            "hovertemplate": f"Target: %{{y:{HOVER_FORMAT.get(unit, ',.2f')}}}<extra></extra>",
        }
    )
    if label:
        figure.add_annotations(
            [
                {
                    "x": xs[-2],
                    "y": ys[-2],
                    "text": "target",
                    "showarrow": False,
                    "xanchor": "left",
                    "xshift": 4,
                    "font": {"color": color},
                }
            ]
        )


def total_vs_target_figure(totals: pl.DataFrame, *, title: str, name: str, unit: str, y_title: str) -> go.Figure:
    """The selection's total (from total_vs_target) as a dark line and its target as a dashed grey step line."""
    figure = Draft()
    _series(
        figure,
        name=name,
        xs=totals.get_column("period_start").to_list(),
        ys=totals.get_column("value").to_list(),
        complete=totals.get_column("complete").to_list(),
        color=TOTAL_COLOR,
        unit=unit,
    )
    _add_target(figure, totals, NEUTRAL, unit, label=False)
    figure.house(title)
    _value_axis(figure, unit, y_title)
    _period_ticks(figure, totals, _MAX_SMALL_TICKS)
    # Two series in a narrow chart: a legend on top reads better than end labels that collide.
    figure.update_layout(
        showlegend=True,
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        margin={"t": 80},
    )
    figure.update_xaxes(tickangle=0)
    return figure.build()


def breakdown_figure(
    frame: pl.DataFrame,
    *,
    by: str,
    title: str,
    unit: str,
    value_title: str,
    number_format: NumberFormat,
) -> go.Figure:
    """Horizontal bars of the metric per segment or region, each labelled with its value and change."""
    labels = [
        f"{format_value(value, unit, number_format)} ({change_text(unit, delta, delta_pct, number_format)})"
        for value, delta, delta_pct in frame.select("value", "delta", "delta_pct").iter_rows()
    ]
    # Grey bars: the product-line colours mean product lines, and a segment is none of them.
    return bar_figure(
        frame.with_columns(pl.Series("label", labels, dtype=pl.String)),
        category=by,
        value="value",
        title=title,
        value_title=value_title,
        unit=unit,
        colors=[NEUTRAL] * frame.height,
        text="label",
    )
