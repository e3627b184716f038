"""Periods named in a request, resolved against today's date into concrete date ranges.

``find_periods("weekly sales for Q3 2026", today)`` → ``[Period(2026-07-01 … 2026-09-30, quarter)]``.
Understood, in Chinese and English:

- explicit dates and months: ``2026-07-01``, ``2026年7月1日``, ``7月1日``, ``July 1, 2026``, ``2026年3月``,
  ``March 2026``, month ranges ``1-6 月`` / ``January to June``, and two dates joined by to/至/到/-;
- quarters and halves: ``Q3 2026``, ``2026 Q3``, ``2026年第三季度``, ``三季度``, ``third quarter``, ``H1``,
  ``上半年``; years: ``2026年``, ``in 2026``;
- relative periods: today/今天, tomorrow/明天, this/next/last week (本周/下周/上周), weekend (周末),
  weekdays (``this Saturday``, ``本周六``, ``下周三``), month (本月/下个月/上个月), quarter (本季度/下季度),
  year (今年/明年/去年), ``past 3 months`` / ``近三个月``, ``next 2 weeks`` / ``未来两周``.

Rules: weeks run Monday to Sunday; "this"/bare weekdays and weekends are never in the past (on a
Sunday "this Saturday" is the coming one); a month, quarter or day named without a year is its
nearest occurrence (``Q1`` said in November is next year's, ``Q3`` said in October this year's).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

__all__ = ["EN_NUMBERS", "Period", "ZH_DIGITS", "find_periods", "month_range", "number", "quarter_range", "week_range"]

Unit = Literal["day", "week", "weekend", "month", "quarter", "half", "year", "range"]
_DAY = dt.timedelta(days=1)


class Period(BaseModel):
    """A concrete date range (both ends included) and the words it came from."""

    start: dt.date
    end: dt.date
    unit: Unit
    text: str = ""

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def buckets(self, interval: str, count: int | None = None) -> list[tuple[dt.date, dt.date]]:
        """The period cut into days, weeks (Monday to Sunday, clipped to the period), months,
        quarters or years; with ``count`` weeks, ``count`` seven-day blocks from the start, the last
        one ending with the period."""
        if interval == "week" and count:
            return _blocks(self.start, self.end, count)
        step = {
            "day": lambda d: d,
            "week": lambda d: week_range(d)[1],
            "month": lambda d: month_range(d.year, d.month)[1],
            "quarter": lambda d: quarter_range(d.year, (d.month - 1) // 3 + 1)[1],
            "year": lambda d: dt.date(d.year, 12, 31),
        }.get(interval)
        if step is None:
            return [(self.start, self.end)]
        out, day = [], self.start
        while day <= self.end:
            end = min(step(day), self.end)
            out.append((day, end))
            day = end + _DAY
        return out


def _blocks(start: dt.date, end: dt.date, count: int) -> list[tuple[dt.date, dt.date]]:
    out = []
    for i in range(count):
        first = start + dt.timedelta(days=7 * i)
        if first > end:
            break
        last = end if i == count - 1 else min(first + dt.timedelta(days=6), end)
        out.append((first, last))
    return out


# ---------------------------------------------------------------- calendar helpers


def month_range(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def quarter_range(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 3 * quarter - 2, 1), month_range(year, 3 * quarter)[1]


def week_range(day: dt.date) -> tuple[dt.date, dt.date]:
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def _add_months(year: int, month: int, k: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + k
    return index // 12, index % 12 + 1


def _nearest(today: dt.date, make: Callable[[int], tuple[dt.date, dt.date]]) -> tuple[dt.date, dt.date]:
    """The occurrence (last, this or next year) whose middle is nearest to today."""
    options = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            options.append(make(year))
        except ValueError:  # 29 February in a common year
            continue
    return min(options, key=lambda se: (abs((se[0] + (se[1] - se[0]) / 2) - today), -se[0].year))


# ---------------------------------------------------------------- numbers

ZH_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
EN_NUMBERS = {
    w: i
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}
EN_NUMBERS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90, "a dozen": 12, "dozen": 12})
ZH_NUM = r"[零〇一二两三四五六七八九十百]+"
EN_NUM = r"(?:a\s+dozen|" + "|".join(sorted(EN_NUMBERS, key=len, reverse=True)) + r")"


def number(token: str) -> int | None:
    """'13' → 13, '十三' → 13, '二十一' → 21, '两' → 2, 'thirteen' → 13; None when not a number."""
    token = token.strip().lower()
    if token.isdigit():
        return int(token)
    if token in EN_NUMBERS:
        return EN_NUMBERS[token]
    if not token or any(c not in ZH_DIGITS and c not in "十百" for c in token):
        return None
    total, current = 0, 0
    for ch in token:
        if ch in ZH_DIGITS:
            current = ZH_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:  # 百
            total += (current or 1) * 100
            current = 0
    return total + current


# ---------------------------------------------------------------- finding periods

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
MONTH = (
    r"\b(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
)
MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_FULL_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_ZH_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_EN_WEEKDAYS = {
    d: i for i, d in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
}
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
_RANGE_JOIN = re.compile(r"^\s*(?:from\s+)?(?:-|–|—|~|～|to|through|thru|until|till|至|到|——)\s*$", re.IGNORECASE)


@dataclass
class _Found:
    start: int
    end: int
    period: Period
    explicit_year: bool = True


def _month_no(name: str) -> int:
    return _MONTHS[name.lower()[:3]]


def _zh_or_digit(token: str | None) -> int | None:
    return number(token) if token else None


def _day(today: dt.date, year: str | None, month: int, day: int) -> tuple[dt.date, dt.date, bool]:
    if year:
        d = dt.date(int(year), month, day)
        return d, d, True
    start, end = _nearest(today, lambda y: (dt.date(y, month, day),) * 2)
    return start, end, False


def _within_year(today: dt.date, year: str | None, make: Callable[[int], tuple[dt.date, dt.date]]):
    if year:
        y = int(year) + (2000 if len(year) == 2 else 0)
        return (*make(y), True)
    return (*_nearest(today, make), False)


def _weekday(today: dt.date, weekday: int, which: str) -> dt.date:
    monday = week_range(today)[0]
    if which == "next":
        return monday + dt.timedelta(days=7 + weekday)
    if which == "last":
        return monday + dt.timedelta(days=weekday - 7)
    day = monday + dt.timedelta(days=weekday)
    return day if day >= today else day + dt.timedelta(days=7)


def _which(word: str | None) -> str:
    word = (word or "").lower().strip()
    if word in ("next", "下", "下个", "下一个"):
        return "next"
    if word in ("last", "上", "上个", "上一个"):
        return "last"
    return "this"


Handler = Callable[[re.Match, dt.date], "tuple[dt.date, dt.date, str, bool] | None"]
_PATTERNS: list[tuple[re.Pattern, Handler]] = []


def _pattern(regex: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _PATTERNS.append((re.compile(regex, re.IGNORECASE), fn))
        return fn

    return register


@_pattern(r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?(?!\d)")
def _iso_day(m, today):
    return (*_day(today, m[1], int(m[2]), int(m[3]))[:2], "day", True)


@_pattern(MONTH + r"\s+(\d{1,2})\s*[-–]\s*(\d{1,2})\b(?!\s*[:.]\d)(?:,?\s*((?:19|20)\d{2})\b)?")
def _en_month_day_range(m, today):
    """Nov 27-30: one month, two days."""
    start = _day(today, m[4], _month_no(m[1]), int(m[2]))[0]
    end = start.replace(day=int(m[3]))
    return (start, end, "range", bool(m[4])) if end >= start else None


@_pattern(MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?\b(?!\s*[:.]\d)(?:,?\s*((?:19|20)\d{2})\b)?")
def _en_month_day(m, today):
    start, end, explicit = _day(today, m[3], _month_no(m[1]), int(m[2]))
    return start, end, "day", explicit


@_pattern(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + MONTH + r"(?:,?\s*((?:19|20)\d{2})\b)?")
def _en_day_month(m, today):
    start, end, explicit = _day(today, m[3], _month_no(m[2]), int(m[1]))
    return start, end, "day", explicit


@_pattern(r"(?<![\d年])(\d{1,2}|[一二三四五六七八九十]{1,2})\s*月\s*(\d{1,2}|[一二三四五六七八九十]{1,3})\s*[日号]")
def _zh_month_day(m, today):
    start, end, explicit = _day(today, None, number(m[1]) or 0, number(m[2]) or 0)
    return start, end, "day", explicit


@_pattern(
    r"(?:(\d{4})\s*年\s*)?(?<!\d)(\d{1,2}|[一二三四五六七八九十]{1,2})\s*(?:月份?)?\s*(?:-|–|—|~|～|至|到)\s*"
    r"(\d{1,2}|[一二三四五六七八九十]{1,2})\s*月份?"
)
def _zh_month_range(m, today):
    first, last = number(m[2]) or 0, number(m[3]) or 0
    if not 1 <= first <= last <= 12:
        return None
    start, end, explicit = _within_year(today, m[1], lambda y: (month_range(y, first)[0], month_range(y, last)[1]))
    return start, end, "range", explicit


@_pattern(MONTH + r"\s*(?:-|–|to|through|until)\s*" + MONTH + r"(?:,?\s*((?:19|20)\d{2})\b)?")
def _en_month_range(m, today):
    first, last = _month_no(m[1]), _month_no(m[2])
    if first > last:
        return None
    start, end, explicit = _within_year(today, m[3], lambda y: (month_range(y, first)[0], month_range(y, last)[1]))
    return start, end, "range", explicit


@_pattern(r"(?<!\d)(\d{4})\s*年\s*(\d{1,2}|[一二三四五六七八九十]{1,2})\s*月份?|(?<!\d)(\d{4})[-/](\d{1,2})(?![-/\d])")
def _year_month(m, today):
    year, month = (m[1], number(m[2])) if m[1] else (m[3], int(m[4]))
    if not month or not 1 <= month <= 12:
        return None
    return (*month_range(int(year), month), "month", True)


@_pattern(MONTH + r",?\s+(?:of\s+)?((?:19|20)\d{2})\b")
def _en_month_year(m, today):
    return (*month_range(int(m[2]), _month_no(m[1])), "month", True)


@_pattern(
    r"(今年|明年|去年|后年)\s*(?:的\s*)?(\d{1,2}|[一二三四五六七八九十]{1,2})\s*月份?(?!\s*\d)|\b(this|next|last|coming)\s+("
    + "|".join(_FULL_MONTHS + ("may",))
    + r")\b"
)
def _relative_month(m, today):
    if m[1]:
        month = number(m[2]) or 0
        year = today.year + {"今年": 0, "明年": 1, "去年": -1, "后年": 2}[m[1]]
    else:
        month, which = _month_no(m[4]), m[3].lower()
        this_year_end = month_range(today.year, month)[1]
        year = {"next": today.year + 1, "last": today.year - (month >= today.month)}.get(
            which, today.year if this_year_end >= today else today.year + 1
        )  # "this December" is never past
    if not 1 <= month <= 12:
        return None
    return (*month_range(year, month), "month", True)


@_pattern(
    r"\bQ([1-4])\s*(?:of\s+|[-/]\s*)?(?:FY\s*)?(?:'(\d{2})\b|((?:19|20)\d{2})\b)|\b((?:19|20)\d{2})\s*(?:年\s*)?"
    r"(?:的\s*)?(?:第\s*)?Q([1-4])\b"
)
def _q_year(m, today):
    quarter, year = (int(m[1]), m[2] or m[3]) if m[1] else (int(m[5]), m[4])
    start, end, explicit = _within_year(today, year, lambda y: quarter_range(y, quarter))
    return start, end, "quarter", explicit


@_pattern(r"(\d{4})\s*年\s*(?:的\s*)?(?:第\s*)?([一二三四1-4])\s*季度")
def _zh_year_quarter(m, today):
    quarter = number(m[2]) or 1
    return (*quarter_range(int(m[1]), quarter), "quarter", True)


@_pattern(r"\b(first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter\b(?:\s+(?:of\s+)?((?:19|20)\d{2})\b)?")
def _en_quarter(m, today):
    quarter = _ORDINALS[m[1].lower()]
    start, end, explicit = _within_year(today, m[2], lambda y: quarter_range(y, quarter))
    return start, end, "quarter", explicit


@_pattern(r"(?<![本上下这个\d])(?:第\s*)?([一二三四1-4])\s*季度|\bQ([1-4])\b")
def _bare_quarter(m, today):
    quarter = number(m[1]) if m[1] else int(m[2])
    start, end, explicit = _within_year(today, None, lambda y: quarter_range(y, quarter or 1))
    return start, end, "quarter", explicit


@_pattern(
    r"\bH([12])\b(?:\s*((?:19|20)\d{2})\b)?|(?:((?:19|20)\d{2})\s*年\s*(?:的\s*)?)?([上下])半年"
    r"|\b(first|second)\s+half\s+(?:of\s+)?(?:the\s+year\s*)?((?:19|20)\d{2})?"
)
def _half(m, today):
    if m[1]:
        half, year = int(m[1]), m[2]
    elif m[4]:
        half, year = (1 if m[4] == "上" else 2), m[3]
    else:
        half, year = (1 if m[5].lower() == "first" else 2), m[6]

    def make(y: int) -> tuple[dt.date, dt.date]:
        return (dt.date(y, 1, 1), dt.date(y, 6, 30)) if half == 1 else (dt.date(y, 7, 1), dt.date(y, 12, 31))

    start, end, explicit = _within_year(today, year, make)
    return start, end, "half", explicit


@_pattern(
    r"\b(?:past|last|previous)\s+(\d+|"
    + EN_NUM
    + r")\s+(days|weeks|months)\b|(?:近|最近|过去)\s*(\d+|"
    + ZH_NUM
    + r")\s*(天|日|周|个星期|个月)"
)
def _recent(m, today):
    count, unit = (number(m[1]), m[2].lower()) if m[1] else (number(m[3]), m[4])
    if not count:
        return None
    return _span_back(today, count, unit), today, "range", True


@_pattern(
    r"\b(?:next|coming|following)\s+(\d+|"
    + EN_NUM
    + r")\s+(days|weeks|months)\b|(?:未来|接下来的?|今后)\s*(\d+|"
    + ZH_NUM
    + r")\s*(天|日|周|个星期|个月)"
)
def _coming(m, today):
    count, unit = (number(m[1]), m[2].lower()) if m[1] else (number(m[3]), m[4])
    if not count:
        return None
    return today, _span_forward(today, count, unit), "range", True


def _span_back(today: dt.date, count: int, unit: str) -> dt.date:
    if unit in ("months", "个月"):
        y, mo = _add_months(today.year, today.month, -count)
        return dt.date(y, mo, min(today.day, calendar.monthrange(y, mo)[1])) + _DAY
    return today - dt.timedelta(days=count * (7 if unit in ("weeks", "周", "个星期") else 1) - 1)


def _span_forward(today: dt.date, count: int, unit: str) -> dt.date:
    if unit in ("months", "个月"):
        y, mo = _add_months(today.year, today.month, count)
        return dt.date(y, mo, min(today.day, calendar.monthrange(y, mo)[1])) - _DAY
    return today + dt.timedelta(days=count * (7 if unit in ("weeks", "周", "个星期") else 1) - 1)


@_pattern(r"\b(this|next|last|coming)\s+weekend\b|(本|这个?|下个?|上个?)周末|(?<![本这下上个每])周末|\bweekend\b")
def _weekend(m, today):
    which = _which(m[1] or m[2])
    saturday = _weekday(today, 5, which)
    if which == "this" and today.weekday() == 6:
        saturday = today - _DAY  # on a Sunday "this weekend" is the one under way
    return saturday, saturday + _DAY, "weekend", True


@_pattern(
    r"(?<!every\s)\b(?:(this|next|last|coming)\s+)?(monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r"\b(?!s)|(?<![每\d零一二两三四五六七八九十])(本|这个?|下个?|上个?)?(?:周|星期|礼拜)([一二三四五六日天])(?![个家款位名])"
)
def _weekday_match(m, today):
    if m[2]:
        weekday, which = _EN_WEEKDAYS[m[2].lower()], _which(m[1])
    else:
        weekday, which = _ZH_WEEKDAYS[m[4]], _which(m[3])
    day = _weekday(today, weekday, which)
    return day, day, "day", True


_RELATIVE: list[tuple[str, str, int]] = [
    (r"\b(?:this|current)\s+quarter\b|本季度?|这个?季度|当季度?", "quarter", 0),
    (r"\bnext\s+quarter\b|下一?个?季度", "quarter", 1),
    (r"\b(?:last|previous)\s+quarter\b|上一?个?季度", "quarter", -1),
    (r"\b(?:this|current)\s+month\b|本月|这个月|当月", "month", 0),
    (r"\bnext\s+month\b|下一?个?月(?!\d)", "month", 1),
    (r"\b(?:last|previous)\s+month\b|上一?个?月(?!\d)", "month", -1),
    (r"\b(?:this|current)\s+week\b|本周|这周|这个?星期|本星期|这个?礼拜", "week", 0),
    (r"\bnext\s+week\b|下周|下一?个?星期|下一?个?礼拜", "week", 1),
    (r"\b(?:last|previous)\s+week\b|上周|上一?个?星期|上一?个?礼拜", "week", -1),
    (r"\b(?:this|current)\s+year\b|今年|本年度?", "year", 0),
    (r"\bnext\s+year\b|明年|来年|下一年", "year", 1),
    (r"\b(?:last|previous)\s+year\b|去年|上一年", "year", -1),
    (r"前年", "year", -2),
    (r"\btoday\b|今天|今日", "day", 0),
    (r"\bthe\s+day\s+after\s+tomorrow\b|后天", "day", 2),
    (r"\btomorrow\b|明天|明日", "day", 1),
    (r"\byesterday\b|昨天|昨日", "day", -1),
]


def _relative(unit: str, shift: int) -> Handler:
    def handler(m, today):
        if unit == "day":
            day = today + dt.timedelta(days=shift)
            return day, day, "day", True
        if unit == "week":
            start = week_range(today)[0] + dt.timedelta(days=7 * shift)
            return start, start + dt.timedelta(days=6), "week", True
        if unit == "month":
            return (*month_range(*_add_months(today.year, today.month, shift)), "month", True)
        if unit == "quarter":
            y, q = divmod(today.year * 4 + (today.month - 1) // 3 + shift, 4)
            return (*quarter_range(y, q + 1), "quarter", True)
        return dt.date(today.year + shift, 1, 1), dt.date(today.year + shift, 12, 31), "year", True

    return handler


for _regex, _unit, _shift in _RELATIVE:
    _PATTERNS.append((re.compile(_regex, re.IGNORECASE), _relative(_unit, _shift)))


@_pattern(
    r"\b(" + "|".join(_FULL_MONTHS) + r")\b|(?<![\d个-])(\d{1,2}|[一二三四五六七八九十]{1,2})\s*月份?(?![\d日号])"
)
def _bare_month(m, today):
    if m[1]:
        if not m[1][0].isupper():  # "march", "august" as words
            return None
        month = _month_no(m[1])
    else:
        month = number(m[2]) or 0
        if not 1 <= month <= 12:
            return None
    start, end, explicit = _within_year(today, None, lambda y: month_range(y, month))
    return start, end, "month", explicit


@_pattern(
    r"(?<!\d)((?:19|20)\d{2})\s*(?:年度?|财年)(?!\s*\d)|\b(?:FY\s*)?((?:19|20)\d{2})\b(?!\s*(?:[%$¥€£元万千]|[-/.]\d))"
)
def _year(m, today):
    year = int(m[1] or m[2])
    if not m[1] and abs(year - today.year) > 10:
        return None  # a bare number such as 2000 units, not a year
    return dt.date(year, 1, 1), dt.date(year, 12, 31), "year", True


def find_periods(text: str, today: dt.date) -> list[Period]:
    """Every period named in ``text``, in order of appearance, resolved against ``today``."""
    found: list[_Found] = []
    for pattern, handler in _PATTERNS:
        for m in pattern.finditer(text):
            if any(f.start < m.end() and m.start() < f.end for f in found):
                continue
            try:
                resolved = handler(m, today)
            except ValueError:  # 31 February and the like: not a date
                continue
            if resolved is None:
                continue
            start, end, unit, explicit = resolved
            period = Period(start=start, end=end, unit=unit, text=m.group(0).strip())
            found.append(_Found(m.start(), m.end(), period, explicit))
    return [f.period for f in _join_ranges(sorted(found, key=lambda f: f.start), text)]


def _join_ranges(found: list[_Found], text: str) -> list[_Found]:
    """Two dates joined by to/至/到/- become one range (the second takes the first's year)."""
    out: list[_Found] = []
    for item in found:
        prev = out[-1] if out else None
        if (
            prev
            and prev.period.unit == "day"
            and item.period.unit == "day"
            and _RANGE_JOIN.match(text[prev.end : item.start])
        ):
            end = item.period.end
            if not item.explicit_year:
                end = end.replace(year=prev.period.start.year)
                if end < prev.period.start:
                    end = end.replace(year=end.year + 1)
            elif 0 < (prev.period.start - end).days < 7:  # 下周一到周五: the Friday of that week
                end += dt.timedelta(days=7)
            if end >= prev.period.start:
                words = text[prev.start : item.end].strip()
                out[-1] = _Found(
                    prev.start,
                    item.end,
                    Period(start=prev.period.start, end=end, unit="range", text=words),
                    prev.explicit_year,
                )
                continue
        out.append(item)
    return out
