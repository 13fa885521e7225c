"""Comparing any two stored versions of a dataset, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date

import polars as pl

from sources.contracts import CONTRACTS
from sources.history import compare_versions
from sources.store import Store


def metrics(rows: list[tuple[str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        [(date.fromisoformat(day), line, "arr", value, None, None) for day, line, value in rows],
        schema=CONTRACTS["metrics"].schema,
        orient="row",
    )


def test_any_two_versions_compare_by_key(store: Store) -> None:
    initial = metrics([("2026-01-01", "Atlas", 100.0), ("2026-01-01", "Beacon", 50.0)])
    store.commit(
        "metrics",
        metrics([("2026-02-01", "Atlas", 110.0)]),
        mode="append",
        based_on=0,
        file_name="feb.csv",
        sha256="a",
        committed_by="dana",
        initial=initial,
    )  # version 1: + Atlas Feb
    store.commit(
        "metrics",
        metrics([("2026-01-01", "Atlas", 105.0), ("2026-02-01", "Atlas", 110.0)]),
        mode="replace",
        based_on=1,
        file_name="fix.csv",
        sha256="b",
        committed_by="dana",
        initial=None,
    )  # version 2: Atlas Jan 100 → 105, Beacon Jan removed
    diff = compare_versions(store, "metrics", 0, 2)
    assert diff.added.select("date", "product_line", "value").rows() == [(date(2026, 2, 1), "Atlas", 110.0)]
    assert diff.removed.select("date", "product_line", "value").rows() == [(date(2026, 1, 1), "Beacon", 50.0)]
    assert diff.changed.select("product_line", "column", "old", "new").rows() == [("Atlas", "value", "100.0", "105.0")]
    assert diff.largest_changes.select("product_line", "old", "new", "change").rows() == [("Atlas", 100.0, 105.0, 5.0)]
    backwards = compare_versions(store, "metrics", 2, 1)
    assert backwards.added.select("product_line", "value").rows() == [("Beacon", 50.0)]
    assert backwards.removed.height == 0
    assert compare_versions(store, "metrics", 1, 1).is_empty


def test_current_versions_of_every_dataset_in_one_call(store: Store) -> None:
    assert store.current_versions() == dict.fromkeys(CONTRACTS, 0)
    initial = metrics([("2026-01-01", "Atlas", 100.0)])
    store.commit(
        "metrics",
        metrics([("2026-02-01", "Atlas", 110.0)]),
        mode="append",
        based_on=0,
        file_name="feb.csv",
        sha256="a",
        committed_by="dana",
        initial=initial,
    )
    assert store.current_versions() == {**dict.fromkeys(CONTRACTS, 0), "metrics": 1}
    assert store.current_versions() == {name: store.current_version(name) for name in CONTRACTS}
