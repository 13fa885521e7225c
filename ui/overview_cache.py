"""Bounded caches for the Overview's slower computations, keyed by the data version and the view (never by frames)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl
import streamlit as st

from insights.formatting import NumberFormat
from insights.metrics import overview_metrics
from insights.notable import NOTABLE_SCHEMA, NotableContext, notable_changes
from insights.overview import (
    coarser_metric_labels,
    headline_changes,
    overview_cards,
    paired_trends,
    product_line_scorecard,
)
from insights.process import AdoptionHistory
from insights.scope import View


@dataclass(frozen=True)
class OverviewNumbers:
    """Everything the Overview shows for one view but the notable changes: small frames, cached together."""

    cards: pl.DataFrame
    coarser: list[str]
    scorecard: pl.DataFrame
    trends: pl.DataFrame


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def overview_numbers(
    data_version: str,
    view_key: str,
    nps_min_responses: int,
    _datasets: Mapping[str, pl.DataFrame],
    _view: View,
    _history: AdoptionHistory | None = None,
) -> OverviewNumbers:
    """The KPI cards, the labels of metrics shown at a coarser grain, the scorecard and the paired trends of the view.

    A rerun with the same data and view (a click elsewhere on the page) reads them back instead of computing again.
    """
    # data_version and view_key only key the cache: the frames and the view are the same whenever they are.
    card_ids, _ = overview_metrics(_datasets["metric_catalog"])
    return OverviewNumbers(
        cards=overview_cards(_datasets, _view, nps_min_responses, _history),
        coarser=coarser_metric_labels(_datasets, card_ids, _view),
        scorecard=product_line_scorecard(_datasets, _view, nps_min_responses, _history),
        trends=paired_trends(_datasets, _view, nps_min_responses),
    )


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def ranked_notable_changes(
    data_version: str,
    view_key: str,
    nps_min_responses: int,
    currency: str,
    locale: str,
    limit: int,
    _datasets: Mapping[str, pl.DataFrame],
    _view: View,
    _history: AdoptionHistory | None = None,
) -> pl.DataFrame:
    """Notable changes of the view (about 0.1 s to compute), the ``limit`` headlines first; empty without a period."""
    # data_version and view_key only key the cache: the frames and the view are the same whenever they are.
    if _view.period is None or _view.comparison is None:
        return headline_changes(pl.DataFrame(schema=NOTABLE_SCHEMA))
    context = NotableContext(
        period=_view.period,
        comparison=_view.comparison,
        product_lines=_view.lines_filter,
        all_product_lines=_view.all_product_lines,
        fiscal_year_start_month=_view.fiscal_year_start_month,
        nps_min_responses=nps_min_responses,
        number_format=NumberFormat(currency, locale),
    )
    return headline_changes(notable_changes(_datasets, context, history=_history), limit=limit)
