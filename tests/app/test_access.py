"""Sign-in, roles and scopes through AppTest (`at.user`, `at.secrets`): the gate, the pages each role has, a scoped
user's view of every page, uploads by role and scope, and the audit log."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from sources.store import open_store
from tests.app.conftest import ROOT, SAMPLE
from tests.app.test_upload import metrics_file

PAGES = ("overview", "business", "customers", "process", "data")
LINES = ("Atlas", "Beacon", "Cirrus", "Drift", "Ember")
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "9f2c4e1ab7d04c3e8b5f6a7d2e1c0b9a8f7e6d5c4b3a29180f1e2d3c4b5a6978",
    "client_id": "pillars",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
ADMIN = "boss@example.com"
EDITOR = "ops@example.com"
VIEWER = "someone@example.com"
SCOPED_VIEWER = "pm.atlas@example.com"
SCOPED_EDITOR = "ops.atlas@example.com"
POSTGRES = "postgresql://pillars@db/pillars"  # never connected to: the hosted checks stop the app before


@pytest.fixture
def signed_in(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., AppTest]:
    """A factory for an AppTest of app.py (or of one page's script) with sign-in configured, as ``email``."""
    store_url = f"sqlite:///{tmp_path / 'store' / 'pillars.db'}"
    monkeypatch.setenv("PILLARS_DATA_DIR", str(SAMPLE))
    monkeypatch.setenv("PILLARS_STORE_URL", store_url)
    monkeypatch.setenv("PILLARS_ADMINS", json.dumps([ADMIN]))
    monkeypatch.setenv("PILLARS_EDITORS", json.dumps([EDITOR, SCOPED_EDITOR]))
    monkeypatch.setenv("PILLARS_VIEWERS", json.dumps(["@EXAMPLE.com"]))  # a whole domain, in any case
    monkeypatch.setenv("PILLARS_SCOPES", json.dumps({SCOPED_VIEWER: ["Atlas"], SCOPED_EDITOR: ["Atlas"]}))
    monkeypatch.chdir(ROOT)
    st.cache_resource.clear()

    def make(
        email: str | None,
        page: str | None = None,
        *,
        script: str = "app.py",
        query: dict[str, str | list[str]] | None = None,
        auth: dict[str, Any] | None = AUTH,
    ) -> AppTest:
        at = AppTest.from_file(str(ROOT / script), default_timeout=60)
        if auth is not None:
            at.secrets["auth"] = auth
        at.user = {"is_logged_in": False} if email is None else {"is_logged_in": True, "email": email}
        for key, value in (query or {}).items():
            at.query_params[key] = value
        at.run()
        if page is not None:
            at.switch_page(f"app_pages/{page}.py").run()
        return at

    return make


def page_titles(at: AppTest) -> set[str]:
    """The titles of the pages st.navigation registered in the last run (none when it was not called)."""
    registered = at._registered_pages.values()
    return {str(info.get("page_name")) for info in registered if "url_pathname" in info}


def everything_drawn(at: AppTest) -> str:
    """Every element's message as text: texts, tables (Arrow bytes), chart specs, widget options and labels."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


def audit(tmp_path: Path) -> pl.DataFrame:
    return open_store(f"sqlite:///{tmp_path / 'store' / 'pillars.db'}").audit_log()


@pytest.mark.parametrize("page", [None, *PAGES, "audit"])
def test_signed_out_every_page_shows_only_the_sign_in_screen(
    signed_in: Callable[..., AppTest], page: str | None
) -> None:
    at = signed_in(None, script="app.py" if page is None else f"app_pages/{page}.py", query={"lines": "Atlas"})
    assert not at.exception
    drawn = everything_drawn(at)
    assert not at.metric
    assert not at.dataframe
    assert not at.get("plotly_chart")
    assert not at.file_uploader
    for line in LINES:
        assert line not in drawn
    if page is None:
        assert [title.value for title in at.title] == ["Pillars"]
        assert [button.label for button in at.button] == ["Sign in"]
        assert "Sign in with your company account" in at.markdown[0].value
        assert not page_titles(at)
        assert not at.sidebar.children
    else:  # a page's own script run without the app's gate stops at its first read of the data
        assert at.error


def test_someone_not_on_the_list_is_refused_and_it_is_recorded(
    signed_in: Callable[..., AppTest], tmp_path: Path
) -> None:
    at = signed_in("stranger@elsewhere.example")
    assert [error.value for error in at.error] == [
        "Access refused: stranger@elsewhere.example is not on Pillars' access list. Ask an admin to add you."
    ]
    assert [button.label for button in at.button] == ["Sign out"]
    assert not at.metric
    at.run()  # a rerun is not a second attempt
    log = audit(tmp_path)
    assert log.select("email", "action", "outcome", "detail").rows() == [
        ("stranger@elsewhere.example", "sign_in", "refused", "not on the access list")
    ]


EVERYONES_PAGES = {"Overview", "Business Data & Insights", "Customer & Market Insights", "Process & Practices", "Data"}


@pytest.mark.parametrize(
    ("email", "role", "pages"),
    [
        (VIEWER, "viewer", EVERYONES_PAGES),
        (EDITOR, "editor", EVERYONES_PAGES),
        ("Boss@Example.COM", "admin", {*EVERYONES_PAGES, "Audit log"}),
    ],
)
def test_each_role_has_its_pages_and_its_sign_in_recorded(
    signed_in: Callable[..., AppTest], tmp_path: Path, email: str, role: str, pages: set[str]
) -> None:
    at = signed_in(email)
    assert not at.exception
    assert page_titles(at) == pages
    assert at.sidebar.caption[0].value == f"Signed in as {email.lower()} · {role}"
    assert "Sign out" in [button.label for button in at.sidebar.button]
    assert len(at.metric) == 6  # the Overview's KPI cards
    assert audit(tmp_path).select("email", "action", "outcome", "target").rows() == [
        (email.lower(), "sign_in", "ok", role)
    ]


def test_a_viewer_can_not_switch_to_the_audit_log_nor_run_it_directly(
    signed_in: Callable[..., AppTest], tmp_path: Path
) -> None:
    at = signed_in(VIEWER)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/audit.py")
    direct = signed_in(VIEWER, script="app_pages/audit.py")
    assert [error.value for error in direct.error] == [
        f"Access refused: the audit log is not open to {VIEWER} (viewer)."
    ]
    assert not direct.dataframe
    assert not direct.title
    refused = audit(tmp_path).filter(pl.col("outcome") == "refused")
    assert refused.select("email", "action", "target").rows() == [(VIEWER, "open_page", "the audit log")]


def test_a_viewer_gets_no_upload_on_the_data_page_and_is_told_why(signed_in: Callable[..., AppTest]) -> None:
    at = signed_in(VIEWER, "data")
    assert not at.exception
    assert not at.file_uploader
    assert (
        f"Uploading and rolling back are open to editors and admins only; {VIEWER} is a viewer." in at.warning[0].value
    )
    assert [title.value for title in at.title] == ["Data"]  # the rest of the page (sources, contracts) is there
    assert "history_rollback" not in {button.key for button in at.button}
    direct = signed_in(VIEWER, script="app_pages/data.py")  # the page's own script, without the app around it
    assert not direct.exception
    assert not direct.file_uploader
    assert direct.error


def test_an_editor_uploads_and_rolls_back_but_only_an_admin_purges(
    signed_in: Callable[..., AppTest], tmp_path: Path
) -> None:
    at = signed_in(EDITOR, "data")
    upload = metrics_file([("2026-11-01", "Atlas", "arr", "27900000")])
    at.file_uploader(key="upload_file_metrics").upload("atlas.csv", upload, "text/csv").run()
    next(button for button in at.button if button.key == "upload_commit").click().run()
    assert not at.exception
    assert any("as metrics version 1" in success.value for success in at.success)
    assert at.segmented_control(key="upload_mode").options == [
        "Add the rows",
        "Replace everything",
        "Replace the slice it covers",
    ]
    keys = {button.key for button in at.button}
    assert "history_rollback" in keys
    assert "history_purge" not in keys
    admin = signed_in(ADMIN, "data")
    assert "history_purge" in {button.key for button in admin.button}
    log = audit(tmp_path).filter(pl.col("action") == "upload")
    assert log.select("email", "outcome", "target").rows() == [(EDITOR, "ok", "metrics v1")]
    assert log.item(0, "detail").startswith("atlas.csv (append, 1 rows, sha256 ")
    versions = open_store(f"sqlite:///{tmp_path / 'store' / 'pillars.db'}").versions("metrics")
    assert versions.get_column("committed_by").to_list() == [EDITOR, EDITOR]  # version 0 copied, then the upload


def test_a_scoped_editor_uploads_only_their_lines_and_never_replaces_everything(
    signed_in: Callable[..., AppTest], tmp_path: Path
) -> None:
    at = signed_in(SCOPED_EDITOR, "data")
    assert at.segmented_control(key="upload_mode").options == ["Add the rows", "Replace the slice it covers"]
    assert "metric_catalog" not in at.selectbox(key="upload_dataset").options  # it holds every line's metrics
    assert "history_rollback" not in {button.key for button in at.button}
    mixed = metrics_file(
        [
            ("2026-11-01", "Atlas", "arr", "27900000"),
            ("2026-11-01", "Cirrus", "arr", "1"),
            ("2026-12-01", "Cirrus", "arr", "1"),
        ]
    )
    at.file_uploader(key="upload_file_metrics").upload("mixed.csv", mixed, "text/csv").run()
    assert not at.exception
    assert [error.value for error in at.error] == [
        "mixed.csv was not committed: you may upload rows of Atlas only, and it has rows of Cirrus (2 rows). "
        "Remove those rows, or ask an editor without a product-line scope to upload it. Nothing stored has changed."
    ]
    assert not [button for button in at.button if button.key == "upload_commit"]
    store = open_store(f"sqlite:///{tmp_path / 'store' / 'pillars.db'}")
    assert store.current_version("metrics") == 0
    own = metrics_file([("2026-11-01", "Atlas", "arr", "27900000")])
    at.file_uploader(key="upload_file_metrics").upload("atlas.csv", own, "text/csv").run()
    next(button for button in at.button if button.key == "upload_commit").click().run()
    assert any("as metrics version 1" in success.value for success in at.success)
    # version 0 was copied whole, with every line: the scoped upload did not lose the others' rows
    stored = store.read("metrics")
    assert sorted(stored.get_column("product_line").unique().to_list()) == list(LINES)
    assert audit(tmp_path).filter(pl.col("action") == "upload").select("outcome", "detail").rows()[::-1][0] == (
        "refused",
        "mixed.csv: other lines",
    )


@pytest.mark.parametrize("page", PAGES)
def test_a_scoped_user_sees_no_other_line_on_any_page_even_through_the_url(
    signed_in: Callable[..., AppTest], downloads: dict[str, bytes], page: str
) -> None:
    others = [line for line in LINES if line != "Atlas"]
    for query in ({}, {"lines": ["Cirrus", "Drift"]}, {"lines": "Atlas"}):
        downloads.clear()
        at = signed_in(SCOPED_VIEWER, script="app.py", query=query)
        if page != "overview":
            at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, page
        drawn = everything_drawn(at)
        assert "Atlas" in drawn  # the page shows their line…
        leaked = [line for line in others if line in drawn]
        assert not leaked, f"{page} {query}: other product lines shown: {leaked}"
        files = b"\n".join(downloads.values())
        assert b"Atlas" in files or page == "overview", f"{page}: no download of the user's line was checked"
        assert not [line for line in others if line.encode() in files], f"{page} {query}: in a download"
        if page == "overview":
            assert at.caption[0].value.split(" · ")[1] == "all 1 product lines" or "Atlas" in at.caption[0].value


def test_the_leak_check_finds_other_lines_for_an_unscoped_user(
    signed_in: Callable[..., AppTest], downloads: dict[str, bytes]
) -> None:
    # the check above would pass vacuously if the walk or the capture saw nothing: here it must see every line
    at = signed_in(VIEWER, "customers")
    assert all(line in everything_drawn(at) for line in LINES)
    assert all(line.encode() in b"\n".join(downloads.values()) for line in LINES)


def test_a_scoped_users_numbers_are_those_of_their_lines_alone(signed_in: Callable[..., AppTest]) -> None:
    scoped = signed_in(SCOPED_VIEWER)
    unscoped = signed_in(VIEWER, query={"lines": "Atlas"})
    assert [(metric.label, metric.value) for metric in scoped.metric] == [
        (metric.label, metric.value) for metric in unscoped.metric
    ]
    assert [metric.value for metric in scoped.metric] != [metric.value for metric in signed_in(VIEWER).metric]


def test_without_sign_in_configured_it_runs_in_local_mode_with_a_badge(signed_in: Callable[..., AppTest]) -> None:
    at = signed_in(None, auth=None)
    assert not at.exception
    assert "Local mode — no sign-in" in everything_drawn(at)
    assert "Audit log" in page_titles(at)  # the person at the keyboard is admin
    assert len(at.metric) == 6


@pytest.mark.parametrize(
    ("settings", "auth", "reason"),
    [
        ({"PILLARS_STORE_URL": POSTGRES}, None, "no [auth] section"),
        ({"PILLARS_STORE_URL": POSTGRES}, {**AUTH, "cookie_secret": "changeme"}, "cookie_secret is weak"),
        ({}, AUTH, "the store is a local SQLite file"),
    ],
)
def test_hosted_refuses_to_start_unsafe_and_says_why(
    signed_in: Callable[..., AppTest],
    monkeypatch: pytest.MonkeyPatch,
    settings: dict[str, str],
    auth: dict[str, Any] | None,
    reason: str,
) -> None:
    monkeypatch.setenv("PILLARS_HOSTED", "true")
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    at = signed_in(ADMIN, auth=auth)
    assert not at.exception
    assert "refuses to start" in at.error[0].value
    assert reason in at.error[0].value
    assert not at.metric
    assert not at.button  # not even a sign-in button


def test_an_address_the_provider_has_not_verified_grants_nothing(signed_in: Callable[..., AppTest]) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": ADMIN, "email_verified": False}
    at.run()
    assert [error.value for error in at.error] == [
        f"Access refused: {ADMIN} is not on Pillars' access list. Ask an admin to add you."
    ]
    assert not at.metric


def test_an_admin_reads_and_filters_the_audit_log(signed_in: Callable[..., AppTest], tmp_path: Path) -> None:
    signed_in("stranger@elsewhere.example")
    signed_in(VIEWER)
    at = signed_in(ADMIN, "audit")
    assert not at.exception
    assert [title.value for title in at.title] == ["Audit log"]
    shown = at.dataframe[0].value
    assert shown[["email", "action", "outcome"]].values.tolist() == [
        [ADMIN, "sign_in", "ok"],
        [VIEWER, "sign_in", "ok"],
        ["stranger@elsewhere.example", "sign_in", "refused"],
    ]
    at.selectbox(key="audit_outcome").set_value("refused").run()
    assert at.dataframe[0].value["email"].tolist() == ["stranger@elsewhere.example"]
    at.selectbox(key="audit_outcome").set_value(None).run()
    at.text_input(key="audit_email").input("EXAMPLE.com").run()
    assert at.dataframe[0].value["email"].tolist() == [ADMIN, VIEWER]
    at.multiselect(key="audit_actions").set_value(["upload"]).run()
    assert not at.dataframe
    assert at.info[0].value == "Nothing recorded for these filters."


def test_a_sign_in_is_recorded_once_however_many_tabs_and_reloads(
    signed_in: Callable[..., AppTest], tmp_path: Path
) -> None:
    def visit(issued_at: int) -> None:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.secrets["auth"] = AUTH
        at.user = {"is_logged_in": True, "email": VIEWER, "iat": issued_at}
        at.run()
        assert len(at.metric) == 6

    visit(1_795_000_000)
    visit(1_795_000_000)  # a reload or a second tab: a new session of the same sign-in
    visit(1_795_086_400)  # signed in again a day later
    assert audit(tmp_path).select("email", "detail").rows() == [
        (VIEWER, "signed in at 2026-11-19 11:06:40 UTC"),
        (VIEWER, "signed in at 2026-11-18 11:06:40 UTC"),
    ]
