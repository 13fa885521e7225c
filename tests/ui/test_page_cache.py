"""ui.page_cache's cuts of a dataset: shared between runs, or made for background work alone."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import streamlit as st
from polars.testing import assert_frame_equal

from insights.scope import rows_in_scope
from sources.files import load_bundle
from ui import page_cache

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def test_a_cut_for_the_background_is_the_same_rows_and_leaves_the_readers_cuts_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    st.cache_resource.clear()
    data = replace(load_bundle(SAMPLE, compact=True), key="sample")
    columns = ("product_line", "date", "nps_score")
    readers = [(None, date(2026, 1, 1), date(2026, 6, 30)), (("Atlas",), date(2025, 11, 1), date(2026, 10, 31))]
    shared = [page_cache.rows_of_lines(data, "feedback", *cut, columns) for cut in readers]
    cuts: list[object] = []
    real = page_cache._cut

    def counted(*arguments: Any) -> pl.DataFrame:
        cuts.append(arguments[1:])
        return real(*arguments)

    monkeypatch.setattr(page_cache, "_cut", counted)

    alone = page_cache.rows_of_lines(
        data, "feedback", ("Beacon",), date(2025, 1, 1), date(2025, 3, 31), columns, shared=False
    )
    expected = rows_in_scope(data.frame("feedback").select(columns), ("Beacon",), date(2025, 1, 1), date(2025, 3, 31))
    assert alone.height > 0
    assert_frame_equal(alone, expected)
    assert len(cuts) == 1
    # the readers' two cuts are still kept (the server keeps two): read back, not cut again
    for cut, frame in zip(readers, shared, strict=True):
        assert page_cache.rows_of_lines(data, "feedback", *cut, columns) is frame
    assert len(cuts) == 1
    # and a cut for the background is never kept: asked again, it is cut again
    page_cache.rows_of_lines(data, "feedback", ("Beacon",), date(2025, 1, 1), date(2025, 3, 31), columns, shared=False)
    assert len(cuts) == 2
