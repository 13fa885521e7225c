"""Check everything in one go: format, lint, types, then the tests (extra arguments go to pytest)."""

from __future__ import annotations

import subprocess
import sys

STEPS: list[tuple[str, list[str]]] = [
    ("format", [sys.executable, "-m", "ruff", "format", "--check", "."]),
    ("lint", [sys.executable, "-m", "ruff", "check", "."]),
    ("types", [sys.executable, "-m", "mypy"]),
]


def main(pytest_args: list[str]) -> int:
    """Run every step, stop at the first that fails, and return its exit code."""
    for name, command in [*STEPS, ("tests", [sys.executable, "-m", "pytest", *pytest_args])]:
        print(f"== {name}: {' '.join(command[2:])}", flush=True)
        code = subprocess.call(command)
        if code != 0:
            print(f"== {name} failed (exit {code})", flush=True)
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
