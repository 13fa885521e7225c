"""Loading the datasets once per source version, and the settings, behind bounded Streamlit caches."""

from __future__ import annotations

import hashlib
from pathlib import Path

import streamlit as st

from sources.contracts import CONTRACTS
from sources.files import DataBundle, load_bundle
from sources.settings import Settings, load_settings


@st.cache_resource(max_entries=1, ttl=300)
def settings() -> Settings:
    """The settings (re-read every 5 minutes, so an edited secrets file takes effect without a restart)."""
    return load_settings()


def data_version(data_dir: Path) -> str:
    """A fingerprint of the dataset files (name, size, modification time): it changes whenever a file does."""
    digest = hashlib.sha256()
    for contract in CONTRACTS.values():
        path = Path(data_dir) / contract.file_name
        if path.is_file():
            stat = path.stat()
            digest.update(f"{contract.file_name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


@st.cache_resource(max_entries=4, ttl=3600, show_spinner="Reading the data…")
def _bundle(data_dir: str, version: str) -> DataBundle:
    # `version` is only part of the cache key: new files make a new entry, so new data shows on the next rerun.
    return load_bundle(Path(data_dir))


def bundle(current: Settings) -> DataBundle:
    """Every dataset, read once per version of the files; read-only frames shared by all sessions."""
    return _bundle(str(current.data_dir), data_version(current.data_dir))
