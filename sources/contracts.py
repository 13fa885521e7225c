"""The dataset contracts of DESIGN.md §2: columns, dtypes, allowed values, bounds, keys and header aliases."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

UNITS = ("currency", "percent", "count", "ratio", "score")
AGGREGATIONS = ("sum", "last", "mean")
SENTIMENTS = ("positive", "neutral", "negative")
CATEGORIES = ("request", "complaint", "praise", "question")
STATUSES = ("done", "late", "skipped")
EVENT_KINDS = ("launch", "pricing", "process", "org", "other")
ROLES = ("revenue",)


@dataclass(frozen=True)
class Column:
    """One column of a contract: its type, whether it is required, and what values it allows."""

    name: str
    dtype: pl.DataType
    required: bool
    description: str
    example: str = ""
    allowed: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    aliases: tuple[str, ...] = ()
    # Free text keeps tokens such as "N/A" or "none" as written; other columns read them as empty.
    free_text: bool = False
    # A text label with few distinct values: the dashboard holds it as a Categorical (``Contract.compact``), four bytes
    # a row instead of a sixteen-byte string view. Datasets join on such columns as Categoricals (every dataset's
    # product_line, metric, team and practice are compact); a frame made in code joins their small results as text
    # (``insights.scope.as_text``).
    compact: bool = False

    @property
    def type_name(self) -> str:
        """The dtype as a person reads it in the README and on the Data page."""
        return _TYPE_NAMES[type(self.dtype)]


@dataclass(frozen=True)
class Contract:
    """A dataset's contract: one row is ``row``; ``key`` columns identify a row (empty = no key)."""

    name: str
    row: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    optional_dataset: bool = False
    key_note: str = ""
    checks: tuple[str, ...] = field(default=())

    @property
    def file_name(self) -> str:
        """The file the dataset is read from in a data directory."""
        return f"{self.name}.csv"

    @property
    def schema(self) -> dict[str, pl.DataType]:
        """Column name → Polars dtype, in contract order."""
        return {column.name: column.dtype for column in self.columns}

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the required columns."""
        return tuple(column.name for column in self.columns if column.required)

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")

    def empty(self) -> pl.DataFrame:
        """An empty frame with this contract's schema."""
        return pl.DataFrame(schema=self.schema)

    def compact(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` (contract-exact) with its ``compact`` text columns as Categoricals: the same values in a quarter of
        the memory, and faster to group by. Other columns are shared, not copied."""
        columns = [
            column.name for column in self.columns if column.compact and frame.schema.get(column.name) == pl.String
        ]
        return frame.with_columns(pl.col(columns).cast(pl.Categorical)) if columns else frame

    def exact(self, frame: pl.DataFrame) -> pl.DataFrame:
        """A ``compact`` frame back in the contract's types, for what checks, stores or compares contract-exact
        frames."""
        columns = [
            column.name for column in self.columns if column.compact and frame.schema.get(column.name) == pl.Categorical
        ]
        return frame.with_columns(pl.col(columns).cast(pl.String)) if columns else frame


_TYPE_NAMES: dict[type, str] = {
    pl.String: "text",
    pl.Date: "date (YYYY-MM-DD)",
    pl.Float64: "number",
    pl.Int64: "whole number",
    pl.Boolean: "true/false",
}


def normalize_header(header: str) -> str:
    """Fold a header for matching: case, spaces, underscores, hyphens and dots don't count."""
    return re.sub(r"[\s_\-.]+", "", header.strip().lstrip("\ufeff")).casefold()


def _col(
    name: str,
    dtype: pl.DataType,
    required: bool,
    description: str,
    example: str = "",
    **extra: object,
) -> Column:
    return Column(name, dtype, required, description, example, **extra)  # type: ignore[arg-type]


_PRODUCT_LINE = ("product", "line", "productline", "product line")

METRICS = Contract(
    name="metrics",
    row="a metric's value for a product line on a day, week or month",
    columns=(
        _col(
            "date",
            pl.Date(),
            True,
            "The day, or the first day of the week or month the value covers.",
            "2025-06-01",
            aliases=("day", "period", "period_start", "month", "week"),
        ),
        _col(
            "product_line",
            pl.String(),
            True,
            "Product line the value belongs to.",
            "Atlas",
            aliases=_PRODUCT_LINE,
            compact=True,
        ),
        _col(
            "metric",
            pl.String(),
            True,
            "Metric id from the metric catalog.",
            "arr",
            aliases=("metric_id", "kpi"),
            compact=True,
        ),
        _col("value", pl.Float64(), True, "The value, in the metric's unit.", "1250000", aliases=("amount", "val")),
        _col(
            "segment",
            pl.String(),
            False,
            "Customer segment, when the value is broken down by it.",
            "Enterprise",
            compact=True,
        ),
        _col("region", pl.String(), False, "Region, when the value is broken down by it.", "EMEA", compact=True),
    ),
    key=("date", "product_line", "metric", "segment", "region"),
    checks=(
        "metric ids must be in the metric catalog",
        "values must lie within the catalog's min and max for the metric",
    ),
)

METRIC_CATALOG = Contract(
    name="metric_catalog",
    row="one metric",
    columns=(
        _col(
            "metric",
            pl.String(),
            True,
            "Metric id, as used in metrics and targets.",
            "arr",
            aliases=("metric_id", "id"),
            compact=True,
        ),
        _col("label", pl.String(), True, "Name shown on the dashboard.", "ARR", aliases=("name",)),
        _col("unit", pl.String(), True, "One of: " + ", ".join(UNITS) + ".", "currency", allowed=UNITS),
        _col(
            "aggregation",
            pl.String(),
            True,
            "How periods roll up: sum (flows), last (stocks), mean (rates).",
            "last",
            allowed=AGGREGATIONS,
            aliases=("agg", "rollup"),
        ),
        _col(
            "higher_is_better",
            pl.Boolean(),
            True,
            "true when an increase is good news.",
            "true",
            aliases=("higher_better", "good_direction"),
        ),
        _col("pillar", pl.String(), False, "Pillar the metric belongs to.", "business"),
        _col("question", pl.String(), False, "The strategic question it answers.", "Are we growing?", free_text=True),
        _col("owner", pl.String(), False, "Who owns the metric.", "Finance"),
        _col("description", pl.String(), False, "How it is defined.", "Annual recurring revenue", free_text=True),
        _col("format", pl.String(), False, "Display hint, e.g. compact or 0.0.", "compact"),
        _col("min", pl.Float64(), False, "Smallest allowed value.", "0", aliases=("minimum",)),
        _col("max", pl.Float64(), False, "Largest allowed value.", "100", aliases=("maximum",)),
        _col(
            "overview",
            pl.Int64(),
            False,
            "Position of its KPI card on the Overview; empty = not there.",
            "1",
            min=1,
            aliases=("overview_position",),
        ),
        _col(
            "role", pl.String(), False, "'revenue' marks the business metric set beside NPS.", "revenue", allowed=ROLES
        ),
    ),
    key=("metric",),
    checks=("min must not exceed max", "at most one metric has the role revenue"),
)

TARGETS = Contract(
    name="targets",
    row="a target for a metric over a period",
    columns=(
        _col("metric", pl.String(), True, "Metric id from the catalog.", "arr", aliases=("metric_id",), compact=True),
        _col(
            "period_start",
            pl.Date(),
            True,
            "First day of the period the target covers.",
            "2025-01-01",
            aliases=("start",),
        ),
        _col(
            "period_end", pl.Date(), True, "Last day of the period the target covers.", "2025-03-31", aliases=("end",)
        ),
        _col("target", pl.Float64(), True, "The target value, in the metric's unit.", "1500000", aliases=("goal",)),
        _col(
            "product_line",
            pl.String(),
            False,
            "Product line; empty = the whole company.",
            "Atlas",
            aliases=_PRODUCT_LINE,
            compact=True,
        ),
    ),
    key=("metric", "product_line", "period_start"),
    checks=("period_end must not be before period_start", "metric ids must be in the metric catalog"),
)

FEEDBACK = Contract(
    name="feedback",
    row="one piece of customer feedback",
    columns=(
        _col(
            "date",
            pl.Date(),
            True,
            "Day the feedback was given.",
            "2025-06-03",
            aliases=("created", "created_at", "day"),
        ),
        _col(
            "product_line", pl.String(), True, "Product line it is about.", "Atlas", aliases=_PRODUCT_LINE, compact=True
        ),
        _col(
            "channel",
            pl.String(),
            True,
            "Where it came from: support, sales, survey, interview, review, …",
            "survey",
            aliases=("source",),
            compact=True,
        ),
        _col(
            "text",
            pl.String(),
            True,
            "The verbatim.",
            "Pricing went up again",
            free_text=True,
            aliases=("comment", "verbatim", "feedback"),
        ),
        _col("id", pl.String(), False, "Unique id of the piece of feedback.", "FB-000123", aliases=("feedback_id",)),
        _col(
            "account",
            pl.String(),
            False,
            "Customer account.",
            "Acme Corp",
            aliases=("customer", "account_name"),
            compact=True,
        ),
        _col("segment", pl.String(), False, "Customer segment.", "Enterprise", compact=True),
        _col(
            "account_arr",
            pl.Float64(),
            False,
            "The account's ARR when it gave the feedback.",
            "84000",
            min=0,
            aliases=("arr",),
        ),
        _col("nps_score", pl.Int64(), False, "NPS answer, 0–10.", "9", min=0, max=10, aliases=("nps", "score")),
        _col(
            "sentiment",
            pl.String(),
            False,
            "One of: " + ", ".join(SENTIMENTS) + ".",
            "negative",
            allowed=SENTIMENTS,
            compact=True,
        ),
        _col("theme", pl.String(), False, "Theme it was tagged with.", "Pricing", aliases=("topic",), compact=True),
        _col(
            "category",
            pl.String(),
            False,
            "One of: " + ", ".join(CATEGORIES) + ".",
            "complaint",
            allowed=CATEGORIES,
            aliases=("type",),
            compact=True,
        ),
    ),
    key=("id",),
    key_note="id when present, else none",
)

ADOPTION = Contract(
    name="adoption",
    row="one occurrence of a practice by a team",
    columns=(
        _col("date", pl.Date(), True, "Day the practice happened.", "2025-06-10", aliases=("day",)),
        _col(
            "team",
            pl.String(),
            True,
            "Team, from the teams list.",
            "Atlas Core",
            aliases=("team_name", "squad"),
            compact=True,
        ),
        _col(
            "product_line", pl.String(), True, "Product line of the team.", "Atlas", aliases=_PRODUCT_LINE, compact=True
        ),
        _col("practice", pl.String(), True, "Practice, from the practices list.", "QBR", compact=True),
        _col(
            "status", pl.String(), False, "done, late or skipped; empty = done.", "done", allowed=STATUSES, compact=True
        ),
        _col(
            "artifact", pl.String(), False, "Link or name of what it produced.", "https://wiki/qbr-q2", free_text=True
        ),
        _col("owner", pl.String(), False, "Who ran it.", "Dana", compact=True),
    ),
    key=("date", "team", "practice"),
)

PRACTICES = Contract(
    name="practices",
    row="one practice",
    columns=(
        _col("practice", pl.String(), True, "Practice name.", "QBR", aliases=("name",), compact=True),
        _col(
            "cadence_days",
            pl.Int64(),
            True,
            "Expected interval between occurrences, in days.",
            "91",
            min=1,
            aliases=("cadence",),
        ),
        _col("description", pl.String(), False, "What it is.", "Quarterly business review", free_text=True),
        _col(
            "since", pl.Date(), False, "Roll-out date.", "2024-03-01", aliases=("rollout", "rolled_out", "rollout_date")
        ),
    ),
    key=("practice",),
)

TEAMS = Contract(
    name="teams",
    row="one team",
    columns=(
        _col(
            "team", pl.String(), True, "Team name.", "Atlas Core", aliases=("team_name", "squad", "name"), compact=True
        ),
        _col(
            "product_line",
            pl.String(),
            True,
            "Product line the team works on.",
            "Atlas",
            aliases=_PRODUCT_LINE,
            compact=True,
        ),
        _col("pm", pl.String(), False, "The team's product manager.", "Dana", aliases=("product_manager",)),
        _col("active_from", pl.Date(), False, "First day the team existed.", "2023-01-01", aliases=("from",)),
        _col("active_to", pl.Date(), False, "Last day the team existed; empty = still active.", "", aliases=("to",)),
    ),
    key=("team",),
    checks=("active_to must not be before active_from",),
)

EVENTS = Contract(
    name="events",
    row="something that happened: a launch, a pricing change, a reorg",
    columns=(
        _col("date", pl.Date(), True, "Day it happened.", "2025-04-01", aliases=("day",)),
        _col(
            "event",
            pl.String(),
            True,
            "What happened.",
            "New pricing for Atlas",
            free_text=True,
            aliases=("name", "title"),
        ),
        _col(
            "product_line",
            pl.String(),
            False,
            "Product line; empty = all.",
            "Atlas",
            aliases=_PRODUCT_LINE,
            compact=True,
        ),
        _col(
            "kind",
            pl.String(),
            False,
            "One of: " + ", ".join(EVENT_KINDS) + ".",
            "pricing",
            allowed=EVENT_KINDS,
            aliases=("type",),
        ),
    ),
    key=("date", "event", "product_line"),
    optional_dataset=True,
)

CONTRACTS: dict[str, Contract] = {
    contract.name: contract
    for contract in (METRICS, METRIC_CATALOG, TARGETS, FEEDBACK, ADOPTION, PRACTICES, TEAMS, EVENTS)
}


def contract_for(name: str) -> Contract:
    """The contract of dataset ``name``, with a clear error for an unknown name."""
    try:
        return CONTRACTS[name]
    except KeyError:
        known = ", ".join(CONTRACTS)
        raise KeyError(f"unknown dataset {name!r}; the datasets are: {known}") from None


def header_lookup(contract: Contract) -> dict[str, str]:
    """Normalised header or alias → column name, for matching a file's headers to the contract."""
    lookup: dict[str, str] = {}
    for column in contract.columns:
        for spelling in (column.name, *column.aliases):
            lookup.setdefault(normalize_header(spelling), column.name)
    # A column's own name always wins over another column's alias (e.g. feedback's `arr` vs `account_arr`).
    for column in contract.columns:
        lookup[normalize_header(column.name)] = column.name
    return lookup


def contracts_markdown() -> str:
    """The contracts as Markdown tables, for the README and the Data page."""
    parts: list[str] = []
    for contract in CONTRACTS.values():
        key = ", ".join(contract.key) if contract.key else "none"
        if contract.key_note:
            key = f"{key} ({contract.key_note})"
        optional = " (optional dataset)" if contract.optional_dataset else ""
        parts.append(f"### `{contract.file_name}`{optional}\n\nOne row is {contract.row}. Key: {key}.\n")
        parts.append("| column | type | required | allowed | description |\n|---|---|---|---|---|")
        for column in contract.columns:
            allowed = ", ".join(column.allowed) if column.allowed else bounds_text(column)
            parts.append(
                f"| `{column.name}` | {column.type_name} | {'yes' if column.required else 'no'} "
                f"| {allowed} | {column.description} |"
            )
        if contract.checks:
            parts.append("\nAlso checked: " + "; ".join(contract.checks) + ".")
        parts.append("")
    return "\n".join(parts)


def bounds_text(column: Column) -> str:
    """A numeric column's bounds in words ("0 to 10", "≥ 0"); empty when it has none."""
    if column.min is not None and column.max is not None:
        return f"{column.min:g} to {column.max:g}"
    if column.min is not None:
        return f"≥ {column.min:g}"
    if column.max is not None:
        return f"≤ {column.max:g}"
    return ""
