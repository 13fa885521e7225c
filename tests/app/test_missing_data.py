"""Every page runs with any one dataset missing: it reads as empty, with its contract's columns held as the others are
(a compact bundle's empty frame is compact too), and the pages say what is missing instead of failing."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from sources.contracts import CONTRACTS
from tests.app.conftest import SAMPLE

PAGES = ("business", "customers", "process", "data", "overview")


@pytest.mark.parametrize("missing", sorted(CONTRACTS))
def test_every_page_runs_without_one_dataset(
    app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, missing: str
) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(SAMPLE, data_dir)
    (data_dir / f"{missing}.csv").unlink(missing_ok=True)
    monkeypatch.setenv("PILLARS_DATA_DIR", str(data_dir))
    st.cache_resource.clear()
    st.cache_data.clear()

    at = app()  # the Overview
    assert not at.exception, missing
    for page in PAGES:
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, (missing, page)
    # and the Overview's other views: one product line, another range
    lines = at.multiselect(key="lines")
    if lines.options:
        lines.set_value(list(lines.options)[:1]).run()
        assert not at.exception, (missing, "one line")
    at.date_input(key="range").set_value((date(2025, 1, 1), date(2025, 12, 31))).run()
    assert not at.exception, (missing, "another range")
