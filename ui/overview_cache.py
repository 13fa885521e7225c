"""Bounded caches for the Overview's slower computations, keyed by the data version and the view (never by frames)."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl
import streamlit as st

from insights.formatting import NumberFormat
from insights.notable import NOTABLE_SCHEMA, NotableContext, notable_changes
from insights.overview import headline_changes
from insights.scope import View


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
    return headline_changes(notable_changes(_datasets, context), limit=limit)
