"""Reading datasets from CSV files in a data directory (version 0), each checked against its contract."""

from __future__ import annotations

import csv
import gc
import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from sources.columnar import FileIdentity, ParseCache
from sources.contracts import CONTRACTS, contract_for
from sources.parser import CELLS, ROW, DataError, ParseResult, RawTable, parse_records, parse_table, problem_frame
from sources.references import reference_problems

# The cell size Python's csv module accepts by default (128 KiB) is raised so a long cell is reported by the parser with
# its row and column rather than as a syntax error without one.
_FIELD_LIMIT = 16 * 1024 * 1024
# Records read before they become Polars columns: a few tens of MB of Python lists at a time, whatever the file's size.
_CHUNK_ROWS = 65_536


def read_csv_text(source: str, data: bytes | str, *, delimiter: str = ",", max_rows: int | None = None) -> RawTable:
    """Split CSV into a header and text cells, numbering rows as lines in the file.

    ``data`` is UTF-8 bytes (with or without BOM) or text already decoded (an upload's encoding is detected first).
    With ``max_rows``, reading stops with a DataError at the first non-blank row past the limit.

    Python's csv module is used instead of Polars' reader because it reports short and long rows and the physical line
    each record starts on, which the error messages need; Polars does the typing and checks afterwards. The records
    become Polars columns every ``_CHUNK_ROWS`` rows and the text is read as a stream: holding a million-row file's
    cells as Python lists (and the text as a reader's four-byte characters) took 18 times the file's size.
    """
    if isinstance(data, str):
        if "\x00" in data:
            line = data[: data.index("\x00")].count("\n") + 1
            raise DataError(
                problem_frame([(source, line, None, None, "the file contains NUL characters: it is not a text file")])
            )
        # read back as it is (a lone surrogate too): text is streamed from bytes, one byte a character for ASCII
        encoded, encoding, errors = data.encode("utf-8", errors="surrogatepass"), "utf-8", "surrogatepass"
    else:
        _check_nul_bytes(source, data)
        encoded, encoding, errors = data, "utf-8-sig", "strict"
    csv.field_size_limit(_FIELD_LIMIT)
    # newline="" as the csv module asks: line ends inside quoted cells stay as they are
    stream = io.TextIOWrapper(io.BytesIO(encoded), encoding=encoding, errors=errors, newline="")
    reader = csv.reader(stream, delimiter=delimiter, strict=True)
    header: list[str] | None = None
    chunk: list[list[str]] = []
    lines: list[int] = []
    frames: list[pl.DataFrame] = []
    start = 1
    data_rows = 0
    with _cyclic_gc_paused():
        try:
            for record in reader:
                if header is None:
                    if record:  # blank lines before the header are skipped
                        header = record
                    start = reader.line_num + 1
                    continue
                if record and max_rows is not None:
                    data_rows += 1
                    if data_rows > max_rows:
                        raise DataError(
                            problem_frame(
                                [(source, start, None, None, f"the file has more than {max_rows:,} rows (the limit)")]
                            )
                        )
                chunk.append(record)
                # each row is numbered by the line it starts on, which differs from its record count after a multi-line
                # quoted cell
                lines.append(start)
                start = reader.line_num + 1
                if len(chunk) == _CHUNK_ROWS:
                    frames.append(_cell_columns(len(header), chunk, lines))
                    chunk, lines = [], []
        except csv.Error as error:
            raise DataError(
                problem_frame([(source, start, None, None, f"the CSV can't be read here: {error}")])
            ) from None
        except UnicodeDecodeError:
            # the stream decodes as it reads (no second copy of the file as text); the bad byte's line is found here
            _check_utf8(source, encoded)
            raise
    if header is None:
        return RawTable.from_records(source, [])
    if chunk or not frames:
        frames.append(_cell_columns(len(header), chunk, lines))
    return RawTable(source, tuple(header), pl.concat(frames, rechunk=False) if len(frames) > 1 else frames[0])


def _check_nul_bytes(source: str, data: bytes) -> None:
    """Raise DataError, with the line, for bytes with a NUL in them: not a text file."""
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise DataError(
            problem_frame([(source, line, None, None, "the file contains NUL bytes: it is not a text file")])
        )


def _check_utf8(source: str, data: bytes) -> None:
    """Raise DataError, with the line of the first bad byte, for bytes that are not UTF-8 text."""
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DataError(
            problem_frame([(source, line, None, None, f"not valid UTF-8 text (byte {error.start + 1}); save as UTF-8")])
        ) from None


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector while the reader makes one list per record.

    Those lists hold no cycles (reference counting frees them), but their sheer number triggers the collector thousands
    of times, which more than doubles the time to read a million-row file.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _cell_columns(width: int, body: list[list[str]], lines: list[int]) -> pl.DataFrame:
    """Data records as ``_row`` (the line each starts on), ``_cells`` and one text column per header cell."""
    cells = [len(record) for record in body]
    rows: list[list[str]] | list[list[str | None]] = body
    if any(count != width for count in cells):
        # short rows are padded with nulls and long rows cut, as the parser reports them from ``_cells``
        rows = [[*record[:width], *[None] * (width - len(record))] for record in body]
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in range(width)]
    return pl.DataFrame(
        [
            pl.Series(ROW, lines, dtype=pl.Int64),
            pl.Series(CELLS, cells, dtype=pl.Int64),
            *(pl.Series(f"c{index}", column, dtype=pl.String) for index, column in enumerate(columns)),
        ]
    )


def parse_csv_file(path: Path, name: str) -> ParseResult:
    """Read and parse one dataset file; a file that can't be split into cells becomes a result with that problem."""
    contract = contract_for(name)
    source = path.name
    try:
        raw = read_csv_text(source, path.read_bytes())
    except DataError as error:
        return ParseResult(contract, source, pl.DataFrame(schema=contract.schema), error.problems)
    return parse_table(raw, contract)


@dataclass(frozen=True)
class SourceInfo:
    """Where a dataset came from and what state it is in, for freshness chips and the Data page."""

    dataset: str
    origin: str
    status: str  # "ok", "missing" (optional dataset absent or required file not found), "error"
    rows: int
    read_at: datetime
    first_date: date | None
    latest_date: date | None
    problems: pl.DataFrame
    notes: tuple[str, ...] = ()
    version: int = 0  # 0 = the configured files; n = the store's version n

    @property
    def message(self) -> str:
        """One sentence on the state of the source."""
        if self.status == "ok":
            return f"{self.rows:,} rows"
        if self.status == "missing":
            return f"no file {self.origin}"
        return f"{self.problems.height:,} problems"


@dataclass(frozen=True)
class DataBundle:
    """Every dataset as a contract-exact frame (empty when missing or invalid) with its source information."""

    frames: dict[str, pl.DataFrame]
    sources: dict[str, SourceInfo] = field(default_factory=dict)
    key: str = ""  # identifies this content (files' fingerprint and stored versions): caches of derived numbers use it
    compact_labels: bool = False  # the frames hold their labels as Categoricals (``compact``)

    def frame(self, name: str) -> pl.DataFrame:
        """The dataset ``name``; an empty frame with its schema when it could not be read (compact when the others
        are, so that it joins them)."""
        frame = self.frames.get(name)
        if frame is not None:
            return frame
        contract = contract_for(name)
        return contract.compact(contract.empty()) if self.compact_labels else contract.empty()

    @property
    def errors(self) -> dict[str, SourceInfo]:
        """The sources that failed, by dataset."""
        return {name: info for name, info in self.sources.items() if info.status == "error"}

    def compact(self) -> DataBundle:
        """This bundle with each dataset's compact columns as Categoricals (``Contract.compact``): what the dashboard
        holds in memory. Checks, previews and commits take contract-exact frames: ``ExactFrames``."""
        frames = {name: contract_for(name).compact(frame) for name, frame in self.frames.items()}
        return replace(self, frames=frames, compact_labels=True)


class ExactFrames(Mapping[str, pl.DataFrame]):
    """Frames by dataset name, each given back contract-exact (``Contract.exact``) when it is read: a compact bundle's
    frames for what checks, previews or commits them, without copying the datasets nobody reads."""

    def __init__(self, frames: Mapping[str, pl.DataFrame]) -> None:
        self._frames = frames

    def __getitem__(self, name: str) -> pl.DataFrame:
        return contract_for(name).exact(self._frames[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._frames)

    def __len__(self) -> int:
        return len(self._frames)


def load_dataset(data_dir: Path, name: str) -> pl.DataFrame:
    """Read one dataset with its own contract checks; raises DataError listing every problem."""
    result = parse_csv_file(Path(data_dir) / contract_for(name).file_name, name)
    if not result.ok:
        raise DataError(result.problems, result.notes)
    return result.data()


def load_bundle(
    data_dir: Path, read_at: datetime | None = None, *, columnar_dir: Path | None = None, compact: bool = False
) -> DataBundle:
    """Read every dataset in ``data_dir``, checked against its contract and the datasets it refers to.

    With ``columnar_dir``, each file version is parsed once: its parse (frame, problems, notes) and the checks between
    datasets are kept there as Parquet, keyed by the files' path, size and modification time, and read back next time.
    The frames are contract-exact, or with ``compact`` as the dashboard holds them (``DataBundle.compact``; the kept
    copies are compact, so a new process reads them so without casting).
    """
    data_dir = Path(data_dir)
    read_at = read_at or datetime.now(UTC)
    cache = ParseCache(columnar_dir) if columnar_dir is not None else None
    identities = {
        name: identity
        for name, contract in CONTRACTS.items()
        if (identity := FileIdentity.of(data_dir / contract.file_name)) is not None
    }
    checks_key = cache.checks_key(identities) if cache is not None else ""
    kept_checks = cache.read_checks(data_dir, checks_key) if cache is not None else None
    results: dict[str, ParseResult] = {}
    for name, identity in identities.items():
        # row numbers are read back only when the checks between datasets must run again: they are for its messages
        cached = cache.read(name, identity, with_rows=kept_checks is None) if cache is not None else None
        results[name] = (
            cached
            if cached is not None
            else _parse_and_keep(data_dir / CONTRACTS[name].file_name, name, identity, cache)
        )
    missing = [name for name in CONTRACTS if name not in identities]
    parsed = {name: result.frame.drop(ROW, strict=False) for name, result in results.items() if result.ok}
    if kept_checks is not None:
        cross = kept_checks
    else:
        # contract-exact: a copy read back holds its labels compact, a file parsed now as text
        exact = {
            name: replace(results[name], frame=results[name].contract.exact(results[name].frame)) for name in parsed
        }
        cross = reference_problems(exact, {name: result.frame.drop(ROW) for name, result in exact.items()})
        if cache is not None and _unchanged(identities):
            cache.write_checks(data_dir, checks_key, cross)
    frames: dict[str, pl.DataFrame] = {}
    sources: dict[str, SourceInfo] = {}
    for name, contract in CONTRACTS.items():
        origin = str(data_dir / contract.file_name)
        if name in missing:
            problems = (
                problem_frame([])
                if contract.optional_dataset
                else problem_frame([(contract.file_name, None, None, None, f"file not found: {origin}")])
            )
            sources[name] = SourceInfo(name, origin, "missing", 0, read_at, None, None, problems)
            continue
        result = results[name]
        problems = cross.get(name, result.problems)
        if problems.height:
            sources[name] = SourceInfo(name, origin, "error", 0, read_at, None, None, problems, tuple(result.notes))
            continue
        frame = in_date_order(contract.compact(parsed[name]) if compact else contract.exact(parsed[name]))
        frames[name] = frame
        first, latest = date_span(frame)
        sources[name] = SourceInfo(
            name, origin, "ok", frame.height, read_at, first, latest, problems, tuple(result.notes)
        )
    return DataBundle(frames, sources)


def _parse_and_keep(path: Path, name: str, identity: FileIdentity, cache: ParseCache | None) -> ParseResult:
    """Parse one file; keep the parse in ``cache`` unless the file changed while it was read."""
    parsed = parse_csv_file(path, name)
    # kept in date order, so that a new process reads the rows already sorted (see in_date_order)
    result = replace(parsed, frame=in_date_order(parsed.frame))
    if cache is not None and _unchanged({name: identity}):
        cache.write(name, identity, result)
    return result


def _unchanged(identities: dict[str, FileIdentity]) -> bool:
    """True when every file is still the version it was when reading began (a copy is never keyed by a stale stat)."""
    return all(FileIdentity.of(identity.path) == identity for identity in identities.values())


def in_date_order(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows in the order of their ``date`` (stable; rows without a date last), the column flagged as sorted.

    A dataset's rows have no meaning in their order, and kept by date a range or a period of them is a binary-searched
    slice (``insights.scope.rows_between``) that shares their memory, rather than a filtered copy of every row. Rows
    already in order (a columnar copy written sorted) are checked in one pass and not copied; a frame without a
    ``date`` column is returned as it is.
    """
    if "date" not in frame.columns or frame.height == 0:
        return frame
    dates = frame.get_column("date")
    if not dates.is_sorted(nulls_last=True):
        frame = frame.sort("date", maintain_order=True, nulls_last=True)
    if dates.null_count():
        return frame
    return frame.with_columns(pl.col("date").set_sorted())


def date_span(frame: pl.DataFrame) -> tuple[date | None, date | None]:
    """The first and latest date in a dataset's main date column (``date`` or ``period_start``), if it has one."""
    column = next((name for name in ("date", "period_start") if name in frame.columns), None)
    if column is None or frame.height == 0:
        return None, None
    first, latest = frame.select(pl.col(column).min().alias("first"), pl.col(column).max().alias("latest")).row(0)
    return first, latest


__all__ = [
    "DataBundle",
    "DataError",
    "ExactFrames",
    "SourceInfo",
    "date_span",
    "in_date_order",
    "load_bundle",
    "load_dataset",
    "parse_csv_file",
    "parse_records",
    "read_csv_text",
]
