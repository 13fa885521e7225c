"""Sign-in in a real Chromium: a fresh `streamlit run` server with [auth] set, against an OIDC provider of the tests.

The tests in this module share one server and run in file order: the deep links of signed-out visitors come first,
so that the server's very first page request is a deep link (the legacy-mode trap in DESIGN.md §1), and nobody has
signed in on that server before them.
"""

from __future__ import annotations

import csv
import functools
import os
import re
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import (
    ROOT,
    SCREENSHOTS,
    _free_port,
    chromium,
    load,
    require_chromium,
    streamlit_server,
    wait_idle,
)
from tests.oidc_provider import OidcProvider, running_provider

pytestmark = [
    pytest.mark.browser,
    # the provider (oidc-provider-mock, in this process) calls Authlib APIs that Authlib has deprecated
    pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib.*"),
]

VIEWER = "v@viewers.example"
EDITOR = "editor@example.com"
ADMIN = "admin@example.com"
STRANGER = "nobody@else.example"
SIGN_IN_LINE = "Sign in with your company account to open the dashboard."
VIEWER_PAGES = ["Overview", "Business Data & Insights", "Customer & Market Insights", "Process & Practices", "Data"]
# The first one is the server's first page request, so it must be a deep link; "/" comes last.
SIGNED_OUT_URLS = [
    "/business",
    "/overview",
    "/customers",
    "/process",
    "/data",
    "/audit",
    "/business?lines=Atlas",
    "/",
]
# Where the sample data names things a signed-out visitor must not see.
DATA_COLUMNS = [("teams.csv", "product_line"), ("metric_catalog.csv", "label"), ("practices.csv", "practice")]
DATA_ELEMENTS = [
    "stSidebar",
    "stSidebarNav",
    "stMetric",
    "stPlotlyChart",
    "stVegaLiteChart",
    "stArrowVegaLiteChart",
    "stDataFrame",
    "stTable",
    "stMultiSelect",
    "stSelectbox",
    "stDateInput",
    "stFileUploader",
    "stDownloadButton",
    "stException",
]
# The texts of the elements in a block, each without the names of its Material icons (drawn as ligature text).
ELEMENT_TEXTS = """selector => Array.from(document.querySelectorAll(selector)).map(element => {
    let text = element.innerText;
    for (const icon of element.querySelectorAll("[data-testid='stIconMaterial'], [data-testid$='DynamicIcon']")) {
        text = text.replace(icon.innerText, "");
    }
    return text.replace(/\\s+/g, " ").trim();
}).filter(text => text !== "")"""


@dataclass(frozen=True)
class SignInApp:
    """The app served with sign-in configured, and the provider it signs in with."""

    url: str
    provider: OidcProvider


@functools.cache
def data_words() -> list[str]:
    """Words that only the data shows: product lines, metric labels and practices of the sample data, page titles."""
    words = {"NPS", "Audit log", *VIEWER_PAGES[:-1]}
    for file_name, column in DATA_COLUMNS:
        with (ROOT / "sample_data" / file_name).open(newline="", encoding="utf-8") as handle:
            words.update(row[column] for row in csv.DictReader(handle))
    return sorted(words)


def secrets_toml(redirect_uri: str, provider: OidcProvider) -> str:
    """Streamlit's [auth] table for one provider; the roles come from the environment."""
    return (
        "[auth]\n"
        f'redirect_uri = "{redirect_uri}"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        f'client_id = "{provider.client_id}"\n'
        f'client_secret = "{provider.client_secret}"\n'
        f'server_metadata_url = "{provider.discovery_url}"\n'
    )


@pytest.fixture(scope="module")
def sign_in_app() -> Iterator[SignInApp]:
    """A fresh `streamlit run app.py` with [auth] in its own secrets file, and the provider, for this module alone."""
    require_chromium()
    port = _free_port()
    # The browser opens `localhost`, the host of the redirect URI: the auth cookie is set for it and Streamlit
    # checks the origin it records against the page's.
    url = f"http://localhost:{port}"
    with (
        tempfile.TemporaryDirectory(prefix="pillars-auth-") as temporary,
        running_provider(f"{url}/oauth2callback") as provider,
    ):
        folder = Path(temporary)  # the secrets file (it holds the cookie secret) and the store
        secrets_file = folder / "secrets.toml"
        secrets_file.write_text(secrets_toml(f"{url}/oauth2callback", provider), encoding="utf-8")
        env = {name: value for name, value in os.environ.items() if not name.startswith("PILLARS_")}
        env.update(
            {
                "PILLARS_DATA_DIR": str(ROOT / "sample_data"),
                "PILLARS_STORE_URL": f"sqlite:///{folder / 'pillars.db'}",
                "PILLARS_VIEWERS": '["@viewers.example"]',
                "PILLARS_EDITORS": f'["{EDITOR}"]',
                "PILLARS_ADMINS": f'["{ADMIN}"]',
            }
        )
        with streamlit_server(port, env, f"--secrets.files={secrets_file}"):
            yield SignInApp(url=url, provider=provider)


@pytest.fixture(scope="module")
def auth_browser(sign_in_app: SignInApp) -> Iterator[Browser]:
    """A headless Chromium for this module (the shared `browser` fixture would start the shared server too)."""
    with chromium() as launched:
        yield launched


@pytest.fixture
def visitor(auth_browser: Browser) -> Iterator[Page]:
    """A page in a new browser context: no cookies, so nobody is signed in."""
    context = auth_browser.new_context(viewport={"width": 1440, "height": 1000})
    opened = context.new_page()
    yield opened
    context.close()


def element_texts(page: Page, selector: str) -> list[str]:
    """The text of each element matched by `selector`, icons left out, blanks dropped."""
    texts: list[str] = page.evaluate(ELEMENT_TEXTS, selector)
    return texts


def screenshot(page: Page, name: str) -> None:
    """Save the page as test-output/screenshots/auth-<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"auth-{name}.png"), full_page=True)


def leaked_words(text: str) -> list[str]:
    """The data words that appear in `text` as whole words."""
    return [word for word in data_words() if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text)]


def assert_sign_in_screen_only(page: Page) -> None:
    """The page shows the sign-in screen and nothing else: no page list, no filters, no data, no dialog."""
    assert element_texts(page, "[data-testid='stMain'] [data-testid='stElementContainer']") == [
        "Pillars",
        SIGN_IN_LINE,
        "Sign in",
    ]
    assert page.locator("h1").all_inner_texts() == ["Pillars"]
    assert page.get_by_role("button", name="Sign in").count() == 1
    present = {name: page.locator(f"[data-testid='{name}']").count() for name in DATA_ELEMENTS}
    assert {name: count for name, count in present.items() if count} == {}
    assert page.locator("[data-testid='stSidebarNav'] a, [data-testid='stSidebarNavLink']").count() == 0
    assert page.locator("[role='dialog']").count() == 0
    assert leaked_words(page.locator("body").inner_text()) == []


def sign_in(page: Page, app: SignInApp, email: str) -> None:
    """Click "Sign in", sign in on the provider's page as `email`, and wait for the app to be drawn again."""
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{app.provider.url}/oauth2/authorize?**")
    page.locator("input[name='sub']").fill(email)
    page.get_by_role("button", name="Authorize", exact=True).click()
    page.wait_for_url(f"{app.url}/**")
    page.locator("h1").first.wait_for(timeout=60_000)
    wait_idle(page)


def sign_out(page: Page, app: SignInApp) -> None:
    """Click "Sign out", end the session on the provider's page, and wait for the app's sign-in screen."""
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{app.provider.url}/oauth2/end_session?**")
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{app.url}/**")
    page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
    wait_idle(page)


def open_page(page: Page, url_path: str) -> None:
    """Follow the sidebar link to a page and wait for it to be drawn."""
    page.locator(f"[data-testid='stSidebarNav'] a[href$='/{url_path}']").click()
    page.wait_for_url(re.compile(rf"/{url_path}(\?|$)"))
    page.locator("h1").first.wait_for(timeout=60_000)
    wait_idle(page)


def signed_in_as(page: Page) -> str:
    """The sidebar's line naming who is signed in."""
    lines = element_texts(page, "[data-testid='stSidebar'] [data-testid='stElementContainer']")
    return next((text for text in lines if text.startswith("Signed in as")), "")


def page_links(page: Page) -> list[str]:
    """The titles of the pages in the sidebar's navigation, in order."""
    return element_texts(page, "[data-testid='stSidebarNav'] a")


def assert_no_errors(page: Page) -> None:
    """Nothing on the page failed."""
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stAlertContentError']").all_inner_texts() == []


@pytest.mark.parametrize("path", SIGNED_OUT_URLS)
def test_a_signed_out_visitor_sees_only_the_sign_in_screen(visitor: Page, sign_in_app: SignInApp, path: str) -> None:
    load(visitor, f"{sign_in_app.url}{path}")
    assert_sign_in_screen_only(visitor)
    if path == SIGNED_OUT_URLS[0]:
        screenshot(visitor, "signin")


def test_a_viewer_signs_in_sees_the_dashboard_pages_and_signs_out(visitor: Page, sign_in_app: SignInApp) -> None:
    load(visitor, f"{sign_in_app.url}/data")
    sign_in(visitor, sign_in_app, VIEWER)
    assert signed_in_as(visitor) == f"Signed in as {VIEWER} · viewer"
    assert page_links(visitor) == VIEWER_PAGES
    visitor.locator("[data-testid='stMetric']").nth(2).wait_for(timeout=60_000)  # the Overview, with its data
    assert_no_errors(visitor)
    screenshot(visitor, "viewer")

    open_page(visitor, "data")
    assert visitor.locator("[data-testid='stFileUploader']").count() == 0
    assert visitor.get_by_role("button", name=re.compile("Roll back|Purge")).count() == 0
    assert_no_errors(visitor)
    screenshot(visitor, "viewer-data")

    # the audit log is not registered for a viewer: its URL does not open it
    load(visitor, f"{sign_in_app.url}/audit")
    assert not any("Audit" in title for title in visitor.locator("h1").all_inner_texts())
    assert "Audit log" not in visitor.locator("body").inner_text()
    screenshot(visitor, "viewer-audit-url")

    # Streamlit answers with a "page not found" dialog over the Overview; it blocks the sidebar, so leave it
    load(visitor, sign_in_app.url)
    sign_out(visitor, sign_in_app)
    assert_sign_in_screen_only(visitor)
    screenshot(visitor, "signed-out")
    # the session is gone, not just the page: a deep link shows the sign-in screen again
    load(visitor, f"{sign_in_app.url}/data")
    assert_sign_in_screen_only(visitor)


def test_an_editor_gets_the_uploader_on_the_data_page(visitor: Page, sign_in_app: SignInApp) -> None:
    load(visitor, f"{sign_in_app.url}/business")
    sign_in(visitor, sign_in_app, EDITOR)
    assert signed_in_as(visitor) == f"Signed in as {EDITOR} · editor"
    assert page_links(visitor) == VIEWER_PAGES
    open_page(visitor, "data")
    visitor.locator("[data-testid='stFileUploader']").first.wait_for(timeout=60_000)
    assert_no_errors(visitor)
    screenshot(visitor, "editor-data")
    sign_out(visitor, sign_in_app)
    assert_sign_in_screen_only(visitor)


def test_someone_not_on_the_access_list_is_refused(visitor: Page, sign_in_app: SignInApp) -> None:
    load(visitor, f"{sign_in_app.url}/customers")
    sign_in(visitor, sign_in_app, STRANGER)
    refusal = f"Access refused: {STRANGER} is not on Pillars' access list. Ask an admin to add you."
    assert element_texts(visitor, "[data-testid='stMain'] [data-testid='stElementContainer']") == [
        "Pillars",
        refusal,
        "Sign out",
    ]
    present = {name: visitor.locator(f"[data-testid='{name}']").count() for name in DATA_ELEMENTS}
    assert {name: count for name, count in present.items() if count} == {}
    assert leaked_words(visitor.locator("body").inner_text()) == []
    screenshot(visitor, "refused")
    sign_out(visitor, sign_in_app)
    assert_sign_in_screen_only(visitor)


def test_an_admin_also_gets_the_audit_log_with_the_sign_ins_before(visitor: Page, sign_in_app: SignInApp) -> None:
    load(visitor, f"{sign_in_app.url}/process")
    sign_in(visitor, sign_in_app, ADMIN)
    assert signed_in_as(visitor) == f"Signed in as {ADMIN} · admin"
    assert page_links(visitor) == [*VIEWER_PAGES, "Audit log"]
    open_page(visitor, "audit")
    assert_no_errors(visitor)
    screenshot(visitor, "admin-audit")
    # the table is drawn on a canvas; its download holds the same lines
    with visitor.expect_download() as download:
        visitor.get_by_role("button", name="Download these lines (CSV)").click()
    with download.value.path().open(newline="", encoding="utf-8") as handle:
        lines = {(row["email"], row["action"], row["outcome"]) for row in csv.DictReader(handle)}
    assert {
        (VIEWER, "sign_in", "ok"),
        (EDITOR, "sign_in", "ok"),
        (STRANGER, "sign_in", "refused"),
        (ADMIN, "sign_in", "ok"),
    } <= lines
    sign_out(visitor, sign_in_app)
    assert_sign_in_screen_only(visitor)
