"""Run the benchmark of issue 8: generate data per size, time each page through AppTest, count bytes in a browser.

``python -m bench --help`` lists the options; bench/README.md says what is measured and how.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bench.apptest_probe import RESULT_MARKER
from bench.browser import BrowserError, measure_bytes
from bench.report import Measure, target_for, text_table, write_results

ROOT = Path(__file__).resolve().parents[1]
DATA_ROOT = ROOT / "bench" / "data"  # git-ignored
RESULTS = ROOT / "bench" / "results"  # git-ignored
GENERATOR = ROOT / "bench" / "generate.py"
REQUIRED_FILES = ("metrics.csv", "metric_catalog.csv", "feedback.csv", "adoption.csv", "practices.csv", "teams.csv")
# page → the url_path app.py registers it under; the Overview is opened at the app's home URL, as leadership does.
PAGES: dict[str, str] = {
    "overview": "",
    "business": "business",
    "customers": "customers",
    "process": "process",
    "data": "data",
}
# Feedback and adoption have 1M rows at 1M and 10M metric rows (the issue), and as many rows as metrics below that.
SIDE_DATASET_ROWS = 1_000_000
SEED = 8
KB = 1000
MB = 1024 * 1024


class BenchError(RuntimeError):
    """A step of the benchmark failed; the message says which and why."""


@dataclass(frozen=True)
class Size:
    """One benchmark size: its label and the rows of each generated dataset."""

    label: str
    metrics_rows: int
    feedback_rows: int
    adoption_rows: int

    @property
    def generator_arguments(self) -> list[str]:
        """The generator's command-line arguments for this size (without --out)."""
        return [
            "--metrics-rows",
            str(self.metrics_rows),
            "--feedback-rows",
            str(self.feedback_rows),
            "--adoption-rows",
            str(self.adoption_rows),
            "--seed",
            str(SEED),
        ]


def parse_size(label: str) -> Size:
    """A size from its label: metric rows as a number with an optional k or m suffix ("100k", "1m", "10m")."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([km]?)", label.strip().lower())
    if not match:
        raise argparse.ArgumentTypeError(f"{label!r} is not a size such as 100k, 1m or 10m")
    multiplier = {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2)]
    metrics_rows = int(float(match.group(1)) * multiplier)
    side_rows = min(metrics_rows, SIDE_DATASET_ROWS)
    return Size(label.strip().lower(), metrics_rows, side_rows, side_rows)


def _sizes(text: str) -> list[Size]:
    return [parse_size(label) for label in text.split(",") if label.strip()]


def _pages(text: str) -> list[str]:
    pages = [page.strip() for page in text.split(",") if page.strip()]
    unknown = [page for page in pages if page not in PAGES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown page(s) {unknown}; choose from {list(PAGES)}")
    return pages


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench", description="Pillars' benchmark (issue 8).")
    parser.add_argument(
        "--sizes", type=_sizes, default=_sizes("100k,1m,10m"), help="metric rows per size (default 100k,1m,10m)"
    )
    parser.add_argument(
        "--runs", type=int, default=5, help="probe processes per page, and samples of each measure in each (default 5)"
    )
    parser.add_argument("--pages", type=_pages, default=list(PAGES), help="comma-separated pages (default: all)")
    parser.add_argument("--skip-browser", action="store_true", help="skip the bytes and memory measures")
    parser.add_argument("--skip-apptest", action="store_true", help="skip the AppTest script times")
    parser.add_argument("--keep-data", action="store_true", help="keep bench/data/<size>/ for the next run")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds one probe or browser run may take")
    parser.add_argument("--profile", metavar="PAGE", choices=list(PAGES), help="profile one page with pyinstrument")
    parser.add_argument("--size", type=parse_size, default=parse_size("10m"), help="the size --profile uses")
    # Develop or check against an existing data directory (e.g. sample_data) instead of generated data.
    parser.add_argument("--data-dir", type=Path, default=None, help=argparse.SUPPRESS)
    parsed = parser.parse_args(argv)
    if parsed.runs < 1:
        parser.error("--runs must be at least 1")
    return parsed


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "missing"


def ensure_data(size: Size, timeout: float) -> tuple[Path, dict[str, Any]]:
    """The size's CSVs in bench/data/<size>/, generated unless a manifest says they were made the same way."""
    if not GENERATOR.exists():
        raise BenchError(f"{GENERATOR.relative_to(ROOT)} does not exist yet: the data generator is needed")
    data_dir = DATA_ROOT / size.label
    manifest_path = data_dir / "manifest.json"
    wanted = {"generator_arguments": size.generator_arguments, "generator_sha256": _file_digest(GENERATOR)}
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        complete = all((data_dir / name).exists() for name in manifest.get("files", {}))
        if complete and {key: manifest.get(key) for key in wanted} == wanted:
            _log(f"{size.label}: reusing the data in {data_dir.relative_to(ROOT)}")
            return data_dir, manifest
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    command = [sys.executable, "-m", "bench.generate", *size.generator_arguments, "--out", str(data_dir)]
    _log(f"{size.label}: generating data ({' '.join(command[2:])})")
    start = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{size.label}: the generator did not finish within {timeout:.0f} s") from None
    if done.returncode != 0:
        raise BenchError(f"{size.label}: the generator failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    missing = [name for name in REQUIRED_FILES if not (data_dir / name).exists()]
    if missing:
        raise BenchError(f"{size.label}: the generator wrote no {', '.join(missing)} in {data_dir}")
    manifest = {
        **wanted,
        "seconds": round(time.perf_counter() - start, 1),
        "files": {path.name: path.stat().st_size for path in sorted(data_dir.iterdir()) if path.suffix == ".csv"},
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return data_dir, manifest


def counted_rows(data_dir: Path) -> int:
    """Data rows of a directory's metrics.csv (lines after the header; used for an existing --data-dir)."""
    with (data_dir / "metrics.csv").open("rb") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


def app_environment(data_dir: Path, store_dir: Path) -> dict[str, str]:
    """The settings the app reads: this size's data, a store of its own, and no Google Sheet."""
    return {
        "PILLARS_DATA_DIR": str(data_dir.resolve()),
        "PILLARS_STORE_URL": f"sqlite:///{(store_dir / 'pillars.db').resolve()}",
        "PILLARS_COLUMNAR_DIR": str((store_dir / "columnar").resolve()),
        "PILLARS_FEEDBACK_SHEET": "",
    }


@functools.cache
def library_modules(page: str, timeout: float) -> Path:
    """A file naming the library modules a first run of ``page`` imports beyond Polars, Plotly and the app's own
    (pandas and pyarrow for tables, SQLAlchemy, the Plotly and Streamlit modules loaded on first use): every probe of
    the page imports them before its clock starts, as the issue's "libraries already imported" asks.

    Listed once per page and benchmark run, by a probe on the bundled sample data in a scratch store, so nothing of
    the measured data is read or cached.
    """
    with tempfile.TemporaryDirectory(prefix="pillars-bench-modules-") as scratch:
        env = app_environment(ROOT / "sample_data", Path(scratch))
        listed = run_probe(env, ["--mode", "modules", "--page", page], timeout, f"listing the modules {page} imports")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"libraries-{page}.json"
    path.write_text(json.dumps(listed["modules"], indent=1) + "\n", encoding="utf-8")
    return path


def _with_libraries(page: str, timeout: float, probe_arguments: list[str]) -> list[str]:
    return [*probe_arguments, "--libraries", str(library_modules(page, timeout))]


def run_probe(env: Mapping[str, str], probe_arguments: list[str], timeout: float, what: str) -> dict[str, Any]:
    """Run bench.apptest_probe in a new Python process and return its JSON result; fail loudly otherwise."""
    command = [sys.executable, "-m", "bench.apptest_probe", "--timeout", str(timeout), *probe_arguments]
    try:
        done = subprocess.run(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=timeout + 60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"{what}: the probe did not finish within {timeout + 60:.0f} s") from None
    results = [line[len(RESULT_MARKER) :] for line in done.stdout.splitlines() if line.startswith(RESULT_MARKER)]
    result: dict[str, Any] = json.loads(results[-1]) if results else {}
    if done.returncode != 0 or not results or "error" in result:
        reason = result.get("error") or f"exit {done.returncode}, no result"
        raise BenchError(f"{what}: {reason}\n--- probe stderr (last lines) ---\n{done.stderr[-4000:]}")
    return result


def fresh_store(size_dir: Path) -> Path:
    """An empty store folder for this size (its SQLite file and columnar copies are made by the app)."""
    store_dir = size_dir / "store"
    if store_dir.exists():
        shutil.rmtree(store_dir)
    store_dir.mkdir(parents=True)
    return store_dir


def view_copies(store_dir: Path) -> set[Path]:
    """The per-view results the app keeps on disk (``ui.data.view_copies``: the Overview's numbers)."""
    return set((store_dir / "columnar" / "views").glob("*"))


def forget_views(store_dir: Path, kept: set[Path]) -> None:
    """Remove the per-view results written since ``kept`` was listed, so that the next probe's filter and range changes
    compute views no process has computed before (as a user trying something new waits for)."""
    for path in view_copies(store_dir) - kept:
        path.unlink(missing_ok=True)


def _without_views(
    env: Mapping[str, str], store_dir: Path, size: Size, options: argparse.Namespace
) -> list[dict[str, Any]]:
    """Overview probes (one sample of each measure) in processes that find no per-view copy on disk (a server started
    right after the copies were removed, or on views no one drew before): their cold run and their date-range change,
    which then computes the new period's numbers itself (the recent periods made ahead are gone with the rest, and
    the clicks come too close together for the background to make them again), reported without a target."""
    probes = []
    for index in range(options.runs):
        _log(f"{size.label}: AppTest overview without kept views ({index + 1}/{options.runs})")
        forget_views(store_dir, set())
        arguments_ = _with_libraries("overview", options.timeout, ["--page", "overview", "--runs", "1"])
        probes.append(run_probe(env, arguments_, options.timeout, f"{size.label} overview"))
    return probes


def measure_size(
    size: Size, data_dir: Path, store_dir: Path, options: argparse.Namespace, details: dict[str, Any]
) -> list[Measure]:
    """Every measure at one size."""
    env = app_environment(data_dir, store_dir)
    measures: list[Measure] = []
    rows = size.metrics_rows

    def add(
        measure: str, page: str, unit: str, samples: list[float], judged_by: Literal["median", "max"] = "median"
    ) -> None:
        measures.append(Measure(measure, page, size.label, unit, samples, target_for(measure, page, rows), judged_by))

    # The first run after new data parses the CSVs and writes the columnar copies, so every later process is "cold"
    # only in memory.
    _log(f"{size.label}: first run on new data (parsing included)")
    # the first run after new data opens the default page, the Overview
    first_arguments = _with_libraries("overview", options.timeout, ["--mode", "first-run"])
    first = run_probe(env, first_arguments, options.timeout, f"{size.label} first run")
    add("first run after new data", "overview", "s", [first["first_run"]])
    add("first run peak RSS", "overview", "MB", [first["first_run_peak_mb"]], "max")
    # then, while the page is read: the frames a filter change needs and the numbers of the recent periods
    add("background work after the first run", "overview", "s", [first["background"]])
    details[size.label] = {"first_run": first, "pages": {}}
    # What a restarted server finds: the copies of the views the first run drew (the default Overview).
    first_views = view_copies(store_dir)

    if not options.skip_apptest:
        for page in options.pages:
            probes = []
            for index in range(options.runs):
                _log(f"{size.label}: AppTest {page} ({index + 1}/{options.runs})")
                forget_views(store_dir, first_views)
                arguments_ = _with_libraries(
                    page, options.timeout, ["--page", page, "--runs", str(options.runs), "--line-index", str(index)]
                )
                probes.append(run_probe(env, arguments_, options.timeout, f"{size.label} {page}"))
            details[size.label]["pages"][page] = probes
            add("cold", page, "s", [probe["cold"] for probe in probes])
            add("warm rerun", page, "ms", [1000 * sample for probe in probes for sample in probe["warm"]])
            add("filter change", page, "ms", [1000 * time_ for probe in probes for time_ in probe["filter_change"]])
            add("date-range change", page, "ms", [1000 * time_ for probe in probes for time_ in probe["range_change"]])
            add("max chart points", page, "points", [probe["max_chart_points"] for probe in probes], "max")
            # AppTest sends every table whole: this is the largest table's size, with no target (the browser's is)
            add("max table rows (AppTest)", page, "rows", [probe["max_table_rows_sent"] for probe in probes], "max")
            if page == "overview":
                without = _without_views(env, store_dir, size, options)
                details[size.label]["without_views"] = without
                add("cold, no view kept", page, "s", [probe["cold"] for probe in without])
                range_changes = [1000 * time_ for probe in without for time_ in probe["range_change"]]
                add("date-range change, no view kept", page, "ms", range_changes)

    if not options.skip_browser:
        _log(f"{size.label}: browser (first load and rerun bytes, server memory)")
        try:
            url_paths = {page: PAGES[page] for page in options.pages}
            browser = measure_bytes(
                env, url_paths, options.runs, options.timeout, lambda step: _log(f"{size.label}: {step}")
            )
        except BrowserError as error:
            raise BenchError(f"{size.label} browser: {error}") from error
        for page in options.pages:
            add("first load bytes", page, "KB", [sample / KB for sample in browser.pages[page].first_load], "max")
            add("rerun bytes", page, "KB", [sample / KB for sample in browser.pages[page].rerun], "max")
            table_rows = [float(rows) for rows in browser.pages[page].max_table_rows]
            add("max table rows sent", page, "rows", table_rows, "max")
        add("peak server RSS", "server", "MB", [browser.peak_rss_mb], "max")
        details[size.label]["browser"] = {
            "pages": {page: vars(counts) for page, counts in browser.pages.items()},
            "peak_rss_mb": browser.peak_rss_mb,
        }
    return measures


def profile(options: argparse.Namespace) -> int:
    """Profile one page at one size (cold, warm, filter change, range change) into bench/results/profile-*.txt.

    No per-view copy is kept from before, so the cold profile shows the Overview computing its numbers.
    """
    size: Size = options.size
    if options.data_dir is not None:
        size = Size("custom", counted_rows(options.data_dir), 0, 0)
        data_dir, size_dir = options.data_dir, DATA_ROOT / "custom"
    else:
        data_dir, _ = ensure_data(size, options.timeout)
        size_dir = data_dir
    store_dir = size_dir / "store"
    env = app_environment(data_dir, store_dir)
    if not (store_dir / "pillars.db").exists():
        store_dir = fresh_store(size_dir)
        _log(f"{size.label}: first run on new data, so the profile starts with the columnar copies on disk")
        run_probe(env, ["--mode", "first-run"], options.timeout, f"{size.label} first run")  # copies, not timed
    forget_views(store_dir, set())
    out = RESULTS / f"profile-{options.profile}-{size.label}.txt"
    _log(f"{size.label}: profiling {options.profile}")
    profile_arguments = ["--mode", "profile", "--page", options.profile, "--profile-out", str(out)]
    result = run_probe(
        env,
        _with_libraries(options.profile, options.timeout, profile_arguments),
        options.timeout,
        f"{size.label} profile {options.profile}",
    )
    times = ", ".join(f"{label} {seconds * 1000:,.0f} ms" for label, seconds in result["times"].items())
    print(f"{options.profile} at {size.label}: {times}\nprofile: {out} (and {out.with_suffix('.html').name})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; exit 2 with a clear message when a step fails."""
    options = arguments(argv)
    try:
        if options.profile:
            return profile(options)
        return benchmark(options, list(sys.argv[1:] if argv is None else argv))
    except BenchError as error:
        print(f"bench: error: {error}", file=sys.stderr)
        return 2


def benchmark(options: argparse.Namespace, argv: list[str]) -> int:
    """Measure every size, print the table and write bench/results/latest.{md,json}."""
    measures: list[Measure] = []
    details: dict[str, Any] = {"runs": options.runs, "pages": options.pages, "generated": {}}
    sizes: list[Size] = options.sizes
    if options.data_dir is not None:
        rows = counted_rows(options.data_dir)
        sizes = [Size(f"custom ({rows:,} rows)", rows, 0, 0)]
    started = time.perf_counter()
    for size in sizes:
        if options.data_dir is not None:
            data_dir, size_dir = options.data_dir, DATA_ROOT / "custom"
        else:
            data_dir, manifest = ensure_data(size, options.timeout)
            size_dir = data_dir
            details["generated"][size.label] = manifest
        store_dir = fresh_store(size_dir)
        measures.extend(measure_size(size, data_dir, store_dir, options, details))
        if not options.keep_data:
            shutil.rmtree(size_dir if options.data_dir is None else store_dir)
    details["seconds"] = round(time.perf_counter() - started, 1)
    notes = [
        "Command: `" + " ".join(["python -m bench", *argv]) + "`",
        f"{options.runs} probe processes per page and size; in each, 1 cold run then {options.runs} each of warm "
        "reruns, product-line filter changes and date-range changes, each change to a view the process has not shown "
        "before (the next product line; the range a year earlier, then a month further back each time), so no "
        "per-view cache answers it. Times are medians; sizes (bytes, memory, points, rows) are judged by their "
        "largest sample.",
        "Metrics rows per size as labelled; feedback and adoption have as many rows as metrics up to 1M, and 1M above.",
        "Targets are issue 8's; 100k is held to the 1M targets; the date-range change to the filter-change target; "
        "cold has a target on the Overview only. KB = 1000 bytes, received on /_stcore/stream.",
        f"Total time {details['seconds']:.0f} s.",
    ]
    print(text_table(measures))
    markdown_path, json_path = write_results(measures, details, notes, RESULTS)
    print(f"\nwritten: {markdown_path.relative_to(ROOT)}, {json_path.relative_to(ROOT)}")
    return 0
