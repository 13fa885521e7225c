"""Process & Practices: which teams run which practices, how regularly, and whose cadences have lapsed."""

from __future__ import annotations

from typing import Any

import streamlit as st

from insights.formatting import NumberFormat, comma_list, format_count, format_value
from insights.periods import Period, complete_periods, partial_periods
from insights.process import (
    adoption_matrix,
    cadence_adherence,
    lapsed_teams,
    pooled_adherence,
    teams_in_scope,
)
from insights.process_views import practice_markers, practices_slower_than, process_by_line_of_pulse, process_pulse
from insights.scope import View, every_line, of_selected_lines
from sources.files import DataBundle
from sources.settings import Settings
from ui.charts import cached_figure, line_colors
from ui.components import (
    Kpi,
    day_text,
    download_csv,
    empty_state,
    kpi_row,
    number_format,
    open_page,
    partial_periods_note,
    sparkline,
)
from ui.page_cache import every_line_cut, period_cached, prepared_adoption
from ui.process_figures import (
    adherence_figure,
    adoption_matrix_figure,
    adoption_trend_figure,
    cached_by_period,
    counts_by_line,
    markers_caption,
)

SOURCES = ("adoption", "practices", "teams", "events")
REQUIRED = ("adoption", "practices", "teams")
# For the words only: lapsed_teams' default grace, which the KPI, the table and the roll-up all use.
LAPSE_GRACE = 1.5


def _share(value: float | None, formats: NumberFormat) -> str:
    return format_value(value * 100 if value is not None else None, "percent", formats)


def _points(now: float | None, before: float | None) -> float | None:
    return (now - before) * 100 if now is not None and before is not None else None


def render_kpis(data: DataBundle, view: View, period: Period, comparison: Period, current: Settings) -> dict[str, Any]:
    """Pooled adoption, cadence adherence, teams in scope and lapsed cadences: the period vs its comparison.

    Returns the period's pulse, for the matrix title.
    """
    formats = number_format(current)
    frames = (data.frame("adoption"), data.frame("teams"), data.frame("practices"))
    lines = view.lines_filter
    prepared = prepared_adoption(data)
    window = complete_periods(
        view.start, view.end, view.data_end or view.end, view.granularity, view.fiscal_year_start_month
    )
    history = cached_by_period(
        "pulse",
        data.key,
        lines,
        view.granularity,
        view.fiscal_year_start_month,
        window[0].start if window else period.start,
        period.end,
    )
    # The history's periods are whole: the period's and the comparison's pulse are its rows when it has them.
    pulses = {row.pop("period_start"): row for row in history.iter_rows(named=True)}

    def pulse_of(shown: Period) -> dict[str, Any]:
        kept = pulses.get(shown.start)
        if kept is not None:
            return kept
        return process_pulse(*frames, shown.start, shown.end, lines, history=prepared).row(0, named=True)

    now, before = period_cached("process_pulse", data.key, view, lambda: (pulse_of(period), pulse_of(comparison)))

    def history_of(column: str) -> list[float]:
        return sparkline(history.get_column(column).to_list())

    kpi_row(
        [
            Kpi(
                "Adoption",
                _share(now["adoption_rate"], formats),
                _points(now["adoption_rate"], before["adoption_rate"]),
                "percent",
                higher_is_better=True,
                help=_adoption_help(now, before, period, comparison),
                sparkline=history_of("adoption_rate"),
            ),
            Kpi(
                "Cadence adherence",
                _share(now["adherence"], formats),
                _points(now["adherence"], before["adherence"]),
                "percent",
                higher_is_better=True,
                help=f"{now['on_time']:,} of {now['intervals']:,} occurrences in {period.label} came within their "
                f"practice's cadence of the team's previous one"
                + (f" ({now['adherence']:.2%})." if now["adherence"] is not None else ".")
                + f" {comparison.label}: {before['on_time']:,} of {before['intervals']:,}.",
                sparkline=history_of("adherence"),
            ),
            Kpi(
                "Teams in scope",
                format_count(now["teams"], formats),
                float(now["teams"] - before["teams"]),
                "count",
                higher_is_better=None,
                help=f"Teams of the selected product lines active at any time in {period.label}: {now['teams']:,} "
                f"({comparison.label}: {before['teams']:,}).",
                sparkline=history_of("teams"),
            ),
            Kpi(
                "Lapsed cadences",
                format_count(now["lapsed"], formats),
                float(now["lapsed"] - before["lapsed"]),
                "count",
                higher_is_better=False,
                help=f"Team × practice pairs run at least twice whose last run was more than {LAPSE_GRACE:g} × the "
                f"practice's cadence before {day_text(period.end, current.locale)} (active teams only): "
                f"{now['lapsed']:,}. At the end of {comparison.label}: {before['lapsed']:,}.",
                sparkline=history_of("lapsed"),
                description=f"vs end of {comparison.label}",
            ),
        ],
        f"vs {comparison.label}",
        formats,
    )
    return now


def _adoption_help(now: dict[str, Any], before: dict[str, Any], period: Period, comparison: Period) -> str:
    """The exact adoption behind the card, and how it is pooled."""
    exact = f" ({now['adoption_rate']:.2%})" if now["adoption_rate"] is not None else ""
    return (
        f"{now['pairs_adopted']:,} of {now['pairs_in_scope']:,} team × practice pairs had a done (or late, or "
        f"status-less) occurrence in {period.label}{exact}. {comparison.label}: {before['pairs_adopted']:,} of "
        f"{before['pairs_in_scope']:,}. Pooled over every practice rolled out by the period's end."
    )


def render_matrix(data: DataBundle, view: View, period: Period, pulse: dict[str, Any]) -> None:
    """Team × practice over the selected period: who ran what."""
    matrix = every_line_cut(
        "adoption_matrix",
        data.key,
        view,
        lambda shown: adoption_matrix(
            data.frame("adoption"),
            data.frame("teams"),
            data.frame("practices"),
            period.start,
            period.end,
            shown.lines_filter,
            history=prepared_adoption(data),
        ),
    )
    if matrix.height == 0:
        empty_state(
            f"No team of the selected product lines was active in {period.label}, or no practice was rolled out."
        )
        return
    # Built once per view: a heatmap of every team × practice is slow to build, not to send.
    figure = cached_figure(
        "adoption_matrix_figure",
        data.key,
        view.period_key,
        lambda: adoption_matrix_figure(
            matrix,
            colors=line_colors(view.all_product_lines),
            title=f"Who ran what in {period.label}: {pulse['pairs_adopted']} of {pulse['pairs_in_scope']} "
            "team × practice pairs (number = done occurrences; blank = not rolled out yet)",
        ),
    )
    st.plotly_chart(figure, width="stretch", key="adoption_matrix")


def render_trend(data: DataBundle, view: View, current: Settings) -> None:
    """Adoption per practice over the range, with roll-outs and process events marked."""
    by_period = cached_by_period(
        "adoption",
        data.key,
        view.lines_filter,
        view.granularity,
        view.fiscal_year_start_month,
        view.start,
        view.end,
    )
    if by_period.height == 0:
        empty_state("No practice was rolled out in the date range.")
        return
    markers = practice_markers(data.frame("practices"), data.frame("events"), view.start, view.end, view.lines_filter)
    partial = partial_periods(
        view.start, view.end, view.data_end or view.end, view.granularity, view.fiscal_year_start_month
    )
    figure = cached_figure(
        "adoption_trend_figure",
        data.key,
        view,
        lambda: adoption_trend_figure(
            by_period,
            markers,
            granularity=view.granularity,
            fiscal_year_start_month=view.fiscal_year_start_month,
            partial=partial,
        ),
    )
    st.plotly_chart(figure, width="stretch", key="adoption_trend")
    notes: list[str | None] = []
    slow = practices_slower_than(data.frame("practices"), view.granularity)
    if slow:
        notes.append(
            f"{comma_list(slow)} {'runs' if len(slow) == 1 else 'run'} less often than once a {view.granularity}, "
            f"so {'its' if len(slow) == 1 else 'their'} {view.granularity}ly rate looks low even when no team misses "
            "a turn: read them at a coarser granularity."
        )
    notes.append(partial_periods_note(partial, "fewer teams had a turn"))
    notes.append(markers_caption(markers))
    for note in notes:
        if note:
            st.caption(note)


def render_cadences(data: DataBundle, view: View, period: Period, current: Settings) -> None:
    """Adherence per practice, then the lapsed cadences a Product Ops lead follows up on (full width: it is read)."""
    # per line and practice for every line once; the chosen lines' adherence per practice is a sum of those counts
    every = every_line(view)
    by_line = period_cached(
        "cadence_adherence_by_line",
        data.key,
        every,
        lambda: cadence_adherence(
            data.frame("adoption"),
            data.frame("practices"),
            period.start,
            period.end,
            by=("product_line", "practice"),
            history=prepared_adoption(data),
        ),
    )
    adherence = pooled_adherence(by_line, view.lines_filter)
    formats = number_format(current)
    figure = cached_figure(
        "adherence_figure",
        data.key,
        view.period_key,
        lambda: adherence_figure(adherence, period_label=period.label, number_format=formats),
        repr(formats),
    )
    if figure is None:
        empty_state(f"No practice was run twice in a row in {period.label}, so there is no adherence to show.")
    else:
        st.plotly_chart(figure, width="stretch", key="cadence_adherence")
    lapsed = every_line_cut(
        "lapsed_teams",
        data.key,
        view,
        lambda shown: lapsed_teams(
            data.frame("adoption"),
            data.frame("teams"),
            data.frame("practices"),
            period.end,
            product_lines=shown.lines_filter,
            history=prepared_adoption(data),
        ),
    )
    st.markdown(f"**Lapsed cadences as of {day_text(period.end, current.locale)}: {lapsed.height}**")
    if lapsed.height == 0:
        st.caption("Every active team is keeping up every practice it had made a habit of.")
        return
    st.dataframe(
        lapsed,
        width="stretch",
        hide_index=True,
        key="lapsed_teams",
        column_config={
            "team": st.column_config.TextColumn("Team"),
            "product_line": st.column_config.TextColumn("Product line"),
            "practice": st.column_config.TextColumn("Practice"),
            "last_done": st.column_config.DateColumn("Last done", format="YYYY-MM-DD"),
            "days_since": st.column_config.NumberColumn(
                "Days since", format="%d days", help="Days from the last done occurrence to the date above."
            ),
            "cadence_days": st.column_config.NumberColumn(
                "Expected every", format="%d days", help="The practice's cadence."
            ),
            "overdue_days": st.column_config.NumberColumn(
                "Overdue by", format="%d days", help="Days past the cadence."
            ),
        },
    )
    st.caption(
        f"Run at least twice, then not within {LAPSE_GRACE:g} × the cadence before "
        f"{day_text(period.end, current.locale)}; most overdue first."
    )
    download_csv(lapsed, file_name=f"lapsed-cadences-{period.end:%Y-%m-%d}.csv", key="lapsed_csv")


def render_rollup(data: DataBundle, view: View, period: Period) -> None:
    """Teams, adoption, adherence and lapsed cadences per product line, downloadable."""
    # the period is whole: its row per line of every line's pulse counts (read from those kept), cut to the lines
    pulse = counts_by_line("pulse", data.key, view.granularity, view.fiscal_year_start_month, period.start, period.end)
    rollup = of_selected_lines(process_by_line_of_pulse(pulse, period.start), view)
    if rollup.height == 0:
        empty_state(f"No team of the selected product lines was active in {period.label}.")
        return
    st.dataframe(
        rollup,
        width="stretch",
        hide_index=True,
        key="process_by_line",
        column_config={
            "product_line": st.column_config.TextColumn("Product line"),
            "teams": st.column_config.NumberColumn("Teams", format="%d"),
            "adoption_rate": st.column_config.ProgressColumn(
                "Adoption", format="percent", min_value=0.0, max_value=1.0, help="Team × practice pairs adopted."
            ),
            "adherence": st.column_config.ProgressColumn(
                "Cadence adherence", format="percent", min_value=0.0, max_value=1.0
            ),
            "lapsed": st.column_config.NumberColumn("Lapsed cadences", format="%d"),
        },
    )
    download_csv(rollup, file_name=f"process-by-line-{period.label.replace(' ', '-')}.csv", key="rollup_csv")


def main() -> None:
    """Lay out the page for the current view."""
    current, data, view = open_page("Process & Practices", SOURCES)
    missing = [name for name in REQUIRED if data.frame(name).height == 0]
    if missing:
        empty_state(
            f"There is nothing to show without {comma_list(missing)}: the dataset is missing or was rejected "
            "(see the Data page)."
        )
        return
    if teams_in_scope(data.frame("teams"), view.start, view.end, view.lines_filter).height == 0:
        lines = "" if view.all_selected else f" of {comma_list(view.product_lines)}"
        empty_state(
            f"No team{lines} was active between {day_text(view.start, current.locale)} and "
            f"{day_text(view.end, current.locale)}: widen the date range or choose other product lines."
        )
        return
    period, comparison = view.period, view.comparison
    if period is None or comparison is None:
        empty_state(
            f"No complete {view.granularity} in the date range, so there is no period to report on: "
            "widen the range or pick a finer granularity. Adoption over the range is below."
        )
    else:
        pulse = render_kpis(data, view, period, comparison, current)
        st.subheader("Who runs which practice")
        render_matrix(data, view, period, pulse)
    st.subheader("Adoption over time")
    render_trend(data, view, current)
    if period is not None:
        st.subheader("Cadences")
        render_cadences(data, view, period, current)
        st.subheader("By product line")
        render_rollup(data, view, period)


main()
