"""The store: every committed version of every dataset, in SQLite or PostgreSQL, with Parquet copies to read fast."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal, get_args

import polars as pl
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sources.contracts import CONTRACTS, Contract, contract_for
from sources.diff import Diff, diff_frames

Mode = Literal["append", "replace", "replace_slice"]
MODES: tuple[Mode, ...] = get_args(Mode)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SLICE_DATE_COLUMNS = ("date", "period_start")
"""The column whose range a ``replace_slice`` upload replaces (with its product lines): the first one a dataset has."""
VALUE_COLUMNS = {"metrics": "value", "targets": "target"}
"""The number whose largest changes a preview lists, per dataset."""
SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite writer waits for another one to finish (a commit of a million rows takes a few seconds)."""

VERSIONS_SCHEMA: dict[str, pl.DataType] = {
    "version": pl.Int64(),
    "mode": pl.String(),
    "file_name": pl.String(),
    "sha256": pl.String(),
    "rows": pl.Int64(),
    "rows_added": pl.Int64(),
    "rows_removed": pl.Int64(),
    "committed_by": pl.String(),
    "committed_at": pl.Datetime("us", "UTC"),
    "based_on": pl.Int64(),
}
"""The columns of ``Store.versions``."""

_COPY_TOKEN = "pillars.version"
_WRITE_OPTION = "pillars_write"
_log = logging.getLogger(__name__)


class StoreError(Exception):
    """Something the store refuses to do or can't do."""


class NotStored(StoreError, LookupError):  # noqa: N818 - the name the callers know
    """The dataset has no version in the store: its rows are the configured files (version 0)."""

    def __init__(self, dataset: str) -> None:
        super().__init__(f"{dataset} is not in the store yet: its rows are the configured files (version 0)")
        self.dataset = dataset


class StaleVersionError(StoreError):
    """The dataset changed since the upload was previewed: its current version is not the one the preview saw."""

    def __init__(self, current: int, based_on: int, dataset: str = "") -> None:
        what = dataset or "the dataset"
        super().__init__(
            f"{what} is at version {current} now, not {based_on} as when this upload was previewed: preview it again"
        )
        self.current = current
        self.based_on = based_on
        self.dataset = dataset


class DuplicateKeyError(StoreError):
    """Rows whose key is already taken; ``keys`` lists each key once, sorted."""

    def __init__(self, dataset: str, keys: pl.DataFrame, reason: str) -> None:
        count = f"{keys.height:,} key" if keys.height == 1 else f"{keys.height:,} keys"
        super().__init__(f"{dataset}: {count} {reason}: {describe_keys(keys)}")
        self.dataset = dataset
        self.keys = keys


class MigrationError(StoreError):
    """The database schema and this code's migrations disagree."""


@dataclass(frozen=True)
class Preview:
    """What a commit of an upload would do, against the version the preview was computed on (``based_on``).

    ``conflicts`` lists the keys of the upload that are already taken outside what it replaces; a commit with
    conflicts is rejected. ``rows_after`` is the row count of the version the commit would make.
    """

    dataset: str
    mode: Mode
    based_on: int
    rows_before: int
    rows_after: int
    diff: Diff
    conflicts: pl.DataFrame

    @property
    def accepted(self) -> bool:
        """True when the commit would go through (no key already taken)."""
        return self.conflicts.height == 0


@dataclass(frozen=True)
class Migration:
    """One schema migration: a numbered SQL file of statements."""

    version: int
    name: str
    statements: tuple[str, ...]
    checksum: str


# Tables. The DDL lives in the migrations; these Core tables mirror it for queries (a test checks that they agree).
METADATA = sa.MetaData()

SCHEMA_MIGRATIONS = sa.Table(
    "schema_migrations",
    METADATA,
    sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("checksum", sa.Text(), nullable=False),
    sa.Column("applied_at", sa.DateTime(), nullable=False),
)

VERSIONS = sa.Table(
    "versions",
    METADATA,
    sa.Column("dataset", sa.Text(), primary_key=True),
    sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("mode", sa.Text(), nullable=False),
    sa.Column("file_name", sa.Text()),
    sa.Column("sha256", sa.Text()),
    sa.Column("rows", sa.BigInteger(), nullable=False),
    sa.Column("rows_added", sa.BigInteger(), nullable=False),
    sa.Column("rows_removed", sa.BigInteger(), nullable=False),
    sa.Column("committed_by", sa.Text(), nullable=False),
    sa.Column("committed_at", sa.DateTime(), nullable=False),
    sa.Column("based_on", sa.Integer()),
)

PURGES = sa.Table(
    "purges",
    METADATA,
    sa.Column("dataset", sa.Text(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("purged_by", sa.Text(), nullable=False),
    sa.Column("purged_at", sa.DateTime(), nullable=False),
    sa.Column("reason", sa.Text(), nullable=False),
    sa.Column("rows_removed", sa.BigInteger(), nullable=False),
)

AUDIT_LOG = sa.Table(
    "audit_log",
    METADATA,
    sa.Column("at", sa.DateTime(), nullable=False),
    sa.Column("email", sa.Text(), nullable=False),
    sa.Column("action", sa.Text(), nullable=False),
    sa.Column("outcome", sa.Text(), nullable=False),
    sa.Column("target", sa.Text(), nullable=False),
    sa.Column("detail", sa.Text(), nullable=False),
)

AUDIT_SCHEMA: dict[str, pl.DataType] = {
    "at": pl.Datetime("us", "UTC"),
    "email": pl.String(),
    "action": pl.String(),
    "outcome": pl.String(),
    "target": pl.String(),
    "detail": pl.String(),
}
"""The columns of ``Store.audit_log``."""
Outcome = Literal["ok", "refused"]


def _sql_type(dtype: pl.DataType) -> sa.types.TypeEngine[Any]:
    if dtype == pl.Date():
        return sa.Date()
    if dtype == pl.Float64():
        return sa.Double()
    if dtype == pl.Int64():
        return sa.BigInteger()
    if dtype == pl.Boolean():
        return sa.Boolean()
    return sa.Text()


def _row_table(contract: Contract) -> sa.Table:
    return sa.Table(
        f"rows_{contract.name}",
        METADATA,
        *(sa.Column(column.name, _sql_type(column.dtype), nullable=not column.required) for column in contract.columns),
        sa.Column("added_in", sa.Integer(), nullable=False),
        sa.Column("removed_in", sa.Integer()),
    )


ROW_TABLES: dict[str, sa.Table] = {name: _row_table(contract) for name, contract in CONTRACTS.items()}
"""Per dataset, its table of rows: the contract's columns, then ``added_in`` and ``removed_in`` version numbers."""


def open_store(url: str, columnar_dir: Path | None = None) -> Store:
    """Connect to the store at ``url`` (``sqlite:///…`` or ``postgresql://…``) and bring its schema up to date.

    Parquet copies go to ``columnar_dir``; by default ``columnar/`` beside a SQLite file, ``data/columnar`` otherwise.
    """
    engine, default_columnar = _engine(url)
    try:
        migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    return Store(engine, columnar_dir if columnar_dir is not None else default_columnar)


def _engine(url: str) -> tuple[Engine, Path]:
    parsed = sa.make_url(re.sub(r"^postgres://", "postgresql://", url))
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            raise ValueError(f"the SQLite store needs a file path, e.g. sqlite:///data/pillars.db, not {url!r}")
        path = Path(database)
        path.parent.mkdir(parents=True, exist_ok=True)
        # named parameters, so statements compiled by SQLAlchemy can also run on the raw cursor (see _fetch)
        engine = sa.create_engine(parsed, paramstyle="named")
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine, path.parent / "columnar"
    if backend == "postgresql":
        if parsed.get_driver_name() not in ("psycopg", "", None):
            raise ValueError(f"the PostgreSQL store uses psycopg 3: write postgresql://…, not {parsed.drivername}://…")
        engine = sa.create_engine(parsed.set(drivername="postgresql+psycopg"), pool_pre_ping=True)
        return engine, Path("data/columnar")
    raise ValueError(f"the store runs on SQLite (sqlite:///…) or PostgreSQL (postgresql://…), not {backend!r}")


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite opens transactions late and commits before DDL; switch its handling off and let _sqlite_begin say BEGIN,
    # as SQLAlchemy's SQLite documentation shows ("Serializable isolation / Savepoints / Transactional DDL").
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for a writer
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # A writer takes the write lock when it begins (IMMEDIATE), so two commits can't both read version N and then
    # collide; readers begin DEFERRED and, in WAL mode, read a snapshot without waiting.
    write = connection.get_execution_options().get(_WRITE_OPTION, True)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@contextmanager
def _transaction(engine: Engine, *, write: bool, lock: str | None = None) -> Iterator[Connection]:
    """One transaction; a writer holds the write lock (SQLite) or the advisory lock named ``lock`` (PostgreSQL).

    SQLite's "database is locked" (a writer waited longer than the busy timeout) becomes a StoreError that says so.
    """
    try:
        with _connected_transaction(engine, write=write, lock=lock) as connection:
            yield connection
    except sa.exc.OperationalError as error:
        if "database is locked" not in str(error.orig):
            raise
        raise StoreError(
            "the store is busy: another change is still being written; nothing was written, try again in a moment"
        ) from error


@contextmanager
def _connected_transaction(engine: Engine, *, write: bool, lock: str | None) -> Iterator[Connection]:
    with engine.connect() as connection:
        connection.execution_options(**{_WRITE_OPTION: write})
        with connection.begin():
            if connection.dialect.name == "postgresql":
                if lock is not None:
                    connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_lock_id(lock))))
                # dates and floats travel as text in COPY: make their spelling independent of the server's settings
                connection.exec_driver_sql("SET LOCAL datestyle TO 'ISO, YMD'")
                connection.exec_driver_sql("SET LOCAL extra_float_digits TO 3")
            yield connection


def _lock_id(name: str) -> int:
    """A stable 64-bit advisory lock id for ``name``."""
    return int.from_bytes(hashlib.sha256(f"pillars.store:{name}".encode()).digest()[:8], "big", signed=True)


# Migrations are a small hand-written runner rather than Alembic: the schema is a handful of plain tables, both
# engines read the same SQL, and the runner is about 40 lines that tests run on SQLite and PostgreSQL.
_MIGRATION_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations in ``directory`` (files ``NNNN_name.sql``), in order.

    Statements end with ``;``; ``--`` starts a comment. Neither may appear inside a string literal.
    """
    migrations: list[Migration] = []
    for path in sorted(directory.iterdir()):
        match = _MIGRATION_FILE.match(path.name)
        if match is None:
            continue
        text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
        code = re.sub(r"--[^\n]*", "", text)
        statements = tuple(statement.strip() for statement in code.split(";") if statement.strip())
        checksum = hashlib.sha256(text.encode()).hexdigest()
        migrations.append(Migration(int(match.group(1)), match.group(2), statements, checksum))
    numbers = [migration.version for migration in migrations]
    if len(set(numbers)) != len(numbers):
        raise MigrationError(f"two migrations share a number in {directory}: {numbers}")
    return migrations


def migrate(engine: Engine, directory: Path = MIGRATIONS_DIR) -> list[int]:
    """Apply the migrations not applied yet, in order and in one transaction; returns the versions applied now."""
    migrations = load_migrations(directory)
    applied_now: list[int] = []
    with _transaction(engine, write=True, lock="schema_migrations") as connection:
        SCHEMA_MIGRATIONS.create(connection, checkfirst=True)
        applied: dict[int, str] = dict(
            connection.execute(sa.select(SCHEMA_MIGRATIONS.c.version, SCHEMA_MIGRATIONS.c.checksum)).all()
        )
        unknown = sorted(set(applied) - {migration.version for migration in migrations})
        if unknown:
            raise MigrationError(f"the database has migrations this code does not know: {unknown}; update Pillars")
        for migration in migrations:
            if migration.version in applied:
                if applied[migration.version] != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.version:04d}_{migration.name} changed after it was applied; "
                        "add a new migration instead"
                    )
                continue
            for statement in migration.statements:
                connection.exec_driver_sql(statement)
            connection.execute(
                sa.insert(SCHEMA_MIGRATIONS).values(
                    version=migration.version,
                    name=migration.name,
                    checksum=migration.checksum,
                    applied_at=_utc_now(),
                )
            )
            applied_now.append(migration.version)
    return applied_now


def _utc_now() -> datetime:
    # stored without a zone on both engines (SQLite has none); the columns are UTC by definition
    return datetime.now(UTC).replace(tzinfo=None)


def _naive_utc(moment: datetime) -> datetime:
    """``moment`` as the stored columns hold it: UTC without a zone (a naive ``moment`` is taken as UTC already)."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment


def _after_rows_written(dataset: str, version: int) -> None:
    """A seam for tests: runs after a commit has written everything and before its transaction ends."""


class Store:
    """Every dataset's committed versions, and Parquet copies of the current ones; safe to share between threads."""

    def __init__(self, engine: Engine, columnar_dir: Path) -> None:
        self._engine = engine
        self.columnar_dir = Path(columnar_dir)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine the store runs on."""
        return self._engine

    def close(self) -> None:
        """Close every connection the store holds."""
        self._engine.dispose()

    def current_version(self, dataset: str) -> int:
        """The dataset's current version; 0 = the configured files, never stored yet."""
        contract_for(dataset)
        with _transaction(self._engine, write=False) as connection:
            return _current_version(connection, dataset)

    def current_versions(self) -> dict[str, int]:
        """Every dataset's current version in one query (0 = the configured files): what each rerun checks."""
        with _transaction(self._engine, write=False) as connection:
            rows = connection.execute(
                sa.select(VERSIONS.c.dataset, sa.func.max(VERSIONS.c.version)).group_by(VERSIONS.c.dataset)
            )
            stored = {str(dataset): int(version) for dataset, version in rows}
        return {name: stored.get(name, 0) for name in CONTRACTS}

    def read(self, dataset: str, version: int | None = None) -> pl.DataFrame:
        """The full content of a version (default: the current one), contract-exact and sorted by key.

        Raises NotStored when the dataset was never stored (its rows are the files).
        """
        contract = contract_for(dataset)
        with _transaction(self._engine, write=False) as connection:
            version = _resolve_version(dataset, _current_version(connection, dataset), version)
            return _read_version(connection, contract, version)

    def versions(self, dataset: str) -> pl.DataFrame:
        """The dataset's versions, oldest first (empty when it was never stored); columns as in VERSIONS_SCHEMA."""
        contract_for(dataset)
        with _transaction(self._engine, write=False) as connection:
            rows = connection.execute(
                sa.select(*(VERSIONS.c[name] for name in VERSIONS_SCHEMA))
                .where(VERSIONS.c.dataset == dataset)
                .order_by(VERSIONS.c.version)
            )
            records = [tuple(row) for row in rows]
        return pl.DataFrame(
            records, schema={**VERSIONS_SCHEMA, "committed_at": pl.Datetime("us")}, orient="row"
        ).with_columns(pl.col("committed_at").dt.replace_time_zone("UTC"))

    def preview(
        self,
        dataset: str,
        frame: pl.DataFrame,
        mode: Mode,
        *,
        initial: pl.DataFrame | None = None,
    ) -> Preview:
        """The row-level difference a commit of ``frame`` in ``mode`` would make to the current version.

        ``initial`` is version 0's rows (the files), needed only while the dataset is not stored yet.
        """
        contract = contract_for(dataset)
        _check_mode(mode)
        _check_frame(contract, frame, "the file")
        with _transaction(self._engine, write=False) as connection:
            current = _current_version(connection, dataset)
        if current == 0:
            if initial is None:
                raise NotStored(dataset)
            _check_frame(contract, initial, "version 0")
            content = _sorted(contract, initial)
        else:
            content = self._content(contract, current)
        return build_preview(contract, content, frame, mode, current)

    def commit(
        self,
        dataset: str,
        frame: pl.DataFrame,
        *,
        mode: Mode,
        based_on: int,
        file_name: str,
        sha256: str,
        committed_by: str,
        initial: pl.DataFrame | None,
    ) -> int:
        """Make ``frame`` the next version of ``dataset`` in one transaction; returns the new version's number.

        ``based_on`` is the version the upload was previewed against (StaleVersionError when the dataset moved on).
        The first commit of a dataset stores ``initial`` (version 0's rows, from the files) as version 0 first, so the
        upload becomes version 1; later commits ignore ``initial``. A key already taken rejects the whole commit
        (DuplicateKeyError) and nothing is written.
        """
        contract = contract_for(dataset)
        _check_mode(mode)
        _check_frame(contract, frame, "the file")
        with _transaction(self._engine, write=True, lock=dataset) as connection:
            current = _current_version(connection, dataset)
            if current != based_on:
                raise StaleVersionError(current, based_on, dataset)
            committed_at = _utc_now()
            if current == 0:
                if initial is None:
                    raise ValueError(f"the first commit to {dataset} needs version 0's rows (initial) to store them")
                _check_frame(contract, initial, "version 0")
                _insert_rows(connection, contract, initial, 0)
                connection.execute(
                    sa.insert(VERSIONS).values(
                        dataset=dataset,
                        version=0,
                        mode="initial",
                        file_name=None,
                        sha256=None,
                        rows=initial.height,
                        rows_added=initial.height,
                        rows_removed=0,
                        committed_by=committed_by,
                        committed_at=committed_at,
                        based_on=None,
                    )
                )
                rows_before = initial.height
            else:
                rows_before = _version_rows(connection, dataset, current)
            version = current + 1
            rows_removed = _remove_replaced(connection, contract, frame, mode, version)
            conflicts = _taken_keys(contract, frame, _current_keys(connection, contract, frame))
            if conflicts.height:
                raise DuplicateKeyError(
                    dataset, conflicts, "of the file already in rows that stay (nothing was written)"
                )
            _insert_rows(connection, contract, frame, version)
            connection.execute(
                sa.insert(VERSIONS).values(
                    dataset=dataset,
                    version=version,
                    mode=mode,
                    file_name=file_name,
                    sha256=sha256,
                    rows=rows_before - rows_removed + frame.height,
                    rows_added=frame.height,
                    rows_removed=rows_removed,
                    committed_by=committed_by,
                    committed_at=committed_at,
                    based_on=based_on,
                )
            )
            _after_rows_written(dataset, version)
        previous = _sorted(contract, initial) if current == 0 and initial is not None else None
        self._write_copy_after_commit(contract, version, current, previous, frame, mode)
        return version

    def rollback(self, dataset: str, to_version: int, *, based_on: int, committed_by: str) -> int:
        """Make version ``to_version``'s full content (0 included) the next version, in one transaction.

        Nothing is rewritten: the current rows are marked removed and ``to_version``'s rows are added again, recorded
        as a version in mode "rollback". ``based_on`` is the version the user saw (StaleVersionError when it moved on).
        """
        contract = contract_for(dataset)
        with _transaction(self._engine, write=True, lock=dataset) as connection:
            current = _current_version(connection, dataset)
            if current != based_on:
                raise StaleVersionError(current, based_on, dataset)
            to_version = _resolve_version(dataset, current, to_version)
            copy = self._copy_path(dataset, to_version)
            content = (
                pl.read_parquet(copy)
                if _copy_is_valid(copy, _version_token(connection, contract, to_version))
                else _read_version(connection, contract, to_version)
            )
            version = current + 1
            rows_removed = _remove_replaced(connection, contract, content, "replace", version)
            _insert_rows(connection, contract, content, version)
            connection.execute(
                sa.insert(VERSIONS).values(
                    dataset=dataset,
                    version=version,
                    mode="rollback",
                    file_name=f"rollback to v{to_version}",
                    sha256=None,
                    rows=content.height,
                    rows_added=content.height,
                    rows_removed=rows_removed,
                    committed_by=committed_by,
                    committed_at=_utc_now(),
                    based_on=based_on,
                )
            )
            _after_rows_written(dataset, version)
        self._write_copy_after_commit(contract, version, current, content, content, "replace")
        return version

    def purge(self, dataset: str, version: int, *, purged_by: str, reason: str) -> None:
        """Remove the rows ``version`` added from the store and from every Parquet copy, and record who, when and why.

        For personal data uploaded by mistake (admins only; in local mode the local user). The rows go from every
        later version too, including the copies a rollback made of them; the versions stay readable without them.
        """
        contract = contract_for(dataset)
        if not reason.strip():
            raise ValueError("a purge needs a reason")
        table = ROW_TABLES[contract.name]
        with _transaction(self._engine, write=True, lock=dataset) as connection:
            current = _current_version(connection, dataset)
            version = _resolve_version(dataset, current, version)
            purged = _fetch(
                connection,
                sa.select(*(table.c[name] for name in contract.schema)).where(table.c.added_in == version),
                contract.schema,
            )
            rows_removed = _delete_purged(connection, contract, version, purged)
            # later versions hold fewer rows now; their counts must say so (a commit counts from the current one)
            for later in range(version, current + 1):
                rows = connection.execute(
                    sa.select(sa.func.count()).select_from(table).where(_in_version(table, later))
                ).scalar_one()
                connection.execute(
                    sa.update(VERSIONS)
                    .where(VERSIONS.c.dataset == dataset, VERSIONS.c.version == later)
                    .values(rows=int(rows))
                )
            connection.execute(
                sa.insert(PURGES).values(
                    dataset=dataset,
                    version=version,
                    purged_by=purged_by,
                    purged_at=_utc_now(),
                    reason=reason,
                    rows_removed=rows_removed,
                )
            )
        # every copy from the purged version on held the rows; they are rebuilt from SQL when next read
        for later in range(version, current + 1):
            self._copy_path(dataset, later).unlink(missing_ok=True)
        self.columnar(dataset)

    def purges(self, dataset: str) -> pl.DataFrame:
        """The dataset's purges, oldest first: version, purged_by, purged_at (UTC), reason, rows_removed."""
        contract_for(dataset)
        with _transaction(self._engine, write=False) as connection:
            records = [
                tuple(row)
                for row in connection.execute(
                    sa.select(
                        PURGES.c.version, PURGES.c.purged_by, PURGES.c.purged_at, PURGES.c.reason, PURGES.c.rows_removed
                    )
                    .where(PURGES.c.dataset == dataset)
                    .order_by(PURGES.c.purged_at, PURGES.c.version)
                )
            ]
        return pl.DataFrame(
            records,
            schema={
                "version": pl.Int64(),
                "purged_by": pl.String(),
                "purged_at": pl.Datetime("us"),
                "reason": pl.String(),
                "rows_removed": pl.Int64(),
            },
            orient="row",
        ).with_columns(pl.col("purged_at").dt.replace_time_zone("UTC"))

    def record(self, email: str, action: str, *, outcome: Outcome = "ok", target: str = "", detail: str = "") -> None:
        """Add one line to the audit log (UTC now): who did what, to what, and whether it was allowed."""
        if outcome not in ("ok", "refused"):
            raise ValueError(f"unknown audit outcome {outcome!r}; use 'ok' or 'refused'")
        with _transaction(self._engine, write=True) as connection:
            connection.execute(
                sa.insert(AUDIT_LOG).values(
                    at=_utc_now(), email=email, action=action, outcome=outcome, target=target, detail=detail
                )
            )

    def audit_log(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        email: str | None = None,
        actions: tuple[str, ...] | None = None,
        outcome: Outcome | None = None,
        limit: int = 10_000,
    ) -> pl.DataFrame:
        """Audit lines, newest first: those at or after ``since`` and before ``until`` (UTC), of ``email`` (any case,
        part of the address matches), of ``actions`` and with ``outcome``; at most ``limit`` of them."""
        statement = sa.select(*AUDIT_LOG.c).order_by(AUDIT_LOG.c.at.desc()).limit(limit)
        if since is not None:
            statement = statement.where(AUDIT_LOG.c.at >= _naive_utc(since))
        if until is not None:
            statement = statement.where(AUDIT_LOG.c.at < _naive_utc(until))
        if email:
            statement = statement.where(sa.func.lower(AUDIT_LOG.c.email).contains(email.lower(), autoescape=True))
        if actions is not None:
            statement = statement.where(AUDIT_LOG.c.action.in_(actions))
        if outcome is not None:
            statement = statement.where(AUDIT_LOG.c.outcome == outcome)
        with _transaction(self._engine, write=False) as connection:
            records = [tuple(row) for row in connection.execute(statement)]
        naive = {**AUDIT_SCHEMA, "at": pl.Datetime("us")}
        return pl.DataFrame(records, schema=naive, orient="row").with_columns(pl.col("at").dt.replace_time_zone("UTC"))

    def columnar(self, dataset: str) -> Path | None:
        """The Parquet copy of the current version (rebuilt from SQL when missing); None while nothing is stored."""
        contract = contract_for(dataset)
        with _transaction(self._engine, write=False) as connection:
            current = _current_version(connection, dataset)
            if current == 0:
                return None
            token = _version_token(connection, contract, current)
        path = self._copy_path(dataset, current)
        if _copy_is_valid(path, token):
            return path
        _write_parquet(self.read(dataset, current), path, token)
        return path

    def _copy_path(self, dataset: str, version: int) -> Path:
        return self.columnar_dir / f"{dataset}-v{version}.parquet"

    def _content(self, contract: Contract, version: int) -> pl.DataFrame:
        """A stored version's content, from its Parquet copy when that is valid, else from SQL."""
        with _transaction(self._engine, write=False) as connection:
            token = _version_token(connection, contract, version)
            path = self._copy_path(contract.name, version)
            if _copy_is_valid(path, token):
                return pl.read_parquet(path)
            return _read_version(connection, contract, version)

    def _write_copy_after_commit(
        self,
        contract: Contract,
        version: int,
        previous_version: int,
        previous: pl.DataFrame | None,
        frame: pl.DataFrame,
        mode: Mode,
    ) -> None:
        """Write the new version's Parquet copy, from the previous copy and the upload when it is at hand, else SQL.

        The commit has succeeded by now, so a failure here is logged, not raised: columnar() rebuilds the copy.
        """
        try:
            with _transaction(self._engine, write=False) as connection:
                token = _version_token(connection, contract, version)
                if previous is None:
                    path = self._copy_path(contract.name, previous_version)
                    previous_token = _version_token(connection, contract, previous_version)
                    if _copy_is_valid(path, previous_token):
                        previous = pl.read_parquet(path)
                content = (
                    _sorted(contract, apply_upload(contract, previous, frame, mode))
                    if previous is not None
                    else _read_version(connection, contract, version)
                )
            _write_parquet(content, self._copy_path(contract.name, version), token)
        except (OSError, sa.exc.SQLAlchemyError, pl.exceptions.PolarsError):
            _log.exception("could not write the Parquet copy of %s version %s", contract.name, version)


def build_preview(contract: Contract, content: pl.DataFrame, frame: pl.DataFrame, mode: Mode, based_on: int) -> Preview:
    """The preview of committing ``frame`` in ``mode`` onto ``content`` (the version ``based_on``)."""
    keyless = keyless_columns(contract)
    value_column = VALUE_COLUMNS.get(contract.name)
    if mode == "replace":
        old, kept = content, content.clear()
    elif mode == "append":
        # only the rows whose key the file repeats can differ; everything else stays as it is
        old = (
            _keyed(content, contract).join(
                _keyed(frame, contract).select(contract.key), on=list(contract.key), how="semi", nulls_equal=True
            )
            if contract.key
            else content.clear()
        )
        kept = content
    else:
        in_slice = SliceFilter.of(contract, frame).expression()
        old, kept = content.filter(in_slice), content.filter(~in_slice)
    diff = diff_frames(old, frame, contract.key, keyless_if_null=keyless, value_column=value_column)
    return Preview(
        dataset=contract.name,
        mode=mode,
        based_on=based_on,
        rows_before=content.height,
        rows_after=kept.height + frame.height,
        diff=diff,
        conflicts=_taken_keys(contract, frame, _keyed(kept, contract).select(contract.key) if contract.key else None),
    )


def apply_upload(contract: Contract, content: pl.DataFrame, frame: pl.DataFrame, mode: Mode) -> pl.DataFrame:
    """The content after committing ``frame`` in ``mode`` (unsorted; keys are not checked here)."""
    if mode == "append":
        return pl.concat([content, frame])
    if mode == "replace":
        return frame
    return pl.concat([content.filter(~SliceFilter.of(contract, frame).expression()), frame])


@dataclass(frozen=True)
class SliceFilter:
    """The rows a ``replace_slice`` upload replaces: its date range and its product lines (a null line included)."""

    date_column: str | None
    first: date | None
    last: date | None
    product_lines: tuple[str, ...] | None
    null_product_line: bool
    empty: bool

    @classmethod
    def of(cls, contract: Contract, frame: pl.DataFrame) -> SliceFilter:
        """The slice that ``frame`` covers in its dataset."""
        names = [column.name for column in contract.columns]
        date_column = next((name for name in SLICE_DATE_COLUMNS if name in names), None)
        by_line = "product_line" in names
        if date_column is None and not by_line:
            raise ValueError(f"{contract.name} has neither dates nor product lines, so it can't be replaced by slice")
        first, last = (
            frame.select(pl.col(date_column).min().alias("first"), pl.col(date_column).max().alias("last")).row(0)
            if date_column
            else (None, None)
        )
        lines = frame.get_column("product_line") if by_line else None
        return cls(
            date_column=date_column,
            first=first,
            last=last,
            product_lines=tuple(sorted(lines.drop_nulls().unique().to_list())) if lines is not None else None,
            null_product_line=bool(lines.is_null().any()) if lines is not None else False,
            empty=frame.height == 0,
        )

    def expression(self) -> pl.Expr:
        """The slice as a Polars filter."""
        if self.empty:
            return pl.lit(value=False)
        conditions: list[pl.Expr] = []
        if self.date_column is not None:
            conditions.append(pl.col(self.date_column).is_between(self.first, self.last))
        if self.product_lines is not None:
            conditions.append(
                pl.col("product_line").is_in(self.product_lines)
                | (pl.col("product_line").is_null() & pl.lit(self.null_product_line))
            )
        return pl.all_horizontal(conditions)

    def clause(self, table: sa.Table) -> sa.ColumnElement[bool]:
        """The slice as a SQL condition on ``table``."""
        if self.empty:
            return sa.false()
        conditions: list[sa.ColumnElement[bool]] = []
        if self.date_column is not None:
            conditions.append(table.c[self.date_column].between(self.first, self.last))
        if self.product_lines is not None:
            lines = table.c.product_line.in_(self.product_lines)
            conditions.append(sa.or_(lines, table.c.product_line.is_(None)) if self.null_product_line else lines)
        return sa.and_(*conditions)


def keyless_columns(contract: Contract) -> tuple[str, ...]:
    """The key columns that leave a row without a key when null (feedback without an id), as in the parser."""
    return tuple(name for name in contract.key if contract.column(name).required or contract.key == (name,))


def describe_keys(keys: pl.DataFrame, limit: int = 5) -> str:
    """The first keys of a frame of keys in words: ``date=2025-01-01, product_line=Atlas; …``."""
    shown = [
        ", ".join(f"{name}={'' if value is None else value}" for name, value in row.items())
        for row in keys.head(limit).iter_rows(named=True)
    ]
    more = f"; and {keys.height - limit:,} more" if keys.height > limit else ""
    return "; ".join(shown) + more


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; the modes are: {', '.join(MODES)}")


def _check_frame(contract: Contract, frame: pl.DataFrame, what: str) -> None:
    """Refuse a frame that is not contract-exact, has nulls in required columns, or repeats a key."""
    expected = list(contract.schema.items())
    if list(frame.schema.items()) != expected:
        raise ValueError(
            f"{what} does not match the {contract.name} contract: expected {expected}, got {list(frame.schema.items())}"
        )
    missing = [name for name in contract.required if frame.get_column(name).null_count()]
    if missing:
        raise ValueError(f"{what} has empty values in required columns of {contract.name}: {', '.join(missing)}")
    if contract.key:
        keys = _keyed(frame, contract).select(contract.key)
        repeated = keys.filter(keys.is_duplicated()).unique()
        if repeated.height:
            raise DuplicateKeyError(contract.name, _sorted_keys(repeated), f"more than once in {what}")


def _keyed(frame: pl.DataFrame, contract: Contract) -> pl.DataFrame:
    """The rows that have a key."""
    keyless = keyless_columns(contract)
    if not contract.key:
        return frame.clear()
    if not keyless:
        return frame
    return frame.filter(pl.all_horizontal([pl.col(name).is_not_null() for name in keyless]))


def _sorted_keys(keys: pl.DataFrame) -> pl.DataFrame:
    return keys.sort(keys.columns, nulls_last=True, maintain_order=True)


def _taken_keys(contract: Contract, frame: pl.DataFrame, existing: pl.DataFrame | None) -> pl.DataFrame:
    """The keys of ``frame`` found in ``existing`` (a frame of keys), each once, sorted."""
    key = list(contract.key)
    if not key or existing is None or existing.height == 0:
        return pl.DataFrame(schema={name: contract.schema[name] for name in key})
    taken = _keyed(frame, contract).select(key).join(existing, on=key, how="semi", nulls_equal=True).unique()
    return _sorted_keys(taken)


def _sorted(contract: Contract, frame: pl.DataFrame) -> pl.DataFrame:
    """Rows in key order, ties broken by the other columns, so a version always reads back the same."""
    order = [*contract.key, *(column.name for column in contract.columns if column.name not in contract.key)]
    return frame.sort(order, nulls_last=True, maintain_order=True)


def _resolve_version(dataset: str, current: int, version: int | None) -> int:
    if current == 0:
        raise NotStored(dataset)
    if version is None:
        return current
    if not 0 <= version <= current:
        raise ValueError(f"{dataset} has no version {version}; its versions are 0 to {current}")
    return version


def _current_version(connection: Connection, dataset: str) -> int:
    latest = connection.execute(
        sa.select(sa.func.max(VERSIONS.c.version)).where(VERSIONS.c.dataset == dataset)
    ).scalar_one()
    return int(latest) if latest is not None else 0


def _version_rows(connection: Connection, dataset: str, version: int) -> int:
    return int(
        connection.execute(
            sa.select(VERSIONS.c.rows).where(VERSIONS.c.dataset == dataset, VERSIONS.c.version == version)
        ).scalar_one()
    )


def _version_token(connection: Connection, contract: Contract, version: int) -> str:
    """What identifies a version's content: a Parquet copy carrying another token is stale (e.g. a recreated store)."""
    committed_at = connection.execute(
        sa.select(VERSIONS.c.committed_at).where(VERSIONS.c.dataset == contract.name, VERSIONS.c.version == version)
    ).scalar_one()
    # a purge changes the content of its version and the later ones: their copies are stale from its commit on
    purges = connection.execute(
        sa.select(sa.func.count()).where(PURGES.c.dataset == contract.name, PURGES.c.version <= version)
    ).scalar_one()
    columns = hashlib.sha256(repr(list(contract.schema.items())).encode()).hexdigest()[:12]
    return f"{contract.name} v{version} committed {committed_at.isoformat()} purges {purges} columns {columns}"


def _in_version(table: sa.Table, version: int) -> sa.ColumnElement[bool]:
    return sa.and_(
        table.c.added_in <= version,
        sa.or_(table.c.removed_in.is_(None), table.c.removed_in > version),
    )


def _read_version(connection: Connection, contract: Contract, version: int) -> pl.DataFrame:
    table = ROW_TABLES[contract.name]
    statement = sa.select(*(table.c[name] for name in contract.schema)).where(_in_version(table, version))
    return _sorted(contract, _fetch(connection, statement, contract.schema))


def _current_keys(connection: Connection, contract: Contract, frame: pl.DataFrame) -> pl.DataFrame | None:
    """The keys of the current rows that could collide with ``frame``'s (narrowed to its dates when the key has one)."""
    if not contract.key or _keyed(frame, contract).height == 0:
        return None
    table = ROW_TABLES[contract.name]
    statement = sa.select(*(table.c[name] for name in contract.key)).where(table.c.removed_in.is_(None))
    date_key = next((name for name in contract.key if name in SLICE_DATE_COLUMNS), None)
    if date_key is not None:
        first, last = frame.select(pl.col(date_key).min().alias("first"), pl.col(date_key).max().alias("last")).row(0)
        statement = statement.where(table.c[date_key].between(first, last))
    for name in keyless_columns(contract):
        statement = statement.where(table.c[name].is_not(None))
    return _fetch(connection, statement, {name: contract.schema[name] for name in contract.key})


def _remove_replaced(connection: Connection, contract: Contract, frame: pl.DataFrame, mode: Mode, version: int) -> int:
    """Mark the rows the upload replaces as removed in ``version``; returns how many."""
    if mode == "append":
        return 0
    table = ROW_TABLES[contract.name]
    condition: sa.ColumnElement[bool] = table.c.removed_in.is_(None)
    if mode == "replace_slice":
        condition = sa.and_(condition, SliceFilter.of(contract, frame).clause(table))
    result = connection.execute(sa.update(table).where(condition).values(removed_in=version))
    return int(result.rowcount)


def _delete_purged(connection: Connection, contract: Contract, version: int, purged: pl.DataFrame) -> int:
    """Delete the rows ``version`` added, and their copies that later rollbacks added again; returns how many."""
    table = ROW_TABLES[contract.name]
    removed = int(connection.execute(sa.delete(table).where(table.c.added_in == version)).rowcount)
    rollbacks = [
        int(number)
        for number in connection.execute(
            sa.select(VERSIONS.c.version).where(
                VERSIONS.c.dataset == contract.name, VERSIONS.c.version > version, VERSIONS.c.mode == "rollback"
            )
        ).scalars()
    ]
    if not rollbacks or purged.height == 0:
        return removed
    same_row = sa.and_(
        table.c.added_in.in_(rollbacks),
        *(table.c[name].is_not_distinct_from(sa.bindparam(f"purged_{name}")) for name in contract.schema),
    )
    parameters = [{f"purged_{name}": value for name, value in row.items()} for row in purged.iter_rows(named=True)]
    for row in parameters:
        removed += int(connection.execute(sa.delete(table).where(same_row), row).rowcount)
    return removed


def _insert_rows(connection: Connection, contract: Contract, frame: pl.DataFrame, version: int) -> None:
    """Insert ``frame`` as rows added in ``version``, in bulk.

    Written against the driver (COPY on PostgreSQL, executemany on SQLite) because SQLAlchemy's per-row parameter
    handling costs several seconds per million rows.
    """
    if frame.height == 0:
        return
    table = ROW_TABLES[contract.name]
    rows = frame.with_columns(pl.lit(version, dtype=pl.Int64()).alias("added_in"))
    quote = connection.dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in rows.columns)
    driver = _driver(connection)
    if connection.dialect.name == "postgresql":
        # quoting every text keeps a value such as "\." from reading as COPY's end-of-data marker
        data = rows.write_csv(include_header=False, quote_style="non_numeric").encode()
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY {quote(table.name)} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy,
        ):
            copy.write(data)
        return
    dates = [name for name, dtype in rows.schema.items() if dtype == pl.Date()]
    records = rows.with_columns(pl.col(dates).dt.to_string("%Y-%m-%d")).rows()
    placeholders = ", ".join("?" for _ in rows.columns)
    cursor = driver.cursor()
    try:
        cursor.executemany(f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({placeholders})", records)
    finally:
        cursor.close()


def _fetch(connection: Connection, statement: sa.Select[Any], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """The result of ``statement`` as a frame with ``schema``.

    Read through the driver (COPY … TO STDOUT on PostgreSQL, the raw cursor on SQLite): SQLAlchemy's result rows
    cost about half a second more per million rows.
    """
    driver = _driver(connection)
    if connection.dialect.name == "postgresql":
        # booleans leave COPY as t/f; as text they read true/false, which Polars parses
        text_booleans = [
            sa.cast(column, sa.Text()).label(column.name) if isinstance(column.type, sa.Boolean) else column
            for column in statement.selected_columns
        ]
        compiled = statement.with_only_columns(*text_booleans).compile(
            dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
        )
        buffer = io.BytesIO()
        with (
            driver.cursor() as cursor,
            cursor.copy(f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv)", compiled.params) as copy,
        ):
            for block in copy:
                buffer.write(block)
        return pl.read_csv(buffer.getvalue(), has_header=False, schema=schema) if buffer.tell() else _empty(schema)
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    parameters = {
        name: value.isoformat() if isinstance(value, date) else value for name, value in compiled.params.items()
    }
    cursor = driver.cursor()
    try:
        records = cursor.execute(str(compiled), parameters).fetchall()
    finally:
        cursor.close()
    # SQLite hands back dates as text and booleans as 0/1
    stored = {
        name: pl.String() if dtype == pl.Date() else pl.Int64() if dtype == pl.Boolean() else dtype
        for name, dtype in schema.items()
    }
    return pl.DataFrame(records, schema=stored, orient="row").with_columns(
        pl.col(name).str.to_date("%Y-%m-%d") if dtype == pl.Date() else pl.col(name).cast(dtype)
        for name, dtype in schema.items()
        if dtype in (pl.Date(), pl.Boolean())
    )


def _driver(connection: Connection) -> Any:
    """The driver's own connection under ``connection`` (same transaction), for bulk reads and writes."""
    driver = connection.connection.driver_connection
    if driver is None:
        raise StoreError("the database connection is closed")
    return driver


def _empty(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def _copy_is_valid(path: Path, token: str) -> bool:
    try:
        return pl.read_parquet_metadata(path).get(_COPY_TOKEN) == token
    except (OSError, pl.exceptions.PolarsError):
        return False


def _write_parquet(frame: pl.DataFrame, path: Path, token: str) -> None:
    """Write ``frame`` to ``path`` atomically (a temporary file renamed over it), tagged with its version's token."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        frame.write_parquet(temporary, metadata={_COPY_TOKEN: token})
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


__all__ = [
    "MODES",
    "PURGES",
    "ROW_TABLES",
    "VERSIONS",
    "VERSIONS_SCHEMA",
    "DuplicateKeyError",
    "Migration",
    "MigrationError",
    "Mode",
    "NotStored",
    "Preview",
    "SliceFilter",
    "StaleVersionError",
    "Store",
    "StoreError",
    "apply_upload",
    "build_preview",
    "describe_keys",
    "keyless_columns",
    "load_migrations",
    "migrate",
    "open_store",
]
