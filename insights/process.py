"""Process and practices: which teams adopt each practice, how regularly they run it, and who has lapsed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from insights.periods import Granularity, period_start

# The columns a team × practice pair can be grouped by.
_PAIR_COLUMNS = ("team", "product_line", "practice")


def teams_in_scope(
    teams: pl.DataFrame,
    start: date,
    end: date,
    product_lines: Sequence[str] | None,
) -> pl.DataFrame:
    """The teams of the selected product lines (None = all) active at any time in [start, end], sorted by team."""
    conditions = [
        pl.col("active_from").is_null() | (pl.col("active_from") <= end),
        pl.col("active_to").is_null() | (pl.col("active_to") >= start),
    ]
    if product_lines is not None:
        conditions.append(pl.col("product_line").is_in(list(product_lines)))
    return teams.filter(*conditions).sort("team")


def adoption_rate(
    adoption: pl.DataFrame,
    teams: pl.DataFrame,
    practices: pl.DataFrame,
    start: date,
    end: date,
    product_lines: Sequence[str] | None = None,
    by: Sequence[str] = ("practice",),
) -> pl.DataFrame:
    """Share of in-scope teams with a done (or late, or status-less) occurrence in [start, end], per group of ``by``.

    Without ``practice`` in ``by``, all rolled-out practices are pooled: ``teams_in_scope`` and ``teams_adopted`` then
    count team × practice pairs, so the rate is pairs adopted / pairs in scope.
    """
    _check_grouping(by, _PAIR_COLUMNS)
    pairs = _adoption_pairs(adoption, _team_practice_pairs(teams, practices, start, end, product_lines), start, end)
    counts = _aggregate(
        pairs,
        by,
        pl.len().cast(pl.Int64).alias("teams_in_scope"),
        pl.col("adopted").sum().cast(pl.Int64).alias("teams_adopted"),
    )
    return counts.with_columns(
        pl.when(pl.col("teams_in_scope") > 0)
        .then(pl.col("teams_adopted") / pl.col("teams_in_scope"))
        .otherwise(None)
        .alias("adoption_rate"),
    )


def adoption_by_period(
    adoption: pl.DataFrame,
    teams: pl.DataFrame,
    practices: pl.DataFrame,
    granularity: Granularity,
    fiscal_year_start_month: int,
    start: date,
    end: date,
    product_lines: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Adoption rate per practice per period overlapping [start, end], each period clipped to [start, end].

    ``period_start`` is the period's own first day, even where clipping moves the first counted day later. A practice
    is absent from the periods that end before its roll-out. The rate of a practice whose cadence is longer than the
    granularity (a quarterly practice looked at monthly) is low by construction: most teams have no occurrence in a
    given month even when they never miss a quarter.
    """
    schema = pl.Schema(
        {
            "practice": pl.String(),
            "period_start": pl.Date(),
            "teams_in_scope": pl.Int64(),
            "teams_adopted": pl.Int64(),
            "adoption_rate": pl.Float64(),
        }
    )
    clipped_periods = _clipped_periods(start, end, granularity, fiscal_year_start_month)
    per_period = [
        adoption_rate(adoption, teams, practices, first_day, last_day, product_lines, by=("practice",)).with_columns(
            pl.lit(nominal_start, dtype=pl.Date).alias("period_start"),
        )
        for nominal_start, first_day, last_day in clipped_periods.iter_rows()
    ]
    if not per_period:
        return pl.DataFrame(schema=schema)
    return pl.concat([frame.select(*schema) for frame in per_period]).cast(schema).sort("practice", "period_start")


def adoption_matrix(
    adoption: pl.DataFrame,
    teams: pl.DataFrame,
    practices: pl.DataFrame,
    start: date,
    end: date,
    product_lines: Sequence[str] | None = None,
) -> pl.DataFrame:
    """One row per in-scope team × rolled-out practice: occurrences, done ones, the last done date, adopted or not."""
    pairs = _team_practice_pairs(teams, practices, start, end, product_lines)
    occurrences = (
        adoption.filter(
            pl.col("date").is_between(start, end),
            _is_occurrence(),
        )
        .group_by("team", "practice")
        .agg(
            pl.len().cast(pl.Int64).alias("occurrences"),
            _counts_as_done().sum().cast(pl.Int64).alias("done"),
            pl.col("date").filter(_counts_as_done()).max().alias("last_done"),
        )
    )
    return (
        pairs.join(occurrences, on=["team", "practice"], how="left")
        .with_columns(
            pl.col("occurrences").fill_null(0),
            pl.col("done").fill_null(0),
        )
        .with_columns((pl.col("done") >= 1).alias("adopted"))
        .select("team", "product_line", "practice", "occurrences", "done", "last_done", "adopted")
        .sort("team", "practice")
    )


def cadence_adherence(
    adoption: pl.DataFrame,
    practices: pl.DataFrame,
    start: date,
    end: date,
    product_lines: Sequence[str] | None = None,
    by: Sequence[str] = ("practice",),
) -> pl.DataFrame:
    """Share of the occurrences in [start, end] that came within ``cadence_days`` of the team's previous one.

    Gaps are measured on each team × practice's whole history (skipped rows left out), so the first occurrence in
    the range is compared with the one before the range. A group appears when it has an occurrence in the range;
    ``adherence`` is null when none of them has a previous occurrence. Product lines are the adoption rows' own.
    """
    _check_grouping(by, _PAIR_COLUMNS)
    cadences = _rolled_out(practices, end).select("practice", "cadence_days")
    occurrences = (
        adoption.filter(
            pl.col("date").is_not_null(),
            _is_occurrence(),
        )
        .join(cadences, on="practice", how="inner")
        .sort("team", "practice", "date")
        .with_columns(pl.col("date").diff().dt.total_days().over("team", "practice").alias("gap_days"))
        .filter(pl.col("date").is_between(start, end))
    )
    if product_lines is not None:
        # Filtered after the gaps are measured, so a team that changed lines keeps its full history.
        occurrences = occurrences.filter(pl.col("product_line").is_in(list(product_lines)))
    counts = _aggregate(
        occurrences,
        by,
        pl.col("gap_days").is_not_null().sum().cast(pl.Int64).alias("intervals"),
        (pl.col("gap_days") <= pl.col("cadence_days")).fill_null(False).sum().cast(pl.Int64).alias("on_time"),
    )
    return counts.with_columns(
        pl.when(pl.col("intervals") > 0)
        .then(pl.col("on_time") / pl.col("intervals"))
        .otherwise(None)
        .alias("adherence"),
    )


def lapsed_teams(
    adoption: pl.DataFrame,
    teams: pl.DataFrame,
    practices: pl.DataFrame,
    as_of: date,
    grace: float = 1.5,
    product_lines: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Active teams that ran a practice at least twice but not within ``grace`` × its cadence before ``as_of``."""
    active_teams = teams_in_scope(teams, as_of, as_of, product_lines).select("team", "product_line")
    return (
        adoption.filter(
            pl.col("date") <= as_of,
            _counts_as_done(),
        )
        .group_by("team", "practice")
        .agg(
            pl.len().alias("done"),
            pl.col("date").max().alias("last_done"),
        )
        # A single occurrence is a try, not a habit; only a habit can lapse.
        .filter(pl.col("done") >= 2)
        .join(active_teams, on="team", how="inner")
        .join(practices.select("practice", "cadence_days"), on="practice", how="inner")
        .with_columns((pl.lit(as_of, dtype=pl.Date) - pl.col("last_done")).dt.total_days().alias("days_since"))
        .filter(pl.col("days_since") > grace * pl.col("cadence_days"))
        .select(
            "team",
            "product_line",
            "practice",
            "last_done",
            pl.col("days_since").cast(pl.Int64),
            "cadence_days",
            (pl.col("days_since") - pl.col("cadence_days")).cast(pl.Int64).alias("overdue_days"),
        )
        .sort(
            "overdue_days",
            "team",
            "practice",
            descending=[True, False, False],
        )
    )


def process_by_product_line(
    adoption: pl.DataFrame,
    teams: pl.DataFrame,
    practices: pl.DataFrame,
    start: date,
    end: date,
    as_of: date,
    product_lines: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Per product line with a team in scope: teams, pooled adoption rate, cadence adherence and lapsed pairs."""
    team_counts = (
        teams_in_scope(teams, start, end, product_lines)
        .group_by("product_line")
        .agg(pl.len().cast(pl.Int64).alias("teams"))
    )
    pooled_adoption = adoption_rate(adoption, teams, practices, start, end, product_lines, by=("product_line",))
    adherence = cadence_adherence(adoption, practices, start, end, product_lines, by=("product_line",))
    lapsed = (
        lapsed_teams(adoption, teams, practices, as_of, product_lines=product_lines)
        .group_by("product_line")
        .agg(pl.len().cast(pl.Int64).alias("lapsed"))
    )
    return (
        team_counts.join(pooled_adoption.select("product_line", "adoption_rate"), on="product_line", how="left")
        .join(adherence.select("product_line", "adherence"), on="product_line", how="left")
        .join(lapsed, on="product_line", how="left")
        .with_columns(pl.col("lapsed").fill_null(0))
        .select("product_line", "teams", "adoption_rate", "adherence", "lapsed")
        .sort("product_line")
    )


def _counts_as_done() -> pl.Expr:
    # A late occurrence still happened, and a row without a status is a plain record of it happening.
    return pl.col("status").is_null() | pl.col("status").is_in(["done", "late"])


def _is_occurrence() -> pl.Expr:
    return pl.col("status").is_null() | (pl.col("status") != "skipped")


def _rolled_out(practices: pl.DataFrame, end: date) -> pl.DataFrame:
    return practices.filter(pl.col("since").is_null() | (pl.col("since") <= end))


def _team_practice_pairs(
    teams: pl.DataFrame,
    practices: pl.DataFrame,
    start: date,
    end: date,
    product_lines: Sequence[str] | None,
) -> pl.DataFrame:
    in_scope = teams_in_scope(teams, start, end, product_lines).select("team", "product_line")
    return in_scope.join(_rolled_out(practices, end).select("practice"), how="cross")


def _adoption_pairs(adoption: pl.DataFrame, pairs: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    adopted = (
        adoption.filter(
            pl.col("date").is_between(start, end),
            _counts_as_done(),
        )
        .select("team", "practice")
        .unique()
        .with_columns(pl.lit(True).alias("adopted"))
    )
    return pairs.join(adopted, on=["team", "practice"], how="left").with_columns(pl.col("adopted").fill_null(False))


def _clipped_periods(start: date, end: date, granularity: Granularity, fiscal_year_start_month: int) -> pl.DataFrame:
    # Each period's own first day, and its first and last day inside [start, end].
    days = pl.DataFrame({"day": pl.date_range(start, end, "1d", eager=True)}, schema={"day": pl.Date})
    return (
        days.group_by(period_start(pl.col("day"), granularity, fiscal_year_start_month).alias("period_start"))
        .agg(
            pl.col("day").min().alias("first_day"),
            pl.col("day").max().alias("last_day"),
        )
        .sort("period_start")
    )


def _check_grouping(by: Sequence[str], allowed: Sequence[str]) -> None:
    unknown = [column for column in by if column not in allowed]
    if unknown:
        raise ValueError(f"cannot group by {unknown}; choose from {list(allowed)}")


def _aggregate(frame: pl.DataFrame, by: Sequence[str], *aggregations: pl.Expr) -> pl.DataFrame:
    # With no grouping columns the whole frame is one group, so an empty frame still yields its one row of zeros.
    if not by:
        return frame.select(*aggregations)
    return frame.group_by(*by).agg(*aggregations).sort(*by, nulls_last=True)
