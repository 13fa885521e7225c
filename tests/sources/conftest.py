"""Fixtures of the sources tests: an empty store on each engine (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sources.store import Store, open_store


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[Store]:
    """An empty store on each engine, with its Parquet copies in the test's folder."""
    opened = open_store(store_url, tmp_path / "columnar")
    yield opened
    opened.close()
