"""Generate the sample datasets of a fictional SaaS company, with planted stories, to the contracts."""

from __future__ import annotations

import argparse
import bisect
import itertools
import math
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Generic, TypeVar

import polars as pl

try:
    from sources.contracts import CONTRACTS
except ModuleNotFoundError:  # run as a script (python sample_data/generate.py): the checkout root is not on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from sources.contracts import CONTRACTS

Card = TypeVar("Card")

LINES = ("Atlas", "Beacon", "Cirrus", "Drift", "Ember")
SEGMENTS = ("Enterprise", "Mid-market", "SMB")
REGIONS = ("NA", "EMEA", "APAC")
MONTHS_OF_DATA = 36
# Simulated before the data starts, so trailing-12-month retention is defined from the first month shown.
BURN_IN_MONTHS = 12
# Feedback rows per account per month: about 12,000 rows over the default 36 months.
FEEDBACK_PER_ACCOUNT_MONTH = 0.09
ROLLOUT_PRACTICE = "Discovery interviews"
LAPSING_PRACTICES = ("OKR check-in", "Roadmap review")


@dataclass(frozen=True)
class Stories:
    """What was planted in the data, for tests (all None/empty when stories=False)."""

    pricing_line: str | None
    pricing_date: date | None
    nps_drop_quarter_start: date | None
    churn_rise_quarter_start: date | None
    fast_grower: str | None
    rollout_practice: str | None
    rollout_date: date | None
    lapsed: tuple[tuple[str, str], ...]


NO_STORIES = Stories(None, None, None, None, None, None, None, ())


# --- calendar -------------------------------------------------------------------------------------------------------


def _add_months(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_end(month: date) -> date:
    return _add_months(month, 1) - timedelta(days=1)


def _months_between(first: date, second: date) -> int:
    return (second.year - first.year) * 12 + second.month - first.month


def _fiscal_quarter_start(month: date, fiscal_year_start_month: int) -> date:
    return _add_months(month.replace(day=1), -((month.month - fiscal_year_start_month) % 3))


def _latest_complete_quarter_start(last_month: date, fiscal_year_start_month: int) -> date:
    current = _fiscal_quarter_start(last_month, fiscal_year_start_month)
    return current if _add_months(current, 2) == last_month else _add_months(current, -3)


@dataclass(frozen=True)
class _Calendar:
    data_start: date
    last_month: date
    data_end: date
    q0: date
    current_quarter: date
    sim_months: tuple[date, ...]

    @property
    def data_months(self) -> tuple[date, ...]:
        return tuple(month for month in self.sim_months if self.data_start <= month <= self.last_month)


def _calendar(last_month: date, fiscal_year_start_month: int) -> _Calendar:
    data_start = _add_months(last_month, -(MONTHS_OF_DATA - 1))
    current_quarter = _fiscal_quarter_start(last_month, fiscal_year_start_month)
    # Simulated up to the end of the current quarter, so its targets (the plan) cover the whole quarter.
    horizon = _add_months(current_quarter, 2)
    sim_start = _add_months(data_start, -BURN_IN_MONTHS)
    sim_months = tuple(_add_months(sim_start, step) for step in range(_months_between(sim_start, horizon) + 1))
    return _Calendar(
        data_start=data_start,
        last_month=last_month,
        data_end=_month_end(last_month),
        q0=_latest_complete_quarter_start(last_month, fiscal_year_start_month),
        current_quarter=current_quarter,
        sim_months=sim_months,
    )


# --- the business: ARR flows, retention, accounts ---------------------------------------------------------------------


@dataclass(frozen=True)
class _LineParams:
    """One product line's economics and the noise drawn for it, shared by its actual run and its plan."""

    start_arr: float
    start_accounts: float
    account_growth: float
    expansion_rate: float
    contraction_rate: float
    churn_base: float
    churn_arr_factor: float
    bookings_rate: float
    uplift: float
    churn_peak: float
    bookings_noise: tuple[float, ...]
    expansion_noise: tuple[float, ...]
    contraction_noise: tuple[float, ...]
    churn_noise: tuple[float, ...]


@dataclass(frozen=True)
class _MonthFlows:
    arr: int
    new_bookings: int
    expansion: int
    contraction: int
    churned: int
    logo_churn: float
    accounts: float
    retention_factor: float
    gross_retention_factor: float


@dataclass(frozen=True)
class _LineRole:
    name: str
    role: str  # "normal", "pricing" or "fast"
    launch: date | None = None
    pricing: date | None = None
    churn_rise: date | None = None


def _draw_line_params(rng: random.Random, role: str, calendar: _Calendar) -> _LineParams:
    months = len(calendar.sim_months)
    churn_arr_factor = rng.uniform(0.8, 0.95)
    if role == "fast":
        growth = rng.uniform(0.076, 0.084)
        churn_base = rng.uniform(0.6, 0.8)
        expansion_rate = rng.uniform(0.027, 0.03)
        contraction_rate = rng.uniform(0.002, 0.003)
        start_arr = rng.uniform(450_000, 550_000)
        start_accounts = rng.uniform(22, 30)
        account_growth = growth * rng.uniform(0.8, 0.9)
    else:
        # The pricing line grows gently, so the churn rise flattens its ARR.
        growth = rng.uniform(0.012, 0.015) if role == "pricing" else rng.uniform(0.012, 0.019)
        churn_base = rng.uniform(0.8, 1.0) if role == "pricing" else rng.uniform(0.6, 1.2)
        contraction_rate = rng.uniform(0.002, 0.004)
        # Expansion is whatever makes the line's net revenue retention land at 102–110 %.
        monthly_net_retention = rng.uniform(1.02, 1.10) ** (1 / 12) - 1
        expansion_rate = monthly_net_retention + contraction_rate + churn_base / 100 * churn_arr_factor
        # ARR and accounts when the data starts, taken back through the burn-in months.
        start_arr = rng.uniform(8_500_000, 17_000_000) / (1 + growth) ** BURN_IN_MONTHS
        account_growth = growth * rng.uniform(0.6, 0.7)
        start_accounts = rng.uniform(700, 770) / (1 + account_growth) ** BURN_IN_MONTHS
    net_retention = expansion_rate - contraction_rate - churn_base / 100 * churn_arr_factor
    return _LineParams(
        start_arr=start_arr,
        start_accounts=start_accounts,
        account_growth=account_growth,
        expansion_rate=expansion_rate,
        contraction_rate=contraction_rate,
        churn_base=churn_base,
        churn_arr_factor=churn_arr_factor,
        bookings_rate=max(growth - net_retention, 0.004),
        uplift=rng.uniform(0.045, 0.055),
        churn_peak=rng.uniform(2.6, 2.9),
        bookings_noise=tuple(rng.uniform(-0.10, 0.10) for _ in range(months)),
        expansion_noise=tuple(rng.gauss(0, 0.05) for _ in range(months)),
        contraction_noise=tuple(rng.gauss(0, 0.05) for _ in range(months)),
        churn_noise=tuple(rng.gauss(0, 0.05) for _ in range(months)),
    )


def _run_line(
    params: _LineParams,
    line: _LineRole,
    calendar: _Calendar,
    plan: dict[date, _MonthFlows] | None = None,
) -> dict[date, _MonthFlows]:
    """Month-by-month ARR flows of one line: its plan (no churn rise), or, given the plan, what actually happened."""
    churn_story = plan is not None
    flows: dict[date, _MonthFlows] = {}
    arr_before = 0.0 if line.role == "fast" else params.start_arr
    accounts_before = 0.0 if line.role == "fast" else params.start_accounts
    for index, month in enumerate(calendar.sim_months):
        if line.launch is not None and month < line.launch:
            continue
        logo_churn = params.churn_base
        if churn_story and line.churn_rise is not None and month >= line.churn_rise:
            # Customers who renewed at the new price start leaving a quarter later; the first month is the onset.
            step_up = 0.75 if month == line.churn_rise else 1.0
            logo_churn += step_up * (params.churn_peak - params.churn_base)
        logo_churn += params.churn_noise[index]
        expansion_rate = params.expansion_rate * (1 + params.expansion_noise[index])
        if line.pricing is not None and line.pricing <= month < _add_months(line.pricing, 3):
            # The price increase lands on existing customers as they renew over the quarter.
            expansion_rate += params.uplift / 3
        if arr_before == 0:
            new_bookings = round(params.start_arr)
            expansion = contraction = churned = 0
            accounts = params.start_accounts
        else:
            new_bookings = round(arr_before * params.bookings_rate * (1 + params.bookings_noise[index]))
            if plan is not None:
                # New logos come from the pipeline, which customers leaving does not touch.
                new_bookings = plan[month].new_bookings
            expansion = round(arr_before * expansion_rate)
            contraction = round(arr_before * params.contraction_rate * (1 + params.contraction_noise[index]))
            churned = round(arr_before * logo_churn / 100 * params.churn_arr_factor)
            new_logos = (
                accounts_before * (params.account_growth + params.churn_base / 100) * (1 + params.bookings_noise[index])
            )
            accounts = accounts_before + new_logos - accounts_before * logo_churn / 100
        arr = round(arr_before) + new_bookings + expansion - contraction - churned
        flows[month] = _MonthFlows(
            arr=arr,
            new_bookings=new_bookings,
            expansion=expansion,
            contraction=contraction,
            churned=churned,
            logo_churn=logo_churn,
            accounts=accounts,
            retention_factor=1 + (expansion - contraction - churned) / arr_before if arr_before else math.nan,
            gross_retention_factor=1 - (contraction + churned) / arr_before if arr_before else math.nan,
        )
        arr_before = float(arr)
        accounts_before = accounts
    return flows


def _trailing_retention(flows: dict[date, _MonthFlows], month: date, gross: bool) -> float | None:
    """ARR kept from the customers of 12 months ago, in % of their ARR then (None until a year of history exists)."""
    ratio = 1.0
    for back in range(12):
        month_flows = flows.get(_add_months(month, -back))
        if month_flows is None:
            return None
        factor = month_flows.gross_retention_factor if gross else month_flows.retention_factor
        if math.isnan(factor):
            return None
        ratio *= factor
    return ratio * 100


def _split(total: int, shares: Sequence[float]) -> list[int]:
    """Split a whole number into parts proportional to shares that add up to it exactly (largest remainder)."""
    scale = sum(shares)
    exact = [total * share / scale for share in shares]
    parts = [math.floor(value) for value in exact]
    by_remainder = sorted(range(len(shares)), key=lambda index: (parts[index] - exact[index], index))
    for index in by_remainder[: total - sum(parts)]:
        parts[index] += 1
    return parts


def _cell_shares(rng: random.Random, segment_shares: Sequence[float]) -> list[float]:
    region_shares = (rng.uniform(0.45, 0.55), rng.uniform(0.27, 0.35), rng.uniform(0.13, 0.2))
    return [segment * region for segment in segment_shares for region in region_shares]


MetricRow = tuple[date, str, str, float, str | None, str | None]


def _business_metric_rows(
    line: _LineRole,
    flows: dict[date, _MonthFlows],
    calendar: _Calendar,
    rng: random.Random,
) -> list[MetricRow]:
    bookings_mix = _cell_shares(rng, (rng.uniform(0.4, 0.5), rng.uniform(0.3, 0.38), rng.uniform(0.15, 0.22)))
    accounts_mix = _cell_shares(rng, (rng.uniform(0.1, 0.14), rng.uniform(0.3, 0.36), rng.uniform(0.5, 0.58)))
    cells = list(itertools.product(SEGMENTS, REGIONS))
    rows: list[MetricRow] = []
    for month in calendar.data_months:
        month_flows = flows.get(month)
        if month_flows is None:
            continue
        name = line.name
        rows.extend(
            [
                (month, name, "arr", float(month_flows.arr), None, None),
                (month, name, "expansion_arr", float(month_flows.expansion), None, None),
                (month, name, "contraction_arr", float(month_flows.contraction), None, None),
                (month, name, "churned_arr", float(month_flows.churned), None, None),
                (month, name, "logo_churn", round(month_flows.logo_churn, 2), None, None),
            ]
        )
        for metric, gross in (("net_revenue_retention", False), ("gross_revenue_retention", True)):
            retention = _trailing_retention(flows, month, gross)
            if retention is not None:
                rows.append((month, name, metric, round(retention, 2), None, None))
        # Each month's bookings land unevenly across the cells; the account base is split by a stable mix.
        noisy_mix = [share * (1 + rng.gauss(0, 0.1)) for share in bookings_mix]
        for (segment, region), bookings in zip(cells, _split(month_flows.new_bookings, noisy_mix), strict=True):
            rows.append((month, name, "new_bookings", float(bookings), segment, region))
        for (segment, region), accounts in zip(cells, _split(round(month_flows.accounts), accounts_mix), strict=True):
            rows.append((month, name, "active_accounts", float(accounts), segment, region))
    return rows


def _usage_metric_rows(
    line: _LineRole,
    flows: dict[date, _MonthFlows],
    calendar: _Calendar,
    rng: random.Random,
) -> list[MetricRow]:
    """Weekly active users, feature adoption, tickets per account and R&D cost: smooth trends with small noise."""
    fast = line.role == "fast"
    users_per_account = rng.uniform(7, 9) if fast else rng.uniform(8, 14)
    engagement = rng.uniform(0.55, 0.7)
    adoption_level = rng.uniform(25, 32) if fast else rng.uniform(38, 58)
    adoption_slope = rng.uniform(0.4, 0.6) if fast else rng.uniform(0.08, 0.2)
    tickets = rng.uniform(0.7, 0.9) if fast else rng.uniform(0.35, 0.65)
    rd_cost = rng.uniform(140_000, 180_000) if fast else flows[calendar.data_start].arr * rng.uniform(0.018, 0.024)
    rd_growth = 0.03 if fast else rng.uniform(0.003, 0.008)
    rows: list[MetricRow] = []
    name = line.name
    for step, month in enumerate(m for m in calendar.data_months if m in flows):
        tickets_level = tickets * (1 - 0.004 * step) * (1 + rng.gauss(0, 0.02))
        if line.pricing is not None and month >= line.pricing:
            # Billing questions after the price change.
            tickets_level *= 1.2
        rows.extend(
            [
                (
                    month,
                    name,
                    "feature_adoption",
                    round(min(adoption_level + adoption_slope * step, 90.0), 2),
                    None,
                    None,
                ),
                (month, name, "support_tickets_per_account", round(tickets_level, 3), None, None),
                (
                    month,
                    name,
                    "rd_cost",
                    float(round(rd_cost * (1 + rd_growth) ** step * (1 + rng.gauss(0, 0.015)))),
                    None,
                    None,
                ),
            ]
        )
        adoption_level += rng.gauss(0, 0.25)
    first_day = max(calendar.data_start, line.launch or calendar.data_start)
    monday = first_day + timedelta(days=(7 - first_day.weekday()) % 7)
    # only whole weeks: a week that runs past the last month would claim data beyond it
    while monday + timedelta(days=6) <= calendar.data_end:
        month_flows = flows[monday.replace(day=1)]
        step = _months_between(calendar.data_start, monday)
        active_users = (
            month_flows.accounts * users_per_account * (engagement + 0.001 * step) * (1 + rng.gauss(0, 0.012))
        )
        rows.append((monday, name, "weekly_active_users", float(round(active_users)), None, None))
        monday += timedelta(days=7)
    return rows


TargetRow = tuple[str, date, date, float, str | None]


def _target_rows(
    roles: Sequence[_LineRole],
    plans: dict[str, dict[date, _MonthFlows]],
    calendar: _Calendar,
    rng: random.Random,
) -> list[TargetRow]:
    """The plan: per line and quarter, a few % easier than the planned outcome; the company arr is the lines' sum."""
    rows: list[TargetRow] = []
    for quarter_back in range(11, -1, -1):
        start = _add_months(calendar.current_quarter, -3 * quarter_back)
        end = _month_end(_add_months(start, 2))
        quarter_months = [_add_months(start, step) for step in range(3)]
        company_arr = 0.0
        for line in roles:
            plan = plans[line.name]
            months = [plan[month] for month in quarter_months if month in plan]
            if not months:
                continue
            slack = [rng.uniform(0.02, 0.05) for _ in range(4)]
            if line.churn_rise is not None and start >= line.churn_rise:
                # Set right after the price increase, this plan is tight: it assumed customers would stay.
                slack = [share / 5 for share in slack]
            arr_target = math.floor(months[-1].arr * (1 - slack[0]) / 10_000) * 10_000.0
            company_arr += arr_target
            bookings = sum(month.new_bookings for month in months)
            churn = sum(month.logo_churn for month in months) / len(months)
            rows.append(("arr", start, end, arr_target, line.name))
            rows.append(
                ("new_bookings", start, end, math.floor(bookings * (1 - slack[1]) / 1_000) * 1_000.0, line.name)
            )
            rows.append(("logo_churn", start, end, round(math.ceil(churn * (1 + slack[2]) * 10) / 10, 1), line.name))
            retention = _trailing_retention(plan, quarter_months[-1], gross=False)
            if retention is not None:
                rows.append(
                    ("net_revenue_retention", start, end, float(math.floor(retention * (1 - slack[3]))), line.name)
                )
        rows.append(("arr", start, end, company_arr, None))
    return rows


@dataclass(frozen=True)
class _MetricSpec:
    metric: str
    label: str
    unit: str
    aggregation: str
    higher_is_better: bool
    question: str
    owner: str
    description: str
    format: str
    min: float | None
    max: float | None
    overview: int | None = None
    role: str | None = None


CATALOG = (
    _MetricSpec(
        "arr", "ARR", "currency", "last", True, "Are we growing recurring revenue?", "Finance",
        "Annual recurring revenue at the end of the month.", "compact", 0, None, 1, "revenue",
    ),
    _MetricSpec(
        "net_revenue_retention", "Net revenue retention", "percent", "last", True,
        "Do existing customers spend more with us over time?", "Finance",
        "ARR now from the customers of 12 months ago, in % of their ARR then (expansion, contraction and churn).",
        "0.0", 0, 300, 2,
    ),
    _MetricSpec(
        "logo_churn", "Logo churn", "percent", "mean", False, "Are we keeping our customers?", "Customer Success",
        "Accounts that cancelled in the month, in % of the accounts at its start.", "0.00", 0, 100, 3,
    ),
    _MetricSpec(
        "new_bookings", "New bookings", "currency", "sum", True, "Are we winning new customers?", "Sales",
        "ARR signed with new accounts in the month.", "compact", 0, None,
    ),
    _MetricSpec(
        "expansion_arr", "Expansion ARR", "currency", "sum", True, "Do customers buy more over time?",
        "Customer Success", "ARR added by existing accounts (upsell, seats, price changes).", "compact", 0, None,
    ),
    _MetricSpec(
        "contraction_arr", "Contraction ARR", "currency", "sum", False, "Are customers cutting back?",
        "Customer Success", "ARR lost to downgrades by accounts that stayed.", "compact", 0, None,
    ),
    _MetricSpec(
        "churned_arr", "Churned ARR", "currency", "sum", False, "How much revenue do cancellations cost us?",
        "Finance", "ARR of the accounts that cancelled in the month.", "compact", 0, None,
    ),
    _MetricSpec(
        "gross_revenue_retention", "Gross revenue retention", "percent", "last", True,
        "How much revenue do we keep before expansion?", "Finance",
        "Like net revenue retention, without expansion: ARR kept after contraction and churn.", "0.0", 0, 100,
    ),
    _MetricSpec(
        "active_accounts", "Active accounts", "count", "last", True, "How many customers pay for the product?",
        "Customer Success", "Paying accounts at the end of the month.", "0", 0, None,
    ),
    _MetricSpec(
        "weekly_active_users", "Weekly active users", "count", "mean", True, "Do people use the product every week?",
        "Product Analytics", "Distinct users active during the week starting that Monday.", "compact", 0, None,
    ),
    _MetricSpec(
        "feature_adoption", "Feature adoption", "percent", "mean", True, "Do customers use what we build?",
        "Product Analytics", "Accounts using at least one feature released in the last 6 months, in %.", "0.0", 0, 100,
    ),
    _MetricSpec(
        "support_tickets_per_account", "Support tickets per account", "ratio", "mean", False,
        "Is the product getting easier to use?", "Customer Success",
        "Support tickets opened in the month per active account.", "0.00", 0, None,
    ),
    _MetricSpec(
        "rd_cost", "R&D cost", "currency", "sum", False, "What does building the product cost?", "R&D",
        "Engineering, design and product salaries and tools charged to the line.", "compact", 0, None,
    ),
)  # fmt: skip


def _catalog_frame() -> pl.DataFrame:
    rows = [
        (
            spec.metric,
            spec.label,
            spec.unit,
            spec.aggregation,
            spec.higher_is_better,
            "business",
            spec.question,
            spec.owner,
            spec.description,
            spec.format,
            spec.min,
            spec.max,
            spec.overview,
            spec.role,
        )
        for spec in CATALOG
    ]
    return _frame("metric_catalog", rows)


# --- customers: feedback ---------------------------------------------------------------------------------------------

# Channel mix in %.
CHANNEL_MIX = {"support": 35, "survey": 30, "sales": 10, "interview": 8, "review": 17}
# Of every 20 rows of a channel, how many carry an NPS answer: every survey, about half of the conversations, public
# reviews' star ratings and the support follow-up survey; 57 % of all rows.
SCORED_OF_20 = {"support": 6, "survey": 20, "sales": 10, "interview": 11, "review": 9}

THEMES = (
    "Pricing",
    "Performance",
    "Onboarding",
    "Integrations",
    "Reporting",
    "Support quality",
    "Reliability",
    "Mobile app",
    "Billing",
    "Security",
)
THEME_WEIGHTS = {
    "negative": (8, 14, 10, 11, 9, 12, 13, 9, 8, 6),
    "neutral": (9, 8, 11, 14, 14, 8, 7, 10, 9, 10),
    "positive": (6, 10, 12, 13, 14, 14, 10, 9, 5, 7),
}
# After the price change, the pricing line's complaints and questions are mostly about the new prices and invoices.
PRICING_THEME_WEIGHTS = {
    "negative": (60, 14, 10, 11, 9, 12, 13, 9, 30, 6),
    "neutral": (30, 8, 11, 14, 14, 8, 7, 10, 15, 10),
    "positive": THEME_WEIGHTS["positive"],
}

# Placeholders: {line}, {thing} / {Thing} (one of the theme's things), {n} (2–30), {small} (2–6), {pct} (12–35).
THEME_THINGS = {
    "Pricing": ("the Enterprise tier", "the Pro plan", "add-on pricing", "the analytics add-on", "extra seats"),
    "Performance": ("dashboards", "search", "exports", "imports", "page loads", "bulk updates"),
    "Onboarding": ("the setup wizard", "onboarding", "the first-week checklist", "account setup", "data import"),
    "Integrations": (
        "the Salesforce sync", "the Slack integration", "the HubSpot connector", "the API", "the Jira integration"
    ),
    "Reporting": ("custom reports", "scheduled reports", "the KPI dashboard", "the report builder", "the board pack"),
    "Support quality": ("support", "chat support", "our CSM", "the support team", "phone support"),
    "Reliability": ("sync jobs", "the nightly import", "notifications", "the data sync", "scheduled exports"),
    "Mobile app": ("the iOS app", "the Android app", "the mobile app", "the tablet app"),
    "Billing": ("invoices", "the billing portal", "proration", "card payments", "credit notes"),
    "Security": ("SSO", "audit logs", "role permissions", "two-factor login", "data retention settings"),
}  # fmt: skip

TEXTS: dict[str, dict[str, tuple[str, ...]]] = {
    "Pricing": {
        "complaint": (
            "Pricing is getting hard to justify to finance.",
            "{Thing} is too expensive for a team our size.",
            "We pay for seats nobody uses.",
            "Renewal quote came in way above budget. Not happy.",
        ),
        "request": (
            "Please offer an annual discount on {thing}.",
            "Could you add a cheaper tier for small teams?",
            "We'd prefer usage-based pricing over per-seat.",
        ),
        "praise": (
            "Pricing is fair for what we get from {line}.",
            "Good value compared with the {small} tools we replaced.",
            "Clear, predictable pricing. Appreciated.",
        ),
        "question": (
            "How is {thing} billed if we add {n} seats mid-year?",
            "Is there a nonprofit or startup discount?",
            "Can we move to {thing} mid-contract?",
        ),
    },
    "Performance": {
        "complaint": (
            "Slow {thing} again this week; it hurts the whole team.",
            "We keep waiting {small} seconds or more on {thing}.",
            "Speed of {thing} got noticeably worse this month.",
        ),
        "request": ("Please speed up {thing} for large workspaces.", "Would love faster {thing} on big accounts."),
        "praise": (
            "{line} feels much faster lately, especially {thing}.",
            "Big improvement in the speed of {thing}. Thank you!",
        ),
        "question": (
            "Is there a known issue with slow {thing} today?",
            "Any tips to make {thing} faster with {n}k records?",
        ),
    },
    "Onboarding": {
        "complaint": (
            "Getting started took far too long; {thing} was confusing.",
            "New hires struggle with {thing}. Too many steps.",
        ),
        "request": (
            "Add templates to {thing} so new teams start faster.",
            "Please add a sandbox to try {line} before rollout.",
        ),
        "praise": ("{Thing} was smooth; we were live in {n} days.", "Best onboarding we have had with a vendor."),
        "question": (
            "Is there a checklist for rolling {line} out to {small} more teams?",
            "Who can help us with {thing} next week?",
        ),
    },
    "Integrations": {
        "complaint": ("{Thing} keeps dropping records. We fix data by hand.", "{Thing} broke after the last release."),
        "request": (
            "Please add a native integration with our ERP.",
            "We need field mapping options in {thing}.",
            "Would love two-way sync in {thing}.",
        ),
        "praise": ("{Thing} just works. Saves us hours every week.", "Love how easy {thing} was to set up."),
        "question": ("Does {thing} support custom fields?", "What are the rate limits for {thing}?"),
    },
    "Reporting": {
        "complaint": ("{Thing} can't show what leadership asks for.", "Numbers in {thing} don't match our own data."),
        "request": (
            "Please add more chart types to {thing}.",
            "We'd like to share {thing} with external stakeholders.",
        ),
        "praise": ("{Thing} made our monthly review so much easier.", "The new reporting in {line} is excellent."),
        "question": ("Can {thing} be filtered by region?", "How do we get {thing} every Monday by email?"),
    },
    "Support quality": {
        "complaint": (
            "Waited {small} days for a reply from support.",
            "Support closed our ticket without fixing the issue.",
            "{Thing} keeps sending us generic answers.",
        ),
        "request": ("Please offer support in our time zone.", "We'd like a named contact for escalations."),
        "praise": (
            "{Thing} solved our problem within the hour. Great job.",
            "Our CSM is fantastic: proactive and knows our setup.",
        ),
        "question": ("What are your support hours for EMEA?", "How do we escalate an urgent issue?"),
    },
    "Reliability": {
        "complaint": (
            "Another outage this morning; {thing} down for {small} hours.",
            "{Thing} failed twice this week without any alert.",
        ),
        "request": ("Please publish a status page with incident history.", "We need automatic retries for {thing}."),
        "praise": (
            "{line} has been rock solid for us all quarter.",
            "No incidents since we moved over. Very reliable.",
        ),
        "question": ("Was there an incident affecting {thing} yesterday?", "What uptime do you commit to for {thing}?"),
    },
    "Mobile app": {
        "complaint": (
            "{Thing} crashes whenever I open a large file.",
            "{Thing} logs me out every other day.",
            "Push notifications from {thing} arrive hours late.",
        ),
        "request": ("Please add offline mode to {thing}.", "Would like dark mode in {thing}."),
        "praise": ("{Thing} is great for checking things on the go.", "Love the new mobile experience in {line}."),
        "question": ("Does {thing} work offline?", "When will {thing} support SSO?"),
    },
    "Billing": {
        "complaint": (
            "We were charged twice this month. Please refund.",
            "{Thing}: the charges don't match our contract.",
            "Unexpected charge after the plan change.",
        ),
        "request": ("Please let us split invoices by cost center.", "Please add PO numbers to invoices."),
        "praise": (
            "Billing is simple and invoices are always clear.",
            "Quick fix on {thing} from the billing team. Thanks.",
        ),
        "question": ("Where can we download past invoices?", "How is proration calculated when we add seats?"),
    },
    "Security": {
        "complaint": ("{Thing}: too coarse for our compliance needs.", "Our security team flagged gaps in {thing}."),
        "request": ("Please add SCIM user provisioning.", "We need more control over {thing} for contractors."),
        "praise": (
            "Security review went smoothly thanks to {thing}.",
            "Our auditors were happy with {thing}.",
        ),
        "question": ("Do you have a SOC 2 report we can review?", "Where is our data hosted for EMEA customers?"),
    },
}
# What the pricing line's customers say about its price change.
PRICE_CHANGE_TEXTS = {
    "complaint": (
        "The new {line} pricing is a {pct}% jump for us. Hard to justify to finance.",
        "The new tiers force us into a plan we don't need.",
        "Our renewal went up {pct}% with the new {line} tiers. Not happy.",
        "We are reviewing alternatives after the {line} price increase.",
        "Same product, {pct}% more expensive. Disappointed.",
    ),
    "question": ("Which tier do we land on under the new {line} pricing?", "Why did our renewal quote go up {pct}%?"),
    "request": (
        "Please keep per-seat pricing for existing customers.",
        "Give long-standing customers a grace period on the new prices.",
    ),
}
OPENERS = ("Quick note: ", "FYI: ", "From our admin: ", "Team feedback: ", "Honestly, ")
CLOSERS = {
    "complaint": (" Please fix this soon.", " This is urgent for us."),
    "request": (" Would help a lot.", " Thanks!"),
    "praise": (" Keep it up!", " Thanks!"),
    "question": (" Thanks in advance.",),
}

COMPANY_WORDS = (
    "Northwind", "Bluepeak", "Redwood", "Silverline", "Ironbridge", "Granite", "Harbor", "Maple", "Summit",
    "Copperleaf", "Brightwater", "Oakridge", "Pinecrest", "Stonegate", "Lakeside", "Riverbend", "Highland", "Sunrise",
    "Clearview", "Evergreen", "Fairfield", "Goldcrest", "Hillside", "Kestrel", "Larkspur", "Meridian", "Northstar",
    "Orchard", "Pioneer", "Quarry", "Rosewood", "Sterling", "Tidewater", "Upland", "Vantage", "Westbrook", "Zephyr",
    "Alder", "Birchwood", "Cobalt",
)  # fmt: skip
COMPANY_TRADES = (
    "Logistics", "Foods", "Health", "Labs", "Retail", "Capital", "Energy", "Media", "Systems", "Analytics",
    "Partners", "Manufacturing", "Travel", "Insurance", "Robotics", "Biotech", "Apparel", "Realty", "Freight",
    "Dental", "Consulting", "Software", "Telecom", "Education", "Hotels", "Motors", "Pharma", "Studios", "Markets",
    "Holdings",
)  # fmt: skip
COMPANY_SUFFIXES = ("", "", "", "", " Inc", " Ltd", " GmbH", " Group")

SEGMENT_ARR = {"Enterprise": (90_000.0, 400_000.0), "Mid-market": (25_000.0, 90_000.0), "SMB": (4_000.0, 25_000.0)}
# Larger accounts talk to us more often.
SEGMENT_FEEDBACK_WEIGHT = {"Enterprise": 1.6, "Mid-market": 1.2, "SMB": 1.0}


@dataclass(frozen=True)
class _Account:
    name: str
    segment: str
    arr: float  # when it signed up, or when the data starts
    monthly_growth: float
    since: date  # month it signed up (the data start for accounts older than the data)


class _Deck(Generic[Card]):
    """Deals cards from a shuffled deck, reshuffling when it runs out.

    Dealing without replacement keeps every quarter's mix (channels, scored rows, NPS answers) within a few
    points of the intended one, so the only changes a detector finds are the planted ones.
    """

    def __init__(self, rng: random.Random, counts: dict[Card, int]) -> None:
        self._rng = rng
        self.cards = [card for card, count in counts.items() for _ in range(count)]
        self._deck: list[Card] = []

    def deal(self) -> Card:
        """The next card."""
        if not self._deck:
            self._deck = list(self.cards)
            self._rng.shuffle(self._deck)
        return self._deck.pop()


class _ScoreDeck:
    """Deals NPS answers with a line's exact promoter/passive/detractor mix."""

    def __init__(self, rng: random.Random, promoters: int, passives: int, detractors: int) -> None:
        self._rng = rng
        self._kinds = _Deck(rng, {"promoter": promoters, "passive": passives, "detractor": detractors})

    @property
    def shares(self) -> tuple[float, float]:
        """Promoter and passive shares (detractors are the rest)."""
        cards = self._kinds.cards
        return cards.count("promoter") / len(cards), cards.count("passive") / len(cards)

    def deal(self) -> int:
        """The next NPS answer, 0–10."""
        kind = self._kinds.deal()
        if kind == "promoter":
            return self._rng.choice((9, 10, 10))
        if kind == "passive":
            return self._rng.choice((7, 8))
        return self._rng.choices(range(7), weights=(1, 1, 1, 2, 3, 5, 7))[0]


def _decks(rng: random.Random, line: _LineRole, nps: int) -> tuple[_ScoreDeck, _ScoreDeck]:
    """The line's score decks before and after its price change (the same deck when it has none)."""
    detractors = rng.randint(3, 4)
    promoters = detractors + nps // 5
    passives = 20 - promoters - detractors
    before = _ScoreDeck(rng, promoters, passives, detractors)
    if line.pricing is None:
        return before, before
    # Three promoters become detractors: the NPS falls by 30 points.
    return before, _ScoreDeck(rng, promoters - 3, passives, detractors + 3)


def _sentiment(score: int | None, rng: random.Random, deck: _ScoreDeck) -> str:
    if score is None:
        promoters, passives = deck.shares
        draw = rng.random()
        return "positive" if draw < promoters else "neutral" if draw < promoters + passives else "negative"
    return "positive" if score >= 9 else "neutral" if score >= 7 else "negative"


def _category(sentiment: str, channel: str, rng: random.Random) -> str:
    draw = rng.random()
    if sentiment == "positive":
        return "praise" if draw < 0.72 else "request"
    if sentiment == "negative":
        return "complaint" if draw < 0.8 else "request"
    question_share = 0.7 if channel == "support" else 0.45
    return "question" if draw < question_share else "request"


def _text(theme: str, category: str, line: str, after_pricing: bool, rng: random.Random) -> str:
    thing = rng.choice(THEME_THINGS[theme])
    if after_pricing and theme == "Pricing" and category in PRICE_CHANGE_TEXTS:
        template = rng.choice(PRICE_CHANGE_TEXTS[category])
    else:
        template = rng.choice(TEXTS[theme][category])
    text = template.format(
        line=line,
        thing=thing,
        Thing=thing[0].upper() + thing[1:],
        n=rng.randint(2, 30),
        small=rng.randint(2, 6),
        pct=rng.randint(12, 35),
    )
    if rng.random() < 0.2:
        opener = rng.choice(OPENERS)
        text = opener + (text if text[:2].isupper() or text.startswith(line) else text[0].lower() + text[1:])
    if rng.random() < 0.2:
        text += rng.choice(CLOSERS[category])
    return text


def _account_pools(
    rng: random.Random,
    roles: Sequence[_LineRole],
    accounts: dict[str, dict[date, float]],
) -> dict[str, list[_Account]]:
    sizes = {line.name: min(max(round(max(accounts[line.name].values()) * 0.2), 60), 200) for line in roles}
    combos = rng.sample(range(len(COMPANY_WORDS) * len(COMPANY_TRADES)), sum(sizes.values()))
    names = iter(
        COMPANY_WORDS[combo // len(COMPANY_TRADES)]
        + " "
        + COMPANY_TRADES[combo % len(COMPANY_TRADES)]
        + rng.choice(COMPANY_SUFFIXES)
        for combo in combos
    )
    pools: dict[str, list[_Account]] = {}
    for line in roles:
        line_accounts = accounts[line.name]
        months = sorted(line_accounts)
        # Accounts join as the line's account base grows; most of a mature line's accounts predate the data.
        joiners = [max(line_accounts[month] - line_accounts.get(_add_months(month, -1), 0.0), 0.0) for month in months]
        pool: list[_Account] = []
        for index in range(sizes[line.name]):
            if line.role == "fast" and index >= 8:
                since = rng.choices(months, weights=joiners)[0]
            elif line.role != "fast" and rng.random() < 0.15:
                since = rng.choice(months)
            else:
                since = months[0]
            segment = rng.choices(SEGMENTS, weights=(0.2, 0.35, 0.45))[0]
            pool.append(
                _Account(
                    name=next(names),
                    segment=segment,
                    arr=rng.uniform(*SEGMENT_ARR[segment]),
                    monthly_growth=rng.uniform(0.002, 0.015),
                    since=since,
                )
            )
        pools[line.name] = sorted(pool, key=lambda account: (account.since, account.name))
    return pools


FeedbackRow = tuple[date, str, str, str, str | None, str, str, float, int | None, str, str, str]


def _feedback_frame(
    seed: int,
    roles: Sequence[_LineRole],
    flows: dict[str, dict[date, _MonthFlows]],
    calendar: _Calendar,
) -> pl.DataFrame:
    rng = random.Random(f"{seed}:feedback")
    accounts = {
        line.name: {
            month: flows[line.name][month].accounts for month in calendar.data_months if month in flows[line.name]
        }
        for line in roles
    }
    pools = _account_pools(rng, roles, accounts)
    # Each line its own NPS between +25 and +45; the pricing line starts high enough to fall by 30 and stay positive.
    levels = random.Random(f"{seed}:nps").sample((25, 30, 35, 40, 45), len(roles))
    decks = {
        line.name: _decks(
            random.Random(f"{seed}:nps:{line.name}"), line, max(level, 35) if line.pricing is not None else level
        )
        for line, level in zip(roles, levels, strict=True)
    }
    channels = {line.name: _Deck(rng, CHANNEL_MIX) for line in roles}
    scored = {
        line.name: {channel: _Deck(rng, {True: count, False: 20 - count}) for channel, count in SCORED_OF_20.items()}
        for line in roles
    }
    rows: list[FeedbackRow] = []
    for month in calendar.data_months:
        days = _month_end(month).day
        for line in roles:
            if month not in accounts[line.name]:
                continue
            after_pricing = line.pricing is not None and month >= line.pricing
            deck = decks[line.name][1 if after_pricing else 0]
            theme_weights = PRICING_THEME_WEIGHTS if after_pricing else THEME_WEIGHTS
            pool = pools[line.name]
            eligible = bisect.bisect_right([account.since for account in pool], month)
            weights = list(
                itertools.accumulate(SEGMENT_FEEDBACK_WEIGHT[account.segment] for account in pool[:eligible])
            )
            volume = accounts[line.name][month] * FEEDBACK_PER_ACCOUNT_MONTH * rng.uniform(0.93, 1.07)
            if after_pricing:
                volume *= 1.3
            for _ in range(round(volume)):
                channel = channels[line.name].deal()
                score = deck.deal() if scored[line.name][channel].deal() else None
                sentiment = _sentiment(score, rng, deck)
                category = _category(sentiment, channel, rng)
                theme = rng.choices(THEMES, weights=theme_weights[sentiment])[0]
                account = rng.choices(pool[:eligible], cum_weights=weights)[0]
                age = _months_between(max(account.since, calendar.data_start), month)
                account_arr = account.arr * (1 + account.monthly_growth) ** age
                if after_pricing and line.pricing is not None and account.since < line.pricing:
                    account_arr *= 1.05
                rows.append(
                    (
                        month + timedelta(days=rng.randrange(days)),
                        line.name,
                        channel,
                        _text(theme, category, line.name, after_pricing, rng),
                        None,
                        account.name,
                        account.segment,
                        float(round(account_arr)),
                        score,
                        sentiment,
                        theme,
                        category,
                    )
                )
    rows.sort(key=lambda row: (row[0], row[1]))
    numbered = [(*row[:4], f"FB-{number:06d}", *row[5:]) for number, row in enumerate(rows, start=1)]
    return _frame("feedback", numbered)


# --- process: practices, teams, adoption ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Practice:
    name: str
    cadence_days: int
    description: str
    artifact: str  # with {slug}, {day}, {month} and {n}


PRACTICES = (
    _Practice(
        "Quarterly planning", 91, "Each team sets goals and capacity for the next quarter.", "wiki/{slug}/plan-{month}"
    ),
    _Practice(
        "QBR", 91, "Quarterly business review of the line's results with leadership.", "decks/{slug}-qbr-{month}.pdf"
    ),
    _Practice(
        "Roadmap review", 30, "Monthly roadmap review with sales, success and support.", "wiki/{slug}/roadmap-{day}"
    ),
    _Practice(
        "PRD template", 14, "New work starts from the shared product requirements template.", "docs/{slug}/prd-{n:03d}"
    ),
    _Practice(
        "Discovery interviews", 7, "Weekly customer interviews before deciding what to build.", "research/{slug}/{day}"
    ),
    _Practice(
        "Launch checklist", 30, "Every release goes through the go-to-market checklist.", "wiki/{slug}/launch-{day}"
    ),
    _Practice("Release notes", 14, "Customer-facing notes for every release.", "docs/{slug}/release-notes-{day}"),
    _Practice("OKR check-in", 14, "Fortnightly check of progress against the quarter's OKRs.", "okrs/{slug}/{day}"),
)
TEAM_SUFFIXES = ("Growth", "Platform", "Integrations", "Mobile", "Insights", "Payments", "Workflow")
PM_FIRST = (
    "Dana", "Priya", "Marcus", "Lena", "Tomás", "Aiko", "Noah", "Fatima", "Jonas", "Camille", "Ravi", "Sofia",
    "Ethan", "Mei", "Lucas", "Amara", "Oskar", "Hannah", "Diego", "Yara", "Felix", "Nadia", "Samir", "Elena",
)  # fmt: skip
PM_LAST = (
    "Shah", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Fischer", "Alvarez", "Nguyen", "Kowalski", "Haddad",
    "Brennan", "Rossi", "Petrov", "Mensah", "Larsen", "Costa", "Ibrahim", "Novak", "Schmidt", "Kim",
)  # fmt: skip


@dataclass(frozen=True)
class _Team:
    name: str
    product_line: str
    pm: str
    active_from: date
    active_to: date | None


@dataclass(frozen=True)
class _Org:
    teams: tuple[_Team, ...]
    ended_team: _Team
    new_team: _Team


def _org(rng: random.Random, roles: Sequence[_LineRole], calendar: _Calendar) -> _Org:
    counts = {line.name: rng.randint(4, 5) for line in roles}
    for name in itertools.cycle(sorted(counts)):
        if sum(counts.values()) >= 22:
            break
        counts[name] = 5
    pm_names = [f"{first} {last}" for first, last in itertools.product(PM_FIRST, PM_LAST)]
    pms = iter(rng.sample(pm_names, sum(counts.values())))
    normal_lines = sorted(line.name for line in roles if line.role != "fast")
    ended_line, new_line = rng.sample(normal_lines, 2)
    teams: list[_Team] = []
    ended_team = new_team = None
    for line in roles:
        suffixes = ["Core", *rng.sample(TEAM_SUFFIXES, counts[line.name] - 1)]
        for position, suffix in enumerate(suffixes):
            if line.launch is not None:
                active_from = line.launch
            else:
                active_from = _add_months(calendar.data_start, -rng.randint(6, 40)) + timedelta(days=rng.randint(0, 27))
            team = _Team(f"{line.name} {suffix}", line.name, next(pms), active_from, None)
            if line.name == ended_line and position == len(suffixes) - 1:
                team = _Team(
                    team.name,
                    team.product_line,
                    team.pm,
                    active_from,
                    _month_end(_add_months(calendar.last_month, -12)),
                )
                ended_team = team
            if line.name == new_line and position == len(suffixes) - 1:
                team = _Team(team.name, team.product_line, team.pm, _add_months(calendar.last_month, -6), None)
                new_team = team
            teams.append(team)
    assert ended_team is not None
    assert new_team is not None
    return _Org(tuple(sorted(teams, key=lambda team: team.name)), ended_team, new_team)


def _practice_since(rng: random.Random, rollout_date: date | None, calendar: _Calendar) -> dict[str, date]:
    since: dict[str, date] = {}
    for practice in PRACTICES:
        rolled_out = _add_months(calendar.last_month, -rng.randint(37, 48))
        since[practice.name] = rollout_date if practice.name == ROLLOUT_PRACTICE and rollout_date else rolled_out
    return since


def _adoption_starts(
    rng: random.Random,
    org: _Org,
    since: dict[str, date],
    rollout_date: date | None,
    calendar: _Calendar,
) -> dict[tuple[str, str], date]:
    """When each team started each practice it adopted (pairs that never adopted it are absent)."""
    starts: dict[tuple[str, str], date] = {}
    for practice in PRACTICES:
        if practice.name == ROLLOUT_PRACTICE and rollout_date is not None:
            # The roll-out ramps from ~15 % of teams in its first month to ~85 % two quarters later.
            in_scope = [team for team in org.teams if team.active_to is None or team.active_to >= rollout_date]
            rng.shuffle(in_scope)
            first_wave = max(1, round(0.15 * len(in_scope)))
            adopters = round(0.85 * len(in_scope))
            for rank, team in enumerate(in_scope[:adopters]):
                month = 0 if rank < first_wave else 1 + (rank - first_wave) * 5 // (adopters - first_wave)
                start = _add_months(rollout_date, month) + timedelta(days=rng.randint(0, 20))
                starts[(team.name, practice.name)] = max(start, team.active_from)
            continue
        share = rng.uniform(0.72, 0.93)
        for team in rng.sample(org.teams, round(share * len(org.teams))):
            starts[(team.name, practice.name)] = max(since[practice.name], team.active_from)
    return starts


def _lapses(
    rng: random.Random,
    org: _Org,
    roles: Sequence[_LineRole],
    starts: dict[tuple[str, str], date],
    calendar: _Calendar,
) -> dict[tuple[str, str], date]:
    """Three team × practice pairs (in two lines) that stop ~130–160 days before the data ends, and when."""
    special = {org.ended_team.name, org.new_team.name}
    candidates = {
        line.name: [
            team
            for team in org.teams
            if team.product_line == line.name
            and team.name not in special
            and any((team.name, practice) in starts for practice in LAPSING_PRACTICES)
        ]
        for line in roles
        if line.role != "fast"
    }
    # Two teams in one line and one in another, the lines taken in a random order among those with enough teams.
    order = rng.sample(sorted(candidates), len(candidates))
    first_line = next(name for name in order if len(candidates[name]) >= 2)
    second_line = next(name for name in order if name != first_line and candidates[name])
    lapses: dict[tuple[str, str], date] = {}
    for line_name, how_many in ((first_line, 2), (second_line, 1)):
        for team in rng.sample(candidates[line_name], how_many):
            practice = rng.choice([name for name in LAPSING_PRACTICES if (team.name, name) in starts])
            lapses[(team.name, practice)] = calendar.data_end - timedelta(days=rng.randint(130, 160))
    return lapses


AdoptionRow = tuple[date, str, str, str, str, str | None, str]


def _adoption_frame(
    rng: random.Random,
    org: _Org,
    starts: dict[tuple[str, str], date],
    lapses: dict[tuple[str, str], date],
    calendar: _Calendar,
) -> pl.DataFrame:
    rows: list[AdoptionRow] = []
    teams = {team.name: team for team in org.teams}
    for (team_name, practice_name), start in sorted(starts.items()):
        team = teams[team_name]
        practice = next(practice for practice in PRACTICES if practice.name == practice_name)
        cadence = practice.cadence_days
        if start < calendar.data_start:
            # Already running when the data starts: pick up the cycle at a random phase.
            day = calendar.data_start + timedelta(days=rng.randrange(cadence))
        else:
            day = start + timedelta(days=rng.randint(0, cadence // 2))
        end = min(
            calendar.data_end, team.active_to or calendar.data_end, lapses.get((team_name, practice_name), date.max)
        )
        slug = team_name.lower().replace(" ", "-")
        gap: int | None = None
        number = 0
        while day <= end:
            number += 1
            if gap is not None and gap > cadence:
                status = "late"
            else:
                status = "skipped" if gap is not None and rng.random() < 0.03 else "done"
            artifact = None
            if status != "skipped":
                artifact = practice.artifact.format(
                    slug=slug, day=day.isoformat(), month=day.strftime("%Y-%m"), n=number
                )
            rows.append((day, team_name, team.product_line, practice_name, status, artifact, team.pm))
            if rng.random() < 0.07:
                gap = max(round(cadence * rng.uniform(1.1, 1.35)), cadence + 1)
            else:
                gap = min(max(round(cadence * rng.uniform(0.8, 1.0)), 1), cadence)
            day += timedelta(days=gap)
    rows.sort(key=lambda row: (row[0], row[1], row[3]))
    return _frame("adoption", rows)


# --- events ---------------------------------------------------------------------------------------------------------

EventRow = tuple[date, str, str | None, str]


def _event_rows(
    rng: random.Random,
    roles: Sequence[_LineRole],
    org: _Org,
    rollout_date: date | None,
    calendar: _Calendar,
) -> list[EventRow]:
    rows: list[EventRow] = []
    for line in roles:
        if line.launch is not None:
            rows.append((line.launch, f"{line.name} launched", line.name, "launch"))
        if line.pricing is not None:
            rows.append(
                (line.pricing, f"New pricing for {line.name}: tiered plans replace per-seat", line.name, "pricing")
            )
    if rollout_date is not None:
        rows.append((rollout_date, f"{ROLLOUT_PRACTICE} rolled out to all teams", None, "process"))
    established = sorted(line.name for line in roles if line.role != "fast")
    mobile_line, reporting_line = rng.sample(established, 2)

    def some_day(first_month: int, last_month: int) -> date:
        month = _add_months(calendar.data_start, rng.randint(first_month, last_month))
        return month + timedelta(days=rng.randint(1, 25))

    ended, new = org.ended_team, org.new_team
    assert ended.active_to is not None
    rows.extend(
        [
            (some_day(3, 10), f"{mobile_line} mobile app released", mobile_line, "launch"),
            (some_day(14, 22), f"{reporting_line} Reporting 2.0 released", reporting_line, "launch"),
            (some_day(8, 12), "SOC 2 Type II report published", None, "other"),
            (some_day(18, 20), "Customer conference: Horizon Summit", None, "other"),
            (
                ended.active_to + timedelta(days=1),
                f"Reorg: {ended.name} merged into {ended.product_line} Core",
                ended.product_line,
                "org",
            ),
            (new.active_from, f"New team {new.name} formed", new.product_line, "org"),
        ]
    )
    return sorted(rows, key=lambda row: (row[0], row[1]))


# --- assembly ---------------------------------------------------------------------------------------------------------


def _frame(name: str, rows: Sequence[tuple[object, ...]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=CONTRACTS[name].schema, orient="row")


def _roles(seed: int, stories: bool, calendar: _Calendar) -> list[_LineRole]:
    if not stories:
        return [_LineRole(name, "normal") for name in LINES]
    shuffled = list(LINES)
    random.Random(f"{seed}:stories").shuffle(shuffled)
    pricing_line, fast_grower = shuffled[:2]
    pricing_date = _add_months(calendar.q0, -3)
    roles: list[_LineRole] = []
    for name in LINES:
        if name == pricing_line:
            roles.append(_LineRole(name, "pricing", pricing=pricing_date, churn_rise=calendar.q0))
        elif name == fast_grower:
            launch_months_ago = random.Random(f"{seed}:launch").randint(29, 31)
            roles.append(_LineRole(name, "fast", launch=_add_months(calendar.last_month, -launch_months_ago)))
        else:
            roles.append(_LineRole(name, "normal"))
    return roles


def generate(
    seed: int = 7,
    last_month: date = date(2026, 10, 1),
    stories: bool = True,
    fiscal_year_start_month: int = 1,
) -> tuple[dict[str, pl.DataFrame], Stories]:
    """The sample company's datasets (contract dtypes) for the 36 months to last_month, and what was planted."""
    if not 1 <= fiscal_year_start_month <= 12:
        raise ValueError(f"fiscal_year_start_month must be 1–12, not {fiscal_year_start_month}")
    calendar = _calendar(last_month.replace(day=1), fiscal_year_start_month)
    roles = _roles(seed, stories, calendar)
    flows: dict[str, dict[date, _MonthFlows]] = {}
    plans: dict[str, dict[date, _MonthFlows]] = {}
    metric_rows: list[MetricRow] = []
    for line in roles:
        params = _draw_line_params(random.Random(f"{seed}:business:{line.name}"), line.role, calendar)
        plans[line.name] = _run_line(params, line, calendar)
        flows[line.name] = _run_line(params, line, calendar, plans[line.name])
        usage_rng = random.Random(f"{seed}:usage:{line.name}")
        metric_rows.extend(_business_metric_rows(line, flows[line.name], calendar, usage_rng))
        metric_rows.extend(_usage_metric_rows(line, flows[line.name], calendar, usage_rng))
    metric_rows.sort(key=lambda row: (row[0], row[1], row[2], row[4] or "", row[5] or ""))

    rollout_date = _add_months(calendar.q0, -6) if stories else None
    process_rng = random.Random(f"{seed}:process")
    org = _org(process_rng, roles, calendar)
    since = _practice_since(process_rng, rollout_date, calendar)
    starts = _adoption_starts(process_rng, org, since, rollout_date, calendar)
    lapses = _lapses(process_rng, org, roles, starts, calendar) if stories else {}

    datasets = {
        "metrics": _frame("metrics", metric_rows),
        "metric_catalog": _catalog_frame(),
        "targets": _frame("targets", _target_rows(roles, plans, calendar, random.Random(f"{seed}:targets"))),
        "feedback": _feedback_frame(seed, roles, flows, calendar),
        "adoption": _adoption_frame(process_rng, org, starts, lapses, calendar),
        "practices": _frame(
            "practices",
            [
                (practice.name, practice.cadence_days, practice.description, since[practice.name])
                for practice in PRACTICES
            ],
        ),
        "teams": _frame(
            "teams", [(team.name, team.product_line, team.pm, team.active_from, team.active_to) for team in org.teams]
        ),
        "events": _frame("events", _event_rows(process_rng, roles, org, rollout_date, calendar)),
    }
    if not stories:
        return datasets, NO_STORIES
    pricing = next(line for line in roles if line.role == "pricing")
    fast = next(line for line in roles if line.role == "fast")
    planted = Stories(
        pricing_line=pricing.name,
        pricing_date=pricing.pricing,
        nps_drop_quarter_start=pricing.pricing,
        churn_rise_quarter_start=pricing.churn_rise,
        fast_grower=fast.name,
        rollout_practice=ROLLOUT_PRACTICE,
        rollout_date=rollout_date,
        lapsed=tuple(sorted(lapses)),
    )
    return datasets, planted


def write(datasets: dict[str, pl.DataFrame], out_dir: Path) -> None:
    """Write each dataset to out_dir/<name>.csv, columns in contract order, dates as YYYY-MM-DD, no exponents."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in datasets.items():
        contract = CONTRACTS[name]
        columns = frame.select(list(contract.schema))
        columns.write_csv(out_dir / contract.file_name, date_format="%Y-%m-%d", float_scientific=False)


def _month_argument(text: str) -> date:
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a month as YYYY-MM, not {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    """Command line: regenerate the sample data (the defaults rewrite the committed files exactly)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--last-month", type=_month_argument, default=date(2026, 10, 1), help="YYYY-MM (default 2026-10)"
    )
    parser.add_argument("--fiscal-year-start-month", type=int, default=1, help="1–12 (default 1)")
    parser.add_argument("--no-stories", action="store_true", help="a calm company: no planted stories")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="output folder")
    args = parser.parse_args(argv)
    datasets, planted = generate(args.seed, args.last_month, not args.no_stories, args.fiscal_year_start_month)
    write(datasets, args.out)
    for name, frame in datasets.items():
        print(f"{args.out / CONTRACTS[name].file_name}: {frame.height} rows")
    if planted.pricing_line is not None:
        print(f"pricing change: {planted.pricing_line} on {planted.pricing_date}; fast grower: {planted.fast_grower}")
        print(f"roll-out: {planted.rollout_practice} on {planted.rollout_date}; lapsed: {planted.lapsed}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
