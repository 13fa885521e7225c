"""AppTest fixtures: the app on the bundled sample data, and the sample CSVs read with the standard library only."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from ui import overview_cache, runtime

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
APP = str(ROOT / "app.py")


def read_rows(name: str, data_dir: Path = SAMPLE) -> list[dict[str, str]]:
    """A dataset's rows as dicts of strings, read with the csv module (tests recompute numbers without Polars)."""
    with (data_dir / f"{name}.csv").open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[..., AppTest]]:
    """A factory for an AppTest of app.py on the sample data; ``page`` switches to app_pages/<page>.py first."""
    monkeypatch.setenv("PILLARS_DATA_DIR", str(SAMPLE))
    monkeypatch.setenv("PILLARS_STORE_URL", f"sqlite:///{tmp_path / 'store' / 'pillars.db'}")
    monkeypatch.chdir(ROOT)
    st.cache_resource.clear()  # settings and data are cached per process; each test starts from its own
    # Background work starts without waiting for a pause; each app made here waits for what its first run started, and
    # the test for the rest: it writes to this test's store, never to the next test's. The Overview makes only the
    # latest period ahead, not the 8 before it (a third of this folder's time, the same code each time): the tests of
    # that work ask for them.
    monkeypatch.setattr(runtime, "QUIET", 0.0)
    monkeypatch.setattr(overview_cache, "RECENT_PERIODS", 0)

    def make(page: str | None = None, query: dict[str, str | list[str]] | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        for key, value in (query or {}).items():
            at.query_params[key] = value
        at.run()
        if page is not None:
            at.switch_page(f"app_pages/{page}.py").run()
        assert runtime.join_warm_ups(timeout=60)
        return at

    yield make
    assert runtime.join_warm_ups(timeout=60)


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_end(year: int, month: int) -> date:
    """The last day of a month (1–12)."""
    first_of_next = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return first_of_next - timedelta(days=1)


def period_bounds(label: str) -> tuple[date, date]:
    """First and last day of a period label on the header ("Q3 FY26" or "Sep 2026"; fiscal year = calendar year)."""
    quarter = re.fullmatch(r"Q(\d) FY(\d\d)", label)
    if quarter:
        year, first_month = 2000 + int(quarter[2]), 3 * (int(quarter[1]) - 1) + 1
        return date(year, first_month, 1), month_end(year, first_month + 2)
    month = re.fullmatch(r"(\w{3}) (\d{4})", label)
    assert month, f"unexpected period label {label!r}"
    year, number = int(month[2]), MONTHS.index(month[1]) + 1
    return date(year, number, 1), month_end(year, number)


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """The content of every file handed to Streamlit's media storage (download buttons), by file id."""
    stored: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self: MemoryMediaFileStorage, path_or_data: Any, *args: Any, **kwargs: Any) -> str:
        file_id: str = original(self, path_or_data, *args, **kwargs)
        if isinstance(path_or_data, bytes):
            stored[file_id] = path_or_data
        elif isinstance(path_or_data, str) and not Path(path_or_data).is_file():
            stored[file_id] = path_or_data.encode()
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return stored


def downloaded(at: AppTest, key: str, downloads: dict[str, bytes]) -> bytes:
    """What the download button ``key`` hands the browser."""
    file_id = at.download_button(key=key).proto.url.rsplit("/", 1)[-1].split(".")[0]
    return downloads[file_id]
