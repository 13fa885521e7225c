"""What an uploaded file holds, in a few numbers for its preview: rows, date range, product lines, metrics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from sources.files import date_span


@dataclass(frozen=True)
class UploadSummary:
    """The shape of an upload: its rows, the dates it covers, and the product lines and metrics in it."""

    rows: int
    first_date: date | None
    latest_date: date | None
    product_lines: tuple[str, ...]
    metrics: tuple[str, ...]


def summarise_upload(frame: pl.DataFrame) -> UploadSummary:
    """The summary of a parsed upload (any dataset; lines and metrics only where the dataset has them)."""
    first, latest = date_span(frame)
    return UploadSummary(
        rows=frame.height,
        first_date=first,
        latest_date=latest,
        product_lines=_distinct(frame, "product_line"),
        metrics=_distinct(frame, "metric"),
    )


def _distinct(frame: pl.DataFrame, column: str) -> tuple[str, ...]:
    if column not in frame.columns:
        return ()
    return tuple(sorted(value for value in frame.get_column(column).unique().to_list() if value is not None))
