"""Roles, scopes and hosted-mode checks from the settings, and the data a scoped user is given."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from pydantic import ValidationError

from sources.access import Access, hosted_problems, local_access, resolve_access, rows_of_lines, scoped_bundle
from sources.files import DataBundle, SourceInfo
from sources.parser import problem_frame
from sources.settings import Settings, load_settings
from sources.store import Store

STRONG = "3f9a1c7e5b2d48f0a6c19e7d3b5f2a8c4e6d1b9f7a3c5e2d8b4f6a1c9e7d3b5f"
AUTH = {"cookie_secret": STRONG, "client_id": "pillars"}
WORDY = "my-cookie-secret-" + "x1y2z3" * 5  # long enough, but words


def access_settings(**values: object) -> Settings:
    return load_settings(secrets_table=values)


def test_roles_match_addresses_and_domains_in_any_case_and_the_highest_wins() -> None:
    settings = access_settings(
        admins=["Boss@Example.com"], editors=["@ops.example.com", "boss@example.com"], viewers=["@example.com"]
    )
    assert resolve_access("BOSS@example.COM", settings).role == "admin"
    assert resolve_access("ana@ops.example.com", settings).role == "editor"
    assert resolve_access("li@example.com", settings).role == "viewer"
    # a domain entry matches that domain, not one that merely ends with the same letters
    assert resolve_access("li@notexample.com", settings).role is None
    assert resolve_access("li@example.com.evil.io", settings).role is None
    assert not resolve_access("li@elsewhere.io", settings).allowed


def test_scopes_of_the_exact_address_win_over_the_most_specific_domain() -> None:
    settings = access_settings(
        viewers=["@example.com"],
        scopes={"@example.com": ["Atlas", "Beacon"], "@eu.example.com": ["Cirrus"], "pm@eu.example.com": ["Drift"]},
    )
    assert resolve_access("a@example.com", settings).product_lines == ("Atlas", "Beacon")
    assert resolve_access("b@eu.example.com", settings).product_lines == ("Cirrus",)
    assert resolve_access("PM@eu.example.com", settings).product_lines == ("Drift",)
    assert resolve_access("c@other.io", settings).product_lines is None


def test_what_each_role_may_do() -> None:
    viewer = Access("v@x.io", "viewer")
    editor = Access("e@x.io", "editor")
    scoped_editor = Access("s@x.io", "editor", ("Atlas",))
    admin = Access("a@x.io", "admin")
    assert (viewer.can_upload, viewer.can_replace_all, viewer.can_purge) == (False, False, False)
    assert (editor.can_upload, editor.can_replace_all, editor.can_purge) == (True, True, False)
    assert (scoped_editor.can_upload, scoped_editor.can_replace_all, scoped_editor.can_purge) == (True, False, False)
    assert (admin.can_upload, admin.can_replace_all, admin.can_purge) == (True, True, True)
    assert local_access("me") == Access("me", "admin", None, local=True)
    assert scoped_editor.label == "s@x.io · editor · Atlas"


def test_access_lists_refuse_what_is_not_an_address() -> None:
    with pytest.raises(ValidationError, match="'bob' is neither an e-mail address"):
        access_settings(admins=["bob"])
    with pytest.raises(ValidationError, match="names no product line"):
        access_settings(scopes={"a@x.io": [" "]})


@pytest.mark.parametrize(
    ("values", "auth", "expected"),
    [
        ({}, None, []),  # local mode: nothing to check
        ({"hosted": True, "store_url": "postgresql://p@db/p"}, AUTH, []),
        ({"hosted": True, "store_url": "postgresql://p@db/p"}, None, ["no [auth] section"]),
        ({"hosted": True, "store_url": "postgresql://p@db/p"}, {"cookie_secret": "short"}, ["cookie_secret is weak"]),
        ({"hosted": True, "store_url": "postgresql://p@db/p"}, {"cookie_secret": "a" * 64}, ["cookie_secret is weak"]),
        ({"hosted": True, "store_url": "postgresql://p@db/p"}, {"cookie_secret": WORDY}, ["cookie_secret is weak"]),
        ({"hosted": True}, AUTH, ["local SQLite file"]),
        ({"hosted": True}, None, ["no [auth] section", "local SQLite file"]),
    ],
)
def test_hosted_mode_refuses_an_unsafe_set_up(
    values: dict[str, object], auth: dict[str, str] | None, expected: list[str]
) -> None:
    problems = hosted_problems(access_settings(**values), auth)
    assert len(problems) == len(expected)
    for problem, fragment in zip(problems, expected, strict=True):
        assert fragment in problem


def test_a_scoped_bundle_keeps_the_lines_rows_company_events_and_no_company_targets() -> None:
    metrics = pl.DataFrame(
        {"date": [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)], "product_line": ["Atlas", "Cirrus", "Atlas"]}
    )
    targets = pl.DataFrame({"period_start": [date(2026, 1, 1)] * 2, "product_line": ["Atlas", None]})
    events = pl.DataFrame({"date": [date(2026, 1, 5)] * 3, "product_line": ["Atlas", "Cirrus", None]})
    catalog = pl.DataFrame({"metric": ["arr"]})
    read_at = datetime(2026, 3, 2, tzinfo=UTC)
    info = SourceInfo(
        "metrics", "metrics.csv", "ok", 3, read_at, date(2026, 1, 1), date(2026, 3, 1), problem_frame([]), ("note",)
    )
    bundle = DataBundle(
        frames={"metrics": metrics, "targets": targets, "events": events, "metric_catalog": catalog},
        sources={"metrics": info},
        key="k",
    )
    scoped = scoped_bundle(bundle, ["Atlas"])
    assert_frame_equal(scoped.frames["metrics"], metrics.filter(pl.col("product_line") == "Atlas"))
    assert scoped.frames["targets"].get_column("product_line").to_list() == ["Atlas"]
    assert scoped.frames["events"].get_column("product_line").to_list() == ["Atlas", None]
    assert_frame_equal(scoped.frames["metric_catalog"], catalog)
    assert (scoped.sources["metrics"].rows, scoped.sources["metrics"].latest_date) == (2, date(2026, 3, 1))
    assert scoped.sources["metrics"].notes == (
        "1 problems and notes about rows of all product lines are shown to unscoped users only",
    )
    assert scoped.key not in {bundle.key, scoped_bundle(bundle, ["Cirrus"]).key}
    assert rows_of_lines(metrics, "metrics", []).height == 0


def test_the_audit_log_records_and_filters(store: Store) -> None:
    store.record("Ana@example.com", "sign_in", target="viewer")
    store.record("bo@example.com", "upload", outcome="refused", target="metrics", detail="x.csv: other lines")
    store.record("ana@example.com", "upload", target="metrics v1", detail="y.csv")
    log = store.audit_log()
    assert log.columns == ["at", "email", "action", "outcome", "target", "detail"]
    assert log.get_column("action").to_list() == ["upload", "upload", "sign_in"]  # newest first
    assert log.schema["at"] == pl.Datetime("us", "UTC")
    assert store.audit_log(email="ANA").get_column("target").to_list() == ["metrics v1", "viewer"]
    assert store.audit_log(actions=("upload",), outcome="refused").get_column("email").to_list() == ["bo@example.com"]
    now = datetime.now(UTC)
    assert store.audit_log(since=now + timedelta(minutes=1)).height == 0
    assert store.audit_log(since=now - timedelta(minutes=1), until=now + timedelta(minutes=1)).height == 3
    assert store.audit_log(limit=1).height == 1
    with pytest.raises(ValueError, match="unknown audit outcome"):
        store.record("a@x.io", "upload", outcome="maybe")  # type: ignore[arg-type]
