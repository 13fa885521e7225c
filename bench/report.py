"""The benchmark's results: one table (measure × page × size: median, min, max, target, pass/fail) and its files."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, Literal

# Targets of issue 8, by the size column they apply to: "1m" for up to 1M metric rows, "10m" above. The 100k size is
# held to the 1M targets (a smaller company must be at least as fast). None = reported without a target.
TARGETS: dict[str, dict[str, float | None]] = {
    "1m": {
        "overview cold": 0.5,
        "warm rerun": 80,
        "filter change": 100,
        "date-range change": 100,
        "peak server RSS": 600,
        "first load bytes": 150,
        "rerun bytes": 10,
        "max chart points": 25_000,
        "max table rows sent": 150_000,
    },
    "10m": {
        "overview cold": 2.5,
        "warm rerun": 150,
        "filter change": 250,
        "date-range change": 250,
        "peak server RSS": 2048,
        "first load bytes": 150,
        "rerun bytes": 10,
        "max chart points": 25_000,
        "max table rows sent": 150_000,
    },
}
ONE_MILLION = 1_000_000


@dataclass
class Measure:
    """One row of the table: the samples of one measure on one page at one size, and its target.

    ``judged_by`` says which statistic is held to the target: the median for times, the largest sample for sizes
    (bytes, memory, points, rows), which are caps.
    """

    measure: str
    page: str
    size: str
    unit: str
    samples: list[float]
    target: float | None
    judged_by: Literal["median", "max"] = "median"

    @property
    def median(self) -> float:
        """Median of the samples."""
        return statistics.median(self.samples)

    @property
    def passed(self) -> bool | None:
        """Whether the judged statistic meets the target; None without a target."""
        if self.target is None:
            return None
        judged = self.median if self.judged_by == "median" else max(self.samples)
        return judged <= self.target

    def as_dict(self) -> dict[str, Any]:
        """The row as plain JSON values."""
        return {
            **asdict(self),
            "median": self.median,
            "min": min(self.samples),
            "max": max(self.samples),
            "passed": self.passed,
        }


def target_for(measure: str, page: str, metrics_rows: int) -> float | None:
    """The issue's target for a measure on a page at a size (the cold target is the Overview's only)."""
    column = TARGETS["1m" if metrics_rows <= ONE_MILLION else "10m"]
    if measure == "cold":
        return column["overview cold"] if page == "overview" else None
    return column.get(measure)


def _number(value: float, unit: str) -> str:
    if unit in {"s"}:
        return f"{value:.2f}"
    if unit == "KB":
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    if unit in {"ms", "MB"}:
        return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
    return f"{value:,.0f}"


def table_rows(measures: list[Measure]) -> list[list[str]]:
    """The table's header and rows, formatted for people."""
    rows = [["measure", "page", "size", "median", "min", "max", "target", "result"]]
    for measure in measures:
        verdict = {True: "pass", False: "FAIL", None: "—"}[measure.passed]
        target = "—" if measure.target is None else f"≤ {_number(measure.target, measure.unit)}"
        if measure.target is not None and measure.judged_by == "max":
            verdict += " (max)"
        rows.append(
            [
                f"{measure.measure} ({measure.unit})",
                measure.page,
                measure.size,
                _number(measure.median, measure.unit),
                _number(min(measure.samples), measure.unit),
                _number(max(measure.samples), measure.unit),
                target,
                verdict,
            ]
        )
    return rows


def text_table(measures: list[Measure]) -> str:
    """The table in fixed-width columns, for the terminal."""
    rows = table_rows(measures)
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown_table(measures: list[Measure]) -> str:
    """The table in Markdown."""
    rows = table_rows(measures)
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines.extend("| " + " | ".join(row) + " |" for row in rows[1:])
    return "\n".join(lines)


def machine() -> dict[str, str]:
    """What the figures were measured on: architecture, CPU, cores, memory, Python and library versions, date."""
    cpu = "unknown"
    memory = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if "model name" in line]
        cpu = models[0] if models else "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        totals = [int(line.split()[1]) for line in meminfo.read_text().splitlines() if line.startswith("MemTotal")]
        total_kb = totals[0] if totals else 0
        memory = f"{total_kb / 1024 / 1024:.1f} GB"
    architecture = subprocess.run(["uname", "-m"], capture_output=True, text=True, check=False).stdout.strip()
    return {
        "architecture": architecture or platform.machine(),
        "cpu": cpu,
        "cores": str(len(os.sched_getaffinity(0))),
        "memory": memory,
        "python": platform.python_version(),
        "polars": version("polars"),
        "streamlit": version("streamlit"),
        "plotly": version("plotly"),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def write_results(
    measures: list[Measure], details: dict[str, Any], notes: list[str], out_dir: Path
) -> tuple[Path, Path]:
    """Write latest.md and latest.json under ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    about = machine()
    markdown = [
        "# Pillars benchmark: latest results",
        "",
        "Machine: " + ", ".join(f"{key} {value}" for key, value in about.items()),
        "",
        markdown_table(measures),
        "",
        *[f"- {note}" for note in notes],
        "",
    ]
    markdown_path = out_dir / "latest.md"
    markdown_path.write_text("\n".join(markdown), encoding="utf-8")
    json_path = out_dir / "latest.json"
    payload = {"machine": about, "measures": [measure.as_dict() for measure in measures], "details": details}
    json_path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    return markdown_path, json_path
