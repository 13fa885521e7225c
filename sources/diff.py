"""Row-level differences between two versions of a dataset, matched by the dataset's key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

_OCCURRENCE = "_occurrence"
_NEW = "_new:"
CHANGE_SCHEMA_TAIL: dict[str, pl.DataType] = {"column": pl.String(), "old": pl.String(), "new": pl.String()}
"""The columns of ``Diff.changed`` after the key columns."""


@dataclass(frozen=True)
class Diff:
    """What changes from an old frame to a new one.

    ``added`` and ``removed`` are whole rows (in the frames' schema); ``changed`` has one row per changed cell: the key
    columns, ``column``, and its ``old`` and ``new`` values as text; ``largest_changes`` has the key columns and the
    value column's ``old``, ``new`` and ``change`` (new − old), the biggest moves first; ``unchanged`` counts the rows
    found in both with equal values.
    """

    key: tuple[str, ...]
    added: pl.DataFrame
    removed: pl.DataFrame
    changed: pl.DataFrame
    largest_changes: pl.DataFrame
    unchanged: int

    @property
    def changed_rows(self) -> int:
        """How many rows (keys) have at least one changed value."""
        return self.changed.select(self.key).unique().height if self.key else 0

    @property
    def is_empty(self) -> bool:
        """True when the two frames hold the same rows."""
        return self.added.height == 0 and self.removed.height == 0 and self.changed.height == 0


def diff_frames(
    old: pl.DataFrame,
    new: pl.DataFrame,
    key: Sequence[str],
    *,
    keyless_if_null: Sequence[str] = (),
    value_column: str | None = None,
    top: int = 10,
) -> Diff:
    """The rows added, removed and changed from ``old`` to ``new``, matched on ``key``.

    A row with a null in one of ``keyless_if_null`` (e.g. feedback without an id) has no key, as has every row when
    ``key`` is empty: such rows are matched as whole rows, so they can only be added or removed (a row that appears
    twice is matched twice). Other nulls in key columns match each other. ``value_column`` names the number whose
    largest changes are listed (at most ``top`` of them); without it ``largest_changes`` is empty.
    """
    key = tuple(key)
    _check_inputs(old, new, key, keyless_if_null, value_column)
    old_keyed, old_loose = _split_keyless(old, key, keyless_if_null)
    new_keyed, new_loose = _split_keyless(new, key, keyless_if_null)
    _check_unique(old_keyed, key, "old")
    _check_unique(new_keyed, key, "new")
    columns = old.columns
    values = [name for name in columns if name not in key]

    renamed = new_keyed.rename({name: f"{_NEW}{name}" for name in values})
    matched = (
        old_keyed.join(renamed, on=list(key), how="inner", nulls_equal=True)
        if key
        else pl.DataFrame(schema={**old.schema, **renamed.schema})
    )
    differs = {name: pl.col(name).eq_missing(pl.col(f"{_NEW}{name}")).not_() for name in values}
    changed = _changed_cells(matched, key, values, differs)
    unchanged_keyed = matched.filter(~pl.any_horizontal(list(differs.values()))).height if values else matched.height

    removed_loose = _loose_difference(old_loose, new_loose)
    added = pl.concat([_keys_not_in(new_keyed, old_keyed, key), _loose_difference(new_loose, old_loose)])
    removed = pl.concat([_keys_not_in(old_keyed, new_keyed, key), removed_loose])
    order = [*key, *values]
    return Diff(
        key=key,
        added=added.sort(order, nulls_last=True, maintain_order=True),
        removed=removed.sort(order, nulls_last=True, maintain_order=True),
        changed=changed,
        largest_changes=_largest_changes(matched, key, old.schema, value_column, top),
        unchanged=unchanged_keyed + old_loose.height - removed_loose.height,
    )


def _check_inputs(
    old: pl.DataFrame,
    new: pl.DataFrame,
    key: tuple[str, ...],
    keyless_if_null: Sequence[str],
    value_column: str | None,
) -> None:
    if old.schema != new.schema:
        raise ValueError(f"the frames differ in columns or types: {dict(old.schema)} vs {dict(new.schema)}")
    unknown = [name for name in (*key, *keyless_if_null) if name not in old.columns]
    if unknown:
        raise ValueError(f"no such columns: {', '.join(unknown)}")
    if value_column is not None and (value_column not in old.columns or value_column in key):
        raise ValueError(f"{value_column!r} is not a value column of these frames")


def _split_keyless(
    frame: pl.DataFrame, key: tuple[str, ...], keyless_if_null: Sequence[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows that have a key, and those matched as whole rows."""
    if not key:
        return frame.clear(), frame
    if not keyless_if_null:
        return frame, frame.clear()
    keyless = pl.any_horizontal([pl.col(name).is_null() for name in keyless_if_null])
    return frame.filter(~keyless), frame.filter(keyless)


def _check_unique(frame: pl.DataFrame, key: tuple[str, ...], which: str) -> None:
    if not key or frame.height == 0:
        return
    duplicated = frame.select(key).is_duplicated()
    if duplicated.any():
        sample = frame.select(key).filter(duplicated).row(0)
        raise ValueError(f"the {which} frame has a key twice: {dict(zip(key, sample, strict=True))}")


def _changed_cells(
    matched: pl.DataFrame, key: tuple[str, ...], values: list[str], differs: dict[str, pl.Expr]
) -> pl.DataFrame:
    """One row per changed cell, in key order and then column order."""
    key_schema = {name: matched.schema[name] for name in key}
    parts = [
        matched.filter(differs[name]).select(
            *key,
            pl.lit(position).alias("_position"),
            pl.lit(name).alias("column"),
            pl.col(name).cast(pl.String).alias("old"),
            pl.col(f"{_NEW}{name}").cast(pl.String).alias("new"),
        )
        for position, name in enumerate(values)
    ]
    if not parts:
        return pl.DataFrame(schema={**key_schema, **CHANGE_SCHEMA_TAIL})
    return pl.concat(parts).sort([*key, "_position"], nulls_last=True, maintain_order=True).drop("_position")


def _keys_not_in(rows: pl.DataFrame, other: pl.DataFrame, key: tuple[str, ...]) -> pl.DataFrame:
    """The rows of ``rows`` whose key is not in ``other``."""
    if not key:
        return rows
    return rows.join(other.select(key), on=list(key), how="anti", nulls_equal=True)


def _loose_difference(rows: pl.DataFrame, other: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``rows`` not matched by an equal row of ``other``, counting repeats."""
    columns = rows.columns
    if rows.height == 0 or other.height == 0:
        return rows
    numbered = rows.with_columns(pl.int_range(pl.len()).over(columns).alias(_OCCURRENCE))
    other_numbered = other.with_columns(pl.int_range(pl.len()).over(columns).alias(_OCCURRENCE))
    return numbered.join(other_numbered, on=[*columns, _OCCURRENCE], how="anti", nulls_equal=True).drop(_OCCURRENCE)


def _largest_changes(
    matched: pl.DataFrame,
    key: tuple[str, ...],
    schema: pl.Schema,
    value_column: str | None,
    top: int,
) -> pl.DataFrame:
    """The value column's changes between rows found in both, the largest first (ties by key)."""
    dtype = schema[value_column] if value_column is not None else pl.Float64()
    empty = pl.DataFrame(
        schema={**{name: schema[name] for name in key}, "old": dtype, "new": dtype, "change": dtype},
    )
    if value_column is None or not key:
        return empty
    return (
        matched.filter(
            pl.col(value_column).is_not_null(),
            pl.col(f"{_NEW}{value_column}").is_not_null(),
            pl.col(value_column) != pl.col(f"{_NEW}{value_column}"),
        )
        .select(
            *key,
            pl.col(value_column).alias("old"),
            pl.col(f"{_NEW}{value_column}").alias("new"),
            (pl.col(f"{_NEW}{value_column}") - pl.col(value_column)).alias("change"),
        )
        .with_columns(pl.col("change").abs().alias("_size"))
        .sort(["_size", *key], descending=[True, *([False] * len(key))], nulls_last=True, maintain_order=True)
        .drop("_size")
        .head(top)
    )
