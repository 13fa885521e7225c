"""A dataset's history in the store: the difference between any two of its versions."""

from __future__ import annotations

from sources.contracts import contract_for
from sources.diff import Diff, diff_frames
from sources.store import VALUE_COLUMNS, Store, keyless_columns


def compare_versions(store: Store, dataset: str, older: int, newer: int) -> Diff:
    """The rows added, changed (old and new values) and removed from version ``older`` to version ``newer``."""
    contract = contract_for(dataset)
    return diff_frames(
        store.read(dataset, older),
        store.read(dataset, newer),
        contract.key,
        keyless_if_null=keyless_columns(contract),
        value_column=VALUE_COLUMNS.get(dataset),
    )
