"""The Overview's numbers kept on disk per view: read back equal, computed once per key and code, never blocking."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType

import polars as pl
import pytest
import streamlit as st
from polars.testing import assert_frame_equal

import insights
import sources
import ui
from insights.formatting import NumberFormat
from insights.overview import ADOPTION_KEY, FEEDBACK_COLUMNS, company_kpis, feedback_days
from insights.periods import comparison_period, default_date_range, latest_complete_period
from insights.process import KeptCounts, adoption_history, whole_periods
from insights.process_views import pulse_counts_by_line
from insights.scope import (
    View,
    data_end,
    every_line,
    of_selected_lines,
    product_lines,
    recent_period_views,
    rows_in_scope,
    view_for,
)
from sample_data.generate import generate
from sources.columnar import DerivedCache
from sources.files import date_span
from ui import overview_cache, runtime
from ui.data import code_version
from ui.overview_cache import (
    RECENT_PERIODS,
    OverviewInputs,
    OverviewNumbers,
    compute_notable_changes,
    compute_overview_numbers,
    compute_ranked_notable_changes,
    compute_scorecard,
    compute_trends,
    kept_frame,
    kept_numbers,
    missing_period_views,
    numbers_as_frames,
    numbers_from_frames,
    overview_scorecard,
    prefetch_in_background,
    prefetch_recent_periods,
    ranked_notable_changes,
)


@pytest.fixture(scope="module")
def inputs() -> OverviewInputs:
    datasets, _ = generate(seed=7, last_month=date(2026, 10, 1))
    return OverviewInputs(datasets, adoption_history(datasets["adoption"]))


def overview_view(inputs: OverviewInputs, granularity: str, lines: int | None = None) -> View:
    """The default range's latest complete period of ``granularity`` against the one before; the first ``lines``."""
    end = data_end(inputs.datasets)
    assert end is not None
    start, end = default_date_range(end)
    period = latest_complete_period(start, end, end, granularity)  # type: ignore[arg-type]
    assert period is not None
    every_line = product_lines(inputs.datasets)
    return View(
        product_lines=every_line[:lines] if lines else every_line,
        all_product_lines=every_line,
        start=start,
        end=end,
        granularity=granularity,  # type: ignore[arg-type]
        comparison_mode="previous",
        period=period,
        comparison=comparison_period(period, "previous"),
        data_end=end,
    )


def assert_numbers_equal(found: OverviewNumbers, expected: OverviewNumbers) -> None:
    assert_frame_equal(found.cards, expected.cards)
    assert found.coarser == expected.coarser


@pytest.mark.parametrize(("granularity", "lines"), [("quarter", None), ("month", 1), ("week", 2)])
def test_numbers_are_read_back_equal_and_computed_once_per_key(
    tmp_path: Path, inputs: OverviewInputs, granularity: str, lines: int | None
) -> None:
    view = overview_view(inputs, granularity, lines)
    expected = compute_overview_numbers(inputs, view, 30)
    assert expected.cards.height > 0  # real numbers, not an empty view
    calls: list[str] = []

    def compute() -> OverviewNumbers:
        calls.append("computed")
        return compute_overview_numbers(inputs, view, 30)

    first = kept_numbers(DerivedCache(tmp_path), "data|view", compute)
    # a new process: another cache object on the same folder reads the copy back
    again = kept_numbers(DerivedCache(tmp_path), "data|view", compute)
    assert calls == ["computed"]
    assert_numbers_equal(first, expected)
    assert_numbers_equal(again, expected)
    kept_numbers(DerivedCache(tmp_path), "data|another view", compute)
    assert calls == ["computed", "computed"]


@pytest.mark.parametrize(("granularity", "lines"), [("quarter", None), ("quarter", 2), ("month", 1), ("week", 3)])
def test_cards_and_scorecard_read_from_kept_pulse_counts_are_those_counted(
    inputs: OverviewInputs, granularity: str, lines: int | None
) -> None:
    # the adoption card's periods are whole: the page reads them from every line's pulse counts kept per period
    view = overview_view(inputs, granularity, lines)
    datasets, history = inputs.datasets, inputs.history
    assert history is not None
    first, latest = date_span(datasets["adoption"])
    assert first is not None
    assert latest is not None
    periods = whole_periods(first, latest, view.granularity, view.fiscal_year_start_month)
    span = (periods.item(0, "first_day"), periods.item(periods.height - 1, "last_day"))
    counts = pulse_counts_by_line(
        history, datasets["teams"], datasets["practices"], view.granularity, view.fiscal_year_start_month, *span
    )
    kept = replace(inputs, kept_pulse=KeptCounts(periods, counts))
    expected = compute_overview_numbers(inputs, view, 30)
    found = compute_overview_numbers(kept, view, 30)
    assert_numbers_equal(found, expected)
    # and the scorecard's process columns are the period's row per line of the same counts
    scorecard = compute_scorecard(kept, view, 30)
    assert_frame_equal(scorecard, compute_scorecard(inputs, view, 30))
    assert scorecard.get_column("lapsed").sum() > 0
    adoption = found.cards.filter(pl.col("key") == ADOPTION_KEY).row(0, named=True)
    assert adoption["value"] is not None
    assert len(adoption["sparkline"]) > 1


@pytest.mark.parametrize(("granularity", "lines"), [("quarter", None), ("quarter", 2), ("month", 1), ("week", 3)])
def test_the_cards_and_notable_changes_share_the_views_kpi_table(
    inputs: OverviewInputs, granularity: str, lines: int | None
) -> None:
    # the page makes the view's kpi_table once for the metric cards and the company's target misses
    view = overview_view(inputs, granularity, lines)
    asked: list[View] = []

    def kpis() -> pl.DataFrame:
        asked.append(view)
        return company_kpis(inputs.datasets, view)

    shared = replace(inputs, company_kpis=functools.cache(kpis))
    number_format = NumberFormat("EUR", "de_DE")
    assert_numbers_equal(compute_overview_numbers(shared, view, 30), compute_overview_numbers(inputs, view, 30))
    every = compute_notable_changes(inputs, every_line(view), 30, number_format)
    for with_every_line in (None, every):
        expected = compute_ranked_notable_changes(inputs, view, 30, number_format, 7, with_every_line)
        found = compute_ranked_notable_changes(shared, view, 30, number_format, 7, with_every_line)
        assert_frame_equal(found, expected)
    assert asked == [view]  # made once, read by each
    if lines is None:
        assert_frame_equal(
            compute_notable_changes(shared, view, 30, number_format),
            compute_notable_changes(inputs, view, 30, number_format),
        )
        assert expected.filter(pl.col("kind") == "off_target").height > 0  # misses among them


def test_weekly_numbers_name_the_metrics_shown_at_a_coarser_grain(tmp_path: Path, inputs: OverviewInputs) -> None:
    numbers = compute_overview_numbers(inputs, overview_view(inputs, "week"), 30)
    assert numbers.coarser  # the monthly metrics of a weekly view: a list that must survive the copy
    assert numbers_from_frames(numbers_as_frames(numbers)).coarser == numbers.coarser
    read_back = kept_numbers(DerivedCache(tmp_path), "weekly", lambda: numbers)
    read_back = kept_numbers(DerivedCache(tmp_path), "weekly", lambda: pytest.fail("computed again"))
    assert read_back.coarser == numbers.coarser


def test_the_scorecard_and_notable_changes_are_read_back_equal(tmp_path: Path, inputs: OverviewInputs) -> None:
    view = overview_view(inputs, "quarter")
    changes = compute_ranked_notable_changes(inputs, view, 30, NumberFormat("EUR", "de_DE"), 7)
    assert changes.get_column("headline").sum() == 7
    scorecard = compute_scorecard(inputs, view, 30)
    assert scorecard.height == len(view.product_lines)
    for kind, expected in (("notable", changes), ("scorecard", scorecard)):
        kept_frame(DerivedCache(tmp_path), kind, "key", functools.partial(pl.DataFrame.clone, expected))
        read_back = kept_frame(DerivedCache(tmp_path), kind, "key", lambda: pytest.fail("computed again"))
        assert_frame_equal(read_back, expected)


def page_inputs(inputs: OverviewInputs, view: View) -> OverviewInputs:
    """The inputs as the page makes them: the feedback cut to the view's lines and days, the columns it reads."""
    feedback = rows_in_scope(
        inputs.datasets["feedback"].select(FEEDBACK_COLUMNS), view.lines_filter, *feedback_days(view)
    )
    return OverviewInputs({**inputs.datasets, "feedback": feedback}, inputs.history)


@pytest.mark.parametrize(("granularity", "lines"), [("quarter", None), ("month", 2)])
def test_the_scorecard_and_notable_changes_do_not_depend_on_the_range_around_the_periods(
    inputs: OverviewInputs, granularity: str, lines: int | None
) -> None:
    view = overview_view(inputs, granularity, lines)
    assert view.period is not None
    # a longer history, and a range that starts with the selected period and ends a month after it
    longer = replace(view, start=view.start.replace(year=view.start.year - 2))
    tight = replace(view, start=view.period.start, end=view.period.end + timedelta(days=31))
    number_format = NumberFormat("USD", "en_US")
    expected_scorecard = compute_scorecard(page_inputs(inputs, view), view, 30)
    expected_changes = compute_ranked_notable_changes(page_inputs(inputs, view), view, 30, number_format, 7)
    assert expected_changes.height > 0
    for other in (longer, tight):
        assert other.period_key == view.period_key
        assert repr(other) != repr(view)
        assert_frame_equal(compute_scorecard(page_inputs(inputs, other), other, 30), expected_scorecard)
        assert_frame_equal(
            compute_ranked_notable_changes(page_inputs(inputs, other), other, 30, number_format, 7), expected_changes
        )
    # another period is another key
    assert replace(view, period=view.comparison).period_key != view.period_key


@pytest.mark.parametrize(("granularity", "lines"), [("quarter", 1), ("month", 2), ("week", 3)])
def test_the_scorecard_and_trends_of_some_lines_are_those_of_every_line_cut_to_them(
    inputs: OverviewInputs, granularity: str, lines: int
) -> None:
    view = overview_view(inputs, granularity, lines)
    every = every_line(view)
    assert view.lines_filter is not None
    assert every.lines_filter is None
    for compute in (compute_scorecard, compute_trends):
        of_every_line = compute(page_inputs(inputs, every), every, 30)
        expected = compute(page_inputs(inputs, view), view, 30)
        assert expected.height > 0
        assert set(expected.get_column("product_line")) == set(view.product_lines)
        assert of_every_line.height > expected.height
        assert_frame_equal(of_selected_lines(of_every_line, view), expected)
    # every line selected: nothing to cut
    scorecard = compute_scorecard(page_inputs(inputs, every), every, 30)
    assert of_selected_lines(scorecard, every) is scorecard


def test_a_copy_kept_by_other_code_is_computed_again(tmp_path: Path, inputs: OverviewInputs) -> None:
    view = overview_view(inputs, "quarter")
    numbers = compute_overview_numbers(inputs, view, 30)
    kept_numbers(DerivedCache(tmp_path, code="this release"), "key", lambda: numbers)
    calls: list[str] = []
    kept_numbers(DerivedCache(tmp_path, code="a later release"), "key", lambda: calls.append("computed") or numbers)  # type: ignore[func-returns-value]
    assert calls == ["computed"]


@pytest.mark.parametrize("package", [insights, sources, ui])
def test_the_code_version_changes_with_the_code_that_derives_the_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, package: ModuleType
) -> None:
    copy = tmp_path / package.__name__
    copy.mkdir()
    for source in Path(str(package.__file__)).parent.glob("*.py"):
        (copy / source.name).write_bytes(source.read_bytes())
    monkeypatch.setattr(package, "__file__", str(copy / "__init__.py"))
    fingerprint = code_version.__wrapped__
    assert fingerprint() == code_version()  # the same code, the same version
    changed = next(path for path in sorted(copy.glob("*.py")) if path.name != "__init__.py")
    changed.write_text(changed.read_text() + "\n# a change\n")
    assert fingerprint() != code_version()


def test_a_folder_that_cannot_be_written_costs_speed_not_the_numbers(tmp_path: Path, inputs: OverviewInputs) -> None:
    blocked = tmp_path / "views"
    blocked.write_text("a file where the folder should be")
    view = overview_view(inputs, "month", 1)
    found = kept_numbers(DerivedCache(blocked), "key", lambda: compute_overview_numbers(inputs, view, 30))
    assert_numbers_equal(found, compute_overview_numbers(inputs, view, 30))


def test_an_empty_view_is_kept_too(tmp_path: Path, inputs: OverviewInputs) -> None:
    view = overview_view(inputs, "quarter")
    no_period = View(**{**vars(view), "period": None, "comparison": None})
    numbers = compute_overview_numbers(inputs, no_period, 30)
    assert numbers.cards.height == 0
    kept_numbers(DerivedCache(tmp_path), "empty", lambda: numbers)
    assert_numbers_equal(kept_numbers(DerivedCache(tmp_path), "empty", lambda: pytest.fail("again")), numbers)
    changes = compute_ranked_notable_changes(inputs, no_period, 30, NumberFormat("USD", "en_US"), 7)
    assert changes.height == 0
    kept_frame(DerivedCache(tmp_path), "notable", "empty", lambda: changes)
    assert_frame_equal(kept_frame(DerivedCache(tmp_path), "notable", "empty", lambda: pytest.fail("again")), changes)


def test_frames_of_the_numbers_hold_every_part(inputs: OverviewInputs) -> None:
    numbers = compute_overview_numbers(inputs, overview_view(inputs, "quarter"), 30)
    frames = numbers_as_frames(numbers)
    assert set(frames) == {"cards", "coarser"}
    assert frames["coarser"].schema == pl.Schema({"label": pl.String})


@pytest.mark.parametrize(("granularity", "lines"), [("quarter", 2), ("month", 1), ("quarter", None)])
def test_ranked_changes_from_every_lines_are_those_computed_for_the_view(
    inputs: OverviewInputs, granularity: str, lines: int | None
) -> None:
    view = overview_view(inputs, granularity, lines)
    every = every_line(view)
    number_format = NumberFormat("USD", "en_US")
    every_line_changes = compute_notable_changes(page_inputs(inputs, every), every, 30, number_format)
    assert every_line_changes.height > 0
    expected = compute_ranked_notable_changes(page_inputs(inputs, view), view, 30, number_format, 7)
    found = compute_ranked_notable_changes(page_inputs(inputs, view), view, 30, number_format, 7, every_line_changes)
    assert_frame_equal(found, expected)


@pytest.mark.parametrize(("granularity", "lines"), [("quarter", None), ("month", 2), ("week", 1)])
def test_the_feedback_columns_the_page_cuts_are_all_its_numbers_read(
    inputs: OverviewInputs, granularity: str, lines: int | None
) -> None:
    view = overview_view(inputs, granularity, lines)
    every_column = OverviewInputs(
        {
            **inputs.datasets,
            "feedback": rows_in_scope(inputs.datasets["feedback"], view.lines_filter, *feedback_days(view)),
        },
        inputs.history,
    )
    some_columns = page_inputs(inputs, view)
    assert some_columns.datasets["feedback"].width < every_column.datasets["feedback"].width
    assert_numbers_equal(
        compute_overview_numbers(some_columns, view, 30), compute_overview_numbers(every_column, view, 30)
    )
    for compute in (compute_scorecard, compute_trends):
        assert_frame_equal(compute(some_columns, view, 30), compute(every_column, view, 30))
    number_format = NumberFormat("USD", "en_US")
    assert_frame_equal(
        compute_notable_changes(some_columns, view, 30, number_format),
        compute_notable_changes(every_column, view, 30, number_format),
    )


@pytest.fixture
def views_kept_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cached functions start empty and keep the views in ``tmp_path``; background work waits for no pause."""
    st.cache_data.clear()
    monkeypatch.setattr(overview_cache, "view_copies", lambda: DerivedCache(tmp_path, keep=32))
    monkeypatch.setattr(runtime, "QUIET", 0.0)


@pytest.mark.usefixtures("views_kept_here")
def test_the_recent_periods_are_made_ahead_and_read_back_for_any_range_around_them(
    inputs: OverviewInputs, monkeypatch: pytest.MonkeyPatch
) -> None:
    # what the page shows: one line, its default range
    view = overview_view(inputs, "quarter", 1)
    made: list[str] = []

    def inputs_of(shown: View) -> Callable[[], OverviewInputs]:
        @functools.cache  # as the page's: made once when first needed
        def make() -> OverviewInputs:
            made.append(shown.period.label if shown.period else "")
            return page_inputs(inputs, shown)

        return make

    def prefetch() -> int:
        return prefetch_recent_periods("data-v1", view, 30, "USD", "en_US", 7, inputs_of)

    recent = recent_period_views(view, RECENT_PERIODS)
    assert len(recent) == RECENT_PERIODS + 1
    assert prefetch() == RECENT_PERIODS + 1
    assert made == [shown.period.label for shown in recent if shown.period is not None]  # each period's inputs once
    assert missing_period_views("data-v1", recent, 30, "USD", "en_US", 7) == []
    # another process finds them on disk and makes none; other settings are other numbers
    st.cache_data.clear()
    assert prefetch() == 0
    assert len(missing_period_views("data-v1", recent, 30, "EUR", "en_US", 7)) == len(recent)
    assert len(missing_period_views("data-v2", recent, 30, "USD", "en_US", 7)) == len(recent)

    # a range a quarter back, as a reader moves it: every line, then the line of its first change, each with a range
    # of its own around the period
    period = recent[1].period
    assert period is not None
    number_format = NumberFormat("USD", "en_US")
    first_line = compute_notable_changes(page_inputs(inputs, recent[1]), recent[1], 30, number_format).item(
        0, "product_line"
    )
    for lines in ([], [first_line]):
        back = view_for(
            view.all_product_lines,
            view.data_end,
            lines,
            (view.start.replace(year=view.start.year - 1), period.end + timedelta(days=20)),
            "quarter",
            "previous",
        )
        assert back.period == period
        assert repr(back) != repr(recent[1])
        every = every_line(back)
        expected_scorecard = of_selected_lines(compute_scorecard(page_inputs(inputs, every), every, 30), back)
        expected_changes = compute_ranked_notable_changes(page_inputs(inputs, back), back, 30, number_format, 7)
        assert expected_changes.height > 0
        st.cache_data.clear()  # a new process: nothing in memory
        with monkeypatch.context() as patched:
            patched.setattr(overview_cache, "compute_scorecard", lambda *_: pytest.fail("scorecard computed"))
            patched.setattr(overview_cache, "notable_changes", lambda *_, **__: pytest.fail("changes computed"))
            scorecard = overview_scorecard("data-v1", back, 30, lambda: pytest.fail("every line's inputs made"))
            changes = ranked_notable_changes(
                "data-v1",
                back.period_key,
                30,
                "USD",
                "en_US",
                7,
                back,
                functools.partial(page_inputs, inputs, back),  # one line's own changes are computed for it
                lambda: pytest.fail("every line's inputs made"),
            )
        assert_frame_equal(scorecard, expected_scorecard)
        assert_frame_equal(changes, expected_changes)


@pytest.mark.usefixtures("views_kept_here")
def test_the_recent_periods_are_made_once_per_process_in_the_background(
    inputs: OverviewInputs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime, "_warmed", set())
    view = overview_view(inputs, "month")
    threads: list[str] = []

    def inputs_of(shown: View) -> Callable[[], OverviewInputs]:
        threads.append(threading.current_thread().name)
        return lambda: page_inputs(inputs, shown)

    for _ in range(3):  # three runs of the page: one thread
        prefetch_in_background("data-v1", view, 30, "USD", "en_US", 7, inputs_of)
    assert runtime.join_warm_ups(timeout=120)
    assert len(threads) == RECENT_PERIODS + 1
    assert len(set(threads)) == 1
    assert threads[0].startswith("pillars-warm-")
    assert missing_period_views("data-v1", recent_period_views(view, RECENT_PERIODS), 30, "USD", "en_US", 7) == []
