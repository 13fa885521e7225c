"""CSV bytes for downloads, safe in a spreadsheet; `python -m sources.export OUTDIR` exports every dataset as CSV."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

from sources.contracts import contract_for
from sources.current import current_bundle, stored_versions
from sources.files import load_bundle
from sources.settings import load_settings
from sources.store import open_store

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


def export_current(data_dir: Path, store_url: str, out_dir: Path, columnar_dir: Path | None = None) -> dict[str, Path]:
    """Write every dataset's current version (stored, else the files in ``data_dir``) as ``out_dir/<file name>``.

    Returns the files written, per dataset; a dataset whose files are missing or invalid and never stored is skipped.
    """
    store = open_store(store_url, columnar_dir)
    try:
        bundle = current_bundle(load_bundle(data_dir), store, stored_versions(store))
    finally:
        store.close()
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, frame in bundle.frames.items():
        path = out_dir / contract_for(name).file_name
        path.write_bytes(csv_bytes(frame))
        written[name] = path
    return written


def main(argv: list[str] | None = None) -> int:
    """Export every dataset's current version to CSV files in OUTDIR, reading the settings like the app does."""
    parser = argparse.ArgumentParser(prog="python -m sources.export", description=main.__doc__)
    parser.add_argument("out_dir", type=Path, metavar="OUTDIR", help="folder to write the CSV files to")
    arguments = parser.parse_args(argv)
    settings = load_settings()
    written = export_current(settings.data_dir, settings.store_url, arguments.out_dir, settings.columnar_dir)
    for name, path in written.items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
