"""The summary shown above an upload's preview."""

from __future__ import annotations

from datetime import date

import polars as pl

from sources.contracts import CONTRACTS
from sources.summary import UploadSummary, summarise_upload


def test_summary_of_metrics_and_of_a_dataset_without_dates() -> None:
    metrics = pl.DataFrame(
        [
            (date(2026, 2, 1), "Beacon", "arr", 1.0, None, None),
            (date(2026, 1, 1), "Atlas", "arr", 2.0, None, None),
            (date(2026, 3, 1), "Atlas", "logo_churn", 0.5, None, None),
        ],
        schema=CONTRACTS["metrics"].schema,
        orient="row",
    )
    assert summarise_upload(metrics) == UploadSummary(
        3, date(2026, 1, 1), date(2026, 3, 1), ("Atlas", "Beacon"), ("arr", "logo_churn")
    )
    practices = pl.DataFrame([("QBR", 91, None, None)], schema=CONTRACTS["practices"].schema, orient="row")
    assert summarise_upload(practices) == UploadSummary(1, None, None, (), ())
