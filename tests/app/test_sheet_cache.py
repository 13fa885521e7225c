"""The sheet cache: one read per TTL, a failure remembered for a minute, a refresh reads at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sources.sheets import SheetConfig
from ui.sheets import SheetCache, SheetState


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def counting_read(outcomes: list[bool]) -> tuple[list[int], Callable[[], tuple[SheetState, bool]]]:
    calls: list[int] = []

    def read() -> tuple[SheetState, bool]:
        calls.append(1)
        ok = outcomes[len(calls) - 1]
        state = SheetState(SheetConfig("k", "w"), None, False, None if ok else "down", datetime(2026, 1, 1, tzinfo=UTC))
        return state, ok

    return calls, read


def test_a_good_read_is_served_for_the_ttl() -> None:
    clock = Clock()
    cache = SheetCache(clock)
    calls, read = counting_read([True, True])

    for second in range(0, 600, 12):  # 50 page loads in ten minutes
        clock.now = second
        cache.get(600, read)
    assert len(calls) == 1

    clock.now = 600
    cache.get(600, read)
    assert len(calls) == 2


def test_a_failure_is_remembered_for_a_minute() -> None:
    clock = Clock()
    cache = SheetCache(clock)
    calls, read = counting_read([False, True])

    cache.get(600, read)
    clock.now = 59
    assert cache.get(600, read).error == "down"
    assert len(calls) == 1

    clock.now = 60
    assert cache.get(600, read).error is None
    assert len(calls) == 2


def test_refresh_reads_at_once() -> None:
    cache = SheetCache(Clock())
    calls, read = counting_read([True, True])

    cache.get(600, read)
    cache.get(600, read, force=True)

    assert len(calls) == 2
