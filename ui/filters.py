"""The global filters, drawn by app.py before the page runs and bound to the URL, so a copied link reopens the view."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import cast

import polars as pl
import streamlit as st

from insights.periods import Comparison, Granularity, default_date_range
from insights.scope import (
    COMPARISONS,
    DEFAULT_COMPARISON,
    DEFAULT_GRANULARITY,
    GRANULARITIES,
    View,
    data_end,
    product_lines,
    view_for,
)
from ui.data import derived_cache

_VIEW_KEY = "_pillars_view"
_RANGE_DEFAULT = "_pillars_range_default"
# The query parameter names: short, because they are what a shared link shows.
LINES, RANGE, GRANULARITY, COMPARE = "lines", "range", "granularity", "vs"


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def _data_facts(data_version: str, _datasets: Mapping[str, pl.DataFrame]) -> tuple[tuple[str, ...], date | None]:
    # Both take a pass over every row (the metrics' grains among them, 0.5 s at 10M rows): once per data version, and
    # kept on disk beside the prepared frames, so a new process does not take that pass again.
    def derive() -> dict[str, pl.DataFrame]:
        return {
            "lines": pl.DataFrame({"product_line": list(product_lines(_datasets))}, schema={"product_line": pl.String}),
            "end": pl.DataFrame({"data_end": [data_end(_datasets)]}, schema={"data_end": pl.Date}),
        }

    facts = derived_cache().frames("data-facts", data_version, derive, ("lines", "end"))
    end: date | None = facts["end"].item(0, "data_end")
    return tuple(facts["lines"].get_column("product_line").to_list()), end


def render_filters(datasets: Mapping[str, pl.DataFrame], fiscal_year_start_month: int, data_version: str) -> View:
    """Draw the sidebar filters and return the view they select (also kept for the page in session state).

    ``data_version`` (the bundle's key) lets the data's product lines and last day be computed once per version.
    """
    all_lines, end_of_data = _data_facts(data_version, datasets)
    default_range = default_date_range(end_of_data) if end_of_data else None
    with st.sidebar:
        st.subheader("Filters")
        st.multiselect(
            "Product lines",
            options=all_lines,
            key=LINES,
            bind="query-params",
            placeholder="All product lines",
            help="Leave empty for all product lines.",
        )
        chosen_range: object = None
        if default_range is not None and end_of_data is not None:
            _follow_the_data(default_range)
            chosen_range = st.date_input(
                "Date range",
                value=default_range,
                max_value=end_of_data,
                key=RANGE,
                bind="query-params",
                format="YYYY-MM-DD",
                help="Trends show the whole range; KPIs the latest complete period in it. Default: the last 12 months.",
            )
        st.segmented_control(
            "Granularity",
            options=GRANULARITIES,
            default=DEFAULT_GRANULARITY,
            format_func=str.capitalize,
            key=GRANULARITY,
            bind="query-params",
            required=True,
        )
        st.radio(
            "Compare with",
            options=tuple(COMPARISONS),
            format_func=COMPARISONS.__getitem__,
            key=COMPARE,
            bind="query-params",
        )
    view = view_for(
        all_lines,
        end_of_data,
        st.session_state.get(LINES) or (),
        _as_range(chosen_range),
        cast(Granularity, st.session_state.get(GRANULARITY) or DEFAULT_GRANULARITY),
        cast(Comparison, st.session_state.get(COMPARE) or DEFAULT_COMPARISON),
        fiscal_year_start_month,
    )
    st.session_state[_VIEW_KEY] = view
    return view


def _follow_the_data(default_range: tuple[date, date]) -> None:
    """Move an untouched date range with the data: when new data arrives, the last 12 months are the new ones.

    A range the user chose stays as chosen; one still at the old default moves to the new default, as it would on a
    fresh visit.
    """
    previous = st.session_state.get(_RANGE_DEFAULT)
    chosen = st.session_state.get(RANGE)
    if previous is not None and previous != default_range and chosen is not None and tuple(chosen) == previous:
        st.session_state[RANGE] = default_range
    st.session_state[_RANGE_DEFAULT] = default_range


def _as_range(value: object) -> tuple[date, date] | None:
    """A (start, end) pair from the date input; while only a start is picked, the range ends with it."""
    if isinstance(value, tuple | list) and len(value) == 2 and all(isinstance(day, date) for day in value):
        return value[0], value[1]
    if isinstance(value, tuple | list) and len(value) == 1 and isinstance(value[0], date):
        return value[0], value[0]
    return None


def current_view() -> View:
    """The view chosen in the sidebar on this run (app.py draws the filters before the page runs)."""
    view = st.session_state.get(_VIEW_KEY)
    if not isinstance(view, View):
        st.error("The filters are missing: open the dashboard from its home page.")
        st.stop()
    return view
