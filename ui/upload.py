"""The upload flow on the Data page: pick a dataset and a mode, drop a file, see its problems or its preview, commit."""

from __future__ import annotations

from typing import cast

import polars as pl
import streamlit as st

from insights.formatting import comma_list, markdown_text
from sources.access import SCOPE_COLUMN, Access
from sources.contracts import CONTRACTS
from sources.files import DataBundle, ExactFrames
from sources.history import compare_versions
from sources.parser import DataError
from sources.settings import Settings
from sources.store import DuplicateKeyError, Mode, StaleVersionError, Store, describe_keys
from sources.summary import summarise_upload
from sources.upload_flow import CheckedUpload, check_upload, commit_upload, workbook_sheets
from ui.access import record
from ui.components import day_text, diff_tabs, download_csv

MODES: dict[Mode, str] = {
    "append": "Add the rows",
    "replace": "Replace everything",
    "replace_slice": "Replace the slice it covers",
}
MODE_HELP = (
    "Add the rows: the file's rows join the current ones (a key already there is refused). "
    "Replace everything: the file becomes the whole dataset. "
    "Replace the slice it covers: current rows in the file's date range and product lines are replaced by the file's."
)
_DONE_KEY = "_pillars_upload_done"
_COMMIT_REQUEST = "_pillars_upload_commit"
_MEGABYTE = 1024 * 1024


def upload_limit_bytes() -> int:
    """The server's upload limit (server.maxUploadSize in .streamlit/config.toml), so app and server agree."""
    return int(cast(int, st.get_option("server.maxUploadSize"))) * _MEGABYTE


def render_upload(store: Store, data: DataBundle, current: Settings, access: Access) -> None:
    """The whole upload section: choices, the file, then problems or a preview with the commit button.

    ``data`` is every product line's data (checks and the first commit's version 0 need all of it; none of it is
    shown). A scoped editor may upload only datasets with product lines, only rows of their lines, and not replace a
    whole dataset.
    """
    done = st.session_state.pop(_DONE_KEY, None)
    if done:
        st.success(done, icon=":material/check_circle:")
    dataset_column, mode_column = st.columns([1, 2])
    datasets = [name for name, contract in CONTRACTS.items() if not access.scoped or SCOPE_COLUMN in contract.schema]
    modes = [mode for mode in MODES if access.can_replace_all or mode != "replace"]
    dataset = dataset_column.selectbox(
        "Dataset",
        options=datasets,
        format_func=lambda name: name.replace("_", " "),
        key="upload_dataset",
        help="The contract the file must follow (see Contracts below).",
    )
    mode = mode_column.segmented_control(
        "How to commit",
        options=modes,
        format_func=MODES.__getitem__,
        default="append",
        required=True,
        key="upload_mode",
        help=MODE_HELP,
    )
    if dataset == "feedback" and current.sheet_configured:
        # the sheet is the feedback source (DESIGN.md §2): an upload would be overwritten by the next read
        st.info(
            "Feedback comes from the Google Sheet configured in the settings, so feedback uploads are switched off. "
            "Edit the sheet instead; the dashboard reads it again on schedule, or at once with **Refresh now**.",
            icon=":material/table_view:",
        )
        return
    limit = upload_limit_bytes()
    uploaded = st.file_uploader(
        f"CSV or Excel file for {dataset.replace('_', ' ')}",
        type=["csv", "tsv", "txt", "xlsx"],
        key=f"upload_file_{dataset}",
        help=f"Up to {limit // _MEGABYTE} MB and 2,000,000 rows. Checked completely before anything is stored.",
    )
    if uploaded is None:
        st.caption(
            f"The current {dataset.replace('_', ' ')} data is version {store.current_version(dataset)}"
            " (0 = the configured files). Nothing is stored until you commit."
        )
        return
    content = uploaded.getvalue()
    sheets = workbook_sheets(content)
    sheet = (
        st.selectbox("Sheet", sheets, key=f"upload_sheet_{dataset}", help="The workbook has several sheets.")
        if len(sheets) > 1
        else None
    )
    checked = _check(store, uploaded.name, content, dataset, mode, data, limit, sheet)
    if checked is None:
        record(store, access, "upload", outcome="refused", target=dataset, detail=f"{uploaded.name}: problems")
        return
    if access.product_lines is not None and not _in_scope(checked, access.product_lines):
        record(store, access, "upload", outcome="refused", target=dataset, detail=f"{uploaded.name}: other lines")
        return
    preview = checked.preview
    _show_preview(checked, current)
    if not preview.accepted:
        st.error(
            f"{preview.conflicts.height:,} keys of the file are already in the rows that stay "
            f"({markdown_text(describe_keys(preview.conflicts))}): nothing can be committed in this mode. "
            "Choose Replace, or remove those rows from the file."
        )
        return
    # The click carries the version whose preview the user saw: a rerun re-checks the file against whatever is
    # current by then, and committing against that would skip the review of a colleague's commit made meanwhile.
    st.button(
        f"Commit as version {preview.based_on + 1}",
        type="primary",
        key="upload_commit",
        on_click=_request_commit,
        args=(checked.sha256, preview.based_on),
    )
    request = st.session_state.pop(_COMMIT_REQUEST, None)
    if request is not None and request[0] == checked.sha256:
        _commit(store, checked, access, seen_version=request[1])


def _in_scope(checked: CheckedUpload, product_lines: tuple[str, ...]) -> bool:
    """True when every row of the file is of ``product_lines``; else says which lines are not, and nothing is kept."""
    outside = (
        checked.frame.filter(~pl.col(SCOPE_COLUMN).is_in(list(product_lines)) | pl.col(SCOPE_COLUMN).is_null())
        .group_by(pl.col(SCOPE_COLUMN).fill_null("(none)").alias("product_line"))
        .agg(pl.len().alias("rows"))
        .sort("rows", "product_line", descending=[True, False])
    )
    if outside.height == 0:
        return True
    listed = comma_list(f"{line} ({rows:,} rows)" for line, rows in outside.iter_rows())
    st.error(
        f"{markdown_text(checked.name)} was not committed: you may upload rows of "
        f"{markdown_text(comma_list(product_lines))} only, and it has rows of {markdown_text(listed)}. "
        "Remove those rows, or ask an editor without a product-line scope to upload it. Nothing stored has changed.",
        icon=":material/block:",
    )
    return False


def _request_commit(sha256: str, seen_version: int) -> None:
    st.session_state[_COMMIT_REQUEST] = (sha256, seen_version)


def _check(
    store: Store,
    name: str,
    content: bytes,
    dataset: str,
    mode: Mode,
    data: DataBundle,
    limit: int,
    sheet: str | None,
) -> CheckedUpload | None:
    """Read, validate and preview the file, showing each step and then its problems; None when it can't be committed."""
    with st.status(f"Reading and checking {name}…", expanded=False) as status:

        def step(label: str) -> None:
            status.update(label=label)

        try:
            checked = check_upload(
                store,
                name,
                content,
                dataset,
                mode,
                ExactFrames(data.frames),  # contract-exact: the bundle holds its labels compact
                max_bytes=limit,
                sheet=sheet,
                progress=step,
            )
        except DataError as error:
            status.update(label=f"{name}: {error.problems.height:,} problems", state="error")
            _show_problems(name, error.problems)
            return None
        status.update(label=f"{name}: {checked.frame.height:,} rows, all valid", state="complete")
    return checked


def _show_problems(name: str, problems: pl.DataFrame) -> None:
    st.error(
        f"{markdown_text(name)} was not committed: {problems.height:,} "
        f"problem{'s' if problems.height != 1 else ''}, listed below with the row as numbered in the file. "
        "Fix the file and drop it again; nothing stored has changed.",
        icon=":material/error:",
    )
    st.dataframe(problems, hide_index=True, width="stretch")
    download_csv(problems, f"problems-{name}.csv", "Download the problems (CSV)", key="upload_problems_csv")


def _show_preview(checked: CheckedUpload, current: Settings) -> None:
    name, table, result, preview = checked.name, checked.table, checked.result, checked.preview
    summary = summarise_upload(checked.frame)
    facts = [f"**{summary.rows:,} rows**"]
    if summary.first_date is not None and summary.latest_date is not None:
        facts.append(
            f"{day_text(summary.first_date, current.locale)} – {day_text(summary.latest_date, current.locale)}"
        )
    if summary.product_lines:
        facts.append(f"product lines: {comma_list(summary.product_lines)}")
    if summary.metrics:
        facts.append(f"metrics: {comma_list(summary.metrics)}")
    read_as = [table.file_kind.upper()]
    if table.encoding:
        read_as.append(table.encoding)
    if table.delimiter:
        read_as.append(f"delimiter {table.delimiter!r}")
    if table.sheet:
        read_as.append(f"sheet {table.sheet!r}")
    st.markdown(markdown_text(f"{name}: ") + " · ".join(facts) + markdown_text(f" — read as {comma_list(read_as)}."))
    for note in result.notes:
        st.caption(markdown_text(f"Note: {note}"))
    diff = preview.diff
    untouched = preview.rows_before - diff.removed.height - diff.changed_rows
    st.markdown(
        f"Against version {preview.based_on}: **{diff.added.height:,} added**, **{diff.changed_rows:,} changed**, "
        f"**{diff.removed.height:,} removed**, {untouched:,} unchanged — "
        f"{preview.rows_before:,} rows now, {preview.rows_after:,} after the commit."
    )
    diff_tabs(diff)


def _commit(store: Store, checked: CheckedUpload, access: Access, *, seen_version: int) -> None:
    dataset = checked.dataset
    detail = f"{checked.name} ({checked.mode}, {checked.frame.height:,} rows, sha256 {checked.sha256[:12]})"
    try:
        version = commit_upload(store, checked, access.email, seen_version=seen_version)
    except StaleVersionError as error:
        record(store, access, "upload", outcome="refused", target=dataset, detail=f"{detail}: {error}")
        st.warning(
            f"Nothing was committed: {dataset.replace('_', ' ')} changed while you reviewed this file (version "
            f"{error.based_on} then, version {error.current} now), so the preview above is out of date. What changed "
            "meanwhile is below; drop the file again to review it against the new version.",
            icon=":material/sync_problem:",
        )
        diff_tabs(compare_versions(store, dataset, error.based_on, error.current, product_lines=access.product_lines))
        return
    except DuplicateKeyError as error:
        record(store, access, "upload", outcome="refused", target=dataset, detail=f"{detail}: duplicate keys")
        st.error(markdown_text(str(error)), icon=":material/error:")
        return
    record(store, access, "upload", target=f"{dataset} v{version}", detail=detail)
    st.session_state[_DONE_KEY] = (
        f"Committed {markdown_text(checked.name)} as {dataset.replace('_', ' ')} version {version} "
        f"({MODES[checked.mode].lower()}): every page shows it now."
    )
    st.rerun()
