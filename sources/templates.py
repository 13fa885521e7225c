"""What a dataset file must look like, for people: a contract as a table of columns, and a CSV template."""

from __future__ import annotations

import csv
import io

import polars as pl

from sources.contracts import Column, Contract, bounds_text

CONTRACT_TABLE_SCHEMA: dict[str, pl.DataType] = {
    "column": pl.String(),
    "type": pl.String(),
    "required": pl.Boolean(),
    "allowed": pl.String(),
    "description": pl.String(),
    "example": pl.String(),
    "also_accepted": pl.String(),
}


def allowed_text(column: Column) -> str:
    """The values a column allows, in words: its allowed values, its bounds, or nothing when anything goes."""
    return ", ".join(column.allowed) if column.allowed else bounds_text(column)


def contract_table(contract: Contract) -> pl.DataFrame:
    """One row per column of the contract, in contract order: name, type, required, allowed values, description,
    example, and the other headers it is recognised by."""
    return pl.DataFrame(
        [
            (
                column.name,
                column.type_name,
                column.required,
                allowed_text(column),
                column.description,
                column.example,
                ", ".join(column.aliases),
            )
            for column in contract.columns
        ],
        schema=CONTRACT_TABLE_SCHEMA,
        orient="row",
    )


def key_text(contract: Contract) -> str:
    """The contract's key in words: its columns, with the note on when it applies, or "none"."""
    key = ", ".join(contract.key) if contract.key else "none"
    return f"{key} ({contract.key_note})" if contract.key_note else key


def template_csv(contract: Contract) -> bytes:
    """A CSV file to fill in: the header and one example row, UTF-8 (it passes the contract's own checks)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([column.name for column in contract.columns])
    writer.writerow([column.example for column in contract.columns])
    return buffer.getvalue().encode("utf-8")
