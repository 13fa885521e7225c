"""The one typed settings object: environment (PILLARS_*) over .streamlit/secrets.toml ([pillars]) over defaults."""

from __future__ import annotations

import getpass
import re
import tomllib
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_name
from pydantic import Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

SECRETS_FILE = Path(".streamlit/secrets.toml")
SECRETS_TABLE = "pillars"


def _address(entry: str) -> str:
    """An access-list entry in lower case: an e-mail address (name@domain) or a whole domain (@domain)."""
    cleaned = entry.strip().lower()
    if not re.fullmatch(r"[^@\s]*@[^@\s]+\.[^@\s]+", cleaned):
        raise ValueError(f"{entry!r} is neither an e-mail address (name@example.com) nor a domain (@example.com)")
    return cleaned


def without_password(url: str) -> str:
    """``url`` with any password replaced by ***, for messages that may be shown or logged."""
    return re.sub(r"//([^:/@]*):[^@/]*@", r"//\1:***@", url)


def settings_problems(error: ValidationError) -> list[str]:
    """What is wrong with the settings, one line per setting, without echoing the values given (they may be secret)."""
    return [
        f"{'.'.join(str(part) for part in problem['loc']) or 'settings'}: {problem['msg']}"
        for problem in error.errors(include_input=False, include_url=False)
    ]


def _os_user() -> str:
    """The operating system's user name, or "local" where it has none (e.g. a container without a passwd entry)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "local"


class Settings(BaseSettings):
    """Where the data lives and how Pillars shows time and numbers."""

    model_config = SettingsConfigDict(env_prefix="PILLARS_", extra="ignore", frozen=True)
    secrets_file: ClassVar[Path] = SECRETS_FILE

    data_dir: Path = Field(Path("sample_data"), description="Directory holding the dataset CSV files (version 0).")
    fiscal_year_start_month: int = Field(1, ge=1, le=12, description="First month of the fiscal year (1 = January).")
    timezone: str = Field("UTC", description="IANA time zone in which times are shown.")
    currency: str = Field("USD", description="ISO 4217 code of the currency money metrics are in.")
    locale: str = Field("en_US", description="Locale for number, money and percent formats.")
    nps_min_responses: int = Field(30, ge=1, description="NPS with fewer responses is marked low-confidence.")
    store_url: str = Field(
        "sqlite:///data/pillars.db", description="Database of uploads: sqlite:///path or postgresql://user@host/db."
    )
    local_user: str = Field(default_factory=_os_user, description="Who commits uploads when nobody is signed in.")
    columnar_dir: Path | None = Field(
        None,
        description="Parquet copies of the stored data; empty = columnar/ beside the SQLite file, else data/columnar.",
    )
    feedback_sheet: str = Field("", description="Google Sheet of feedback (key or URL); empty = files and uploads.")
    feedback_worksheet: str = Field("Sheet1", description="The worksheet (tab) of the feedback sheet.")
    feedback_header_row: int = Field(1, ge=1, description="The sheet row holding the column headers.")
    feedback_columns: dict[str, str] = Field(
        default_factory=dict, description="Sheet header → feedback contract column, for headers the contract lacks."
    )
    feedback_service_account: dict[str, str] = Field(
        default_factory=dict,
        repr=False,  # it holds a private key: never in a log line or an error message
        description="The service account's JSON key, as a table (read-only access is enough).",
    )
    feedback_refresh_minutes: float = Field(10, gt=0, description="How long a read of the sheet is served (the TTL).")
    feedback_timeout_seconds: float = Field(4, gt=0, description="How long one request to Google may take.")
    hosted: bool = Field(
        False, description="Hosted: refuse to start without sign-in, a strong cookie secret and PostgreSQL."
    )
    admins: tuple[str, ...] = Field((), description="Who may do everything: e-mail addresses or @domains.")
    editors: tuple[str, ...] = Field((), description="Who may also upload and roll back: e-mail addresses or @domains.")
    viewers: tuple[str, ...] = Field((), description="Who may see the dashboard: e-mail addresses or @domains.")
    scopes: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, description="E-mail address or @domain → the only product lines that user may see."
    )

    @field_validator("admins", "editors", "viewers")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_address(entry) for entry in value)

    @field_validator("scopes")
    @classmethod
    def _scoped_addresses(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        scopes: dict[str, tuple[str, ...]] = {}
        for entry, lines in value.items():
            cleaned = tuple(line.strip() for line in lines if line.strip())
            if not cleaned:
                raise ValueError(f"the scope of {entry!r} names no product line; remove it or list the lines")
            scopes[_address(entry)] = cleaned
        return scopes

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as 'Europe/Berlin'") from None
        return value

    @field_validator("store_url")
    @classmethod
    def _known_store(cls, value: str) -> str:
        if not re.match(r"^(sqlite:///.+|postgres(ql)?(\+psycopg)?://.+)$", value):
            raise ValueError(
                f"unknown store URL {without_password(value)!r}; use sqlite:///data/pillars.db or postgresql://user@host/db"
            )
        return value

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        try:
            Locale.parse(value)
        except (UnknownLocaleError, ValueError):
            raise ValueError(f"unknown locale {value!r}; use a name such as 'en_US' or 'de_DE'") from None
        return value

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        code = value.upper()
        if len(code) != 3 or get_currency_name(code) == code:
            raise ValueError(f"unknown currency {value!r}; use an ISO 4217 code such as 'USD' or 'EUR'")
        return code

    @property
    def sheet_configured(self) -> bool:
        """True when feedback comes from a Google Sheet rather than files and uploads."""
        return bool(self.feedback_sheet.strip())

    @property
    def zone(self) -> ZoneInfo:
        """The configured time zone."""
        return ZoneInfo(self.timezone)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Explicit arguments win, then the environment, then the secrets file."""
        return (init_settings, env_settings, _SecretsTomlSource(settings_cls))


class _SecretsTomlSource(PydanticBaseSettingsSource):
    """The [pillars] table of .streamlit/secrets.toml; a missing file or table means no values.

    Written here because pydantic-settings' TomlConfigSettingsSource raises when the table is absent, and a secrets file
    that only configures login is normal.
    """

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._table().get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {name: value for name, value in self._table().items() if name in self.settings_cls.model_fields}

    def _table(self) -> dict[str, Any]:
        given: dict[str, Any] | None = getattr(self.settings_cls, "secrets_table", None)
        if given is not None:
            return given
        path: Path = getattr(self.settings_cls, "secrets_file", SECRETS_FILE)
        if not path.is_file():
            return {}
        with path.open("rb") as handle:
            table = tomllib.load(handle).get(SECRETS_TABLE, {})
        return table if isinstance(table, dict) else {}


def load_settings(
    secrets_file: Path | None = None, *, secrets_table: dict[str, Any] | None = None, **overrides: Any
) -> Settings:
    """Read the settings; ``secrets_file`` replaces .streamlit/secrets.toml, ``secrets_table`` (the [pillars] table as
    Streamlit read it) replaces the file altogether, ``overrides`` win over everything."""
    if secrets_table is not None:
        table = dict(secrets_table)

        class _SettingsFromTable(Settings):
            secrets_table: ClassVar[dict[str, Any]] = table  # replaces the file

        return _SettingsFromTable(**overrides)
    if secrets_file is None:
        return Settings(**overrides)

    path = secrets_file

    class _SettingsFromFile(Settings):
        secrets_file: ClassVar[Path] = path

    return _SettingsFromFile(**overrides)
