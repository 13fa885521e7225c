"""The feedback sheet behind a per-server cache: one read per TTL for every viewer, the snapshot when Google fails."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import gspread
import streamlit as st

from sources.files import SourceInfo, date_span
from sources.parser import problem_frame
from sources.settings import Settings
from sources.sheets import RetryPolicy, SheetConfig, SheetError, SheetRead, open_client, read_sheet
from sources.snapshots import load_snapshot, save_snapshot
from sources.store import Store

FAILURE_MEMORY_SECONDS = 60.0
"""How long a failed read is remembered, so reruns serve the snapshot at once instead of waiting out the retries."""

RETRY_WAIT = (0.5, 4.0)
"""The first and the longest wait between attempts, in seconds (jittered exponential backoff)."""

HTTP_CLIENT: type[gspread.HTTPClient] = gspread.HTTPClient
"""gspread's HTTP client class; tests swap in one that talks to a local Sheets API."""


@dataclass(frozen=True)
class SheetState:
    """What the pages show: the rows served (fresh or the snapshot), whether they are stale, and the last error."""

    config: SheetConfig
    read: SheetRead | None
    stale: bool
    error: str | None
    checked_at: datetime

    @property
    def stale_since(self) -> datetime | None:
        """When the served rows were read, if they are stale."""
        return self.read.read_at if self.stale and self.read is not None else None


@dataclass
class _Entry:
    state: SheetState
    at: float
    ok: bool


class SheetCache:
    """The latest outcome for one sheet; a lock makes concurrent viewers wait for one read instead of each reading."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._entry: _Entry | None = None
        self._clock = clock

    def get(
        self, ttl_seconds: float, read: Callable[[], tuple[SheetState, bool]], *, force: bool = False
    ) -> SheetState:
        """The cached state while fresh (a success for the TTL, a failure for a minute), else a new read."""
        with self._lock:
            entry = self._entry
            if entry is not None and not force:
                age = self._clock() - entry.at
                if age < (ttl_seconds if entry.ok else min(ttl_seconds, FAILURE_MEMORY_SECONDS)):
                    return entry.state
            state, ok = read()
            self._entry = _Entry(state, self._clock(), ok)
            return state


@st.cache_resource(max_entries=4)
def _sheet_cache(key: str, worksheet: str, header_row: int, columns: str, account: str) -> SheetCache:
    # one cache per configuration: an edited setting starts afresh
    return SheetCache()


@st.cache_resource(max_entries=4, ttl=3000)
def _client(account: str, timeout: float, _http_client: type[gspread.HTTPClient]) -> gspread.Client:
    # shared, so its access token (valid an hour) is reused: a read is then three requests, not four
    return open_client(json.loads(account), timeout, _http_client)


def sheet_config(current: Settings) -> SheetConfig:
    """The configured sheet."""
    return SheetConfig(
        current.feedback_sheet,
        current.feedback_worksheet,
        current.feedback_header_row,
        dict(current.feedback_columns),
    )


def _read_now(current: Settings, config: SheetConfig, store: Store) -> tuple[SheetState, bool]:
    account = json.dumps(current.feedback_service_account, sort_keys=True)
    policy = RetryPolicy(timeout=current.feedback_timeout_seconds, first_wait=RETRY_WAIT[0], max_wait=RETRY_WAIT[1])
    now = datetime.now().astimezone()
    try:
        if not current.feedback_service_account:
            raise SheetError(
                "no service account is configured: add its JSON key as [pillars.feedback_service_account]",
                retryable=False,
            )
        client = _client(account, policy.timeout, HTTP_CLIENT)
        fresh = read_sheet(
            client, config, policy, account=str(current.feedback_service_account.get("client_email", ""))
        )
    except SheetError as error:
        snapshot = load_snapshot(store, config.key, config.worksheet)
        return SheetState(config, snapshot, snapshot is not None, str(error), now), False
    except ValueError as error:  # a malformed service account key
        return SheetState(config, None, False, f"the service account key can't be used: {error}", now), False
    save_snapshot(store, config.key, fresh)
    return SheetState(config, fresh, False, None, now), True


def sheet_state(current: Settings, store: Store, *, refresh: bool = False) -> SheetState:
    """The feedback sheet as the pages show it; ``refresh`` reads it now, whatever the cache holds."""
    config = sheet_config(current)
    cache = _sheet_cache(
        config.key,
        config.worksheet,
        config.header_row,
        json.dumps(dict(config.columns), sort_keys=True),
        json.dumps(current.feedback_service_account, sort_keys=True),
    )
    return cache.get(current.feedback_refresh_minutes * 60, lambda: _read_now(current, config, store), force=refresh)


def sheet_source(state: SheetState) -> SourceInfo:
    """The sheet as the feedback dataset's source, for the bundle, the freshness chips and the Data page."""
    config = state.config
    read = state.read
    if read is None:
        origin = f"Google Sheet {config.key} · worksheet '{config.worksheet}'"
        problems = problem_frame([(origin, None, None, None, state.error or "the sheet could not be read")])
        return SourceInfo("feedback", origin, "error", 0, state.checked_at, None, None, problems)
    origin = f"Google Sheet '{read.title}' · worksheet '{read.worksheet}'"
    first, latest = date_span(read.frame)
    usable = read.frame.height > 0 or read.problems.height == 0
    return SourceInfo(
        "feedback",
        origin,
        "ok" if usable else "error",
        read.frame.height,
        read.read_at,
        first,
        latest,
        read.problems,
        read.notes,
    )
