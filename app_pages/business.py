"""Business Data & Insights: one metric at a time — what it means, where it stands, how each product line moves."""

from __future__ import annotations

import polars as pl
import streamlit as st

from insights.business import (
    change_text,
    exact_text,
    group_of,
    metric_groups,
    metric_labels,
    metric_named,
    partial_period_labels,
    whole_period_values,
)
from insights.formatting import comma_list, format_delta, format_value
from insights.metrics import revenue_metric
from insights.scope import View
from ui.business_cache import business_numbers
from ui.business_figures import (
    axis_title,
    breakdown_figure,
    period_table_columns,
    total_vs_target_figure,
    trend_by_line_figure,
)
from ui.charts import cached_figure, chart, line_colors
from ui.components import download_csv, empty_state, improved, kpi_card, kpi_placeholder, number_format, open_page
from ui.page_cache import monthly_metric_rows_of, prepared_metric_rows

SOURCES = ("metrics", "metric_catalog", "targets")
# URL keys of the picker; they must not clash with the global filters' (lines, range, granularity, vs).
GROUP_KEY, METRIC_KEY = "metric_group", "metric"
ROLL_UP = {
    "sum": "the sum of its values (a flow)",
    "last": "its last value (a stock)",
    "mean": "the mean of its values (a rate)",
}
BREAKDOWNS = {"segment": "segment", "region": "region"}


def _scope_name(view: View) -> str:
    if view.all_selected:
        return "company"
    if len(view.product_lines) <= 2:
        return comma_list(view.product_lines, separator=" + ")
    return f"{len(view.product_lines)} product lines"


current, data, view = open_page("Business Data & Insights", SOURCES)
numbers = number_format(current)

catalog, targets = data.frame("metric_catalog"), data.frame("targets")
if catalog.height == 0:
    empty_state("There is no metric catalog to pick a metric from: the Data page says why.")
    st.stop()

# --- the metric picker: a group, then a metric in it; both kept in the URL -------------------------------------------
groups = metric_groups(catalog)
groups_by_key = {group.key: group for group in groups}
labels = metric_labels(catalog)
revenue, _ = revenue_metric(catalog)
# A bound selectbox keeps the option's label in the URL; a shared link naming a metric opens the group holding it.
linked_metric = metric_named(labels, st.query_params.get(METRIC_KEY))
default_group = group_of(groups, linked_metric) or group_of(groups, revenue) or groups[0].key
picker_group, picker_metric = st.columns([3, 2], vertical_alignment="bottom")
with picker_group:
    chosen_group = st.segmented_control(
        "Metric group",
        options=list(groups_by_key),
        format_func=lambda key: groups_by_key[key].label,
        default=default_group,
        key=GROUP_KEY,
        bind="query-params",
        required=True,
    )
group = groups_by_key[chosen_group or default_group]
with picker_metric:
    metric = st.selectbox(
        "Metric",
        options=group.metrics,
        index=group.metrics.index(revenue) if revenue in group.metrics else 0,
        format_func=lambda metric_id: labels.get(metric_id, metric_id),
        key=METRIC_KEY,
        bind="query-params",
    )
chosen_metric = metric or group.metrics[0]
figures = business_numbers(
    data.key,
    repr(view),
    chosen_metric,
    tuple(BREAKDOWNS),
    prepared_metric_rows(data, chosen_metric),
    catalog,
    targets,
    view,
    monthly_metric_rows_of(data, chosen_metric),
)
definition = figures.definition
if definition is None:
    empty_state("Pick a metric from the catalog.")
    st.stop()
label, unit = definition.label, definition.unit
period, comparison = view.period, view.comparison
colors = line_colors(view.all_product_lines)

kpi = figures.kpi
kpi_row = kpi.row(0, named=True) if kpi is not None and kpi.height else None
totals = figures.totals

# --- what the metric is ----------------------------------------------------------------------------------------------
st.subheader(label, anchor=False)
if definition.question:
    st.markdown(f"_{definition.question}_")
with st.container(border=True):
    if definition.description:
        st.markdown(definition.description)
    direction = (
        "no direction"
        if definition.higher_is_better is None
        else "higher is better"
        if definition.higher_is_better
        else "lower is better"
    )
    target_value = kpi_row["target"] if kpi_row else None
    facts = {
        "Owner": definition.owner or "–",
        "Unit": unit,
        "A period's value": ROLL_UP.get(definition.aggregation, definition.aggregation),
        "Direction": direction,
        "Grain of the data": definition.grain or "no data",
        f"Target {period.label if period else ''}": format_value(target_value, unit, numbers)
        if target_value is not None
        else "none set",
    }
    for column, (name, value) in zip(st.columns(len(facts)), facts.items(), strict=True):
        column.caption(name)
        column.markdown(value)
    if definition.shown_at_own_grain:
        st.caption(
            f":material/info: {label} is recorded by {definition.grain}, which is coarser than the {view.granularity} "
            f"granularity chosen: it is shown by {definition.grain}, and a {view.granularity} shows the "
            f"{definition.grain} its first day falls in."
        )

# --- KPI row ---------------------------------------------------------------------------------------------------------
if period is None or comparison is None:
    empty_state(
        f"No complete {view.granularity} lies inside the date range and the data: widen the range or pick a finer "
        "granularity to see the KPIs and breakdowns."
    )
elif kpi_row is None:
    empty_state(f"No {label} data for the {_scope_name(view)} in {period.label}.")
else:
    vs = f"vs {comparison.label}"
    better = definition.higher_is_better
    company, target_card, best_card, worst_card = st.columns(4)
    with company:
        kpi_card(
            f"{label} · {period.label}",
            format_value(kpi_row["value"], unit, numbers),
            delta_text=change_text(unit, kpi_row["delta"], kpi_row["delta_pct"], numbers),
            delta=kpi_row["delta"],
            improved=improved(kpi_row["delta"], better),
            description=vs,
            help=f"Exact: {exact_text(kpi_row['value'], unit, numbers)}; "
            f"{comparison.label}: {exact_text(kpi_row['previous'], unit, numbers)}",
            sparkline=whole_period_values(totals),
        )
    with target_card:
        if kpi_row["target"] is None:
            kpi_placeholder(
                f"Target · {period.label}", f"No target in the targets data covers {period.label} for {label}."
            )
        else:
            kpi_card(
                f"Target · {period.label}",
                format_value(kpi_row["target"], unit, numbers),
                delta_text=format_delta(kpi_row["target_gap"], unit, numbers),
                delta=kpi_row["target_gap"],
                improved=improved(kpi_row["target_gap"], better),
                description="✓ on target" if kpi_row["status"] == "met" else "✗ off target",
                help=f"Exact target: {exact_text(kpi_row['target'], unit, numbers)}; "
                "the change is the value's gap to it.",
            )
    ranked = figures.ranked if figures.ranked is not None else pl.DataFrame()
    for card, heading, position in ((best_card, "Best change", 0), (worst_card, "Worst change", -1)):
        with card:
            if ranked.height < 2:
                kpi_placeholder(
                    f"{heading} · {period.label}",
                    "Select two or more product lines with data in both periods to rank them.",
                )
                continue
            line = ranked.row(position, named=True)
            kpi_card(
                f"{heading} · {period.label}",
                line["product_line"],
                delta_text=change_text(unit, line["delta"], line["delta_pct"], numbers),
                delta=line["delta"],
                improved=improved(line["delta"], better),
                description=vs,
                help=f"{line['product_line']}: {exact_text(line['value'], unit, numbers)} in "
                f"{period.label}, {exact_text(line['previous'], unit, numbers)} in {comparison.label}.",
            )

# --- main chart: the metric by product line over the range -----------------------------------------------------------
table = figures.table
if table.height == 0:
    empty_state(f"No {label} data for the selected product lines in the date range: widen the range or the lines.")
    st.stop()

y_title = axis_title(label, unit, current.currency)
subtitle = f"{label} by product line, {view.granularity} by {view.granularity}"
single_line = len(view.product_lines) == 1
has_target = totals.get_column("target").drop_nulls().len() > 0
# each figure is built once per data version, view and metric (Plotly's validation costs more than the numbers)
question = definition.question or f"{label} by product line"
trend = cached_figure(
    "business_trend",
    data.key,
    view,
    lambda: trend_by_line_figure(
        table,
        title=question,
        subtitle=subtitle,
        unit=unit,
        y_title=y_title,
        colors=colors,
        target=totals if single_line else None,
    ),
    definition.metric,
    current.currency,
)
if has_target and not single_line:
    main_column, target_column = st.columns([3, 2])
    main_column.plotly_chart(trend, width="stretch", key="business_trend")
    who = "Company" if view.all_selected else "Selected lines"
    status = (
        f": {'on' if kpi_row['status'] == 'met' else 'off'} target in {period.label}"
        if kpi_row is not None and kpi_row["status"] is not None and period is not None
        else " against target"
    )
    chart(
        "business_total_vs_target",
        data.key,
        view,
        lambda: total_vs_target_figure(totals, title=f"{who}{status}", name=who, unit=unit, y_title=y_title),
        definition.metric,
        current.currency,
        where=target_column,
    )
else:
    st.plotly_chart(trend, width="stretch", key="business_trend")
partial = partial_period_labels(table)
if partial:
    st.caption(
        f"Hollow markers: {comma_list(partial)} lie only partly inside the date range or the data, so their values "
        "cover part of the period."
    )

# --- breakdowns ------------------------------------------------------------------------------------------------------
if period is not None and comparison is not None:
    st.subheader(f"Breakdowns · {period.label}", anchor=False)
    breakdowns = figures.breakdowns
    shown = [by for by, parts in breakdowns.items() if parts.height]
    missing = [BREAKDOWNS[by] for by in BREAKDOWNS if by not in shown]
    for column, by in zip(st.columns(len(BREAKDOWNS)), shown, strict=False):
        parts = breakdowns[by]
        leader = str(parts.get_column(by).first())
        chart(
            f"business_breakdown_{by}",
            data.key,
            view,
            # called at once, inside this iteration: the loop variables are bound for it
            lambda parts=parts, by=by, leader=leader: breakdown_figure(  # type: ignore[misc]
                parts,
                by=by,
                title=f"{label} by {BREAKDOWNS[by]}: {leader} is largest in {period.label}",
                unit=unit,
                value_title=f"{y_title} · in brackets: change vs {comparison.label}",
                number_format=numbers,
            ),
            definition.metric,
            numbers,
            where=column,
        )
    if missing:
        st.caption(f"{label} is not broken down by {comma_list(missing, separator=' or ')} in the data.")

# --- the table behind it ---------------------------------------------------------------------------------------------
st.subheader("The numbers behind the chart", anchor=False)
st.dataframe(
    table,
    column_config=period_table_columns(label, unit, current.currency),
    hide_index=True,
    width="stretch",
)
download_csv(
    table,
    f"{definition.metric}_by_product_line_{view.granularity}_{view.start}_{view.end}.csv",
    label="Download CSV",
    key="business_table_csv",
)
