"""Data: where every number comes from — one card per source, then the contracts a file must meet, with templates."""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st
from babel.dates import format_datetime

from insights.formatting import EMPTY, comma_list, markdown_bullets, markdown_lines
from sources.contracts import CONTRACTS, Contract
from sources.files import SourceInfo
from sources.settings import Settings
from sources.templates import contract_table, key_text, template_csv
from ui.access import page_access
from ui.components import day_text, download_csv, open_page, sheet_chip, sheet_notice
from ui.data import every_line_bundle, settings, store
from ui.history import render_history
from ui.sheets import sheet_state
from ui.upload import render_upload

SOURCES = tuple(CONTRACTS)
CARD_WIDTH = 292  # pixels: three cards a row on a laptop screen beside the sidebar
BADGES = {
    "ok": ":green-badge[:material/check: ok]",
    "missing": ":orange-badge[missing]",
    "error": ":red-badge[rejected]",
}
PROBLEM_COLUMNS = ("row", "column", "value", "problem")
CONTRACT_HEADINGS = {
    "column": "Column",
    "type": "Type",
    "required": "Required",
    "allowed": "Allowed values",
    "description": "Description",
    "example": "Example",
    "also_accepted": "Also accepted",
}


def _day(day: date | None, current: Settings) -> str:
    return day_text(day, current.locale) if day is not None else EMPTY


def _moment(moment: datetime, current: Settings) -> str:
    return format_datetime(moment.astimezone(current.zone), "d MMM y, HH:mm zzz", locale=current.locale)


def _source_card(contract: Contract, info: SourceInfo | None, current: Settings) -> None:
    """One source: its state, origin, size, dates and reading notes; its problems when it was rejected."""
    status = info.status if info is not None else "missing"
    optional = " :gray-badge[optional]" if contract.optional_dataset else ""
    st.markdown(
        f"#### {contract.name.replace('_', ' ')}\n{BADGES.get(status, status)}{optional}\n\n"
        f":gray[One row is {contract.row}.]"
    )
    if info is None or status == "missing":
        if contract.optional_dataset:
            st.markdown(
                f"Optional dataset, not provided: the pages work without it. To add it, save a `{contract.file_name}`."
            )
        else:
            st.markdown(
                f"**File not found.** The pages that need it show an empty state until `{contract.file_name}` exists."
            )
        if info is not None:
            st.markdown(f"**Origin** `{info.origin}`")
        return
    read_at = format_datetime(info.read_at.astimezone(current.zone), "d MMM y, HH:mm zzz", locale=current.locale)
    if status == "ok":
        facts = [
            f"**Version** {info.version}" + (" (the configured file)" if info.version == 0 else ""),
            f"**Rows** {info.rows:,}",
        ]
        if info.first_date is not None:
            facts += [
                f"**Latest date** {_day(info.latest_date, current)}",
                f"**Date range** {_day(info.first_date, current)} – {_day(info.latest_date, current)}",
            ]
        else:
            facts.append("**Dates** none: a list, not a history")
    else:
        facts = ["**Rows** none used: the file is rejected"]
    facts += [f"**Read at** {read_at}", f"**Origin** `{info.origin}`"]
    st.markdown(markdown_lines(facts))
    if info.notes:
        with st.expander(f"Read leniently: {len(info.notes)} note{'s' if len(info.notes) != 1 else ''}"):
            st.markdown(markdown_bullets(info.notes))
    if status == "ok" and info.problems.height:
        count = info.problems.height
        st.markdown(f"**{count:,} problem{'s' if count != 1 else ''}**: those rows were skipped, the others are used.")
        st.dataframe(info.problems.select(PROBLEM_COLUMNS), hide_index=True, width="stretch")
    if status == "error":
        count = info.problems.height
        st.markdown(f"**{count:,} problem{'s' if count != 1 else ''}** keep this file out; fix them and reload.")
        problems = info.problems.select(PROBLEM_COLUMNS)
        st.dataframe(
            problems,
            hide_index=True,
            width="stretch",
            column_config={
                "row": st.column_config.NumberColumn("Row", help="Line in the file; the header is row 1."),
                "column": st.column_config.TextColumn("Column"),
                "value": st.column_config.TextColumn("Value"),
                "problem": st.column_config.TextColumn("Problem", width="large"),
            },
        )
        download_csv(problems, f"{contract.name}_problems.csv", "Download problems", key=f"problems_{contract.name}")


# checked first and here again, not only by the navigation: uploads and rollbacks below depend on the role
access = page_access(settings(), store(settings()), lambda _: True, "the Data page")
current, data, _ = open_page("Data", SOURCES, show_problems=False)
st.markdown("Where every number on the dashboard comes from, and what a file must look like to feed it.")

# --- the feedback sheet ----------------------------------------------------------------------------------------------
if current.sheet_configured:
    st.subheader("Feedback from Google Sheets", anchor=False)
    with st.container(border=True):
        if st.button(
            "Refresh now",
            icon=":material/refresh:",
            key="sheet_refresh",
            help=f"Read the sheet again now; otherwise it is read every {current.feedback_refresh_minutes:g} minutes.",
        ):
            sheet_state(current, store(current), refresh=True)
            st.rerun()
        state = sheet_state(current, store(current))
        st.markdown(sheet_chip(state, current))
        sheet_notice(state, current)
        if state.read is not None:
            st.markdown(
                markdown_lines(
                    [
                        f"**Spreadsheet** {state.read.title}",
                        f"**Worksheet** {state.read.worksheet}",
                        f"**Rows read** {state.read.rows_read:,}",
                        f"**Rows skipped** {state.read.rows_skipped:,}",
                        f"**Read at** {_moment(state.read.read_at, current)}"
                        + (" (stale: the last good copy)" if state.stale else ""),
                    ]
                )
            )

# --- upload (editors and admins; checked here again, not only by the navigation) ------------------------------------
st.subheader("Upload a file", anchor=False)
with st.container(border=True):
    if access.can_upload:
        render_upload(store(current), every_line_bundle(current), current, access)
    else:
        st.warning(
            f"Uploading and rolling back are open to editors and admins only; {access.email} is a {access.role}. "
            "Ask an admin if you need to.",
            icon=":material/lock:",
        )

# --- history ---------------------------------------------------------------------------------------------------------
st.subheader("History", anchor=False)
with st.container(border=True):
    render_history(store(current), current, access)

# --- one card per source ---------------------------------------------------------------------------------------------
st.subheader("Sources", anchor=False)
contracts = list(CONTRACTS.values())
# A rejected source comes first and full width: its problems table needs the room, and it is what needs doing.
rejected = [contract for contract in contracts if contract.name in data.errors]
others = [contract for contract in contracts if contract not in rejected]
for contract in rejected:
    with st.container(border=True):
        _source_card(contract, data.sources.get(contract.name), current)
# One wrapping row of cards rather than rows of columns: fewer layout blocks to resend on every rerun.
with st.container(horizontal=True, wrap=True):
    for contract in others:
        with st.container(border=True, width=CARD_WIDTH):
            _source_card(contract, data.sources.get(contract.name), current)

# --- contracts and templates -----------------------------------------------------------------------------------------
st.subheader("Contracts and templates", anchor=False)
st.info(
    f"Version 0 of each dataset is its file in `{current.data_dir}`; each committed upload makes the next version. "
    "Headers match case- and space-insensitively, and the names under *also accepted* work too.",
    icon=":material/upload_file:",
)
# One contract at a time: eight expanders of tables made every rerun resend their frames and references.
chosen = st.selectbox(
    "Show the contract of",
    options=contracts,
    format_func=lambda contract: f"{contract.file_name}" + (" (optional)" if contract.optional_dataset else ""),
    key="contract_shown",
)
with st.container(border=True):
    st.markdown(f"**`{chosen.file_name}`: one row is** {chosen.row}. **Key:** {key_text(chosen)}.")
    # A static table wraps long descriptions instead of clipping them: this is documentation to read.
    st.table(contract_table(chosen).rename(CONTRACT_HEADINGS), hide_index=True, border="horizontal")
    if chosen.checks:
        st.markdown(f"**Also checked:** {comma_list(chosen.checks, separator='; ')}.")
    st.download_button(
        "Download CSV template",
        data=template_csv(chosen),
        file_name=chosen.file_name,
        mime="text/csv",
        icon=":material/download:",
        key="contract_template",
        on_click="ignore",
        help="The header and one example row; replace the example with your rows.",
    )
