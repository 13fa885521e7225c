"""Downloads neutralise formula injection and keep numbers as numbers."""

from __future__ import annotations

import polars as pl

from sources.export import csv_bytes


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
