"""Every page in a real Chromium against `streamlit run`: no errors, filters change numbers, links reopen the view."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import SCREENSHOTS, load, wait_idle

pytestmark = pytest.mark.browser

PAGES = {
    "overview": "",
    "business": "business",
    "customers": "customers",
    "process": "process",
    "data": "data",
}


def metric_values(page: Page) -> list[str]:
    """The value of every KPI card on the page, in order, once the cards are drawn and hold still.

    A page opened from a link runs twice (the second time with the values bound to the URL), and between the two runs
    it can stand idle without its cards for about a second; so read until two reads 400 ms apart agree.
    """
    previous: list[str] | None = None
    for _ in range(75):
        wait_idle(page)
        values = page.locator("[data-testid='stMetricValue']").all_inner_texts()
        cards = page.locator("[data-testid='stMetric']").count()
        if values and len(values) == cards and values == previous:
            return values
        previous = values
        page.wait_for_timeout(400)
    raise AssertionError(f"the KPI cards did not settle: {previous}")


def summary(page: Page) -> str:
    """The view summary under the page title (period, lines, range)."""
    return page.locator("[data-testid='stMain'] [data-testid='stCaptionContainer']").first.inner_text()


@pytest.mark.parametrize("name", list(PAGES))
def test_each_page_loads_without_errors(page: Page, server: str, name: str) -> None:
    console_errors: list[str] = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    load(page, f"{server}/{PAGES[name]}")
    if name != "data":
        assert len(metric_values(page)) >= 3
        assert page.locator("[data-testid='stPlotlyChart']").count() >= 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # The app scrolls inside its main block, so a full-page shot needs a window as tall as that block's content.
    height = page.evaluate("() => document.querySelector(\"[data-testid='stMain']\").scrollHeight")
    page.set_viewport_size({"width": 1440, "height": min(max(int(height), 1000), 12_000)})
    wait_idle(page)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").all_inner_texts() == []
    assert page.locator("h1").count() >= 1
    # The browser's own failed fetches (this machine has no internet: fonts, telemetry) are not the app's errors.
    assert [text for text in console_errors if not text.startswith("Failed to load resource")] == []


def wait_for_new_summary(page: Page, before: str) -> None:
    """Wait until the rerun a widget started has redrawn the view summary (it may start after an idle check)."""
    page.wait_for_function(
        "before => { const c = document.querySelector(\"[data-testid='stMain'] [data-testid='stCaptionContainer']\");"
        " return c !== null && c.innerText !== before; }",
        arg=before,
        timeout=60_000,
    )
    wait_idle(page)


def choose_product_line(page: Page, line: str) -> None:
    """Pick one product line in the sidebar multiselect, as a user does, and wait for the page to follow."""
    before = summary(page)
    box = page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']").first
    box.locator("input").click()
    page.keyboard.type(line)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    wait_for_new_summary(page, before)


def open_page(page: Page, title: str) -> None:
    """Follow the sidebar link to a page and wait for it to be drawn."""
    page.locator("[data-testid='stSidebarNav'] a", has_text=title).click()
    page.locator("h1", has_text=title).wait_for(timeout=60_000)
    wait_idle(page)


def test_a_product_line_filter_changes_the_kpis_and_the_url(page: Page, server: str) -> None:
    load(page, server)
    before = metric_values(page)
    choose_product_line(page, "Atlas")
    page.wait_for_url(re.compile(r"lines=Atlas"))
    after = metric_values(page)
    assert len(after) == len(before)
    assert after[0] != before[0]  # the first card (the revenue metric) is now Atlas's alone
    assert "Atlas" in summary(page)


def test_a_copied_link_reopens_the_same_view_on_every_page(page: Page, server: str, browser: Browser) -> None:
    load(page, f"{server}/customers")
    choose_product_line(page, "Beacon")
    before = summary(page)
    page.locator("[data-testid='stSidebar'] button", has_text="Month").click()
    wait_for_new_summary(page, before)
    page.wait_for_url(re.compile(r"granularity=Month"))
    shared_url = page.url
    shown = (summary(page), metric_values(page))

    colleague = browser.new_context(viewport={"width": 1440, "height": 1000})
    try:
        other = colleague.new_page()
        load(other, shared_url)
        assert (summary(other), metric_values(other)) == shown
        assert "Beacon" in summary(other)
        # switching pages keeps the filters, in the view and in the URL
        open_page(other, "Business Data & Insights")
        other.wait_for_url(re.compile(r"/business\?.*lines=Beacon"))
        assert summary(other) == shown[0]
        open_page(page, "Business Data & Insights")
        assert metric_values(other) == metric_values(page)
    finally:
        colleague.close()
