"""Numbers for people: money, percents, counts and deltas formatted by the configured currency and locale (Babel)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from babel.numbers import (
    format_compact_currency,
    format_compact_decimal,
    format_currency,
    format_decimal,
    format_percent,
)

MINUS = "−"  # a real minus sign reads better than a hyphen next to numbers
EMPTY = "–"


@dataclass(frozen=True)
class NumberFormat:
    """How to write numbers: the currency of money metrics and the locale."""

    currency: str = "USD"
    locale: str = "en_US"


def format_value(value: float | None, unit: str, number_format: NumberFormat, *, compact: bool = True) -> str:
    """A metric value in its unit: $42.1M, 108.0 %, 1,204 or 12.3K, 1.23, +31."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return EMPTY
    locale = number_format.locale
    if unit == "currency":
        if compact and abs(value) >= 1000:
            text = format_compact_currency(value, number_format.currency, locale=locale, fraction_digits=1)
        else:
            text = format_currency(value, number_format.currency, locale=locale, format_type="standard")
    elif unit == "percent":
        text = format_percent(value / 100, locale=locale, format="#,##0.0%")
    elif unit == "count":
        if compact and abs(value) >= 10_000:
            text = format_compact_decimal(value, locale=locale, fraction_digits=1)
        else:
            text = format_decimal(round(value), locale=locale, format="#,##0")
    elif unit == "score":
        text = format_decimal(value, locale=locale, format="+#,##0;-#,##0")
    else:
        text = format_decimal(value, locale=locale, format="#,##0.00")
    return text.replace("-", MINUS)


def format_delta(delta: float | None, unit: str, number_format: NumberFormat) -> str:
    """An absolute change in the metric's unit: +$1.2M, +0.8 pt, −6, +120."""
    if delta is None or (isinstance(delta, float) and math.isnan(delta)):
        return EMPTY
    sign = "+" if delta > 0 else MINUS if delta < 0 else "±"
    magnitude = abs(delta)
    locale = number_format.locale
    if unit == "percent":
        return f"{sign}{format_decimal(magnitude, locale=locale, format='#,##0.0')} pt"
    if unit == "score":
        return f"{sign}{format_decimal(magnitude, locale=locale, format='#,##0')}"
    return sign + format_value(magnitude, unit, number_format)


def format_change(ratio: float | None, number_format: NumberFormat) -> str:
    """A relative change: +3.2 %, −12.0 %."""
    if ratio is None or (isinstance(ratio, float) and math.isnan(ratio)):
        return EMPTY
    sign = "+" if ratio > 0 else MINUS if ratio < 0 else "±"
    return sign + format_percent(abs(ratio), locale=number_format.locale, format="#,##0.0%")


def format_count(count: int | None, number_format: NumberFormat) -> str:
    """A count of things: 1,204."""
    if count is None:
        return EMPTY
    return format_decimal(count, locale=number_format.locale, format="#,##0")


def format_share(share: float | None, number_format: NumberFormat) -> str:
    """A share 0–1 as a percent: 72 %."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return EMPTY
    return format_percent(share, locale=number_format.locale, format="#,##0%")


def markdown_text(text: str) -> str:
    """Plain text for a Markdown field: two dollar signs would otherwise start a formula."""
    return text.replace("$", "\\$")


def comma_list(items: Iterable[str], separator: str = ", ") -> str:
    """Items for a sentence: "Atlas, Beacon, Cirrus" (or with another separator: "Atlas + Beacon")."""
    return separator.join(items)


def markdown_lines(lines: Iterable[str]) -> str:
    """Lines for one Markdown block, each on a line of its own."""
    return comma_list(lines, separator="  \n")


def markdown_bullets(items: Iterable[str]) -> str:
    """Items as a Markdown bullet list."""
    return comma_list((f"- {item}" for item in items), separator="\n")
