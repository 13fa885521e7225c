"""Notable changes: each rule on hand-built data, and every story planted in the sample company found, for several
seeds and last months, with few other flags; a company without stories raises no divergence flag."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from insights.notable import NotableContext, notable_changes, notable_changes_of_lines
from insights.periods import Period, comparison_period, default_date_range, latest_complete_period, shift_period
from insights.process import adoption_history
from insights.scope import data_end, product_lines
from sample_data.generate import Stories, generate
from sources.contracts import CONTRACTS


def quarter_context(datasets: dict[str, pl.DataFrame]) -> NotableContext:
    """The default Overview view: the latest complete quarter in the last 12 months vs the one before."""
    end = data_end(datasets)
    assert end is not None
    start, end = default_date_range(end)
    period = latest_complete_period(start, end, end, "quarter")
    assert period is not None
    lines = product_lines(datasets)
    return NotableContext(period, comparison_period(period, "previous"), None, lines)


def story_flags(found: pl.DataFrame, stories: Stories, context: NotableContext) -> dict[str, pl.DataFrame]:
    """The flags that report each planted story."""
    kind, line, subject = pl.col("kind"), pl.col("product_line"), pl.col("subject")
    lapsed_subjects = [f"{team} · {practice}" for team, practice in stories.lapsed]
    return {
        "nps drop": found.filter((kind == "divergence") & (line == stories.pricing_line)),
        "churn rise": found.filter(
            (kind.is_in(["mover", "off_target"])) & (line == stories.pricing_line) & (subject == "logo_churn")
        ),
        "fast grower": found.filter((kind == "grower") & (line == stories.fast_grower)),
        "roll-out": found.filter((kind == "adoption") & (subject == stories.rollout_practice)),
        "lapsed": found.filter((kind == "lapsed") & subject.is_in(lapsed_subjects)),
    }


@pytest.mark.parametrize(
    ("seed", "last_month"),
    [(7, date(2026, 10, 1)), (11, date(2026, 10, 1)), (23, date(2026, 10, 1)), (7, date(2025, 8, 1))],
)
def test_every_story_is_found_with_few_other_flags(seed: int, last_month: date) -> None:
    datasets, stories = generate(seed=seed, last_month=last_month)
    context = quarter_context(datasets)
    assert stories.nps_drop_quarter_start == shift_period(context.period, -1).start
    assert stories.churn_rise_quarter_start == context.period.start
    found = notable_changes(datasets, context)
    flags = story_flags(found, stories, context)
    for story, rows in flags.items():
        assert rows.height >= 1, f"{story} not found; notable changes were:\n" + "\n".join(found["sentence"])
    drop = flags["nps drop"].row(0, named=True)["sentence"]
    previous_label = shift_period(context.period, -1).label
    assert f"NPS fell {drop.split('NPS fell ')[1].split(' pts')[0]} pts in {previous_label}" in drop, drop
    assert "logo churn rose" in drop, drop  # the lag: NPS first, churn a quarter later
    assert {row["subject"] for row in flags["lapsed"].iter_rows(named=True)} == {
        f"{team} · {practice}" for team, practice in stories.lapsed
    }
    story_rows = pl.concat(flags.values()).unique()
    others = found.join(story_rows, on=found.columns, how="anti")
    assert others.height <= 5, "too many other flags:\n" + "\n".join(others["sentence"])


@pytest.mark.parametrize("seed", [7, 23])
def test_the_prepared_adoption_history_finds_the_same_changes(seed: int) -> None:
    datasets, _ = generate(seed=seed, last_month=date(2026, 10, 1))
    context = quarter_context(datasets)
    assert_frame_equal(
        notable_changes(datasets, context, history=adoption_history(datasets["adoption"])),
        notable_changes(datasets, context),
    )


@pytest.mark.parametrize("seed", [7, 11, 23])
def test_a_company_without_stories_raises_no_divergence(seed: int) -> None:
    datasets, stories = generate(seed=seed, stories=False)
    assert stories.pricing_line is None
    found = notable_changes(datasets, quarter_context(datasets))
    assert found.filter(pl.col("kind") == "divergence").height == 0, "\n".join(found["sentence"])
    assert found.filter(pl.col("kind").is_in(["grower", "lapsed", "adoption"])).height == 0, "\n".join(
        found["sentence"]
    )


# Rules on hand-built data ---------------------------------------------------------------------------------------


def frames(**given: pl.DataFrame) -> dict[str, pl.DataFrame]:
    return {name: given.get(name, contract.empty()) for name, contract in CONTRACTS.items()}


CATALOG = pl.DataFrame(
    {
        "metric": ["arr", "logo_churn"],
        "label": ["ARR", "Logo churn"],
        "unit": ["currency", "percent"],
        "aggregation": ["last", "mean"],
        "higher_is_better": [True, False],
        "overview": [1, 2],
        "role": ["revenue", None],
    }
).with_columns(
    pl.lit(None, dtype=pl.String).alias(name) for name in ("pillar", "question", "owner", "description", "format")
)
CATALOG = CATALOG.with_columns(pl.lit(None, dtype=pl.Float64).alias("min"), pl.lit(None, dtype=pl.Float64).alias("max"))
CATALOG = CATALOG.select(list(CONTRACTS["metric_catalog"].schema)).cast(CONTRACTS["metric_catalog"].schema)  # type: ignore[arg-type]

Q2 = Period(date(2026, 4, 1), date(2026, 6, 30), "quarter", "Q2 FY26")
Q3 = Period(date(2026, 7, 1), date(2026, 9, 30), "quarter", "Q3 FY26")


def metric_rows(rows: list[tuple[date, str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame([(*row, None, None) for row in rows], schema=CONTRACTS["metrics"].schema, orient="row")


def feedback_rows(line: str, day: date, scores: list[int]) -> list[tuple[object, ...]]:
    return [(day, line, "survey", "x", None, None, None, None, score, None, None, None) for score in scores]


def test_movers_growers_and_nps_divergence_on_hand_built_data() -> None:
    metrics = metric_rows(
        [
            (date(2026, 6, 1), "A", "arr", 100.0),
            (date(2026, 9, 1), "A", "arr", 150.0),  # +50 %: grower (company +13.6 %)
            (date(2026, 6, 1), "B", "arr", 1000.0),
            (date(2026, 9, 1), "B", "arr", 1100.0),  # +10 %: below 2 × company growth, and a mover
            (date(2026, 4, 1), "B", "logo_churn", 1.0),
            (date(2026, 7, 1), "B", "logo_churn", 1.05),  # +5 %: not notable
        ]
    )
    # B's NPS: Q2 all promoters (+100, n=40) → Q3 20 promoters 20 detractors (0, n=40): −100 pts, significant
    feedback = pl.DataFrame(
        feedback_rows("B", date(2026, 5, 1), [10] * 40) + feedback_rows("B", date(2026, 8, 1), [10] * 20 + [0] * 20),
        schema=CONTRACTS["feedback"].schema,
        orient="row",
    )
    context = NotableContext(Q3, Q2, None, ("A", "B"))
    found = notable_changes(frames(metrics=metrics, metric_catalog=CATALOG, feedback=feedback), context)
    assert found.select("kind", "product_line", "subject").rows() == [
        ("divergence", "B", "nps"),
        ("grower", "A", "arr"),
        ("mover", "B", "arr"),
    ]
    assert found["sentence"].to_list() == [
        "B: NPS fell 100 pts in Q3 FY26 (+100 → +0, n=40) while ARR grew 10.0%.",
        "A is growing fastest: ARR +50.0% in Q3 FY26 vs Q2 FY26, to $150.00 (company +13.6%).",
        "B: ARR rose to $1.1K (+10.0%) in Q3 FY26 vs Q2 FY26.",
    ]


def test_target_misses_roll_outs_and_lapses_on_hand_built_data() -> None:
    metrics = metric_rows([(date(2026, 9, 1), "A", "arr", 90.0), (date(2026, 6, 1), "A", "arr", 90.0)])
    targets = pl.DataFrame(
        [("arr", date(2026, 7, 1), date(2026, 9, 30), 100.0, "A")], schema=CONTRACTS["targets"].schema, orient="row"
    )
    practices = pl.DataFrame(
        [("Discovery", 7, None, date(2026, 4, 1)), ("OKR", 14, None, date(2020, 1, 1))],
        schema=CONTRACTS["practices"].schema,
        orient="row",
    )
    teams = pl.DataFrame(
        [("T1", "A", None, None, None), ("T2", "A", None, None, None)], schema=CONTRACTS["teams"].schema, orient="row"
    )
    adoption = pl.DataFrame(
        [
            (date(2026, 5, 5), "T1", "A", "Discovery", "done", None, None),  # Q2: 1 of 2 teams
            (date(2026, 8, 5), "T1", "A", "Discovery", "done", None, None),  # Q3: 2 of 2 teams
            (date(2026, 8, 6), "T2", "A", "Discovery", None, None, None),
            (date(2026, 9, 28), "T1", "A", "Discovery", "late", None, None),  # both still run it: not lapsed
            (date(2026, 9, 29), "T2", "A", "Discovery", "done", None, None),
            (date(2026, 6, 1), "T2", "A", "OKR", "done", None, None),
            (date(2026, 6, 15), "T2", "A", "OKR", "done", None, None),  # 107 days before 30 Sep > 2 × 14
        ],
        schema=CONTRACTS["adoption"].schema,
        orient="row",
    )
    datasets = frames(
        metrics=metrics, metric_catalog=CATALOG, targets=targets, practices=practices, teams=teams, adoption=adoption
    )
    found = notable_changes(datasets, NotableContext(Q3, Q2, None, ("A",)))
    # the prepared adoption history (as the Overview passes it) finds the same changes
    prepared = notable_changes(datasets, NotableContext(Q3, Q2, None, ("A",)), history=adoption_history(adoption))
    assert_frame_equal(prepared, found)
    assert found.select("kind", "product_line", "subject", "score").rows() == [
        ("off_target", "A", "arr", 0.1),
        ("adoption", None, "Discovery", 0.5),
        ("lapsed", "A", "T2 · OKR", 93.0),
    ]
    assert found["sentence"].to_list() == [
        "A: ARR $90.00 in Q3 FY26, off its target of $100.00.",
        "Discovery: adopted by 100% of teams in Q3 FY26, up from 50% after its roll-out on 1 Apr 2026.",
        "T2 (A) has lapsed on OKR: last on 15 Jun 2026, 107 days before 30 Sep 2026 (expected every 14 days).",
    ]


def test_no_data_at_all_gives_no_changes_and_no_warnings(recwarn: pytest.WarningsRecorder) -> None:
    found = notable_changes(frames(), NotableContext(Q3, Q2, None, ()))
    assert found.height == 0
    assert found.columns == ["kind", "product_line", "subject", "score", "sentence", "page"]
    assert [str(warning.message) for warning in recwarn] == []


@pytest.mark.parametrize("seed", [7, 11, 23])
def test_the_changes_of_chosen_lines_reuse_every_lines_per_line_changes(seed: int) -> None:
    datasets, _ = generate(seed=seed, last_month=date(2026, 10, 1))
    history = adoption_history(datasets["adoption"])
    quarterly = quarter_context(datasets)
    month = latest_complete_period(date(2026, 1, 1), date(2026, 9, 30), date(2026, 9, 30), "month")
    assert month is not None
    monthly = replace(quarterly, period=month, comparison=comparison_period(month, "year_ago"))
    lines = quarterly.all_product_lines
    reused = 0
    for every in (quarterly, monthly):
        every_line_changes = notable_changes(datasets, every, history=history)
        for chosen in [lines[:1], lines[1:3], (lines[0], lines[-1]), lines[:-1], None]:
            context = replace(every, product_lines=chosen)
            expected = notable_changes(datasets, context, history=history)
            found = notable_changes_of_lines(every_line_changes, datasets, context, history=history)
            assert_frame_equal(found, expected)
            reused += expected.filter(pl.col("kind").is_in(["divergence", "off_target", "lapsed"])).height
    assert reused > 0  # per-line changes were there to reuse
