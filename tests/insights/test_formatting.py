"""Numbers formatted for people, in two locales."""

from __future__ import annotations

import pytest

from insights.formatting import (
    NumberFormat,
    comma_list,
    format_change,
    format_count,
    format_delta,
    format_share,
    format_value,
    markdown_bullets,
    markdown_lines,
    markdown_text,
)

US = NumberFormat("USD", "en_US")
DE = NumberFormat("EUR", "de_DE")


@pytest.mark.parametrize(
    ("value", "unit", "number_format", "expected"),
    [
        (42_100_000.0, "currency", US, "$42.1M"),
        (42_100_000.0, "currency", DE, "42,1\xa0Mio.\xa0€"),
        (950.0, "currency", US, "$950.00"),
        (108.32, "percent", US, "108.3%"),
        (1.4, "percent", DE, "1,4%"),
        (1204.0, "count", US, "1,204"),
        (123_456.0, "count", US, "123.5K"),
        (1.234, "ratio", US, "1.23"),
        (31.0, "score", US, "+31"),
        (-6.0, "score", US, "−6"),
        (-2_500_000.0, "currency", US, "−$2.5M"),
        (None, "currency", US, "–"),
        (float("nan"), "count", US, "–"),
    ],
)
def test_format_value(value: float | None, unit: str, number_format: NumberFormat, expected: str) -> None:
    assert format_value(value, unit, number_format) == expected


def test_exact_value_without_compaction() -> None:
    assert format_value(42_123_456.0, "currency", US, compact=False) == "$42,123,456.00"


@pytest.mark.parametrize(
    ("delta", "unit", "expected"),
    [
        (1_200_000.0, "currency", "+$1.2M"),
        (-0.84, "percent", "−0.8 pt"),
        (-6.0, "score", "−6"),
        (0.0, "count", "±0"),
        (None, "count", "–"),
    ],
)
def test_format_delta(delta: float | None, unit: str, expected: str) -> None:
    assert format_delta(delta, unit, US) == expected


def test_change_count_and_share() -> None:
    assert format_change(0.0321, US) == "+3.2%"
    assert format_change(-0.12, DE) == "−12,0%"
    assert format_change(None, US) == "–"
    assert format_count(12345, DE) == "12.345"
    assert format_share(0.724, US) == "72%"


def test_markdown_helpers() -> None:
    assert markdown_text("from $5 to $7") == "from \\$5 to \\$7"
    assert comma_list(["Atlas", "Beacon", "Cirrus"]) == "Atlas, Beacon, Cirrus"
    assert comma_list(["Atlas", "Beacon"], separator=" + ") == "Atlas + Beacon"
    assert comma_list([]) == ""
    assert markdown_lines(["**Rows** 5", "**Version** 0"]) == "**Rows** 5  \n**Version** 0"
    assert markdown_bullets(["one", "two"]) == "- one\n- two"
    assert markdown_bullets([]) == ""
