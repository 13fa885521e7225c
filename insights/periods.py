"""Calendar periods (ISO weeks, months, fiscal quarters and years), their labels, and the grain of each metric."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import polars as pl

Granularity = Literal["week", "month", "quarter", "year"]
Comparison = Literal["previous", "year_ago"]
Grain = Literal["day", "week", "month"]

# Fixed English abbreviations: strftime("%b") follows the process locale, and labels must not change with it.
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS_PER_PERIOD: dict[Granularity, int] = {"month": 1, "quarter": 3, "year": 12}
_PERIODS_PER_YEAR: dict[Granularity, int] = {"week": 52, "month": 12, "quarter": 4, "year": 1}
_MONDAY = 1


@dataclass(frozen=True)
class Period:
    """One calendar period: its first and last day (inclusive), its granularity and how it is shown."""

    start: date
    end: date
    granularity: Granularity
    label: str


def period_start(date: pl.Expr, granularity: Granularity, fiscal_year_start_month: int = 1) -> pl.Expr:
    """First day of the period containing each date (weeks start on Monday; quarters and years are fiscal)."""
    _check_fiscal_start(fiscal_year_start_month)
    if granularity == "week":
        return date.dt.truncate("1w")
    if granularity == "month":
        return date.dt.month_start()
    # Quarters of a fiscal year that starts in January, April, July or October are calendar quarters, and such a year
    # starting in January is the calendar year: Polars truncates to those natively, three times as fast as the
    # arithmetic below (which every other fiscal year takes).
    if granularity == "quarter" and (fiscal_year_start_month - 1) % 3 == 0:
        return date.dt.truncate("3mo")
    if granularity == "year" and fiscal_year_start_month == 1:
        return date.dt.truncate("1y")
    months_into_fiscal_year = (date.dt.month().cast(pl.Int32) - fiscal_year_start_month) % 12
    months_back = months_into_fiscal_year % 3 if granularity == "quarter" else months_into_fiscal_year
    # Count months since year 0 so that going back across a January is plain integer arithmetic.
    month_index = date.dt.year().cast(pl.Int32) * 12 + date.dt.month().cast(pl.Int32) - 1 - months_back
    return pl.date(month_index // 12, month_index % 12 + 1, 1)


def periods_span(*periods: Period) -> tuple[date, date]:
    """The days from the earliest period's first day to the latest one's last."""
    return min(period.start for period in periods), max(period.end for period in periods)


def period_for(day: date, granularity: Granularity, fiscal_year_start_month: int = 1) -> Period:
    """The period of the granularity that contains ``day``, with its label."""
    _check_fiscal_start(fiscal_year_start_month)
    start = _start_of(day, granularity, fiscal_year_start_month)
    return Period(
        start=start,
        end=_end_of(start, granularity),
        granularity=granularity,
        label=period_label(start, granularity, fiscal_year_start_month),
    )


def shift_period(period: Period, n: int, fiscal_year_start_month: int = 1) -> Period:
    """The period ``n`` periods later than ``period`` (negative ``n`` = earlier)."""
    if period.granularity == "week":
        return period_for(period.start + timedelta(weeks=n), "week", fiscal_year_start_month)
    start = _start_of(period.start, period.granularity, fiscal_year_start_month)
    shifted = _add_months(start, n * _MONTHS_PER_PERIOD[period.granularity])
    return period_for(shifted, period.granularity, fiscal_year_start_month)


def comparison_period(period: Period, comparison: Comparison, fiscal_year_start_month: int = 1) -> Period:
    """The period to compare with: the one before, or the same one a year earlier (52 weeks for a week)."""
    if comparison == "previous":
        return shift_period(period, -1, fiscal_year_start_month)
    return shift_period(period, -_PERIODS_PER_YEAR[period.granularity], fiscal_year_start_month)


def period_label(start: date, granularity: Granularity, fiscal_year_start_month: int = 1) -> str:
    """How the period containing ``start`` is shown: "W23 2025", "Jun 2025", "Q3 FY25" or "FY25"."""
    _check_fiscal_start(fiscal_year_start_month)
    if granularity == "week":
        iso = start.isocalendar()
        return f"W{iso.week:02d} {iso.year}"
    if granularity == "month":
        return f"{_MONTH_NAMES[start.month - 1]} {start.year}"
    months_into_fiscal_year = (start.month - fiscal_year_start_month) % 12
    fiscal_year = _fiscal_year(start, fiscal_year_start_month)
    if granularity == "quarter":
        return f"Q{months_into_fiscal_year // 3 + 1} FY{fiscal_year % 100:02d}"
    return f"FY{fiscal_year % 100:02d}"


def metric_grains(metrics: pl.DataFrame) -> pl.DataFrame:
    """Each metric's grain (day, week or month), detected from its dates; one row per metric, sorted by metric.

    Rows of ``insights.metrics.prepare_metrics`` carry their metric's grain, detected over all its rows: it is read.
    """
    if "grain" in metrics.columns:
        return metrics.group_by("metric").agg(pl.col("grain").first().cast(pl.String)).sort("metric")
    # Monthly data has only first days of months, which always lie at least 28 days apart: one pass over the rows
    # tells the grain, without sorting the distinct dates (lazily: the two columns are not copied first).
    return (
        metrics.lazy()
        .select("metric", "date")
        .drop_nulls()
        .group_by("metric")
        .agg(
            (pl.col("date").dt.day() == 1).all().alias("all_first_of_month"),
            (pl.col("date").dt.weekday() == _MONDAY).all().alias("all_mondays"),
        )
        .select(
            pl.col("metric"),
            pl.when(pl.col("all_first_of_month"))
            .then(pl.lit("month"))
            .when(pl.col("all_mondays"))
            .then(pl.lit("week"))
            .otherwise(pl.lit("day"))
            .alias("grain"),
        )
        .sort("metric")
        .collect()
    )


def coverage_end(latest: date, grain: Grain) -> date:
    """The last day data up to ``latest`` covers: the day itself, the end of its week, or the end of its month."""
    if grain == "week":
        return latest + timedelta(days=6)
    if grain == "month":
        return _add_months(latest.replace(day=1), 1) - timedelta(days=1)
    return latest


def data_coverage_end(metrics: pl.DataFrame) -> date | None:
    """The last day the metrics cover (each metric's latest date at its own grain); None when there are none."""
    latest_dates = (
        metrics.lazy()
        .select("metric", "date")
        .drop_nulls()
        .group_by("metric")
        .agg(pl.col("date").max().alias("latest"))
        .collect()
        .join(metric_grains(metrics), on="metric", how="inner")
    )
    ends = [coverage_end(latest, grain) for latest, grain in latest_dates.select("latest", "grain").iter_rows()]
    return max(ends, default=None)


def default_date_range(coverage_end: date, months: int = 12) -> tuple[date, date]:
    """The last ``months`` whole calendar months ending with ``coverage_end``'s month."""
    if months < 1:
        raise ValueError(f"months must be at least 1, not {months}")
    return _add_months(coverage_end.replace(day=1), -(months - 1)), coverage_end


def latest_complete_period(
    range_start: date,
    range_end: date,
    coverage_end: date,
    granularity: Granularity,
    fiscal_year_start_month: int = 1,
) -> Period | None:
    """The latest whole period inside the range and the data's coverage; None when no whole period fits."""
    bound = min(range_end, coverage_end)
    if bound < range_start:
        return None
    period = period_for(bound, granularity, fiscal_year_start_month)
    if period.end > bound:
        period = shift_period(period, -1, fiscal_year_start_month)
    return period if period.start >= range_start else None


def periods_between(
    range_start: date,
    range_end: date,
    granularity: Granularity,
    fiscal_year_start_month: int = 1,
) -> list[Period]:
    """Every period of the granularity that overlaps [range_start, range_end], in order."""
    periods: list[Period] = []
    if range_end < range_start:
        return periods
    period = period_for(range_start, granularity, fiscal_year_start_month)
    while period.start <= range_end:
        periods.append(period)
        period = shift_period(period, 1, fiscal_year_start_month)
    return periods


def complete_periods(
    start: date,
    end: date,
    coverage_end: date,
    granularity: Granularity,
    fiscal_year_start_month: int = 1,
) -> list[Period]:
    """The periods lying wholly inside [start, end] and the data's coverage, in order (a KPI sparkline's points)."""
    bound = min(end, coverage_end)
    return [
        period
        for period in periods_between(start, end, granularity, fiscal_year_start_month)
        if period.start >= start and period.end <= bound
    ]


def partial_periods(
    start: date,
    end: date,
    coverage_end: date,
    granularity: Granularity,
    fiscal_year_start_month: int = 1,
) -> list[Period]:
    """The periods overlapping [start, end] that the range or the data cuts short: their counts are not comparable."""
    whole = {
        period.start for period in complete_periods(start, end, coverage_end, granularity, fiscal_year_start_month)
    }
    return [
        period
        for period in periods_between(start, end, granularity, fiscal_year_start_month)
        if period.start not in whole
    ]


def _check_fiscal_start(fiscal_year_start_month: int) -> None:
    if not 1 <= fiscal_year_start_month <= 12:
        raise ValueError(f"fiscal_year_start_month must be 1–12, not {fiscal_year_start_month}")


def _add_months(first_of_month: date, months: int) -> date:
    month_index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(month_index // 12, month_index % 12 + 1, 1)


def _fiscal_year(day: date, fiscal_year_start_month: int) -> int:
    # A fiscal year is named by the calendar year it ends in.
    if fiscal_year_start_month > 1 and day.month >= fiscal_year_start_month:
        return day.year + 1
    return day.year


def _start_of(day: date, granularity: Granularity, fiscal_year_start_month: int) -> date:
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    first_of_month = day.replace(day=1)
    if granularity == "month":
        return first_of_month
    months_into_fiscal_year = (day.month - fiscal_year_start_month) % 12
    months_back = months_into_fiscal_year % 3 if granularity == "quarter" else months_into_fiscal_year
    return _add_months(first_of_month, -months_back)


def _end_of(start: date, granularity: Granularity) -> date:
    if granularity == "week":
        return start + timedelta(days=6)
    return _add_months(start, _MONTHS_PER_PERIOD[granularity]) - timedelta(days=1)
