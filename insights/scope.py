"""The view every page shows: product lines, date range, granularity, and the selected and comparison periods."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

import polars as pl
from babel.dates import format_date

from insights.periods import (
    Comparison,
    Granularity,
    Period,
    comparison_period,
    data_coverage_end,
    default_date_range,
    latest_complete_period,
    shift_period,
)

GRANULARITIES: tuple[Granularity, ...] = ("week", "month", "quarter", "year")
COMPARISONS: dict[Comparison, str] = {"previous": "previous period", "year_ago": "same period last year"}
DEFAULT_GRANULARITY: Granularity = "quarter"
DEFAULT_COMPARISON: Comparison = "previous"


@dataclass(frozen=True)
class View:
    """What the user looks at; every page computes its numbers for this view."""

    product_lines: tuple[str, ...]
    all_product_lines: tuple[str, ...]
    start: date
    end: date
    granularity: Granularity
    comparison_mode: Comparison
    period: Period | None
    comparison: Period | None
    data_end: date | None
    fiscal_year_start_month: int = 1

    @property
    def all_selected(self) -> bool:
        """True when every product line is in view."""
        return set(self.all_product_lines) <= set(self.product_lines)

    @property
    def period_key(self) -> str:
        """Everything but the date range: what a number about the selected period against the comparison depends on.

        A key for caching those numbers, so a range changed around the same periods (a longer history) reads them back.
        """
        return repr(
            (
                self.product_lines,
                self.all_product_lines,
                self.granularity,
                self.comparison_mode,
                self.period,
                self.comparison,
                self.data_end,
                self.fiscal_year_start_month,
            )
        )

    @property
    def lines_filter(self) -> tuple[str, ...] | None:
        """The product lines to filter on, or None when all are selected (no filter needed)."""
        return None if self.all_selected else self.product_lines

    @property
    def scope(self) -> tuple[tuple[str, ...] | None, date, date]:
        """The product lines (None = all) and the first and last day of the range: what ``rows_in_scope`` cuts."""
        return self.lines_filter, self.start, self.end

    def summary(self, locale: str = "en_US") -> str:
        """One line for the page header: 'Q3 FY26 vs Q2 FY26 · 5 product lines · data to 31 Oct 2026'."""
        parts = []
        if self.period is not None and self.comparison is not None:
            parts.append(f"{self.period.label} vs {self.comparison.label}")
        else:
            parts.append(f"no complete {self.granularity} in the range")
        count = len(self.product_lines)
        if self.all_selected:
            parts.append(f"all {count} product lines")
        elif count <= 3:
            parts.append(", ".join(self.product_lines))
        else:
            parts.append(f"{count} of {len(self.all_product_lines)} product lines")
        parts.append(f"{_day(self.start, locale)} – {_day(self.end, locale)}")
        if self.data_end is not None:
            parts.append(f"data to {_day(self.data_end, locale)}")
        return " · ".join(parts)


def every_line(view: View) -> View:
    """The view with every product line selected: the same range, granularity and periods."""
    return replace(view, product_lines=view.all_product_lines)


def recent_period_views(view: View, count: int) -> list[View]:
    """Views of every line on the data's latest complete period of ``view``'s granularity (that of the default range)
    and the ``count`` periods before it, newest first: each one period as its range, with ``view``'s comparison.

    Any range around one of those periods has its period-keyed numbers (``View.period_key``); none for a view without
    data.
    """
    if view.data_end is None:
        return []
    fiscal = view.fiscal_year_start_month

    def on(date_range: tuple[date, date] | None) -> View:
        return view_for(
            view.all_product_lines, view.data_end, [], date_range, view.granularity, view.comparison_mode, fiscal
        )

    latest = on(None).period
    if latest is None:
        return []
    # a period's own range selects it: the data reach past the latest period, so past every one before it
    periods = (shift_period(latest, -back, fiscal) for back in range(count + 1))
    return [on((period.start, period.end)) for period in periods]


def of_selected_lines(frame: pl.DataFrame, view: View) -> pl.DataFrame:
    """The rows of a frame made for ``every_line(view)`` that belong to the view's product lines, in their order.

    For numbers with one row per product line (or per team, with its line) that read that line's data alone.
    """
    return rows_in_scope(frame, view.lines_filter, None, None)


def rows_in_scope(
    frame: pl.DataFrame, product_lines: Sequence[str] | None, start: date | None, end: date | None
) -> pl.DataFrame:
    """Rows of the selected product lines (None = all) whose ``date`` lies in [start, end] (None = open-ended).

    Rows already of those lines only (a cut made before) are returned as they are, not copied.
    """
    dated = rows_between(frame, start, end)
    if product_lines is None:
        return dated
    selected = dated.get_column("product_line").is_in(list(product_lines))
    return dated if selected.all() else dated.filter(selected)


def rows_between(frame: pl.DataFrame, start: date | None, end: date | None) -> pl.DataFrame:
    """Rows whose ``date`` lies in [start, end] (None = open-ended), in their order.

    Rows known to be sorted by a date without nulls (the prepared metrics) are cut by binary search — a slice of the
    same rows, without reading ten million dates for every period a page shows.
    """
    if start is None and end is None:
        return frame
    dates = frame.get_column("date")
    if dates.flags["SORTED_ASC"] and dates.null_count() == 0:
        first = dates.search_sorted(start, side="left") if start is not None else 0
        last = dates.search_sorted(end, side="right") if end is not None else frame.height
        return frame.slice(int(first), max(int(last) - int(first), 0))
    conditions: list[pl.Expr] = []
    if start is not None:
        conditions.append(pl.col("date") >= start)
    if end is not None:
        conditions.append(pl.col("date") <= end)
    return frame.filter(*conditions)


def _day(day: date, locale: str) -> str:
    return format_date(day, "d MMM y", locale=locale)


def as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` (a small result: a row per line, metric, period, ...) with its Categorical columns as text, to join a
    frame made in code: the dashboard holds the datasets' labels compact (``Contract.compact``), and text joins no
    Categorical."""
    columns = [name for name, dtype in frame.schema.items() if dtype == pl.Categorical]
    return frame.with_columns(pl.col(columns).cast(pl.String)) if columns else frame


def product_lines(datasets: Mapping[str, pl.DataFrame]) -> tuple[str, ...]:
    """Every product line that appears in the business, customer or process data, sorted."""
    found: set[str] = set()
    for name in ("metrics", "feedback", "teams", "adoption"):
        frame = datasets.get(name)
        if frame is not None and "product_line" in frame.columns:
            found.update(value for value in frame.get_column("product_line").unique().to_list() if value is not None)
    return tuple(sorted(found))


def data_end(datasets: Mapping[str, pl.DataFrame]) -> date | None:
    """The last day the data covers: metrics by their grain (a month's value covers the month), other data by date."""
    ends: list[date] = []
    metrics = datasets.get("metrics")
    if metrics is not None and metrics.height:
        covered = data_coverage_end(metrics)
        if covered is not None:
            ends.append(covered)
    for name in ("feedback", "adoption"):
        frame = datasets.get(name)
        if frame is not None and frame.height:
            latest = frame.get_column("date").max()
            if isinstance(latest, date):
                ends.append(latest)
    return max(ends) if ends else None


def resolve_view(
    datasets: Mapping[str, pl.DataFrame],
    selected_lines: Sequence[str],
    date_range: tuple[date, date] | None,
    granularity: Granularity,
    comparison_mode: Comparison,
    fiscal_year_start_month: int = 1,
    today: date | None = None,
) -> View:
    """The view for the chosen filters; no lines chosen means all, no range means the last 12 months of the data."""
    return view_for(
        product_lines(datasets),
        data_end(datasets),
        selected_lines,
        date_range,
        granularity,
        comparison_mode,
        fiscal_year_start_month,
        today,
    )


def view_for(
    all_lines: tuple[str, ...],
    end_of_data: date | None,
    selected_lines: Sequence[str],
    date_range: tuple[date, date] | None,
    granularity: Granularity,
    comparison_mode: Comparison,
    fiscal_year_start_month: int = 1,
    today: date | None = None,
) -> View:
    """``resolve_view`` from the data's product lines and last day, already known (they take a pass over every row)."""
    chosen = tuple(line for line in all_lines if line in set(selected_lines)) or all_lines
    anchor = end_of_data or today or date.today()  # noqa: DTZ011 - only when there is no data at all
    default_start, default_end = default_date_range(anchor)
    start, end = date_range if date_range is not None else (default_start, default_end)
    if start > end:
        start, end = end, start
    period = latest_complete_period(start, end, end_of_data or end, granularity, fiscal_year_start_month)
    comparison = comparison_period(period, comparison_mode, fiscal_year_start_month) if period is not None else None
    return View(
        product_lines=chosen,
        all_product_lines=all_lines,
        start=start,
        end=end,
        granularity=granularity,
        comparison_mode=comparison_mode,
        period=period,
        comparison=comparison,
        data_end=end_of_data,
        fiscal_year_start_month=fiscal_year_start_month,
    )
