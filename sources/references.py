"""Checks between datasets: metric ids against the catalog, values within the catalog's bounds, known practices."""

from __future__ import annotations

import polars as pl

from sources.parser import PROBLEM_SCHEMA, ROW, ParseResult, bounds_problems, problem_frame


def unknown_reference_problems(
    result: ParseResult, column: str, known: pl.Series, what: str, source_of_known: str
) -> pl.DataFrame:
    """Rows whose ``column`` value is not among ``known`` (e.g. a metric id missing from the catalog)."""
    frame = result.frame
    if frame.height == 0 or column not in frame.columns:
        return problem_frame([])
    return (
        frame.filter(pl.col(column).is_not_null() & ~pl.col(column).is_in(known.implode()))
        .select(
            pl.lit(result.source).alias("source"),
            pl.col(ROW).alias("row"),
            pl.lit(column).alias("column"),
            pl.col(column).cast(pl.String).alias("value"),
            pl.lit(f"unknown {what}: not in {source_of_known}").alias("problem"),
        )
        .cast(PROBLEM_SCHEMA)  # type: ignore[arg-type]
    )


def metric_value_bound_problems(metrics: ParseResult, catalog: pl.DataFrame) -> pl.DataFrame:
    """Metric values outside their metric's ``min``/``max`` in the catalog."""
    bounds = catalog.select("metric", pl.col("min").alias("_min"), pl.col("max").alias("_max"))
    # Only the rows out of bounds are kept (lazily, reading three columns): joining every row and writing every value
    # as text first took 1.5 GB for ten million rows.
    outside = (
        metrics.frame.lazy()
        .select(ROW, "metric", "value")
        .join(bounds.lazy(), on="metric", how="left", maintain_order="left")
        .filter((pl.col("value") < pl.col("_min")) | (pl.col("value") > pl.col("_max")))
        .collect()
    )
    return bounds_problems(
        outside,
        outside.get_column("value").cast(pl.String),
        "value",
        minimum=pl.col("_min"),
        maximum=pl.col("_max"),
        source=metrics.source,
    )


def reference_problems(results: dict[str, ParseResult], frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Problems per dataset found by checking it against the datasets it refers to (only those that parsed)."""
    problems: dict[str, list[pl.DataFrame]] = {}
    catalog = frames.get("metric_catalog")
    if catalog is not None:
        metric_ids = catalog.get_column("metric")
        for name in ("metrics", "targets"):
            if name in results:
                problems.setdefault(name, []).append(
                    unknown_reference_problems(results[name], "metric", metric_ids, "metric id", "the metric catalog")
                )
        if "metrics" in results:
            problems.setdefault("metrics", []).append(metric_value_bound_problems(results["metrics"], catalog))
    practices = frames.get("practices")
    if practices is not None and "adoption" in results:
        problems.setdefault("adoption", []).append(
            unknown_reference_problems(
                results["adoption"], "practice", practices.get_column("practice"), "practice", "the practices list"
            )
        )
    teams = frames.get("teams")
    if teams is not None and "adoption" in results:
        problems.setdefault("adoption", []).append(
            unknown_reference_problems(results["adoption"], "team", teams.get_column("team"), "team", "the teams list")
        )
    return {
        name: pl.concat(parts).sort("row", maintain_order=True)
        for name, parts in problems.items()
        if sum(part.height for part in parts)
    }
