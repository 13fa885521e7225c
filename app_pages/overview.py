"""Overview: business and customer signals side by side, per product line, for the selected period."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import streamlit as st

from insights.customers import DAILY_NPS
from insights.formatting import comma_list, markdown_bullets, markdown_text
from insights.metrics import overview_metrics
from insights.overview import FEEDBACK_COLUMNS, card_text, company_kpis, feedback_days, revenue_metric_info
from insights.scope import View, every_line
from ui.charts import cached_figure, line_colors
from ui.components import download_csv, empty_state, kpi_card, number_format, open_page
from ui.overview_cache import (
    OverviewInputs,
    overview_numbers,
    overview_scorecard,
    overview_trends,
    prefetch_in_background,
    ranked_notable_changes,
)
from ui.overview_figures import currency_symbol, paired_trends_figure, scorecard_columns
from ui.page_cache import daily_feedback, kept_counts, page_datasets, prepared_adoption, rows_of_lines
from ui.runtime import warm_in_background

SOURCES = ["metrics", "metric_catalog", "targets", "feedback", "adoption"]
HEADLINES = 7
# Where each kind of notable change is explained (the pages registered in app.py).
EXPLAINED_ON = {
    "business": ("app_pages/business.py", "See Business Data & Insights", ":material/trending_up:"),
    "customers": ("app_pages/customers.py", "See Customer & Market Insights", ":material/forum:"),
    "process": ("app_pages/process.py", "See Process & Practices", ":material/checklist:"),
}


def show_change(sentence: str, page: str) -> None:
    """One notable change and the page that explains it."""
    target, label, icon = EXPLAINED_ON.get(page, EXPLAINED_ON["business"])
    # one horizontal container rather than columns: a rerun resends layout blocks, and columns are three of them
    with st.container(horizontal=True, vertical_alignment="center", wrap=False):
        st.markdown(markdown_text(sentence), width="stretch")
        st.page_link(target, label=label, icon=icon, width="content")


current, data, view = open_page("Overview", SOURCES)
formats = number_format(current)
symbol = currency_symbol(current.currency, current.locale)
catalog = data.frame("metric_catalog")

if view.period is None or view.comparison is None:
    empty_state(
        f"No complete {view.granularity} lies inside the date range, so there is nothing to compare yet. "
        f"Widen the date range or choose a finer granularity."
    )
    st.stop()
period, comparison = view.period, view.comparison


def inputs_of(shown: View, *, shared: bool = True) -> Callable[[], OverviewInputs]:
    """What the numbers of ``shown`` are computed from, made only when they are not kept (in memory or on disk);
    not ``shared``: its feedback cut not kept among the server's (for views made in the background)."""

    @functools.cache
    def inputs() -> OverviewInputs:
        # Every number reads the feedback of these lines and days: cut once per view, then sliced by date.
        days = feedback_days(shown)
        feedback = rows_of_lines(data, "feedback", shown.lines_filter, *days, FEEDBACK_COLUMNS, shared=shared)
        kept_pulse = kept_counts(data, "pulse", shown.granularity, shown.fiscal_year_start_month)
        # and every line's NPS responses per day, which the NPS numbers sum instead of counting the rows
        datasets = {**page_datasets(data), "feedback": feedback, DAILY_NPS: daily_feedback(data)["nps"]}
        kpis = functools.cache(lambda: company_kpis(datasets, shown))  # the cards' and the notable changes'
        return OverviewInputs(datasets, prepared_adoption(data), kept_pulse, kpis)

    return inputs


view_inputs = inputs_of(view)
# the scorecard and the trends are cut from those of every line (the view itself when every line is selected)
every_line_inputs = view_inputs if view.lines_filter is None else inputs_of(every_line(view))
numbers = overview_numbers(data.key, repr(view), current.nps_min_responses, view, view_inputs)

# KPI cards -------------------------------------------------------------------------------------------------------
cards = numbers.cards
card_ids, fell_back = overview_metrics(catalog)
# Up to four cards fit a row with their target and comparison legible; more go on two rows.
per_row = cards.height if cards.height <= 4 else math.ceil(cards.height / 2)
slots = [column for _ in range(math.ceil(cards.height / max(per_row, 1))) for column in st.columns(per_row)]
for slot, card in zip(slots, cards.iter_rows(named=True), strict=False):
    text = card_text(card, period.label, comparison.label, formats, current.nps_min_responses)
    with slot:
        kpi_card(
            card["label"],
            text.value,
            delta_text=text.delta,
            delta=card["delta"],
            improved=card["improved"],
            description=text.description,
            help=text.help,
            sparkline=card["sparkline"],
        )
notes = []
if fell_back and card_ids:
    notes.append(
        "The metric catalog marks no metric for the Overview (its `overview` column): showing its first metrics."
    )
coarser = numbers.coarser
if coarser:
    notes.append(f"{comma_list(coarser)}: recorded monthly, so shown for the month each week starts in.")
st.caption(
    comma_list(
        [
            f"{period.label} against {comparison.label}; sparklines: each complete {view.granularity} of the range.",
            *notes,
        ],
        separator=" ",
    )
)

# Scorecard -------------------------------------------------------------------------------------------------------
st.subheader(f"Where each product line stands in {period.label}")
scorecard = overview_scorecard(data.key, view, current.nps_min_responses, every_line_inputs)
order, config = scorecard_columns(cards, symbol, current.nps_min_responses, comparison.label)
st.dataframe(scorecard, width="stretch", hide_index=True, column_order=order, column_config=config)
download_csv(
    scorecard,
    file_name=f"pillars-overview-scorecard-{period.label.replace(' ', '-').lower()}.csv",
    label="Download the scorecard (CSV)",
    key="overview_scorecard_csv",
)

# Paired trends ---------------------------------------------------------------------------------------------------
revenue = revenue_metric_info(catalog)
trends = overview_trends(data.key, view, current.nps_min_responses, every_line_inputs)
if revenue is None or trends.height == 0:
    empty_state("No revenue metric or no periods in the range: the paired trends need both.")
else:
    _, revenue_label, revenue_unit = revenue
    st.plotly_chart(
        cached_figure(
            "overview_paired_trends",
            data.key,
            view,
            lambda: paired_trends_figure(
                trends,
                line_colors(view.all_product_lines),
                revenue_label=revenue_label,
                revenue_unit=revenue_unit,
                symbol=symbol,
                title=f"Does customer sentiment follow revenue? {revenue_label} (bars) and NPS (line) per product line",
            ),
            symbol,
        ),
        width="stretch",
        key="overview_paired_trends",
    )
    st.caption(
        f"Each {view.granularity} of the range, first and last possibly partial. {revenue_label} scales differ per "
        f"line; the NPS scale is shared. Hollow points: fewer than {current.nps_min_responses} responses."
    )

# Notable changes -------------------------------------------------------------------------------------------------
st.subheader("Notable changes")
ranked = ranked_notable_changes(
    data.key,
    view.period_key,
    current.nps_min_responses,
    current.currency,
    current.locale,
    HEADLINES,
    view,
    view_inputs,
    every_line_inputs,
)
if ranked.height == 0:
    st.markdown(f"Nothing notable in {period.label}.")
for change in ranked.head(HEADLINES).iter_rows(named=True):
    show_change(change["sentence"], change["page"])
if ranked.height > HEADLINES:
    # The rest as one list and one link per page that explains them: dozens of rows of their own (with 20 product
    # lines) made every rerun resend their layout.
    more = ranked.slice(HEADLINES)
    with st.expander(f"{more.height} more changes"):
        st.markdown(markdown_bullets(markdown_text(sentence) for sentence in more.get_column("sentence").to_list()))
        with st.container(horizontal=True):
            for page in dict.fromkeys(more.get_column("page").to_list()):
                target, label, icon = EXPLAINED_ON.get(page, EXPLAINED_ON["business"])
                st.page_link(target, label=label, icon=icon, width="content")

# Read back from disk, the numbers above may have needed none of the prepared frames; the next filter change will:
# they are made while the page is read (once per data version and process).
warm_in_background(data.key, lambda: (view_inputs(), every_line_inputs()))
# and in pauses between runs, the scorecard and notable changes of the periods before: what a range moved back needs
prefetch_in_background(
    data.key,
    view,
    current.nps_min_responses,
    current.currency,
    current.locale,
    HEADLINES,
    functools.partial(inputs_of, shared=False),
)
