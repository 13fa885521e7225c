"""Uploading a file through the real file input in Chromium, previewing it and committing it."""

from __future__ import annotations

import csv
import re

import pytest
from playwright.sync_api import FilePayload, Page

from tests.browser.conftest import ROOT, load, wait_idle

pytestmark = pytest.mark.browser

NEW_EVENT = "2026-10-15,Leadership offsite,,org\n"


def test_a_file_dropped_in_the_browser_is_previewed_and_committed(page: Page, server: str) -> None:
    with (ROOT / "sample_data" / "events.csv").open(newline="", encoding="utf-8") as handle:
        rows_before = len(list(csv.DictReader(handle)))
    load(page, f"{server}/data")
    page.locator("[data-testid='stSelectbox']", has_text="Dataset").click()
    page.get_by_role("option", name="events").click()
    wait_idle(page)
    upload: FilePayload = {
        "name": "offsite.csv",
        "mimeType": "text/csv",
        "buffer": ("date,event,product_line,kind\n" + NEW_EVENT).encode(),
    }
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(files=[upload])
    commit = page.get_by_role("button", name="Commit as version 1")
    commit.wait_for(timeout=60_000)
    preview = page.locator("[data-testid='stMain']").inner_text()
    assert "offsite.csv: 1 rows" in preview
    assert "Against version 0: 1 added, 0 changed, 0 removed" in preview
    commit.click()
    page.get_by_text("Committed offsite.csv as events version 1").wait_for(timeout=60_000)
    wait_idle(page)
    # the events card now shows the stored version and the added row (the other datasets are still their files)
    text = page.locator("[data-testid='stMain']").inner_text()
    assert re.search(rf"Version 1\s+Rows {rows_before + 1:,}", text), text
