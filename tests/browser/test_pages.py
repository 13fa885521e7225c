"""Every page in a real Chromium against `streamlit run`: no errors, filters change numbers, links reopen the view."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import SCREENSHOTS, wait_idle

pytestmark = pytest.mark.browser

PAGES = {
    "overview": "",
    "business": "business",
    "customers": "customers",
    "process": "process",
    "data": "data",
}


def metric_values(page: Page) -> list[str]:
    """The value of every KPI card on the page, in order."""
    return page.locator("[data-testid='stMetricValue']").all_inner_texts()


def summary(page: Page) -> str:
    """The view summary under the page title (period, lines, range)."""
    return page.locator("[data-testid='stCaptionContainer']").first.inner_text()


@pytest.mark.parametrize("name", list(PAGES))
def test_each_page_loads_without_errors(page: Page, server: str, name: str) -> None:
    console_errors: list[str] = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{server}/{PAGES[name]}")
    wait_idle(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").all_inner_texts() == []
    assert page.locator("h1").count() >= 1
    if name != "data":
        assert page.locator("[data-testid='stMetric']").count() >= 3
        assert page.locator("[data-testid='stPlotlyChart']").count() >= 1


def choose_product_line(page: Page, line: str) -> None:
    """Pick one product line in the sidebar multiselect, as a user does."""
    box = page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']").first
    box.locator("input").click()
    page.keyboard.type(line)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    wait_idle(page)


def test_a_product_line_filter_changes_the_kpis_and_the_url(page: Page, server: str) -> None:
    page.goto(server)
    wait_idle(page)
    before = metric_values(page)
    choose_product_line(page, "Atlas")
    page.wait_for_url(re.compile(r"lines=Atlas"))
    after = metric_values(page)
    assert len(after) == len(before)
    assert after[0] != before[0]  # the first card (the revenue metric) is now Atlas's alone
    assert "Atlas" in summary(page)


def test_a_copied_link_reopens_the_same_view_on_every_page(page: Page, server: str, browser: Browser) -> None:
    page.goto(f"{server}/customers")
    wait_idle(page)
    choose_product_line(page, "Beacon")
    page.locator("[data-testid='stSidebar'] button", has_text="Month").click()
    wait_idle(page)
    page.wait_for_url(re.compile(r"granularity=Month"))
    shared_url = page.url
    shown = (summary(page), metric_values(page))

    colleague = browser.new_context(viewport={"width": 1440, "height": 1000})
    try:
        other = colleague.new_page()
        other.goto(shared_url)
        wait_idle(other)
        assert (summary(other), metric_values(other)) == shown
        assert "Beacon" in summary(other)
        # switching pages keeps the filters, in the view and in the URL
        other.locator("[data-testid='stSidebarNav'] a", has_text="Business").click()
        wait_idle(other)
        other.wait_for_url(re.compile(r"/business\?.*lines=Beacon"))
        assert summary(other) == shown[0]
        page.locator("[data-testid='stSidebarNav'] a", has_text="Business").click()
        wait_idle(page)
        assert metric_values(other) == metric_values(page)
    finally:
        colleague.close()
