"""Tests for ui.runtime: the process is tuned once, however many runs there are."""

from __future__ import annotations

import gc
import logging
import threading
import time

import pytest

from ui import runtime


def test_the_objects_alive_at_the_first_run_are_frozen_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "_frozen", False)
    assert runtime.freeze_imported_objects() is True
    frozen = gc.get_freeze_count()
    assert frozen > 0
    # later runs freeze nothing more: what they create is collected as before
    garbage: list[list[int]] = [[] for _ in range(1000)]
    assert runtime.freeze_imported_objects() is False
    assert gc.get_freeze_count() == frozen
    del garbage


def test_background_work_runs_once_per_key_in_its_own_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "_warmed", set())
    ran: list[str] = []
    caller = threading.get_ident()

    def work(name: str) -> None:
        assert threading.get_ident() != caller
        ran.append(name)

    first = runtime.warm_in_background("data-v1", lambda: work("v1"))
    assert first is not None
    first.join(timeout=10)
    assert runtime.warm_in_background("data-v1", lambda: work("v1 again")) is None
    second = runtime.warm_in_background("data-v2", lambda: work("v2"))
    assert second is not None
    second.join(timeout=10)
    assert ran == ["v1", "v2"]


def test_a_failing_warm_up_is_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(runtime, "_warmed", set())

    def broken() -> None:
        raise OSError("the columnar copy vanished")

    with caplog.at_level(logging.ERROR, logger="ui.runtime"):
        thread = runtime.warm_in_background("data-v1", broken)
        assert thread is not None
        thread.join(timeout=10)
    assert "warming the caches in the background failed" in caplog.text
    assert "the columnar copy vanished" in caplog.text


def test_background_work_waits_for_a_pause_between_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "_last_run", 0.0)
    assert runtime.wait_until_quiet(limit=0.0, quiet=0.2)  # no run for a long while: at once
    runtime.note_script_run()
    started = time.monotonic()
    assert not runtime.wait_until_quiet(limit=0.05, quiet=10.0)  # a run just started: not quiet within the limit
    assert time.monotonic() - started < 1.0
    runtime.note_script_run()
    started = time.monotonic()
    assert runtime.wait_until_quiet(limit=5.0, quiet=0.2)
    assert 0.15 <= time.monotonic() - started < 5.0
    # QUIET is the pause when none is given
    monkeypatch.setattr(runtime, "QUIET", 0.0)
    runtime.note_script_run()
    assert runtime.wait_until_quiet(limit=0.0)


def test_a_process_can_wait_for_its_warm_ups_to_end(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "_warmed", set())
    monkeypatch.setattr(runtime, "_started", [])
    release = threading.Event()
    done: list[str] = []

    def work() -> None:
        release.wait(10)
        done.append("kept")

    assert runtime.warm_in_background("data-v1", work) is not None
    assert runtime.join_warm_ups(timeout=0.05) is False  # still running
    release.set()
    assert runtime.join_warm_ups(timeout=10) is True
    assert done == ["kept"]
    # finished threads are let go of when the next one starts
    assert runtime.warm_in_background("data-v2", lambda: None) is not None
    assert runtime.join_warm_ups(timeout=10) is True
    assert len(runtime._started) == 1
