"""Notable changes for a strategy review: divergent signals, growers, movers, misses, roll-outs and lapsed cadences."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import polars as pl
from babel.dates import format_date

from insights.customers import DAILY_NPS, Scope, nps_change, nps_in
from insights.formatting import NumberFormat, format_change, format_delta, format_value
from insights.metrics import (
    PeriodValues,
    compare_periods,
    kpi_table,
    metric_rows,
    metrics_for_periods,
    overview_metrics,
    revenue_metric,
    target_status,
    targets_for_period,
)
from insights.periods import Period, periods_span, shift_period
from insights.process import AdoptionHistory, adoption_by_period, lapsed_teams

NOTABLE_SCHEMA: dict[str, pl.DataType] = {
    "kind": pl.String(),
    "product_line": pl.String(),
    "subject": pl.String(),
    "score": pl.Float64(),
    "sentence": pl.String(),
    "page": pl.String(),
}
# Most important first: a customer signal running against the business one, then misses, growth, moves, process.
KIND_ORDER = ("divergence", "off_target", "grower", "mover", "adoption", "lapsed")


@dataclass(frozen=True)
class Thresholds:
    """What counts as notable. Defaults are chosen so that ordinary noise stays quiet."""

    relative_change: float = 0.10  # a metric moved by ≥ 10 % …
    percent_points: float = 2.0  # … or, for percent metrics, by ≥ 2 points …
    percent_relative: float = 0.25  # … or by ≥ 25 % of itself and ≥ 0.3 points (small rates such as churn)
    percent_min_points: float = 0.3
    nps_points: float = 10.0  # an NPS change must be ≥ 10 points …
    nps_z: float = 2.58  # … and beyond 2.58 standard errors (99 %), as NPS samples are small
    grower_factor: float = 2.0  # a grower's revenue grew ≥ 2× the company's
    target_miss: float = 0.02  # a miss by ≥ 2 % of the target …
    target_miss_flows: float = 0.05  # … ≥ 5 % for flows (sum metrics such as bookings), which are noisier …
    target_miss_points: float = 0.25  # … and, for percent metrics, by ≥ 0.25 points
    adoption_rise: float = 0.25  # adoption rose by ≥ 25 points since a roll-out
    rollout_lookback_days: int = 400  # roll-outs this recent are followed
    lapse_grace: float = 2.0  # a cadence lapsed after 2 × cadence_days without an occurrence


@dataclass(frozen=True)
class NotableContext:
    """The view the changes are computed for."""

    period: Period
    comparison: Period
    product_lines: Sequence[str] | None
    all_product_lines: Sequence[str]
    fiscal_year_start_month: int = 1
    nps_min_responses: int = 30
    number_format: NumberFormat = field(default_factory=NumberFormat)


def notable_changes(
    datasets: Mapping[str, pl.DataFrame],
    context: NotableContext,
    thresholds: Thresholds = Thresholds(),
    history: AdoptionHistory | None = None,
    company_kpis: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Every notable change in the selected period, most important first, each as a sentence a leader can read.

    ``history`` (``adoption_history`` of the adoption dataset) makes the lapse check faster, with the same result;
    ``company_kpis``, the context's ``kpi_table`` when the caller has it (``insights.overview.company_kpis``), spares
    computing it again.
    """
    return _ranked(_changes(datasets, context, thresholds, history, None, company_kpis))


def notable_changes_of_lines(
    every_line_changes: pl.DataFrame,
    datasets: Mapping[str, pl.DataFrame],
    context: NotableContext,
    thresholds: Thresholds = Thresholds(),
    history: AdoptionHistory | None = None,
    company_kpis: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """``notable_changes`` of the context's product lines, given those of every line (``every_line_changes``).

    The changes about one line that read that line's data alone (divergences, a line's target misses, lapses) are the
    rows of the chosen lines in ``every_line_changes``; those that depend on which lines are chosen (the growers
    against the chosen lines' growth, movers, the company's misses, roll-outs) are computed. The same rows, in the same
    order, as ``notable_changes`` of the chosen lines.
    """
    return _ranked(_changes(datasets, context, thresholds, history, every_line_changes, company_kpis))


# The kinds whose rows are about one product line and read that line's data alone (a line target miss has a line).
_PER_LINE_KINDS = ("divergence", "off_target", "lapsed")


def _changes(
    datasets: Mapping[str, pl.DataFrame],
    context: NotableContext,
    thresholds: Thresholds,
    history: AdoptionHistory | None,
    per_line: pl.DataFrame | None,
    company_kpis: pl.DataFrame | None,
) -> list[pl.DataFrame]:
    catalog = datasets["metric_catalog"]
    # the periods any finding below compares: the selected one, its comparison, and the two before it (divergences)
    compared = (
        context.period,
        context.comparison,
        shift_period(context.period, -2, context.fiscal_year_start_month),
    )
    # each period's roll-ups are made once and shared by the checks below
    rows = metric_rows(datasets, *periods_span(*compared), context.period.granularity)
    values = PeriodValues(metrics_for_periods(rows, context.product_lines, compared), catalog)

    def of_chosen_lines(kind: str) -> pl.DataFrame:
        assert per_line is not None
        chosen = per_line.filter(pl.col("kind") == kind, pl.col("product_line").is_not_null())
        lines = context.product_lines
        return chosen if lines is None else chosen.filter(pl.col("product_line").is_in(list(lines)))

    if per_line is None:
        feedback, nps_days = datasets["feedback"], datasets.get(DAILY_NPS)

        def nps_of(scope: Scope) -> pl.DataFrame:
            return nps_in(feedback, nps_days, scope, ("product_line",), context.nps_min_responses)

        divergences = _divergences(values, catalog, nps_of, context, thresholds)
        misses = _target_misses(values, catalog, datasets["targets"], context, thresholds, company=company_kpis)
        lapses = _lapses(datasets["adoption"], datasets["teams"], datasets["practices"], context, thresholds, history)
    else:
        divergences, line_misses, lapses = (of_chosen_lines(kind) for kind in _PER_LINE_KINDS)
        company_misses = _target_misses(
            values, catalog, datasets["targets"], context, thresholds, lines=False, company=company_kpis
        )
        misses = pl.concat([line_misses, company_misses.cast(line_misses.schema)])
    growers = _growers(values, catalog, context, thresholds)
    return [
        divergences,
        misses,
        growers,
        _movers(values, catalog, context, thresholds, skip_revenue_of=growers.get_column("product_line").to_list()),
        _rollouts(datasets["adoption"], datasets["teams"], datasets["practices"], context, thresholds, history),
        lapses,
    ]


def _ranked(parts: list[pl.DataFrame]) -> pl.DataFrame:
    found = pl.concat([part.cast(NOTABLE_SCHEMA) for part in parts])  # type: ignore[arg-type]
    order = pl.col("kind").replace_strict(KIND_ORDER, list(range(len(KIND_ORDER))), return_dtype=pl.Int64)
    return found.sort(order, pl.col("score"), pl.col("product_line"), descending=[False, True, False], nulls_last=True)


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema=NOTABLE_SCHEMA)


def _rows(records: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(records, schema=NOTABLE_SCHEMA) if records else _empty()


def metric_changes(
    metrics: pl.DataFrame | PeriodValues,
    catalog: pl.DataFrame,
    current: Period,
    previous: Period,
    thresholds: Thresholds,
) -> pl.DataFrame:
    """Per metric and product line: the change between two periods, whether it moved notably and if it got worse.

    ``metrics``: the metric rows, or their roll-ups kept (``PeriodValues``).
    """
    values = metrics if isinstance(metrics, PeriodValues) else PeriodValues(metrics, catalog)
    changes = compare_periods(values(current), values(previous), on=("metric", "product_line")).join(
        catalog.select("metric", "label", "unit", "higher_is_better"), on="metric", how="inner"
    )
    is_percent = pl.col("unit") == "percent"
    absolute = pl.col("delta").abs()
    relative = pl.col("delta_pct").abs()
    moved = (
        pl.when(is_percent)
        .then(
            (absolute >= thresholds.percent_points)
            | ((relative >= thresholds.percent_relative) & (absolute >= thresholds.percent_min_points))
        )
        .otherwise(relative >= thresholds.relative_change)
    )
    worse = pl.when(pl.col("higher_is_better")).then(pl.col("delta") < 0).otherwise(pl.col("delta") > 0)
    return changes.with_columns(
        moved.fill_null(False).alias("moved"),
        worse.fill_null(False).alias("worse"),
        relative.fill_null(0.0).alias("magnitude"),
    ).sort("metric", "product_line")


def _metric_phrase(row: Mapping[str, object], context: NotableContext, verb_up: str, verb_down: str) -> str:
    """'logo churn rose to 2.7% (+1.8 pt)' for one row of metric_changes."""
    unit = str(row["unit"])
    delta = row["delta"]
    assert isinstance(delta, float)
    verb = verb_up if delta > 0 else verb_down
    value = format_value(row["value"], unit, context.number_format)  # type: ignore[arg-type]
    change = (
        format_delta(delta, unit, context.number_format)
        if unit in ("percent", "score")
        else format_change(row["delta_pct"], context.number_format)  # type: ignore[arg-type]
    )
    return f"{_in_sentence(str(row['label']))} {verb} to {value} ({change})"


def _in_sentence(label: str) -> str:
    """A label as it reads mid-sentence: 'Logo churn' → 'logo churn', but acronyms such as 'ARR' stay."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def _label(row: Mapping[str, object]) -> str:
    return str(row["label"])


def _divergences(
    metrics: PeriodValues,
    catalog: pl.DataFrame,
    nps_of: Callable[[Scope], pl.DataFrame],
    context: NotableContext,
    thresholds: Thresholds,
) -> pl.DataFrame:
    """Lines whose NPS moved significantly against their revenue, this period or the one before (customer signals lead).

    When the divergence was in the period before, what got worse in the selected period is added: that lag (NPS first,
    churn a period later) is what a strategy review should see coming. ``nps_of`` gives the NPS per product line of
    the feedback in a scope (lines, first and last day).
    """
    revenue, _ = revenue_metric(catalog)
    if revenue is None:
        return _empty()
    previous = shift_period(context.period, -1, context.fiscal_year_start_month)
    windows = [
        (context.period, previous),
        (previous, shift_period(context.period, -2, context.fiscal_year_start_month)),
    ]
    this_period = metric_changes(metrics, catalog, context.period, previous, thresholds)
    records: list[dict[str, object]] = []
    flagged: set[str] = set()
    for current, before in windows:
        changes = _significant_nps_changes(nps_of, context, current, before, thresholds)
        revenue_changes = metric_changes(metrics, catalog, current, before, thresholds).filter(
            pl.col("metric") == revenue
        )
        joined = changes.join(revenue_changes, on="product_line", how="inner").filter(
            ((pl.col("nps_delta") < 0) & (pl.col("delta") > 0)) | ((pl.col("nps_delta") > 0) & (pl.col("delta") < 0))
        )
        for row in joined.iter_rows(named=True):
            line = str(row["product_line"])
            if line in flagged:
                continue
            flagged.add(line)
            nps_verb = "fell" if row["nps_delta"] < 0 else "rose"
            revenue_verb = "grew" if row["delta"] > 0 else "shrank"
            sentence = (
                f"{line}: NPS {nps_verb} {abs(row['nps_delta']):.0f} pts in {current.label} "
                f"({row['previous_nps']:+.0f} → {row['nps']:+.0f}, n={row['responses']:,}) while "
                f"{_label(row)} {revenue_verb} {format_change(abs(row['delta_pct'] or 0.0), context.number_format)[1:]}"
            )
            if current != context.period:
                worse = this_period.filter(
                    (pl.col("product_line") == line) & pl.col("moved") & pl.col("worse") & (pl.col("metric") != revenue)
                )
                if worse.height:
                    phrases = [
                        _metric_phrase(changed, context, "rose", "fell")
                        for changed in worse.sort("magnitude", descending=True).iter_rows(named=True)
                    ]
                    sentence += f"; in {context.period.label} " + ", ".join(phrases[:2])
            records.append(
                {
                    "kind": "divergence",
                    "product_line": line,
                    "subject": "nps",
                    "score": abs(row["nps_delta"]),
                    "sentence": sentence + ".",
                    "page": "customers",
                }
            )
    return _rows(records)


def _significant_nps_changes(
    nps_of: Callable[[Scope], pl.DataFrame],
    context: NotableContext,
    current: Period,
    before: Period,
    thresholds: Thresholds,
) -> pl.DataFrame:
    """Per product line: NPS changes that are large, confident and beyond ``nps_z`` standard errors."""

    def in_period(period: Period) -> pl.DataFrame:
        return nps_of((context.product_lines, period.start, period.end))

    return (
        nps_change(in_period(current), in_period(before), on=("product_line",), z=thresholds.nps_z)
        .filter(pl.col("significant") & ~pl.col("low_confidence") & (pl.col("delta").abs() >= thresholds.nps_points))
        .select("product_line", "nps", "previous_nps", "responses", pl.col("delta").alias("nps_delta"))
    )


def _target_misses(
    metrics: PeriodValues,
    catalog: pl.DataFrame,
    targets: pl.DataFrame,
    context: NotableContext,
    thresholds: Thresholds,
    *,
    lines: bool = True,
    company: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Metrics that missed their target in the selected period by more than ``target_miss``, per line (unless not
    ``lines``) and company (``company``: the context's ``kpi_table``, computed here when not given)."""
    period = context.period
    columns = ["metric", "product_line", "value", "target", "target_gap_pct"]
    if company is None:
        company = kpi_table(
            metrics.metrics,
            catalog,
            targets,
            period,
            context.comparison,
            context.product_lines,
            context.all_product_lines,
            values=metrics,
        )
    company = company.with_columns(pl.lit(None, dtype=pl.String).alias("product_line"))
    # The company is flagged only against a target of its own: one derived from the lines repeats their flags.
    company_metrics = targets.filter(pl.col("product_line").is_null()).get_column("metric").unique().implode()
    company_misses = company.filter((pl.col("status") == "missed") & pl.col("metric").is_in(company_metrics))
    per_line = company_misses.select(columns).clear()
    if lines:
        values = metrics(period).select("metric", "product_line", "value")
        line_targets = targets_for_period(
            targets, catalog, period, context.product_lines, context.all_product_lines, by_product_line=True
        )
        per_line = target_status(values, line_targets, catalog, on=("metric", "product_line")).select(columns)
    misses = (
        pl.concat([per_line, company_misses.select(columns).cast(per_line.schema)])
        .join(catalog.select("metric", "label", "unit", "aggregation", "higher_is_better"), on="metric", how="inner")
        .filter(
            pl.col("target_gap_pct").abs()
            >= pl.when(pl.col("aggregation") == "sum")
            .then(thresholds.target_miss_flows)
            .otherwise(thresholds.target_miss)
        )
        .filter(
            (pl.col("unit") != "percent")
            | ((pl.col("value") - pl.col("target")).abs() >= thresholds.target_miss_points)
        )
        .filter(
            pl.when(pl.col("higher_is_better"))
            .then(pl.col("value") < pl.col("target"))
            .otherwise(pl.col("value") > pl.col("target"))
        )
    )
    records = []
    for row in misses.iter_rows(named=True):
        who = row["product_line"] or "Company"
        value = format_value(row["value"], row["unit"], context.number_format)
        target = format_value(row["target"], row["unit"], context.number_format)
        records.append(
            {
                "kind": "off_target",
                "product_line": row["product_line"],
                "subject": row["metric"],
                "score": abs(row["target_gap_pct"]),
                "sentence": f"{who}: {row['label']} {value} in {period.label}, off its target of {target}.",
                "page": "business",
            }
        )
    return _rows(records)


def _growers(
    metrics: PeriodValues, catalog: pl.DataFrame, context: NotableContext, thresholds: Thresholds
) -> pl.DataFrame:
    """Lines whose revenue metric grew notably and at least ``grower_factor`` times the company's growth."""
    revenue, _ = revenue_metric(catalog)
    if revenue is None:
        return _empty()
    label, unit = catalog.filter(pl.col("metric") == revenue).select("label", "unit").row(0)
    company = compare_periods(
        metrics(context.period, by=()), metrics(context.comparison, by=()), on=("metric",)
    ).filter(pl.col("metric") == revenue)
    company_growth: float | None = company.row(0, named=True)["delta_pct"] if company.height else None
    bar = max(thresholds.relative_change, thresholds.grower_factor * max(company_growth or 0.0, 0.0))
    lines = compare_periods(metrics(context.period), metrics(context.comparison), on=("metric", "product_line")).filter(
        (pl.col("metric") == revenue) & (pl.col("delta_pct") >= bar)
    )
    records = []
    for row in lines.iter_rows(named=True):
        growth = format_change(row["delta_pct"], context.number_format)
        company_text = format_change(company_growth, context.number_format) if company_growth is not None else "n/a"
        value = format_value(row["value"], unit, context.number_format)
        records.append(
            {
                "kind": "grower",
                "product_line": row["product_line"],
                "subject": revenue,
                "score": row["delta_pct"],
                "sentence": (
                    f"{row['product_line']} is growing fastest: {label} {growth} in {context.period.label} "
                    f"vs {context.comparison.label}, to {value} (company {company_text})."
                ),
                "page": "business",
            }
        )
    return _rows(records)


def _movers(
    metrics: PeriodValues,
    catalog: pl.DataFrame,
    context: NotableContext,
    thresholds: Thresholds,
    skip_revenue_of: Sequence[str],
) -> pl.DataFrame:
    """Overview metrics that moved notably per line in the selected period against the comparison period."""
    watched, _ = overview_metrics(catalog)
    revenue, _ = revenue_metric(catalog)
    changes = metric_changes(metrics, catalog, context.period, context.comparison, thresholds).filter(
        pl.col("metric").is_in([*watched, *([revenue] if revenue else [])])
        & pl.col("moved")
        & ~(
            (pl.col("metric") == pl.lit(revenue, dtype=pl.String)) & pl.col("product_line").is_in(list(skip_revenue_of))
        )
    )
    records = []
    for row in changes.iter_rows(named=True):
        phrase = _metric_phrase(row, context, "rose", "fell")
        records.append(
            {
                "kind": "mover",
                "product_line": row["product_line"],
                "subject": row["metric"],
                "score": row["magnitude"],
                "sentence": f"{row['product_line']}: {phrase} in {context.period.label} vs {context.comparison.label}.",
                "page": "business",
            }
        )
    return _rows(records)


def _rollouts(
    adoption: pl.DataFrame,
    teams: pl.DataFrame,
    practices: pl.DataFrame,
    context: NotableContext,
    thresholds: Thresholds,
    history: AdoptionHistory | None = None,
) -> pl.DataFrame:
    """Practices rolled out recently whose adoption rose by at least ``adoption_rise`` since their first period.

    With ``history`` each practice's trend is one pass over the prepared rows, not a filter of every adoption row.
    """
    end = context.period.end
    recent = practices.filter(
        pl.col("since").is_not_null()
        & (pl.col("since") <= end)
        & ((pl.lit(end) - pl.col("since")).dt.total_days() <= thresholds.rollout_lookback_days)
    )
    records = []
    for practice, since in recent.select("practice", "since").iter_rows():
        trend = adoption_by_period(
            adoption if history is not None else adoption.filter(pl.col("practice") == practice),
            teams,
            practices.filter(pl.col("practice") == practice),
            context.period.granularity,
            context.fiscal_year_start_month,
            since,
            end,
            context.product_lines,
            history=history,
        ).sort("period_start")
        if trend.height < 2:
            continue
        first, last = trend.row(0, named=True), trend.row(-1, named=True)
        rise = last["adoption_rate"] - first["adoption_rate"]
        if rise < thresholds.adoption_rise:
            continue
        records.append(
            {
                "kind": "adoption",
                "product_line": None,
                "subject": practice,
                "score": rise,
                "sentence": (
                    f"{practice}: adopted by {last['adoption_rate']:.0%} of teams in {context.period.label}, up from "
                    f"{first['adoption_rate']:.0%} after its roll-out on {_day(since, context)}."
                ),
                "page": "process",
            }
        )
    return _rows(records)


def _lapses(
    adoption: pl.DataFrame,
    teams: pl.DataFrame,
    practices: pl.DataFrame,
    context: NotableContext,
    thresholds: Thresholds,
    history: AdoptionHistory | None = None,
) -> pl.DataFrame:
    """Teams that stopped a practice they used to run: no occurrence for ``lapse_grace`` × its cadence."""
    as_of = context.period.end
    lapsed = lapsed_teams(
        adoption, teams, practices, as_of, thresholds.lapse_grace, context.product_lines, history=history
    )
    records = [
        {
            "kind": "lapsed",
            "product_line": row["product_line"],
            "subject": f"{row['team']} · {row['practice']}",
            "score": float(row["overdue_days"]),
            "sentence": (
                f"{row['team']} ({row['product_line']}) has lapsed on {row['practice']}: last on "
                f"{_day(row['last_done'], context)}, {row['days_since']} days before {_day(as_of, context)} "
                f"(expected every {row['cadence_days']} days)."
            ),
            "page": "process",
        }
        for row in lapsed.iter_rows(named=True)
    ]
    return _rows(records)


def _day(day: date, context: NotableContext) -> str:
    return format_date(day, "d MMM y", locale=context.number_format.locale)
