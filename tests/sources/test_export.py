"""Downloads neutralise formula injection and keep numbers as numbers; the export writes every dataset as CSV."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl

from sources.contracts import METRICS, contract_for
from sources.export import csv_bytes, export_current
from sources.files import load_bundle
from sources.store import open_store


def test_formula_cells_are_neutralised_and_numbers_kept() -> None:
    frame = pl.DataFrame(
        {
            "text": ['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx", "plain", None],
            "value": [-1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        }
    )
    text = csv_bytes(frame).decode("utf-8")
    assert text.startswith("\ufeff")
    assert text[1:].splitlines()[:5] == [
        "text,value",
        '"\'=HYPERLINK(""x"")",-1.5',
        "'+1,2.0",
        "'-2,3.0",
        "'@SUM(A1),4.0",
    ]
    assert "'\tx,5.0" in text
    assert "plain,7.0" in text
    assert text.rstrip().endswith(",8.0")


SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
ROOT = Path(__file__).resolve().parents[2]


def test_the_export_writes_every_datasets_current_version(store_url: str, tmp_path: Path) -> None:
    files = load_bundle(SAMPLE)
    store = open_store(store_url, tmp_path / "columnar")
    try:
        upload = pl.DataFrame(
            [(date(2030, 1, 1), "=HYPERLINK(1)", "arr", -5.0, None, None)], schema=METRICS.schema, orient="row"
        )
        store.commit(
            "metrics",
            upload,
            mode="append",
            based_on=0,
            file_name="more.csv",
            sha256="ab" * 32,
            committed_by="dana",
            initial=files.frames["metrics"],
        )
    finally:
        store.close()

    written = export_current(SAMPLE, store_url, tmp_path / "export", tmp_path / "columnar")
    assert sorted(written) == sorted(files.frames)
    for name, path in written.items():
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        stored_rows = 1 if name == "metrics" else 0
        assert len(lines) == 1 + files.frames[name].height + stored_rows, name
        assert lines[0] == ",".join(contract_for(name).schema), name
    assert "2030-01-01,'=HYPERLINK(1),arr,-5.0,," in written["metrics"].read_text(encoding="utf-8-sig").splitlines()


def test_the_export_command_reads_the_settings(sqlite_url: str, tmp_path: Path) -> None:
    out_dir = tmp_path / "export"
    environment = {**os.environ, "PILLARS_STORE_URL": sqlite_url, "PILLARS_DATA_DIR": str(SAMPLE)}
    finished = subprocess.run(
        [sys.executable, "-m", "sources.export", str(out_dir)],
        cwd=tmp_path,
        env={**environment, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    assert f"metrics: {out_dir / 'metrics.csv'}" in finished.stdout.splitlines()
    assert pl.read_csv(out_dir / "metrics.csv").height == load_bundle(SAMPLE).frames["metrics"].height
