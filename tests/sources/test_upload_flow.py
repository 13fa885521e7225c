"""Every corpus file through the whole upload flow against a real store (SQLite and PostgreSQL): a rejected file leaves
the store exactly as it was (row counts and a checksum compared before and after); an accepted one commits exactly the
rows it holds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from sources.contracts import CONTRACTS
from sources.parser import DataError
from sources.store import DuplicateKeyError, Store, open_store
from sources.upload_flow import check_upload, commit_upload
from tests.sources.test_uploads import CORPUS, MAX_BYTES, CorpusCase, catalog, corpus_cases

INITIAL_METRICS = pl.DataFrame(
    [
        (date(2024, 1, 1), "Atlas", "arr", 1000.0, None, None),
        (date(2024, 1, 1), "Atlas", "logo_churn", 1.5, None, None),
        (date(2024, 2, 1), "Beacon", "arr", 2000.0, None, None),
    ],
    schema=CONTRACTS["metrics"].schema,
    orient="row",
)


@pytest.fixture
def store(store_url: str, tmp_path: Path) -> Iterator[Store]:
    opened = open_store(store_url, tmp_path / "columnar")
    yield opened
    opened.close()


def current_frames(store: Store) -> dict[str, pl.DataFrame]:
    """What the app would hand the flow: each dataset's current rows (stored, else the 'files')."""
    frames = {name: contract.empty() for name, contract in CONTRACTS.items()}
    frames["metric_catalog"] = catalog()
    frames["metrics"] = store.read("metrics") if store.current_version("metrics") else INITIAL_METRICS
    return frames


def fingerprint(store: Store) -> dict[str, tuple[int, int, int]]:
    """Per dataset: its current version, row count and a checksum of its content."""
    result = {}
    for name in CONTRACTS:
        version = store.current_version(name)
        content = store.read(name) if version else pl.DataFrame()
        checksum = int(content.hash_rows(seed=1).sum()) if content.height else 0
        result[name] = (version, content.height, checksum)
    return result


def test_every_corpus_file_leaves_the_store_as_it_was_or_commits_exactly_its_rows(store: Store) -> None:
    first = check_upload(
        store,
        "seed.csv",
        b"date,product_line,metric,value\n2024-03-01,Atlas,arr,1100\n",
        "metrics",
        "append",
        current_frames(store),
        max_bytes=MAX_BYTES,
    )
    assert commit_upload(store, first, "tester") == 1
    cases: list[CorpusCase] = corpus_cases()
    assert len([case for case in cases if case.outcome == "rejected"]) >= 30
    for case in cases:
        before = fingerprint(store)
        try:
            checked = check_upload(
                store,
                case.file,
                (CORPUS / case.file).read_bytes(),
                case.dataset,
                "replace",
                current_frames(store),
                max_bytes=MAX_BYTES,
            )
        except DataError as error:
            problems = error.problems.to_dicts()[:3]
            assert case.outcome == "rejected", (case.file, problems)
            assert fingerprint(store) == before, case.file
            continue
        assert case.outcome == "accepted", case.file
        version = commit_upload(store, checked, "tester")
        assert version == before[case.dataset][0] + 1
        key = list(CONTRACTS[case.dataset].key)
        assert store.read(case.dataset).sort(key, nulls_last=True).equals(checked.frame.sort(key, nulls_last=True)), (
            case.file
        )


def test_a_commit_refused_for_taken_keys_changes_nothing(store: Store) -> None:
    first = check_upload(
        store,
        "a.csv",
        b"date,product_line,metric,value\n2024-03-01,Atlas,arr,1100\n",
        "metrics",
        "append",
        current_frames(store),
        max_bytes=MAX_BYTES,
    )
    commit_upload(store, first, "tester")
    again = check_upload(
        store,
        "b.csv",
        b"date,product_line,metric,value\n2024-03-01,Atlas,arr,1200\n",
        "metrics",
        "append",
        current_frames(store),
        max_bytes=MAX_BYTES,
    )
    assert not again.preview.accepted
    assert again.preview.conflicts.height == 1
    before = fingerprint(store)
    with pytest.raises(DuplicateKeyError, match="already"):
        commit_upload(store, again, "tester")
    assert fingerprint(store) == before
