"""One metric at a time for the Business page: picker groups, definition, KPI, line ranking, trend table, breakdowns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl
from babel.numbers import format_decimal

from insights.formatting import MINUS, NumberFormat, format_change, format_delta, format_value
from insights.metrics import (
    MONTHLY_METRICS,
    compare_periods,
    is_prepared,
    kpi_table,
    metric_values,
    metrics_for_periods,
    period_values,
    scope_metrics,
    targets_for_periods,
)
from insights.metrics import metric_rows as metric_rows_for
from insights.periods import (
    Granularity,
    Period,
    coverage_end,
    data_coverage_end,
    metric_grains,
    period_for,
    period_label,
)

# Money and counts differ in size between product lines, so they are compared by relative change; percents, ratios and
# scores are already on a common scale and are compared by their change in points.
RELATIVE_UNITS = ("currency", "count")
UNIT_GROUP_LABELS = {
    "currency": "Money",
    "percent": "Percentages",
    "count": "Counts",
    "ratio": "Ratios",
    "score": "Scores",
}
OTHER_GROUP = "other"
_GRAIN_RANK = {"day": 0, "week": 1, "month": 2, "quarter": 3, "year": 4}
_STEP = {"week": "1w", "month": "1mo", "quarter": "3mo", "year": "1y"}
_DECIMALS = 4
_SMALL_POINTS = 0.1


@dataclass(frozen=True)
class MetricGroup:
    """A group of the metric picker: its key, its label (what the URL keeps), and its metric ids in catalog order."""

    key: str
    label: str
    metrics: tuple[str, ...]


@dataclass(frozen=True)
class MetricDefinition:
    """What a metric is, from the catalog, with the grain its data has and whether the view is finer than that."""

    metric: str
    label: str
    unit: str
    aggregation: str
    higher_is_better: bool | None
    pillar: str | None
    question: str | None
    description: str | None
    owner: str | None
    grain: str | None
    shown_at_own_grain: bool


def metric_groups(catalog: pl.DataFrame) -> list[MetricGroup]:
    """The catalog's metrics grouped by pillar, or by unit when the catalog names fewer than two pillars."""
    pillars = catalog.get_column("pillar").drop_nulls().unique().to_list() if "pillar" in catalog.columns else []
    by_pillar = len(pillars) >= 2
    groups: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    for row in catalog.iter_rows(named=True):
        if by_pillar:
            pillar = row["pillar"]
            key = pillar if pillar is not None else OTHER_GROUP
            label = pillar[:1].upper() + pillar[1:] if pillar is not None else "Other"
        else:
            key = row["unit"] if row["unit"] is not None else OTHER_GROUP
            label = UNIT_GROUP_LABELS.get(key, key[:1].upper() + key[1:])
        groups.setdefault(key, []).append(row["metric"])
        labels.setdefault(key, label)
    return [MetricGroup(key, labels[key], tuple(metric_ids)) for key, metric_ids in groups.items()]


def metric_labels(catalog: pl.DataFrame) -> dict[str, str]:
    """Metric id → label, in catalog order (the id stands in for a missing label)."""
    return {metric: label or metric for metric, label in catalog.select("metric", "label").iter_rows()}


def shown_at_own_grain(grain: str | None, granularity: Granularity) -> bool:
    """True when the chosen granularity is finer than the metric's grain, so it is shown at its own grain instead."""
    if grain is None:
        return False
    return _GRAIN_RANK[granularity] < _GRAIN_RANK[grain]


def metric_definition(
    catalog: pl.DataFrame, metrics: pl.DataFrame, metric: str, granularity: Granularity
) -> MetricDefinition | None:
    """The catalog entry of ``metric`` with its grain in the data; None when the catalog does not have it."""
    entries = catalog.filter(pl.col("metric") == metric)
    if entries.height == 0:
        return None
    entry = entries.row(0, named=True)
    grain = _grain(_rows_of(metrics, metric))
    return MetricDefinition(
        metric=metric,
        label=entry["label"] or metric,
        unit=entry["unit"],
        aggregation=entry["aggregation"],
        higher_is_better=entry["higher_is_better"],
        pillar=entry.get("pillar"),
        question=entry.get("question"),
        description=entry.get("description"),
        owner=entry.get("owner"),
        grain=grain,
        shown_at_own_grain=shown_at_own_grain(grain, granularity),
    )


def metric_kpi(
    metrics: pl.DataFrame,
    catalog: pl.DataFrame,
    targets: pl.DataFrame,
    metric: str,
    period: Period,
    comparison: Period,
    product_lines: Sequence[str] | None,
    all_product_lines: Sequence[str],
) -> pl.DataFrame:
    """The KPI row of one metric (``kpi_table`` columns): value in the period, change, target; empty without data."""
    return kpi_table(
        _rows_of(metrics, metric),
        catalog,
        targets.filter(pl.col("metric") == metric),
        period,
        comparison,
        product_lines,
        all_product_lines,
    )


def change_score(unit: str) -> pl.Expr:
    """The change lines are ranked by: relative for money and counts, in points for the other units."""
    return pl.col("delta_pct") if unit in RELATIVE_UNITS else pl.col("delta")


def change_text(unit: str, delta: float | None, delta_pct: float | None, number_format: NumberFormat) -> str:
    """A change as people read it: +3.2 % for money and counts, +0.8 pt for percents, +0.12 for ratios."""
    if unit in RELATIVE_UNITS and delta_pct is not None:
        return format_change(delta_pct, number_format)
    if unit == "percent" and delta is not None and 0 < abs(delta) < _SMALL_POINTS:
        # Small rates such as churn move by hundredths of a point; one decimal would show them as 0.0.
        sign = "+" if delta > 0 else MINUS
        return f"{sign}{format_decimal(abs(delta), locale=number_format.locale, format='0.00')} pt"
    return format_delta(delta, unit, number_format)


def exact_text(value: float | None, unit: str, number_format: NumberFormat) -> str:
    """A value in full for a tooltip: $88,904,565.00, 0.753 %, 1,204.5, 1.2345."""
    if value is None or unit == "currency":
        return format_value(value, unit, number_format, compact=False)
    text = format_decimal(value, locale=number_format.locale, format="#,##0.###")
    return (f"{text} %" if unit == "percent" else text).replace("-", MINUS)


def line_changes(
    metrics: pl.DataFrame,
    catalog: pl.DataFrame,
    metric: str,
    period: Period,
    comparison: Period,
    product_lines: Sequence[str] | None,
) -> pl.DataFrame:
    """Each product line's value, previous value and change, best change first (by higher_is_better); no-change-known
    lines are left out."""
    entries = catalog.filter(pl.col("metric") == metric)
    if entries.height == 0:
        return _empty_line_changes()
    unit, higher_is_better = entries.select("unit", "higher_is_better").row(0)
    direction = -1.0 if higher_is_better is False else 1.0
    scoped = metrics_for_periods(_rows_of(metrics, metric), product_lines, (period, comparison))
    compared = compare_periods(
        period_values(scoped, catalog, period),
        period_values(scoped, catalog, comparison),
        on=("product_line",),
    )
    return (
        compared.with_columns(change_score(unit).alias("change"))
        .filter(pl.col("change").is_not_null())
        .with_columns(
            pl.when(pl.col("change") == 0).then(None).otherwise((pl.col("change") * direction) > 0).alias("improved"),
        )
        .sort(pl.col("change") * direction, pl.col("product_line"), descending=[True, False])
        .select("product_line", "value", "previous", "delta", "delta_pct", "change", "improved")
    )


def period_table(
    metrics: pl.DataFrame,
    catalog: pl.DataFrame,
    metric: str,
    granularity: Granularity,
    fiscal_year_start_month: int,
    product_lines: Sequence[str] | None,
    start: date,
    end: date,
    monthly: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Per product line and period of the range: value, the previous period's value, the change, and whether the
    period lies wholly inside the range and the data (values are those of ``metric_trend``).

    ``monthly``: the metrics rolled up per month (``monthly_metrics``), read for whole months when given.
    """
    metric_rows = scope_metrics(_rows_of(metrics, metric), product_lines, None, None)
    first_start = period_for(start, granularity, fiscal_year_start_month).start
    # Rows before the range are kept only for the first period's previous value; rows of the first period that fall
    # before the range start are dropped, so every value matches the trend chart's.
    rows = _rolled(metric_rows, monthly, metric, product_lines, granularity, start, end).filter(
        pl.col("date") <= end,
        ~pl.col("date").is_between(first_start, start, closed="left"),
    )
    values = _with_periods(
        metric_values(rows, catalog, granularity, fiscal_year_start_month),
        granularity,
        fiscal_year_start_month,
        start,
        end,
        _coverage_end(metric_rows),
    ).with_columns(pl.col("value").round(_DECIMALS))
    previous = values.select(
        "product_line",
        pl.col("period_start").alias("previous_start"),
        pl.col("value").alias("previous"),
    )
    return (
        values.filter(pl.col("period_start") >= first_start)
        .join(previous, on=["product_line", "previous_start"], how="left", nulls_equal=True)
        .with_columns((pl.col("value") - pl.col("previous")).round(_DECIMALS).alias("delta"))
        .with_columns(
            pl.when(pl.col("previous").is_null() | (pl.col("previous") == 0))
            .then(None)
            .otherwise(pl.col("delta") / pl.col("previous").abs())
            .round(6)
            .alias("delta_pct")
        )
        .sort("product_line", "period_start", nulls_last=True)
        .select("product_line", "period", "period_start", "complete", "value", "previous", "delta", "delta_pct")
    )


def total_vs_target(
    metrics: pl.DataFrame,
    catalog: pl.DataFrame,
    targets: pl.DataFrame,
    metric: str,
    granularity: Granularity,
    fiscal_year_start_month: int,
    product_lines: Sequence[str] | None,
    all_product_lines: Sequence[str],
    start: date,
    end: date,
    monthly: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The selection's total (the company when every line is selected) per period of the range, with its target.

    ``monthly``: the metrics rolled up per month (``monthly_metrics``), read for whole months when given.
    """
    metric_rows = scope_metrics(_rows_of(metrics, metric), product_lines, None, None)
    rolled = _rolled(metric_rows, monthly, metric, product_lines, granularity, start, end)
    totals = _with_periods(
        metric_values(scope_metrics(rolled, None, start, end), catalog, granularity, fiscal_year_start_month, ()),
        granularity,
        fiscal_year_start_month,
        start,
        end,
        _coverage_end(metric_rows),
    )
    # one target per period shown (each row is one period, so its start names it), found for all periods at once
    periods = [
        period_for(period_start, shown, fiscal_year_start_month)
        for period_start, shown in totals.select("period_start", "shown_granularity").iter_rows()
    ]
    period_targets = targets_for_periods(
        targets.filter(pl.col("metric") == metric),
        catalog,
        periods,
        product_lines,
        all_product_lines,
        by_product_line=False,
    ).select("period_start", "target")
    return (
        totals.join(period_targets, on="period_start", how="left")
        .with_columns(pl.col("value").round(_DECIMALS), pl.col("target").round(_DECIMALS))
        .sort("period_start")
        .select("period", "period_start", "period_end", "complete", "value", "target")
    )


def breakdown(
    metrics: pl.DataFrame,
    catalog: pl.DataFrame,
    metric: str,
    by: str,
    period: Period,
    comparison: Period,
    product_lines: Sequence[str] | None,
) -> pl.DataFrame:
    """The metric in the period per value of ``by`` (segment, region), with the comparison; rows without one are left
    out, so a metric not broken down by ``by`` gives an empty frame. Largest first."""
    schema = {by: pl.String(), "value": pl.Float64(), "previous": pl.Float64(), "delta": pl.Float64()}
    if by not in metrics.columns:
        return pl.DataFrame(schema={**schema, "delta_pct": pl.Float64()})
    in_periods = metrics_for_periods(_rows_of(metrics, metric), product_lines, (period, comparison))
    scoped = in_periods.filter(pl.col(by).is_not_null())
    current = period_values(scoped, catalog, period, by=(by,)).select(by, "value")
    previous = period_values(scoped, catalog, comparison, by=(by,)).select(by, "value")
    return (
        compare_periods(current, previous, on=(by,))
        .filter(pl.col("value").is_not_null())
        .with_columns(pl.col("value", "previous", "delta").round(_DECIMALS), pl.col("delta_pct").round(6))
        .sort(pl.col("value"), pl.col(by), descending=[True, False])
    )


def _rows_of(metrics: pl.DataFrame, metric: str) -> pl.DataFrame:
    """The rows of ``metric``: the frame itself when it holds that metric's rows only (a page reading one metric's
    rows), instead of a copy of hundreds of thousands of them."""
    is_metric = pl.col("metric") == metric
    if metrics.height and metrics.select(is_metric.all()).item():
        return metrics
    return metrics.filter(is_metric)


def _rolled(
    metric_rows: pl.DataFrame,
    monthly: pl.DataFrame | None,
    metric: str,
    product_lines: Sequence[str] | None,
    granularity: Granularity,
    start: date,
    end: date,
) -> pl.DataFrame:
    """What the roll-ups of [start, end] read: the metric's monthly rows in the lines where they serve (metric_rows),
    else its rows (``metric_rows``: already in the lines)."""
    if monthly is None:
        return metric_rows
    rows = metric_rows_for({"metrics": metric_rows, MONTHLY_METRICS: monthly}, start, end, granularity)
    return metric_rows if rows is metric_rows else scope_metrics(_rows_of(rows, metric), product_lines, None, None)


def _grain(metric_rows: pl.DataFrame) -> str | None:
    """The grain of one metric's rows: read from the first prepared row (a metric has one), else detected."""
    if metric_rows.height == 0:
        return None
    if is_prepared(metric_rows):
        return str(metric_rows.item(0, "grain"))
    grains = metric_grains(metric_rows).get_column("grain").to_list()
    return grains[0] if grains else None


def _coverage_end(metric_rows: pl.DataFrame) -> date | None:
    """The last day one metric's rows cover at its grain; prepared rows in date order end with their latest day."""
    dates = metric_rows.get_column("date")
    if metric_rows.height and is_prepared(metric_rows) and dates.flags["SORTED_ASC"] and dates.null_count() == 0:
        grain = _grain(metric_rows)
        if grain is not None:
            return coverage_end(dates[-1], grain)  # type: ignore[arg-type]
    return data_coverage_end(metric_rows)


def _with_periods(
    values: pl.DataFrame,
    granularity: Granularity,
    fiscal_year_start_month: int,
    start: date,
    end: date,
    coverage_end: date | None,
) -> pl.DataFrame:
    """Add each value's period label, the period it is shown at, the previous period's start, and completeness."""
    # A metric recorded by month stays monthly in a weekly view (DESIGN.md §2): its periods are months.
    shown = (
        pl.when((pl.lit(granularity) == "week") & (pl.col("grain") == "month"))
        .then(pl.lit("month"))
        .otherwise(pl.lit(granularity))
    )
    step = pl.col("shown_granularity").replace_strict(_STEP, return_dtype=pl.String)
    bound = min(end, coverage_end) if coverage_end is not None else end
    with_steps = values.with_columns(shown.alias("shown_granularity")).with_columns(
        pl.col("period_start").dt.offset_by(pl.lit("-") + step).alias("previous_start"),
        (pl.col("period_start").dt.offset_by(step) - pl.duration(days=1)).alias("period_end"),
    )
    labels = pl.DataFrame(
        [
            (period_start, shown_granularity, period_label(period_start, shown_granularity, fiscal_year_start_month))
            for period_start, shown_granularity in with_steps.select("period_start", "shown_granularity")
            .unique()
            .iter_rows()
        ],
        schema={"period_start": pl.Date(), "shown_granularity": pl.String(), "period": pl.String()},
        orient="row",
    )
    return with_steps.join(labels, on=["period_start", "shown_granularity"], how="left").with_columns(
        ((pl.col("period_start") >= start) & (pl.col("period_end") <= bound)).alias("complete")
    )


def _empty_line_changes() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "product_line": pl.String(),
            "value": pl.Float64(),
            "previous": pl.Float64(),
            "delta": pl.Float64(),
            "delta_pct": pl.Float64(),
            "change": pl.Float64(),
            "improved": pl.Boolean(),
        }
    )


def metric_named(labels: Mapping[str, str], name: str | None) -> str | None:
    """The metric id a link names, by its id or its label (a bound selectbox writes the label); None if none."""
    return next((metric for metric, label in labels.items() if name in (metric, label)), None)


def group_of(groups: Sequence[MetricGroup], metric: str | None) -> str | None:
    """The key of the group holding ``metric``; None when no group does."""
    return next((group.key for group in groups if metric in group.metrics), None)


def partial_period_labels(table: pl.DataFrame) -> list[str]:
    """Labels of the periods of a period_table or total_vs_target frame that are not whole, in time order."""
    return (
        table.filter(~pl.col("complete"))
        .select("period", "period_start")
        .unique()
        .sort("period_start")
        .get_column("period")
        .to_list()
    )


def whole_period_values(totals: pl.DataFrame) -> list[float]:
    """The values of the whole periods of a total_vs_target frame, in time order (for a sparkline)."""
    return (
        totals.filter(pl.col("complete"), pl.col("value").is_not_null())
        .sort("period_start")
        .get_column("value")
        .to_list()
    )
