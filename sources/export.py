"""CSV bytes for downloads, safe to open in a spreadsheet: formula-like text cells are neutralised."""

from __future__ import annotations

import polars as pl

# A text cell starting with =, +, -, @, tab or CR is run as a formula by spreadsheet programs (OWASP CSV injection).


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe; numbers stay numbers."""
    text_columns = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(r"^[=+\-@\t\r]"))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in text_columns
    )


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """The frame as UTF-8 CSV (with a BOM, so Excel reads accents right), formulas neutralised."""
    return b"\xef\xbb\xbf" + neutralise_formulas(frame).write_csv().encode("utf-8")
