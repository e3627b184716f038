"""Today's date for prompts and checks: one source, fixed in tests and reproducible runs.

Small models guess the year from their training data, so every content prompt states the date.
``today`` is ``quality.today.today`` (the one source: pinned for a run, else the ``today`` setting
passed in, else the system date); ``date_line`` says it in the prompt's language, weekday included;
``drop_date_echo`` removes that sentence when a small model copies it into its output.
"""

from __future__ import annotations

import re
from datetime import date

from .today import today

__all__ = ["today", "date_line", "drop_date_echo"]

_WEEKDAYS_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def date_line(language: str, day: date | None = None) -> str:
    """'今天是 2026年12月1日，星期二。' / 'Today is Tuesday, 1 December 2026.'"""
    day = today(day)
    if language == "zh":
        return f"今天是 {day.year}年{day.month}月{day.day}日，{_WEEKDAYS_ZH[day.weekday()]}。"
    return f"Today is {_WEEKDAYS_EN[day.weekday()]}, {day.day} {_MONTHS_EN[day.month - 1]} {day.year}."


_ECHO = re.compile(
    r"(?:今天是\s*\d{4}年\d{1,2}月\d{1,2}日[，,]?\s*星期[一二三四五六日][。.]?"
    r"|Today is (?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \d{1,2} [A-Z][a-z]+ \d{4}\.?)"
    r"[ \t]*"
)


def drop_date_echo(text: str) -> str:
    """``text`` without the prompt's own date sentence ('Today is Tuesday, 1 December 2026.') copied into it."""
    return _ECHO.sub("", text).strip() if text else text
