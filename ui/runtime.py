"""Tuning of the server process, done once however many sessions and reruns there are."""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_frozen = False


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
