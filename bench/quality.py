"""Content quality of the apps, templates, designs and music on the evaluation set (issue 11).

    .venv/bin/python bench/quality.py [--model ID] [--only ID|TARGET|KIND ...] [--language zh|en]
                                      [--limit N] [--out results.json] [--today YYYY-MM-DD]

Runs every request of ``bench/quality_set.yaml`` through the real path (``run_app``, ``run_template``,
``Studio.generate_media`` for designs and music) with one model (default: qwen2.5-coder-1.5b-instruct, the
default chat model, used as the planner too), then applies the checks each entry lists. Checks come
from two places:

- the result's own ``checks`` (apps and templates report them; designs through the design engine's
  ``design_checks(spec, request_text)`` when it exists; music through each media's ``meta["checks"]``),
  looked up by key or attribute so the bench runs whether or not they are there;
- the bench's checkers (``CHECKERS`` below, built on ``zaowu.studio.quality``), which judge the
  result independently: counts, dates within the period, durations, sums, channel format, distinct
  variants, language, unsupported claims, icon and palette fit.

It prints and writes (``--out``) the pass rate per check and per app, the requirement pass rate,
duplicate variants, unsupported claims, icon/palette fit and wall time per app. ``--limit`` takes
requests round-robin over the targets, so a small limit still spreads over the apps.
"""

from __future__ import annotations

import argparse
import calendar
import json
import logging
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from zaowu.studio.quality import Check, check_count, check_distinct, check_language, find_claims, similarity
from zaowu.studio.quality.checks import DUPLICATE_SIMILARITY
from zaowu.types import Caller

log = logging.getLogger("bench.quality")

SET_FILE = Path(__file__).with_name("quality_set.yaml")
DEFAULT_MODEL = "qwen2.5-coder-1.5b-instruct"
KINDS = ("app", "template", "image", "music")
# checks that test whether an explicit requirement of the request was honoured
REQUIREMENT_CHECKS = frozenset(
    {"count", "dates", "duration", "sum", "contains", "length", "channel", "equals", "range", "allowed"}
)
EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf\u2b50\u2764]")
SUM_TOLERANCE = 0.01  # relative: a total may differ from its items by rounding only


# ---------------------------------------------------------------- the evaluation set


@dataclass
class Entry:
    id: str
    kind: str
    target: str
    language: str
    input: dict[str, Any]
    checks: list[dict[str, Any]]
    seed: int = 0

    @property
    def request_text(self) -> str:
        """What the requester wrote, as one text (the facts claims may rely on)."""
        return " ".join(str(v) for v in self.input.values() if isinstance(v, (str, int, float)))


def load_set(path: Path = SET_FILE, base_seed: int = 7) -> list[Entry]:
    import yaml

    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = [Entry(**item, seed=base_seed + i) for i, item in enumerate(raw)]
    ids = [e.id for e in entries]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate ids in {path}")
    for e in entries:
        if e.kind not in KINDS or e.language not in ("zh", "en"):
            raise ValueError(f"{e.id}: kind must be one of {KINDS} and language zh or en")
        unknown = [c.get("check") for c in e.checks if c.get("check") not in CHECKERS]
        if unknown:
            raise ValueError(f"{e.id}: unknown checks {unknown}; known: {', '.join(CHECKERS)}")
    return entries


def select(
    entries: list[Entry], only: list[str] | None = None, language: str | None = None, limit: int | None = None
) -> list[Entry]:
    """Entries matching ``only`` (an id, id prefix, target or kind) and ``language``, taken round-robin
    over their targets so the first ``limit`` spread over the apps."""
    chosen = [
        e
        for e in entries
        if (not only or any(e.id.startswith(o) or o in (e.kind, e.target) for o in only))
        and (language is None or e.language == language)
    ]
    groups: dict[str, list[Entry]] = defaultdict(list)
    for e in chosen:
        groups[e.target].append(e)
    ordered: list[Entry] = []
    queues = list(groups.values())
    while any(queues):
        for q in queues:
            if q:
                ordered.append(q.pop(0))
    return ordered[:limit] if limit else ordered


# ---------------------------------------------------------------- reading results


def resolve(doc: Any, path: str) -> list[Any]:
    """Values at a dotted ``path``; ``name[]`` steps into each item of a list (``variants[].body``:
    every variant's body). An empty path is the document itself."""
    values = [doc]
    for part in (p for p in path.split(".") if p) if path else ():
        key, many = (part[:-2], True) if part.endswith("[]") else (part, False)
        nxt: list[Any] = []
        for v in values:
            x = v.get(key) if key and isinstance(v, dict) else (v if not key else None)
            if x is None:
                continue
            if many and isinstance(x, list):
                nxt.extend(x)
            elif not many:
                nxt.append(x)
        values = nxt
    return values


def _paths(params: dict[str, Any]) -> list[str]:
    path = params.get("path", "")
    return list(path) if isinstance(path, list) else [path]


def as_text(value: Any) -> str:
    """Strings as they are; lists and dicts as their strings joined (a table row, a slide)."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return " ".join(as_text(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(as_text(v) for v in value)
    return str(value)


def texts(doc: Any, params: dict[str, Any]) -> list[str]:
    """The texts at the check's paths: one per value, a list of strings giving one per string."""
    values = [v for p in _paths(params) for v in resolve(doc, p)]
    flat = [x for v in values for x in (v if isinstance(v, list) and all(isinstance(i, str) for i in v) else [v])]
    return [t for t in map(as_text, flat) if t.strip()]


def _label(params: dict[str, Any]) -> str:
    """The check's name suffix: ``name`` when given, else the last key of the first path."""
    if params.get("name"):
        return params["name"]
    keys = [k.removesuffix("[]") for k in _paths(params)[0].split(".") if k.removesuffix("[]")]
    return keys[-1] if keys else "result"


# ---------------------------------------------------------------- dates and periods

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m} | {
    m.lower(): i for i, m in enumerate(calendar.month_abbr) if m
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_PATTERNS = (
    re.compile(r"(?<!\d)(?P<y>20\d\d)[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})(?!\d)"),
    re.compile(r"(?:(?P<y>20\d\d)年)?(?<!\d)(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]"),
    re.compile(
        rf"\b(?P<mn>{_MONTH_RE})\.?\s+(?P<d>\d{{1,2}})(?!\d)(?:st|nd|rd|th)?(?:,?\s+(?P<y>20\d\d))?", re.IGNORECASE
    ),
    re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<mn>{_MONTH_RE})\b\.?(?:,?\s+(?P<y>20\d\d))?", re.IGNORECASE),
)
# a year as written in a date or period (2026年, 2026-09, 2026/9, Q3 2026, in 2025), not an amount such as 2000 cups
_YEAR = re.compile(
    r"(?<![\d.,¥$])(20\d\d)(?=年|[-/.]\d{1,2}(?!\d))|\b(?:in|since|year|FY|Q[1-4]|H[12])\s+(20\d\d)(?!\d)"
    r"|(?<![\d.,¥$])\b(20\d\d)(?=\s+(?!(?:cups?|units?|pcs|pieces|orders?|items?|yuan|rmb|usd|dollars?|"
    r"customers?|members?|people|visitors?|sales|k)\b)[A-Za-z])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    any_year: bool = False  # --MM-DD periods: month and day only

    def contains(self, day: date) -> bool:
        if self.any_year:
            return (self.start.month, self.start.day) <= (day.month, day.day) <= (self.end.month, self.end.day)
        return self.start <= day <= self.end

    def __str__(self) -> str:
        fmt = "%m-%d" if self.any_year else "%Y-%m-%d"
        return f"{self.start.strftime(fmt)}..{self.end.strftime(fmt)}"


def parse_period(spec: str, today: date) -> Period:
    """A period of the set file resolved against ``today`` (see the set file's header)."""
    spec = str(spec).strip()
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", spec):
        year, q = int(m.group(1)), int(m.group(2))
        end_month = 3 * q
        return Period(date(year, end_month - 2, 1), date(year, end_month, calendar.monthrange(year, end_month)[1]))
    if m := re.fullmatch(r"(\d{4})-(\d{2})", spec):
        year, month = int(m.group(1)), int(m.group(2))
        return Period(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))
    if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", spec):
        return Period(date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2)))
    if m := re.fullmatch(r"--(\d{2})-(\d{2})\.\.--(\d{2})-(\d{2})", spec):
        a, b, c, d = map(int, m.groups())
        return Period(date(2000, a, b), date(2000, c, d), any_year=True)
    if spec == "this_saturday":
        day = today + timedelta(days=(5 - today.weekday()) % 7)
        return Period(day, day)
    monday = today - timedelta(days=today.weekday())
    if spec in ("this_week", "next_week"):
        start = monday + timedelta(days=7 if spec == "next_week" else 0)
        return Period(start, start + timedelta(days=6))
    if spec in ("this_month", "next_month"):
        year, month = today.year, today.month
        if spec == "next_month":
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return Period(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))
    raise ValueError(f"unknown period '{spec}'")


def find_dates(text: str, default_year: int) -> list[date]:
    """Dates written in ``text`` (2027-01-04, 2027年1月4日, 1月4日, Jan 4, 4 January 2027); a date
    without a year takes ``default_year``. Impossible dates (2月30日) are skipped."""
    found: dict[int, date] = {}
    spans: list[tuple[int, int]] = []
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in spans):
                continue  # already read by an earlier pattern (2027年2月5日 is one date)
            groups = m.groupdict()
            month = int(groups["m"]) if groups.get("m") else _MONTHS[groups["mn"].lower().rstrip(".")]
            year = int(groups["y"]) if groups.get("y") else default_year
            try:
                found[m.start()] = date(year, month, int(groups["d"]))
            except ValueError:
                continue
            spans.append(m.span())
    return [found[k] for k in sorted(found)]


# ---------------------------------------------------------------- the bench's checkers


@dataclass
class Context:
    entry: Entry
    today: date
    stats: dict[str, Any] = field(default_factory=dict)  # duplicates, claims… for the summary


def c_count(doc: Any, p: dict[str, Any], ctx: Context) -> Check:
    lists = [v for path in _paths(p) for v in resolve(doc, path)]
    lengths = [len(v) if isinstance(v, list) else 1 for v in lists] or [0]
    bad = [n for n in lengths if n != p["expected"]]
    check = check_count(_label(p), bad[0] if bad else lengths[0], p["expected"])
    if len(lengths) > 1:
        check.detail = f"{len(lengths) - len(bad)} of {len(lengths)} lists hold {p['expected']} (found {lengths})"
    return check


def c_distinct(doc: Any, p: dict[str, Any], ctx: Context) -> Check:
    items = texts(doc, p)
    check = check_distinct(_label(p), items)
    pairs = [
        (i, j)
        for i in range(len(items))
        for j in range(i + 1, len(items))
        if similarity(items[i], items[j]) > DUPLICATE_SIMILARITY
    ]
    ctx.stats["duplicate_pairs"] = ctx.stats.get("duplicate_pairs", 0) + len(pairs)
    if len(items) < 2:
        return Check(name=check.name, ok=False, detail=f"only {len(items)} variant(s) to compare")
    return check


def c_language(doc: Any, p: dict[str, Any], ctx: Context) -> Check:
    text = "\n".join(texts(doc, p))
    check = check_language(_label(p), text, p.get("language", ctx.entry.language), allow=ctx.entry.request_text)
    return Check(
        name="language", ok=check.ok and bool(text.strip()), detail=check.detail if text.strip() else "no text"
    )


def c_claims(doc: Any, p: dict[str, Any], ctx: Context) -> Check:
    claims = [c.text for t in texts(doc, p) for c in find_claims(t, ctx.entry.request_text)]
    ctx.stats["unsupported_claims"] = ctx.stats.get("unsupported_claims", 0) + len(claims)
    detail = "none" if not claims else "unsupported: " + ", ".join(f"'{c}'" for c in claims[:8])
    return Check(name="claims", ok=not claims, detail=detail)


_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])\d+(?:[.,:]\d+)*")
SMALL_NUMBER = 10  # counts and list numbering up to this need no source in the request


def _number_values(text: str) -> set[float]:
    return {float(n.replace(",", "")) for n in _NUMBER.findall(text) if re.fullmatch(r"[\d.]+", n.replace(",", ""))}


def invented_numbers(text: str, source: str) -> list[str]:
    """Numbers in ``text`` that ``source`` does not give (prices, years, percentages made up); small
    counts, and numbers whose parts all come from the source (11.11 from 11月11日), are allowed."""
    allowed = set(_number_values(source))
    out = []
    for token in _NUMBER.findall(text):
        plain = token.replace(",", "") if re.fullmatch(r"\d{1,3}(?:,\d{3})+", token) else token
        parts = [float(x) for x in re.split(r"[.,:]", plain) if x]
        whole = float(plain) if re.fullmatch(r"\d+(?:\.\d+)?", plain) else None
        if whole is not None and (whole in allowed or whole <= SMALL_NUMBER):
            continue
        if all(x in allowed or x <= SMALL_NUMBER for x in parts):
            continue
        out.append(token)
    return out


def c_numbers(doc: Any, p: dict[str, Any], ctx: Context) -> Check:
    found = [n for t in texts(doc, p) for n in invented_numbers(t, ctx.entry.request_text)]
    ctx.stats["invented_numbers"] = ctx.stats.get("invented_numbers", 0) + len(found)
    detail = "every number comes from the request" if not found else f"not in the request: {', '.join(found[:8])}"
    return Check(name="numbers", ok=not found, detail=detail)


def c_length(doc: Any, p: dict[str, Any], ctx: Context) -> Check:
    items = texts(doc, p)
    lo, hi = p.get("min", 1), p["max"]
    bad = [len(t) for t in items if not lo <= len(t) <= hi]
    detail = f"{len(items) - len(bad)} of {len(items)} within {lo}–{hi} characters" + (f" (found {bad})" if bad else "")
    return Check(name=f"length.{_label(p)}", ok=bool(items) and not bad, detail=detail)


_CHANNELS: dict[str, dict[str, Any]] = {
    "xiaohongshu": {"emoji": True, "hashtags": (3, 8), "short_lines": 60},
    "weibo": {"max": 140},
    "wechat_moments": {"max": 120, "hashtags": (0, 0)},
    "x": {"max": 280},
    "instagram": {"hashtags": (3, 10)},
    "sms": {"max": {"zh": 70, "en": 160}},
}


def _channel_problems(obj: Any, rules: dict[str, Any], language: str) -> list[str]:
    obj = obj if isinstance(obj, dict) else {"body": as_text(obj)}
    title, body = as_text(obj.get("title")), as_text(obj.get("body") or obj.get("text"))
    problems = []
    limit = rules.get("max")
    limit = limit.get(language) if isinstance(limit, dict) else limit
    if limit and len(body) > limit:
        problems.append(f"{len(body)} characters (max {limit})")
    if rules.get("emoji") and not EMOJI.search(title + body):
        problems.append("no emoji")
    if "hashtags" in rules:
        tags = obj.get("hashtags")
        n = len(tags) if isinstance(tags, list) else len(re.findall(r"#[^#\s]+", body))
        lo, hi = rules["hashtags"]
        if not lo <= n <= hi:
            problems.append(f"{n} hashtags ({lo}–{hi})")
        bad = [t for t in tags or [] if re.search(r"[\s,，]", str(t).strip())] if isinstance(tags, list) else []
        if bad:
            problems.append(f"hashtags that are not one tag: {bad[:3]}")
    if rules.get("short_lines"):
        lines = [ln for ln in body.splitlines() if ln.strip()]
        if len(lines) < 3 or statistics.median(len(ln) for ln in lines) > rules["short_lines"]:
            problems.append(f"{len(lines)} line(s), not short separate lines")
    return problems


def c_channel(doc: Any, p: dict[str, Any], ctx: Context) -> Check:
    rules = _CHANNELS[p["channel"]]
    objects = [v for path in _paths(p) for v in resolve(doc, path)]
    problems = [
        f"#{i + 1}: {'; '.join(pr)}"
        for i, o in enumerate(objects)
        if (pr := _channel_problems(o, rules, ctx.entry.language))
    ]
    detail = f"{len(objects) - len(problems)} of {len(objects)} follow the {p['channel']} format"
    return Check(
        name=f"channel.{p['channel']}",
        ok=bool(objects) and not problems,
        detail=detail + (": " + " | ".join(problems[:4]) if problems else ""),
    )


def _years(text: str) -> list[str]:
    return [next(g for g in m.groups() if g) for m in _YEAR.finditer(text)]


def c_dates(doc: Any, p: dict[str, Any], ctx: Context) -> Check:
    period = parse_period(p["period"], ctx.today)
    text = "\n".join(texts(doc, p))
    default_year = ctx.today.year if period.any_year else period.start.year
    dates = find_dates(text, default_year)
    outside = [d.isoformat() for d in dates if not period.contains(d)]
    past_years = sorted(
        {int(y) for y in _years(text) if int(y) < ctx.today.year and (period.any_year or int(y) < period.start.year)}
    )
    problems = []
    if outside:
        problems.append(f"outside {period}: {', '.join(outside[:5])}")
    if past_years:
        problems.append(f"past years: {past_years}")
    if p.get("required") and not dates:
        problems.append("no date written")
    detail = "; ".join(problems) or f"{len(dates)} date(s), all within {period}"
    return Check(name="dates", ok=not problems, detail=detail)


def _numbers(doc: Any, path: str) -> list[float]:
    out = []
    for v in resolve(doc, path):
        try:
            out.append(float(v))
        except (TypeError, ValueError):
            continue
    return out


def c_sum(doc: Any, p: dict[str, Any], ctx: Context) -> Check:
    items, total = _numbers(doc, p["items"]), _numbers(doc, p["total"])
    if not items or not total:
        return Check(name="sum", ok=False, detail="no items or no total")
    ok = abs(sum(items) - total[0]) <= SUM_TOLERANCE * max(1.0, abs(total[0]))
    return Check(name="sum", ok=ok, detail=f"items add up to {sum(items):,.2f}, total says {total[0]:,.2f}")


def c_contains(doc: Any, p: dict[str, Any], ctx: Context) -> Check:
    items = texts(doc, p)
    pool = items if p.get("each") else ["\n".join(items)]
    words = p.get("all_of") or p.get("any_of") or []
    need_all = "all_of" in p

    def has(text: str) -> bool:
        found = [w for w in words if str(w).lower() in text.lower()]
        return len(found) == len(words) if need_all else bool(found)

    hits = sum(has(t) for t in pool)
    ok = bool(items) and hits == len(pool)
    how = "all of" if need_all else "one of"
    return Check(
        name=f"contains.{_label(p)}", ok=ok, detail=f"{hits} of {len(pool)} mention {how} {', '.join(map(str, words))}"
    )


def c_equals(doc: Any, p: dict[str, Any], ctx: Context) -> Check:
    values = [v for path in _paths(p) for v in resolve(doc, path)]
    ok = bool(values) and all(str(v) == str(p["value"]) for v in values)
    return Check(name=f"equals.{_label(p)}", ok=ok, detail=f"{values} (asked: {p['value']})")


def c_range(doc: Any, p: dict[str, Any], ctx: Context) -> Check:
    values = [n for path in _paths(p) for n in _numbers(doc, path)]
    ok = bool(values) and all(p["min"] <= v <= p["max"] for v in values)
    return Check(name=f"range.{_label(p)}", ok=ok, detail=f"{values} (range {p['min']}–{p['max']})")


def c_allowed(doc: Any, p: dict[str, Any], ctx: Context) -> Check:
    values = [v for path in _paths(p) for v in resolve(doc, path)]
    bad = [v for v in values if v not in p["values"]]
    return Check(
        name=f"allowed.{_label(p)}",
        ok=bool(values) and not bad,
        detail=f"{len(values) - len(bad)} of {len(values)} are {'/'.join(p['values'])}"
        + (f"; others: {sorted(set(map(str, bad)))}" if bad else ""),
    )


def c_duration(doc: Any, p: dict[str, Any], ctx: Context) -> Check:
    seconds = [n for path in _paths(p) for n in _numbers(doc, path)]
    total, tolerance = sum(seconds), p.get("tolerance", 0.5)
    ok = bool(seconds) and abs(total - p["expected"]) <= tolerance
    return Check(name="duration", ok=ok, detail=f"{total:g} s of {p['expected']:g} s (±{tolerance:g})")


# category -> icons and palettes that fit it, and words that name it (for icon sets the bench does not know)
CATEGORY_FIT: dict[str, dict[str, set[str]]] = {
    "bakery": {
        "icons": {"croissant", "cake-slice", "cookie", "wheat", "egg"},
        "palettes": {"cream", "lemon", "sunset", "coral", "sakura", "mint"},
        "words": {"bread", "croissant", "cake", "cookie", "baguette", "bun", "wheat", "pastry"},
    },
    "coffee": {
        "icons": {"coffee", "cup-soda"},
        "palettes": {"cream", "midnight", "forest", "mono", "sunset"},
        "words": {"coffee", "cup", "bean", "latte"},
    },
    "fashion": {
        "icons": {
            "shirt",
            "shopping-bag",
            "sparkles",
            "gem",
            "crown",
            "scissors",
            "tag",
            "glasses",
            "watch",
            "flower",
            "flower-2",
            "heart",
        },
        "palettes": {"sakura", "mono", "lavender", "coral", "cream", "midnight", "berry"},
        "words": {"dress", "shirt", "clothes", "clothing", "fashion", "hanger", "coat", "bag", "scissors"},
    },
    "kidswear": {
        "icons": {"shirt", "baby", "heart", "star", "sparkles", "shopping-bag", "gift"},
        "palettes": {"lemon", "mint", "sakura", "coral", "sunset", "cream"},
        "words": {"shirt", "baby", "child", "kid", "clothes", "hoodie", "t-shirt"},
    },
    "midautumn": {
        "icons": {"moon", "gift", "cake-slice", "star", "sparkles"},
        "palettes": {"festive", "midnight", "berry"},
        "words": {"moon", "mooncake", "lantern", "rabbit"},
    },
    "christmas": {
        "icons": {"gift", "snowflake", "sparkles", "star", "trees", "flame"},
        "palettes": {"festive", "forest", "midnight"},
        "words": {"christmas", "gift", "snow", "tree", "candle", "santa", "bell"},
    },
    "fitness": {
        "icons": {"dumbbell", "zap", "flame", "bike", "award", "heart"},
        "palettes": {"tech", "midnight", "ocean", "lemon", "sunset", "mono", "festive"},
        "words": {"dumbbell", "muscle", "gym", "fitness", "weight", "run"},
    },
}
_ART_FIELDS = ("icon", "illustration", "art", "hero", "emoji")


def _fits(spec: dict[str, Any], table: dict[str, set[str]]) -> list[str]:
    """What in one design spec does not fit the category (empty: it fits)."""
    problems = []
    art = [str(spec[f]) for f in _ART_FIELDS if spec.get(f)]
    art_ok = spec.get("icon") in table["icons"] or any(w in a.lower() for a in art for w in table["words"])
    if not art_ok:
        problems.append(f"art {art or 'none'}")
    if spec.get("palette") and spec["palette"] not in table["palettes"]:
        problems.append(f"palette {spec['palette']}")
    return problems


# the bench's category names -> the design engine's (its table decides what fits a business)
_ENGINE_CATEGORY = {"midautumn": "mid_autumn", "kidswear": "kids"}


def _fit_table(category: str) -> dict[str, set[str]]:
    """The bench's own table for ``category``, widened by what the design engine's category table
    lists for it (icons, art, palettes): a design fits when the engine recognised the right
    category and chose within it, or when it matches the bench's independent expectations."""
    table = {k: set(v) for k, v in CATEGORY_FIT[category].items()}
    try:
        from zaowu.backends.design.categories import CATEGORIES
    except ImportError:
        return table
    engine = CATEGORIES.get(_ENGINE_CATEGORY.get(category, category))
    if engine is not None:
        table["icons"] |= set(engine.icons)
        table["palettes"] |= set(engine.palettes)
        table["words"] |= {a.replace("-", " ") for a in engine.art} | set(engine.art)
    return table


def c_fit(doc: Any, p: dict[str, Any], ctx: Context) -> Check:
    table = _fit_table(p["category"])
    specs = [s for s in resolve(doc, "specs[]") if isinstance(s, dict)]
    problems = [f"#{i + 1}: {', '.join(pr)}" for i, s in enumerate(specs) if (pr := _fits(s, table))]
    ctx.stats["designs"] = ctx.stats.get("designs", 0) + len(specs)
    ctx.stats["designs_fit"] = ctx.stats.get("designs_fit", 0) + len(specs) - len(problems)
    shown = ", ".join(f"{s.get('icon')}/{s.get('palette')}" for s in specs)
    detail = f"{shown} for {p['category']}" + (f"; not fitting: {' | '.join(problems)}" if problems else "")
    return Check(name="fit.icon_palette", ok=bool(specs) and not problems, detail=detail)


def c_variety(doc: Any, p: dict[str, Any], ctx: Context) -> Check:
    specs = [s for s in resolve(doc, "specs[]") if isinstance(s, dict)]
    looks = [(s.get("layout"), s.get("palette"), s.get("icon")) for s in specs]
    same = [(i + 1, j + 1) for i in range(len(looks)) for j in range(i + 1, len(looks)) if looks[i][:2] == looks[j][:2]]
    ok = len(specs) > 1 and not same
    detail = f"{len(specs)} variants: " + ", ".join(f"{lay}/{pal}" for lay, pal, _ in looks)
    return Check(name="variety.designs", ok=ok, detail=detail + (f"; same layout and palette: {same}" if same else ""))


CHECKERS: dict[str, Callable[[Any, dict[str, Any], Context], Check]] = {
    "count": c_count,
    "distinct": c_distinct,
    "language": c_language,
    "claims": c_claims,
    "numbers": c_numbers,
    "length": c_length,
    "channel": c_channel,
    "dates": c_dates,
    "sum": c_sum,
    "contains": c_contains,
    "equals": c_equals,
    "range": c_range,
    "allowed": c_allowed,
    "duration": c_duration,
    "fit": c_fit,
    "variety": c_variety,
}


def evaluate(entry: Entry, doc: Any, today: date) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The bench's checks of one result, as dicts with ``source: bench`` and ``kind``; and the stats."""
    ctx = Context(entry, today)
    out = []
    for params in entry.checks:
        kind = params["check"]
        try:
            check = CHECKERS[kind](doc, params, ctx)
        except Exception as exc:  # noqa: BLE001 - a checker that cannot read the result fails the check
            check = Check(name=kind, ok=False, detail=f"could not check: {type(exc).__name__}: {exc}")
        out.append({**check.model_dump(), "kind": kind, "source": "bench"})
    return out, ctx.stats


def reported_checks(value: Any) -> list[dict[str, Any]]:
    """The checks a result reports (Check records, dicts, or nothing), as dicts with ``source: result``."""
    out = []
    for c in value or []:
        data = c.model_dump() if hasattr(c, "model_dump") else dict(c) if isinstance(c, dict) else None
        if data and "name" in data and "ok" in data:
            out.append(
                {
                    "name": str(data["name"]),
                    "ok": bool(data["ok"]),
                    "detail": str(data.get("detail", "")),
                    "kind": str(data["name"]).split(".")[0],
                    "source": "result",
                }
            )
    return out


# ---------------------------------------------------------------- running requests


def _design_checks() -> Callable[..., Any] | None:
    """The design engine's ``design_checks(spec, request_text)``, where it lives once merged."""
    import importlib

    for module in (
        "zaowu.studio.design",
        "zaowu.backends.design.checks",
        "zaowu.backends.design.spec",
        "zaowu.backends.design",
    ):
        try:
            fn = getattr(importlib.import_module(module), "design_checks", None)
        except ImportError:
            continue
        if callable(fn):
            return fn
    return None


BENCH = Caller(interface="bench")


def run_entry(studio: Any, entry: Entry, model: str) -> tuple[Any, list[dict[str, Any]]]:
    """Run one request through its real path: (the result as a document, the checks it reports)."""
    if entry.kind == "app":
        from zaowu.apps.base import run_app

        run = run_app(studio, entry.target, entry.input, model=model, seed=entry.seed, who=BENCH)
        return run.result, reported_checks(run.result.get("checks"))
    if entry.kind == "template":
        from zaowu.studio.templates import run_template

        result = run_template(
            studio, entry.target, entry.input, language=entry.language, model=model, seed=entry.seed, who=BENCH
        )
        doc = dict(result.output) if isinstance(result.output, dict) else {}
        doc["text"] = result.text
        return doc, reported_checks(getattr(result, "checks", None))
    if entry.kind == "image":
        from zaowu.types import ImageRequest

        sized = {"size": entry.input["size"]} if entry.input.get("size") else {}
        request = ImageRequest(
            prompt=entry.input["prompt"], kind=entry.target, n=entry.input.get("n", 1), seed=entry.seed, **sized
        )
        result = studio.generate_media(request, who=BENCH, planner=model)
        specs = [m.meta.get("spec") for m in result.media]
        reported = [c for m in result.media for c in reported_checks(m.meta.get("checks"))]
        if (design_checks := _design_checks()) is not None:
            for spec in specs:
                reported += reported_checks(design_checks(spec, entry.input["prompt"]))
        return {"specs": specs, "prompt": entry.input["prompt"]}, reported
    from zaowu.types import MusicRequest

    request = MusicRequest(prompt=entry.input["prompt"], duration=entry.input.get("duration", 30), seed=entry.seed)
    result = studio.generate_media(request, who=BENCH, planner=model)
    meta = result.media[0].meta
    return {k: meta.get(k) for k in ("duration", "tempo", "bars", "sections", "plan")}, reported_checks(
        meta.get("checks")
    )


def bench_one(studio: Any, entry: Entry, model: str, today: date) -> dict[str, Any]:
    started = time.perf_counter()
    record: dict[str, Any] = {"id": entry.id, "kind": entry.kind, "target": entry.target, "language": entry.language}
    from zaowu.studio.quality.today import pinned_today

    try:
        with pinned_today(today):  # the apps' prompts and skeletons resolve periods against the same day
            doc, reported = run_entry(studio, entry, model)
        error = None
    except Exception as exc:  # a failed request is a data point (logged)
        log.exception("%s failed", entry.id)
        doc, reported, error = None, [], f"{type(exc).__name__}: {getattr(exc, 'message', exc)}"
    record["seconds"] = round(time.perf_counter() - started, 2)
    if error is None:
        checks, stats = evaluate(entry, doc, today)
    else:  # every check the request lists fails with it
        checks = [
            {"name": c["check"], "ok": False, "detail": error, "kind": c["check"], "source": "bench"}
            for c in entry.checks
        ]
        stats = {}
    record.update(error=error, checks=checks + reported, stats=stats, result=doc)
    return record


# ---------------------------------------------------------------- the report


def _rate(checks: list[dict[str, Any]]) -> dict[str, Any]:
    passed = sum(c["ok"] for c in checks)
    return {"passed": passed, "total": len(checks), "rate": round(passed / len(checks), 3) if checks else None}


def app_label(record: dict[str, Any]) -> str:
    """What the per-app figures are grouped by: the app id, or ``template:ID``, ``image:KIND``, ``music``."""
    kind, target = record.get("kind", "app"), record["target"]
    return target if kind in ("app", "music") else f"{kind}:{target}"


def summarise(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Pass rates per check and per app, requirement pass rate, duplicates, claims, fit, wall time."""
    bench = [c | {"target": app_label(r)} for r in records for c in r["checks"] if c["source"] == "bench"]
    reported = [c | {"target": app_label(r)} for r in records for c in r["checks"] if c["source"] == "result"]
    by_check: dict[str, list] = defaultdict(list)
    for c in bench:
        by_check[c["kind"]].append(c)
    by_reported: dict[str, list] = defaultdict(list)
    for c in reported:
        by_reported[c["name"]].append(c)
    by_target: dict[str, list] = defaultdict(list)
    for c in bench:
        by_target[c["target"]].append(c)
    seconds: dict[str, list[float]] = defaultdict(list)
    for r in records:
        seconds[app_label(r)].append(r["seconds"])

    def stat(key: str) -> int:
        return sum(r["stats"].get(key, 0) for r in records)

    designs = stat("designs")
    distinct_checks = by_check.get("distinct", [])
    return {
        "requests": len(records),
        "errors": [{"id": r["id"], "error": r["error"]} for r in records if r["error"]],
        "requirements": _rate([c for c in bench if c["kind"] in REQUIREMENT_CHECKS]),
        "per_check": {k: _rate(v) for k, v in sorted(by_check.items())},
        "per_app": {t: _rate(v) | {"requests": len(seconds[t])} for t, v in sorted(by_target.items())},
        "reported_by_results": {k: _rate(v) for k, v in sorted(by_reported.items())},
        "duplicate_variants": {
            "pairs": stat("duplicate_pairs"),
            "requests_with_duplicates": sum(not c["ok"] for c in distinct_checks),
            "requests_checked": len(distinct_checks),
        },
        "unsupported_claims": {
            "claims": stat("unsupported_claims"),
            "requests_with_claims": sum(not c["ok"] for c in by_check.get("claims", [])),
        },
        "invented_numbers": {
            "numbers": stat("invented_numbers"),
            "requests_with_invented": sum(not c["ok"] for c in by_check.get("numbers", [])),
        },
        "icon_palette_fit": {
            "fit": stat("designs_fit"),
            "designs": designs,
            "rate": round(stat("designs_fit") / designs, 3) if designs else None,
        },
        "wall_seconds_per_app": {
            t: {
                "median": round(statistics.median(s), 1),
                "max": round(max(s), 1),
                "total": round(sum(s), 1),
                "requests": len(s),
            }
            for t, s in sorted(seconds.items())
        },
    }


def _pct(rate: dict[str, Any]) -> str:
    return f"{rate['passed']:3d}/{rate['total']:<3d} {100 * rate['rate']:5.1f}%" if rate["total"] else "   –"


def print_report(summary: dict[str, Any], records: list[dict[str, Any]], out=sys.stdout) -> None:

    def w(line: str = "") -> None:
        print(line, file=out)

    for r in records:
        failed = [c for c in r["checks"] if not c["ok"]]
        w(
            f"{r['id']:32} {r['seconds']:7.1f} s  {len(r['checks']) - len(failed)}/{len(r['checks'])} checks ok"
            + (f"  ERROR {r['error']}" if r["error"] else "")
        )
        for c in failed:
            w(f"    ✗ [{c['source']}] {c['name']}: {c['detail'][:150]}")
    w()
    w(f"requests: {summary['requests']}  errors: {len(summary['errors'])}")
    w(f"requirement checks: {_pct(summary['requirements'])}")
    w("per check (bench):")
    for name, rate in summary["per_check"].items():
        w(f"  {name:12} {_pct(rate)}")
    if summary["reported_by_results"]:
        w("reported by the results:")
        for name, rate in summary["reported_by_results"].items():
            w(f"  {name:28} {_pct(rate)}")
    w("per app (bench checks, wall time):")
    for target, rate in summary["per_app"].items():
        t = summary["wall_seconds_per_app"][target]
        w(
            f"  {target:32} {_pct(rate)}   {rate['requests']} request(s), median {t['median']:.1f} s, max {t['max']:.1f} s"
        )
    d, c, f = summary["duplicate_variants"], summary["unsupported_claims"], summary["icon_palette_fit"]
    w(
        f"duplicate variants: {d['pairs']} near-duplicate pair(s) in {d['requests_with_duplicates']} of "
        f"{d['requests_checked']} request(s)"
    )
    w(f"unsupported claims: {c['claims']} in {c['requests_with_claims']} request(s)")
    n = summary["invented_numbers"]
    w(f"numbers not in the request: {n['numbers']} in {n['requests_with_invented']} request(s)")
    w(
        f"icon/palette fit: {f['fit']}/{f['designs']} designs"
        + (f" ({100 * f['rate']:.0f}%)" if f["rate"] is not None else "")
    )


def _today(arg: str | None) -> date:
    if arg:
        return date.fromisoformat(arg)
    from zaowu.studio.quality.today import today as studio_today

    return studio_today()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", type=Path, default=SET_FILE, help="the evaluation set (YAML)")
    ap.add_argument("--model", default=DEFAULT_MODEL, help="the chat model, also used as the planner")
    ap.add_argument("--only", nargs="+", help="ids (or id prefixes), targets or kinds to run")
    ap.add_argument("--language", choices=("zh", "en"), help="only requests in this language")
    ap.add_argument("--limit", type=int, help="at most this many requests (round-robin over targets)")
    ap.add_argument("--out", type=Path, help="write the records and the summary here as JSON")
    ap.add_argument("--seed", type=int, default=7, help="base seed (each request adds its position)")
    ap.add_argument("--today", help="the date periods resolve against (default: today)")
    ap.add_argument("--data-dir", type=Path, help="studio data folder (default: a temporary one)")
    ap.add_argument("--models-dir", type=Path, help="folder of pulled models (default: the studio's)")
    ap.add_argument("--threads", type=int, help="llama.cpp threads")
    ap.add_argument("--n-ctx", type=int, default=4096, help="context tokens per request")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    from zaowu.settings import Settings
    from zaowu.studio.engine import Studio

    entries = select(load_set(args.set, args.seed), args.only, args.language, args.limit)
    today = _today(args.today)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="zaowu-quality-"))
    settings = Settings(
        data_dir=data_dir,
        default_chat_model=args.model,
        n_ctx=args.n_ctx,
        n_threads=args.threads,
        **({"models_dir": args.models_dir} if args.models_dir else {}),
    )
    print(f"{len(entries)} request(s) with {args.model}, today {today}, data in {data_dir}", flush=True)
    records = []
    with Studio(settings) as studio:
        for entry in entries:
            record = bench_one(studio, entry, args.model, today)
            records.append(record)
            ok = sum(c["ok"] for c in record["checks"])
            print(
                f"  {entry.id:32} {record['seconds']:7.1f} s  {ok}/{len(record['checks'])} ok"
                + (f"  ERROR {record['error']}" if record["error"] else ""),
                flush=True,
            )
    summary = summarise(records)
    print()
    print_report(summary, records)
    if args.out:
        payload = {"model": args.model, "today": today.isoformat(), "summary": summary, "records": records}
        args.out.write_text(json.dumps(payload, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
