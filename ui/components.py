"""Page building blocks: the header with the view and source freshness, KPI cards, downloads and empty states."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl
import streamlit as st
from babel.dates import format_date, format_datetime

from insights.formatting import NumberFormat
from insights.scope import View
from sources.export import csv_bytes
from sources.files import DataBundle, SourceInfo
from sources.settings import Settings


def number_format(current: Settings) -> NumberFormat:
    """The number format the settings ask for."""
    return NumberFormat(current.currency, current.locale)


def page_header(title: str, view: View, bundle: DataBundle, sources: Sequence[str], current: Settings) -> None:
    """Title, the view in one line, and a freshness chip per source the page reads."""
    st.title(title)
    st.caption(view.summary(current.locale))
    chips = [freshness_chip(bundle.sources[name], current) for name in sources if name in bundle.sources]
    st.markdown(
        " ".join(chips),
        help="Where this page's data comes from: the file, its rows, when it was read, and the latest date in it.",
    )


def freshness_chip(info: SourceInfo, current: Settings) -> str:
    """A coloured badge: green when the source read cleanly, orange when missing, red when rejected."""
    name = info.dataset.replace("_", " ")
    if info.status == "ok":
        latest = f" · to {format_date(info.latest_date, 'd MMM y', locale=current.locale)}" if info.latest_date else ""
        read = _read_at(info.read_at, current)
        return f":green-badge[{name} · {info.rows:,} rows{latest} · read {read}]"
    if info.status == "missing":
        return f":orange-badge[{name} · not provided]"
    return f":red-badge[{name} · rejected: {info.problems.height:,} problems]"


def _read_at(moment: datetime, current: Settings) -> str:
    return format_datetime(moment.astimezone(current.zone), "d MMM HH:mm zzz", locale=current.locale)


def source_problems(bundle: DataBundle, sources: Sequence[str]) -> None:
    """Say which of the page's sources were rejected or are missing, with the first problems, instead of failing."""
    for name in sources:
        info = bundle.sources.get(name)
        if info is None or info.status == "ok" or (info.status == "missing" and info.problems.height == 0):
            continue
        with st.expander(f"⚠️ {name.replace('_', ' ')} could not be used ({info.message})", expanded=False):
            st.dataframe(info.problems.head(200), hide_index=True, width="stretch")
            st.caption("The Data page lists every problem; fix the file and the page updates on the next rerun.")


def delta_color(higher_is_better: bool | None) -> str:
    """st.metric's delta colour: green for better, red for worse, grey when direction has no meaning."""
    if higher_is_better is None:
        return "off"
    return "normal" if higher_is_better else "inverse"


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


def empty_state(message: str) -> None:
    """A clear message where a filter or a missing dataset leaves nothing to show."""
    st.info(message, icon=":material/filter_alt_off:")
