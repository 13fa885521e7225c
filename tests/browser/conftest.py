"""Browser fixtures: a real `streamlit run app.py` server on a free port and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = os.environ.get("PILLARS_CHROMIUM", "/usr/bin/chromium")
# Without the networking flags Chromium keeps trying to reach the internet, which is closed here (DESIGN.md §3).
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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_healthy(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the Streamlit server did not become healthy at {url}")


def require_chromium() -> None:
    """Skip (or, where CI requires browsers, fail) when Debian's Chromium is not installed."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("PILLARS_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; install Debian's chromium package")
        pytest.skip(f"Chromium not found at {CHROMIUM}; browser tests need Debian's chromium package")


@contextmanager
def streamlit_server(port: int, env: Mapping[str, str], *options: str) -> Iterator[None]:
    """`streamlit run app.py` on 127.0.0.1:``port`` with ``env`` and extra ``options``, until the block ends; the
    server's output is printed when it logged a traceback (pytest shows it on failure)."""
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
        *options,
    ]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_healthy(f"http://127.0.0.1:{port}/_stcore/health")
            yield
        finally:
            process.terminate()
            process.wait(timeout=15)
            log.seek(0)
            output = log.read().decode(errors="replace")
            if "Traceback" in output:
                print(output)


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium; Playwright gives it a fresh, temporary profile."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """The app served by `streamlit run` on the sample data, with a store of its own; yields its base URL."""
    require_chromium()
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="pillars-store-") as store:
        env = {
            **os.environ,
            "PILLARS_DATA_DIR": str(ROOT / "sample_data"),
            "PILLARS_STORE_URL": f"sqlite:///{Path(store) / 'pillars.db'}",
        }
        with streamlit_server(port, env):
            yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def browser(server: str) -> Iterator[Browser]:
    """A headless Chromium for the shared server's tests."""
    with chromium() as launched:
        yield launched


def load(page: Page, url: str) -> None:
    """Open a URL and wait for its first script run to finish.

    The app reports "not running" before that first run starts too, so wait for the page title it draws first.
    """
    page.goto(url)
    page.locator("h1").first.wait_for(timeout=60_000)
    wait_idle(page)


def wait_idle(page: Page) -> None:
    """Wait until Streamlit has finished running and the page has stopped changing.

    "Not running" alone is not enough: a run started by a widget or by URL-bound values can begin a moment later, so
    the page must also look the same (its elements and texts) twice in a row, 400 ms apart.
    """
    fingerprint = "() => document.querySelector(\"[data-testid='stMain']\")?.innerText ?? ''"
    previous = None
    for _ in range(100):
        page.wait_for_selector(IDLE, timeout=60_000)
        current = page.evaluate(fingerprint)
        if current == previous:
            return
        previous = current
        page.wait_for_timeout(400)
    raise AssertionError("the page kept changing for 40 s")


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A new page in its own browser context (no shared cookies or storage)."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    opened = context.new_page()
    yield opened
    context.close()
