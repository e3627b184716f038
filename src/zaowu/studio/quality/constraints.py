"""What a request states explicitly, parsed into typed constraints before anything is generated.

    c = parse_constraints("Weekly sales for Q3 2026 for East, West and North regions with a sum row "
                          "and week-over-week growth", today=date(2026, 5, 4))
    c.count("region") == 3; c.names("region") == ["East", "West", "North"]
    c.period.start == date(2026, 7, 1); c.interval == "week"; c.totals == ["sum"]; c.growth == ["pop"]

Understood in Chinese and English: counts with their noun (``3 regions`` / ``三个地区``, ``8 slides`` /
``8页``, ``5 products`` / ``五款产品``, ``13 weeks`` / ``13周``), periods resolved against today's date
(see ``periods``), durations (``30-second``, ``30秒``, ``1分钟``), channel names, the language asked
for, the interval of a table (weekly / 按月), required columns or sections (``including …`` /
``包括…`` / ``列出…``), totals (sum/total/合计/总计 versus average/平均), growth columns
(period-over-period / 环比, year-over-year / 同比), a chart kind, and named lists
(``East, West and North regions`` / ``华东、华南、华北三个地区``).

Apps build the skeleton of what they generate from these (rows for each week, one column per
region, a slide per outline entry) and check the result against them afterwards.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, Field

from .periods import EN_NUM, ZH_NUM, Period, find_periods, number
from .text import CJK
from .today import today as current_day

__all__ = ["NOUNS", "Constraints", "parse_constraints"]

Interval = Literal["day", "week", "month", "quarter", "year"]
MAX_COUNT = 500  # a number above this is a quantity (units, people), not a count of parts to make
MAX_ITEM_CHARS = 40  # a listed name or required column longer than this is prose, not an item

# canonical noun: (English words, Chinese words), "|"-separated alternatives without groups containing "|"
NOUNS: dict[str, tuple[str, str]] = {
    "region": (r"regions?|areas?|territory|territories|districts?|zones?|provinces?", "地区|区域|大区|片区|省份"),
    "city": (r"city|cities", "城市"),
    "store": (r"stores?|shops?|branch(?:es)?|outlets?|locations?|restaurants?", "门店|店铺|分店|店面"),
    "product": (r"products?|skus?|flavou?rs?|dishes|drinks?|menu\s+items?", "产品|商品|单品|菜品|饮品|口味|款式|SKU"),
    "item": (r"line\s+items?|items?", "项目"),
    "variant": (r"variants?|versions?|options?|alternatives?|drafts?", "版本|变体|方案"),
    "headline": (r"headlines?|titles?", "标题"),
    "slogan": (r"slogans?|taglines?", "口号|标语|广告语"),
    "caption": (r"captions?|posts?", "文案|帖子|笔记"),
    "hashtag": (r"hashtags?", "话题|标签"),
    "name": (r"names?", "名字|名称|店名"),
    "slide": (r"slides?", "幻灯片"),
    "page": (r"pages?", "页面"),
    "section": (r"sections?|chapters?|parts?", "章节|部分|小节"),
    "sheet": (r"worksheets?|sheets?|tabs?", "工作表"),
    "column": (r"columns?", "列"),
    "row": (r"rows?", "行"),
    "week": (r"weeks?", "星期"),
    "month": (r"months?", "月份"),
    "day": (r"days?", "天"),
    "quarter": (r"quarters?", "季度"),
    "year": (r"years?", "年"),
    "shot": (r"shots?|scenes?|clips?", "镜头|分镜|场景"),
    "image": (r"images?|pictures?|photos?|posters?|banners?|designs?", "图片|海报|照片"),
    "person": (r"people|persons?|staff|employees?|members?", "员工|成员|人"),
    "channel": (r"channels?|platforms?", "渠道|平台"),
    "bullet": (r"bullet\s+points?|bullets?|key\s+points?|points?", "要点|卖点"),
    "tip": (r"tips?|ideas?|suggestions?", "建议|点子|创意|技巧"),
    "step": (r"steps?", "步骤"),
    "question": (r"questions?|faqs?", "问题"),
    "goal": (r"goals?|objectives?|kpis?|metrics?", "目标|指标"),
    "risk": (r"risks?", "风险"),
    "milestone": (r"milestones?", "里程碑"),
    "competitor": (r"competitors?", "竞品|竞争对手"),
    "category": (r"category|categories", "品类|类目|类别"),
}
# a Chinese measure word alone names the noun (三页, 五款, 13周) when no noun follows
_ZH_MEASURES = {
    "页": "page",
    "张幻灯片": "slide",
    "章": "section",
    "款": "product",
    "家": "store",
    "版": "variant",
    "周": "week",
    "个星期": "week",
    "天": "day",
    "个月": "month",
    "个季度": "quarter",
    "列": "column",
    "行": "row",
    "项": "item",
    "位": "person",
    "名": "person",
    "个镜头": "shot",
    "张": "image",
}
_ZH_MEASURE = (
    r"个月|个季度|个星期|个镜头|张幻灯片|个|家|款|张|页|条|份|种|位|名|套|项|篇|段|组|间|件|支|章|周|天|列|行|版|节"
)


def _noun_alternatives(index: int) -> str:
    words = [(w, key) for key, pair in NOUNS.items() for w in pair[index].split("|")]
    return "|".join(w for w, _ in sorted(words, key=lambda p: -len(p[0])))


_EN_NOUN = _noun_alternatives(0)
_ZH_NOUN = _noun_alternatives(1)
_EN_LOOKUP = [(re.compile(rf"^(?:{pair[0]})$", re.IGNORECASE), key) for key, pair in NOUNS.items()]
_ZH_LOOKUP = {w: key for key, pair in NOUNS.items() for w in pair[1].split("|")}


def _canonical(word: str) -> str | None:
    word = re.sub(r"\s+", " ", word.strip())
    if word in _ZH_LOOKUP:
        return _ZH_LOOKUP[word]
    return next((key for pattern, key in _EN_LOOKUP if pattern.match(word)), None)


class Constraints(BaseModel):
    """What the request asked for explicitly; empty fields mean it did not say."""

    today: dt.date
    language: Literal["zh", "en"]
    language_explicit: bool = False
    bilingual: bool = False
    counts: dict[str, int] = Field(default_factory=dict, description="canonical noun → the number asked for")
    periods: list[Period] = Field(default_factory=list)
    interval: Interval | None = Field(None, description="rows per day/week/month… (weekly, 按月)")
    durations: list[float] = Field(default_factory=list, description="seconds, in order of appearance")
    channels: list[str] = Field(default_factory=list)
    entities: dict[str, list[str]] = Field(default_factory=dict, description="canonical noun → names listed")
    includes: list[str] = Field(default_factory=list, description="columns or sections the request lists")
    totals: list[Literal["sum", "average"]] = Field(default_factory=list)
    growth: list[Literal["pop", "yoy"]] = Field(default_factory=list, description="period-over-period, year-over-year")
    chart: Literal["bar", "line", "pie", "any"] | None = None

    @property
    def period(self) -> Period | None:
        return self.periods[0] if self.periods else None

    @property
    def duration_s(self) -> float | None:
        return self.durations[0] if self.durations else None

    def count(self, *nouns: str) -> int | None:
        """The number asked for the first of ``nouns`` that has one (a listed set counts as its size)."""
        for noun in nouns:
            if noun in self.counts:
                return self.counts[noun]
            if self.entities.get(noun):
                return len(self.entities[noun])
        return None

    def names(self, noun: str) -> list[str]:
        return list(self.entities.get(noun, []))

    def summary(self, language: str | None = None) -> str:
        """The requirements in one line, for a prompt ('' when the request stated none)."""
        zh = (language or self.language) == "zh"
        parts = []
        for noun, value in self.counts.items():
            names = self.entities.get(noun)
            parts.append(f"{value} {noun}" + (f" ({', '.join(names)})" if names else ""))
        parts += [f"{noun}: {', '.join(v)}" for noun, v in self.entities.items() if noun not in self.counts]
        parts += [f"{p.text} = {p.start.isoformat()}…{p.end.isoformat()}" for p in self.periods]
        if self.interval:
            parts.append(("每" if zh else "per ") + self.interval)
        if self.includes:
            parts.append(("包括：" if zh else "including: ") + ", ".join(self.includes))
        parts += [f"total: {t}" for t in self.totals] + [f"growth: {g}" for g in self.growth]
        parts += [f"{s:g} s" for s in self.durations]
        return "; ".join(parts)


# ---------------------------------------------------------------- counts

_EN_COUNT = re.compile(
    rf"(?<![\w$¥€£.,:/-])(\d{{1,4}}|{EN_NUM})(?:\s*-\s*|\s+)"
    rf"(?:(?!(?:and|or|to|of|per|in|for|the)\b)[a-z][\w'-]*\s+){{0,2}}?({_EN_NOUN})\b",
    re.IGNORECASE,
)
_ZH_COUNT = re.compile(
    rf"(?<![第\d.\-~～到至零〇一二两三四五六七八九十百])(\d{{1,4}}|{ZH_NUM})\s*({_ZH_MEASURE})?\s*(?:不同的?|新的?|主要的?|核心的?|的)?"
    rf"\s*({_ZH_NOUN})?"
)


def _counts(text: str) -> dict[str, int]:
    found: list[tuple[int, str, int]] = []
    for m in _EN_COUNT.finditer(text):
        value, noun = number(m[1]), _canonical(m[2])
        if noun and value and value <= MAX_COUNT:
            found.append((m.start(), noun, value))
    for m in _ZH_COUNT.finditer(text):
        value = number(m[1])
        if not value or value > MAX_COUNT:
            continue
        measure, word = m[2], m[3]
        noun = _canonical(word) if word else None
        if noun == "quarter" and measure != "个":  # 三季度 is Q3, 三个季度 three quarters
            noun = None
        if noun is None and measure in _ZH_MEASURES and (m[1].isdigit() or value >= 2 or measure in "页款"):
            noun = _ZH_MEASURES[measure]
        if noun:
            found.append((m.start(), noun, value))
    counts: dict[str, int] = {}
    for _, noun, value in sorted(found):
        counts.setdefault(noun, value)
    return counts


# ---------------------------------------------------------------- named lists

_CAP = r"[A-Z][\w&'.-]*(?:\s+[A-Z][\w&'.-]*){0,2}"
_LOW = r"[a-z][\w'-]*"
_EN_LIST_BEFORE = re.compile(
    rf"((?:{_CAP})(?:\s*,\s*{_CAP})*\s*,?\s*(?:and|&|or)\s+{_CAP}|\b{_LOW}(?:\s*,\s*{_LOW})+\s*,?\s*(?:and|&)\s+"
    rf"{_LOW})\s+(?i:({_EN_NOUN}))\b"
)
_EN_LIST_AFTER = re.compile(
    rf"\b({_EN_NOUN})\s*(?::|\(|—|–|,?\s*(?:such\s+as|namely|called|named|i\.e\.)\s)\s*([^.;:()\n]+)", re.IGNORECASE
)
_ZH_ITEM = r"[\u4e00-\u9fffA-Za-z0-9]{1,12}"
_ZH_LIST_BEFORE = re.compile(
    rf"((?:{_ZH_ITEM}[、/])+{_ZH_ITEM}?(?:(?:和|及|与|以及){_ZH_ITEM}?)?|{_ZH_ITEM}(?:和|及|与){_ZH_ITEM}?)"
    rf"(?:等|共|这|这些)?\s*(?:(?:\d+|{ZH_NUM})\s*(?:{_ZH_MEASURE})?)?\s*(?:的)?({_ZH_NOUN})"
)
_ZH_LIST_AFTER = re.compile(rf"({_ZH_NOUN})(?:分别)?(?:\s*[:：]|是|为|包括|有|[（(])\s*([^，。；;！？!?\n)）]+)")
_FILLER_ZH = re.compile(r"^(?:做|制作|写|给|为|对|按|在|包括|包含|有|分|是|的|个|一个|一份|张|[:：])+")
_TAIL_EN = re.compile(r"\s+(?:with|for|by|per|in|each|over|across|showing|plus|from|during|at|on)\b.*$", re.IGNORECASE)


def _split_en(items: str) -> list[str]:
    parts = re.split(r"\s*(?:,|/|&|\band\b|\bor\b)\s*", items)
    out = []
    for part in parts:
        part = _TAIL_EN.sub("", part.strip())
        part = re.sub(r"^(?:the|a|an)\s+", "", part, flags=re.IGNORECASE).strip(" '\"")
        if part and len(part.split()) <= 4:
            out.append(part)
    return out


def _split_zh(items: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"[、/,，]|和|及|与|以及", items) if p.strip()]
    if len(parts) >= 2:  # the first item may carry the words before the list: trim it to the others' length
        longest = max(len(p) for p in parts[1:])
        first = _FILLER_ZH.sub("", parts[0])
        parts[0] = first[-longest:] if len(first) > longest + 1 else first
    return [p for p in parts if p]


def _entities(text: str) -> dict[str, list[str]]:
    found: list[tuple[int, str, list[str]]] = []
    taken: list[tuple[int, int]] = []  # "sections: A, B and Next steps" is a list of sections, not of steps
    for pattern, noun_group, list_group, split in (
        (_EN_LIST_AFTER, 1, 2, _split_en),
        (_ZH_LIST_AFTER, 1, 2, _split_zh),
        (_EN_LIST_BEFORE, 2, 1, _split_en),
        (_ZH_LIST_BEFORE, 2, 1, _split_zh),
    ):
        for m in pattern.finditer(text):
            if any(s < m.end(list_group) and m.start(list_group) < e for s, e in taken):
                continue
            taken.append(m.span(list_group))
            found.append((m.start(), _canonical(m[noun_group]) or "", split(m[list_group])))
    out: dict[str, list[str]] = {}
    for _, noun, names in sorted(found, key=lambda f: f[0]):
        names = [n for n in dict.fromkeys(names) if 0 < len(n) <= MAX_ITEM_CHARS and not _is_flag(n)]
        if noun and len(names) >= 2 and noun not in out:
            out[noun] = names
    return out


# ---------------------------------------------------------------- required columns / sections

_INCLUDES_EN = re.compile(
    r"\b(?:including|includes?|covering|covers|showing|listing|with\s+(?:the\s+)?(?:columns?|"
    r"sections?|slides?|fields?)(?:\s+(?:for|on|about))?|(?:columns?|sections?|fields?)\s*:|"
    r"broken\s+down\s+into)\s*[:：]?\s*([^.;:()\n]+)",
    re.IGNORECASE,
)
_INCLUDES_ZH = re.compile(
    r"(?:列出|列明|包括|包含|含有|涵盖|内容有|内容包括|分为|分成|要有|需要有|有以下)\s*"
    r"(?:以下|如下)?(?:几?个?(?:内容|部分|方面|章节|栏目|列))?\s*[:：]?\s*"
    r"([^，。；;！？!?\n]+)"
)
_ZH_INCLUDE_END = re.compile(r"(?:并|等|这几|几个|几部分|\d+\s*个?部分).*$")
_SUM = r"\bsums?\b|\btotals?\b|\bsubtotals?\b|合计|总计|汇总|总和|求和|小计|总额"
_AVERAGE = r"\baverages?\b|\bmean\b|\bavg\b|平均|均值"
_POP = (
    r"period[- ]over[- ]period|(?:week|month|quarter|day)[- ]over[- ](?:week|month|quarter|day)|\b(?:WoW|MoM|QoQ|DoD)\b"
    r"|环比|sequential\s+growth|growth\s+(?:rate|%)|增长率|增速"
)
_YOY = r"year[- ](?:over|on)[- ]year|\bYoY\b|同比|(?:vs\.?|versus|compared\s+(?:with|to))\s+last\s+year|比去年"
_CHART = r"chart|graph|plot|图表|柱状图|柱形图|条形图|折线图|趋势图|饼图|饼状图"
_FLAG = re.compile(f"{_SUM}|{_AVERAGE}|{_POP}|{_YOY}|{_CHART}|\\bgrowth\\b|增长", re.IGNORECASE)


def _is_flag(item: str) -> bool:
    return bool(_FLAG.search(item))


def _tidy_item(item: str) -> str:
    item = re.sub(r"\s+(?:columns?|sections?|fields?|slides?)$", "", item.strip(), flags=re.IGNORECASE)
    return re.sub(r"(?:这?几?[列项栏]|部分)$", "", item).strip()


def _includes(text: str) -> list[str]:
    items: list[str] = []
    for m in _INCLUDES_EN.finditer(text):
        items += _split_en(m[1])
    for m in _INCLUDES_ZH.finditer(text):
        items += _split_zh(_ZH_INCLUDE_END.sub("", m[1]))
    out = [_tidy_item(i) for i in items]
    return [i for i in dict.fromkeys(out) if i and len(i) <= MAX_ITEM_CHARS and not _is_flag(i)]


# ---------------------------------------------------------------- flags, intervals, durations, channels, language

_INTERVALS: list[tuple[str, str]] = [
    (
        "week",
        (
            r"\bweekly\b|\b(?:per|each|every|by)\s+week\b|week[- ](?:by|over|on)[- ]week|\bWoW\b|每周|按周|周度|逐周|分周|周环比|"
            r"周报|(?<![\d一二三四五六七八九十本下上这])周(?:销售|销量|营业|收入|数据|报表|统计)"
        ),
    ),
    (
        "month",
        (
            r"\bmonthly\b|\b(?:per|each|every|by)\s+month\b|month[- ](?:by|over|on)[- ]month|\bMoM\b|每月|每个月|按月|"
            r"月度|逐月|分月|月环比|月报|(?<![\d一二三四五六七八九十本下上这个-])月(?:销售|销量|营业|数据|报表|统计)"
        ),
    ),
    ("day", r"\bdaily\b|\b(?:per|each|every|by)\s+day\b|day[- ](?:by|over)[- ]day|每天|每日|按天|按日|逐日|日报"),
    (
        "quarter",
        (
            r"\bquarterly\b|\b(?:per|each|every|by)\s+quarter\b|quarter[- ]over[- ]quarter|\bQoQ\b|每季度?|"
            r"按季度?|分季度|季度环比|季报"
        ),
    ),
    ("year", r"\b(?:yearly|annually)\b|\b(?:per|each|every|by)\s+year\b|每年|按年|逐年"),
]
_INTERVAL_RE = [(unit, re.compile(regex, re.IGNORECASE)) for unit, regex in _INTERVALS]
_COUNT_UNITS = {"day": "day", "week": "week", "month": "month", "quarter": "quarter"}

_DURATION_EN = re.compile(
    rf"(?<![\w.])(\d+(?:\.\d+)?|{EN_NUM}|half\s+an?)\s*(?:-\s*)?"
    r"(seconds?|secs?|minutes?|mins?|hours?|hrs?)\b|(?<![\w.])(\d+)s\b(?=\s+(?:video|ad|clip|spot|"
    r"script|reel|promo|commercial|trailer|teaser|story|intro))",
    re.IGNORECASE,
)
_DURATION_ZH = re.compile(
    rf"(\d+(?:\.\d+)?|{ZH_NUM}|半)\s*(秒钟?|分钟|分(?=\d+秒|[一二三四五六七八九十]+秒|半)|小时|个小时)(半)?"
)
_SECONDS = {"s": 1, "m": 60, "h": 3600, "秒": 1, "分": 60, "小": 3600, "个": 3600}

_CHANNELS: list[tuple[str, str]] = [
    ("xiaohongshu", r"小红书|红书|xiaohongshu|\bRED\b|little\s+red\s+book"),
    ("douyin", r"抖音|douyin"),
    ("tiktok", r"tik\s?tok"),
    ("weibo", r"微博|weibo"),
    ("wechat_moments", r"朋友圈|wechat\s+moments"),
    ("wechat", r"公众号|微信|wechat|weixin"),
    ("taobao", r"淘宝|天猫|taobao|tmall"),
    ("jd", r"京东|\bJD\.com\b"),
    ("pinduoduo", r"拼多多|pinduoduo"),
    ("amazon", r"亚马逊|\bamazon\b"),
    ("instagram", r"instagram|\bIG\b|\bins\b"),
    ("x", r"twitter|\bX\s+post"),
    ("facebook", r"facebook|\bFB\b"),
    ("linkedin", r"linkedin|领英"),
    ("youtube", r"youtube|油管"),
    ("bilibili", r"bilibili|哔哩哔哩|\bB站"),
    ("kuaishou", r"快手|kuaishou"),
    ("email", r"\be-?mail\b|newsletter|邮件"),
    ("sms", r"\bSMS\b|短信"),
    ("search_ad", r"search\s+ads?|搜索广告|\bSEM\b"),
]
_CHANNEL_RE = [(key, re.compile(regex, re.IGNORECASE)) for key, regex in _CHANNELS]
_BILINGUAL = re.compile(
    r"bilingual|中英(?:文|双语|对照)?|双语|(?:chinese|english)\s+and\s+(?:chinese|english)", re.IGNORECASE
)
_WANTS_EN = re.compile(r"\bin\s+english\b|\benglish\s+(?:version|copy|only)\b|英文|英语", re.IGNORECASE)
_WANTS_ZH = re.compile(
    r"\bin\s+(?:chinese|mandarin|simplified\s+chinese)\b|\bchinese\s+(?:version|copy|only)\b|中文|汉语|简体",
    re.IGNORECASE,
)


def _interval(text: str, counts: dict[str, int]) -> str | None:
    for unit, pattern in _INTERVAL_RE:
        if pattern.search(text):
            return unit
    for noun in ("week", "day", "month", "quarter"):  # "13 weeks of sales": one row a week
        if noun in counts and counts[noun] > 1:
            return _COUNT_UNITS[noun]
    return None


def _durations(text: str) -> list[float]:
    found: list[tuple[int, int, float]] = []
    for m in _DURATION_EN.finditer(text):
        if m[3]:
            found.append((m.start(), m.end(), float(m[3])))
            continue
        amount = m[1].lower()
        value = 0.5 if amount.startswith("half") else float(number(amount) or amount)
        found.append((m.start(), m.end(), value * _SECONDS[m[2][0].lower()]))
    for m in _DURATION_ZH.finditer(text):
        value = 0.5 if m[1] == "半" else float(number(m[1]) or m[1])
        value += 0.5 if m[3] else 0
        found.append((m.start(), m.end(), value * _SECONDS[m[2][0]]))
    found.sort()
    out: list[float] = []
    last_end = -10
    for start, end, seconds in found:  # "1 minute 30 seconds", "1分30秒" add up
        if out and re.fullmatch(r"\s*(?:and\s+)?零?\s*", text[last_end:start]):
            out[-1] += seconds
        else:
            out.append(seconds)
        last_end = end
    return out


def _language(text: str) -> tuple[str, bool, bool]:
    detected = "zh" if CJK.search(text) else "en"
    if _BILINGUAL.search(text):
        return detected, False, True
    wants_en, wants_zh = _WANTS_EN.search(text), _WANTS_ZH.search(text)
    if wants_en and not wants_zh:
        return "en", True, False
    if wants_zh and not wants_en:
        return "zh", True, False
    return detected, False, False


def _chart(text: str) -> str | None:
    if re.search(r"\bpie\b|饼", text, re.IGNORECASE):
        return "pie"
    if re.search(r"\bline\s+(?:chart|graph)|折线|趋势图|trend\s+line", text, re.IGNORECASE):
        return "line"
    if re.search(r"\b(?:bar|column)\s+(?:chart|graph)|柱状|柱形|条形图", text, re.IGNORECASE):
        return "bar"
    return "any" if re.search(_CHART, text, re.IGNORECASE) else None


def parse_constraints(text: str, today: dt.date | None = None) -> Constraints:
    """The constraints ``text`` states, with periods resolved against ``today`` (default: ``today()``)."""
    day = today or current_day()
    language, explicit, bilingual = _language(text)
    counts = _counts(text)
    entities = _entities(text)
    includes = _includes(text) + [n for noun in ("column", "section", "slide") for n in entities.get(noun, [])]
    growth = [g for g, regex in (("pop", _POP), ("yoy", _YOY)) if re.search(regex, text, re.IGNORECASE)]
    totals = [t for t, regex in (("sum", _SUM), ("average", _AVERAGE)) if re.search(regex, text, re.IGNORECASE)]
    return Constraints(
        today=day,
        language=language,
        language_explicit=explicit,
        bilingual=bilingual,
        counts=counts,
        periods=find_periods(text, day),
        interval=_interval(text, counts),
        durations=_durations(text),
        channels=[key for key, pattern in _CHANNEL_RE if pattern.search(text)],
        entities=entities,
        includes=list(dict.fromkeys(includes)),
        totals=totals,
        growth=growth,
        chart=_chart(text),
    )
