"""Bytes a real client receives on `/_stcore/stream`, and the server's peak memory, against `streamlit run app.py`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from playwright.sync_api import Page, WebSocket, sync_playwright

from bench.payloads import message_table_rows

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("PILLARS_CHROMIUM", "/usr/bin/chromium")
# The flags of tests/browser/conftest.py (bench does not import tests): without the networking ones Chromium keeps
# trying to reach the internet, which is closed here.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
STREAM_PATH = "/_stcore/stream"


class BrowserError(RuntimeError):
    """The server did not start, or a page did not load or showed an exception."""


@dataclass
class PageBytes:
    """Bytes received on the stream by one page, on each first load and on each rerun with nothing changed, and the
    most rows any table on it was sent with."""

    first_load: list[int] = field(default_factory=list)
    rerun: list[int] = field(default_factory=list)
    max_table_rows: list[int] = field(default_factory=list)


@dataclass
class BrowserResult:
    """What the browser run measured: bytes per page and the server's peak resident memory (MB)."""

    pages: dict[str, PageBytes]
    peak_rss_mb: float


class StreamCounter:
    """Counts the payload bytes of every frame the page receives on Streamlit's websocket."""

    def __init__(self, page: Page) -> None:
        self.received = 0
        self.frames = 0
        self.max_table_rows = 0
        page.on("websocket", self._attach)

    def _attach(self, socket_: WebSocket) -> None:
        if STREAM_PATH in socket_.url:
            socket_.on("framereceived", self._count)

    def _count(self, payload: str | bytes) -> None:
        data = payload.encode() if isinstance(payload, str) else payload
        self.received += len(data)
        self.frames += 1
        self.max_table_rows = max(self.max_table_rows, message_table_rows(data))

    def reset(self) -> None:
        """Start counting bytes and frames from zero (the largest table seen is kept)."""
        self.received = 0
        self.frames = 0


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_healthy(url: str, seconds: float) -> None:
    """Poll the server's health endpoint until it answers "ok"."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise BrowserError(f"the Streamlit server did not become healthy at {url} within {seconds:.0f} s")


def wait_idle(page: Page, timeout_ms: float) -> None:
    """Wait until Streamlit has finished running and the page has stopped changing (tests/browser/conftest.py).

    "Not running" alone is not enough: a run started by a widget or by URL-bound values can begin a moment later, so
    the page must also look the same (its elements and texts) twice in a row, 400 ms apart.
    """
    fingerprint = "() => document.querySelector(\"[data-testid='stMain']\")?.innerText ?? ''"
    previous = None
    for _ in range(100):
        page.wait_for_selector(IDLE, timeout=timeout_ms)
        current = page.evaluate(fingerprint)
        if current == previous:
            return
        previous = current
        page.wait_for_timeout(400)
    raise BrowserError("the page kept changing for 40 s")


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a process and its descendants, summed, in MB (psutil is not installed)."""
    total_kb = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                total_kb += int(line.split()[1])
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            pending.extend(int(child) for child in task.read_text().split())
    return total_kb / 1024


@contextmanager
def streamlit_server(env: Mapping[str, str], startup_seconds: float) -> Iterator[tuple[str, int, IO[bytes]]]:
    """`streamlit run app.py` on a free port, headless; yields its base URL, its pid and its log."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless=true",
        f"--server.port={port}",
        "--server.address=127.0.0.1",
        "--server.fileWatcherType=none",
        "--browser.gatherUsageStats=false",
    ]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", startup_seconds)
            yield f"http://127.0.0.1:{port}", process.pid, log
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def _server_log(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")


def _check_page(page: Page, url: str) -> None:
    if page.locator("[data-testid='stException']").count() > 0:
        text = page.locator("[data-testid='stException']").first.inner_text()
        raise BrowserError(f"{url} shows an exception: {text[:500]}")


def measure_bytes(
    env: Mapping[str, str],
    url_paths: Mapping[str, str],
    runs: int,
    timeout_seconds: float,
    progress: Callable[[str], None] = lambda _: None,
) -> BrowserResult:
    """Per page, ``runs`` times: open it in a new browser context and count the bytes; then rerun and count again."""
    if not Path(CHROMIUM).exists():
        raise BrowserError(f"Chromium not found at {CHROMIUM}: install Debian's chromium, or pass --skip-browser")
    timeout_ms = timeout_seconds * 1000
    pages = {name: PageBytes() for name in url_paths}
    with streamlit_server(env, startup_seconds=120) as (base, pid, log), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            for repeat in range(runs):
                for name, url_path in url_paths.items():
                    progress(f"browser {name} ({repeat + 1}/{runs})")
                    context = browser.new_context(viewport={"width": 1440, "height": 1000})
                    try:
                        page = context.new_page()
                        counter = StreamCounter(page)
                        url = f"{base}/{url_path}"
                        page.goto(url)
                        page.locator("h1").first.wait_for(timeout=timeout_ms)
                        wait_idle(page, timeout_ms)
                        _check_page(page, url)
                        pages[name].first_load.append(counter.received)
                        pages[name].rerun.append(_rerun_bytes(page, counter, timeout_ms))
                        pages[name].max_table_rows.append(counter.max_table_rows)
                        _check_page(page, url)
                    finally:
                        context.close()
        except Exception as error:
            raise BrowserError(f"{error}\n--- server log ---\n{_server_log(log)[-4000:]}") from error
        finally:
            browser.close()
        peak = peak_rss_mb(pid)
    return BrowserResult(pages=pages, peak_rss_mb=peak)


def _rerun_bytes(page: Page, counter: StreamCounter, timeout_ms: float) -> int:
    """Bytes of one rerun with nothing changed, started as a user does: the "r" key (the browser sends its hashes)."""
    page.evaluate("() => document.activeElement instanceof HTMLElement && document.activeElement.blur()")
    counter.reset()
    page.keyboard.press("r")
    # A rerun always answers with at least its "new session" and "script finished" messages: wait for them before
    # waiting for the page to settle, so the wait does not end before the rerun has begun.
    deadline = time.monotonic() + timeout_ms / 1000
    while counter.frames == 0:
        if time.monotonic() > deadline:
            raise BrowserError("pressing r started no rerun (no message arrived)")
        page.wait_for_timeout(50)
    wait_idle(page, timeout_ms)
    page.wait_for_timeout(300)
    return counter.received
