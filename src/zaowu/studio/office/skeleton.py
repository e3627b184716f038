"""Skeletons of office files built in code from a request's constraints; the model fills only the content.

``workbook_skeleton`` lays out what a table request states: one row per week (month, day…) of the
period with its real dates, one column per region (or one sheet per region when several measures
are asked), totals of the kind asked (a ``SUM`` row unless an average was asked), growth columns as
formulas. ``deck_skeleton`` lays out a slide outline (a pitch deck's title, problem, solution, market,
product, business model, traction, team, financials, ask — trimmed or extended to the slide count
asked, the title slide included), every slide on a content layout. ``document_skeleton`` lays out
the sections asked, in order. Each returns a plan (a dict the plan models accept) whose content
cells, bullets and paragraphs are blank for ``office.fill`` to ask the model for; None when the
request states nothing to build a skeleton from.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ..quality.constraints import Constraints

__all__ = [
    "MAX_ROWS",
    "MAX_SECTIONS",
    "MAX_SHEETS",
    "MAX_SLIDES",
    "PITCH_SLIDES",
    "bucket_label",
    "deck_skeleton",
    "document_skeleton",
    "entity_axis",
    "guess_type",
    "is_pitch",
    "metrics",
    "pitch_outline",
    "time_axis",
    "total_for",
    "wants_table",
    "workbook_skeleton",
]

MAX_ROWS = 100  # rows a skeleton sheet holds; a finer interval that needs more is made coarser
MAX_SHEETS = 12  # sheets (one per region, store…) a skeleton makes
MAX_VALUE_COLUMNS = 24  # value columns on a sheet (one per region, plus growth columns)
MAX_SLIDES = 30  # slides, title slide included, a skeleton deck holds
MAX_SECTIONS = 20  # sections a skeleton document holds
PITCH_SLIDES = 10  # a pitch deck's length when the request names none
_COARSER = {"day": "week", "week": "month", "month": "quarter", "quarter": "year"}


@dataclass(frozen=True)
class Metric:
    pattern: str
    en: str
    zh: str
    type: str
    total: str  # the total a table of it gets by default


METRICS = [
    Metric(r"average\s+order\s+value|\bAOV\b|客单价", "Average order value", "客单价", "currency", "average"),
    Metric(r"\bmargin|利润率|毛利率", "Margin", "利润率", "percent", "average"),
    Metric(r"\bprices?\b|单价|价格|售价|定价", "Price", "价格", "currency", "none"),
    Metric(r"conversion|转化率", "Conversion rate", "转化率", "percent", "average"),
    Metric(r"\bsales\b|销售额|营业额|销售", "Sales", "销售额", "currency", "sum"),
    Metric(r"revenue|income|turnover|收入|营收", "Revenue", "收入", "currency", "sum"),
    Metric(r"\bcosts?\b|expenses?|spend(?:ing)?|成本|费用|支出", "Cost", "成本", "currency", "sum"),
    Metric(r"profit|利润", "Profit", "利润", "currency", "sum"),
    Metric(r"\bbudget|预算", "Budget", "预算", "currency", "sum"),
    Metric(r"units\s+sold|\bunits\b|销量", "Units sold", "销量", "integer", "sum"),
    Metric(r"\borders?\b|订单", "Orders", "订单数", "integer", "sum"),
    Metric(r"visitors?|traffic|foot\s*fall|客流|访客|到店人数", "Visitors", "客流", "integer", "sum"),
    Metric(r"customers?|顾客|客户数", "Customers", "顾客数", "integer", "sum"),
    Metric(r"inventory|stock|库存", "Stock", "库存", "integer", "none"),
]
LABEL_WORDS = re.compile(
    r"^(?:date|day|week|month|quarter|year|period|日期|周次?|月份?|季度|年份?|时间|期间)$", re.IGNORECASE
)
_PERCENT_WORDS = re.compile(r"rate|ratio|share|percent|%|margin|率|占比|比例|比重")
_COUNT_WORDS = re.compile(r"count|number|qty|quantity|units|orders|visitors|人数|数量|个数|次数|单数|销量")
_MONEY_WORDS = re.compile(
    r"sales|revenue|cost|price|profit|spend|amount|fee|budget|income|金额|销售|收入|成本|价|利润|费|预算"
)
# nouns a table can be laid out by, in order of preference, with their header
ENTITY_HEADERS = {
    "region": ("Region", "地区"),
    "store": ("Store", "门店"),
    "city": ("City", "城市"),
    "product": ("Product", "产品"),
    "channel": ("Channel", "渠道"),
    "category": ("Category", "品类"),
    "competitor": ("Competitor", "竞品"),
    "person": ("Name", "姓名"),
    "item": ("Item", "项目"),
}
GROWTH_NAMES = {
    "day": ("DoD", "日环比"),
    "week": ("WoW", "周环比"),
    "month": ("MoM", "月环比"),
    "quarter": ("QoQ", "季度环比"),
    "year": ("YoY", "年增长"),
}


# ---------------------------------------------------------------- workbook


@dataclass
class _Value:
    header: str
    type: str
    total: str
    growth_of: str | None = None
    growth_vs: str | None = None

    def column(self) -> dict:
        out = {"header": self.header, "type": self.type, "total": self.total}
        if self.growth_of:
            out["growth_of"] = self.growth_of
        if self.growth_vs:
            out["growth_vs"] = self.growth_vs
        return out


def guess_type(name: str) -> str:
    if _PERCENT_WORDS.search(name.lower()):
        return "percent"
    if _COUNT_WORDS.search(name.lower()):
        return "integer"
    return "currency" if _MONEY_WORDS.search(name.lower()) else "number"


def metrics(c: Constraints, instruction: str) -> list[tuple[str, str, str]]:
    """The measures a table shows as (header, type, default total): the columns the request lists,
    else the measures it names (sales, revenue, orders…), else one 'Value' column."""
    zh = c.language == "zh"
    listed = [i for i in c.includes if not LABEL_WORDS.match(i.strip()) and not _is_entity_word(i, c)]
    if listed:
        out = []
        for name in listed:
            known = next((m for m in METRICS if re.search(m.pattern, name, re.IGNORECASE)), None)
            kind = known.type if known else guess_type(name)
            out.append((name, kind, known.total if known else "sum" if kind in ("currency", "integer") else "none"))
        return out
    found = sorted(
        (m.start(), metric) for metric in METRICS if (m := re.search(metric.pattern, instruction, re.IGNORECASE))
    )
    seen: list[tuple[str, str, str]] = []
    for _, metric in found:
        header = metric.zh if zh else metric.en
        if header not in [h for h, _, _ in seen]:
            seen.append((header, metric.type, metric.total))
    return seen[:6] or [("数值" if zh else "Value", "number", "sum")]


def _is_entity_word(item: str, c: Constraints) -> bool:
    words = {w.lower() for pair in ENTITY_HEADERS.values() for w in pair}
    return item.strip().lower() in words or any(item in names for names in c.entities.values())


def entity_axis(c: Constraints) -> tuple[str, list[str], bool] | None:
    """(noun, names, named) for the first noun the table can be laid out by; placeholders pad the names."""
    for noun in ENTITY_HEADERS:
        count, names = c.count(noun), c.names(noun)
        if not count or (count < 2 and not names):
            continue
        count = min(max(count, len(names)), MAX_ROWS)
        zh = c.language == "zh"
        header = ENTITY_HEADERS[noun][1 if zh else 0]
        padded = names[:count] + [f"{header}{i}" if zh else f"{header} {i}" for i in range(len(names) + 1, count + 1)]
        return noun, padded, bool(names)
    return None


def _default_interval(unit: str, days: int) -> str | None:
    return {
        "year": "month",
        "half": "month",
        "quarter": "week",
        "month": "week",
        "week": "day",
        "weekend": "day",
        "day": None,
    }.get(unit) or (("day" if days <= 31 else "week" if days <= 120 else "month") if unit == "range" else None)


def time_axis(c: Constraints) -> tuple[str, list[tuple[dt.date, dt.date] | None]] | None:
    """(interval, buckets) for a table over time; buckets are None when no dates were given."""
    period, interval = c.period, c.interval
    if period is not None and interval is None:
        interval = _default_interval(period.unit, period.days)
    if interval is None:
        return None
    asked = c.count(interval)
    if period is None:
        return (interval, [None] * min(asked, MAX_ROWS)) if asked and asked > 1 else None
    buckets = period.buckets(interval, asked if interval == "week" else None)
    while len(buckets) > MAX_ROWS and interval in _COARSER:
        interval = _COARSER[interval]
        buckets = period.buckets(interval)
    return interval, buckets


def bucket_label(interval: str, index: int, bucket: tuple[dt.date, dt.date] | None, zh: bool) -> str:
    """The text that names a row: 'Week 1', '2026-07', 'Q3 2026', '2026年7月', '第1周'."""
    if bucket is None:
        unit = {
            "day": ("Day", "天"),
            "week": ("Week", "周"),
            "month": ("Month", "月"),
            "quarter": ("Quarter", "季度"),
            "year": ("Year", "年"),
        }[interval]
        return f"第{index}{unit[1]}" if zh else f"{unit[0]} {index}"
    start = bucket[0]
    if interval == "week":
        return f"第{index}周" if zh else f"Week {index}"
    if interval == "month":
        return f"{start.year}年{start.month}月" if zh else f"{start.year}-{start.month:02d}"
    if interval == "quarter":
        quarter = (start.month - 1) // 3 + 1
        return f"{start.year}年第{quarter}季度" if zh else f"Q{quarter} {start.year}"
    if interval == "year":
        return f"{start.year}年" if zh else str(start.year)
    return start.isoformat()


def _label_columns(interval: str, dated: bool, zh: bool) -> list[dict]:
    if interval == "day" and dated:
        return [{"header": "日期" if zh else "Date", "type": "date", "total": "none"}]
    first = {
        "week": ("Week", "周次"),
        "month": ("Month", "月份"),
        "quarter": ("Quarter", "季度"),
        "year": ("Year", "年份"),
        "day": ("Day", "天"),
    }[interval]
    columns = [{"header": first[1] if zh else first[0], "type": "text", "total": "none"}]
    if interval == "week" and dated:
        columns += [
            {"header": "开始日期" if zh else "Start", "type": "date", "total": "none"},
            {"header": "结束日期" if zh else "End", "type": "date", "total": "none"},
        ]
    return columns


def _label_cells(interval: str, index: int, bucket: tuple[dt.date, dt.date] | None, zh: bool) -> list:
    if interval == "day" and bucket is not None:
        return [bucket[0].isoformat()]
    cells: list = [bucket_label(interval, index, bucket, zh)]
    if interval == "week" and bucket is not None:
        cells += [bucket[0].isoformat(), bucket[1].isoformat()]
    return cells


def total_for(kind: str, default: str, c: Constraints) -> str:
    """The total a value column gets: what was asked (a sum is never turned into an average), else its default."""
    wants_sum, wants_average = "sum" in c.totals, "average" in c.totals
    if kind == "percent":  # a sum of percentages means nothing
        return "average" if wants_average else "none" if wants_sum else default
    if kind not in ("currency", "integer", "number"):
        return "none"
    return "sum" if wants_sum else "average" if wants_average else default


def _values(bases: list[tuple[str, str, str]], c: Constraints, interval: str | None) -> list[_Value]:
    """Value columns with their growth columns: a period-over-period column after each, and for
    year over year a last-year column and the growth against it."""
    zh = c.language == "zh"
    out: list[_Value] = []
    for header, kind, default in bases:
        value = _Value(header, kind, total_for(kind, default, c))
        out.append(value)
        if kind == "percent":
            continue
        if "pop" in c.growth and interval:
            en, cn = GROWTH_NAMES[interval]
            out.append(_Value(f"{header}{cn}" if zh else f"{header} {en}", "percent", "none", growth_of=header))
        if "yoy" in c.growth:
            base = f"{header}去年同期" if zh else f"{header} last year"
            out.append(_Value(base, kind, value.total))
            out.append(
                _Value(f"{header}同比" if zh else f"{header} YoY", "percent", "none", growth_of=header, growth_vs=base)
            )
    return out[:MAX_VALUE_COLUMNS]


def _chart(c: Constraints, category: str, values: list[_Value], timeline: bool) -> dict | None:
    if not c.chart:
        return None
    plotted = [v.header for v in values if not v.growth_of and v.type != "percent"][:3] or [values[0].header]
    kind = c.chart if c.chart != "any" else "line" if timeline else "bar"
    return {"type": kind, "title": "", "category": category, "values": plotted}


def _sheet(name: str, labels: list[dict], label_rows: list[list], values: list[_Value], chart: dict | None) -> dict:
    sheet = {
        "name": name[:31],
        "columns": labels + [v.column() for v in values],
        "rows": [cells + [None] * len(values) for cells in label_rows],
    }
    if chart:
        sheet["chart"] = chart
    return sheet


def workbook_skeleton(c: Constraints, instruction: str) -> dict | None:
    """A workbook plan with labels, dates, totals and growth formulas laid out and value cells blank;
    None when the request states neither a period, an interval nor a set of regions/stores/products."""
    zh = c.language == "zh"
    time, entity = time_axis(c), entity_axis(c)
    if time is None and entity is None:
        return None
    bases = metrics(c, instruction)
    title = "工作簿" if zh else "Workbook"
    data = bases[0][0] if len(bases) == 1 else "数据" if zh else "Data"
    if time is None:
        noun, names, named = entity  # type: ignore[misc]
        header = ENTITY_HEADERS[noun][1 if zh else 0]
        values = _values(bases, c, None)
        rows = [[name if named else None] for name in names]
        sheet = _sheet(
            data, [{"header": header, "type": "text", "total": "none"}], rows, values, _chart(c, header, values, False)
        )
        return {"title": title, "language": c.language, "sheets": [sheet]}
    interval, buckets = time
    labels = _label_columns(interval, buckets[0] is not None, zh)
    label_rows = [_label_cells(interval, i, b, zh) for i, b in enumerate(buckets, start=1)]
    if entity is None:
        values = _values(bases, c, interval)
        sheets = [_sheet(data, labels, label_rows, values, _chart(c, labels[0]["header"], values, True))]
    elif len(bases) == 1 and "yoy" not in c.growth:  # one measure: a column per region
        _, names, _ = entity
        values = _values([(name, bases[0][1], bases[0][2]) for name in names], c, interval)
        sheets = [_sheet(bases[0][0], labels, label_rows, values, _chart(c, labels[0]["header"], values, True))]
    else:  # several measures: a sheet per region
        _, names, _ = entity
        values = _values(bases, c, interval)
        sheets = [
            _sheet(name, labels, label_rows, values, _chart(c, labels[0]["header"], values, True))
            for name in names[:MAX_SHEETS]
        ]
    return {"title": title, "language": c.language, "sheets": sheets}


# ---------------------------------------------------------------- deck

# (key, English title, Chinese title, priority when the deck is shorter: lower stays)
PITCH = [
    ("title", "Title", "封面", 0),
    ("problem", "Problem", "痛点", 1),
    ("solution", "Solution", "解决方案", 2),
    ("market", "Market", "市场机会", 4),
    ("product", "Product", "产品", 7),
    ("business_model", "Business model", "商业模式", 5),
    ("traction", "Traction", "进展与数据", 8),
    ("team", "Team", "团队", 6),
    ("financials", "Financials", "财务预测", 9),
    ("ask", "The ask", "融资需求", 3),
]
PITCH_EXTRA = [
    ("competition", "Competition", "竞争格局"),
    ("go_to_market", "Go-to-market", "市场推广"),
    ("roadmap", "Roadmap", "发展规划"),
    ("use_of_funds", "Use of funds", "资金用途"),
    ("why_now", "Why now", "为什么是现在"),
    ("contact", "Thank you", "谢谢"),
]
_PITCH_WORDS = re.compile(
    r"pitch|investor|fund\s*rais|seed\s+round|series\s+[ab]\b|融资|路演|投资人|商业计划书?\s*(?:ppt|演示)"
    r"|\bBP\b",
    re.IGNORECASE,
)


def is_pitch(instruction: str) -> bool:
    return bool(_PITCH_WORDS.search(instruction))


def pitch_outline(slides: int, zh: bool) -> list[str]:
    """A pitch deck's slide titles, title slide first, trimmed or extended to ``slides``."""
    slides = max(1, min(slides, MAX_SLIDES))
    keep = sorted(PITCH, key=lambda p: p[3])[:slides]
    order = [p for p in PITCH if p in keep]
    titles = [p[2] if zh else p[1] for p in order]
    extras = PITCH_EXTRA + [(f"more_{i}", "", "") for i in range(MAX_SLIDES)]
    for _, en, cn in extras[: max(0, slides - len(titles))]:
        titles.insert(-1, (cn if zh else en) or "")  # before the ask
    return titles


def _slide(title: str) -> dict:
    return {"title": title or "", "kind": "content", "bullets": [], "notes": ""}


def deck_skeleton(c: Constraints, instruction: str) -> dict | None:
    """A deck plan whose slides (the title slide excluded) have their titles fixed (pitch outline or the
    topics asked) or blank, all on the content layout, bullets blank; None when the request names
    neither a slide count, topics nor a pitch."""
    zh = c.language == "zh"
    asked = c.count("slide", "page")
    topics = [t for t in c.includes if t]
    if is_pitch(instruction):
        outline = pitch_outline(asked or PITCH_SLIDES, zh)
        title, slides = outline[0], outline[1:]
    elif topics or asked:
        total = min(asked or len(topics) + 1, MAX_SLIDES)
        slides = (topics + [""] * total)[: max(total - 1, 1)]
        title = ""
    else:
        return None
    return {
        "title": title or ("演示文稿" if zh else "Presentation"),
        "subtitle": "",
        "language": c.language,
        "slides": [_slide(t) for t in slides] or [_slide("")],
    }


# ---------------------------------------------------------------- document

_TABLE_WORDS = re.compile(
    r"table|budget|schedule|timeline|timetable|agenda|表|预算|日程|时间安排|排期|分工|清单", re.IGNORECASE
)


def wants_table(heading: str) -> bool:
    return bool(_TABLE_WORDS.search(heading))


def document_skeleton(c: Constraints, instruction: str) -> dict | None:
    """A document plan with the sections asked, in order (headings fixed, content blank), padded to the
    section count asked; None when the request names neither sections nor a section count."""
    zh = c.language == "zh"
    headings = [t for t in c.includes if t][:MAX_SECTIONS]
    asked = c.count("section")
    if not headings and not asked:
        return None
    total = min(max(asked or 0, len(headings)), MAX_SECTIONS)
    headings += [""] * (total - len(headings))
    return {
        "title": "文档" if zh else "Document",
        "subtitle": "",
        "language": c.language,
        "sections": [{"heading": h, "level": 1, "paragraphs": [], "bullets": []} for h in headings],
    }
