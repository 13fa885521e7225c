"""Columnar copies of parsed files: parsed once per file version, read back with their problems and notes."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import sources.files
from sources.columnar import DerivedCache, FileIdentity, ParseCache, main
from sources.contracts import contract_for
from sources.files import load_bundle
from sources.parser import ParseResult

CATALOG = (
    "metric,label,unit,aggregation,higher_is_better,min,max\n"
    "arr,ARR,currency,last,true,0,\n"
    "logo_churn,Logo churn,percent,mean,false,0,100\n"
)
# "1,100" is read leniently (a note); row 4 refers to a metric the catalog does not have (a problem between datasets)
METRICS = (
    'date,product_line,metric,value\n2025-01-01,Atlas,arr,"1,100"\n2025-02-01,Atlas,arr,110\n2025-02-01,Atlas,nps,5\n'
)
PRACTICES = "practice,cadence_days\nQBR,91\nQBR,30\n"  # a duplicate key: a problem found by the parse itself
READ_AT = datetime(2026, 1, 1, tzinfo=UTC)


def write_dir(directory: Path, **files: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / f"{name}.csv").write_text(text, encoding="utf-8")
    return directory


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files the parser reads, in order."""
    calls: list[str] = []
    parse = sources.files.parse_csv_file

    def counting(path: Path, name: str) -> ParseResult:
        calls.append(name)
        return parse(path, name)

    monkeypatch.setattr(sources.files, "parse_csv_file", counting)
    return calls


def touch_later(path: Path, text: str) -> None:
    """Rewrite ``path`` and move its modification time on, as an edit a second later would."""
    before = path.stat().st_mtime_ns
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 1_000_000_000, before + 1_000_000_000))


def test_a_second_read_comes_from_the_copies_with_the_same_frames_problems_and_notes(
    tmp_path: Path, parsed: list[str]
) -> None:
    data = write_dir(tmp_path / "data", metric_catalog=CATALOG, metrics=METRICS, practices=PRACTICES)
    columnar = tmp_path / "columnar"
    first = load_bundle(data, READ_AT, columnar_dir=columnar)
    assert parsed == ["metrics", "metric_catalog", "practices"]
    second = load_bundle(data, READ_AT, columnar_dir=columnar)
    assert parsed == ["metrics", "metric_catalog", "practices"]  # nothing parsed again
    assert second.frames.keys() == first.frames.keys() == {"metric_catalog"}
    assert_frame_equal(second.frame("metric_catalog"), first.frame("metric_catalog"))
    for name, info in first.sources.items():
        again = second.sources[name]
        assert (again.status, again.rows, again.first_date, again.latest_date, again.notes, again.origin) == (
            info.status,
            info.rows,
            info.first_date,
            info.latest_date,
            info.notes,
            info.origin,
        )
        assert_frame_equal(again.problems, info.problems)
    assert second.sources["metrics"].problems.select("row", "column", "value", "problem").rows() == [
        (4, "metric", "nps", "unknown metric id: not in the metric catalog"),
    ]
    assert second.sources["metrics"].notes == ("metrics.csv, column 'value': thousands separators removed in 1 cell",)
    assert second.sources["practices"].problems.select("row", "problem").rows() == [
        (3, "duplicate key: the same practice as row 2"),
    ]
    assert not list(columnar.glob(".*"))  # no temporary file left behind


def test_a_changed_file_is_parsed_again_and_its_old_copy_removed(tmp_path: Path, parsed: list[str]) -> None:
    data = write_dir(tmp_path / "data", metric_catalog=CATALOG, metrics=METRICS)
    columnar = tmp_path / "columnar"
    load_bundle(data, READ_AT, columnar_dir=columnar)
    touch_later(data / "metrics.csv", "date,product_line,metric,value\n2025-03-01,Atlas,arr,120\n")
    bundle = load_bundle(data, READ_AT, columnar_dir=columnar)
    assert parsed == ["metrics", "metric_catalog", "metrics"]
    assert_frame_equal(
        bundle.frame("metrics"),
        pl.DataFrame(
            {
                "date": [date(2025, 3, 1)],
                "product_line": ["Atlas"],
                "metric": ["arr"],
                "value": [120.0],
                "segment": [None],
                "region": [None],
            },
            schema=contract_for("metrics").schema,
        ),
    )
    assert len(list(columnar.glob("metrics-*.json"))) == 1


def test_checks_between_datasets_run_again_when_another_file_changes(tmp_path: Path, parsed: list[str]) -> None:
    data = write_dir(tmp_path / "data", metric_catalog=CATALOG, metrics=METRICS)
    columnar = tmp_path / "columnar"
    assert load_bundle(data, READ_AT, columnar_dir=columnar).sources["metrics"].status == "error"
    touch_later(data / "metric_catalog.csv", CATALOG + "nps,NPS,score,mean,true,-100,100\n")
    bundle = load_bundle(data, READ_AT, columnar_dir=columnar)
    assert parsed == ["metrics", "metric_catalog", "metric_catalog"]  # metrics comes from its copy
    assert bundle.sources["metrics"].status == "ok"
    assert bundle.frame("metrics").get_column("value").to_list() == [1100.0, 110.0, 5.0]
    assert len(list(columnar.glob("checks-*"))) == 1


def test_an_incomplete_or_broken_copy_is_parsed_again(tmp_path: Path, parsed: list[str]) -> None:
    data = write_dir(tmp_path / "data", metric_catalog=CATALOG)
    columnar = tmp_path / "columnar"
    load_bundle(data, READ_AT, columnar_dir=columnar)
    (copy,) = columnar.glob("metric_catalog-*.json")
    copy.unlink()  # as if the writer stopped before its last file
    load_bundle(data, READ_AT, columnar_dir=columnar)
    (frame,) = columnar.glob("metric_catalog-*[0-9a-f].parquet")
    frame.write_bytes(b"not parquet")
    bundle = load_bundle(data, READ_AT, columnar_dir=columnar)
    assert parsed == ["metric_catalog", "metric_catalog", "metric_catalog"]
    assert bundle.frame("metric_catalog").get_column("metric").to_list() == ["arr", "logo_churn"]


def test_files_of_two_data_directories_keep_their_own_copies(tmp_path: Path) -> None:
    columnar = tmp_path / "columnar"
    first = write_dir(tmp_path / "first", metric_catalog=CATALOG)
    second = write_dir(tmp_path / "second", metric_catalog=CATALOG.replace("ARR", "Recurring revenue"))
    for _ in range(2):
        labels = [
            load_bundle(directory, READ_AT, columnar_dir=columnar).frame("metric_catalog").get_column("label")[0]
            for directory in (first, second)
        ]
        assert labels == ["ARR", "Recurring revenue"]


def test_a_copy_read_without_rows_has_only_the_contract_columns(tmp_path: Path) -> None:
    data = write_dir(tmp_path / "data", metric_catalog=CATALOG)
    identity = FileIdentity.of(data / "metric_catalog.csv")
    assert identity is not None
    cache = ParseCache(tmp_path / "columnar")
    assert cache.read("metric_catalog", identity) is None
    result = sources.files.parse_csv_file(data / "metric_catalog.csv", "metric_catalog")
    cache.write("metric_catalog", identity, result)
    with_rows = cache.read("metric_catalog", identity)
    without_rows = cache.read("metric_catalog", identity, with_rows=False)
    assert with_rows is not None
    assert without_rows is not None
    assert with_rows.frame.columns == ["_row", *contract_for("metric_catalog").schema]
    # kept compact (the metric ids as a Categorical), the same values
    assert_frame_equal(contract_for("metric_catalog").exact(without_rows.frame), result.data())
    assert FileIdentity.of(data / "absent.csv") is None


def test_the_command_line_prepares_the_copies(
    tmp_path: Path, parsed: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_dir(tmp_path / "data", metric_catalog=CATALOG, metrics=METRICS)
    main([str(data), str(tmp_path / "columnar")])
    assert "metric_catalog  ok                  2 rows" in capsys.readouterr().out
    load_bundle(data, READ_AT, columnar_dir=tmp_path / "columnar")
    assert parsed == ["metrics", "metric_catalog"]


def test_derived_frames_are_derived_once_read_back_equal_and_pruned(tmp_path: Path) -> None:
    cache = DerivedCache(tmp_path / "derived", keep=2)
    calls: list[str] = []

    def derive(version: str) -> dict[str, pl.DataFrame]:
        calls.append(version)
        return {
            "rows": pl.DataFrame({"day": [date(2026, 1, 1)], "value": [1.5], "line": ["Atlas"]}),
            "pairs": pl.DataFrame({"pair": [7]}, schema={"pair": pl.UInt32}),
        }

    first = cache.frames("prepared", "v1", lambda: derive("v1"), ("rows", "pairs"))
    again = cache.frames("prepared", "v1", lambda: derive("v1"), ("rows", "pairs"))
    assert calls == ["v1"]
    for part in ("rows", "pairs"):
        assert_frame_equal(again[part], first[part])
    cache.frames("prepared", "v2", lambda: derive("v2"), ("rows", "pairs"))
    cache.frames("prepared", "v3", lambda: derive("v3"), ("rows", "pairs"))
    # only the newest two versions stay, each with all its parts
    assert len(list((tmp_path / "derived").glob("prepared-*.json"))) == 2
    assert len(list((tmp_path / "derived").glob("prepared-*.parquet"))) == 4
    for broken in (tmp_path / "derived").glob("prepared-*.rows.parquet"):
        broken.write_bytes(b"not parquet")
    cache.frames("prepared", "v3", lambda: derive("v3"), ("rows", "pairs"))
    assert calls == ["v1", "v2", "v3", "v3"]  # a broken copy is derived again


def test_a_cache_tells_which_frames_it_holds_without_reading_them(tmp_path: Path) -> None:
    cache = DerivedCache(tmp_path / "derived", keep=2, code="this release")
    frames = {"rows": pl.DataFrame({"value": [1.5]})}
    assert not cache.has("prepared", "v1")
    cache.frames("prepared", "v1", lambda: frames, ("rows",))
    assert cache.has("prepared", "v1")
    assert not cache.has("prepared", "v2")  # another version
    assert not cache.has("scored", "v1")  # another name
    assert not DerivedCache(tmp_path / "derived", code="a later release").has("prepared", "v1")
    # written whole or not at all: a part without its marker is not held, nor are pruned versions
    for version in ("v2", "v3"):
        cache.frames("prepared", version, lambda: frames, ("rows",))
    assert not cache.has("prepared", "v1")
    assert cache.has("prepared", "v3")
    for marker in (tmp_path / "derived").glob("prepared-*.json"):
        marker.unlink()
    assert not cache.has("prepared", "v3")


def test_frames_derived_by_other_code_are_derived_again(tmp_path: Path) -> None:
    calls: list[str] = []

    def derive(code: str) -> dict[str, pl.DataFrame]:
        calls.append(code)
        return {"rows": pl.DataFrame({"value": [1.5 if code == "old" else 2.5]})}

    old = DerivedCache(tmp_path, code="old").frames("prepared", "v1", lambda: derive("old"), ("rows",))
    new = DerivedCache(tmp_path, code="new").frames("prepared", "v1", lambda: derive("new"), ("rows",))
    assert calls == ["old", "new"]  # the same data version, another release: derived again
    assert new["rows"].item() == 2.5
    again = DerivedCache(tmp_path, code="old").frames("prepared", "v1", lambda: derive("old"), ("rows",))
    assert calls == ["old", "new"]
    assert_frame_equal(again["rows"], old["rows"])


def test_the_copies_keep_labels_compact_and_the_bundle_comes_exact_or_compact(
    tmp_path: Path, parsed: list[str]
) -> None:
    feedback = (
        "date,product_line,channel,text,account,sentiment,theme\n"
        "2025-01-02,Atlas,survey,Too slow,Acme,negative,Speed\n"
        "2025-01-03,Atlas,support,Fine,,positive,\n"
    )
    data = write_dir(tmp_path / "data", feedback=feedback)
    columnar = tmp_path / "columnar"
    fresh = load_bundle(data, READ_AT, columnar_dir=columnar)
    assert fresh.frame("feedback").height == 2
    (copy,) = [path for path in columnar.glob("feedback-*.parquet") if not path.name.endswith(".problems.parquet")]
    # kept compact: a new process reads the labels as the dashboard holds them, with no casting
    schema = pl.read_parquet_schema(copy)
    assert [name for name, dtype in schema.items() if dtype == pl.Categorical] == [
        "product_line",
        "channel",
        "account",
        "segment",
        "sentiment",
        "theme",
        "category",
    ]
    exact = load_bundle(data, READ_AT, columnar_dir=columnar)
    compact = load_bundle(data, READ_AT, columnar_dir=columnar, compact=True)
    assert parsed == ["feedback"]  # both read the copy
    contract = contract_for("feedback")
    assert exact.frame("feedback").schema == pl.Schema(contract.schema)
    assert_frame_equal(exact.frame("feedback"), fresh.frame("feedback"))
    assert compact.frame("feedback").schema["theme"] == pl.Categorical
    assert_frame_equal(contract.exact(compact.frame("feedback")), fresh.frame("feedback"))
    # a fresh parse asked for compact is compact too
    assert_frame_equal(load_bundle(data, READ_AT, compact=True).frame("feedback"), compact.frame("feedback"))
