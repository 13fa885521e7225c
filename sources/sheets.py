"""Feedback from a Google Sheet: typed cells read through gspread, converted, then checked like an uploaded file."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import gspread
import polars as pl
import requests
from google.auth.exceptions import RefreshError, TransportError
from gspread.exceptions import APIError, SpreadsheetNotFound
from gspread.utils import DateTimeOption, ValueRenderOption, extract_id_from_url
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_random_exponential,
)

from sources.contracts import FEEDBACK, Contract, header_lookup, normalize_header
from sources.parser import ROW, RawTable, parse_table, problem_frame

READ_ONLY_SCOPES = (
    "https://www.googleapis.com/auth/spreadsheets.readonly",
    "https://www.googleapis.com/auth/drive.readonly",
)
# Sheets counts days from 1899-12-30 (as Lotus 1-2-3 did), so serial 1 is 1899-12-31.
SERIAL_EPOCH = date(1899, 12, 30)
_RETRYABLE_CODES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class SheetConfig:
    """Which sheet holds the feedback: key or URL, worksheet, header row, and sheet header → contract column."""

    spreadsheet: str
    worksheet: str
    header_row: int = 1
    columns: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The spreadsheet key, taken out of a URL when a URL was configured."""
        text = self.spreadsheet.strip()
        return extract_id_from_url(text) if text.startswith("http") else text


@dataclass(frozen=True)
class RetryPolicy:
    """How long one read may take: per-request timeout, attempts, total budget and the jittered backoff."""

    timeout: float = 4.0
    attempts: int = 4
    budget: float = 10.0
    first_wait: float = 0.5
    max_wait: float = 4.0


@dataclass(frozen=True)
class SheetRead:
    """One good read of the sheet: valid rows (contract-exact), every problem, and what was read when."""

    title: str
    worksheet: str
    frame: pl.DataFrame
    problems: pl.DataFrame
    notes: tuple[str, ...]
    rows_read: int
    rows_skipped: int
    read_at: datetime


class SheetError(Exception):
    """A read of the sheet that failed; ``retryable`` says whether trying again may help, the message what to fix."""

    def __init__(self, message: str, *, retryable: bool, code: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


def open_client(
    service_account: Mapping[str, Any],
    timeout: float,
    http_client: type[gspread.HTTPClient] = gspread.HTTPClient,
) -> gspread.Client:
    """A gspread client signed in as the service account, read-only, with a request timeout (gspread has none)."""
    client = gspread.service_account_from_dict(dict(service_account), scopes=READ_ONLY_SCOPES, http_client=http_client)
    client.http_client.set_timeout(timeout)
    return client


def fetch_values(client: gspread.Client, config: SheetConfig, account: str = "") -> tuple[str, list[list[Any]]]:
    """The spreadsheet's title and the worksheet's typed cells, in one attempt; raises SheetError."""
    try:
        spreadsheet = client.open_by_key(config.key)
        worksheets = spreadsheet.worksheets()
        chosen = next((sheet for sheet in worksheets if sheet.title == config.worksheet), None)
        if chosen is None:
            names = ", ".join(repr(sheet.title) for sheet in worksheets) or "none"
            raise SheetError(
                f"the spreadsheet '{spreadsheet.title}' has no worksheet named '{config.worksheet}' "
                f"(it has: {names}); check the worksheet name in the settings",
                retryable=False,
            )
        # never get_all_records: it turns 00123 into 123; unformatted values and serial dates are unambiguous
        values = chosen.get_values(
            value_render_option=ValueRenderOption.unformatted,
            date_time_render_option=DateTimeOption.serial_number,
            pad_values=False,
        )
        return spreadsheet.title, [list(row) for row in values]
    except SheetError:
        raise
    except SpreadsheetNotFound:
        raise SheetError(
            f"no spreadsheet with the key '{config.key}' was found; check the key or URL in the settings",
            retryable=False,
            code=404,
        ) from None
    except PermissionError:
        who = f" ({account})" if account else ""
        raise SheetError(
            f"the service account{who} may not read the spreadsheet '{config.key}'; "
            "share the sheet with the service account's e-mail address (Viewer is enough)",
            retryable=False,
            code=403,
        ) from None
    except APIError as error:
        code = int(error.code)
        raise SheetError(
            f"Google Sheets answered {code}: {error.error.get('message', '')}".rstrip(": "),
            retryable=code in _RETRYABLE_CODES,
            code=code,
        ) from None
    except requests.Timeout:
        raise SheetError("Google Sheets did not answer in time", retryable=True) from None
    except (requests.ConnectionError, TransportError) as error:
        raise SheetError(f"Google Sheets could not be reached: {type(error).__name__}", retryable=True) from None
    except RefreshError as error:
        raise SheetError(
            f"Google refused the service account's credentials ({error}); check the service account key",
            retryable=False,
        ) from None


def fetch_with_retry(
    fetch: Callable[[], tuple[str, list[list[Any]]]],
    policy: RetryPolicy,
    sleep: Callable[[float], None] | None = None,
) -> tuple[str, list[list[Any]]]:
    """``fetch`` retried on 429, 5xx and timeouts with jittered backoff, within the policy's attempts and budget."""

    def _retryable(error: BaseException) -> bool:
        return isinstance(error, SheetError) and error.retryable

    def _reraise_last(state: RetryCallState) -> Any:
        assert state.outcome is not None
        return state.outcome.result()  # raises the last SheetError

    retrying = Retrying(
        retry=retry_if_exception(_retryable),
        # no new attempt unless it can time out within the budget: the whole read then ends in about ``budget`` s
        stop=stop_after_attempt(policy.attempts) | stop_before_delay(max(policy.budget - policy.timeout, 0.0)),
        wait=wait_random_exponential(multiplier=policy.first_wait, max=policy.max_wait),
        retry_error_callback=_reraise_last,
        sleep=sleep or time.sleep,
    )
    result: tuple[str, list[list[Any]]] = retrying(fetch)
    return result


def cell_text(value: Any, *, is_date: bool) -> str:
    """A typed cell as the text the contract checks read: serial dates as YYYY-MM-DD, numbers without float noise."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if not math.isfinite(value):
            return str(value)
        if is_date:
            day = SERIAL_EPOCH + timedelta(days=math.floor(value))
            seconds = round((value - math.floor(value)) * 86_400)
            if seconds == 0:
                return day.isoformat()
            moment = datetime(day.year, day.month, day.day) + timedelta(seconds=seconds)  # noqa: DTZ001 - a wall time
            return moment.strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value)


def sheet_table(
    source: str, values: Sequence[Sequence[Any]], contract: Contract, config: SheetConfig
) -> tuple[RawTable, list[str]]:
    """The worksheet's cells as a RawTable (rows numbered as the sheet shows them) and notes on what was mapped."""
    header_index = config.header_row - 1
    if len(values) <= header_index or not any(str(cell).strip() for cell in values[header_index]):
        return RawTable.from_records(source, []), []
    mapping = {normalize_header(sheet): column for sheet, column in config.columns.items()}
    lookup = header_lookup(contract)
    header: list[str] = []
    notes: list[str] = []
    for cell in values[header_index]:
        text = cell_text(cell, is_date=False)
        mapped = mapping.get(normalize_header(text))
        if mapped is not None and text.strip():
            notes.append(f"{source}: column '{text}' is read as '{mapped}'")
            header.append(mapped)
        else:
            header.append(text)
    body = values[header_index + 1 :]
    # the API leaves out trailing empty cells, so rows are padded to the widest row; cells beyond the header get an
    # empty header, which the parser reports when they hold values
    width = max([len(header), *(len(row) for row in body)])
    header += [""] * (width - len(header))
    dates = [
        lookup.get(normalize_header(name)) is not None
        and contract.column(lookup[normalize_header(name)]).dtype == pl.Date()
        for name in header
    ]
    records: list[list[str]] = [header]
    for row in body:
        cells = [cell_text(cell, is_date=dates[index]) for index, cell in enumerate(row)]
        records.append(cells + [""] * (width - len(cells)))
    return RawTable.from_records(source, records, first_row=config.header_row), notes


def parse_sheet(
    title: str,
    values: Sequence[Sequence[Any]],
    config: SheetConfig,
    read_at: datetime,
    contract: Contract = FEEDBACK,
) -> SheetRead:
    """Check the cells against the contract: valid rows are kept, rows with problems are skipped and reported."""
    source = f"sheet '{title}', worksheet '{config.worksheet}'"
    raw, notes = sheet_table(source, values, contract, config)
    result = parse_table(raw, contract)
    problems = result.problems
    if config.header_row != 1:
        # the parser numbers the header row 1; in a sheet it is the configured row
        problems = problems.with_columns(
            pl.when(pl.col("row") == 1).then(config.header_row).otherwise(pl.col("row")).alias("row")
        )
    bad_rows = problems.get_column("row").drop_nulls()
    header_broken = problems.filter(pl.col("row").is_null() | (pl.col("row") == config.header_row)).height > 0
    frame = result.frame
    kept = frame.clear() if header_broken else frame.filter(~pl.col(ROW).is_in(bad_rows.implode()))
    valid = kept.sort(ROW).drop(ROW)
    rows_read = frame.height
    return SheetRead(
        title=title,
        worksheet=config.worksheet,
        frame=valid,
        problems=problems,
        notes=(*notes, *result.notes),
        rows_read=rows_read,
        rows_skipped=rows_read - valid.height,
        read_at=read_at,
    )


def read_sheet(
    client: gspread.Client,
    config: SheetConfig,
    policy: RetryPolicy = RetryPolicy(),
    *,
    account: str = "",
    contract: Contract = FEEDBACK,
    sleep: Callable[[float], None] | None = None,
) -> SheetRead:
    """Read and check the worksheet, retrying transient failures within the policy; raises SheetError."""
    title, values = fetch_with_retry(lambda: fetch_values(client, config, account), policy, sleep)
    return parse_sheet(title, values, config, datetime.now(UTC), contract)


def no_problems() -> pl.DataFrame:
    """An empty problem frame, for a read that failed before any row was checked."""
    return problem_frame([])
