"""Generate synthetic datasets that follow the contracts, at benchmark sizes (100k to 10M metric rows), vectorised."""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from sources.contracts import CONTRACTS

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_data"
# The data ends on a fixed day so that a seed always gives the same files (the app's periods follow the data).
LAST_DAY = date(2026, 3, 31)
_EPOCH = date(1970, 1, 1)
LINE_NAMES = (
    "Atlas", "Beacon", "Cirrus", "Drift", "Ember", "Forge", "Glacier", "Harbor", "Iris", "Juniper",
    "Kestrel", "Lumen", "Meridian", "Nimbus", "Orbit", "Pulse", "Quartz", "Ridge", "Summit", "Tide",
)  # fmt: skip
SEGMENTS = ("Enterprise", "Mid-market", "SMB")
REGIONS = ("NA", "EMEA", "APAC", "LATAM")
CHANNELS = ("support", "survey", "review", "sales", "interview")
CHANNEL_WEIGHTS = (0.35, 0.3, 0.17, 0.1, 0.08)
SENTIMENTS = ("positive", "neutral", "negative")
THEMES = (
    "Pricing", "Performance", "Onboarding", "Integrations", "Reporting",
    "Support quality", "Reliability", "Mobile app", "Billing", "Security",
)  # fmt: skip
CATEGORIES = ("request", "complaint", "praise", "question")
# For each sentiment, how likely each category is (a complaint is rarely positive, praise rarely negative).
CATEGORY_WEIGHTS = {
    "positive": (0.15, 0.0, 0.75, 0.1),
    "neutral": (0.45, 0.05, 0.05, 0.45),
    "negative": (0.25, 0.65, 0.0, 0.1),
}
SENTENCES = {
    "positive": ("{theme} has been great for us lately.", "Really happy with the {theme} improvements."),
    "neutral": ("Could you tell us more about {theme}?", "We would like a few changes to {theme}."),
    "negative": ("{theme} keeps getting in our way.", "Disappointed with {theme} this month."),
}
TEAM_SUFFIXES = (
    "Core", "Growth", "Platform", "Integrations", "Mobile", "Insights", "Payments", "Workflow",
    "Search", "Data", "Identity", "Billing", "Admin", "Reporting", "API", "Onboarding",
)  # fmt: skip
PEOPLE = (
    "Dana Nguyen", "Priya Shah", "Marcus Lee", "Lena Fischer", "Tomás Ruiz", "Aiko Tanaka", "Noah Cohen",
    "Fatima Diallo", "Jonas Okafor", "Camille Martin", "Ravi Iyer", "Sofia Rossi", "Nadia Alvarez", "Lucas Costa",
)  # fmt: skip
ACCOUNT_WORDS = (
    "Acme", "Brightwater", "Sterling", "Maple", "Hillside", "Northwind", "Bluebird", "Evergreen", "Summit", "Redwood",
    "Silverline", "Granite", "Oakmont", "Clearview", "Riverbend", "Sunrise", "Ironclad", "Lakeside", "Pinecrest",
)  # fmt: skip
ACCOUNT_TRADES = ("Labs", "Hotels", "Health", "Logistics", "Studios", "Foods", "Energy", "Retail", "Finance", "Media")
STATUSES = ("done", "late", "skipped")
STATUS_WEIGHTS = (0.85, 0.1, 0.05)
# Share of (day, team, practice) slots that hold an occurrence at most: keeps adoption keys unique with room to spare.
ADOPTION_OCCUPANCY = 0.5
TARGET_QUARTERS_MAX = 16


@dataclass(frozen=True)
class Shape:
    """How the metric rows are laid out: product lines × metrics × (segment, region) cells × days."""

    lines: tuple[str, ...]
    cells: tuple[tuple[str, str], ...]
    days: int

    @property
    def first_day(self) -> date:
        """The first day with metric rows."""
        return LAST_DAY - timedelta(days=self.days - 1)


def metric_shape(rows: int, metric_count: int) -> Shape:
    """Enough product lines and segment × region cells for about three years of daily rows, then as many days as needed.

    More rows mean more product lines (12, 16 or 20), then more cells (1–12), then more days.
    """
    line_count = 12 if rows < 500_000 else 16 if rows < 5_000_000 else 20
    all_cells = tuple((segment, region) for segment in SEGMENTS for region in REGIONS)
    per_cell_day = line_count * metric_count
    cell_count = min(len(all_cells), max(1, round(rows / (per_cell_day * 3 * 365))))
    days = max(1, math.ceil(rows / (per_cell_day * cell_count)))
    return Shape(LINE_NAMES[:line_count], all_cells[:cell_count], days)


def read_catalog() -> pl.DataFrame:
    """The sample metric catalog, every column kept as written."""
    return pl.read_csv(SAMPLE_DIR / "metric_catalog.csv", infer_schema=False)


def _days_since_epoch(day: date) -> int:
    return (day - _EPOCH).days


def _enum_gather(values: Sequence[str], codes: np.ndarray) -> pl.Series:
    """``values[codes]`` as an Enum series: no string is built per row until the CSV is written."""
    return pl.Series(list(values), dtype=pl.Enum(list(values))).gather(codes)


def _dates(offsets: np.ndarray, first_day: date) -> pl.Series:
    return pl.Series((offsets + _days_since_epoch(first_day)).astype(np.int32)).cast(pl.Date)


def _series_levels(catalog: pl.DataFrame, rng: np.random.Generator, count: int) -> dict[str, np.ndarray]:
    """Per series (metric-major): base level, yearly growth, noise, seasonal phase, and the catalog's bounds."""
    metric_count = catalog.height
    per_metric = count // metric_count
    base = np.empty(count)
    noise = np.empty(count)
    lower = np.full(count, -np.inf)
    upper = np.full(count, np.inf)
    whole = np.zeros(count, dtype=bool)
    for index, row in enumerate(catalog.iter_rows(named=True)):
        part = slice(index * per_metric, (index + 1) * per_metric)
        unit, aggregation = row["unit"], row["aggregation"]
        minimum = float(row["min"]) if row["min"] not in (None, "") else None
        maximum = float(row["max"]) if row["max"] not in (None, "") else None
        if unit == "currency":
            low, high = (2e5, 5e6) if aggregation == "last" else (500.0, 2e4)
        elif unit == "percent":
            top = maximum if maximum is not None else 100.0
            low, high = (85.0, 115.0) if top > 100 else (70.0, 95.0)
            if row["higher_is_better"] == "false":
                low, high = 0.5, 4.0
        elif unit == "count":
            low, high = (20.0, 2_000.0) if aggregation == "last" else (200.0, 20_000.0)
            whole[part] = True
        elif unit == "score":
            low, high = (5.0, 9.0)
        else:
            low, high = (0.1, 2.0)
        base[part] = rng.uniform(low, high, per_metric)
        noise[part] = 0.01 if aggregation == "last" else 0.15
        if minimum is not None:
            lower[part] = minimum
        if maximum is not None:
            upper[part] = maximum
    return {
        "base": base,
        "growth": rng.normal(0.08, 0.1, count),
        "noise": noise,
        "phase": rng.uniform(0, 2 * math.pi, count),
        "lower": lower,
        "upper": upper,
        "whole": whole,
    }


def generate_metrics(rows: int, catalog: pl.DataFrame, rng: np.random.Generator) -> tuple[pl.DataFrame, Shape]:
    """Exactly ``rows`` daily metric rows (date-major; the first day is partial when the grid does not divide)."""
    metric_ids = catalog.get_column("metric").to_list()
    shape = metric_shape(rows, len(metric_ids))
    line_count, cell_count = len(shape.lines), len(shape.cells)
    series_count = len(metric_ids) * line_count * cell_count
    levels = _series_levels(catalog, rng, series_count)
    skipped = shape.days * series_count - rows
    row_index = np.arange(skipped, skipped + rows, dtype=np.int64)
    day = (row_index // series_count).astype(np.int32)
    series = (row_index % series_count).astype(np.int32)
    del row_index
    years = day / 365.0
    value = levels["base"][series] * (1 + levels["growth"][series] * years)
    value *= 1 + 0.05 * np.sin(2 * math.pi * years + levels["phase"][series])
    value *= 1 + levels["noise"][series] * rng.standard_normal(rows)
    np.clip(value, np.maximum(levels["lower"][series], 0.0), levels["upper"][series], out=value)
    value = np.where(levels["whole"][series], np.round(value), np.round(value, 2))
    # series = (metric × line) × cell, so the cell varies fastest
    cell = series % cell_count
    line = (series // cell_count) % line_count
    metric = series // (cell_count * line_count)
    cell_segment = np.array([SEGMENTS.index(segment) for segment, _ in shape.cells])
    cell_region = np.array([REGIONS.index(region) for _, region in shape.cells])
    frame = pl.DataFrame(
        [
            _dates(day, shape.first_day).alias("date"),
            _enum_gather(shape.lines, line).alias("product_line"),
            _enum_gather(metric_ids, metric).alias("metric"),
            pl.Series("value", value),
            _enum_gather(SEGMENTS, cell_segment[cell]).alias("segment"),
            _enum_gather(REGIONS, cell_region[cell]).alias("region"),
        ]
    )
    return frame, shape


def generate_targets(metrics: pl.DataFrame, catalog: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """A target per product line and quarter (and for the company) for the Overview's metrics, near the actuals."""
    chosen = catalog.filter(pl.col("overview").is_not_null())
    if chosen.height == 0:
        chosen = catalog.head(4)
    rules = chosen.select(
        pl.col("metric"),
        pl.col("aggregation"),
        pl.col("unit").is_in(["currency", "count"]).alias("additive"),
    )
    quarterly = (
        metrics.lazy()
        .filter(pl.col("metric").cast(pl.String).is_in(rules.get_column("metric").implode()))
        .with_columns(
            pl.col("metric").cast(pl.String),
            pl.col("product_line").cast(pl.String),
            pl.col("date").dt.truncate("1q").alias("period_start"),
        )
        .join(rules.lazy(), on="metric")
        .group_by("metric", "product_line", "segment", "region", "period_start")
        .agg(
            pl.when(pl.col("aggregation").first() == "sum")
            .then(pl.col("value").sum())
            .when(pl.col("aggregation").first() == "last")
            .then(pl.col("value").sort_by("date").last())
            .otherwise(pl.col("value").mean())
            .alias("value"),
            pl.col("additive").first(),
        )
        .group_by("metric", "product_line", "period_start")
        .agg(
            pl.when(pl.col("additive").first()).then(pl.col("value").sum()).otherwise(pl.col("value").mean()),
            pl.col("additive").first(),
        )
        .collect()
        .sort("metric", "product_line", "period_start")
    )
    # only quarters the data covers from their first day, so a target is never set for part of a quarter
    first_day = metrics.get_column("date").min()
    quarters = (
        quarterly.filter(pl.col("period_start") >= first_day)
        .get_column("period_start")
        .unique()
        .sort()
        .tail(TARGET_QUARTERS_MAX)
    )
    per_line = quarterly.filter(pl.col("period_start").is_in(quarters.implode()))
    company = (
        per_line.group_by("metric", "period_start")
        .agg(
            pl.when(pl.col("additive").first()).then(pl.col("value").sum()).otherwise(pl.col("value").mean()),
        )
        .with_columns(pl.lit(None, dtype=pl.String).alias("product_line"))
        .sort("metric", "period_start")
    )
    targets = pl.concat([per_line.select("metric", "product_line", "period_start", "value"), company], how="diagonal")
    factor = rng.uniform(0.94, 1.08, targets.height)
    return targets.select(
        pl.col("metric"),
        pl.col("period_start"),
        pl.col("period_start").dt.offset_by("1q").dt.offset_by("-1d").alias("period_end"),
        (pl.col("value") * pl.Series(factor)).round(2).alias("target"),
        pl.col("product_line"),
    )


def generate_teams(lines: Sequence[str], count: int, first_day: date, rng: np.random.Generator) -> pl.DataFrame:
    """``count`` teams spread over the product lines, all active over the data's span (one retired at its end)."""
    names: list[str] = []
    team_lines: list[str] = []
    for index in range(count):
        line = lines[index % len(lines)]
        rank = index // len(lines)
        suffix = TEAM_SUFFIXES[rank % len(TEAM_SUFFIXES)]
        round_ = rank // len(TEAM_SUFFIXES)
        names.append(f"{line} {suffix}" + (f" {round_ + 1}" if round_ else ""))
        team_lines.append(line)
    pms = rng.integers(0, len(PEOPLE), count)
    started = rng.integers(30, 400, count)
    return pl.DataFrame(
        {
            "team": names,
            "product_line": team_lines,
            "pm": [PEOPLE[index] for index in pms],
            "active_from": [first_day - timedelta(days=int(days)) for days in started],
            "active_to": [None] * count,
        },
        schema={
            "team": pl.String,
            "product_line": pl.String,
            "pm": pl.String,
            "active_from": pl.Date,
            "active_to": pl.Date,
        },
    )


def generate_practices(first_day: date) -> pl.DataFrame:
    """The sample's practices, rolled out before the data starts except the last, rolled out half-way."""
    practices = pl.read_csv(SAMPLE_DIR / "practices.csv", schema_overrides={"since": pl.Date})
    middle = first_day + (LAST_DAY - first_day) / 2
    since = [first_day - timedelta(days=60 + 30 * index) for index in range(practices.height)]
    since[-1] = middle
    return practices.with_columns(pl.Series("since", since, dtype=pl.Date))


def generate_adoption(
    rows: int, lines: Sequence[str], practices: pl.DataFrame, days: int, first_day: date, rng: np.random.Generator
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Exactly ``rows`` occurrences over (team, practice) pairs, each pair on distinct days; and the teams."""
    practice_names = practices.get_column("practice").to_list()
    pairs_needed = math.ceil(rows / (days * ADOPTION_OCCUPANCY)) if rows else 0
    team_count = max(4 * len(lines), math.ceil(pairs_needed / len(practice_names)))
    teams = generate_teams(lines, team_count, first_day, rng)
    pair_count = team_count * len(practice_names)
    if rows > pair_count * days:
        raise ValueError(f"{rows:,} adoption rows do not fit in {days:,} days")
    pair = np.arange(rows, dtype=np.int64) % pair_count
    # the r-th of a pair's k occurrences falls in its own slot [r·days/k, (r+1)·days/k), so a pair never has a day twice
    occurrence = np.arange(rows, dtype=np.int64) // pair_count
    per_pair = np.maximum(np.bincount(pair, minlength=pair_count), 1)[pair]
    slot_start = occurrence * days // per_pair
    slot_end = (occurrence + 1) * days // per_pair
    offset = slot_start + (rng.random(rows) * (slot_end - slot_start)).astype(np.int64)
    team = pair // len(practice_names)
    practice = pair % len(practice_names)
    team_names = teams.get_column("team").to_list()
    team_line = np.array([lines.index(line) for line in teams.get_column("product_line").to_list()])
    status = rng.choice(len(STATUSES), rows, p=STATUS_WEIGHTS)
    owner = rng.integers(0, len(PEOPLE), rows)
    frame = (
        pl.DataFrame(
            [
                _dates(offset, first_day).alias("date"),
                _enum_gather(team_names, team).alias("team"),
                _enum_gather(lines, team_line[team]).alias("product_line"),
                _enum_gather(practice_names, practice).alias("practice"),
                _enum_gather(STATUSES, status).alias("status"),
                _enum_gather(PEOPLE, owner).alias("owner"),
            ]
        )
        .with_columns(
            pl.format(
                "wiki/{}/{}",
                pl.col("practice").cast(pl.String).str.to_lowercase().str.replace_all(" ", "-"),
                pl.col("date"),
            ).alias("artifact")
        )
        .sort("date", "team", "practice")
        .select("date", "team", "product_line", "practice", "status", "artifact", "owner")
    )
    return frame, teams


def generate_feedback(
    rows: int, lines: Sequence[str], days: int, first_day: date, rng: np.random.Generator
) -> pl.DataFrame:
    """``rows`` pieces of feedback from a pool of accounts (each with one line, segment and ARR), ids unique."""
    account_count = max(50, min(rows // 20, 50_000))
    account_names = [
        f"{ACCOUNT_WORDS[index % len(ACCOUNT_WORDS)]} {ACCOUNT_TRADES[(index // len(ACCOUNT_WORDS)) % 10]}"
        + (f" {index // (len(ACCOUNT_WORDS) * 10) + 1}" if index >= len(ACCOUNT_WORDS) * 10 else "")
        for index in range(account_count)
    ]
    account_line = rng.integers(0, len(lines), account_count)
    account_segment = rng.choice(len(SEGMENTS), account_count, p=(0.2, 0.35, 0.45))
    account_arr = np.round(rng.lognormal(10.5, 1.0, account_count) * (1 + 3 * (account_segment == 0)), 0)
    account = rng.integers(0, account_count, rows)
    # more feedback in later days, as the customer base grows
    offset = np.floor(np.sqrt(rng.random(rows)) * days).astype(np.int64)
    channel = rng.choice(len(CHANNELS), rows, p=CHANNEL_WEIGHTS)
    sentiment = rng.choice(len(SENTIMENTS), rows, p=(0.35, 0.35, 0.3))
    category = np.empty(rows, dtype=np.int64)
    for index, name in enumerate(SENTIMENTS):
        chosen = sentiment == index
        category[chosen] = rng.choice(len(CATEGORIES), int(chosen.sum()), p=CATEGORY_WEIGHTS[name])
    theme = rng.integers(0, len(THEMES), rows)
    # scores follow sentiment: promoters mostly positive, detractors mostly negative
    score_centre = np.array([9.0, 7.5, 4.0])[sentiment]
    score = np.clip(np.round(score_centre + rng.normal(0, 1.5, rows)), 0, 10).astype(np.int64)
    has_score = (CHANNELS.index("survey") == channel) | (rng.random(rows) < 0.05)
    sentence_texts = [
        template.format(theme=theme_name.lower())
        for name in SENTIMENTS
        for theme_name in THEMES
        for template in SENTENCES[name]
    ]
    variant = rng.integers(0, 2, rows)
    sentence = (sentiment * len(THEMES) + theme) * 2 + variant
    order = np.argsort(offset, kind="stable")
    frame = pl.DataFrame(
        [
            _dates(offset[order], first_day).alias("date"),
            _enum_gather(lines, account_line[account][order]).alias("product_line"),
            _enum_gather(CHANNELS, channel[order]).alias("channel"),
            _enum_gather(sentence_texts, sentence[order]).alias("text"),
            pl.Series("id", np.arange(1, rows + 1, dtype=np.int64)),
            _enum_gather(account_names, account[order]).alias("account"),
            _enum_gather(SEGMENTS, account_segment[account][order]).alias("segment"),
            pl.Series("account_arr", account_arr[account][order]),
            pl.Series("nps_score", np.where(has_score, score, -1)[order]),
            _enum_gather(SENTIMENTS, sentiment[order]).alias("sentiment"),
            _enum_gather(THEMES, theme[order]).alias("theme"),
            _enum_gather(CATEGORIES, category[order]).alias("category"),
        ]
    )
    return frame.with_columns(
        pl.format("FB-{}", pl.col("id").cast(pl.String).str.zfill(8)).alias("id"),
        pl.when(pl.col("nps_score") >= 0).then(pl.col("nps_score")).alias("nps_score"),
    )


def generate_events(lines: Sequence[str], first_day: date, rng: np.random.Generator) -> pl.DataFrame:
    """A launch and a pricing change per product line, and a few company-wide events."""
    span = (LAST_DAY - first_day).days
    records: list[tuple[date, str, str | None, str]] = []
    for line in lines:
        launch, pricing = sorted(int(day) for day in rng.integers(0, span + 1, 2))
        records.append((first_day + timedelta(days=launch), f"{line} 2.0 released", line, "launch"))
        records.append((first_day + timedelta(days=pricing), f"New pricing for {line}", line, "pricing"))
    for index, (event, kind) in enumerate(
        (("Customer conference", "other"), ("Planning process renewed", "process"), ("Reorg of product teams", "org"))
    ):
        records.append((first_day + timedelta(days=span * (index + 1) // 4), event, None, kind))
    return pl.DataFrame(
        records,
        schema={"date": pl.Date, "event": pl.String, "product_line": pl.String, "kind": pl.String},
        orient="row",
    ).sort("date", "event")


@dataclass(frozen=True)
class Written:
    """One file written: its dataset, rows, size and the seconds it took (generation included)."""

    dataset: str
    rows: int
    megabytes: float
    seconds: float


def generate(out: Path, metrics_rows: int, feedback_rows: int, adoption_rows: int, seed: int = 0) -> list[Written]:
    """Write the eight dataset CSVs (contract file names) into ``out``; returns what was written."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    written: list[Written] = []

    def write(name: str, frame: pl.DataFrame, started: float) -> None:
        path = out / CONTRACTS[name].file_name
        frame.write_csv(path)
        written.append(Written(name, frame.height, path.stat().st_size / 1e6, time.perf_counter() - started))

    started = time.perf_counter()
    catalog = read_catalog()
    write("metric_catalog", catalog, started)
    started = time.perf_counter()
    metrics, shape = generate_metrics(metrics_rows, catalog, rng)
    write("metrics", metrics, started)
    started = time.perf_counter()
    write("targets", generate_targets(metrics, catalog, rng), started)
    del metrics
    started = time.perf_counter()
    practices = generate_practices(shape.first_day)
    write("practices", practices, started)
    started = time.perf_counter()
    adoption, teams = generate_adoption(adoption_rows, shape.lines, practices, shape.days, shape.first_day, rng)
    write("adoption", adoption, started)
    del adoption
    write("teams", teams, time.perf_counter())
    started = time.perf_counter()
    write("feedback", generate_feedback(feedback_rows, shape.lines, shape.days, shape.first_day, rng), started)
    started = time.perf_counter()
    write("events", generate_events(shape.lines, shape.first_day, rng), started)
    return written


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: ``python -m bench.generate --metrics-rows N --feedback-rows N --adoption-rows N --out DIR``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--metrics-rows", type=int, required=True)
    parser.add_argument("--feedback-rows", type=int, required=True)
    parser.add_argument("--adoption-rows", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args(argv)
    started = time.perf_counter()
    written = generate(
        arguments.out, arguments.metrics_rows, arguments.feedback_rows, arguments.adoption_rows, arguments.seed
    )
    for item in written:
        print(f"{item.dataset:<15} {item.rows:>12,} rows {item.megabytes:>9.1f} MB {item.seconds:>7.2f} s")
    print(
        f"{'total':<15} {sum(item.rows for item in written):>12,} rows "
        f"{sum(item.megabytes for item in written):>9.1f} MB {time.perf_counter() - started:>7.2f} s → {arguments.out}"
    )


if __name__ == "__main__":
    main()
