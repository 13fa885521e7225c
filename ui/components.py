"""Page building blocks: the header with the view and source freshness, KPI cards, downloads, empty states and text."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import polars as pl
import streamlit as st
from babel.dates import format_date, format_datetime

from insights.formatting import EMPTY, NumberFormat, comma_list, format_delta, markdown_text
from insights.periods import Period
from insights.scope import View
from sources.diff import Diff
from sources.export import csv_bytes
from sources.files import DataBundle, SourceInfo
from sources.settings import Settings
from ui.data import bundle, settings, store
from ui.filters import current_view
from ui.sheets import SheetState, sheet_state

DeltaArrow = Literal["up", "down", "off"]
DeltaColour = Literal["green", "red", "gray"]
_SPARKLINE_DECIMALS = 4


def number_format(current: Settings) -> NumberFormat:
    """The number format the settings ask for."""
    return NumberFormat(current.currency, current.locale)


def open_page(title: str, sources: Sequence[str], *, show_problems: bool = True) -> tuple[Settings, DataBundle, View]:
    """Every page's opening: the settings, the data and the view, then the header and (unless the page shows them
    itself) the problems of its sources."""
    current = settings()
    data = bundle(current)
    view = current_view()
    page_header(title, view, data, sources, current)
    if show_problems:
        source_problems(data, sources)
    return current, data, view


def page_header(title: str, view: View, bundle: DataBundle, sources: Sequence[str], current: Settings) -> None:
    """Title, the view in one line, and a freshness chip per source the page reads."""
    st.title(title)
    st.caption(view.summary(current.locale))
    chips = [
        sheet_chip(sheet_state(current, store(current)), current)
        if name == "feedback" and current.sheet_configured
        else freshness_chip(bundle.sources[name], current)
        for name in sources
        if name in bundle.sources
    ]
    st.markdown(
        " ".join(chips),
        help="Where this page's data comes from: the file, its rows, when it was read, and the latest date in it.",
    )


def freshness_chip(info: SourceInfo, current: Settings) -> str:
    """A coloured badge: green when the source read cleanly, orange when missing, red when rejected."""
    name = info.dataset.replace("_", " ")
    if info.status == "ok":
        latest = f" · to {day_text(info.latest_date, current.locale)}" if info.latest_date else ""
        read = _read_at(info.read_at, current)
        # a stored version says when it was committed; the files, when they were read
        origin = f"v{info.version} · committed" if info.version else "file · read"
        return f":green-badge[{name} · {info.rows:,} rows{latest} · {origin} {read}]"
    if info.status == "missing":
        return f":orange-badge[{name} · not provided]"
    return f":red-badge[{name} · rejected: {info.problems.height:,} problems]"


def sheet_chip(state: SheetState, current: Settings) -> str:
    """The feedback sheet's badge: title, worksheet, rows read and skipped, when read, and a stale warning."""
    read = state.read
    if read is None:
        return f":red-badge[feedback · Google Sheet unavailable: {_badge_text(state.error or 'not read')}]"
    skipped = f", {read.rows_skipped:,} skipped" if read.rows_skipped else ""
    chip = (
        f"feedback · Google Sheet '{_badge_text(read.title)}' / {_badge_text(read.worksheet)} · "
        f"{read.rows_read:,} rows read{skipped} · read {_read_at(read.read_at, current)}"
    )
    if state.stale:
        return f":orange-badge[{chip}] :orange-badge[:material/warning: stale since {_read_at(read.read_at, current)}]"
    return f":green-badge[{chip}]"


def _badge_text(text: str) -> str:
    # a bracket would end the badge early
    return markdown_text(text).replace("[", "(").replace("]", ")")


def sheet_notice(state: SheetState, current: Settings) -> None:
    """Say when the feedback shown is an old copy of the sheet, or rows of it were skipped, and why."""
    read = state.read
    if state.error and read is not None:
        st.warning(
            f"Google Sheets could not be read: {markdown_text(state.error)}. Showing the last good copy, "
            f"read {_read_at(read.read_at, current)}.",
            icon=":material/cloud_off:",
        )
    elif state.error:
        st.error(f"The feedback sheet could not be read: {markdown_text(state.error)}.", icon=":material/cloud_off:")
    if read is not None and read.rows_skipped:
        st.caption(
            f"{read.rows_skipped:,} row{'' if read.rows_skipped == 1 else 's'} of the sheet "
            f"{'was' if read.rows_skipped == 1 else 'were'} skipped for problems; the Data page lists them."
        )


def _read_at(moment: datetime, current: Settings) -> str:
    return format_datetime(moment.astimezone(current.zone), "d MMM HH:mm zzz", locale=current.locale)


def source_problems(bundle: DataBundle, sources: Sequence[str]) -> None:
    """Say which of the page's sources were rejected or are missing, with the first problems, instead of failing."""
    current = settings()
    if "feedback" in sources and current.sheet_configured:
        sheet_notice(sheet_state(current, store(current)), current)
    for name in sources:
        info = bundle.sources.get(name)
        if info is None or info.status == "ok" or (info.status == "missing" and info.problems.height == 0):
            continue
        with st.expander(f"⚠️ {name.replace('_', ' ')} could not be used ({info.message})", expanded=False):
            st.dataframe(info.problems.head(200), hide_index=True, width="stretch")
            st.caption("The Data page lists every problem; fix the file and the page updates on the next rerun.")


# --- KPI cards -------------------------------------------------------------------------------------------------------


def improved(delta: float | None, higher_is_better: bool | None) -> bool | None:
    """True when the change is good news, False when bad; None without a change or when direction has no meaning."""
    if delta is None or delta == 0 or math.isnan(delta) or higher_is_better is None:
        return None
    return (delta > 0) == higher_is_better


def delta_style(delta: float | None, improved: bool | None, shown: str | None = None) -> tuple[DeltaArrow, DeltaColour]:
    """st.metric's arrow (from the change's sign) and colour (green better, red worse, grey otherwise).

    Deltas are written with a real minus sign (−), which st.metric does not read as negative, so the arrow and the
    colour are given explicitly rather than left to ``delta_color="normal"/"inverse"``. A change that shows as zero
    (``shown`` has no digit but 0) stays grey: a red "+0.00 pt" would alarm for nothing.
    """
    if delta is None or delta == 0 or math.isnan(delta):
        return "off", "gray"
    if shown is not None and not any(digit in shown for digit in "123456789"):
        return "off", "gray"
    arrow: DeltaArrow = "up" if delta > 0 else "down"
    if improved is None:
        return arrow, "gray"
    return arrow, "green" if improved else "red"


def kpi_card(
    label: str,
    value: str,
    *,
    delta_text: str | None,
    delta: float | None,
    improved: bool | None,
    description: str | None,
    help: str | None = None,
    sparkline: Sequence[float] | None = None,
    icon: str | None = None,
) -> None:
    """A bordered st.metric with its arrow and colour set from the change (see delta_style), the comparison under the
    delta, the exact numbers in the tooltip (Markdown-safe) and the sparkline; cards in a row share their height."""
    arrow, colour = delta_style(delta, improved, delta_text)
    st.metric(
        label,
        value,
        delta_text,
        delta_color=colour,
        delta_arrow=arrow,
        delta_description=description,
        help=markdown_text(help) if help is not None else None,
        icon=icon,
        border=True,
        height="stretch",
        chart_data=list(sparkline) if sparkline else None,
    )


@dataclass(frozen=True)
class Kpi:
    """One card of a kpi_row: its value, its change as an absolute delta in ``unit``, and what the change means."""

    label: str
    value: str
    delta: float | None
    unit: str
    higher_is_better: bool | None
    help: str
    sparkline: list[float]
    description: str | None = None  # None: the row's comparison
    icon: str | None = None


def kpi_row(cards: Sequence[Kpi], description: str, number_format: NumberFormat) -> None:
    """The cards side by side, each change written in its unit and coloured by whether it is better or worse."""
    for column, card in zip(st.columns(len(cards)), cards, strict=True):
        with column:
            kpi_card(
                card.label,
                card.value,
                delta_text=format_delta(card.delta, card.unit, number_format) if card.delta is not None else None,
                delta=card.delta,
                improved=improved(card.delta, card.higher_is_better),
                description=card.description or description,
                help=card.help,
                sparkline=card.sparkline,
                icon=card.icon,
            )


def kpi_placeholder(label: str, reason: str) -> None:
    """A KPI card with nothing to show (a dash), the reason in its tooltip, so the row keeps its shape."""
    kpi_card(label, EMPTY, delta_text=None, delta=None, improved=None, description=None, help=reason)


def sparkline(values: Iterable[float | None]) -> list[float]:
    """A KPI card's chart data: the known values, rounded (a period without data has no point)."""
    return [round(value, _SPARKLINE_DECIMALS) for value in values if value is not None]


# --- text ------------------------------------------------------------------------------------------------------------


def day_text(day: date, locale: str = "en_US") -> str:
    """A day as the page header writes it: 1 Nov 2025."""
    return format_date(day, "d MMM y", locale=locale)


def partial_periods_note(partial: Sequence[Period], consequence: str) -> str | None:
    """The caption under a chart with shaded periods: which ones, and what being cut short does to them."""
    if not partial:
        return None
    labels = comma_list(period.label for period in partial)
    return f"Shaded: {labels} — only part of the period is in the range or the data, so {consequence}."


# --- downloads and empty states --------------------------------------------------------------------------------------


def download_csv(frame: pl.DataFrame, file_name: str, label: str = "Download CSV", key: str | None = None) -> None:
    """A download button for exactly the rows shown, formula injection neutralised."""
    st.download_button(
        label,
        data=csv_bytes(frame),
        file_name=file_name,
        mime="text/csv",
        icon=":material/download:",
        key=key,
        on_click="ignore",
    )


def download_csv_on_click(
    rows: Callable[[], pl.DataFrame], file_name: str, label: str = "Download CSV", key: str | None = None
) -> None:
    """A download button whose CSV is made only when it is clicked (for many rows), formula injection neutralised."""
    st.download_button(
        label,
        data=lambda: csv_bytes(rows()),
        file_name=file_name,
        mime="text/csv",
        icon=":material/download:",
        key=key,
        on_click="ignore",
    )


def empty_state(message: str) -> None:
    """A clear message where a filter or a missing dataset leaves nothing to show."""
    st.info(message, icon=":material/filter_alt_off:")


def diff_tabs(diff: Diff) -> None:
    """Tabs of the rows added, changed (old and new values) and removed, and the largest value changes."""
    added, changed, removed, largest = st.tabs(
        [
            f"Added ({diff.added.height:,})",
            f"Changed ({diff.changed_rows:,})",
            f"Removed ({diff.removed.height:,})",
            "Largest value changes",
        ]
    )
    for tab, frame, empty in (
        (added, diff.added, "No rows are added."),
        (changed, diff.changed, "No values change."),
        (removed, diff.removed, "No rows are removed."),
        (largest, diff.largest_changes, "No value changes to rank."),
    ):
        with tab:
            if frame.height:
                st.dataframe(frame.head(10_000), hide_index=True, width="stretch")
            else:
                st.caption(empty)
