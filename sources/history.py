"""A dataset's history in the store: the difference between any two of its versions."""

from __future__ import annotations

from collections.abc import Sequence

from sources.access import rows_of_lines
from sources.contracts import contract_for
from sources.diff import Diff, diff_frames
from sources.store import VALUE_COLUMNS, Store, keyless_columns


def compare_versions(
    store: Store, dataset: str, older: int, newer: int, *, product_lines: Sequence[str] | None = None
) -> Diff:
    """The rows added, changed (old and new values) and removed from version ``older`` to version ``newer``; only
    those of ``product_lines`` when given (a scoped user's diff never holds another line's rows)."""
    contract = contract_for(dataset)
    old, new = store.read(dataset, older), store.read(dataset, newer)
    if product_lines is not None:
        old, new = rows_of_lines(old, dataset, product_lines), rows_of_lines(new, dataset, product_lines)
    return diff_frames(
        old,
        new,
        contract.key,
        keyless_if_null=keyless_columns(contract),
        value_column=VALUE_COLUMNS.get(dataset),
    )
