"""What the Process & Practices page needs beyond insights.process: the KPI pulse, chart markers, slow practices."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from insights.periods import Granularity, Period, periods_between
from insights.process import (
    AdoptionHistory,
    KeptCounts,
    adoption_rate,
    cadence_adherence,
    clipped_periods,
    lapsed_counts,
    lapsed_teams,
    occurrences_in_periods,
    period_pairs,
    period_teams,
    teams_in_scope,
    with_kept_periods,
)
from insights.scope import rows_in_scope

# The longest a period of each granularity runs, in days: a cadence longer than that misses some periods by design.
_LONGEST_PERIOD_DAYS: dict[Granularity, int] = {"week": 7, "month": 31, "quarter": 92, "year": 366}
_PULSE_COUNTS = ("pairs_in_scope", "pairs_adopted", "intervals", "on_time", "teams", "lapsed")
PULSE_SCHEMA = pl.Schema(
    {
        "pairs_in_scope": pl.Int64(),
        "pairs_adopted": pl.Int64(),
        "adoption_rate": pl.Float64(),
        "intervals": pl.Int64(),
        "on_time": pl.Int64(),
        "adherence": pl.Float64(),
        "teams": pl.Int64(),
        "lapsed": pl.Int64(),
    }
)
MARKER_SCHEMA = pl.Schema(
    {
        "practice": pl.String(),
        "date": pl.Date(),
        "label": pl.String(),
        "kind": pl.String(),
    }
)


def process_pulse(
    adoption: pl.DataFrame,
    teams: pl.DataFrame,
    practices: pl.DataFrame,
    start: date,
    end: date,
    product_lines: Sequence[str] | None = None,
    history: AdoptionHistory | None = None,
) -> pl.DataFrame:
    """One row for [start, end]: pooled adoption, cadence adherence, teams in scope, and lapsed pairs as of ``end``.

    Adoption is pooled over team × rolled-out practice pairs (``adoption_rate`` without ``practice``). ``history``
    (``adoption_history`` of the same rows) is passed on.
    """
    adopted = adoption_rate(adoption, teams, practices, start, end, product_lines, by=(), history=history)
    adherence = cadence_adherence(adoption, practices, start, end, product_lines, by=(), history=history)
    team_count = teams_in_scope(teams, start, end, product_lines).height
    lapsed_count = lapsed_teams(adoption, teams, practices, end, product_lines=product_lines, history=history).height
    return pl.concat(
        [
            adopted.select(
                pl.col("teams_in_scope").alias("pairs_in_scope"),
                pl.col("teams_adopted").alias("pairs_adopted"),
                "adoption_rate",
            ),
            adherence.select("intervals", "on_time", "adherence"),
            pl.DataFrame({"teams": [team_count], "lapsed": [lapsed_count]}),
        ],
        how="horizontal",
    ).cast(PULSE_SCHEMA)


def process_pulse_by_period(
    adoption: pl.DataFrame,
    teams: pl.DataFrame,
    practices: pl.DataFrame,
    granularity: Granularity,
    fiscal_year_start_month: int,
    start: date,
    end: date,
    product_lines: Sequence[str] | None = None,
    history: AdoptionHistory | None = None,
) -> pl.DataFrame:
    """``process_pulse`` per period overlapping [start, end], clipped to it; ``period_start`` is the period's own.

    With ``history`` all periods are counted in one pass over the range's rows.
    """
    if history is not None:
        periods = clipped_periods(start, end, granularity, fiscal_year_start_month)
        counts = _pulse_counts(history, teams, practices, periods, product_lines)
        return pulse_of_lines(counts, periods.get_column("period_start").to_list(), None)
    per_period = [
        process_pulse(
            adoption,
            teams,
            practices,
            max(period.start, start),
            min(period.end, end),
            product_lines,
        ).select(
            pl.lit(period.start, dtype=pl.Date).alias("period_start"),
            pl.all(),
        )
        for period in periods_between(start, end, granularity, fiscal_year_start_month)
    ]
    if not per_period:
        return pl.DataFrame(schema=pl.Schema({"period_start": pl.Date(), **PULSE_SCHEMA}))
    return pl.concat(per_period).sort("period_start")


def pulse_counts_by_line(
    history: AdoptionHistory,
    teams: pl.DataFrame,
    practices: pl.DataFrame,
    granularity: Granularity,
    fiscal_year_start_month: int,
    start: date,
    end: date,
    kept: KeptCounts | None = None,
) -> pl.DataFrame:
    """What ``process_pulse_by_period`` counts, per period overlapping [start, end] and product line of every line:
    ``pairs_in_scope``, ``pairs_adopted``, ``intervals``, ``on_time``, ``teams`` and ``lapsed``. ``pulse_of_lines``
    sums them for any choice of lines. With ``kept`` (these counts of whole periods), only the periods it lacks are
    counted (``with_kept_periods``)."""
    periods = clipped_periods(start, end, granularity, fiscal_year_start_month)
    return with_kept_periods(periods, kept, lambda some: _pulse_counts(history, teams, practices, some, None))


def pulse_of_lines(
    counts: pl.DataFrame, period_starts: Sequence[date], product_lines: Sequence[str] | None
) -> pl.DataFrame:
    """``process_pulse_by_period`` of ``product_lines`` (None = all) from ``pulse_counts_by_line``: the counts of each
    of ``period_starts`` summed over those lines (zero where none has any), the shares computed from the sums."""
    rows = rows_in_scope(counts, product_lines, None, None)
    summed = rows.group_by("period_start").agg(pl.col(*_PULSE_COUNTS).sum())
    return (
        pl.DataFrame({"period_start": list(period_starts)}, schema={"period_start": pl.Date()})
        .join(summed, on="period_start", how="left")
        .with_columns(pl.col(*_PULSE_COUNTS).fill_null(0))
        .with_columns(
            _share("pairs_adopted", "pairs_in_scope").alias("adoption_rate"),
            _share("on_time", "intervals").alias("adherence"),
        )
        .select("period_start", *PULSE_SCHEMA)
        .cast(PULSE_SCHEMA)
        .sort("period_start")
    )


def process_by_line_of_pulse(counts: pl.DataFrame, shown_start: date) -> pl.DataFrame:
    """``process_by_product_line`` of a whole period (as of its last day) from its rows of ``pulse_counts_by_line``
    (``period_start`` = ``shown_start``): per product line with a team in scope, its teams, pooled adoption, cadence
    adherence and lapsed pairs."""
    return (
        counts.filter(pl.col("period_start") == shown_start, pl.col("teams") > 0)
        .select(
            "product_line",
            "teams",
            _share("pairs_adopted", "pairs_in_scope").alias("adoption_rate"),
            _share("on_time", "intervals").alias("adherence"),
            "lapsed",
        )
        .sort("product_line")
    )


def _pulse_counts(
    history: AdoptionHistory,
    teams: pl.DataFrame,
    practices: pl.DataFrame,
    periods: pl.DataFrame,
    product_lines: Sequence[str] | None,
) -> pl.DataFrame:
    # process_pulse's counts of every clipped period and line at once: one pass over the range's rows, one lookup per
    # pair and period. Pairs, teams and lapses count for their team's line; occurrences for their own row's line.
    by = ("period_start", "product_line")
    in_periods = occurrences_in_periods(history, periods)
    pooled = _pooled_counts(period_pairs(teams, practices, periods, product_lines), in_periods, ("product_line",))
    cadences = (
        periods.select("period_start", "last_day")
        .join(practices.select("practice", "cadence_days", "since"), how="cross")
        .filter(pl.col("since").is_null() | (pl.col("since") <= pl.col("last_day")))
        .select("period_start", "practice", "cadence_days")
    )
    on_lines = (
        in_periods.lazy()
        if product_lines is None
        else in_periods.lazy().filter(pl.col("product_line").is_in(list(product_lines)))
    )
    adherence = (
        on_lines.join(cadences.lazy(), on=["period_start", "practice"], how="inner")
        .group_by(*by)
        .agg(
            pl.col("gap_days").is_not_null().sum().cast(pl.Int64).alias("intervals"),
            (pl.col("gap_days") <= pl.col("cadence_days")).fill_null(False).sum().cast(pl.Int64).alias("on_time"),
        )
        .collect()
    )
    team_counts = period_teams(teams, periods, product_lines).group_by(*by).agg(pl.len().cast(pl.Int64).alias("teams"))
    lapsed = lapsed_counts(
        history,
        teams,
        practices,
        periods.select("period_start", pl.col("last_day").alias("as_of")),
        product_lines=product_lines,
        by=("product_line",),
    )
    counts = pooled
    for part in (adherence, team_counts, lapsed):
        counts = counts.join(part, on=list(by), how="full", coalesce=True, nulls_equal=True)
    return counts.with_columns(pl.col(*_PULSE_COUNTS).fill_null(0).cast(pl.Int64)).select(*by, *_PULSE_COUNTS)


def pooled_adoption_by_period(
    history: AdoptionHistory,
    teams: pl.DataFrame,
    practices: pl.DataFrame,
    periods: Sequence[Period],
    product_lines: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Pooled adoption (``adoption_rate`` without ``practice``) of each of ``periods`` (whole periods that follow
    each other, in order), counted in one pass over the prepared rows: ``period_start``, ``pairs_in_scope``,
    ``pairs_adopted``, ``adoption_rate``."""
    frame = pl.DataFrame(
        [(period.start, period.start, period.end) for period in periods],
        schema={"period_start": pl.Date(), "first_day": pl.Date(), "last_day": pl.Date()},
        orient="row",
    )
    counts = _pooled_counts(
        period_pairs(teams, practices, frame, product_lines), occurrences_in_periods(history, frame)
    )
    return (
        frame.select("period_start")
        .join(counts, on="period_start", how="left")
        .with_columns(pl.col("pairs_in_scope", "pairs_adopted").fill_null(0))
        .with_columns(_share("pairs_adopted", "pairs_in_scope").alias("adoption_rate"))
    )


def _pooled_counts(pairs: pl.DataFrame, in_periods: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    # Per period (and ``by``): the team × practice pairs in scope, and those with a done occurrence in the period.
    adopted = (
        pairs.lazy()
        .join(
            in_periods.lazy().filter(pl.col("done")).select("period_start", "team", "practice").unique(),
            on=["period_start", "team", "practice"],
            how="semi",
        )
        .group_by("period_start", *by)
        .agg(pl.len().cast(pl.Int64).alias("pairs_adopted"))
    )
    in_scope = pairs.lazy().group_by("period_start", *by).agg(pl.len().cast(pl.Int64).alias("pairs_in_scope"))
    return in_scope.join(adopted, on=["period_start", *by], how="left", nulls_equal=True).collect()


def _share(part: str, whole: str) -> pl.Expr:
    return pl.when(pl.col(whole) > 0).then(pl.col(part) / pl.col(whole)).otherwise(None)


def practice_markers(
    practices: pl.DataFrame,
    events: pl.DataFrame,
    start: date,
    end: date,
    product_lines: Sequence[str] | None = None,
) -> pl.DataFrame:
    """Dated marks for adoption charts: each practice's roll-out, and process events (``practice`` null = all).

    Events count when their kind is ``process`` and they concern all lines or one of ``product_lines`` (None = all).
    """
    rollouts = practices.filter(pl.col("since").is_between(start, end)).select(
        "practice",
        pl.col("since").alias("date"),
        pl.lit("rolled out").alias("label"),
        pl.lit("rollout").alias("kind"),
    )
    event_conditions = [
        pl.col("kind") == "process",
        pl.col("date").is_between(start, end),
    ]
    if product_lines is not None:
        event_conditions.append(pl.col("product_line").is_null() | pl.col("product_line").is_in(list(product_lines)))
    process_events = (
        events.filter(*event_conditions)
        .select(
            pl.lit(None, dtype=pl.String).alias("practice"),
            "date",
            pl.col("event").alias("label"),
            pl.lit("process").alias("kind"),
        )
        .unique()
    )
    return pl.concat([rollouts.cast(MARKER_SCHEMA), process_events.cast(MARKER_SCHEMA)]).sort(
        "date",
        "practice",
        "label",
        nulls_last=True,
    )


def practices_slower_than(practices: pl.DataFrame, granularity: Granularity) -> list[str]:
    """The practices whose cadence outlasts a period of the granularity, sorted: their per-period rate looks low."""
    return (
        practices.filter(pl.col("cadence_days") > _LONGEST_PERIOD_DAYS[granularity])
        .get_column("practice")
        .sort()
        .to_list()
    )
