"""The Business page's numbers for one data version, view and metric, cached together (they are small)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
import streamlit as st

from insights.business import (
    MetricDefinition,
    breakdown,
    line_changes,
    metric_definition,
    metric_kpi,
    period_table,
    total_vs_target,
)
from insights.metrics import MONTHLY_METRICS, metric_rows
from insights.periods import periods_span
from insights.scope import View


@dataclass(frozen=True)
class BusinessNumbers:
    """One metric in one view: its definition, KPI row, lines ranked by change, trend table, totals and breakdowns."""

    definition: MetricDefinition | None
    kpi: pl.DataFrame | None
    ranked: pl.DataFrame | None
    totals: pl.DataFrame
    table: pl.DataFrame
    breakdowns: dict[str, pl.DataFrame]


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def business_numbers(
    data_version: str,
    view_key: str,
    metric: str,
    breakdowns: Sequence[str],
    _metrics: pl.DataFrame,
    _catalog: pl.DataFrame,
    _targets: pl.DataFrame,
    _view: View,
    _monthly: pl.DataFrame | None = None,
) -> BusinessNumbers:
    """Every number of the Business page for ``metric`` (None definition: the catalog does not have it).

    ``_monthly``: the metric's rows rolled up per month (``monthly_metrics``), which roll-ups of whole months read.
    """
    # data_version and view_key only key the cache: the frames and the view are the same whenever they are.
    view, period, comparison = _view, _view.period, _view.comparison
    definition = metric_definition(_catalog, _metrics, metric, view.granularity)
    empty = pl.DataFrame()
    if definition is None:
        return BusinessNumbers(None, None, None, empty, empty, {})
    kpi, ranked, parts = None, None, {}
    if period is not None and comparison is not None:
        lines = view.lines_filter
        rows = _metrics
        if _monthly is not None:
            span = periods_span(period, comparison)
            rows = metric_rows({"metrics": _metrics, MONTHLY_METRICS: _monthly}, *span, view.granularity)
        kpi = metric_kpi(rows, _catalog, _targets, metric, period, comparison, lines, view.all_product_lines)
        ranked = line_changes(rows, _catalog, metric, period, comparison, lines)
        parts = {by: breakdown(rows, _catalog, metric, by, period, comparison, lines) for by in breakdowns}
    totals = total_vs_target(
        _metrics,
        _catalog,
        _targets,
        metric,
        view.granularity,
        view.fiscal_year_start_month,
        view.lines_filter,
        view.all_product_lines,
        view.start,
        view.end,
        _monthly,
    )
    table = period_table(
        _metrics,
        _catalog,
        metric,
        view.granularity,
        view.fiscal_year_start_month,
        view.lines_filter,
        view.start,
        view.end,
        _monthly,
    )
    return BusinessNumbers(definition, kpi, ranked, totals, table, parts)
