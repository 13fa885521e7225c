"""Process and practices: which teams adopt each practice, how regularly they run it, and who has lapsed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

import polars as pl

from insights.periods import Granularity, period_start, periods_between, periods_span
from insights.scope import rows_in_scope

# The columns a team × practice pair can be grouped by.
_PAIR_COLUMNS = ("team", "product_line", "practice")
_ADOPTION_BY_PERIOD = pl.Schema(
    {
        "practice": pl.String(),
        "period_start": pl.Date(),
        "teams_in_scope": pl.Int64(),
        "teams_adopted": pl.Int64(),
        "adoption_rate": pl.Float64(),
    }
)
# A lookup key packs a team × practice pair's number above a day: (pair << 32) + day + 2**31 (a Date is an Int32 day).
_DAY_BITS = 32
_DAY_OFFSET = 2**31


@dataclass(frozen=True)
class AdoptionHistory:
    """The adoption rows prepared once per data version, so that a view's numbers are a slice and a small aggregation.

    ``occurrences`` is ``occurrence_gaps`` (sorted by date, so a date range is a slice); ``pairs`` numbers each team ×
    practice with a done occurrence; ``done`` is ``done_history`` keyed by pair and day, for "as of" lookups.
    """

    occurrences: pl.DataFrame
    pairs: pl.DataFrame
    done: pl.DataFrame


@dataclass(frozen=True)
class KeptCounts:
    """Counts per period (``adoption_counts_by_line`` or ``pulse_counts_by_line``) of every whole period of a span
    (``periods``: ``whole_periods``), counted once: a range reads the rows of its whole periods from ``counts`` and
    counts only the periods it cuts short, or that lie outside the span."""

    periods: pl.DataFrame
    counts: pl.DataFrame


def occurrence_gaps(adoption: pl.DataFrame) -> pl.DataFrame:
    """Every dated occurrence that was not skipped: whether it counts as done, and ``gap_days`` since the team's
    previous occurrence of the practice (null for its first); sorted by date, team, practice."""
    return _gaps_by_pair(adoption).sort("date", "team", "practice")


def _gaps_by_pair(adoption: pl.DataFrame) -> pl.DataFrame:
    return (
        adoption.filter(
            pl.col("date").is_not_null(),
            _is_occurrence(),
        )
        .select(
            "date",
            "team",
            "product_line",
            "practice",
            _counts_as_done().alias("done"),
        )
        .sort("team", "practice", "date")
        .with_columns(pl.col("date").diff().dt.total_days().over("team", "practice").alias("gap_days"))
    )


def done_history(adoption: pl.DataFrame) -> pl.DataFrame:
    """Every dated done occurrence with ``done_count``, the team's done occurrences of the practice up to and
    including it; sorted by team, practice, date."""
    return _done_counts(_gaps_by_pair(adoption))


def adoption_history(adoption: pl.DataFrame) -> AdoptionHistory:
    """``occurrence_gaps`` and ``done_history`` of the adoption rows, made once and passed to the functions here."""
    # One sort by team, practice and date serves the gaps, the done counts and the pair numbers.
    by_pair = _gaps_by_pair(adoption)
    done = _done_counts(by_pair).with_columns(pl.struct("team", "practice").rle_id().cast(pl.Int64).alias("pair"))
    pairs = done.select("pair", "team", "practice").unique("pair", keep="first", maintain_order=True)
    keyed = done.select(
        _pair_day_key(pl.col("pair"), pl.col("date")).alias("key"),
        "pair",
        "date",
        "done_count",
    ).sort("key")
    return AdoptionHistory(occurrences=by_pair.sort("date", "team", "practice"), pairs=pairs, done=keyed)


def _done_counts(by_pair: pl.DataFrame) -> pl.DataFrame:
    # by_pair: occurrences sorted by team, practice, date (_gaps_by_pair), so a running count is a row number.
    return (
        by_pair.filter(pl.col("done"))
        .select("team", "practice", "date")
        .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("team", "practice").alias("done_count"))
    )


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
    history: AdoptionHistory | None = None,
) -> pl.DataFrame:
    """Share of in-scope teams with a done (or late, or status-less) occurrence in [start, end], per group of ``by``.

    Without ``practice`` in ``by``, all rolled-out practices are pooled: ``teams_in_scope`` and ``teams_adopted`` then
    count team × practice pairs, so the rate is pairs adopted / pairs in scope. ``history`` (``adoption_history`` of
    the same rows) makes it a slice of the prepared rows.
    """
    _check_grouping(by, _PAIR_COLUMNS)
    in_scope = _team_practice_pairs(teams, practices, start, end, product_lines)
    pairs = (
        _adoption_pairs(adoption, in_scope, start, end)
        if history is None
        else _adopted_pairs(in_scope, _done_pairs(_between(history.occurrences, start, end)))
    )
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
    history: AdoptionHistory | None = None,
) -> pl.DataFrame:
    """Adoption rate per practice per period overlapping [start, end], each period clipped to [start, end].

    ``period_start`` is the period's own first day, even where clipping moves the first counted day later. A practice
    is absent from the periods that end before its roll-out. The rate of a practice whose cadence is longer than the
    granularity (a quarterly practice looked at monthly) is low by construction: most teams have no occurrence in a
    given month even when they never miss a quarter. With ``history``, all periods are counted in one pass.
    """
    periods = clipped_periods(start, end, granularity, fiscal_year_start_month)
    if history is not None:
        counts = _adoption_counts(history, teams, practices, periods, product_lines)
        return adoption_of_lines(counts, None)
    per_period = [
        adoption_rate(adoption, teams, practices, first_day, last_day, product_lines, by=("practice",)).with_columns(
            pl.lit(nominal_start, dtype=pl.Date).alias("period_start"),
        )
        for nominal_start, first_day, last_day in periods.iter_rows()
    ]
    if not per_period:
        return pl.DataFrame(schema=_ADOPTION_BY_PERIOD)
    return (
        pl.concat([frame.select(*_ADOPTION_BY_PERIOD) for frame in per_period])
        .cast(_ADOPTION_BY_PERIOD)
        .sort("practice", "period_start")
    )


def adoption_counts_by_line(
    history: AdoptionHistory,
    teams: pl.DataFrame,
    practices: pl.DataFrame,
    granularity: Granularity,
    fiscal_year_start_month: int,
    start: date,
    end: date,
    kept: KeptCounts | None = None,
) -> pl.DataFrame:
    """What ``adoption_by_period`` counts, per practice, period and product line of every line: ``teams_in_scope``
    and ``teams_adopted``. ``adoption_of_lines`` sums them for any choice of lines. With ``kept`` (these counts of
    whole periods), only the periods it lacks are counted (``with_kept_periods``)."""
    periods = clipped_periods(start, end, granularity, fiscal_year_start_month)
    return with_kept_periods(periods, kept, lambda some: _adoption_counts(history, teams, practices, some, None))


def adoption_of_lines(counts: pl.DataFrame, product_lines: Sequence[str] | None) -> pl.DataFrame:
    """``adoption_by_period`` of ``product_lines`` (None = all) from ``adoption_counts_by_line``: the counts summed."""
    rows = rows_in_scope(counts, product_lines, None, None)
    return (
        rows.group_by("practice", "period_start")
        .agg(pl.col("teams_in_scope").sum(), pl.col("teams_adopted").sum())
        .with_columns((pl.col("teams_adopted") / pl.col("teams_in_scope")).alias("adoption_rate"))
        .select(*_ADOPTION_BY_PERIOD)
        .cast(_ADOPTION_BY_PERIOD)
        .sort("practice", "period_start")
    )


def _adoption_counts(
    history: AdoptionHistory,
    teams: pl.DataFrame,
    practices: pl.DataFrame,
    periods: pl.DataFrame,
    product_lines: Sequence[str] | None,
) -> pl.DataFrame:
    # per practice, period and line (the team's): its teams × the practice in scope, and those with a done occurrence
    pairs = period_pairs(teams, practices, periods, product_lines)
    adopted = _done_pairs(occurrences_in_periods(history, periods), ("period_start",))
    return (
        _adopted_pairs(pairs, adopted, ("period_start",))
        .group_by("practice", "period_start", "product_line")
        .agg(
            pl.len().cast(pl.Int64).alias("teams_in_scope"),
            pl.col("adopted").sum().cast(pl.Int64).alias("teams_adopted"),
        )
    )


def adoption_matrix(
    adoption: pl.DataFrame,
    teams: pl.DataFrame,
    practices: pl.DataFrame,
    start: date,
    end: date,
    product_lines: Sequence[str] | None = None,
    history: AdoptionHistory | None = None,
) -> pl.DataFrame:
    """One row per in-scope team × rolled-out practice: occurrences, done ones, the last done date, adopted or not."""
    pairs = _team_practice_pairs(teams, practices, start, end, product_lines)
    in_range = (
        adoption.filter(
            pl.col("date").is_between(start, end),
            _is_occurrence(),
        ).with_columns(_counts_as_done().alias("done"))
        if history is None
        else _between(history.occurrences, start, end)
    )
    occurrences = in_range.group_by("team", "practice").agg(
        pl.len().cast(pl.Int64).alias("occurrences"),
        pl.col("done").sum().cast(pl.Int64).alias("done"),
        pl.col("date").filter(pl.col("done")).max().alias("last_done"),
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
    history: AdoptionHistory | None = None,
) -> pl.DataFrame:
    """Share of the occurrences in [start, end] that came within ``cadence_days`` of the team's previous one.

    Gaps are measured on each team × practice's whole history (skipped rows left out), so the first occurrence in
    the range is compared with the one before the range. A group appears when it has an occurrence in the range;
    ``adherence`` is null when none of them has a previous occurrence. Product lines are the adoption rows' own.
    ``history`` (``adoption_history`` of the same rows) brings the gaps already measured.
    """
    _check_grouping(by, _PAIR_COLUMNS)
    cadences = _rolled_out(practices, end).select("practice", "cadence_days")
    in_range = (
        _gaps_by_pair(adoption).filter(pl.col("date").is_between(start, end))
        if history is None
        else _between(history.occurrences, start, end)
    )
    occurrences = in_range.join(cadences, on="practice", how="inner")
    if product_lines is not None:
        # Filtered after the gaps are measured, so a team that changed lines keeps its full history.
        occurrences = occurrences.filter(pl.col("product_line").is_in(list(product_lines)))
    counts = _aggregate(
        occurrences,
        by,
        pl.col("gap_days").is_not_null().sum().cast(pl.Int64).alias("intervals"),
        (pl.col("gap_days") <= pl.col("cadence_days")).fill_null(False).sum().cast(pl.Int64).alias("on_time"),
    )
    return counts.with_columns(_adherence_share())


def pooled_adherence(
    by_line: pl.DataFrame, product_lines: Sequence[str] | None, by: Sequence[str] = ("practice",)
) -> pl.DataFrame:
    """``cadence_adherence`` of ``product_lines`` (None = all) grouped by ``by``, from its result grouped by
    ``product_line`` and ``by`` (of every line): the intervals and on-time occurrences summed over those lines.

    A page computes adherence per line once, and any choice of lines is then a sum, not another pass over the rows.
    """
    rows = rows_in_scope(by_line, product_lines, None, None)
    counts = _aggregate(
        rows,
        by,
        pl.col("intervals").sum().cast(pl.Int64),
        pl.col("on_time").sum().cast(pl.Int64),
    )
    return counts.with_columns(_adherence_share())


def _adherence_share() -> pl.Expr:
    # null when no occurrence of the group has a previous one to be measured against
    return (
        pl.when(pl.col("intervals") > 0)
        .then(pl.col("on_time") / pl.col("intervals"))
        .otherwise(None)
        .alias("adherence")
    )


def lapsed_teams(
    adoption: pl.DataFrame,
    teams: pl.DataFrame,
    practices: pl.DataFrame,
    as_of: date,
    grace: float = 1.5,
    product_lines: Sequence[str] | None = None,
    history: AdoptionHistory | None = None,
) -> pl.DataFrame:
    """Active teams that ran a practice at least twice but not within ``grace`` × its cadence before ``as_of``.

    With ``history``, each pair's last done occurrence is looked up instead of grouping every earlier row.
    """
    active_teams = teams_in_scope(teams, as_of, as_of, product_lines).select("team", "product_line")
    if history is not None:
        queries = active_teams.join(practices.select("practice", "cadence_days"), how="cross").with_columns(
            pl.lit(as_of, dtype=pl.Date).alias("as_of")
        )
        return _overdue(_lapsed_pairs(history, queries, grace))
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
        .with_columns(pl.col("days_since").cast(pl.Int64))
        .pipe(_overdue)
    )


def _overdue(lapsed: pl.DataFrame) -> pl.DataFrame:
    # The lapsed pairs' columns, with how far past its cadence each one is, the most overdue first.
    return lapsed.select(
        "team",
        "product_line",
        "practice",
        "last_done",
        "days_since",
        "cadence_days",
        (pl.col("days_since") - pl.col("cadence_days")).cast(pl.Int64).alias("overdue_days"),
    ).sort("overdue_days", "team", "practice", descending=[True, False, False])


def process_by_product_line(
    adoption: pl.DataFrame,
    teams: pl.DataFrame,
    practices: pl.DataFrame,
    start: date,
    end: date,
    as_of: date,
    product_lines: Sequence[str] | None = None,
    history: AdoptionHistory | None = None,
) -> pl.DataFrame:
    """Per product line with a team in scope: teams, pooled adoption rate, cadence adherence and lapsed pairs."""
    team_counts = (
        teams_in_scope(teams, start, end, product_lines)
        .group_by("product_line")
        .agg(pl.len().cast(pl.Int64).alias("teams"))
    )
    pooled_adoption = adoption_rate(
        adoption, teams, practices, start, end, product_lines, by=("product_line",), history=history
    )
    adherence = cadence_adherence(adoption, practices, start, end, product_lines, by=("product_line",), history=history)
    lapsed = (
        lapsed_teams(adoption, teams, practices, as_of, product_lines=product_lines, history=history)
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


def period_teams(teams: pl.DataFrame, periods: pl.DataFrame, product_lines: Sequence[str] | None) -> pl.DataFrame:
    """Per period (``period_start``, ``first_day``, ``last_day``): ``teams_in_scope`` of [first_day, last_day]."""
    active = periods.select("period_start", "first_day", "last_day").join(
        teams.select("team", "product_line", "active_from", "active_to"), how="cross"
    )
    conditions = [
        pl.col("active_from").is_null() | (pl.col("active_from") <= pl.col("last_day")),
        pl.col("active_to").is_null() | (pl.col("active_to") >= pl.col("first_day")),
    ]
    if product_lines is not None:
        conditions.append(pl.col("product_line").is_in(list(product_lines)))
    return active.filter(*conditions).select("period_start", "team", "product_line").sort("period_start", "team")


def period_pairs(
    teams: pl.DataFrame,
    practices: pl.DataFrame,
    periods: pl.DataFrame,
    product_lines: Sequence[str] | None,
) -> pl.DataFrame:
    """Per period (``period_start``, ``first_day``, ``last_day``): its teams in scope × the practices rolled out by
    its last day, the pairs ``adoption_rate`` counts for that period."""
    rolled_out = (
        periods.select("period_start", "last_day")
        .join(practices.select("practice", "since"), how="cross")
        .filter(pl.col("since").is_null() | (pl.col("since") <= pl.col("last_day")))
        .select("period_start", "practice")
    )
    return (
        period_teams(teams, periods, product_lines)
        .join(rolled_out, on="period_start", how="inner")
        .sort("period_start", "team", "practice")
    )


def lapsed_counts(
    history: AdoptionHistory,
    teams: pl.DataFrame,
    practices: pl.DataFrame,
    as_of: pl.DataFrame,
    grace: float = 1.5,
    product_lines: Sequence[str] | None = None,
    by: Sequence[str] = (),
) -> pl.DataFrame:
    """How many pairs ``lapsed_teams`` finds as of each date of ``as_of`` (its ``period_start`` and ``as_of``).

    With ``by`` (``("product_line",)``: the team's line), per date and group, only the groups with a lapsed pair.
    """
    days = as_of.select("period_start", pl.col("as_of").alias("first_day"), pl.col("as_of").alias("last_day"))
    queries = (
        period_teams(teams, days, product_lines)
        .join(as_of.select("period_start", "as_of"), on="period_start", how="inner")
        .join(practices.select("practice", "cadence_days"), how="cross")
    )
    lapsed = (
        _lapsed_pairs(history, queries, grace)
        .group_by("period_start", *by)
        .agg(pl.len().cast(pl.Int64).alias("lapsed"))
    )
    if by:
        return lapsed.sort("period_start", *by, nulls_last=True)
    return (
        as_of.select("period_start")
        .join(lapsed, on="period_start", how="left")
        .with_columns(pl.col("lapsed").fill_null(0))
        .sort("period_start")
    )


def _lapsed_pairs(history: AdoptionHistory, queries: pl.DataFrame, grace: float) -> pl.DataFrame:
    # queries: team, practice, cadence_days, as_of (and any other column, kept). Each pair's done occurrences
    # up to as_of are the last done row at or before (pair, as_of) in the key order, when it is the pair's own.
    found = (
        queries.join(history.pairs, on=["team", "practice"], how="inner")
        .with_columns(_pair_day_key(pl.col("pair"), pl.col("as_of")).alias("key"))
        .sort("key")
        .join_asof(
            history.done.select(
                "key",
                pl.col("pair").alias("done_pair"),
                pl.col("date").alias("last_done"),
                "done_count",
            ),
            on="key",
            strategy="backward",
        )
    )
    return (
        found.filter(
            pl.col("done_pair") == pl.col("pair"),
            # A single occurrence is a try, not a habit; only a habit can lapse.
            pl.col("done_count") >= 2,
        )
        .with_columns((pl.col("as_of") - pl.col("last_done")).dt.total_days().cast(pl.Int64).alias("days_since"))
        .filter(pl.col("days_since") > grace * pl.col("cadence_days"))
    )


def _pair_day_key(pair: pl.Expr, day: pl.Expr) -> pl.Expr:
    # One sortable integer per (pair, day), so a per-pair "as of" lookup is a single join_asof on one column.
    return pair * (1 << _DAY_BITS) + day.cast(pl.Int32).cast(pl.Int64) + _DAY_OFFSET


def _between(occurrences: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    # The prepared occurrences are sorted by date, so a range is a slice (a binary search, no scan).
    dates = occurrences.get_column("date")
    first = int(dates.search_sorted(start, side="left"))
    last = int(dates.search_sorted(end, side="right"))
    return occurrences.slice(first, max(last - first, 0))


def occurrences_in_periods(history: AdoptionHistory, periods: pl.DataFrame) -> pl.DataFrame:
    """The prepared occurrences inside the periods (``period_start``, ``first_day``, ``last_day``: clipped periods
    that follow each other without gaps, sorted), each with its period's ``period_start``."""
    occurrences = history.occurrences
    if periods.height == 0:
        return occurrences.clear().with_columns(pl.lit(None, dtype=pl.Date).alias("period_start"))
    first_day: date = periods.item(0, "first_day")
    last_day: date = periods.item(periods.height - 1, "last_day")
    return _between(occurrences, first_day, last_day).join_asof(
        periods.select("period_start", pl.col("first_day").alias("date")).sort("date"),
        on="date",
        strategy="backward",
        check_sortedness=False,
    )


def _done_pairs(occurrences: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    # lazy: the filter copies the three columns read, not every column of the occurrences
    return (
        occurrences.lazy()
        .filter(pl.col("done"))
        .select(*by, "team", "practice")
        .unique()
        .with_columns(pl.lit(True).alias("adopted"))
        .collect()
    )


def _adopted_pairs(pairs: pl.DataFrame, adopted: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    return pairs.join(adopted, on=[*by, "team", "practice"], how="left").with_columns(
        pl.col("adopted").fill_null(False)
    )


def whole_periods(first: date, latest: date, granularity: Granularity, fiscal_year_start_month: int) -> pl.DataFrame:
    """Every period overlapping [first, latest], whole: ``clipped_periods`` from the first one's first day to the last
    one's last day (empty when ``latest`` is before ``first``)."""
    periods = periods_between(first, latest, granularity, fiscal_year_start_month)
    if not periods:
        return clipped_periods(first, latest, granularity, fiscal_year_start_month)
    return clipped_periods(*periods_span(*periods), granularity, fiscal_year_start_month)


def with_kept_periods(
    periods: pl.DataFrame, kept: KeptCounts | None, count: Callable[[pl.DataFrame], pl.DataFrame]
) -> pl.DataFrame:
    """Counts per period (``period_start``) of ``periods`` (``clipped_periods`` of a range): for each period that
    ``kept`` holds whole, its kept rows; ``count`` of the others, one run of consecutive periods at a time (a range
    cut short at both ends counts its first and last period, and reads the rest)."""
    if kept is None:
        return count(periods)
    key = ["period_start", "first_day", "last_day"]
    held = kept.counts.join(periods.join(kept.periods, on=key, how="semi").select("period_start"), on="period_start")
    parts = [held, *(count(run) for run in _consecutive_runs(periods.join(kept.periods, on=key, how="anti")))]
    return pl.concat(parts) if len(parts) > 1 else held


def _consecutive_runs(periods: pl.DataFrame) -> list[pl.DataFrame]:
    # clipped periods split where one does not begin the day after the previous one ends (occurrences_in_periods
    # takes periods without gaps)
    ordered = periods.sort("first_day")
    days = list(zip(ordered.get_column("first_day").to_list(), ordered.get_column("last_day").to_list(), strict=True))
    breaks = [
        index
        for index, ((_, last_day), (first_day, _)) in enumerate(pairwise(days), start=1)
        if first_day != last_day + timedelta(days=1)
    ]
    bounds = [0, *breaks, ordered.height]
    return [ordered.slice(begin, stop - begin) for begin, stop in pairwise(bounds) if stop > begin]


def clipped_periods(start: date, end: date, granularity: Granularity, fiscal_year_start_month: int) -> pl.DataFrame:
    """The periods overlapping [start, end]: each one's own first day (``period_start``), and its first and last day
    inside the range (``first_day``, ``last_day``), in order."""
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
