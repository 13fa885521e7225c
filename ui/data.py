"""Loading the datasets once per version (files and store), the store, and the settings, behind bounded caches."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import replace
from pathlib import Path

import polars as pl
import streamlit as st

import insights
import sources
import ui
from sources.access import scoped_bundle
from sources.columnar import DerivedCache
from sources.contracts import CONTRACTS, FEEDBACK
from sources.current import current_bundle, stored_versions
from sources.files import DataBundle, load_bundle
from sources.settings import SECRETS_TABLE, Settings, load_settings
from sources.store import Store, open_store
from ui.access import current_access, secrets_table
from ui.sheets import sheet_source, sheet_state


@st.cache_resource(max_entries=1, ttl=300)
def settings() -> Settings:
    """The settings (re-read every 5 minutes, so an edited secrets file takes effect without a restart).

    The [pillars] table is read from Streamlit's own secrets, so wherever Streamlit finds them (secrets.toml, the
    `secrets.files` option, Community Cloud's secrets box) Pillars does too.
    """
    return load_settings(secrets_table=secrets_table(SECRETS_TABLE))


def data_version(data_dir: Path) -> str:
    """A fingerprint of the dataset files (name, size, modification time): it changes whenever a file does."""
    digest = hashlib.sha256()
    for contract in CONTRACTS.values():
        path = Path(data_dir) / contract.file_name
        if path.is_file():
            stat = path.stat()
            digest.update(f"{contract.file_name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


@st.cache_resource(max_entries=4)
def _store(url: str, columnar_dir: str | None) -> Store:
    return open_store(url, Path(columnar_dir) if columnar_dir else None)


def store(current: Settings) -> Store:
    """The store of uploads (SQLite file or PostgreSQL), opened once per process and migrated on opening."""
    return _store(current.store_url, str(current.columnar_dir) if current.columnar_dir else None)


@functools.cache
def code_version() -> str:
    """A fingerprint of the code that derives frames and numbers from the data (the insights, sources and ui packages)
    and of Polars: copies kept on disk by another version of either are derived again, never read back."""
    digest = hashlib.sha256(pl.__version__.encode())
    for package in (insights, sources, ui):
        root = Path(str(package.__file__)).parent
        for path in sorted(root.glob("*.py")):
            digest.update(f"{package.__name__}/{path.name}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def derived_cache() -> DerivedCache:
    """Where frames derived from a data version are kept on disk: beside the store's Parquet copies."""
    return DerivedCache(store(settings()).columnar_dir / "derived", code=code_version())


def view_copies() -> DerivedCache:
    """Where small per-view results are kept on disk (the Overview's numbers), the newest 32 of each kind: a view
    computed before a restart is read back, not computed again."""
    return DerivedCache(store(settings()).columnar_dir / "views", keep=32, code=code_version())


# One entry: at 10M rows a bundle is hundreds of MB, so a new version replaces the old one instead of sitting beside it.
@st.cache_resource(max_entries=1, ttl=3600, show_spinner="Reading the data…")
def _bundle(data_dir: str, files_version: str, versions: tuple[tuple[str, int], ...], _store: Store) -> DataBundle:
    # files_version and versions are the cache key: a changed file or a new commit makes a new entry, so new data shows
    # on the next rerun, on every page and (with PostgreSQL) on every replica. The files are parsed once per version:
    # a new process reads their Parquet copies from the store's columnar directory.
    # held compact (labels as Categoricals): at 1M rows a server peaks ~300 MB lower, and labels group faster
    files = load_bundle(Path(data_dir), columnar_dir=_store.columnar_dir / "files", compact=True)
    key = hashlib.sha256(f"{files_version}:{versions}".encode()).hexdigest()[:16]
    return replace(current_bundle(files, _store, dict(versions)), key=key).compact()  # and the stored versions


@st.cache_resource(max_entries=2, ttl=3600, show_spinner=False)
def _compact_sheet(key: str, _frame: pl.DataFrame) -> pl.DataFrame:
    # key names the read (the sheet's bundle key): its rows are made compact once, not on every run
    return FEEDBACK.compact(_frame)


def bundle(current: Settings) -> DataBundle:
    """Every dataset at its current version, as the signed-in user may see it: read-only frames shared by sessions.

    Every read of the data for a page goes through here, so a scoped user's product lines are applied before any
    number, table, chart or download is made; someone not signed in (a page run without the app's gate) gets nothing.
    """
    access = current_access(current)
    if access is None or not access.allowed:
        st.error("Sign in with an account on Pillars' access list to see the data.", icon=":material/lock:")
        st.stop()
    assert access is not None  # st.stop() ends the run above
    every_line = every_line_bundle(current)
    if access.product_lines is None:
        return every_line
    return _scoped(every_line.key, access.product_lines, every_line)


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def _scoped(key: str, product_lines: tuple[str, ...], _bundle: DataBundle) -> DataBundle:
    # keyed by the shared bundle's key and the scope: each scope's frames are cut once per data version
    return scoped_bundle(_bundle, product_lines)


def every_line_bundle(current: Settings) -> DataBundle:
    """Every dataset at its current version, every product line — for checks that need it all (an upload's), never
    for display: pages read `bundle` (with a Google Sheet configured, the sheet's rows or
    its last good snapshot are the feedback dataset)."""
    the_store = store(current)
    versions = tuple(sorted(stored_versions(the_store).items()))
    loaded = _bundle(str(current.data_dir), data_version(current.data_dir), versions, the_store)
    if not current.sheet_configured:
        return loaded
    state = sheet_state(current, the_store)
    info = sheet_source(state)
    frames = {name: frame for name, frame in loaded.frames.items() if name != "feedback"}
    # the read time is part of the key, so caches of derived numbers follow each new read of the sheet
    key = hashlib.sha256(f"{loaded.key}:sheet:{info.read_at.isoformat()}:{info.rows}".encode()).hexdigest()[:16]
    if state.read is not None and info.status == "ok":
        frames["feedback"] = _compact_sheet(key, state.read.frame)
    return replace(loaded, frames=frames, sources={**loaded.sources, "feedback": info}, key=key)
