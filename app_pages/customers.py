"""Customer & Market Insights: NPS, feedback volume and sentiment, themes, and the verbatims behind them."""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from insights.customer_views import (
    customer_pulse,
    customer_pulse_by_period,
    pulse_of_periods,
    ranked_themes,
    shares_of_sentiment,
)
from insights.customers import (
    matching_feedback,
    newest_first,
    nps,
    nps_by_period_of_days,
    nps_change,
    nps_of_lines,
    scope_feedback,
    sentiment_mix_of_days,
    theme_trend_of_days,
    verbatims,
    volume_of_days,
    volume_of_lines,
)
from insights.formatting import NumberFormat, comma_list, format_count, format_value
from insights.periods import complete_periods, partial_periods
from insights.scope import View, of_selected_lines
from sources.files import DataBundle
from sources.settings import Settings
from ui.charts import chart, line_colors
from ui.components import (
    Kpi,
    day_text,
    download_csv_on_click,
    empty_state,
    kpi_row,
    number_format,
    open_page,
    partial_periods_note,
    sparkline,
)
from ui.customers_figures import (
    mix_figure,
    nps_mix_figure,
    nps_trend_figure,
    sentiment_by_line_figure,
    theme_bars_figure,
    theme_trend_figure,
)
from ui.page_cache import (
    daily_feedback,
    every_line_cached,
    rows_in_view,
    theme_ranking_of_view,
    view_cached,
    view_pulse,
    warm_line_pulse,
)

SOURCES = ("feedback",)
RANKED_THEMES = 10
# A table is sent whole to the browser: the newest rows are read, the download has every match.
VERBATIMS_SHOWN = 300  # 500 rows of verbatims made the first load of the page 150 KB
TREND_THEMES = 5
MIX_CATEGORIES = ("channel", "category")
# The words first after date and line: reading them is what the table is for.
VERBATIM_COLUMNS = (
    "date",
    "product_line",
    "text",
    "theme",
    "sentiment",
    "nps_score",
    "channel",
    "account",
    "account_arr",
)


def _kpi_numbers(
    feedback: pl.DataFrame, in_range: pl.DataFrame, view: View, minimum: int, pulse: pl.DataFrame | None
) -> tuple[dict[str, Any], dict[str, Any], float | None, bool, pl.DataFrame]:
    """The KPI row's numbers: the period's and the comparison's pulse, the NPS change and its significance, history.

    ``in_range`` is the view's own cut of ``feedback`` (its lines and range), read when every period lies in the range;
    ``pulse``, when given, is the pulse per period of the view's lines over all the data (``view_pulse``), of which
    the history is a slice.
    """
    # render_kpis checks first
    assert view.period is not None
    assert view.comparison is not None
    window = complete_periods(
        view.start, view.end, view.data_end or view.end, view.granularity, view.fiscal_year_start_month
    )
    history_start = window[0].start if window else view.period.start
    # (with the pulse of every period, the history is a slice of it and only the period and comparison are cut)
    first_day = min(view.comparison.start, view.period.start, history_start if pulse is None else view.period.start)
    last_day = max(view.comparison.end, view.period.end)
    # One cut by product line of the days all of them span; the periods are slices of it (the rows are in date order).
    # A comparison inside the range (the previous period) needs no cut of its own: the view's is sliced.
    source = in_range if view.start <= first_day and last_day <= view.end else feedback
    lines_cut = scope_feedback(source, view.lines_filter, first_day, last_day)
    in_period = scope_feedback(lines_cut, None, view.period.start, view.period.end)
    in_comparison = scope_feedback(lines_cut, None, view.comparison.start, view.comparison.end)
    change = nps_change(nps(in_period, min_responses=minimum), nps(in_comparison, min_responses=minimum), on=())
    history = (
        customer_pulse_by_period(
            scope_feedback(lines_cut, None, history_start, view.period.end),
            view.granularity,
            view.fiscal_year_start_month,
            minimum,
        )
        if pulse is None
        else pulse_of_periods(pulse, history_start, view.period.start)
    )
    # The history's periods are whole, so the period's and the comparison's pulse are its rows when it has them.
    pulses = {row.pop("period_start"): row for row in history.iter_rows(named=True)}
    now = pulses.get(view.period.start) or customer_pulse(in_period, min_responses=minimum).row(0, named=True)
    before = pulses.get(view.comparison.start) or customer_pulse(in_comparison, min_responses=minimum).row(
        0, named=True
    )
    return now, before, change.get_column("delta").item(), bool(change.get_column("significant").item()), history


def render_kpis(
    feedback: pl.DataFrame,
    in_range: pl.DataFrame,
    view: View,
    current: Settings,
    formats: NumberFormat,
    data: DataBundle,
) -> None:
    """NPS, responses, volume, negative share and the ARR behind negative feedback: the period vs its comparison."""
    if view.period is None or view.comparison is None:
        empty_state(
            f"No complete {view.granularity} in the date range, so there is no period to report on: "
            "widen the range or pick a finer granularity."
        )
        return
    # The history of whole periods of every line, or of one line, is a slice of its pulse per period, counted once: a
    # new range or line reads it (other choices count their range: their pulse is not a sum of the lines' — accounts
    # span lines).
    now, before, nps_delta, significant, history = view_cached(
        "customer_kpis",
        data.key,
        view,
        lambda: _kpi_numbers(
            feedback,
            in_range,
            view,
            current.nps_min_responses,
            view_pulse(data, view, current.nps_min_responses),
        ),
        current.nps_min_responses,
    )
    minimum = current.nps_min_responses

    def delta_of(column: str, scale: float = 1.0) -> float | None:
        current_value, previous_value = now[column], before[column]
        if current_value is None or previous_value is None:
            return None
        return float(current_value - previous_value) * scale

    def history_of(column: str) -> list[float]:
        return sparkline(history.get_column(column).to_list())

    low = bool(now["low_confidence"])
    share = now["negative_share"]
    kpi_row(
        [
            Kpi(
                f"NPS · n={format_count(now['responses'], formats)}" + (" · low confidence" if low else ""),
                format_value(now["nps"], "score", formats),
                nps_delta,
                "score",
                higher_is_better=True,
                # Whether the change is beyond chance is in the help: the card is too narrow to say it.
                help=_nps_help(now, before, (view.period.label, view.comparison.label), significant, minimum),
                sparkline=history_of("nps"),
                icon=":material/warning:" if low else None,
            ),
            Kpi(
                "NPS responses",
                format_count(now["responses"], formats),
                delta_of("responses"),
                "count",
                higher_is_better=None,
                help=f"Feedback rows with a 0–10 score in {view.period.label}, any channel: {now['responses']:,} "
                f"({view.comparison.label}: {before['responses']:,}).",
                sparkline=history_of("responses"),
            ),
            Kpi(
                "Feedback volume",
                format_count(now["feedback"], formats),
                delta_of("feedback"),
                "count",
                higher_is_better=None,
                help=f"Pieces of feedback in {view.period.label}, every channel: {now['feedback']:,} "
                f"({view.comparison.label}: {before['feedback']:,}).",
                sparkline=history_of("feedback"),
            ),
            Kpi(
                "Negative share",
                format_value(share * 100 if share is not None else None, "percent", formats),
                delta_of("negative_share", scale=100),
                "percent",
                higher_is_better=False,
                help=f"{now['negative']:,} negative pieces of feedback in {view.period.label}, of those with a "
                "sentiment" + (f": {share:.2%}." if share is not None else "."),
                sparkline=history_of("negative_share"),
            ),
            Kpi(
                "ARR behind negatives",
                format_value(now["negative_arr"], "currency", formats),
                delta_of("negative_arr"),
                "currency",
                higher_is_better=False,
                help=f"{format_value(now['negative_arr'], 'currency', formats, compact=False)} across "
                f"{now['negative_accounts']:,} accounts with negative feedback in {view.period.label}, each counted "
                "once at the ARR on its latest feedback in the period.",
                sparkline=history_of("negative_arr"),
            ),
        ],
        f"vs {view.comparison.label}",
        formats,
    )


def _nps_help(
    now: dict[str, Any], before: dict[str, Any], labels: tuple[str, str], significant: bool, minimum: int
) -> str:
    """The exact NPS behind the card: the mix, the comparison, whether the change is more than noise."""
    period_label, comparison_label = labels
    exact = f"{now['nps']:.2f}" if now["nps"] is not None else "no score"
    previous = f"{before['nps']:.2f}" if before["nps"] is not None else "no score"
    noise = "beyond the 95 % noise band" if significant else "within the 95 % noise band: it may be chance"
    confidence = f"\n\nFewer than {minimum} responses: low confidence." if now["low_confidence"] else ""
    return (
        f"NPS {exact} in {period_label} from {now['responses']:,} scored responses: {now['promoters']:,} "
        f"promoters, {now['passives']:,} passives, {now['detractors']:,} detractors."
        f"\n\n{comparison_label}: {previous} (n={before['responses']:,}).\n\nThe change is {noise}.{confidence}"
    )


def render_nps(data: DataBundle, view: View, current: Settings) -> None:
    """NPS per product line over the range, and the promoter/passive/detractor split of the selected lines."""
    minimum, data_version = current.nps_min_responses, data.key
    # per line for every line once: the chosen lines' rows are cut from it, and their split is a sum of its counts
    every_line_nps = every_line_cached(
        "nps_by_line",
        data_version,
        view,
        lambda shown: nps_by_period_of_days(
            daily_feedback(data)["nps"],
            shown.scope,
            view.granularity,
            view.fiscal_year_start_month,
            min_responses=minimum,
        ),
        minimum,
    )
    by_line = of_selected_lines(every_line_nps, view)
    overall = view_cached(
        "nps_overall", data_version, view, lambda: nps_of_lines(every_line_nps, view.lines_filter, minimum), minimum
    )
    if by_line.height == 0:
        empty_state("No scored feedback (0–10) in the range for these product lines, so there is no NPS to show.")
        return
    trend_column, mix_column = st.columns([3, 2])
    with trend_column:
        chart(
            "nps_trend",
            data_version,
            view,
            lambda: nps_trend_figure(
                by_line,
                colors=line_colors(view.all_product_lines),
                granularity=view.granularity,
                fiscal_year_start_month=view.fiscal_year_start_month,
                min_responses=current.nps_min_responses,
            ),
            current.nps_min_responses,
        )
    with mix_column:
        chart(
            "nps_mix",
            data_version,
            view,
            lambda: nps_mix_figure(
                overall, granularity=view.granularity, fiscal_year_start_month=view.fiscal_year_start_month
            ),
        )


def _theme_numbers(
    data: DataBundle, feedback: pl.DataFrame, view: View
) -> tuple[pl.DataFrame, list[str], pl.DataFrame]:
    """Themes ranked, the top ones by volume, and their mentions per period (``feedback``: the view's cut)."""
    ranking = theme_ranking_of_view(data, view, feedback)
    top_themes = ranked_themes(ranking, "volume", TREND_THEMES).get_column("theme").to_list()
    trend = theme_trend_of_days(
        daily_feedback(data), view.scope, view.granularity, view.fiscal_year_start_month, themes=top_themes
    )
    return ranking, top_themes, trend


def render_themes(data: DataBundle, feedback: pl.DataFrame, view: View, formats: NumberFormat) -> None:
    """Themes ranked by volume and by the ARR behind them, then the top themes' mentions over time (``feedback``: the
    view's cut of the bundle's)."""
    data_version = data.key
    ranking, top_themes, trend = view_cached("themes", data_version, view, lambda: _theme_numbers(data, feedback, view))
    by_volume = ranked_themes(ranking, "volume", RANKED_THEMES)
    by_arr = ranked_themes(ranking, "arr", RANKED_THEMES)
    volume_column, arr_column = st.columns(2)
    with volume_column:
        top = by_volume.row(0, named=True)
        chart(
            "themes_by_volume",
            data_version,
            view,
            lambda: theme_bars_figure(
                by_volume,
                value="mentions",
                unit="count",
                title=f"Raised most: {top['theme']} ({format_count(top['mentions'], formats)} mentions)",
                value_title="Mentions in the range",
                number_format=formats,
            ),
            formats,
        )
    with arr_column:
        top = by_arr.row(0, named=True)
        chart(
            "themes_by_arr",
            data_version,
            view,
            lambda: theme_bars_figure(
                by_arr,
                value="arr",
                unit="currency",
                title=f"Most ARR behind it: {top['theme']} ({format_value(top['arr'], 'currency', formats)})",
                value_title=f"ARR of the accounts raising it ({formats.currency})",
                number_format=formats,
            ),
            formats,
        )
    st.caption(
        "Each account counts once per theme, at the ARR on its latest feedback in the range. "
        "Hover a bar for its mentions, accounts and negative share."
    )
    partial = partial_periods(
        view.start, view.end, view.data_end or view.end, view.granularity, view.fiscal_year_start_month
    )
    chart(
        "theme_trend",
        data_version,
        view,
        lambda: theme_trend_figure(
            trend,
            themes=top_themes,
            granularity=view.granularity,
            fiscal_year_start_month=view.fiscal_year_start_month,
            partial=partial,
        ),
        formats,
    )
    note = partial_periods_note(partial, "its mentions are not comparable")
    if note:
        st.caption(note)


def render_mix(data: DataBundle, view: View, formats: NumberFormat) -> None:
    """Where feedback comes from, what kind it is, and how each product line's sentiment splits."""
    data_version = data.key
    # per line for every line once: the chosen lines' volumes are sums of it, their sentiment rows a cut
    every_line_volumes, every_line_sentiment = every_line_cached(
        "feedback_mix_by_line",
        data_version,
        view,
        lambda shown: (
            {
                category: volume_of_days(daily_feedback(data), shown.scope, ("product_line", category))
                for category in MIX_CATEGORIES
            },
            shares_of_sentiment(
                sentiment_mix_of_days(daily_feedback(data), shown.scope, ("product_line",)), ("product_line",)
            ),
        ),
    )
    volumes = view_cached(
        "feedback_mix",
        data_version,
        view,
        lambda: {
            category: volume_of_lines(every_line_volumes[category], view.lines_filter, (category,))
            for category in MIX_CATEGORIES
        },
    )
    sentiment = of_selected_lines(every_line_sentiment, view)
    channel_column, category_column, sentiment_column = st.columns(3)
    # The title names the leader; a missing category (it is optional) reads as "untyped".
    titles = {"channel": "Where it comes from: {} leads", "category": "What kind: mostly {}"}
    for column, (category, title) in zip((channel_column, category_column), titles.items(), strict=True):
        volume = volumes[category]
        chart(
            f"{category}_mix",
            data_version,
            view,
            # called at once, inside this iteration: the loop variables are bound for it
            lambda volume=volume, category=category, title=title: mix_figure(  # type: ignore[misc]
                volume,
                category=category,
                title=title.format(volume.item(0, category) or "untyped"),
                number_format=formats,
            ),
            formats,
            where=column,
        )
    with sentiment_column:
        chart(
            "sentiment_by_line",
            data_version,
            view,
            lambda: sentiment_by_line_figure(sentiment, colors=line_colors(view.all_product_lines)),
            formats,
        )


def _newest_verbatims(feedback: pl.DataFrame, search: str) -> tuple[int, pl.DataFrame]:
    """How many rows match the search, and the newest of them to show."""
    matching = matching_feedback(feedback, search)
    return matching.height, newest_first(matching, VERBATIMS_SHOWN).select(VERBATIM_COLUMNS)


def render_verbatims(feedback: pl.DataFrame, view: View, current: Settings, data_version: str) -> None:
    """The feedback itself, newest first, searchable: the newest rows in a table, all of them in the download."""
    search = st.text_input(
        "Search the verbatims",
        key="verbatim_search",
        placeholder="a word in the text, a theme or an account, e.g. retries",
        icon=":material/search:",
    )
    matching, shown = view_cached(
        "verbatims",
        data_version,
        view,
        lambda: _newest_verbatims(feedback, search),
        search,
    )
    newest = f"the newest {shown.height:,} shown, " if matching > shown.height else ""
    st.caption(
        f"{matching:,} pieces of feedback"
        + (f" matching “{search.strip()}”" if search and search.strip() else "")
        + f", {day_text(view.start, current.locale)} – {day_text(view.end, current.locale)}, {newest}newest first."
        + (" The download has them all." if newest else "")
    )
    if shown.height == 0:
        empty_state("No feedback matches the search in this range: try another word.")
        return
    st.dataframe(
        shown,
        width="stretch",
        hide_index=True,
        key="verbatims",
        column_config={
            "date": st.column_config.DateColumn("Date", format="YYYY-MM-DD"),
            "product_line": st.column_config.TextColumn("Product line"),
            "channel": st.column_config.TextColumn("Channel"),
            "account": st.column_config.TextColumn("Account"),
            "account_arr": st.column_config.NumberColumn(f"Account ARR ({current.currency})", format="%,.0f"),
            "nps_score": st.column_config.NumberColumn("Score", format="%d", help="NPS score 0–10, when given."),
            "sentiment": st.column_config.TextColumn("Sentiment"),
            "theme": st.column_config.TextColumn("Theme"),
            "text": st.column_config.TextColumn("Feedback", width="large"),
        },
    )
    download_csv_on_click(
        lambda: verbatims(feedback, search).select(VERBATIM_COLUMNS),
        file_name="verbatims.csv",
        label=f"Download {'all ' if newest else ''}these rows (CSV)",
        key="verbatims_csv",
    )


def main() -> None:
    """Lay out the page for the current view."""
    current, data, view = open_page("Customer & Market Insights", SOURCES)
    formats = number_format(current)
    feedback = data.frame("feedback")
    if feedback.height == 0:
        empty_state(
            "There is no feedback to show: the feedback dataset is missing or was rejected (see the Data page)."
        )
        return
    in_range = rows_in_view(data, "feedback", view)
    if in_range.height == 0:
        # The selected period lies inside the range, so there are no KPIs either.
        lines = "" if view.all_selected else f" for {comma_list(view.product_lines)}"
        empty_state(
            f"No feedback{lines} between {day_text(view.start, current.locale)} and "
            f"{day_text(view.end, current.locale)}: widen the date range or choose other product lines."
        )
        return
    render_kpis(feedback, in_range, view, current, formats, data)
    st.subheader("NPS over time")
    render_nps(data, view, current)
    st.subheader("Themes")
    render_themes(data, in_range, view, formats)
    st.subheader("Channels, kinds and sentiment")
    render_mix(data, view, formats)
    st.subheader("Verbatims")
    render_verbatims(in_range, view, current, data.key)
    warm_line_pulse(data, view, current.nps_min_responses)  # for the first choice of one line


main()
