"""Reading uploaded CSV and Excel files safely: real type sniffed, text decoded, delimiter found, limits kept."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from pathlib import PurePath

import charset_normalizer
import fastexcel
import polars as pl

from sources.contracts import contract_for
from sources.files import read_csv_text
from sources.parser import ROW, DataError, ParseResult, RawTable, parse_table, problem_frame
from sources.references import reference_problems

ACCEPTED_EXTENSIONS = ("csv", "tsv", "txt", "xlsx")
"""File extensions the upload widget offers; the content, not the name, decides how a file is read."""

DEFAULT_MAX_ROWS = 2_000_000

_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {";": "';'", "\t": "tabs", "|": "'|'"}
_SNIFF_CHARS = 64 * 1024
_SNIFF_LINES = 20
_HEADER_SEARCH_ROWS = 100
# A workbook is a zip: its declared unpacked size may be this many times the upload limit, no more (zip bombs).
_MAX_EXPANSION = 100
_EXCEL_SIGNIFICANT_DIGITS = 15  # what Excel stores and shows; more digits are float noise
_SHOWN_CHARS = 60

_COMPRESSED = ", not a CSV or Excel file: decompress it and upload the file inside"
_ARCHIVE = ", not a CSV or Excel file: unzip it and upload the file inside"
_NOT_A_TABLE = ", not a CSV or Excel file"
# First bytes of the file types people upload by mistake; checked before anything reads the content, because Polars'
# CSV reader silently decompresses gzip and zstd and would read the CSV inside a compressed file.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "a gzip-compressed file" + _COMPRESSED),
    (b"\x28\xb5\x2f\xfd", "a zstd-compressed file" + _COMPRESSED),
    (b"\xfd7zXZ\x00", "an xz-compressed file" + _COMPRESSED),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive" + _ARCHIVE),
    (b"Rar!\x1a\x07", "a RAR archive" + _ARCHIVE),
    (b"\x89PNG\r\n\x1a\n", "a PNG image" + _NOT_A_TABLE),
    (b"\xff\xd8\xff", "a JPEG image" + _NOT_A_TABLE),
    (b"GIF87a", "a GIF image" + _NOT_A_TABLE),
    (b"GIF89a", "a GIF image" + _NOT_A_TABLE),
    (b"%PDF-", "a PDF document" + _NOT_A_TABLE),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "an Excel 97–2003 workbook (.xls) or another old Office file, which can't be read here: "
        "open it in Excel and save it as .xlsx or CSV UTF-8",
    ),
)
_BZIP2 = re.compile(rb"^BZh[1-9](1AY&SY|\x17rE8P\x90)")
_MARKUP = re.compile(r"^\s*(<!doctype html|<html|<\?xml|\{\\rtf)", re.IGNORECASE)
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
# A well-formed multi-byte UTF-8 sequence: a file holding these and invalid bytes mixes UTF-8 with something else.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]"
    rb"|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_SEP_HINT = re.compile(r"^sep=(.)\r?$")
_QUOTED = re.compile(r'"[^"]*"')
_MIDNIGHT = r"^(\d{4}-\d{2}-\d{2}) 00:00:00$"
_TEXT_SUFFIX = "__text"
# how fastexcel describes an error cell it could not convert: "Expected float but got 'Error(Div0)'"
_EXCEL_ERROR_DETAIL = re.compile(r"but got '?Error\((\w+)\)")
_EXCEL_ERRORS = {
    "Div0": "#DIV/0!",
    "NA": "#N/A",
    "Name": "#NAME?",
    "Null": "#NULL!",
    "Num": "#NUM!",
    "Ref": "#REF!",
    "Value": "#VALUE!",
    "GettingData": "#GETTING_DATA",
}


@dataclass(frozen=True)
class UploadedTable:
    """An uploaded file split into text cells, with how it was read and what was normalised on the way."""

    raw: RawTable
    file_kind: str  # "csv" or "xlsx"
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    sheets: tuple[str, ...]
    notes: tuple[str, ...]


def read_upload(
    file_name: str, data: bytes, *, max_bytes: int, max_rows: int = DEFAULT_MAX_ROWS, sheet: str | None = None
) -> UploadedTable:
    """An uploaded CSV or Excel file as text cells; raises DataError for anything that is not a readable table."""
    if len(data) > max_bytes:
        raise _error(file_name, f"the file is {_size(len(data))}, over the upload limit of {_size(max_bytes)}")
    # the content decides how a file is read; a name that disagrees only adds a note (an xlsx named .csv is read as
    # Excel, since refusing a file whose content is unambiguous helps nobody)
    extension = PurePath(file_name).suffix.lower()
    if _is_workbook(file_name, data, max_bytes):
        notes = (
            []
            if extension in {".xlsx", ".xlsm"}
            else [f"{_named(extension)}, but it is an Excel workbook: read as Excel"]
        )
        return _read_workbook(file_name, data, sheet=sheet, max_rows=max_rows, notes=notes)
    notes = [f"{_named(extension)}, but it holds text: read as CSV"] if extension in {".xlsx", ".xlsm", ".xls"} else []
    return _read_text(file_name, data, max_rows=max_rows, notes=notes)


def validate_upload(table: UploadedTable, dataset: str, current: Mapping[str, pl.DataFrame]) -> ParseResult:
    """Parse an upload against its dataset's contract, then check it against the current other datasets."""
    contract = contract_for(dataset)
    result = parse_table(table.raw, contract)
    # the upload replaces its own dataset, so only the others are references (an uploaded catalog is checked alone)
    others = {name: frame for name, frame in current.items() if name != dataset}
    cross = reference_problems({dataset: result}, others).get(dataset)
    problems = result.problems
    if cross is not None:
        problems = pl.concat([problems, cross]).sort("row", "column", nulls_last=False, maintain_order=True)
    return ParseResult(contract, result.source, result.frame, problems, [*table.notes, *result.notes])


def _error(
    source: str, problem: str, row: int | None = None, column: str | None = None, value: str | None = None
) -> DataError:
    return DataError(problem_frame([(source, row, column, value, problem)]))


def _size(count: int) -> str:
    if count < 1024:
        return f"{count:,} bytes"
    if count < 1024 * 1024:
        return f"{count / 1024:,.1f} KB"
    return f"{count / (1024 * 1024):,.1f} MB"


def _named(extension: str) -> str:
    return f"the file is named {extension}" if extension else "the file has no extension"


def _is_workbook(source: str, data: bytes, max_bytes: int) -> bool:
    """True for an Excel workbook; raises DataError for every other kind of binary file."""
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            raise _error(source, f"this is {what}")
    if _BZIP2.match(data):
        raise _error(source, f"this is a bzip2-compressed file{_COMPRESSED}")
    if data.startswith(_ZIP_SIGNATURES):
        return _zip_is_workbook(source, data, max_bytes)
    if _MARKUP.match(data[:1024].decode("utf-8", errors="ignore")):
        raise _error(source, f"this is a web page or XML document{_NOT_A_TABLE}")
    return False


def _zip_is_workbook(source: str, data: bytes, max_bytes: int) -> bool:
    """Tell an xlsx from other zip files by its entry names; the entries themselves are never unpacked here."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _error(source, f"this is a damaged zip file{_NOT_A_TABLE}") from None
    names = {entry.filename for entry in entries}
    if "[Content_Types].xml" in names and any(name.startswith("xl/") for name in names):
        unpacked = sum(entry.file_size for entry in entries)
        if unpacked > _MAX_EXPANSION * max_bytes:
            raise _error(source, f"the workbook unpacks to {_size(unpacked)}, too much to read safely")
        return True
    if any(name.startswith("word/") for name in names):
        what = "a Word document"
    elif any(name.startswith("ppt/") for name in names):
        what = "a PowerPoint presentation"
    elif {"mimetype", "content.xml"} <= names:
        raise _error(source, f"this is an OpenDocument file{_NOT_A_TABLE}: save it as .xlsx or CSV UTF-8")
    else:
        raise _error(source, f"this is a zip archive{_ARCHIVE}")
    raise _error(source, f"this is {what}{_NOT_A_TABLE}")


# --- text files ----------------------------------------------------------------------------------------------------


def _read_text(source: str, data: bytes, *, max_rows: int, notes: list[str]) -> UploadedTable:
    text, encoding, encoding_notes = _decoded(source, data)
    text, line_notes = _normalised_line_ends(text)
    text, delimiter, delimiter_notes = _delimiter(text)
    raw = read_csv_text(source, text, delimiter=delimiter, max_rows=max_rows)
    all_notes = [*notes, *encoding_notes, *line_notes, *delimiter_notes]
    return UploadedTable(raw, "csv", encoding, delimiter, None, (), tuple(f"{source}: {note}" for note in all_notes))


def _decoded(source: str, data: bytes) -> tuple[str, str, list[str]]:
    """The text, its encoding and a note on how it was decoded; raises DataError for bytes that aren't text."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(source, data, "utf-8", 3), "utf-8", ["UTF-8 byte-order mark removed"]
    for bom, codec, label in ((b"\xff\xfe", "utf-16-le", "UTF-16 LE"), (b"\xfe\xff", "utf-16-be", "UTF-16 BE")):
        if data.startswith(bom):
            text = _strict(source, data, codec, len(bom))
            if "\x00" in text:
                raise _error(source, "the file contains NUL characters: it is not a text file", _line_of(text))
            return text, codec, [f"read as {label} text (Excel's “Unicode text”), byte-order mark removed"]
    if b"\x00" in data:
        at = data.index(b"\x00")
        # UTF-16 without a byte-order mark has a NUL beside every ASCII letter
        looks_utf16 = data[:200].count(b"\x00") * 3 >= len(data[:200])
        advice = "; it looks like UTF-16 text without a byte-order mark: save it as UTF-8" if looks_utf16 else ""
        raise _error(
            source, f"the file contains NUL bytes{advice or ': it is not a text file'}", _line_of_bytes(data, at)
        )
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError as error:
        first_bad_byte = error.start
    single_byte = _windows_1252(data)
    if single_byte is None:
        raise _invalid_text(
            source, data, 0, first_bad_byte, "utf-8", "UTF-8", "and not windows-1252 either; save it as UTF-8"
        )
    return single_byte, "windows-1252", [_windows_1252_note(single_byte)]


def _strict(source: str, data: bytes, codec: str, start: int) -> str:
    try:
        return data[start:].decode(codec)
    except UnicodeDecodeError as error:
        label = "UTF-8" if codec == "utf-8" else "UTF-16"
        raise _invalid_text(source, data, start, start + error.start, codec, label, "save it as UTF-8") from None


def _invalid_text(
    source: str, data: bytes, start: int, position: int, codec: str, label: str, advice: str
) -> DataError:
    """The problem for the first byte that can't be decoded: its line, and that line's text up to and around it."""
    before = data[start:position].decode(codec, errors="replace")
    after = data[position : position + 4 * _SHOWN_CHARS].decode(codec, errors="replace")
    row = before.count("\n") + before.count("\r") - before.count("\r\n") + 1
    line = re.split(r"\r\n|\r|\n", before)[-1] + re.split(r"\r\n|\r|\n", after, maxsplit=1)[0]
    return _error(source, f"not valid {label} text (byte {position + 1}), {advice}", row, value=line[:_SHOWN_CHARS])


def _windows_1252(data: bytes) -> str | None:
    """The text read as windows-1252 when that is plausible, else None.

    charset-normalizer's guess of the single best encoding is unreliable on small files (it names cp775 or cp1250 for
    a few French words), so it is asked one question only: does windows-1252 give readable text. Bytes that already
    hold well-formed UTF-8 sequences are broken UTF-8, not windows-1252.
    """
    if _UTF8_SEQUENCE.search(data):
        return None
    match = charset_normalizer.from_bytes(data, cp_isolation=["cp1252"]).best()
    return None if match is None else str(match)


def _windows_1252_note(text: str) -> str:
    line_number, line = next(
        ((number, line) for number, line in enumerate(text.splitlines(), start=1) if not line.isascii()), (1, "")
    )
    return (
        f"not UTF-8: read as windows-1252 (Western European), e.g. line {line_number}: "
        f"{line[:_SHOWN_CHARS]!r}; check the accents, or save the file as UTF-8"
    )


def _line_of(text: str) -> int:
    return text[: text.index("\x00")].count("\n") + 1


def _line_of_bytes(data: bytes, position: int) -> int:
    before = data[:position]
    return before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1


def _normalised_line_ends(text: str) -> tuple[str, list[str]]:
    """CRLF is read as is; lone CRs (old Mac files) become LF, which the CSV reader would otherwise count wrong."""
    carriage_returns = text.count("\r")
    if not carriage_returns:
        return text, []
    if text.count("\r\n") == carriage_returns:
        return text, ["Windows line ends (CRLF)"]
    return text.replace("\r\n", "\n").replace("\r", "\n"), ["old Mac line ends (CR) read as line breaks"]


def _delimiter(text: str) -> tuple[str, str, list[str]]:
    """The column separator: Excel's ``sep=`` first line when present, else sniffed from the first lines.

    Written by hand because csv.Sniffer guesses from character frequencies and picks letters or quotes on small files;
    here only the four separators spreadsheets write are candidates, and the header line must contain the winner.
    """
    first_line, _, rest = text.partition("\n")
    hint = _SEP_HINT.match(first_line)
    if hint and hint.group(1) in _DELIMITERS:
        delimiter = hint.group(1)
        # the hint line is blanked, not removed, so rows keep their line numbers
        note = f"the first line {first_line.strip()!r} (Excel's separator hint) was skipped"
        return "\n" + rest, delimiter, [note, *_delimiter_note(delimiter)]
    head = text[:_SNIFF_CHARS]
    lines = head.split("\n")
    if len(head) < len(text) and len(lines) > 1:
        lines = lines[:-1]
    lines = [line for line in lines if line.strip()][:_SNIFF_LINES]
    if not lines:
        return text, ",", []
    unquoted = [_QUOTED.sub("", line) for line in lines]
    counts = {delimiter: [line.count(delimiter) for line in unquoted] for delimiter in _DELIMITERS}
    candidates = [delimiter for delimiter in _DELIMITERS if counts[delimiter][0]]
    if not candidates:
        return text, ",", []
    # the separator that splits most lines into as many cells as the header; ties go to the earlier (',' first)
    delimiter = max(
        candidates,
        key=lambda candidate: (
            sum(count == counts[candidate][0] for count in counts[candidate]),
            counts[candidate][0],
        ),
    )
    return text, delimiter, _delimiter_note(delimiter)


def _delimiter_note(delimiter: str) -> list[str]:
    return [f"columns are separated by {_DELIMITER_NAMES[delimiter]}"] if delimiter in _DELIMITER_NAMES else []


# --- Excel workbooks -----------------------------------------------------------------------------------------------


def _read_workbook(source: str, data: bytes, *, sheet: str | None, max_rows: int, notes: list[str]) -> UploadedTable:
    try:
        reader = fastexcel.read_excel(data)
        names = tuple(reader.sheet_names)
    except fastexcel.FastExcelError as error:
        raise _error(source, f"the Excel file can't be read: {error}") from None
    if not names:
        raise _error(source, "the workbook has no sheets")
    chosen = names[0] if sheet is None else sheet
    if chosen not in names:
        raise _error(source, f"there is no sheet named {sheet!r}; the sheets are: {', '.join(names)}", value=sheet)
    notes = [
        *notes,
        f"Excel workbook: sheet '{chosen}' read" + (f" (sheets: {', '.join(names)})" if len(names) > 1 else ""),
    ]
    try:
        raw, sheet_notes = _sheet_cells(source, reader, chosen, max_rows)
    except fastexcel.FastExcelError as error:
        raise _error(source, f"the sheet '{chosen}' can't be read: {error}") from None
    all_notes = tuple(f"{source}: {note}" for note in [*notes, *sheet_notes])
    return UploadedTable(raw, "xlsx", None, None, chosen, names, all_notes)


def _sheet_cells(source: str, reader: fastexcel.ExcelReader, sheet: str, max_rows: int) -> tuple[RawTable, list[str]]:
    """The sheet's header (its first non-empty row) and its cells as text, rows numbered as Excel shows them."""
    probe = reader.load_sheet(sheet, header_row=None, skip_rows=0, n_rows=_HEADER_SEARCH_ROWS, dtypes="string")
    first_rows = probe.to_polars()
    if first_rows.width == 0:
        return RawTable.from_records(source, []), []
    filled = first_rows.select(
        pl.any_horizontal(pl.all().str.strip_chars().str.len_chars() > 0).fill_null(False).alias("filled")
    ).get_column("filled")
    if not filled.any():
        return RawTable.from_records(source, []), []
    header_index = int(filled.arg_true()[0])
    # columns left of the first used one stay as empty columns, so a column's position is its place in the sheet
    leading = probe.available_columns()[0].absolute_index
    header = ("",) * leading + tuple(cell or "" for cell in first_rows.row(header_index))
    notes = [] if header_index == 0 else [f"the header is on row {header_index + 1}; the empty rows above were skipped"]

    body = reader.load_sheet(sheet, header_row=None, skip_rows=header_index + 1, schema_sample_rows=None)
    batch, errors = body.to_arrow_with_errors()
    typed = pl.DataFrame(batch)
    first_row = header_index + 2
    if typed.height > max_rows:
        _check_row_limit(source, typed, max_rows, first_row)
    # fastexcel guesses a type per column from all rows, so numbers and dates come exact, but a cell of another type in
    # such a column (text in a number column) is lost; the text load has those cells. Each cell is taken from the typed
    # load when it is of the column's type, else from the text load. A column of mostly text comes as text, where
    # fastexcel writes numbers with at most 9 decimals: exact enough for text columns, and a number column with text
    # in it is rejected by the parser anyway.
    columns = [column for column in body.available_columns() if column.dtype != "string"]
    texts = (
        reader.load_sheet(
            sheet,
            header_row=None,
            skip_rows=header_index + 1,
            dtypes="string",
            use_columns=[column.absolute_index for column in columns],
        ).to_polars()
        if columns
        else pl.DataFrame()
    )
    with_texts = typed.hstack(texts.rename({name: f"{name}{_TEXT_SUFFIX}" for name in texts.columns}))
    cells = with_texts.select(
        (pl.int_range(pl.len(), dtype=pl.Int64) + first_row).alias(ROW),
        *[pl.lit(None, dtype=pl.String).alias(f"c{index}") for index in range(leading)],
        *[
            _cell_text(name, dtype, has_text=name in texts.columns).alias(f"c{leading + index}")
            for index, (name, dtype) in enumerate(typed.schema.items())
        ],
    )
    cells, error_notes = _with_excel_errors(cells, errors, leading)
    width = cells.width - 1
    return RawTable(source, header + ("",) * (width - len(header)), cells), [*notes, *error_notes]


def _cell_text(name: str, dtype: pl.DataType, *, has_text: bool) -> pl.Expr:
    """A column as the text a person sees: dates as YYYY-MM-DD, numbers without float noise, other cells as text."""
    typed = pl.col(name)
    # a date in a column that also holds text comes as "YYYY-MM-DD 00:00:00"
    text = pl.col(f"{name}{_TEXT_SUFFIX}").str.replace(_MIDNIGHT, "${1}") if has_text else pl.lit(None, pl.String)
    if dtype == pl.String():
        return typed.str.replace(_MIDNIGHT, "${1}")
    if dtype.is_numeric():
        exact = (
            typed.cast(pl.Float64).round_sig_figs(_EXCEL_SIGNIFICANT_DIGITS).cast(pl.String).str.replace(r"\.0$", "")
        )
        # true/false cells are read as 1/0 in a number column: only a cell whose text is a number is one
        is_number = text.cast(pl.Float64, strict=False).is_not_null() if has_text else pl.lit(value=True)
        return pl.when(typed.is_not_null() & is_number).then(exact).otherwise(text)
    if isinstance(dtype, pl.Datetime):
        date_text = (
            pl.when(typed.dt.time() == time(0))
            .then(typed.dt.strftime("%Y-%m-%d"))
            .otherwise(typed.dt.strftime("%Y-%m-%d %H:%M:%S"))
        )
        return pl.when(typed.is_not_null()).then(date_text).otherwise(text)
    if isinstance(dtype, pl.Date):
        return pl.when(typed.is_not_null()).then(typed.dt.strftime("%Y-%m-%d")).otherwise(text)
    # true/false, durations and empty columns: fastexcel's text ("true", "false")
    return text


def _check_row_limit(source: str, typed: pl.DataFrame, max_rows: int, first_row: int) -> None:
    filled = typed.select(pl.any_horizontal(pl.all().is_not_null()).alias("filled")).get_column("filled")
    if filled.sum() > max_rows:
        row = first_row + int(filled.arg_true()[max_rows])
        raise _error(source, f"the file has more than {max_rows:,} rows (the limit)", row)


def _with_excel_errors(
    cells: pl.DataFrame, errors: fastexcel.CellErrors | None, leading: int
) -> tuple[pl.DataFrame, list[str]]:
    """Error cells (#DIV/0!, #N/A …) hold the text Excel shows, as they would in a CSV saved from Excel."""
    replacements: dict[str, tuple[list[int], list[str]]] = {}
    for error in errors.errors if errors is not None else []:
        # the other errors are cells of another type than their column's, which the text load has filled in
        found = _EXCEL_ERROR_DETAIL.search(error.detail)
        if found is None:
            continue
        row, position = error.offset_position
        indices, texts = replacements.setdefault(f"c{leading + position}", ([], []))
        indices.append(row)
        texts.append(_EXCEL_ERRORS.get(found.group(1), f"#{found.group(1).upper()}"))
    if not replacements:
        return cells, []
    cells = cells.with_columns(
        cells.get_column(name).clone().scatter(indices, pl.Series(texts, dtype=pl.String))
        for name, (indices, texts) in replacements.items()
    )
    shown = sorted({text for _, texts in replacements.values() for text in texts})
    count = sum(len(indices) for indices, _ in replacements.values())
    plural = "s hold" if count != 1 else " holds"
    return cells, [f"{count} cell{plural} an Excel error ({', '.join(shown)}), read as that text"]
