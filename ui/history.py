"""The history of a dataset on the Data page: its versions, the difference between any two, and any version's rows."""

from __future__ import annotations

import streamlit as st

from sources.access import Access, rows_of_lines
from sources.contracts import CONTRACTS
from sources.history import compare_versions
from sources.settings import Settings
from sources.store import StaleVersionError, Store, StoreError
from ui.access import record
from ui.components import diff_tabs, download_csv

_DONE_KEY = "_pillars_history_done"
_ROLLBACK_REQUEST = "_pillars_rollback"
_VERSION_COLUMNS = {
    "version": st.column_config.NumberColumn("Version", format="%d"),
    "mode": st.column_config.TextColumn("Mode"),
    "file_name": st.column_config.TextColumn("File"),
    "sha256": st.column_config.TextColumn("SHA-256", width="small"),
    "rows": st.column_config.NumberColumn("Rows", format="localized"),
    "rows_added": st.column_config.NumberColumn("Added", format="localized"),
    "rows_removed": st.column_config.NumberColumn("Removed", format="localized"),
    "committed_by": st.column_config.TextColumn("Committed by"),
    "committed_at": st.column_config.DatetimeColumn("Committed at", format="D MMM YYYY, HH:mm z"),
    "based_on": st.column_config.NumberColumn("Based on", format="%d", help="The version the upload was previewed on."),
}


def render_history(store: Store, current: Settings, access: Access) -> None:
    """Pick a dataset; see its versions, compare two of them, roll back or purge, and read or download any one.

    A scoped user sees the rows of their product lines only, in every diff, table and download, and not the file
    names (which may name other lines); rollback needs an unscoped editor, purge an admin.
    """
    lines = access.product_lines
    done = st.session_state.pop(_DONE_KEY, None)
    if done:
        st.success(done, icon=":material/check_circle:")
    dataset = st.selectbox(
        "Show the history of",
        options=list(CONTRACTS),
        format_func=lambda name: name.replace("_", " "),
        key="history_dataset",
    )
    label = dataset.replace("_", " ")
    versions = store.versions(dataset)
    if versions.height == 0:
        st.caption(f"{label.capitalize()} was never uploaded: its only version is 0, the configured file.")
        return
    shown = versions.with_columns(versions.get_column("committed_at").dt.convert_time_zone(current.timezone))
    if lines is not None:
        shown = shown.select("version", "mode", "committed_by", "committed_at", "based_on")
    st.dataframe(shown, hide_index=True, width="stretch", column_config=_VERSION_COLUMNS)
    numbers = versions.get_column("version").to_list()

    st.markdown(f"**Compare two versions of {label}**")
    older_column, newer_column = st.columns(2)
    older = older_column.selectbox("From version", numbers, index=max(len(numbers) - 2, 0), key="history_from")
    newer = newer_column.selectbox("To version", numbers, index=len(numbers) - 1, key="history_to")
    diff = compare_versions(store, dataset, older, newer, product_lines=lines)
    st.markdown(
        f"From version {older} to version {newer}: **{diff.added.height:,} added**, "
        f"**{diff.changed_rows:,} changed**, **{diff.removed.height:,} removed**."
    )
    diff_tabs(diff)

    if access.can_replace_all:
        _rollback(store, dataset, numbers, access)
    if access.can_purge:
        _purge(store, dataset, numbers, access)

    st.markdown(f"**Read a version of {label}**")
    version = st.selectbox("Version", numbers, index=len(numbers) - 1, key="history_version")
    content = store.read(dataset, version)
    if lines is not None:
        content = rows_of_lines(content, dataset, lines)
    st.caption(
        f"Version {version}: {content.height:,} rows" + (" (the first 10,000 shown)" if content.height > 10_000 else "")
    )
    st.dataframe(content.head(10_000), hide_index=True, width="stretch")
    download_csv(content, f"{dataset}-v{version}.csv", f"Download version {version} (CSV)", key="history_download")


def _rollback(store: Store, dataset: str, numbers: list[int], access: Access) -> None:
    """Roll back to any earlier version, as a new version (nothing is rewritten)."""
    latest = numbers[-1]
    earlier = numbers[:-1]
    if not earlier:
        return
    st.markdown(f"**Roll back {dataset.replace('_', ' ')}**")
    target_column, button_column = st.columns([2, 1], vertical_alignment="bottom")
    target = target_column.selectbox(
        "Make this version current again", earlier, index=len(earlier) - 1, key="history_rollback_to"
    )
    # the click carries the latest version the user saw, so a commit made meanwhile is not rolled back unseen
    button_column.button(
        f"Roll back to version {target}",
        key="history_rollback",
        on_click=_request_rollback,
        args=(dataset, target, latest),
    )
    request = st.session_state.pop(_ROLLBACK_REQUEST, None)
    if request is not None and request[0] == dataset:
        _, target, seen = request
        what = f"{dataset} to version {target}"
        try:
            version = store.rollback(dataset, target, based_on=seen, committed_by=access.email)
        except StaleVersionError as error:
            record(store, access, "rollback", outcome="refused", target=what, detail=str(error))
            st.warning(f"{error} The history above is out of date: look again before rolling back.")
            return
        except StoreError as error:
            record(store, access, "rollback", outcome="refused", target=what, detail=str(error))
            st.error(str(error))
            return
        record(store, access, "rollback", target=f"{dataset} v{version}", detail=f"back to version {target}")
        st.session_state[_DONE_KEY] = (
            f"Rolled {dataset.replace('_', ' ')} back to version {target} as version {version}."
        )
        st.rerun()


def _request_rollback(dataset: str, target: int, seen: int) -> None:
    st.session_state[_ROLLBACK_REQUEST] = (dataset, target, seen)


def _purge(store: Store, dataset: str, numbers: list[int], access: Access) -> None:
    """Purge one version's uploaded rows (admins; in local mode the local user), with a recorded reason."""
    with st.expander("Purge a version's rows (personal data uploaded by mistake)"):
        st.caption(
            "Removes the rows a version added from the store and from every copy, in every later version too; the "
            "versions stay readable without them, and the purge is recorded with who, when and why. It can't be undone."
            " Purging version 0 removes its rows from the store only, not from the configured file."
        )
        version = st.selectbox("Version whose rows to purge", numbers, key="history_purge_version")
        reason = st.text_input("Why (recorded)", key="history_purge_reason")
        if st.button(f"Purge the rows version {version} added", key="history_purge", disabled=not reason.strip()):
            what = f"{dataset} v{version}"
            try:
                store.purge(dataset, version, purged_by=access.email, reason=reason.strip())
            except StoreError as error:
                record(store, access, "purge", outcome="refused", target=what, detail=str(error))
                st.error(str(error))
                return
            record(store, access, "purge", target=what, detail=reason.strip())
            st.session_state[_DONE_KEY] = f"Purged the rows version {version} of {dataset.replace('_', ' ')} added."
            st.rerun()
        purges = store.purges(dataset)
        if purges.height:
            st.dataframe(purges, hide_index=True, width="stretch")
