"""Dates a model wrote outside the requested period, moved into it in code.

``move_dates(text, periods, default_year)`` finds full and partial dates (2027-12-01, 2027年12月1日,
12月1日, December 30th, 30 Dec 2026) and rewrites each one that no period holds to the in-period
date closest to it that keeps its day of the month (2027-12-01 in January 2027 → 2027-01-01), else
to the nearest end of the closest period. The rewrite keeps the written style (separators, zero
padding, month names, ordinal suffixes). ``request_periods`` reads the periods a request names,
leaving out bare weekday words ("Black Friday" is not a date).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from .checks import Check
from .periods import MONTH_NAMES, Period, find_periods

__all__ = ["Moved", "date_check", "move_dates", "recheck", "request_periods", "stated_days"]

MAX_MONTHS_SCANNED = 24  # months of a long period tried for a same-day candidate

_MN = (
    r"(?P<mn>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?P<d>\d{1,2})(?P<sfx>st|nd|rd|th)?"
_YEAR = r"(?P<y>(?:19|20)\d{2})"
_PATTERNS = [
    re.compile(r"(?<!\d)" + _YEAR + r"\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})(?!\d)"),
    re.compile(r"(?<![\d年/-])(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]"),
    re.compile(r"\b" + _MN + r"\s+" + _DAY + r"\b(?!\s*[:.]\d)(?:,?\s*" + _YEAR + r"\b)?", re.IGNORECASE),
    re.compile(r"\b" + _DAY + r"\s+(?:of\s+)?" + _MN + r"\b(?:,?\s*" + _YEAR + r"\b)?", re.IGNORECASE),
]


@dataclass
class Moved:
    text: str
    moved: list[str] = field(default_factory=list)  # "old → new" for each rewritten date
    outside: list[str] = field(default_factory=list)  # dates that could not be moved


def request_periods(text: str, today: dt.date) -> list[Period]:
    """The periods ``text`` names with a number in them (a weekday word alone is left out)."""
    return [p for p in find_periods(text or "", today) if re.search(r"\d|[一二三四五六七八九十]月", p.text)]


def _inside(day: dt.date, periods: list[Period]) -> bool:
    return any(p.contains(day) for p in periods)


def _months(period: Period) -> list[tuple[int, int]]:
    out, (y, m) = [], (period.start.year, period.start.month)
    while (y, m) <= (period.end.year, period.end.month) and len(out) < MAX_MONTHS_SCANNED:
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _target(day: dt.date, periods: list[Period]) -> dt.date:
    """The in-period date closest to ``day`` with its day of the month, else the closest period end."""
    same = []
    for period in periods:
        for y, m in _months(period):
            try:
                candidate = dt.date(y, m, day.day)
            except ValueError:
                continue
            if period.contains(candidate):
                same.append(candidate)
    if same:
        return min(same, key=lambda c: abs((c - day).days))
    ends = [d for p in periods for d in (p.start, p.end)]
    return min(ends, key=lambda c: abs((c - day).days))


def _suffix(day: int) -> str:
    if 11 <= day % 100 <= 13:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _month_word(old: str, month: int) -> str:
    name = MONTH_NAMES[month - 1]
    dot = "." if old.endswith(".") else ""
    word = old.rstrip(".")
    new = name[:3] if len(word) <= 3 else name
    if word.isupper():
        return new.upper() + dot
    return (new.capitalize() if word[:1].isupper() else new) + dot


def _pad(value: int, old: str, numeric: bool) -> str:
    """``value`` as wide as ``old`` in a numeric date (2027-12-01 → 2027-01-01); 12月 → 1月 stays narrow."""
    return str(value).zfill(len(old)) if numeric or old.startswith("0") else str(value)


def _rewrite(m: re.Match, new: dt.date) -> str:
    """The matched date written again with ``new``'s parts, in the match's own style."""
    groups = m.groupdict()
    parts: list[tuple[int, int, str]] = []
    numeric = not re.search(r"[年月日号]", m.group(0))
    if groups.get("y"):
        parts.append((*m.span("y"), str(new.year)))
    if groups.get("m"):
        parts.append((*m.span("m"), _pad(new.month, groups["m"], numeric)))
    if groups.get("mn"):
        parts.append((*m.span("mn"), _month_word(groups["mn"], new.month)))
    parts.append((*m.span("d"), _pad(new.day, groups["d"], numeric)))
    if groups.get("sfx"):
        parts.append((*m.span("sfx"), _suffix(new.day)))
    text, base = m.group(0), m.start()
    for start, end, value in sorted(parts, reverse=True):
        text = text[: start - base] + value + text[end - base :]
    return text


def _date_of(m: re.Match, default_year: int) -> dt.date | None:
    groups = m.groupdict()
    month = int(groups["m"]) if groups.get("m") else MONTH_NAMES.index(_full(groups["mn"])) + 1
    year = int(groups["y"]) if groups.get("y") else default_year
    try:
        return dt.date(year, month, int(groups["d"]))
    except ValueError:
        return None


def stated_days(text: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Each calendar day ``text`` writes out (2027-02-13, 2月13日, Feb 13, 13th February), as
    ((month, day), (start, end)) in reading order; a span already read is not read again."""
    found: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for _, (s, e) in found):
                continue
            day = _date_of(m, 2000)  # a leap year: 2月29日 stays a day
            if day is not None:
                found.append(((day.month, day.day), m.span()))
    return sorted(found, key=lambda f: f[1][0])


def _full(name: str) -> str:
    word = name.lower().rstrip(".")
    return next(n for n in MONTH_NAMES if n.startswith(word[:3]))


def _yearless_inside(day: dt.date, periods: list[Period]) -> bool:
    for year in {y for p in periods for y in (p.start.year, p.end.year)}:
        try:
            if _inside(day.replace(year=year), periods):
                return True
        except ValueError:
            continue
    return False


def move_dates(text: str, periods: list[Period], default_year: int | None = None) -> Moved:
    """``text`` with every date outside ``periods`` moved into them (see the module docstring)."""
    if not periods or not isinstance(text, str) or not text:
        return Moved(text)
    year = default_year or periods[0].start.year
    result = Moved(text)
    taken: list[tuple[int, int]] = []
    edits: list[tuple[int, int, str]] = []
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            day = _date_of(m, year)
            if day is None:
                continue
            taken.append(m.span())
            has_year = bool(m.groupdict().get("y"))
            if _inside(day, periods) or (not has_year and _yearless_inside(day, periods)):
                continue
            new = _rewrite(m, _target(day, periods))
            edits.append((m.start(), m.end(), new))
            result.moved.append(f"{m.group(0)} → {new}")
    out = text
    for start, end, new in sorted(edits, reverse=True):
        out = out[:start] + new + out[end:]
    result.text = out
    return result


def date_check(periods: list[Period], moved: list[str], left: list[str]) -> Check:
    """The ``dates.period`` check after a repair: ``left`` holds the dates a re-run still found outside."""
    span = "; ".join(f"{p.start.isoformat()}…{p.end.isoformat()}" for p in periods)
    if left:
        return Check(name="dates.period", ok=False, detail=f"{len(left)} dates fall outside {span}: {left[:5]}")
    if moved:
        return Check(name="dates.period", ok=True, detail=f"repaired: moved into {span}: {moved[:5]}")
    return Check(name="dates.period", ok=True, detail=f"dates within {span}")


def recheck(text: str, periods: list[Period], default_year: int | None = None) -> list[str]:
    """The dates in ``text`` still outside ``periods`` (the check re-run after a repair)."""
    return [m.split(" → ")[0] for m in move_dates(text, periods, default_year).moved]
