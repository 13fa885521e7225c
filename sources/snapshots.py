"""The last good read of a Google Sheet, kept in the store (a snapshot, not a version) to serve when Google fails."""

from __future__ import annotations

from datetime import UTC

import polars as pl
import sqlalchemy as sa

from sources.contracts import FEEDBACK, Contract
from sources.files import read_csv_text
from sources.parser import PROBLEM_SCHEMA, parse_table
from sources.sheets import SheetRead
from sources.store import Store

SNAPSHOTS = sa.Table(
    "sheet_snapshots",
    sa.MetaData(),
    sa.Column("sheet_key", sa.Text(), primary_key=True),
    sa.Column("worksheet", sa.Text(), primary_key=True),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("read_at", sa.DateTime(), nullable=False),
    sa.Column("rows_read", sa.BigInteger(), nullable=False),
    sa.Column("rows_skipped", sa.BigInteger(), nullable=False),
    sa.Column("content", sa.Text(), nullable=False),
    sa.Column("problems", sa.Text(), nullable=False),
)


def save_snapshot(store: Store, sheet_key: str, read: SheetRead) -> None:
    """Keep ``read`` as the sheet's last good read, replacing the one before."""
    values = {
        "sheet_key": sheet_key,
        "worksheet": read.worksheet,
        "title": read.title,
        # stored without a zone on both engines (SQLite has none); the column is UTC by definition
        "read_at": read.read_at.astimezone(UTC).replace(tzinfo=None),
        "rows_read": read.rows_read,
        "rows_skipped": read.rows_skipped,
        "content": read.frame.write_csv(),
        "problems": read.problems.write_csv(),
    }
    where = (SNAPSHOTS.c.sheet_key == sheet_key) & (SNAPSHOTS.c.worksheet == read.worksheet)
    with store.engine.begin() as connection:
        connection.execute(sa.delete(SNAPSHOTS).where(where))
        connection.execute(sa.insert(SNAPSHOTS).values(**values))


def load_snapshot(store: Store, sheet_key: str, worksheet: str, contract: Contract = FEEDBACK) -> SheetRead | None:
    """The sheet's last good read, or None when there has been none."""
    where = (SNAPSHOTS.c.sheet_key == sheet_key) & (SNAPSHOTS.c.worksheet == worksheet)
    with store.engine.connect() as connection:
        row = connection.execute(sa.select(SNAPSHOTS).where(where)).mappings().first()
    if row is None:
        return None
    # the rows were checked when they were read; reading them back through the parser makes them contract-exact again
    parsed = parse_table(read_csv_text("snapshot", row["content"]), contract)
    frame = parsed.data() if parsed.ok else contract.empty()
    problems = pl.read_csv(row["problems"].encode(), schema=PROBLEM_SCHEMA)
    return SheetRead(
        title=row["title"],
        worksheet=row["worksheet"],
        frame=frame,
        problems=problems,
        notes=(),
        rows_read=row["rows_read"],
        rows_skipped=row["rows_skipped"],
        read_at=row["read_at"].replace(tzinfo=UTC),
    )
