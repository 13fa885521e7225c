"""One page's script times through AppTest, measured in a fresh process and printed as one JSON line.

Run by bench/run.py as ``python -m bench.apptest_probe --page overview --runs 5``; PILLARS_DATA_DIR, PILLARS_STORE_URL
and PILLARS_COLUMNAR_DIR in the environment say which data it reads. Every app module, and every library module the
page imports while it runs, is imported before the clock starts (the issue's targets are "script time, libraries
already imported"), so "cold" is the script run itself in a process whose in-memory caches are empty.
"""

from __future__ import annotations

import argparse
import calendar
import importlib
import json
import pkgutil
import resource
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from pyinstrument import Profiler
from streamlit import delta_generator
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.local_script_runner import LocalScriptRunner

from bench.payloads import chart_points, table_rows
from ui.runtime import join_warm_ups

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
APP_PACKAGES = ("sources", "insights", "ui")
# What a probe prints before its JSON, so a stray line written to stdout by a library is never mistaken for it.
RESULT_MARKER = "BENCH-RESULT "


class PageError(RuntimeError):
    """The page showed an exception, or the run did not finish."""


def import_everything() -> None:
    """Import the main libraries and every app module, so the timed runs do not pay for imports."""
    for name in ("polars", "plotly.graph_objects"):
        importlib.import_module(name)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    for package_name in APP_PACKAGES:
        package = importlib.import_module(package_name)
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            importlib.import_module(module.name)


def _is_library(module_name: str) -> bool:
    return module_name.split(".", maxsplit=1)[0] not in {*APP_PACKAGES, "app", "app_pages", "bench", "__main__"}


def imported_by_a_run(page: str, timeout: float) -> dict[str, Any]:
    """Run ``page`` once and name the library modules that run imported (bench/run.py's ``library_modules``)."""
    before = set(sys.modules)
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    at.switch_page(f"app_pages/{page}.py")
    timed_run(at, "modules", page)
    return {"modules": sorted(name for name in set(sys.modules) - before if _is_library(name))}


def import_libraries(names: list[str]) -> None:
    """Import these modules (one this process cannot import, an optional extra of a library, is left out), and let
    Streamlit make its once-per-process start-up check.

    That check (is this a REPL? — ``inspect.stack()``, which maps every loaded module to its file) runs when the
    process draws its first element, whatever the app: ~40 ms with the libraries loaded, paid once by a server, by the
    first run after it starts.
    """
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
    delta_generator._maybe_print_use_warning()  # Streamlit's own start-up check, made here once


def timed_run(at: Any, label: str, page: str) -> float:
    """Seconds one ``at.run()`` takes; raises PageError when the page shows an exception."""
    start = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - start
    if len(at.exception) > 0:
        messages = "; ".join(str(element.message) for element in at.exception)
        raise PageError(f"page {page!r}, {label} run: the page shows an exception: {messages}")
    return elapsed


def page_sizes(at: Any) -> dict[str, int]:
    """The largest chart (points) and the largest table (rows sent, and rows in all) on the page.

    AppTest keeps every dataframe eager (Streamlit pages one over 150k rows lazily only in a real server), so the rows
    here are each table's full rows; bench/browser.py counts what a browser really receives.
    """
    points = [chart_points(chart.proto.spec) for chart in at.get("plotly_chart")]
    tables = [table_rows(element.proto) for element in [*at.dataframe, *at.table]]
    return {
        "charts": len(points),
        "max_chart_points": max(points, default=0),
        "tables": len(tables),
        "max_table_rows_sent": max((sent for sent, _ in tables), default=0),
        "max_table_rows_total": max((total for _, total in tables), default=0),
    }


def shifted_year(day: date, years: int) -> date:
    """The same day ``years`` earlier or later (28 February for 29 February in a year without it)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def shifted_month(day: date, months: int) -> date:
    """The same day ``months`` earlier or later (the month's last day where it is shorter)."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def date_range(at: AppTest) -> tuple[date, date]:
    """The date range the sidebar shows now."""
    value = at.date_input(key="range").value
    if not (isinstance(value, tuple | list) and len(value) == 2):
        raise PageError(f"the date range is not a (start, end) pair: {value!r}")
    start, end = value
    if not (isinstance(start, date) and isinstance(end, date)):
        raise PageError(f"the date range is not a (start, end) pair: {value!r}")
    return start, end


def measure_page(page: str, runs: int, line_index: int, timeout: float) -> dict[str, Any]:
    """Cold, warm, filter-change and date-range-change times of one page, and its largest chart and table."""
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    # Before the first run AppTest names a page by its file name, which is also each page's url_path here, so the
    # first run already renders the page: that run is the page's cold time.
    at.switch_page(f"app_pages/{page}.py")
    cold = timed_run(at, "cold", page)
    sizes = [page_sizes(at)]
    warm = [timed_run(at, "warm", page) for _ in range(runs)]

    # Every change picks a view this process has not shown yet (another product line, another range), so no cache
    # of per-view numbers can answer it: this is what a user waits for when they try something new.
    lines = at.multiselect(key="lines")
    options = list(lines.options)
    one_line = [options[line_index % len(options)]] if options else []
    filter_change = []
    for repeat in range(runs):
        line = [options[(line_index + repeat) % len(options)]] if options else []
        at.multiselect(key="lines").set_value(line)
        filter_change.append(timed_run(at, "filter change", page))
        sizes.append(page_sizes(at))
    at.multiselect(key="lines").set_value([])
    timed_run(at, "filter change", page)

    start, end = date_range(at)
    earlier = (max(shifted_year(start, -1), at.date_input(key="range").min), shifted_year(end, -1))
    range_change = []
    for repeat in range(runs):
        # the range a year earlier, then one month further back each time
        shifted = (
            max(shifted_month(earlier[0], -repeat), at.date_input(key="range").min),
            shifted_month(earlier[1], -repeat),
        )
        at.date_input(key="range").set_value(shifted)
        range_change.append(timed_run(at, "date-range change", page))
        sizes.append(page_sizes(at))

    return {
        "page": page,
        "cold": cold,
        "warm": warm,
        "filter_change": filter_change,
        "range_change": range_change,
        "filter_line": one_line,
        "earlier_range": [earlier[0].isoformat(), earlier[1].isoformat()],
        "max_chart_points": max(size["max_chart_points"] for size in sizes),
        "max_table_rows_sent": max(size["max_table_rows_sent"] for size in sizes),
        "max_table_rows_total": max(size["max_table_rows_total"] for size in sizes),
        "charts": sizes[0]["charts"],
        "tables": sizes[0]["tables"],
    }


def first_run(timeout: float) -> dict[str, Any]:
    """Time of the app's first run on new data (the default page; CSV parsing and columnar copies included), and the
    process's peak memory by then (what a server reading new data needs at least)."""
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    seconds = timed_run(at, "first", "overview")
    # A server stays up after the page is drawn, and the work the page started in the background (the frames a filter
    # change needs, the recent periods' numbers) goes on while it is read; this process waits for it to end, so that
    # what it keeps on disk is there for the processes after it, as for a server's later sessions.
    started = time.perf_counter()
    if not join_warm_ups(timeout):
        raise PageError(f"the background work after the first run did not end within {timeout:.0f} s")
    background = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    return {"page": "overview", "first_run": seconds, "first_run_peak_mb": peak_mb, "background": background}


def profiled_page(page: str, line_index: int, timeout: float, out: Path) -> dict[str, Any]:
    """Profile a page's cold run, a warm rerun, a filter change and a date-range change with pyinstrument."""
    profiles: list[Profiler] = []
    run_script_thread: Callable[[LocalScriptRunner], None] = LocalScriptRunner._run_script_thread

    # AppTest runs the script in a thread of its own, and pyinstrument samples only the thread that starts it.
    def profiled_thread(runner: LocalScriptRunner) -> None:
        profiler = Profiler(interval=0.001)
        profiler.start()
        try:
            run_script_thread(runner)
        finally:
            profiler.stop()
            profiles.append(profiler)

    LocalScriptRunner._run_script_thread = profiled_thread  # type: ignore[method-assign,assignment]
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    at.switch_page(f"app_pages/{page}.py")
    steps: list[tuple[str, Callable[[], object]]] = [
        ("cold", lambda: None),
        ("warm rerun", lambda: None),
        ("filter change", lambda: at.multiselect(key="lines").set_value(_one_line(at, line_index))),
    ]
    times: dict[str, float] = {}
    for label, prepare in steps:
        prepare()
        times[label] = timed_run(at, label, page)
    # As measure_page does: back to every product line (a view already drawn), then a range not drawn yet.
    at.multiselect(key="lines").set_value([])
    times["back to every line (not shown)"] = timed_run(at, "filter change", page)
    start, end = date_range(at)
    at.date_input(key="range").set_value((shifted_year(start, -1), shifted_year(end, -1)))
    times["date-range change"] = timed_run(at, "date-range change", page)
    sections = []
    for (label, seconds), profiler in zip(times.items(), profiles, strict=True):
        if label.endswith("(not shown)"):
            continue
        sections.append(f"=== {page}: {label} ({seconds * 1000:.0f} ms) ===\n")
        sections.append(profiler.output_text(unicode=True, color=False, show_all=False))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(sections), encoding="utf-8")
    out.with_suffix(".html").write_text(profiles[0].output_html(), encoding="utf-8")
    return {"page": page, "profile": str(out), "times": times}


def _one_line(at: Any, line_index: int) -> list[str]:
    options = list(at.multiselect(key="lines").options)
    return [options[line_index % len(options)]] if options else []


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--page", default="overview", help="app_pages/<page>.py")
    parser.add_argument("--mode", choices=("page", "first-run", "profile", "modules"), default="page")
    parser.add_argument("--runs", type=int, default=5, help="warm reruns, filter changes and range changes each")
    parser.add_argument("--line-index", type=int, default=0, help="which product line the filter change picks")
    parser.add_argument("--timeout", type=float, default=600, help="seconds one script run may take")
    parser.add_argument("--profile-out", type=Path, default=None)
    parser.add_argument(
        "--libraries", type=Path, default=None, help="JSON list of library modules to import before the clock starts"
    )
    return parser.parse_args(argv)


def lines_of_output(result: dict[str, Any]) -> Iterator[str]:
    """The probe's stdout: the marker and the result as one JSON line."""
    yield RESULT_MARKER + json.dumps(result)


def main(argv: list[str] | None = None) -> int:
    """Measure as asked and print the result; exit 1 with the error as JSON when the page fails."""
    arguments = _arguments(argv)
    import_everything()
    try:
        if arguments.libraries is not None:
            import_libraries(json.loads(arguments.libraries.read_text(encoding="utf-8")))
        if arguments.mode == "modules":
            result = imported_by_a_run(arguments.page, arguments.timeout)
        elif arguments.mode == "first-run":
            result = first_run(arguments.timeout)
        elif arguments.mode == "profile":
            out = arguments.profile_out or ROOT / "bench" / "results" / f"profile-{arguments.page}.txt"
            result = profiled_page(arguments.page, arguments.line_index, arguments.timeout, out)
        else:
            result = measure_page(arguments.page, arguments.runs, arguments.line_index, arguments.timeout)
    except (PageError, RuntimeError) as error:
        print(RESULT_MARKER + json.dumps({"error": str(error)}), flush=True)
        return 1
    for line in lines_of_output(result):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
