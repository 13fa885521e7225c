"""Tuning of the server process, done once however many sessions and reruns there are."""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable

from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

_lock = threading.Lock()
_frozen = False
_warmed: set[str] = set()
_started: list[threading.Thread] = []  # the warm-ups this process started (``join_warm_ups``)
_last_run = 0.0  # when the latest script run of this process started (time.monotonic)
# Seconds without a new run that make a pause (``wait_until_quiet``): a page's run at 10M rows takes ~0.5 s at most.
QUIET = 1.0
_log = logging.getLogger(__name__)


def freeze_imported_objects() -> bool:
    """Take every object alive now — the imported modules, their classes and functions — out of the garbage
    collector's scans, once per process; True on the call that did it.

    Nothing a run creates is a cycle the collector needs to find among them, but each full collection walks them all:
    with Streamlit, Polars, Plotly and pandas imported that is ~70 ms, and the first run of a new process triggered one
    (the cold Overview at 1M rows: 0.69–0.75 s with that collection, 0.63–0.65 s frozen). Objects created later are
    collected as before. The first session's own objects alive at that moment are frozen too: if a cycle among them
    becomes garbage when that session ends, it stays — once per process, never again after.
    """
    global _frozen  # noqa: PLW0603 - one flag per process, under the lock
    with _lock:
        if _frozen:
            return False
        gc.freeze()
        _frozen = True
        return True


def warm_in_background(key: str, work: Callable[[], object]) -> threading.Thread | None:
    """Run ``work`` once per ``key`` and process, in a thread of its own, after the page that asks has been drawn;
    the thread when this call started it, None when it had been started before.

    For the frames the next interaction needs that the page did not (the Overview drawn from its kept numbers reads
    neither the prepared metrics nor the adoption history; a product-line change does): made while the user reads the
    page instead of after their click. ``work`` fills shared caches only and draws nothing; a run that needs the same
    cached value meanwhile waits for it instead of computing it twice (Streamlit holds a lock per cached value). An
    error is logged, never raised: the run that needs the value computes it again and shows its error itself.
    """
    with _lock:
        if key in _warmed:
            return None
        _warmed.add(key)  # the key only: the finished thread lets go of ``work`` and of what it made
        thread = threading.Thread(target=_quietly, args=(work,), name=f"pillars-warm-{key}", daemon=True)
        _started[:] = [*(started for started in _started if started.is_alive()), thread]
    # the session's context, so that the cached functions it calls know their session (and warn about none missing)
    add_script_run_ctx(thread, get_script_run_ctx(suppress_warning=True))
    thread.start()
    return thread


def _quietly(work: Callable[[], object]) -> None:
    try:
        work()
    except Exception:  # a warm-up is best effort: the run that needs the value computes it and shows its error
        _log.exception("warming the caches in the background failed")


def note_script_run() -> None:
    """Record that a script run starts now (app.py calls it on every run): ``wait_until_quiet`` waits for a pause."""
    global _last_run  # noqa: PLW0603 - one clock per process: a float written whole
    _last_run = time.monotonic()


def wait_until_quiet(limit: float, quiet: float | None = None) -> bool:
    """Wait until no script run has started for ``quiet`` seconds (``QUIET`` when None), or ``limit`` seconds have
    passed; True when quiet.

    For background work that would slow a reader's clicks if it ran beside them (on two cores a page's own queries
    use both): it runs while the reader reads instead.
    """
    quiet = QUIET if quiet is None else quiet
    deadline = time.monotonic() + limit
    while True:
        now = time.monotonic()
        still = quiet - (now - _last_run)
        if still <= 0:
            return True
        if now >= deadline:
            return False
        time.sleep(min(still, deadline - now))


def join_warm_ups(timeout: float) -> bool:
    """Wait for the warm-ups started so far to end (at most ``timeout`` seconds in all); True when every one has.

    A server keeps running after a page is drawn, so its warm-ups finish; a process that ends after one run (the
    benchmark's first run on new data) waits for them instead, so that what they keep on disk is there."""
    deadline = time.monotonic() + timeout
    with _lock:
        threads = list(_started)
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0))
    return not any(thread.is_alive() for thread in threads)
