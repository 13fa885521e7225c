"""AppTest fixtures: the app on the bundled sample data, and the sample CSVs read with the standard library only."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
APP = str(ROOT / "app.py")


def read_rows(name: str, data_dir: Path = SAMPLE) -> list[dict[str, str]]:
    """A dataset's rows as dicts of strings, read with the csv module (tests recompute numbers without Polars)."""
    with (data_dir / f"{name}.csv").open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., AppTest]:
    """A factory for an AppTest of app.py on the sample data; ``page`` switches to app_pages/<page>.py first."""
    monkeypatch.setenv("PILLARS_DATA_DIR", str(SAMPLE))
    monkeypatch.setenv("PILLARS_STORE_URL", f"sqlite:///{tmp_path / 'store' / 'pillars.db'}")
    monkeypatch.chdir(ROOT)
    st.cache_resource.clear()  # settings and data are cached per process; each test starts from its own

    def make(page: str | None = None, query: dict[str, str | list[str]] | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        for key, value in (query or {}).items():
            at.query_params[key] = value
        at.run()
        if page is not None:
            at.switch_page(f"app_pages/{page}.py").run()
        return at

    return make
