"""The Overview's figures and table settings: paired revenue/NPS small multiples and scorecard columns."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go
import polars as pl
import streamlit as st
from babel.numbers import get_currency_symbol

from insights.overview import ADOPTION_KEY, FEEDBACK_KEY, NPS_KEY, change_basis
from ui.charts import HOUSE_X_AXIS, HOUSE_Y_AXIS, MUTED, NEUTRAL, PALETTE, Draft, axis_name, house_layout

_COLUMNS_PER_ROW = 3
_ROW_HEIGHT = 230
_NPS_PADDING = 10.0
_ALL_TICKS = 5  # five quarter labels fit under a small multiple …
_MAX_TICKS = 4  # … but only four month or week labels


def currency_symbol(currency: str, locale: str) -> str:
    """The symbol money is written with ($, €, CHF)."""
    return str(get_currency_symbol(currency, locale=locale))


def scorecard_columns(
    cards: pl.DataFrame, symbol: str, min_responses: int, comparison_label: str
) -> tuple[list[str], dict[str, Any]]:
    """The scorecard's column order and ``column_config``: each overview metric with its change, then the signals."""
    order = ["product_line"]
    config: dict[str, Any] = {"product_line": st.column_config.TextColumn("Product line", pinned=True)}
    metric_cards = cards.filter(~pl.col("key").is_in([NPS_KEY, FEEDBACK_KEY, ADOPTION_KEY]))
    for key, label, unit in metric_cards.select("key", "label", "unit").iter_rows():
        order += [key, f"{key}_change"]
        money = unit == "currency"
        config[key] = st.column_config.NumberColumn(
            f"{label} ({symbol})" if money else label,
            format=_value_format(unit),
            help=f"{label} in the period" + (f", in {symbol} (the CSV has the exact values)" if money else ""),
        )
        points = change_basis(unit) == "points"
        config[f"{key}_change"] = st.column_config.NumberColumn(
            "Δ pt" if points else "Δ %",
            format="%+.2f" if points else "%+.1f",
            help=f"{label}: change vs {comparison_label}" + (" in points" if points else ", relative (%)"),
        )
    order += ["nps", "nps_change", "nps_responses", "feedback", "top_negative_theme", "adoption_rate", "lapsed"]
    config |= {
        "nps": st.column_config.NumberColumn(
            "NPS", format="%+.0f", help=f"% promoters − % detractors; below {min_responses} responses is low confidence"
        ),
        "nps_change": st.column_config.NumberColumn(
            "Δ", format="%+.0f", help=f"NPS: change vs {comparison_label} in points"
        ),
        "nps_responses": st.column_config.NumberColumn("n", format="%d", help="Scored responses behind the NPS"),
        "feedback": st.column_config.NumberColumn("Feedback", format="%d", help="Feedback rows in the period"),
        "top_negative_theme": st.column_config.TextColumn(
            "Negative theme", help="The theme with the most negative feedback in the period"
        ),
        "adoption_rate": st.column_config.NumberColumn(
            "Adoption", format="%.0f%%", help="Team × practice pairs with a done occurrence in the period"
        ),
        "lapsed": st.column_config.NumberColumn(
            "Lapsed", format="%d", help="Team × practice cadences not run for 1.5 × their cadence at the period's end"
        ),
    }
    return order, config


def _value_format(unit: str) -> str:
    if unit == "currency":
        return "compact"
    if unit == "percent":
        return "%.2f%%"
    if unit == "score":
        return "%+.0f"
    if unit == "count":
        return "%,d"
    return "%.2f"


def paired_trends_figure(
    trends: pl.DataFrame,
    colors: Mapping[str, str],
    *,
    revenue_label: str,
    revenue_unit: str,
    symbol: str,
    title: str,
) -> go.Figure:
    """Small multiples, one per product line: the revenue metric as bars, NPS as a line on a shared second axis."""
    lines = list(dict.fromkeys(trends.get_column("product_line").to_list()))
    columns = max(1, min(_COLUMNS_PER_ROW, len(lines)))
    rows = max(1, math.ceil(len(lines) / columns))
    figure = Draft.grid(
        rows,
        columns,
        lines,
        secondary_y=True,
        horizontal_spacing=0.09,
        vertical_spacing=0.16 if rows > 1 else 0.1,
    )
    scored = trends.get_column("nps").drop_nulls()
    low = min(0.0, float(scored.min())) if scored.len() else -10.0  # type: ignore[arg-type]
    high = max(0.0, float(scored.max())) if scored.len() else 10.0  # type: ignore[arg-type]
    nps_range = [math.floor((low - _NPS_PADDING) / 10) * 10, math.ceil((high + _NPS_PADDING) / 10) * 10]
    money = revenue_unit == "currency"
    # The figure is made in one go from plain dicts: the grid's layout (make_subplots', kept per grid), then traces
    # and axes set in place. Updating a Plotly figure object panel by panel validated the whole grid on every call,
    # which cost more than all the numbers (0.25 s for a dozen panels, against 0.01 s).
    layout: dict[str, Any] = figure.layout
    traces: list[dict[str, Any]] = []
    # each line's rows in one pass (a filter and a sort per line were two queries each, 32 for 16 lines)
    by_line = trends.sort("period_start", maintain_order=True).partition_by(
        "product_line", as_dict=True, maintain_order=True
    )
    for index, line in enumerate(lines):
        row, column = index // columns + 1, index % columns + 1
        rows_of_line = by_line[(line,)]
        color = colors.get(line, PALETTE[0])
        periods = rows_of_line.get_column("period").to_list()
        revenue = [None if value is None else round(value, 2) for value in rows_of_line.get_column("revenue")]
        nps_values = [None if value is None else round(value, 1) for value in rows_of_line.get_column("nps")]
        responses = rows_of_line.get_column("responses").to_list()
        low_confidence = rows_of_line.get_column("low_confidence").to_list()
        x_ref, y_ref = figure.axes(row, column)
        y2_ref = figure.secondary_axis(row, column)
        traces.append(
            {
                "type": "bar",
                "x": periods,
                "y": revenue,
                "name": f"{line} · {revenue_label}",
                "marker": {"color": color, "opacity": 0.35},
                "hovertemplate": (
                    f"{line} · %{{x}}<br>{revenue_label}: "
                    + (f"{symbol}%{{y:,.0f}}" if money else "%{y:,.2f}")
                    + "<extra></extra>"
                ),
                "xaxis": x_ref,
                "yaxis": y_ref,
            }
        )
        traces.append(
            {
                "type": "scatter",
                "x": periods,
                "y": nps_values,
                "name": f"{line} · NPS",
                "mode": "lines+markers",
                "line": {"color": color, "width": 2.5},
                "marker": {
                    "size": 7,
                    "color": ["white" if flag else color for flag in low_confidence],
                    "line": {"color": color, "width": 2},
                },
                "customdata": [
                    [count, "low confidence" if flag else ""]
                    for count, flag in zip(responses, low_confidence, strict=True)
                ],
                "hovertemplate": (
                    f"{line} · %{{x}}<br>NPS %{{y:+.0f}} (n=%{{customdata[0]:,}}) %{{customdata[1]}}<extra></extra>"
                ),
                "connectgaps": True,
                "xaxis": x_ref,
                "yaxis": y2_ref,
            }
        )
        layout[axis_name(y_ref)] |= {
            "rangemode": "tozero",
            "tickprefix": symbol if money else "",
            "tickformat": "~s",
            "title": {
                "text": f"{revenue_label} ({symbol})"
                if column == 1 and money
                else (revenue_label if column == 1 else None)
            },
            "gridcolor": "#eef0f2",
        }
        layout[axis_name(y2_ref)] |= {
            "range": nps_range,
            "tickmode": "linear",
            "tick0": 0,
            "dtick": 25,
            "tickformat": "+.0f",
            "title": {"text": "NPS" if column == columns or index == len(lines) - 1 else None},
            "showgrid": False,
            "zeroline": True,
            "zerolinecolor": MUTED,
        }
        # Labels that do not fit are left to the hover.
        step = 1 if len(periods) <= _ALL_TICKS else math.ceil(len(periods) / _MAX_TICKS)
        layout[axis_name(x_ref)] |= {
            "type": "category",
            "categoryorder": "array",
            "categoryarray": periods,
            "tickmode": "array",
            "tickvals": periods[::step],
            "tickangle": 0,
        }
    layout["annotations"] = [
        annotation | {"font": {"color": colors.get(line, NEUTRAL), "size": 14}, "xanchor": "center"}
        for annotation, line in zip(layout["annotations"], lines, strict=True)
    ]
    for name in layout:
        if name.startswith("xaxis"):
            layout[name] |= HOUSE_X_AXIS
        elif name.startswith("yaxis"):
            layout[name] |= HOUSE_Y_AXIS
    layout |= house_layout(title, height=rows * _ROW_HEIGHT + 90)
    layout |= {"hovermode": "closest", "bargap": 0.25, "margin": {"l": 10, "r": 10, "t": 80, "b": 10}}
    figure.data = traces
    return figure.build()
