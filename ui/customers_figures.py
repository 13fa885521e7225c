"""Figures of the Customer & Market Insights page (plotly.graph_objects)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Literal

import plotly.graph_objects as go
import polars as pl

from insights.formatting import NumberFormat, format_count, format_share, format_value
from insights.periods import Granularity, Period, period_label
from ui.charts import (
    BAD,
    GOOD,
    INK,
    MUTED,
    NEUTRAL,
    Draft,
    line_swatch,
    panel_period_ticks,
    partial_period_shapes,
    period_ticks,
    ranked_bars_figure,
    rounded,
)


def nps_trend_figure(
    nps_by_line: pl.DataFrame,
    *,
    colors: Mapping[str, str],
    granularity: Granularity,
    fiscal_year_start_month: int,
    min_responses: int,
) -> go.Figure:
    """NPS per product line over the periods, labelled at the line's end; hollow points are low-confidence."""
    figure = Draft()
    line_ends: list[tuple[str, str, date, float]] = []
    for (line,), rows in nps_by_line.sort("product_line", "period_start").group_by("product_line", maintain_order=True):
        name = str(line)
        color = colors.get(name, INK)
        starts = rows.get_column("period_start").to_list()
        values = rounded(rows.get_column("nps").to_list())
        responses = rows.get_column("responses").to_list()
        low = rows.get_column("low_confidence").to_list()
        labels = [period_label(start, granularity, fiscal_year_start_month) for start in starts]
        notes = [f"fewer than {min_responses} responses: low confidence" if flag else "" for flag in low]
        figure.add_trace(
            {
                "type": "scatter",
                "x": starts,
                "y": values,
                "mode": "lines+markers",
                "name": name,
                "line": {"color": color, "width": 2},
                "marker": {
                    "size": 8,
                    "color": color,
                    "symbol": ["circle-open" if flag else "circle" for flag in low],
                    "line": {"width": 2, "color": color},
                },
                "customdata": [list(item) for item in zip(labels, responses, notes, strict=True)],
                "hovertemplate": f"{name} · %{{customdata[0]}}: NPS %{{y:+.1f}} (n=%{{customdata[1]:,}})"
                "<br>%{customdata[2]}<extra></extra>",
            }
        )
        if starts and values[-1] is not None:
            line_ends.append((name, color, starts[-1], values[-1]))
    _label_line_ends(figure, line_ends, nps_by_line.get_column("nps").drop_nulls().to_list())
    figure.house(
        f"Is NPS moving? NPS per product line by {granularity} (hollow: fewer than {min_responses} responses)",
    )
    figure.update_layout(hovermode="closest", margin={"r": 80})
    figure.update_yaxes(
        title={"text": "NPS (points, −100 to +100)"}, tickformat="+d", zeroline=True, zerolinecolor=MUTED
    )
    period_ticks(figure, nps_by_line.get_column("period_start").to_list(), granularity, fiscal_year_start_month)
    return figure.build()


def _label_line_ends(
    figure: Draft, line_ends: Sequence[tuple[str, str, date, float]], all_values: Sequence[float]
) -> None:
    """Name each line at its last point, nudging labels apart so that close lines stay readable."""
    span = (max(all_values) - min(all_values)) if all_values else 0.0
    gap = max(span * 0.08, 1.0)
    placed: list[float] = []
    labels: list[dict[str, object]] = []
    for name, color, last_start, last_value in sorted(line_ends, key=lambda end: end[3]):
        label_y = last_value if not placed else max(last_value, placed[-1] + gap)
        placed.append(label_y)
        labels.append(
            {
                "x": last_start,
                "y": label_y,
                "text": name,
                "showarrow": False,
                "xanchor": "left",
                "xshift": 8,
                "font": {"color": color},
            }
        )
    figure.add_annotations(labels)


def nps_mix_figure(nps_overall: pl.DataFrame, *, granularity: Granularity, fiscal_year_start_month: int) -> go.Figure:
    """Detractors, passives and promoters as stacked shares of the scored responses, per period."""
    frame = nps_overall.sort("period_start")
    starts = frame.get_column("period_start").to_list()
    responses = frame.get_column("responses").to_list()
    labels = [period_label(start, granularity, fiscal_year_start_month) for start in starts]
    figure = Draft()
    for column, label, color in (
        ("detractor_share", "Detractors (0–6)", BAD),
        ("passive_share", "Passives (7–8)", NEUTRAL),
        ("promoter_share", "Promoters (9–10)", GOOD),
    ):
        figure.add_trace(
            {
                "type": "bar",
                "x": starts,
                "y": rounded(frame.get_column(column).to_list()),
                "name": label,
                "marker": {"color": color},
                "customdata": [list(item) for item in zip(labels, responses, strict=True)],
                "hovertemplate": f"%{{customdata[0]}} · {label}: %{{y:.1%}} of %{{customdata[1]:,}} responses"
                "<extra></extra>",
            }
        )
    figure.house(f"Promoter, passive and detractor mix by {granularity}")
    figure.update_layout(
        barmode="stack",
        showlegend=True,
        legend={"orientation": "h", "y": -0.12, "traceorder": "reversed"},
        hovermode="closest",
    )
    figure.update_yaxes(title={"text": "Share of scored responses"}, tickformat=".0%", range=[0, 1])
    period_ticks(figure, starts, granularity, fiscal_year_start_month)
    return figure.build()


def theme_bars_figure(
    ranked: pl.DataFrame,
    *,
    value: str,
    unit: Literal["count", "currency"],
    title: str,
    value_title: str,
    number_format: NumberFormat,
) -> go.Figure:
    """Themes as horizontal bars, largest on top, each labelled with its value; the leader in darker grey."""
    themes = [str(theme) for theme in ranked.get_column("theme").to_list()]
    values = ranked.get_column(value).to_list()
    mentions = ranked.get_column("mentions").to_list()
    accounts = ranked.get_column("accounts").to_list()
    negative_share = ranked.get_column("negative_share").to_list()
    details = [
        f"{format_count(count, number_format)} mentions · {format_count(account_count, number_format)} accounts · "
        f"{format_share(share, number_format)} negative"
        for count, account_count, share in zip(mentions, accounts, negative_share, strict=True)
    ]
    return ranked_bars_figure(
        themes,
        rounded(values),
        labels=[format_value(item, unit, number_format) for item in values],
        customdata=details,
        hovertemplate="%{y}: %{text}<br>%{customdata}<extra></extra>",
        title=title,
        value_title=value_title,
        height=max(260, 30 * len(themes) + 90),
        right_margin=60,
        value_axis={"tickformat": "$~s" if unit == "currency" else "~s"},
    )


def theme_trend_figure(
    trend: pl.DataFrame,
    *,
    themes: Sequence[str],
    granularity: Granularity,
    fiscal_year_start_month: int,
    partial: Sequence[Period],
) -> go.Figure:
    """Small multiples: mentions per period of each theme, on one shared scale; cut-short periods shaded."""
    figure = Draft.grid(1, max(len(themes), 1), themes, shared_yaxes=True)
    starts = sorted(set(trend.get_column("period_start").to_list()))
    by_theme = trend.sort("period_start").partition_by("theme", as_dict=True)
    bands: list[dict[str, object]] = []
    for index, theme in enumerate(themes, start=1):
        rows = by_theme.get((theme,), trend.clear())
        theme_starts = rows.get_column("period_start").to_list()
        labels = [period_label(start, granularity, fiscal_year_start_month) for start in theme_starts]
        figure.add_trace(
            {
                "type": "scatter",
                "x": theme_starts,
                "y": rows.get_column("mentions").to_list(),
                "mode": "lines+markers",
                "name": theme,
                "line": {"color": INK, "width": 2},
                "marker": {"size": 5},
                "customdata": labels,
                "hovertemplate": f"{theme} · %{{customdata}}: %{{y:,}} mentions<extra></extra>",
            },
            row=1,
            col=index,
        )
        bands += partial_period_shapes(figure, partial, row=1, col=index)
    if bands:
        figure.add_shapes(bands)
    figure.house(f"How often are the top {len(themes)} themes raised? Mentions per {granularity}")
    figure.update_layout(hovermode="closest")
    for annotation in figure.layout.get("annotations", ()):
        annotation["font"] = {"size": 12}
    figure.update_yaxes(title={"text": "Mentions"}, row=1, col=1)
    figure.update_yaxes(gridcolor="#eef0f2", rangemode="tozero")
    figure.update_xaxes(showgrid=False, linecolor=MUTED)
    panel_period_ticks(figure, starts, granularity, fiscal_year_start_month)
    return figure.build()


def mix_figure(volume: pl.DataFrame, *, category: str, title: str, number_format: NumberFormat) -> go.Figure:
    """One ``feedback_volume`` breakdown as horizontal bars, largest on top, labelled with share and count."""
    names = [str(name) if name is not None else "(not given)" for name in volume.get_column(category).to_list()]
    mentions = volume.get_column("mentions").to_list()
    shares = volume.get_column("share").to_list()
    return ranked_bars_figure(
        names,
        mentions,
        labels=[
            f"{format_share(share, number_format)} · {format_count(count, number_format)}"
            for share, count in zip(shares, mentions, strict=True)
        ],
        hovertemplate="%{y}: %{x:,} pieces of feedback<extra></extra>",
        title=title,
        value_title="Pieces of feedback",
        height=max(240, 30 * len(names) + 100),
        right_margin=80,
    )


def sentiment_by_line_figure(shares: pl.DataFrame, *, colors: Mapping[str, str]) -> go.Figure:
    """Positive, neutral and negative shares per product line as 100 % bars (green/grey/red mean sentiment here)."""
    frame = shares.sort("product_line")
    lines = [str(line) for line in frame.get_column("product_line").to_list()]
    counts = frame.get_column("with_sentiment").to_list()
    figure = Draft()
    for column, count_column, label, color in (
        ("positive_share", "positive", "Positive", GOOD),
        ("neutral_share", "neutral", "Neutral", NEUTRAL),
        ("negative_share", "negative", "Negative", BAD),
    ):
        figure.add_trace(
            {
                "type": "bar",
                "x": rounded(frame.get_column(column).to_list()),
                "y": lines,
                "orientation": "h",
                "name": label,
                "marker": {"color": color},
                "text": [f"{share:.0%}" if share is not None else "" for share in frame.get_column(column).to_list()],
                "textposition": "inside",
                "insidetextanchor": "middle",
                "customdata": [
                    list(item) for item in zip(frame.get_column(count_column).to_list(), counts, strict=True)
                ],
                "hovertemplate": f"%{{y}} · {label}: %{{x:.1%}} (%{{customdata[0]:,}} of %{{customdata[1]:,}})"
                "<extra></extra>",
            }
        )
    figure.house("Sentiment per product line", height=max(220, 130 + 38 * len(lines)))
    figure.update_layout(
        barmode="stack",
        showlegend=True,
        legend={"orientation": "h", "y": -0.04, "yanchor": "top", "traceorder": "normal"},
        hovermode="closest",
        margin={"b": 40},
    )
    figure.update_yaxes(
        autorange="reversed",
        gridcolor="white",
        tickvals=lines,
        ticktext=[line_swatch(line, colors.get(line, INK)) for line in lines],
    )
    # Each bar is labelled with its shares, so the axis needs no ticks; the legend sits where they would.
    figure.update_xaxes(tickformat=".0%", range=[0, 1], showticklabels=False)
    return figure.build()
