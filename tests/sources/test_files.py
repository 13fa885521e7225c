"""Reading dataset files from a data directory: splitting CSV text, row numbers, and checks between datasets."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from sources.contracts import FEEDBACK, METRIC_CATALOG
from sources.files import DataError, load_bundle, load_dataset, read_csv_text

CATALOG = (
    "metric,label,unit,aggregation,higher_is_better,min,max\n"
    "arr,ARR,currency,last,true,0,\n"
    "logo_churn,Logo churn,percent,mean,false,0,100\n"
)
METRICS = "date,product_line,metric,value\n2025-01-01,Atlas,arr,100\n2025-02-01,Atlas,arr,110\n"


def write_dir(tmp_path: Path, **files: str) -> Path:
    for name, text in files.items():
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    return tmp_path


def test_rows_are_numbered_by_their_line_in_the_file() -> None:
    data = b'\xef\xbb\xbfdate,text\r\n2025-01-01,"two\nlines"\r\n\r\n2025-01-02,plain\r\n'
    raw = read_csv_text("f.csv", data)
    assert raw.header == ("date", "text")
    assert raw.rows.get_column("_row").to_list() == [2, 4, 5]
    assert raw.rows.get_column("c1").to_list() == ["two\nlines", None, "plain"]


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 65_536])
def test_records_read_in_chunks_are_the_same_table(monkeypatch: pytest.MonkeyPatch, chunk_rows: int) -> None:
    # the reader turns every few records into columns: row numbers, padding of short rows and multi-line cells must
    # not depend on where a chunk ends
    monkeypatch.setattr("sources.files._CHUNK_ROWS", chunk_rows)
    data = b'a,b,c\n1,"x\ny",3\n\n4,5\n6,7,8,9\n10,11,12\n'
    raw = read_csv_text("f.csv", data)
    assert raw.header == ("a", "b", "c")
    assert raw.rows.select("_row", "_cells", "c0", "c1", "c2").rows() == [
        (2, 3, "1", "x\ny", "3"),
        (4, 0, None, None, None),
        (5, 2, "4", "5", None),
        (6, 4, "6", "7", "8"),
        (7, 3, "10", "11", "12"),
    ]
    assert read_csv_text("f.csv", data.decode()).rows.equals(raw.rows)  # text already decoded: the same


def test_a_bad_byte_far_into_the_file_is_reported_with_its_line(monkeypatch: pytest.MonkeyPatch) -> None:
    # the text is decoded as it is read: rows already turned into columns before the bad byte change nothing
    monkeypatch.setattr("sources.files._CHUNK_ROWS", 1)
    with pytest.raises(DataError) as caught:
        read_csv_text("f.csv", b"a,b\n1,2\n3,4\n5,\xe9\n")
    assert caught.value.problems.select("row", "problem").rows() == [
        (4, "not valid UTF-8 text (byte 15); save as UTF-8")
    ]


def test_a_header_alone_and_blank_lines_before_it() -> None:
    raw = read_csv_text("f.csv", b"\n\r\n\na,b\n")
    assert raw.header == ("a", "b")
    assert raw.rows.height == 0
    assert raw.rows.columns == ["_row", "_cells", "c0", "c1"]
    assert read_csv_text("f.csv", b"").header == ()


@pytest.mark.parametrize(
    ("data", "row", "problem"),
    [
        (b"a,b\n1,2\n3,\x004\n", 3, "the file contains NUL bytes: it is not a text file"),
        (b"a,b\n1,2\n\xff\xfe,4\n", 3, "not valid UTF-8 text (byte 9); save as UTF-8"),
        (b'a,b\n1,2\n3,"open\n4,5\n', 3, "the CSV can't be read here: unexpected end of data"),
    ],
)
def test_files_that_are_not_csv_text_are_rejected_with_the_line(data: bytes, row: int, problem: str) -> None:
    with pytest.raises(DataError) as caught:
        read_csv_text("f.csv", data)
    assert caught.value.problems.select("row", "problem").rows() == [(row, problem)]


def test_load_dataset_raises_every_problem(tmp_path: Path) -> None:
    write_dir(tmp_path, metrics="date,product_line,metric,value\n2025-01-01,Atlas,arr,x\n2025-02-31,Atlas,arr,1\n")
    with pytest.raises(DataError) as caught:
        load_dataset(tmp_path, "metrics")
    assert caught.value.problems.select("row", "column", "value").rows() == [
        (2, "value", "x"),
        (3, "date", "2025-02-31"),
    ]


def test_bundle_reads_good_files_and_reports_the_rest(tmp_path: Path) -> None:
    write_dir(
        tmp_path,
        metric_catalog=CATALOG,
        metrics=METRICS + "2025-01-01,Atlas,nps,5\n2025-01-01,Beacon,logo_churn,140\n",
        practices="practice,cadence_days\nQBR,91\n",
        teams="team,product_line\nCore,Atlas\n",
        adoption="date,team,product_line,practice\n2025-01-05,Core,Atlas,QBR\n2025-01-06,Ghost,Atlas,Standup\n",
        feedback="date,product_line,channel,text\n2025-01-03,Atlas,survey,Great\n",
        targets="metric,period_start,period_end,target\narr,2025-01-01,2025-03-31,120\n",
    )
    read_at = datetime(2026, 1, 1, tzinfo=UTC)
    bundle = load_bundle(tmp_path, read_at=read_at)
    statuses = {name: info.status for name, info in bundle.sources.items()}
    assert statuses == {
        "metrics": "error",
        "metric_catalog": "ok",
        "targets": "ok",
        "feedback": "ok",
        "adoption": "error",
        "practices": "ok",
        "teams": "ok",
        "events": "missing",
    }
    assert bundle.sources["metrics"].problems.select("row", "column", "value", "problem").rows() == [
        (4, "metric", "nps", "unknown metric id: not in the metric catalog"),
        (5, "value", "140.0", "above the allowed maximum of 100"),
    ]
    assert bundle.sources["adoption"].problems.select("row", "column", "value").rows() == [
        (3, "practice", "Standup"),
        (3, "team", "Ghost"),
    ]
    assert bundle.sources["events"].problems.height == 0  # events is an optional dataset
    assert bundle.frame("metrics").height == 0  # a failed dataset is empty, never half-read
    assert bundle.frame("events").schema == pl.Schema(
        {"date": pl.Date, "event": pl.String, "product_line": pl.String, "kind": pl.String}
    )
    feedback = bundle.sources["feedback"]
    assert (feedback.rows, feedback.first_date, feedback.latest_date, feedback.read_at) == (
        1,
        date(2025, 1, 3),
        date(2025, 1, 3),
        read_at,
    )
    assert set(bundle.errors) == {"metrics", "adoption"}


def test_a_missing_required_file_is_reported(tmp_path: Path) -> None:
    bundle = load_bundle(write_dir(tmp_path, metric_catalog=CATALOG))
    info = bundle.sources["metrics"]
    assert info.status == "missing"
    assert info.problems.get_column("problem").to_list() == [f"file not found: {tmp_path / 'metrics.csv'}"]


@pytest.mark.parametrize("compact", [False, True])
def test_a_missing_dataset_reads_as_an_empty_frame_like_the_others(tmp_path: Path, compact: bool) -> None:
    # In a compact bundle (the dashboard's) a missing dataset's empty frame holds its labels compact as the others do,
    # so that a page joins it to them (a String product line does not join a Categorical one).
    bundle = load_bundle(write_dir(tmp_path, metric_catalog=CATALOG), compact=compact)
    if compact:
        bundle = bundle.compact()
    assert "feedback" not in bundle.frames
    empty = bundle.frame("feedback")
    assert empty.height == 0
    expected = FEEDBACK.compact(FEEDBACK.empty()) if compact else FEEDBACK.empty()
    assert empty.schema == expected.schema
    assert empty.schema["product_line"] == (pl.Categorical() if compact else pl.String())
    catalog = bundle.frame("metric_catalog")
    assert catalog.schema == (METRIC_CATALOG.compact(catalog) if compact else METRIC_CATALOG.empty()).schema
