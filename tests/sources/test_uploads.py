"""Reading uploaded files safely: the bad-file corpus, sniffing, decoding, delimiters, Excel sheets, limits, checks."""

from __future__ import annotations

import gzip
import importlib.util
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import ModuleType

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sources.contracts import FEEDBACK, METRIC_CATALOG, METRICS, TARGETS
from sources.parser import DataError, ParseResult
from sources.uploads import UploadedTable, read_upload, validate_upload

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "uploads"
MAX_BYTES = 1_000_000
NOT_CORPUS = {"README.md", "make_corpus.py", ".gitattributes", "__pycache__"}


def _make_corpus() -> ModuleType:
    """The corpus generator, loaded from its path (tests/fixtures is not a package)."""
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_corpus = _make_corpus()


def catalog() -> pl.DataFrame:
    """The current catalog the corpus is checked against: arr ≥ 0, logo_churn 0–100, nps -100–100."""
    return pl.DataFrame(
        {
            "metric": ["arr", "logo_churn", "nps"],
            "label": ["ARR", "Logo churn", "NPS"],
            "unit": ["currency", "percent", "score"],
            "aggregation": ["last", "mean", "mean"],
            "higher_is_better": [True, False, True],
            "pillar": [None, None, None],
            "question": [None, None, None],
            "owner": [None, None, None],
            "description": [None, None, None],
            "format": [None, None, None],
            "min": [0.0, 0.0, -100.0],
            "max": [None, 100.0, 100.0],
            "overview": [None, None, None],
            "role": [None, None, None],
        },
        schema=METRIC_CATALOG.schema,
    )


CURRENT = {"metric_catalog": catalog()}


@dataclass(frozen=True)
class CorpusCase:
    """One row of the corpus README: a file, the dataset it is uploaded as, and the problems or notes it must give."""

    file: str
    dataset: str
    outcome: str
    expected: tuple[str, ...]


def corpus_cases() -> list[CorpusCase]:
    """The rows of the table in tests/fixtures/uploads/README.md."""
    cases = []
    for line in (CORPUS / "README.md").read_text(encoding="utf-8").splitlines():
        if not line.startswith("| `"):
            continue
        file, dataset, _, outcome, expected = (cell.strip() for cell in line.split("|")[1:-1])
        cases.append(CorpusCase(file.strip("`"), dataset, outcome, tuple(re.findall(r"`([^`]+)`", expected))))
    return cases


def upload(name: str, dataset: str = "metrics", sheet: str | None = None) -> ParseResult:
    """A corpus file read and validated as an upload of ``dataset``."""
    table = read_upload(name, (CORPUS / name).read_bytes(), max_bytes=MAX_BYTES, sheet=sheet)
    return validate_upload(table, dataset, CURRENT)


def problems_and_notes(case: CorpusCase) -> tuple[pl.DataFrame, list[str]]:
    try:
        result = upload(case.file, case.dataset)
    except DataError as error:
        return error.problems, error.notes
    return result.problems, result.notes


def without_source(note: str, source: str) -> str:
    for separator in (": ", ", "):
        if note.startswith(source + separator):
            return note[len(source) + len(separator) :]
    raise AssertionError(f"the note does not start with the file name: {note!r}")


def problem_rows(name: str, dataset: str = "metrics") -> list[tuple[int | None, str | None, str | None, str]]:
    """(row, column, value, problem) of a corpus file, whether reading or validating rejected it."""
    problems, _ = problems_and_notes(CorpusCase(name, dataset, "rejected", ()))
    assert problems.get_column("source").unique().to_list() in ([name], [])
    return [(row, column, value, problem) for _, row, column, value, problem in problems.iter_rows()]


@pytest.mark.parametrize("case", corpus_cases(), ids=lambda case: case.file)
def test_each_corpus_file_gives_what_the_readme_says(case: CorpusCase) -> None:
    problems, notes = problems_and_notes(case)
    if case.outcome == "rejected":
        assert sorted(set(problems.get_column("problem"))) == sorted(case.expected)
        assert problems.get_column("source").unique().to_list() == [case.file]
    else:
        assert case.outcome == "accepted"
        assert problems.height == 0, problems.to_dicts()
        assert sorted(without_source(note, case.file) for note in notes) == sorted(case.expected)


def test_the_readme_lists_every_corpus_file_and_only_those() -> None:
    files = {path.name for path in CORPUS.iterdir() if path.name not in NOT_CORPUS}
    listed = [case.file for case in corpus_cases()]
    assert sorted(listed) == sorted(files)
    assert len(files) >= 30
    assert {case.outcome for case in corpus_cases()} == {"accepted", "rejected"}


def test_the_committed_corpus_is_what_make_corpus_writes() -> None:
    written = make_corpus.corpus()
    assert set(written) == {path.name for path in CORPUS.iterdir() if path.name not in NOT_CORPUS}
    # compressed files depend on the compression library's version; their content is checked by the tests above
    compressed = {"gzip_named.csv", "bzip2_named.csv", "xz_named.csv", "zip_named.csv"}
    for name, data in written.items():
        if name not in compressed and not name.endswith(".xlsx") and name != "xlsx_named.csv":
            assert (CORPUS / name).read_bytes() == data, name


# --- rejected files name the row, column and value -----------------------------------------------------------------

AMBIGUOUS = "ambiguous date: day and month can't be told apart; write dates as YYYY-MM-DD"
MISSING = "required value is missing"


@pytest.mark.parametrize(
    ("name", "rows"),
    [
        ("empty.csv", [(None, None, None, "the file is empty: expected a header row")]),
        ("blank_header.csv", [(1, "(column 5)", None, "this column has values but no header")]),
        ("ambiguous_dates.csv", [(2, "date", "01/02/2025", AMBIGUOUS)]),
        ("impossible_date.csv", [(2, "date", "2024-02-30", "not a real calendar date")]),
        (
            "mixed_dates.csv",
            [
                (3, "date", "2025/02/01", "not a date: write dates as YYYY-MM-DD"),
                (4, "date", "15/03/2025", AMBIGUOUS),
            ],
        ),
        ("type_drift.csv", [(3, "value", "twelve", "not a number")]),
        (
            "na_nulls.csv",
            [(2, "value", None, MISSING), (3, "product_line", None, MISSING), (4, "value", None, MISSING)],
        ),
        (
            "decimal_commas.csv",
            [
                (2, "value", "1200,5", "decimal comma: write numbers with a '.' (12.5, not 12,5)"),
                (4, "value", "1,5", "decimal comma: write numbers with a '.' (12.5, not 12,5)"),
            ],
        ),
        ("short_rows.csv", [(3, None, None, "the row has 3 cells but the header has 4"), (3, "value", None, MISSING)]),
        ("long_rows.csv", [(3, None, None, "the row has 5 cells but the header has 4")]),
        ("unterminated_quote.csv", [(3, None, None, "the CSV can't be read here: unexpected end of data")]),
        ("nul_bytes.csv", [(3, None, None, "the file contains NUL bytes: it is not a text file")]),
        (
            "invalid_utf8.csv",
            [
                (
                    3,
                    None,
                    "2025-02-01,Z\ufffdrich,arr,2",
                    "not valid UTF-8 text (byte 69), and not windows-1252 either; save it as UTF-8",
                )
            ],
        ),
        (
            "duplicate_keys.csv",
            [
                (
                    4,
                    "date, product_line, metric, segment, region",
                    "date=2025-01-01, product_line=Atlas, metric=arr, segment=, region=",
                    "duplicate key: the same date, product_line, metric, segment, region as row 2",
                )
            ],
        ),
        ("unknown_metric.csv", [(3, "metric", "churn_rate", "unknown metric id: not in the metric catalog")]),
        (
            "out_of_bounds.csv",
            [
                (2, "value", "140.0", "above the allowed maximum of 100"),
                (3, "value", "-5.0", "below the allowed minimum of 0"),
            ],
        ),
        ("png_named.csv", [(None, None, None, "this is a PNG image, not a CSV or Excel file")]),
    ],
)
def test_rejected_files_name_row_column_and_value(
    name: str, rows: list[tuple[int | None, str | None, str | None, str]]
) -> None:
    assert problem_rows(name) == rows


def test_a_200_kb_cell_is_reported_on_its_row_and_column() -> None:
    [(row, column, value, problem)] = problem_rows("long_cell.csv")
    assert (row, column, problem) == (2, "product_line", "the value is longer than 10,000 characters")
    assert value == "A" * 200_000


def test_an_uploaded_catalog_is_checked_alone() -> None:
    # the current catalog is replaced by the upload, so 'churn' is not looked up anywhere
    assert problem_rows("catalog.csv", "metric_catalog") == [(3, "max", "0", "max is below min")]


# --- accepted files give the frame ---------------------------------------------------------------------------------


def metrics_frame(rows: list[int], product_lines: list[str] | None = None) -> pl.DataFrame:
    """The corpus' good metrics (three rows) as parsed, with their row numbers."""
    return pl.DataFrame(
        {
            "_row": rows,
            "date": [date(2025, 1, 1), date(2025, 2, 1), date(2025, 1, 1)],
            "product_line": product_lines or ["Atlas", "Atlas", "Beacon"],
            "metric": ["arr", "arr", "logo_churn"],
            "value": [1200.5, 1300.0, 1.5],
            "segment": [None, None, None],
            "region": [None, None, None],
        },
        schema={"_row": pl.Int64, **METRICS.schema},
    )


@pytest.mark.parametrize(
    ("name", "rows", "product_lines"),
    [
        ("crlf.csv", [2, 3, 4], None),
        ("lone_cr.csv", [2, 3, 4], None),
        ("bom.csv", [2, 3, 4], None),
        ("semicolon.csv", [2, 3, 4], None),
        ("tab.tsv", [2, 3, 4], None),
        ("sep_line.csv", [3, 4, 5], None),  # the sep= line keeps its line number
        ("utf16le_tab.txt", [2, 3, 4], ["Atlas", "Atlas", "Bécon"]),
    ],
)
def test_accepted_text_files_give_the_same_frame(name: str, rows: list[int], product_lines: list[str] | None) -> None:
    result = upload(name)
    assert result.ok, result.problems.to_dicts()
    assert_frame_equal(result.frame, metrics_frame(rows, product_lines))


@pytest.mark.parametrize(
    ("name", "kind", "encoding", "delimiter"),
    [
        ("crlf.csv", "csv", "utf-8", ","),
        ("bom.csv", "csv", "utf-8", ","),
        ("semicolon.csv", "csv", "utf-8", ";"),
        ("tab.tsv", "csv", "utf-8", "\t"),
        ("utf16le_tab.txt", "csv", "utf-16-le", "\t"),
        ("windows_1252.csv", "csv", "windows-1252", ","),
        ("xlsx_named.csv", "xlsx", None, None),
    ],
)
def test_how_a_file_was_read_is_reported(name: str, kind: str, encoding: str | None, delimiter: str | None) -> None:
    table = read_upload(name, (CORPUS / name).read_bytes(), max_bytes=MAX_BYTES)
    assert (table.file_kind, table.encoding, table.delimiter) == (kind, encoding, delimiter)


def test_windows_1252_accents_are_read_right() -> None:
    assert upload("windows_1252.csv").data().get_column("product_line").to_list() == ["Malmö – Nord", "Zürich"]


def test_blank_rows_are_skipped_and_rows_keep_their_line_numbers() -> None:
    frame = upload("blank_rows.csv").frame
    assert frame.select("_row", "value").rows() == [(3, 1.0), (6, 2.0)]


def test_thousands_currency_and_percent_are_read_as_numbers() -> None:
    assert upload("thousands.csv").data().get_column("value").to_list() == [1_200_000.0, 1_300_000.5]
    assert upload("currency_percent.csv").data().get_column("value").to_list() == [1200.0, 1300.0, 1.5]


def test_leading_zero_ids_stay_text() -> None:
    result = upload("leading_zero_ids.csv", "feedback")
    assert result.data().get_column("id").to_list() == ["00123", "007"]
    assert result.data().schema == pl.Schema(FEEDBACK.schema)


def test_formula_like_text_is_kept_and_signed_numbers_are_numbers() -> None:
    # downloads neutralise formulas (sources/export.py); uploads keep what the user wrote
    data = upload("formula_injection.csv").data()
    assert data.select("segment", "region", "value").rows() == [
        ('=HYPERLINK("http://example.com","x")', "@SUM(A1)", -3.0),
        ("+cmd", "-region", 5.0),
    ]


# --- Excel workbooks -----------------------------------------------------------------------------------------------


def test_the_first_sheet_is_read_with_dates_exact_numbers_and_excel_row_numbers() -> None:
    table = read_upload("two_sheets.xlsx", (CORPUS / "two_sheets.xlsx").read_bytes(), max_bytes=MAX_BYTES)
    assert (table.file_kind, table.sheet, table.sheets) == ("xlsx", "Metrics", ("Metrics", "Targets"))
    assert table.raw.header == ("date", "product_line", "metric", "value", "segment")
    # the formula's cached 1200.3000000000002 is shown as Excel shows it; the #N/A error cell reads as its text
    assert table.raw.rows.rows() == [
        (2, "2025-01-01", "Atlas", "arr", "1200", "Enterprise"),
        (3, "2025-02-01", "Atlas", "arr", "1200.3", None),
        (4, "2025-01-01", "Beacon", "logo_churn", "1.5", "#N/A"),
    ]
    result = validate_upload(table, "metrics", CURRENT)
    assert result.ok
    assert result.data().select("date", "value", "segment").rows() == [
        (date(2025, 1, 1), 1200.0, "Enterprise"),
        (date(2025, 2, 1), 1200.3, None),
        (date(2025, 1, 1), 1.5, None),
    ]


def test_another_sheet_can_be_chosen() -> None:
    result = upload("two_sheets.xlsx", "targets", sheet="Targets")
    expected = pl.DataFrame(
        {
            "_row": [2],
            "metric": ["arr"],
            "period_start": [date(2025, 1, 1)],
            "period_end": [date(2025, 3, 31)],
            "target": [9.0],
            "product_line": [None],
        },
        schema={"_row": pl.Int64, **TARGETS.schema},
    )
    assert_frame_equal(result.frame, expected)
    assert result.notes == ["two_sheets.xlsx: Excel workbook: sheet 'Targets' read (sheets: Metrics, Targets)"]


def test_an_unknown_sheet_names_the_sheets() -> None:
    with pytest.raises(DataError) as caught:
        upload("two_sheets.xlsx", sheet="Revenue")
    assert caught.value.problems.rows() == [
        (
            "two_sheets.xlsx",
            None,
            None,
            "Revenue",
            "there is no sheet named 'Revenue'; the sheets are: Metrics, Targets",
        )
    ]


def test_a_table_lower_in_the_sheet_keeps_excel_rows_and_columns() -> None:
    table = read_upload("header_below.xlsx", (CORPUS / "header_below.xlsx").read_bytes(), max_bytes=MAX_BYTES)
    assert table.raw.header == ("", "date", "product_line", "metric", "value")
    assert table.raw.rows.rows() == [(4, None, "2025-01-01", "Atlas", "arr", "7")]


def test_excel_cells_of_every_type_become_the_text_excel_shows() -> None:
    workbook = make_corpus.xlsx(
        [
            (
                "S",
                [
                    ["number", "mixed", "when", "flag", "text"],
                    [3.0, 1 / 3, ("date", 45658.5), ("bool", True), "=1+2"],
                    [0.1 + 0.2, "N/A", "2025-01-02", ("bool", False), "00123"],
                    [1e20, ("bool", True), ("date", 45659), None, ("error", "#DIV/0!")],
                    [-0.5, 2.5, ("error", "#REF!"), ("bool", True), ("date", 45658)],
                ],
                1,
            )
        ]
    )
    table = read_upload("cells.xlsx", workbook, max_bytes=MAX_BYTES)
    assert table.raw.rows.rows() == [
        (2, "3", "0.333333333333333", "2025-01-01 12:00:00", "true", "=1+2"),
        (3, "0.3", "N/A", "2025-01-02", "false", "00123"),
        (4, "1e+20", "true", "2025-01-02", None, "#DIV/0!"),
        (5, "-0.5", "2.5", "#REF!", "true", "2025-01-01"),
    ]
    assert table.notes == (
        "cells.xlsx: Excel workbook: sheet 'S' read",
        "cells.xlsx: 2 cells hold an Excel error (#DIV/0!, #REF!), read as that text",
    )


def test_an_empty_sheet_is_an_empty_file() -> None:
    table = read_upload("empty.xlsx", make_corpus.xlsx([("S", [], 1)]), max_bytes=MAX_BYTES)
    assert validate_upload(table, "metrics", CURRENT).problems.get_column("problem").to_list() == [
        "the file is empty: expected a header row"
    ]


def test_a_text_file_named_xlsx_is_read_as_csv() -> None:
    table = read_upload("metrics.xlsx", b"date,product_line,metric,value\n2025-01-01,Atlas,arr,1\n", max_bytes=100)
    assert (table.file_kind, table.notes) == (
        "csv",
        ("metrics.xlsx: the file is named .xlsx, but it holds text: read as CSV",),
    )


# --- sniffing: nothing but text and workbooks is ever parsed -------------------------------------------------------


def office_zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (
            b"7z\xbc\xaf\x27\x1c\x00\x04",
            "this is a 7-Zip archive, not a CSV or Excel file: unzip it and upload the file inside",
        ),
        (
            b"Rar!\x1a\x07\x01\x00",
            "this is a RAR archive, not a CSV or Excel file: unzip it and upload the file inside",
        ),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "this is a JPEG image, not a CSV or Excel file"),
        (b"GIF89a\x01\x00\x01\x00", "this is a GIF image, not a CSV or Excel file"),
        (office_zip("[Content_Types].xml", "word/document.xml"), "this is a Word document, not a CSV or Excel file"),
        (
            office_zip("[Content_Types].xml", "ppt/presentation.xml"),
            "this is a PowerPoint presentation, not a CSV or Excel file",
        ),
        (
            office_zip("mimetype", "content.xml"),
            "this is an OpenDocument file, not a CSV or Excel file: save it as .xlsx or CSV UTF-8",
        ),
        (b"PK\x03\x04 not really a zip", "this is a damaged zip file, not a CSV or Excel file"),
        (b"\n  <!DOCTYPE html><html></html>", "this is a web page or XML document, not a CSV or Excel file"),
    ],
)
def test_other_file_types_are_rejected_by_their_first_bytes(data: bytes, problem: str) -> None:
    with pytest.raises(DataError) as caught:
        read_upload("upload.csv", data, max_bytes=MAX_BYTES)
    assert caught.value.problems.rows() == [("upload.csv", None, None, None, problem)]


def test_compressed_csv_never_reaches_polars(monkeypatch: pytest.MonkeyPatch) -> None:
    good = (CORPUS / "crlf.csv").read_bytes()
    # the trap: Polars' reader decompresses on its own and would read the CSV inside
    assert pl.read_csv(io.BytesIO(gzip.compress(good))).height == 3
    assert pl.read_csv(io.BytesIO((CORPUS / "zstd_named.csv").read_bytes())).height == 1

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("Polars was handed the upload's bytes")

    monkeypatch.setattr(pl, "read_csv", refuse)
    monkeypatch.setattr(pl, "scan_csv", refuse)
    for name in ("gzip_named.csv", "zstd_named.csv"):
        with pytest.raises(DataError) as caught:
            read_upload(name, (CORPUS / name).read_bytes(), max_bytes=MAX_BYTES)
        assert caught.value.problems.get_column("problem").str.starts_with("this is a ").to_list() == [True]


def test_a_workbook_that_unpacks_to_far_more_than_the_limit_is_not_opened() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", " " * 2_000_000)
    data = buffer.getvalue()
    assert len(data) < 10_000
    with pytest.raises(DataError) as caught:
        read_upload("bomb.xlsx", data, max_bytes=10_000)
    assert caught.value.problems.get_column("problem").to_list() == [
        "the workbook unpacks to 1.9 MB, too much to read safely"
    ]


# --- decoding and delimiters ---------------------------------------------------------------------------------------


def test_utf16_big_endian_with_bom_is_read() -> None:
    data = b"\xfe\xff" + "date;product_line;metric;value\n2025-01-01;Zürich;arr;1\n".encode("utf-16-be")
    table = read_upload("be.txt", data, max_bytes=MAX_BYTES)
    assert (table.encoding, table.delimiter) == ("utf-16-be", ";")
    assert table.raw.rows.get_column("c1").to_list() == ["Zürich"]


@pytest.mark.parametrize(
    ("data", "row", "value", "problem"),
    [
        # 0x81 is not a windows-1252 character
        (
            b"a,b\n1,2\nx\x81y,3\n",
            3,
            "x\ufffdy,3",
            "not valid UTF-8 text (byte 10), and not windows-1252 either; save it as UTF-8",
        ),
        # a byte-order mark promises UTF-8, so nothing else is tried
        (b"\xef\xbb\xbfa,b\r\nCaf\xe9,1\r\n", 2, "Caf\ufffd,1", "not valid UTF-8 text (byte 12), save it as UTF-8"),
        (b"\xff\xfea\x00\n\x00\x00\xd8", 2, "\ufffd", "not valid UTF-16 text (byte 7), save it as UTF-8"),
    ],
)
def test_text_that_cannot_be_decoded_is_rejected_with_its_line(data: bytes, row: int, value: str, problem: str) -> None:
    with pytest.raises(DataError) as caught:
        read_upload("bad.csv", data, max_bytes=MAX_BYTES)
    assert caught.value.problems.rows() == [("bad.csv", row, None, value, problem)]


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("date|product_line|metric|value\n2025-01-01|Atlas|arr|1\n", "|"),
        ('date,product_line,metric,value\n2025-01-01,"A; B; C",arr,1\n', ","),
        ("date;product_line;metric;value\n2025-01-01;Atlas;arr;1,5\n", ";"),
        ("date\n2025-01-01\n", ","),
        ("", ","),
        # a comma in the header but semicolons on every line
        ("date;product, line;metric;value\n2025-01-01;Atlas;arr;1,5\n2025-01-02;Atlas;arr;2\n", ";"),
    ],
)
def test_the_delimiter_is_sniffed_from_the_first_lines(text: str, delimiter: str) -> None:
    assert read_upload("d.csv", text.encode(), max_bytes=MAX_BYTES).delimiter == delimiter


# --- limits --------------------------------------------------------------------------------------------------------


def test_size_is_checked_before_anything_else() -> None:
    compressed_and_big = b"\x1f\x8b" + bytes(2046)
    with pytest.raises(DataError) as caught:
        read_upload("big.csv", compressed_and_big, max_bytes=1024)
    assert caught.value.problems.rows() == [
        ("big.csv", None, None, None, "the file is 2.0 KB, over the upload limit of 1.0 KB")
    ]
    assert read_upload("ok.csv", b"a\n1\n", max_bytes=4).raw.header == ("a",)


def rows_csv(count: int, blank_lines: bool = False) -> bytes:
    lines = ["date,product_line,metric,value"]
    for day in range(1, count + 1):
        lines.append(f"2025-01-{day:02d},Atlas,arr,{day}")
        if blank_lines:
            lines.append("")
    return ("\n".join(lines) + "\n").encode()


def test_the_row_limit_stops_the_reader_at_the_first_row_past_it() -> None:
    with pytest.raises(DataError) as caught:
        read_upload("many.csv", rows_csv(6), max_bytes=MAX_BYTES, max_rows=5)
    assert caught.value.problems.rows() == [("many.csv", 7, None, None, "the file has more than 5 rows (the limit)")]
    # blank lines don't count
    assert read_upload("five.csv", rows_csv(5, blank_lines=True), max_bytes=MAX_BYTES, max_rows=5).raw.rows.height == 10


def test_the_row_limit_holds_for_workbooks() -> None:
    data = (CORPUS / "two_sheets.xlsx").read_bytes()
    with pytest.raises(DataError) as caught:
        read_upload("two_sheets.xlsx", data, max_bytes=MAX_BYTES, max_rows=2)
    assert caught.value.problems.rows() == [
        ("two_sheets.xlsx", 4, None, None, "the file has more than 2 rows (the limit)")
    ]
    assert read_upload("two_sheets.xlsx", data, max_bytes=MAX_BYTES, max_rows=3).raw.rows.height == 3


def test_an_uploaded_table_records_how_it_was_read() -> None:
    table = read_upload("semicolon.csv", (CORPUS / "semicolon.csv").read_bytes(), max_bytes=MAX_BYTES)
    assert isinstance(table, UploadedTable)
    assert (table.sheet, table.sheets, table.notes) == (None, (), ("semicolon.csv: columns are separated by ';'",))


def test_contract_and_reference_problems_are_reported_together() -> None:
    data = (
        b"date,product_line,metric,value\n"
        b"2025-01-01,Atlas,arr,twelve\n2025-01-01,Atlas,mrr,3\n2025-02-01,Atlas,nps,101\n"
    )
    result = validate_upload(read_upload("m.csv", data, max_bytes=MAX_BYTES), "metrics", CURRENT)
    assert result.problems.select("row", "column", "value", "problem").rows() == [
        (2, "value", "twelve", "not a number"),
        (3, "metric", "mrr", "unknown metric id: not in the metric catalog"),
        (4, "value", "101.0", "above the allowed maximum of 100"),
    ]


def test_without_a_current_catalog_metric_ids_are_not_checked() -> None:
    data = b"date,product_line,metric,value\n2025-01-01,Atlas,mrr,3\n"
    assert validate_upload(read_upload("m.csv", data, max_bytes=MAX_BYTES), "metrics", {}).ok
