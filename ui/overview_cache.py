"""The Overview's numbers for one view: computed once, kept in memory and on disk, keyed by the data version and the
view (never by frames).

Leadership opens the Overview first, often on a server that just started: the numbers of a view already computed
(by the first run after new data, or by anyone before a restart) are read back from small Parquet copies instead of
computed again, so a new process needs neither the prepared metrics nor the adoption history for them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import polars as pl
import streamlit as st

from insights.formatting import NumberFormat
from insights.metrics import overview_metrics
from insights.notable import NOTABLE_SCHEMA, NotableContext, notable_changes, notable_changes_of_lines
from insights.overview import (
    coarser_metric_labels,
    headline_changes,
    overview_cards,
    paired_trends,
    product_line_scorecard,
)
from insights.process import AdoptionHistory, KeptCounts
from insights.scope import View, every_line, of_selected_lines, recent_period_views
from sources.columnar import DerivedCache
from ui.data import view_copies
from ui.runtime import wait_until_quiet, warm_in_background

_NUMBER_PARTS = ("cards", "coarser")


@dataclass(frozen=True)
class OverviewNumbers:
    """The KPI cards of a view (their sparklines span its range) and the metrics they show at a coarser grain.

    The scorecard, the paired trends and the notable changes are cached apart: the first two hold one row (or panel)
    per product line whatever else is selected, so they are computed for every line and cut to the selection; the
    notable changes are about the selected period only."""

    cards: pl.DataFrame
    coarser: list[str]


@dataclass(frozen=True)
class OverviewInputs:
    """What the Overview's numbers are computed from: the page's datasets (the feedback cut to the view) and the
    prepared adoption history."""

    datasets: Mapping[str, pl.DataFrame]
    history: AdoptionHistory | None = None
    kept_pulse: KeptCounts | None = None  # the pulse counts of whole periods in the view's granularity (kept_counts)
    # the view's company_kpis, made once when first asked for: the cards and the notable changes share them
    company_kpis: Callable[[], pl.DataFrame] | None = None

    def kpis_of(self, view: View) -> pl.DataFrame | None:
        """``company_kpis`` of ``view`` (the view these inputs are for) when they are given and it has a period."""
        if self.company_kpis is None or view.period is None or view.comparison is None:
            return None
        return self.company_kpis()


def compute_overview_numbers(inputs: OverviewInputs, view: View, nps_min_responses: int) -> OverviewNumbers:
    """The KPI cards and the labels of metrics shown at a coarser grain of a view."""
    datasets, history = inputs.datasets, inputs.history
    card_ids, _ = overview_metrics(datasets["metric_catalog"])
    return OverviewNumbers(
        cards=overview_cards(datasets, view, nps_min_responses, history, inputs.kept_pulse, inputs.kpis_of(view)),
        coarser=coarser_metric_labels(datasets, card_ids, view),
    )


def compute_trends(inputs: OverviewInputs, view: View, nps_min_responses: int) -> pl.DataFrame:
    """The paired trends of a view (``paired_trends``): one panel's rows per product line, whatever else is selected."""
    return paired_trends(inputs.datasets, view, nps_min_responses)


def compute_scorecard(inputs: OverviewInputs, view: View, nps_min_responses: int) -> pl.DataFrame:
    """The scorecard of a view (``product_line_scorecard``): the same for every range around its periods."""
    return product_line_scorecard(inputs.datasets, view, nps_min_responses, inputs.history, inputs.kept_pulse)


def notable_context(view: View, nps_min_responses: int, number_format: NumberFormat) -> NotableContext | None:
    """What the notable changes of a view are computed for; None without a selected period."""
    if view.period is None or view.comparison is None:
        return None
    return NotableContext(
        period=view.period,
        comparison=view.comparison,
        product_lines=view.lines_filter,
        all_product_lines=view.all_product_lines,
        fiscal_year_start_month=view.fiscal_year_start_month,
        nps_min_responses=nps_min_responses,
        number_format=number_format,
    )


def compute_notable_changes(
    inputs: OverviewInputs, view: View, nps_min_responses: int, number_format: NumberFormat
) -> pl.DataFrame:
    """Every notable change of a view, most important first (``notable_changes``); empty without a period."""
    context = notable_context(view, nps_min_responses, number_format)
    if context is None:
        return pl.DataFrame(schema=NOTABLE_SCHEMA)
    return notable_changes(inputs.datasets, context, history=inputs.history, company_kpis=inputs.kpis_of(view))


def compute_ranked_notable_changes(
    inputs: OverviewInputs,
    view: View,
    nps_min_responses: int,
    number_format: NumberFormat,
    limit: int,
    every_line_changes: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Notable changes of the view, the ``limit`` headlines first (``headline_changes``); empty without a period.

    The same for every range around the view's periods. With ``every_line_changes`` (``compute_notable_changes`` of
    ``every_line(view)``) the changes about one line are taken from those (``notable_changes_of_lines``).
    """
    context = notable_context(view, nps_min_responses, number_format)
    if context is None:
        return headline_changes(pl.DataFrame(schema=NOTABLE_SCHEMA))
    if every_line_changes is None:
        changes = notable_changes(inputs.datasets, context, history=inputs.history, company_kpis=inputs.kpis_of(view))
    elif view.lines_filter is None:
        changes = every_line_changes  # the view's own
    else:
        changes = notable_changes_of_lines(
            every_line_changes, inputs.datasets, context, history=inputs.history, company_kpis=inputs.kpis_of(view)
        )
    return headline_changes(changes, limit=limit)


def numbers_as_frames(numbers: OverviewNumbers) -> dict[str, pl.DataFrame]:
    """The numbers as frames, one per part, to keep as Parquet (``numbers_from_frames`` reads them back)."""
    return {
        "cards": numbers.cards,
        "coarser": pl.DataFrame({"label": numbers.coarser}, schema={"label": pl.String}),
    }


def numbers_from_frames(frames: Mapping[str, pl.DataFrame]) -> OverviewNumbers:
    """The numbers ``numbers_as_frames`` wrote."""
    return OverviewNumbers(
        cards=frames["cards"],
        coarser=[str(label) for label in frames["coarser"].get_column("label").to_list()],
    )


def kept_key(*parts: object) -> str:
    """The key a view's numbers are kept under on disk: its parts, as text, one after the other."""
    return "|".join(str(part) for part in parts)


def kept_numbers(copies: DerivedCache, key: str, compute: Callable[[], OverviewNumbers]) -> OverviewNumbers:
    """The numbers ``key`` names: read back from ``copies`` when kept, else computed and kept."""
    return numbers_from_frames(
        copies.frames("overview-numbers", key, lambda: numbers_as_frames(compute()), _NUMBER_PARTS)
    )


def kept_frame(copies: DerivedCache, kind: str, key: str, compute: Callable[[], pl.DataFrame]) -> pl.DataFrame:
    """The frame of ``kind`` (scorecard, notable changes) ``key`` names: read back from ``copies`` when kept, else
    computed and kept."""
    return copies.frames(f"overview-{kind}", key, lambda: {kind: compute()}, (kind,))[kind]


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def overview_numbers(
    data_version: str,
    view_key: str,
    nps_min_responses: int,
    _view: View,
    _inputs: Callable[[], OverviewInputs],
) -> OverviewNumbers:
    """The Overview's numbers of the view (``compute_overview_numbers``) from ``_inputs()``, called only when neither
    this process nor a copy on disk has them.

    A rerun with the same data and view (a click elsewhere on the page) reads them back instead of computing again.
    """
    # data_version, view_key and nps_min_responses are the key: the inputs and the view are the same whenever they are.
    key = kept_key(data_version, view_key, nps_min_responses)
    return kept_numbers(view_copies(), key, lambda: compute_overview_numbers(_inputs(), _view, nps_min_responses))


PerLine = Literal["scorecard", "trends"]


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def _of_every_line(
    kind: PerLine,
    data_version: str,
    view_key: str,
    nps_min_responses: int,
    _view: View,
    _inputs: Callable[[], OverviewInputs],
) -> pl.DataFrame:
    # kind, data_version, view_key and nps_min_responses are the key; _view is the every-line view view_key names.
    key = kept_key(data_version, view_key, nps_min_responses)
    compute = compute_scorecard if kind == "scorecard" else compute_trends
    return kept_frame(view_copies(), kind, key, lambda: compute(_inputs(), _view, nps_min_responses))


def overview_scorecard(
    data_version: str, view: View, nps_min_responses: int, every_line_inputs: Callable[[], OverviewInputs]
) -> pl.DataFrame:
    """The scorecard of the view: the rows of its lines in the scorecard of every line (``compute_scorecard`` of
    ``every_line(view)``, from ``every_line_inputs()`` when neither this process nor a copy on disk has it).

    A line's row reads that line's data alone, so choosing other lines only cuts it; and it is keyed by
    ``View.period_key``, so a range changed around the same periods reads it back too.
    """
    every = every_line(view)
    scorecard = _of_every_line("scorecard", data_version, every.period_key, nps_min_responses, every, every_line_inputs)
    return of_selected_lines(scorecard, view)


def overview_trends(
    data_version: str, view: View, nps_min_responses: int, every_line_inputs: Callable[[], OverviewInputs]
) -> pl.DataFrame:
    """The paired trends of the view: the rows of its lines in those of every line over its range (as the scorecard)."""
    every = every_line(view)
    trends = _of_every_line("trends", data_version, repr(every), nps_min_responses, every, every_line_inputs)
    return of_selected_lines(trends, view)


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def _every_line_notable_changes(
    data_version: str,
    period_key: str,
    nps_min_responses: int,
    currency: str,
    locale: str,
    _view: View,
    _inputs: Callable[[], OverviewInputs],
) -> pl.DataFrame:
    # data_version, period_key, nps_min_responses, currency and locale are the key; _view is the every-line view.
    key = kept_key(data_version, period_key, nps_min_responses, currency, locale)
    number_format = NumberFormat(currency, locale)
    return kept_frame(
        view_copies(),
        "notable-every-line",
        key,
        lambda: compute_notable_changes(_inputs(), _view, nps_min_responses, number_format),
    )


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def ranked_notable_changes(
    data_version: str,
    period_key: str,
    nps_min_responses: int,
    currency: str,
    locale: str,
    limit: int,
    _view: View,
    _inputs: Callable[[], OverviewInputs],
    _every_line_inputs: Callable[[], OverviewInputs] | None = None,
) -> pl.DataFrame:
    """Notable changes of the view (``compute_ranked_notable_changes``, about 0.1 s), from ``_inputs()`` when neither
    this process nor a copy on disk has them. Keyed by ``View.period_key``, as the scorecard.

    With some lines chosen, the changes about one line come from those of every line (computed once, from
    ``_every_line_inputs()``); only the changes that depend on the choice are computed for it.
    """
    key = kept_key(data_version, period_key, nps_min_responses, currency, locale, limit)
    number_format = NumberFormat(currency, locale)

    def compute() -> pl.DataFrame:
        every = every_line(_view)
        every_line_changes = _every_line_notable_changes(
            data_version, every.period_key, nps_min_responses, currency, locale, every, _every_line_inputs or _inputs
        )
        if _view.lines_filter is None:
            return headline_changes(every_line_changes, limit=limit)
        return compute_ranked_notable_changes(
            _inputs(), _view, nps_min_responses, number_format, limit, every_line_changes
        )

    return kept_frame(view_copies(), "notable", key, compute)


# Periods before the latest whose numbers are made ahead: two years of quarters, eight months, weeks or years.
RECENT_PERIODS = 8


def missing_period_views(
    data_version: str, views: list[View], nps_min_responses: int, currency: str, locale: str, limit: int
) -> list[View]:
    """The every-line views of ``views`` whose scorecard or notable changes no copy on disk holds."""
    copies = view_copies()

    def kept(shown: View) -> bool:
        parts = (data_version, shown.period_key, nps_min_responses)
        return (
            copies.has("overview-scorecard", kept_key(*parts))
            and copies.has("overview-notable-every-line", kept_key(*parts, currency, locale))
            and copies.has("overview-notable", kept_key(*parts, currency, locale, limit))
        )

    return [shown for shown in views if not kept(shown)]


def prefetch_recent_periods(
    data_version: str,
    view: View,
    nps_min_responses: int,
    currency: str,
    locale: str,
    limit: int,
    inputs_of: Callable[[View], Callable[[], OverviewInputs]],
) -> int:
    """Compute and keep (in memory and on disk) the scorecard and notable changes of every line for the data's latest
    period of ``view``'s granularity and the ``RECENT_PERIODS`` before it (``recent_period_views``), those not kept
    yet, one period at a time in pauses between runs (``wait_until_quiet``); the number of periods computed.

    These are what a new date range needs beyond its cards and trends (~0.1 s a period at 1M metric rows), and any
    range around one of these periods reads them back: a reader who moves the range a year back sees it without
    waiting for them. Once per data version, granularity and comparison: a restarted server finds them on disk.
    """
    views = recent_period_views(view, RECENT_PERIODS)
    missing = missing_period_views(data_version, views, nps_min_responses, currency, locale, limit)
    for shown in missing:
        wait_until_quiet(limit=30.0)  # a busy server gets them later, never not at all
        inputs = inputs_of(shown)
        overview_scorecard(data_version, shown, nps_min_responses, inputs)
        ranked_notable_changes(
            data_version, shown.period_key, nps_min_responses, currency, locale, limit, shown, inputs, inputs
        )
    return len(missing)


def prefetch_in_background(
    data_version: str,
    view: View,
    nps_min_responses: int,
    currency: str,
    locale: str,
    limit: int,
    inputs_of: Callable[[View], Callable[[], OverviewInputs]],
) -> None:
    """``prefetch_recent_periods`` in a thread of its own, once per process, data version and what the numbers depend
    on besides the period (granularity, comparison, fiscal year, settings)."""
    key = kept_key(
        data_version,
        "recent periods",
        view.granularity,
        view.comparison_mode,
        view.fiscal_year_start_month,
        nps_min_responses,
        currency,
        locale,
        limit,
    )
    warm_in_background(
        key,
        lambda: prefetch_recent_periods(data_version, view, nps_min_responses, currency, locale, limit, inputs_of),
    )
