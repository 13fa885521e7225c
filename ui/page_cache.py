"""Per data version, the frames the pages read in place of the raw datasets: made once, shared by every session."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from datetime import date
from typing import Any, Literal, TypeVar, cast

import polars as pl
import streamlit as st

from insights.customer_views import customer_pulse_by_period, pulse_of_line
from insights.customers import (
    DAILY_COUNTS,
    daily_feedback_counts,
    theme_mention_order,
    theme_ranking,
    theme_ranking_between,
)
from insights.metrics import MONTHLY_METRICS, monthly_metrics, prepare_metrics
from insights.periods import Granularity, metric_grains
from insights.process import AdoptionHistory, KeptCounts, adoption_counts_by_line, adoption_history, whole_periods
from insights.process_views import pulse_counts_by_line
from insights.scope import View, every_line, of_selected_lines, rows_in_scope
from sources.contracts import CONTRACTS
from sources.files import DataBundle, date_span, in_date_order
from ui.data import derived_cache
from ui.runtime import warm_in_background

Result = TypeVar("Result")


@st.cache_resource(max_entries=4, ttl=3600, show_spinner=False)
def _prepared_metrics(data_version: str, _metrics: pl.DataFrame, _catalog: pl.DataFrame) -> pl.DataFrame:
    # data_version keys the cache: the frames are the same whenever it is (a scoped user's bundle has its own key).
    # The bundle's rows come sorted by date (sources.files.in_date_order), and the prepared rows are those same rows
    # with three more columns, sharing their memory (10M rows: 420 MB once, not twice); only the grains take a pass
    # over every row, so they are kept on disk for a new process.
    grains = derived_cache().frames(
        "metric-grains", data_version, lambda: {"grains": metric_grains(_metrics)}, ("grains",)
    )
    prepared = prepare_metrics(_metrics, _catalog, grains["grains"])
    # Sorted by date, so that a period or a range is a binary-searched slice (insights.scope.rows_between).
    return in_date_order(prepared)


def prepared_metrics(data: DataBundle) -> pl.DataFrame:
    """The metrics with their catalog aggregation, unit and grain (``prepare_metrics``), once per data version."""
    return _prepared_metrics(data.key, data.frame("metrics"), data.frame("metric_catalog"))


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def _rows_of_metric(kind: str, data_version: str, metric: str, _rows: pl.DataFrame) -> pl.DataFrame:
    # kind ("daily", "monthly"), data_version and metric are the key; a filter keeps the rows in date order
    return in_date_order(_rows.filter(pl.col("metric") == metric))


def prepared_metric_rows(data: DataBundle, metric: str) -> pl.DataFrame:
    """The prepared rows of one metric (a page about one metric filters ten million rows once, not per number)."""
    return _rows_of_metric("daily", data.key, metric, prepared_metrics(data))


@st.cache_resource(max_entries=4, ttl=3600, show_spinner=False)
def _monthly_metrics(data_version: str, _prepared: pl.DataFrame, _catalog: pl.DataFrame) -> pl.DataFrame:
    # One pass over every prepared row (about 1 s at 10M rows): once per data version, then kept on disk.
    monthly = derived_cache().frames(
        "metrics-monthly", data_version, lambda: {"monthly": monthly_metrics(_prepared, _catalog)}, ("monthly",)
    )["monthly"]
    return in_date_order(monthly)


def monthly_metric_rows(data: DataBundle) -> pl.DataFrame:
    """The prepared metrics rolled up per series and month (``monthly_metrics``), once per data version."""
    return _monthly_metrics(data.key, prepared_metrics(data), data.frame("metric_catalog"))


def monthly_metric_rows_of(data: DataBundle, metric: str) -> pl.DataFrame:
    """The monthly rows (``monthly_metric_rows``) of one metric."""
    return _rows_of_metric("monthly", data.key, metric, monthly_metric_rows(data))


@st.cache_resource(max_entries=8, ttl=3600, show_spinner=False)
def _pulse_by_period(
    data_version: str,
    granularity: Granularity,
    fiscal_year_start_month: int,
    min_responses: int,
    by_line: bool,
    _feedback: pl.DataFrame,
) -> pl.DataFrame:
    # One pass over every feedback row per granularity (~0.2 s at 1M rows), kept on disk beside the derived frames.
    by = ("product_line",) if by_line else ()

    def derive() -> dict[str, pl.DataFrame]:
        pulse = customer_pulse_by_period(_feedback, granularity, fiscal_year_start_month, min_responses, by)
        return {"pulse": pulse}

    version = f"{data_version}|{fiscal_year_start_month}|{min_responses}"
    name = f"customer-pulse-{'by-line-' if by_line else ''}{granularity}"
    return derived_cache().frames(name, version, derive, ("pulse",))["pulse"]


def view_pulse(data: DataBundle, view: View, min_responses: int) -> pl.DataFrame | None:
    """``customer_pulse_by_period`` of the view's lines over all the data in its granularity, counted once per data
    version when every line or one line is chosen: a range's history of whole periods is a slice of it
    (``pulse_of_periods``). None for other choices: their pulse is not a sum of their lines' (accounts span lines).
    """
    lines = view.lines_filter
    if lines is not None and len(lines) != 1:
        return None
    pulse = _pulse_by_period(
        data.key,
        view.granularity,
        view.fiscal_year_start_month,
        min_responses,
        lines is not None,
        data.frame("feedback"),
    )
    return pulse if lines is None else pulse_of_line(pulse, lines[0])


def warm_line_pulse(data: DataBundle, view: View, min_responses: int) -> None:
    """Count every line's pulse per period (``view_pulse`` of one line) in the background, once per process and data
    version, while the page is read: the first reader of new data to choose a line does not wait for it (~0.2 s at 1M
    rows); later processes read it from disk."""
    granularity, fiscal = view.granularity, view.fiscal_year_start_month
    key = f"{data.key}|customer pulse by line|{granularity}|{fiscal}|{min_responses}"
    feedback = data.frame("feedback")
    warm_in_background(key, lambda: _pulse_by_period(data.key, granularity, fiscal, min_responses, True, feedback))


@st.cache_resource(max_entries=2, ttl=3600, show_spinner=False)
def _theme_mention_order(data_version: str, _feedback: pl.DataFrame) -> pl.DataFrame:
    # One sort of every feedback row (~0.4 s at 1M rows), kept on disk: two dates per row, 8 MB at 1M rows.
    def derive() -> dict[str, pl.DataFrame]:
        return {"order": theme_mention_order(_feedback)}

    return derived_cache().frames("theme-mention-order", data_version, derive, ("order",))["order"]


@st.cache_resource(max_entries=2, ttl=3600, show_spinner=False)
def _daily_feedback(data_version: str, _feedback: pl.DataFrame) -> dict[str, pl.DataFrame]:
    # One pass over every feedback row per table (~0.15 s at 1M rows), kept on disk; ~400k small rows in all.
    def derive() -> dict[str, pl.DataFrame]:
        return daily_feedback_counts(_feedback)

    kept = derived_cache().frames("feedback-daily-counts", data_version, derive, DAILY_COUNTS)
    return {name: in_date_order(frame) for name, frame in kept.items()}


def daily_feedback(data: DataBundle) -> Mapping[str, pl.DataFrame]:
    """The bundle's feedback counted per day and product line (``daily_feedback_counts``), once per data version: a
    range's NPS, volumes, sentiment and theme trend are sums of its days."""
    return _daily_feedback(data.key, data.frame("feedback"))


def theme_ranking_of_view(data: DataBundle, view: View, in_range: pl.DataFrame) -> pl.DataFrame:
    """``theme_ranking`` of the view's feedback (``in_range``, its cut): of every line, read with the rows' mention
    order kept once per data version (``theme_ranking_between``); of chosen lines, counted from their rows."""
    if view.lines_filter is not None:
        return theme_ranking(in_range)
    feedback = data.frame("feedback")
    return theme_ranking_between(feedback, _theme_mention_order(data.key, feedback), view.start, view.end)


def page_datasets(data: DataBundle) -> Mapping[str, pl.DataFrame]:
    """Every dataset of the bundle by name, the metrics prepared for roll-ups, and those rolled up per month
    (``MONTHLY_METRICS``): what the insights functions take."""
    datasets = {name: data.frame(name) for name in CONTRACTS}
    datasets["metrics"] = prepared_metrics(data)
    datasets[MONTHLY_METRICS] = monthly_metric_rows(data)
    return datasets


@st.cache_data(max_entries=256, ttl=3600, show_spinner=False)
def _view_result(name: str, data_version: str, view_key: str, arguments: tuple[object, ...], _compute: Any) -> Any:
    # name, data_version, view_key and arguments are the key; _compute is what they name, so it is not hashed.
    return _compute()


def view_cached(
    name: str, data_version: str, view: View, compute: Callable[[], Result], *arguments: Hashable
) -> Result:
    """``compute()`` once per name, data version, view and arguments: a rerun of an unchanged view reads it back.

    For small results (a copy is made on every read); ``name`` and ``arguments`` must say everything ``compute`` uses
    beyond the data and the view.
    """
    return cast(Result, _view_result(name, data_version, repr(view), tuple(arguments), compute))


def period_cached(
    name: str, data_version: str, view: View, compute: Callable[[], Result], *arguments: Hashable
) -> Result:
    """``view_cached`` for numbers about the view's selected period (and its comparison) alone: keyed by
    ``View.period_key``, so a range changed around the same periods (a longer history) reads them back."""
    return cast(Result, _view_result(name, data_version, view.period_key, tuple(arguments), compute))


def every_line_cached(
    name: str, data_version: str, view: View, compute: Callable[[View], Result], *arguments: Hashable
) -> Result:
    """``compute`` of the view with every line selected (``view_cached`` of ``every_line(view)``): numbers per line
    that a page cuts or sums for the chosen lines (``of_selected_lines``, ``nps_of_lines``, ...)."""
    every = every_line(view)
    return view_cached(name, data_version, every, lambda: compute(every), *arguments)


def every_line_cut(
    name: str, data_version: str, view: View, compute: Callable[[View], pl.DataFrame], *arguments: Hashable
) -> pl.DataFrame:
    """``compute`` of the view with every line selected (``period_cached``), cut to the view's lines: for numbers
    with one row per product line (or per team, with its line) that read that line's data alone, so that choosing
    lines cuts rows instead of computing them again."""
    every = every_line(view)
    return of_selected_lines(period_cached(name, data_version, every, lambda: compute(every), *arguments), view)


# Two entries: a view's cut of 1M feedback rows is tens of MB, and the server holds one per recent view.
@st.cache_resource(max_entries=2, ttl=3600, show_spinner=False)
def _rows_in_view(
    name: str,
    data_version: str,
    lines: tuple[str, ...] | None,
    start: date,
    end: date,
    columns: tuple[str, ...] | None,
    _frame: pl.DataFrame,
) -> pl.DataFrame:
    return _cut(_frame, lines, start, end, columns)


def _cut(
    frame: pl.DataFrame, lines: tuple[str, ...] | None, start: date, end: date, columns: tuple[str, ...] | None
) -> pl.DataFrame:
    # only the columns asked for are copied when some lines are cut out (a selection of columns copies nothing)
    return rows_in_scope(frame if columns is None else frame.select(columns), lines, start, end)


def rows_in_view(data: DataBundle, name: str, view: View) -> pl.DataFrame:
    """The rows of dataset ``name`` in the view's product lines and date range, cut once per data version and view
    (a large read-only frame: shared, not copied)."""
    return rows_of_lines(data, name, view.lines_filter, view.start, view.end)


def rows_of_lines(
    data: DataBundle,
    name: str,
    product_lines: tuple[str, ...] | None,
    start: date,
    end: date,
    columns: tuple[str, ...] | None = None,
    *,
    shared: bool = True,
) -> pl.DataFrame:
    """The rows of dataset ``name`` of ``product_lines`` (None = all) in [start, end], with only ``columns`` (None =
    all), cut once per data version, lines, days and columns (shared, not copied).

    Not ``shared``: cut for the caller alone, never kept — for background work on views no reader looks at yet, whose
    cuts would push the readers' out of the server's two (``_rows_in_view``).
    """
    if not shared:
        return _cut(data.frame(name), product_lines, start, end, columns)
    return _rows_in_view(name, data.key, product_lines, start, end, columns, data.frame(name))


PerPeriod = Literal["adoption", "pulse"]
# Every line's counts per period of a range: adoption per practice, and the pulse (pooled adoption, adherence, ...).
COUNTS_BY_LINE = {"adoption": adoption_counts_by_line, "pulse": pulse_counts_by_line}


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def _kept_counts(
    kind: PerPeriod, data_version: str, granularity: Granularity, fiscal_year_start_month: int, _data: DataBundle
) -> KeptCounts | None:
    # data_version keys the cache (the bundle is the one it names). A second or so at 1M rows for weeks, ~0.1 s for
    # quarters, once per data version: then read back from disk.
    first, latest = date_span(_data.frame("adoption"))
    if first is None or latest is None:
        return None
    periods = whole_periods(first, latest, granularity, fiscal_year_start_month)
    span_start, span_end = periods.item(0, "first_day"), periods.item(periods.height - 1, "last_day")

    def derive() -> dict[str, pl.DataFrame]:
        counts = COUNTS_BY_LINE[kind](
            prepared_adoption(_data),
            _data.frame("teams"),
            _data.frame("practices"),
            granularity,
            fiscal_year_start_month,
            span_start,
            span_end,
        )
        return {"counts": counts}

    kept = derived_cache().frames(
        f"process-{kind}-{granularity}", f"{data_version}|{fiscal_year_start_month}", derive, ("counts",)
    )
    return KeptCounts(periods, kept["counts"])


def kept_counts(
    data: DataBundle, kind: PerPeriod, granularity: Granularity, fiscal_year_start_month: int
) -> KeptCounts | None:
    """Every line's counts (``COUNTS_BY_LINE[kind]``) of every whole period over the adoption rows' span, counted once
    per data version and kept on disk; None without adoption rows. A range reads its whole periods from them."""
    return _kept_counts(kind, data.key, granularity, fiscal_year_start_month, data)


@st.cache_resource(max_entries=4, ttl=3600, show_spinner=False)
def _prepared_adoption(data_version: str, _adoption: pl.DataFrame) -> AdoptionHistory:
    # data_version keys the cache, as for the metrics: the adoption rows are the same whenever it is.
    parts = ("occurrences", "pairs", "done")

    def derive() -> dict[str, pl.DataFrame]:
        history = adoption_history(_adoption)
        return {part: getattr(history, part) for part in parts}

    return AdoptionHistory(**derived_cache().frames("adoption-history", data_version, derive, parts))


def prepared_adoption(data: DataBundle) -> AdoptionHistory:
    """The adoption rows with their gaps and done counts (``adoption_history``), once per data version (shared)."""
    return _prepared_adoption(data.key, data.frame("adoption"))
