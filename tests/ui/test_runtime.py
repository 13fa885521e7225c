"""Tests for ui.runtime: the process is tuned once, however many runs there are."""

from __future__ import annotations

import gc

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
