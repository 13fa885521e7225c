"""The datasets as the pages see them: each one's current stored version where it has one, else the configured files."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import polars as pl

from sources.files import DataBundle, SourceInfo, date_span, in_date_order
from sources.parser import problem_frame
from sources.store import Store


def stored_versions(store: Store) -> dict[str, int]:
    """Each dataset's current version (0 = never stored: its rows are the files)."""
    return store.current_versions()


def current_bundle(files: DataBundle, store: Store, versions: dict[str, int]) -> DataBundle:
    """``files`` with every stored dataset replaced by its current version, read from the store's Parquet copy."""
    frames = dict(files.frames)
    sources = dict(files.sources)
    for name, version in versions.items():
        if version == 0:
            continue
        path = store.columnar(name)
        frame = in_date_order(pl.read_parquet(path) if path is not None else store.read(name))
        history = store.versions(name).filter(pl.col("version") == version).row(0, named=True)
        first, latest = date_span(frame)
        committed_at: datetime = history["committed_at"]
        frames[name] = frame
        sources[name] = SourceInfo(
            dataset=name,
            origin=f"store, version {version}: {history['file_name']} ({history['mode']}) by {history['committed_by']}",
            status="ok",
            rows=frame.height,
            read_at=committed_at,
            first_date=first,
            latest_date=latest,
            problems=problem_frame([]),
            version=version,
        )
    return replace(files, frames=frames, sources=sources)
