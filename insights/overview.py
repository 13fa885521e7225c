"""The Overview's numbers: KPI cards, the per-product-line scorecard, paired revenue/NPS trends and headline changes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import polars as pl
from babel.numbers import format_decimal

from insights.customers import DAILY_NPS, nps_by_period_in, nps_change, nps_in, scope_feedback, top_negative_theme
from insights.formatting import EMPTY, MINUS, NumberFormat, format_change, format_delta, format_value
from insights.metrics import (
    compare_periods,
    kpi_table,
    metric_rows,
    metric_values,
    metrics_for_periods,
    overview_metrics,
    period_values,
    revenue_metric,
    scope_metrics,
)
from insights.metrics import delta_pct as relative_change
from insights.periods import (
    Period,
    complete_periods,
    metric_grains,
    period_start,
    periods_between,
    periods_span,
    shift_period,
)
from insights.process import AdoptionHistory, KeptCounts, adoption_rate, process_by_product_line
from insights.process_views import (
    pooled_adoption_by_period,
    process_by_line_of_pulse,
    pulse_counts_by_line,
    pulse_of_lines,
)
from insights.scope import View, as_text
from sources.contracts import contract_for

# Keys of the cards that do not come from the metric catalog.
NPS_KEY = "nps"
FEEDBACK_KEY = "feedback_volume"
ADOPTION_KEY = "process_adoption"

CARD_SCHEMA: dict[str, pl.DataType] = {
    "key": pl.String(),
    "label": pl.String(),
    "unit": pl.String(),
    "value": pl.Float64(),
    "previous": pl.Float64(),
    "delta": pl.Float64(),
    "delta_pct": pl.Float64(),
    "higher_is_better": pl.Boolean(),
    "improved": pl.Boolean(),
    "target": pl.Float64(),
    "status": pl.String(),
    "responses": pl.Int64(),
    "low_confidence": pl.Boolean(),
    "sparkline": pl.List(pl.Float64()),
}
PAIRED_SCHEMA: dict[str, pl.DataType] = {
    "product_line": pl.String(),
    "period_start": pl.Date(),
    "period": pl.String(),
    "revenue": pl.Float64(),
    "nps": pl.Float64(),
    "responses": pl.Int64(),
    "low_confidence": pl.Boolean(),
}
ChangeBasis = Literal["points", "relative"]
_DECIMALS = 4


def change_basis(unit: str) -> ChangeBasis:
    """How a change in this unit is told: in points for percents and scores (NPS), relative (%) for the rest."""
    return "points" if unit in ("percent", "score") else "relative"


def change_text(unit: str, delta: float | None, delta_pct: float | None, number_format: NumberFormat) -> str:
    """A card's delta: '+7.3%' for money and counts, '+0.8 pt' for percents, '−6 pts' for NPS."""
    if change_basis(unit) == "points" or delta_pct is None:
        text = format_delta(delta, unit, number_format)
        if unit == "percent" and delta and not any(digit in text for digit in "123456789"):
            # A small rate (churn) moving by hundredths of a point would read "+0.0 pt" next to a red arrow.
            sign = "+" if delta > 0 else MINUS
            return f"{sign}{format_decimal(abs(delta), locale=number_format.locale, format='#,##0.00')} pt"
        if unit != "score" or delta is None:
            return text
        return f"{text} pt" if round(abs(delta)) == 1 else f"{text} pts"
    return format_change(delta_pct, number_format)


@dataclass(frozen=True)
class CardText:
    """What a KPI card says: the value, the delta, the line under it, and the exact numbers for its tooltip."""

    value: str
    delta: str | None
    description: str
    help: str


def card_text(
    card: Mapping[str, object],
    period_label: str,
    comparison_label: str,
    number_format: NumberFormat,
    min_responses: int = 30,
) -> CardText:
    """The words and numbers of one ``overview_cards`` row, formatted for people, exact values in the help."""
    unit = str(card["unit"])
    label = str(card["label"])
    value, previous, delta = _number(card["value"]), _number(card["previous"]), _number(card["delta"])
    delta_pct, target = _number(card["delta_pct"]), _number(card["target"])
    responses = card.get("responses")
    shown_delta = change_text(unit, delta, delta_pct, number_format) if delta is not None else None
    description = [f"vs {comparison_label}"]
    if card.get("status") in ("met", "missed") and target is not None:
        mark = "✓ on target" if card["status"] == "met" else "✗ off target"
        description.append(f"{mark} ({format_value(target, unit, number_format)})")
    if card.get("key") == NPS_KEY and isinstance(responses, int):
        description.append(f"n={format_decimal(responses, locale=number_format.locale, format='#,##0')}")
        if card.get("low_confidence"):
            description.append("⚠ low confidence")
    exact = f"{label} in {period_label}: {_exact(value, unit, number_format)}"
    details = [f"{comparison_label}: {_exact(previous, unit, number_format)}"]
    if delta is not None:
        details.append(f"change {_exact_delta(delta, unit, number_format)}")
    if delta_pct is not None:
        details.append(format_change(delta_pct, number_format))
    notes = [f"{exact} ({'; '.join(details)})."]
    if target is not None:
        status = card.get("status")
        notes.append(f"Target {_exact(target, unit, number_format)}: {status if status else 'not judged'}.")
    if card.get("key") == NPS_KEY:
        notes.append(
            f"NPS = % promoters (9–10) − % detractors (0–6) of {responses or 0:,} scored responses; "
            f"fewer than {min_responses} is low confidence."
        )
    if card.get("key") == ADOPTION_KEY and isinstance(responses, int):
        notes.append(f"Share of {responses:,} team × practice pairs in scope with a done occurrence.")
    if card.get("key") == FEEDBACK_KEY:
        notes.append("Rows of feedback from every channel; more is neither better nor worse.")
    return CardText(
        value=format_value(value, unit, number_format),
        delta=shown_delta,
        description=" · ".join(description),
        help="  \n".join(notes),
    )


def coarser_metric_labels(datasets: Mapping[str, pl.DataFrame], metric_ids: Sequence[str], view: View) -> list[str]:
    """Labels of the metrics recorded monthly while the view is weekly: they are shown at their own (monthly) grain."""
    if view.granularity != "week" or not metric_ids:
        return []
    catalog = _dataset(datasets, "metric_catalog")
    monthly = (
        metric_grains(_dataset(datasets, "metrics").filter(pl.col("metric").is_in(list(metric_ids))))
        .filter(pl.col("grain") == "month")
        .get_column("metric")
        .to_list()
    )
    labels = dict(catalog.select("metric", "label").iter_rows())
    return [str(labels.get(metric, metric)) for metric in metric_ids if metric in monthly]


# The feedback columns the Overview's numbers read (cards, scorecard, trends, notable changes): a cut of some lines
# copies these, not the text and the accounts.
FEEDBACK_COLUMNS = ("date", "product_line", "nps_score", "sentiment", "theme")


def feedback_days(view: View) -> tuple[date, date]:
    """The days of feedback the Overview reads for a view: the range, the comparison, and the two periods before the
    selected one (its notable changes compare those)."""
    starts = [view.start]
    ends = [view.end]
    if view.period is not None:
        starts.append(shift_period(view.period, -2, view.fiscal_year_start_month).start)
        ends.append(view.period.end)
    if view.comparison is not None:
        starts.append(view.comparison.start)
    return min(starts), max(ends)


def sparkline_periods(view: View) -> list[Period]:
    """The complete periods of the view's granularity from the range's start up to the selected period, in order."""
    if view.period is None:
        return []
    # A period cut by the range's start is partial: its sum or mean would dip for no reason.
    return complete_periods(
        view.start, view.period.end, view.period.end, view.granularity, view.fiscal_year_start_month
    )


def overview_cards(
    datasets: Mapping[str, pl.DataFrame],
    view: View,
    min_responses: int = 30,
    history: AdoptionHistory | None = None,
    kept_pulse: KeptCounts | None = None,
    kpis: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per Overview card: the catalog's overview metrics in order, then NPS, feedback volume and adoption.
    ``kpis`` is ``company_kpis`` of the view when the caller has it.

    ``history`` (``adoption_history`` of the adoption dataset) makes the adoption card faster, and with it
    ``kept_pulse`` (``pulse_counts_by_line`` of whole periods in the view's granularity) faster still: its whole
    periods are read, not counted. The numbers are the same.
    """
    if view.period is None or view.comparison is None:
        return pl.DataFrame(schema=CARD_SCHEMA)
    period, comparison = view.period, view.comparison
    feedback = scope_feedback(
        _dataset(datasets, "feedback"), view.lines_filter, *periods_span(period, comparison, *sparkline_periods(view))
    )
    cards = [
        _metric_cards(datasets, view, period, comparison, kpis),
        _nps_card(feedback, datasets.get(DAILY_NPS), view, min_responses),
        _feedback_card(feedback, view, period, comparison),
        _adoption_card(datasets, view, period, comparison, history, kept_pulse),
    ]
    return pl.concat([card.select(list(CARD_SCHEMA)).cast(CARD_SCHEMA) for card in cards])  # type: ignore[arg-type]


def product_line_scorecard(
    datasets: Mapping[str, pl.DataFrame],
    view: View,
    min_responses: int = 30,
    history: AdoptionHistory | None = None,
    kept_pulse: KeptCounts | None = None,
) -> pl.DataFrame:
    """One row per selected product line: each overview metric and its change, NPS and its change, feedback, the top
    negative theme, pooled process adoption (in %) and lapsed team × practice cadences at the period's end.
    ``history`` (``adoption_history`` of the adoption dataset) makes the process columns faster, with the same numbers,
    and with it ``kept_pulse`` (``pulse_counts_by_line`` of whole periods) faster still: the period's are read.

    A metric's change column is ``<metric>_change``: points for percent metrics, a relative change in % otherwise.
    """
    lines = pl.DataFrame({"product_line": list(view.product_lines)}, schema={"product_line": pl.String})
    if view.period is None or view.comparison is None:
        return lines.clear()
    period, comparison = view.period, view.comparison
    catalog = _dataset(datasets, "metric_catalog")
    metric_ids, _ = overview_metrics(catalog)
    # each part has a row per line, its line as text (the datasets may hold it compact) to join the lines
    scorecard = lines.join(
        _metric_columns(
            _metrics_for(datasets, view, *periods_span(period, comparison)),
            catalog,
            metric_ids,
            view,
            period,
            comparison,
        ),
        on="product_line",
        how="left",
    )
    feedback = scope_feedback(_dataset(datasets, "feedback"), view.lines_filter, *periods_span(period, comparison))
    in_period = scope_feedback(feedback, None, period.start, period.end)
    nps_days = datasets.get(DAILY_NPS)

    def nps_of(compared: Period) -> pl.DataFrame:
        return nps_in(
            feedback, nps_days, (view.lines_filter, compared.start, compared.end), min_responses=min_responses
        )

    nps_columns = nps_change(
        nps_of(period),
        nps_of(comparison),
        on=("product_line",),
    ).select(
        "product_line",
        "nps",
        pl.col("delta").alias("nps_change"),
        pl.col("responses").alias("nps_responses"),
        (pl.col("responses") < min_responses).alias("nps_low_confidence"),
    )
    feedback_counts = in_period.group_by("product_line").agg(pl.len().cast(pl.Int64).alias("feedback"))
    themes = top_negative_theme(in_period, by=("product_line",)).select(
        "product_line",
        pl.col("theme").alias("top_negative_theme"),
    )
    adoption, teams, practices = (_dataset(datasets, name) for name in ("adoption", "teams", "practices"))
    by_line = (
        process_by_product_line(
            adoption, teams, practices, period.start, period.end, period.end, view.lines_filter, history
        )
        if history is None or kept_pulse is None
        # the period is whole: its row per line of every line's counts (the join to the view's lines cuts them)
        else process_by_line_of_pulse(
            pulse_counts_by_line(
                history,
                teams,
                practices,
                view.granularity,
                view.fiscal_year_start_month,
                period.start,
                period.end,
                kept_pulse,
            ),
            period.start,
        )
    )
    process = by_line.select(
        "product_line",
        (pl.col("adoption_rate") * 100).alias("adoption_rate"),
        "lapsed",
    )
    return (
        scorecard.join(as_text(nps_columns), on="product_line", how="left")
        .join(as_text(feedback_counts), on="product_line", how="left")
        .join(as_text(themes), on="product_line", how="left")
        .join(as_text(process), on="product_line", how="left")
        .with_columns(
            pl.col("nps_responses").fill_null(0),
            pl.col("nps_low_confidence").fill_null(True),
            pl.col("feedback").fill_null(0),
            pl.col("lapsed").fill_null(0),
        )
        .sort("product_line")
    )


def paired_trends(datasets: Mapping[str, pl.DataFrame], view: View, min_responses: int = 30) -> pl.DataFrame:
    """Per selected product line and period of the range: the revenue metric's value and NPS with its responses.

    A revenue metric coarser than the granularity (monthly data in a weekly view) shows in the period its month
    starts in, and is null in the others.
    """
    periods = periods_between(view.start, view.end, view.granularity, view.fiscal_year_start_month)
    grid = pl.DataFrame(
        {
            "product_line": [line for line in view.product_lines for _ in periods],
            "period_start": [period.start for _ in view.product_lines for period in periods],
            "period": [period.label for _ in view.product_lines for period in periods],
        },
        schema={"product_line": pl.String, "period_start": pl.Date, "period": pl.String},
    )
    revenue = _revenue_by_period(datasets, view)
    nps_values = nps_by_period_in(
        _dataset(datasets, "feedback"),
        datasets.get(DAILY_NPS),
        view.scope,
        view.granularity,
        view.fiscal_year_start_month,
        min_responses=min_responses,
    ).select("product_line", "period_start", pl.col("nps").round(_DECIMALS), "responses")
    return (
        grid.join(as_text(revenue), on=["product_line", "period_start"], how="left")
        .join(as_text(nps_values), on=["product_line", "period_start"], how="left")
        .with_columns(pl.col("responses").fill_null(0))
        .with_columns((pl.col("responses") < min_responses).alias("low_confidence"))
        .select(list(PAIRED_SCHEMA))
        .cast(PAIRED_SCHEMA)  # type: ignore[arg-type]
        .sort("product_line", "period_start")
    )


def revenue_metric_info(catalog: pl.DataFrame) -> tuple[str, str, str] | None:
    """The revenue metric's id, label and unit (see ``revenue_metric``); None for an empty catalog."""
    metric, _ = revenue_metric(catalog)
    if metric is None:
        return None
    label, unit = catalog.filter(pl.col("metric") == metric).select("label", "unit").row(0)
    return metric, str(label), str(unit)


def headline_changes(changes: pl.DataFrame, limit: int = 7) -> pl.DataFrame:
    """Notable changes reordered so that the first ``limit`` rows are the headlines, then the rest.

    ``changes`` comes most important first (``notable_changes``). Headlines take each kind's best row in turn, then
    each kind's second, and so on, so one kind (several misses of one line) does not crowd out the others; a row
    about the same product line and subject as an earlier one says nothing new and is never a headline. Headlines
    and the rest each keep the importance order; ``headline`` says which is which.
    """
    indexed = changes.with_row_index("_order").with_columns(
        (pl.int_range(pl.len()).over("product_line", "subject") > 0).alias("_repeat"),
    )
    rounds = indexed.filter(~pl.col("_repeat")).with_columns(pl.int_range(pl.len()).over("kind").alias("_round"))
    chosen = rounds.sort("_round", "_order").head(max(limit, 0)).get_column("_order")
    return (
        indexed.with_columns(pl.col("_order").is_in(chosen.implode()).alias("headline"))
        .sort(pl.col("headline").not_(), pl.col("_order"))
        .drop("_order", "_repeat")
    )


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _exact(value: float | None, unit: str, number_format: NumberFormat) -> str:
    """A value in full: $89,457,359.21, 108.67 %, 1,231, +27.3."""
    if value is None:
        return EMPTY
    if unit == "currency":
        return format_value(value, unit, number_format, compact=False)
    patterns = {"percent": "#,##0.00", "count": "#,##0", "score": "+#,##0.0;-#,##0.0"}
    text = format_decimal(value, locale=number_format.locale, format=patterns.get(unit, "#,##0.000"))
    return (f"{text} %" if unit == "percent" else text).replace("-", MINUS)


def _exact_delta(delta: float, unit: str, number_format: NumberFormat) -> str:
    """A change in full: +$4,317,622.00, −2.98 pt, +34, −15.4."""
    sign = "+" if delta > 0 else MINUS if delta < 0 else "±"
    if unit == "percent":
        return f"{sign}{format_decimal(abs(delta), locale=number_format.locale, format='#,##0.00')} pt"
    return sign + _exact(abs(delta), unit, number_format).lstrip("+")


def _dataset(datasets: Mapping[str, pl.DataFrame], name: str) -> pl.DataFrame:
    # A missing or rejected dataset reads as empty, with its contract's columns.
    frame = datasets.get(name)
    return frame if frame is not None else contract_for(name).empty()


def _improved(delta: pl.Expr, higher_is_better: pl.Expr) -> pl.Expr:
    # No verdict without a change or without a direction that counts as better.
    return (
        pl.when(delta.is_null() | (delta == 0) | higher_is_better.is_null())
        .then(None)
        .otherwise((delta > 0) == higher_is_better)
    )


def company_kpis(datasets: Mapping[str, pl.DataFrame], view: View) -> pl.DataFrame:
    """``kpi_table`` of the view's lines in its period against the comparison: the metric cards' numbers, and the
    company's target misses among the notable changes (``notable_changes(company_kpis=...)``)."""
    if view.period is None or view.comparison is None:
        raise ValueError("a view without a selected period has no KPIs")
    return kpi_table(
        _metrics_for(datasets, view, *periods_span(view.period, view.comparison)),
        _dataset(datasets, "metric_catalog"),
        _dataset(datasets, "targets"),
        view.period,
        view.comparison,
        view.lines_filter,
        view.all_product_lines,
    )


def _metric_cards(
    datasets: Mapping[str, pl.DataFrame],
    view: View,
    period: Period,
    comparison: Period,
    kpis: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Cards for the catalog's overview metrics (kpi_table), in overview order, with their sparklines."""
    catalog = _dataset(datasets, "metric_catalog")
    metric_ids, _ = overview_metrics(catalog)
    if kpis is None:
        kpis = company_kpis(datasets, view)
    order = pl.DataFrame(
        {"metric": metric_ids, "_position": list(range(len(metric_ids)))},
        schema={"metric": pl.String, "_position": pl.Int64},
    )
    periods = sparkline_periods(view)
    sparkline_rows = _metrics_for(datasets, view, *periods_span(*periods)) if periods else _dataset(datasets, "metrics")
    sparklines = _metric_sparklines(sparkline_rows, catalog, metric_ids, view)
    return (
        # a row per metric each, their ids as text to join the order (the datasets may hold them compact)
        order.join(as_text(catalog.select("metric", "label", "unit", "higher_is_better")), on="metric", how="inner")
        .join(
            as_text(kpis.select("metric", "value", "previous", "delta", "delta_pct", "improved", "target", "status")),
            on="metric",
            how="left",
        )
        .join(as_text(sparklines), on="metric", how="left")
        .sort("_position")
        .select(
            pl.col("metric").alias("key"),
            "label",
            "unit",
            "value",
            "previous",
            "delta",
            "delta_pct",
            "higher_is_better",
            "improved",
            "target",
            "status",
            pl.lit(None, dtype=pl.Int64).alias("responses"),
            pl.lit(None, dtype=pl.Boolean).alias("low_confidence"),
            pl.col("sparkline").fill_null(pl.lit([], dtype=pl.List(pl.Float64))),
        )
    )


def _metric_sparklines(
    metrics: pl.DataFrame, catalog: pl.DataFrame, metric_ids: Sequence[str], view: View
) -> pl.DataFrame:
    """Each metric's company value per complete period, in order (a monthly metric in a weekly view: its month's)."""
    periods = sparkline_periods(view)
    schema = {"metric": pl.String(), "sparkline": pl.List(pl.Float64())}
    if not periods or not metric_ids:
        return pl.DataFrame(schema=schema)
    # Weeks take the value of the month of their first day, so the range opens at that month's start.
    first_day = periods[0].start.replace(day=1)
    scoped = scope_metrics(metrics, view.lines_filter, first_day, periods[-1].end).filter(
        pl.col("metric").is_in(list(metric_ids))
    )
    values = metric_values(scoped, catalog, view.granularity, view.fiscal_year_start_month, by=())
    lookup = {
        (metric, start, grain): value
        for metric, start, grain, value in values.select("metric", "period_start", "grain", "value").iter_rows()
    }
    grains = dict(values.select("metric", "grain").unique().iter_rows())
    rows: list[dict[str, object]] = []
    for metric in metric_ids:
        grain = grains.get(metric)
        points = [lookup.get((metric, _bucket(period, grain, view), grain)) for period in periods if grain is not None]
        rows.append({"metric": metric, "sparkline": [round(point, _DECIMALS) for point in points if point is not None]})
    return pl.DataFrame(rows, schema=schema)


def _bucket(period: Period, grain: str | None, view: View) -> date:
    # A monthly metric in a weekly view is read at its own grain: the month of the week's first day.
    if view.granularity == "week" and grain == "month":
        return period.start.replace(day=1)
    return period.start


def _nps_card(scoped: pl.DataFrame, nps_days: pl.DataFrame | None, view: View, min_responses: int) -> pl.DataFrame:
    """NPS in the period vs the comparison, with its responses, low-confidence flag and per-period sparkline (from the
    view's feedback, ``scoped``, or its NPS responses per day when given: the same numbers)."""
    # overview_cards checks
    assert view.period is not None
    assert view.comparison is not None

    def nps_of(first: date, last: date) -> pl.DataFrame:
        return nps_in(scoped, nps_days, (view.lines_filter, first, last), by=(), min_responses=min_responses)

    current, responses, low_confidence = (
        nps_of(view.period.start, view.period.end).select("nps", "responses", "low_confidence").row(0)
    )
    previous = nps_of(view.comparison.start, view.comparison.end).get_column("nps")[0]
    periods = sparkline_periods(view)
    # Every period's NPS draws the shape, confident or not; the card's own value carries the confidence mark.
    by_period = (
        nps_by_period_in(
            scoped,
            nps_days,
            (view.lines_filter, periods[0].start, periods[-1].end),
            view.granularity,
            view.fiscal_year_start_month,
            by=(),
            min_responses=1,
        )
        if periods
        else None
    )
    sparkline = [] if by_period is None else [v for v in _in_order(by_period, "nps", periods) if v is not None]
    card = _card_row(NPS_KEY, "NPS", "score", current, previous, True, responses, low_confidence, sparkline)
    # A relative change of a score that can be zero or negative means nothing; its change is told in points.
    return card.with_columns(pl.lit(None, dtype=pl.Float64).alias("delta_pct"))


def _feedback_card(scoped: pl.DataFrame, view: View, period: Period, comparison: Period) -> pl.DataFrame:
    """Feedback rows in the period vs the comparison; more feedback is neither better nor worse."""
    current = float(_in(scoped, period).height)
    previous = float(_in(scoped, comparison).height)
    # Each period's rows: a slice of rows in date order (two binary searches), a filter of the others.
    sparkline = [float(_in(scoped, period).height) for period in sparkline_periods(view)]
    return _card_row(FEEDBACK_KEY, "Feedback volume", "count", current, previous, None, int(current), None, sparkline)


def _adoption_card(
    datasets: Mapping[str, pl.DataFrame],
    view: View,
    period: Period,
    comparison: Period,
    adoption_history: AdoptionHistory | None = None,
    kept_pulse: KeptCounts | None = None,
) -> pl.DataFrame:
    """Pooled adoption (team × practice pairs adopted / pairs in scope, in %) in the period vs the comparison."""
    adoption, teams, practices = (_dataset(datasets, name) for name in ("adoption", "teams", "practices"))
    counted: dict[date, tuple[float | None, int]] = {}
    if adoption_history is not None:
        # every period from the earliest shown (the comparison or the sparkline's first) to the selected one, in a pass
        first, _ = periods_span(period, comparison, *sparkline_periods(view))
        periods = periods_between(first, period.end, view.granularity, view.fiscal_year_start_month)
        if kept_pulse is None:
            pooled_rows = pooled_adoption_by_period(adoption_history, teams, practices, periods, view.lines_filter)
        else:
            # whole periods: every line's kept counts summed over the view's lines (pooled adoption is the pulse's)
            counts = pulse_counts_by_line(
                adoption_history,
                teams,
                practices,
                view.granularity,
                view.fiscal_year_start_month,
                first,
                period.end,
                kept_pulse,
            )
            pooled_rows = pulse_of_lines(counts, [shown.start for shown in periods], view.lines_filter)
        counted = {
            start: (rate, pairs)
            for start, rate, pairs in pooled_rows.select("period_start", "adoption_rate", "pairs_in_scope").iter_rows()
        }

    def pooled(period: Period) -> tuple[float | None, int]:
        if period.start in counted:
            value, pairs = counted[period.start]
        else:
            rate = adoption_rate(
                adoption, teams, practices, period.start, period.end, view.lines_filter, by=(), history=adoption_history
            )
            value, pairs = rate.select("adoption_rate", "teams_in_scope").row(0)
        return (None if value is None else 100.0 * value), int(pairs)

    current, pairs = pooled(period)
    previous, _ = pooled(comparison)
    history = [pooled(period)[0] for period in sparkline_periods(view)]
    sparkline = [round(value, _DECIMALS) for value in history if value is not None]
    return _card_row(ADOPTION_KEY, "Process adoption", "percent", current, previous, True, pairs, None, sparkline)


def _card_row(
    key: str,
    label: str,
    unit: str,
    value: float | None,
    previous: float | None,
    higher_is_better: bool | None,
    responses: int | None,
    low_confidence: bool | None,
    sparkline: list[float],
) -> pl.DataFrame:
    """A card from plain values: the change, relative change and verdict computed as for the catalog's cards."""
    frame = pl.DataFrame(
        {
            "key": [key],
            "label": [label],
            "unit": [unit],
            "value": [value],
            "previous": [previous],
            "higher_is_better": [higher_is_better],
            "target": [None],
            "status": [None],
            "responses": [responses],
            "low_confidence": [low_confidence],
            "sparkline": [sparkline],
        },
        schema={
            "key": pl.String,
            "label": pl.String,
            "unit": pl.String,
            "value": pl.Float64,
            "previous": pl.Float64,
            "higher_is_better": pl.Boolean,
            "target": pl.Float64,
            "status": pl.String,
            "responses": pl.Int64,
            "low_confidence": pl.Boolean,
            "sparkline": pl.List(pl.Float64),
        },
    )
    delta = pl.col("value") - pl.col("previous")
    return frame.with_columns(
        delta.alias("delta"),
        relative_change(pl.col("value"), pl.col("previous")).alias("delta_pct"),
        _improved(delta, pl.col("higher_is_better")).alias("improved"),
    )


def _metrics_for(datasets: Mapping[str, pl.DataFrame], view: View, start: date, end: date) -> pl.DataFrame:
    # The metric rows roll-ups of [start, end] read: per series and month where the datasets have those (metric_rows).
    if "metrics" not in datasets:
        return _dataset(datasets, "metrics")
    return metric_rows(datasets, start, end, view.granularity)


def _in(frame: pl.DataFrame, period: Period) -> pl.DataFrame:
    return scope_feedback(frame, None, period.start, period.end)


def _in_order(frame: pl.DataFrame, column: str, periods: Sequence[Period]) -> list[float | None]:
    """A column's values in the order of ``periods`` (matched on ``period_start``), None where a period has no row."""
    lookup = dict(frame.select("period_start", column).iter_rows())
    return [
        None if lookup.get(period.start) is None else round(float(lookup[period.start]), _DECIMALS)
        for period in periods
    ]


def _metric_columns(
    metrics: pl.DataFrame,
    catalog: pl.DataFrame,
    metric_ids: Sequence[str],
    view: View,
    period: Period,
    comparison: Period,
) -> pl.DataFrame:
    """Per product line: ``<metric>`` (value in the period) and ``<metric>_change`` for each overview metric."""
    scoped = metrics_for_periods(metrics, view.lines_filter, (period, comparison)).filter(
        pl.col("metric").is_in(list(metric_ids))
    )
    compared = compare_periods(
        period_values(scoped, catalog, period, by=("product_line",)),
        period_values(scoped, catalog, comparison, by=("product_line",)),
        on=("metric", "product_line"),
    ).join(catalog.select("metric", "unit"), on="metric", how="inner")
    columns = pl.DataFrame({"product_line": list(view.product_lines)}, schema={"product_line": pl.String})
    units = dict(catalog.select("metric", "unit").iter_rows())
    for metric in metric_ids:
        if metric not in units:
            continue
        change = pl.col("delta") if change_basis(str(units[metric])) == "points" else pl.col("delta_pct") * 100
        per_line = compared.filter(pl.col("metric") == metric).select(
            pl.col("product_line").cast(pl.String),
            pl.col("value").alias(metric),
            change.alias(f"{metric}_change"),
        )
        columns = columns.join(per_line, on="product_line", how="left")
    return columns


def _revenue_by_period(datasets: Mapping[str, pl.DataFrame], view: View) -> pl.DataFrame:
    """The revenue metric per product line and period of the range (a coarser grain: in the period it starts in)."""
    schema = {"product_line": pl.String(), "period_start": pl.Date(), "revenue": pl.Float64()}
    catalog = _dataset(datasets, "metric_catalog")
    info = revenue_metric_info(catalog)
    if info is None:
        return pl.DataFrame(schema=schema)
    metric = info[0]
    scoped = scope_metrics(
        _metrics_for(datasets, view, view.start, view.end), view.lines_filter, view.start, view.end
    ).filter(pl.col("metric") == metric)
    return (
        metric_values(scoped, catalog, view.granularity, view.fiscal_year_start_month, by=("product_line",))
        .select(
            "product_line",
            period_start(pl.col("period_start"), view.granularity, view.fiscal_year_start_month).alias("period_start"),
            pl.col("value").round(_DECIMALS).alias("revenue"),
        )
        .cast(schema)  # type: ignore[arg-type]
    )
