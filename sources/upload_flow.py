"""An upload from bytes to a commit: read, validate and preview it against the store, then commit what was previewed."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import fastexcel
import polars as pl

from sources.parser import DataError, ParseResult
from sources.store import Mode, Preview, Store
from sources.uploads import UploadedTable, read_upload, validate_upload


@dataclass(frozen=True)
class CheckedUpload:
    """A file that passed every check, with the preview of committing it; ``initial`` is version 0 when not stored."""

    name: str
    sha256: str
    dataset: str
    mode: Mode
    table: UploadedTable
    result: ParseResult
    preview: Preview
    initial: pl.DataFrame | None

    @property
    def frame(self) -> pl.DataFrame:
        """The parsed rows, contract-exact."""
        return self.result.data()


def check_upload(
    store: Store,
    name: str,
    content: bytes,
    dataset: str,
    mode: Mode,
    current: Mapping[str, pl.DataFrame],
    *,
    max_bytes: int,
    sheet: str | None = None,
    progress: Callable[[str], None] = lambda _step: None,
) -> CheckedUpload:
    """Read, validate and preview an upload; raises DataError with every problem. Nothing is written.

    ``progress`` hears what is being done, for a large file's progress message.
    """
    progress(f"Reading {name}…")
    table = read_upload(name, content, max_bytes=max_bytes, sheet=sheet)
    progress(f"Checking {table.raw.rows.height:,} rows of {name} against the {dataset} contract…")
    result = validate_upload(table, dataset, current)
    if not result.ok:
        raise DataError(result.problems, result.notes)
    based_on = store.current_version(dataset)
    progress(f"Comparing {name} with version {based_on} of {dataset}…")
    initial = current.get(dataset) if based_on == 0 else None
    preview = store.preview(dataset, result.data(), mode, initial=initial)
    return CheckedUpload(
        name=name,
        sha256=hashlib.sha256(content).hexdigest(),
        dataset=dataset,
        mode=mode,
        table=table,
        result=result,
        preview=preview,
        initial=initial,
    )


def workbook_sheets(content: bytes) -> tuple[str, ...]:
    """The sheet names of an Excel workbook, or () for any other file (check_upload reports what is wrong with it)."""
    if not content.startswith(b"PK"):
        return ()
    try:
        return tuple(fastexcel.read_excel(content).sheet_names)
    except Exception:  # any unreadable zip is reported by check_upload, with its reason
        return ()


def commit_upload(store: Store, checked: CheckedUpload, committed_by: str, *, seen_version: int | None = None) -> int:
    """Commit the checked rows; StaleVersionError when the dataset moved on since the version the user saw
    (``seen_version``, by default the one this check previewed), DuplicateKeyError on taken keys. Returns the new
    version."""
    return store.commit(
        checked.dataset,
        checked.frame,
        mode=checked.mode,
        based_on=checked.preview.based_on if seen_version is None else seen_version,
        file_name=checked.name,
        sha256=checked.sha256,
        committed_by=committed_by,
        initial=checked.initial,
    )
