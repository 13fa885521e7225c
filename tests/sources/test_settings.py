"""The settings object: defaults, the secrets file, the environment, and clear errors."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from sources.settings import load_settings, settings_problems, without_password


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert (settings.data_dir, settings.fiscal_year_start_month, settings.timezone) == (Path("sample_data"), 1, "UTC")
    assert (settings.currency, settings.locale, settings.nps_min_responses) == ("USD", "en_US", 30)


def test_store_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(getpass, "getuser", lambda: "dana")
    settings = load_settings(tmp_path / "none.toml")
    assert (settings.store_url, settings.local_user, settings.columnar_dir) == (
        "sqlite:///data/pillars.db",
        "dana",
        None,
    )


def test_a_machine_without_a_user_name_commits_as_local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_user() -> str:
        raise KeyError("getpwuid(): uid not found: 1234")

    monkeypatch.setattr(getpass, "getuser", no_user)
    assert load_settings(tmp_path / "none.toml").local_user == "local"


def test_store_settings_from_the_secrets_file_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        '[pillars]\nstore_url = "postgresql://pillars@db.internal/pillars"\nlocal_user = "ops"\n'
        'columnar_dir = "/var/cache/pillars"\n'
    )
    settings = load_settings(secrets)
    assert (settings.store_url, settings.local_user, settings.columnar_dir) == (
        "postgresql://pillars@db.internal/pillars",
        "ops",
        Path("/var/cache/pillars"),
    )
    monkeypatch.setenv("PILLARS_STORE_URL", "sqlite:////srv/pillars/pillars.db")
    monkeypatch.setenv("PILLARS_LOCAL_USER", "dana")
    settings = load_settings(secrets)
    assert (settings.store_url, settings.local_user) == ("sqlite:////srv/pillars/pillars.db", "dana")


def test_secrets_file_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        '[pillars]\nfiscal_year_start_month = 4\ntimezone = "Europe/Berlin"\n[auth]\nredirect_uri = "x"\n'
    )
    monkeypatch.setenv("PILLARS_TIMEZONE", "America/New_York")
    monkeypatch.setenv("PILLARS_CURRENCY", "eur")
    settings = load_settings(secrets)
    assert (settings.fiscal_year_start_month, settings.timezone, settings.currency) == (4, "America/New_York", "EUR")


def test_a_secrets_file_without_a_pillars_table_is_fine(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[auth]\nredirect_uri = "x"\n')
    assert load_settings(secrets).fiscal_year_start_month == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("timezone", "Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        ("currency", "XYZ", "unknown currency 'XYZ'"),
        ("locale", "xx_YY", "unknown locale 'xx_YY'"),
        ("fiscal_year_start_month", 13, "less than or equal to 12"),
        ("store_url", "mysql://db/pillars", "unknown store URL 'mysql://db/pillars'"),
        ("store_url", "sqlite://", "unknown store URL 'sqlite://'"),
    ],
)
def test_bad_values_say_what_is_wrong(tmp_path: Path, field: str, value: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        load_settings(tmp_path / "none.toml", **{field: value})


def test_settings_problems_never_echo_a_password(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as raised:
        load_settings(tmp_path / "none.toml", store_url="mysql://pillars:s3cr3t@db/pillars", fiscal_year_start_month=0)
    problems = settings_problems(raised.value)
    assert problems == [
        "fiscal_year_start_month: Input should be greater than or equal to 1",
        "store_url: Value error, unknown store URL 'mysql://pillars:***@db/pillars'; use sqlite:///data/pillars.db "
        "or postgresql://user@host/db",
    ]
    assert without_password("postgresql://u:p%40ss@h/db") == "postgresql://u:***@h/db"
    assert without_password("sqlite:///data/pillars.db") == "sqlite:///data/pillars.db"
