"""Cell values: coerce what an LLM wrote to a column's type, format it, measure it.

``coerce("12.5%", "percent") == 0.125``, ``coerce("¥1,200", "currency") == 1200``,
``coerce("2026-03-01", "date") == date(2026, 3, 1)``, ``coerce("1.2万", "number") == 12000``.
A value that does not parse stays as the text it was, so nothing the model wrote is lost.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

__all__ = ["coerce", "number_format", "display_text", "text_width"]

_SYMBOLS = re.compile(
    r"(?i)^(?:rmb|cny|usd|eur|gbp|jpy|hkd|us)?\s*[¥$€£₩]?\s*|\s*(?:元|块|美元|人民币|rmb|cny|usd|eur)$"
)
_NUMBER = re.compile(r"^([+-]?)\(?(\d{1,3}(?:,\d{3})+|\d+)?(\.\d+)?\)?\s*(万|亿|k|m)?$", re.IGNORECASE)
_SCALE = {"万": 1e4, "亿": 1e8, "k": 1e3, "m": 1e6}
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:[-/.月]\s*(\d{1,2})\s*日?)?\s*月?$")


def _number(text: str) -> float | None:
    """'1,200' → 1200.0, '-3.5' → -3.5, '(45)' → -45.0, '1.2万' → 12000.0; None when not a number."""
    m = _NUMBER.match(text.replace(" ", ""))
    if not m or not (m[2] or m[3]):
        return None
    value = float((m[2] or "0").replace(",", "") + (m[3] or ""))
    value *= _SCALE.get((m[4] or "").lower(), 1)
    negative = m[1] == "-" or (text.startswith("(") and text.endswith(")"))
    return -value if negative else value


def _tidy(value: float) -> int | float:
    """Whole numbers as int (an integer column keeps a fraction; its format shows it rounded)."""
    return int(value) if value.is_integer() else value


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text[:10]) if len(text) >= 10 and text[4] == "-" else _loose_date(text)
    except ValueError:
        return _loose_date(text)


def _loose_date(text: str) -> dt.date | None:
    m = _DATE.match(text)
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3] or 1))
    except ValueError:
        return None


def coerce(value: Any, column_type: str) -> Any:
    """The typed value for a cell, or the original text when it does not parse as ``column_type``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if column_type == "text":
        return value if isinstance(value, str) else _format_plain(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
        if column_type == "percent" and abs(number) > 1:
            number /= 100  # a bare 12.5 in a percent column means 12.5 %
        return number if column_type == "percent" else _tidy(number)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if column_type == "date":
        return _date(text) or str(value)
    return _coerce_text_number(text, column_type, str(value))


def _coerce_text_number(text: str, column_type: str, original: str) -> Any:
    if column_type == "percent":
        is_percent = text.endswith("%")
        number = _number(text.rstrip("%").strip())
        if number is None:
            return original
        return number / 100 if is_percent or abs(number) > 1 else number
    if column_type == "currency":
        text = _SYMBOLS.sub("", text)
    number = _number(text)
    if number is None:
        return original
    return _tidy(number)


def _format_plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def number_format(column_type: str, currency: str) -> str:
    """The Excel number format for a column type."""
    return {
        "integer": "#,##0",
        "number": "#,##0.00",
        "currency": f'"{currency}"#,##0.00',
        "percent": "0.0%",
        "date": "yyyy-mm-dd",
    }.get(column_type, "General")


def display_text(value: Any, column_type: str, currency: str) -> str:
    """Roughly what Excel shows for a typed value (used to fit column widths)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if column_type == "percent":
        return f"{value * 100:,.1f}%"
    if column_type == "integer":
        return f"{value:,.0f}"
    if column_type in ("number", "currency"):
        return (currency if column_type == "currency" else "") + f"{value:,.2f}"
    return _format_plain(value)


def text_width(text: str) -> int:
    """Display width in character cells: CJK and other wide characters count twice."""
    return max(sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line) for line in text.split("\n"))
