"""What the Process & Practices page needs beyond insights.process: the KPI pulse, chart markers, slow practices."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl

from insights.periods import Granularity, periods_between
from insights.process import adoption_rate, cadence_adherence, lapsed_teams, teams_in_scope

# The longest a period of each granularity runs, in days: a cadence longer than that misses some periods by design.
_LONGEST_PERIOD_DAYS: dict[Granularity, int] = {"week": 7, "month": 31, "quarter": 92, "year": 366}
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
) -> pl.DataFrame:
    """One row for [start, end]: pooled adoption, cadence adherence, teams in scope, and lapsed pairs as of ``end``.

    Adoption is pooled over team × rolled-out practice pairs (``adoption_rate`` without ``practice``).
    """
    adopted = adoption_rate(adoption, teams, practices, start, end, product_lines, by=())
    adherence = cadence_adherence(adoption, practices, start, end, product_lines, by=())
    team_count = teams_in_scope(teams, start, end, product_lines).height
    lapsed_count = lapsed_teams(adoption, teams, practices, end, product_lines=product_lines).height
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
) -> pl.DataFrame:
    """``process_pulse`` per period overlapping [start, end], clipped to it; ``period_start`` is the period's own."""
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
