"""Absolute and comparative claims: found, and removed unless the user's own facts state them.

China's Advertising Law (广告法, art. 9, 17, 28) forbids absolute terms such as 最, 第一, 国家级, 顶级,
medical claims (根治, 无副作用) and unproven guarantees (保证); English ad codes treat "best",
"guaranteed", "#1" and unsupported comparisons ("better than other …") the same way. A small model
adds such words freely, so every piece of copy passes through :func:`scrub_claims`.

A claim the user's facts make too (the same claim found in the facts) is kept: it is theirs to
prove. Any other claim is handled by its rule's action:

- ``rewrite``: replaced by a plain word that keeps the sentence readable (最好喝 → 很好喝,
  "the finest beans" → "fine beans");
- ``remove``: the words are deleted (国家级非遗 → 非遗, "100% organic" → "organic");
- ``sentence``: the whole sentence goes (a guarantee, a medical claim: deleting the word alone
  would leave a broken or inverted sentence); a text of one sentence loses the clause, a text of
  one clause the words only.

Words that look absolute but state no claim are not matched: 最近/最后/最多/最好提前…,
第一次/第一步/第一口…, "best before", "all the best", "works best with", "make the most of".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["Claim", "find_claims", "scrub_claims", "scrub_claims_in", "describe_claims"]

Replacement = str | dict[str, str]  # a template (\g<name> allowed) or a word → replacement table
_HAN = "\u4e00-\u9fff"


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    replacement: Replacement
    action: str = "rewrite"  # rewrite | remove | sentence
    skip: Callable[[str, re.Match[str]], bool] | None = None  # context that makes the match no claim


def _zh(pattern: str, replacement: Replacement, action: str = "rewrite", skip=None) -> _Rule:
    return _Rule(re.compile(pattern), replacement, action, skip)


def _en(pattern: str, replacement: Replacement, action: str = "rewrite", skip=None) -> _Rule:
    return _Rule(re.compile(pattern, re.IGNORECASE), replacement, action, skip)


# 最 + a word, except time/quantity words and advice (最好提前预约 = "better book ahead")
_ZUI_NOT_A_CLAIM = (
    r"近|后|终|初|早|晚|迟|多|少|爱|起|好(?:提前|先|别|不要|尽快|趁|及时|当天|冷藏|避光|密封|在|于|搭配|配合|放)"
    r"|高(?:立减|减|可|返|优惠|享|省|领)|低(?:消费|起订|购买)"
)
# 第 + 一 + a measure word or time noun is an ordinal (第一次, 第一口, 第一件半价), not a rank
_DIYI_ORDINAL = (
    r"[次步天口眼件杯个批期周季章节轮位时印站场单份款遍条种层道年月届回只盒瓶袋包颗块张感人手波顿部百十弹代]"
)
_PREFIX_ZH = r"(?:史上|全网|全球|全国|世界|宇宙|全城|全市|行业|业内|同类|市面上|目前)"

_ZH_RULES: list[_Rule] = [
    _zh(
        rf"{_PREFIX_ZH}?(?P<word>(?:性价比|口碑|人气|销量)(?P<key>第一))",
        {"性价比第一": "性价比高", "口碑第一": "口碑好", "人气第一": "人气高", "销量第一": "热销"},
    ),
    _zh(rf"(?:{_PREFIX_ZH}|全平台|品类)?(?:销量|人气|口碑|排名|销售额)?(?P<key>第一)(?!{_DIYI_ORDINAL})", "受欢迎"),
    _zh(rf"(?:{_PREFIX_ZH}|全场|历史|全年)?(?P<key>最低价)(?:格)?", "实惠价"),
    _zh(r"(?P<key>最佳)", "理想"),
    _zh(r"(?P<key>最新)", "新"),
    _zh(rf"{_PREFIX_ZH}?(?P<key>最(?!{_ZUI_NOT_A_CLAIM})(?P<rest>[{_HAN}]))", r"很\g<rest>"),
    _zh(r"(?:国家级|世界级|全球级|宇宙级|殿堂级|驰名商标|特供|专供|史无前例|前所未有|万人疯抢|秒杀全网)", "", "remove"),
    _zh(
        r"(?:顶级|顶尖|极品|极致|完美|至尊|王牌|独一无二|唯一的|遥遥领先|行业领先|领先品牌|领导品牌|首选)",
        {
            "顶级": "优质",
            "顶尖": "优质",
            "极品": "优质",
            "极致": "出色",
            "完美": "理想",
            "至尊": "尊享",
            "王牌": "招牌",
            "独一无二": "独特",
            "唯一的": "理想的",
            "遥遥领先": "出色",
            "行业领先": "成熟",
            "领先品牌": "品牌",
            "领导品牌": "品牌",
            "首选": "优选",
        },
    ),
    _zh(r"(?:无敌|终极|巅峰|唯一(?!的)|独家|(?:国内|全国|全球|业内|行业)?首(?:个|家|创))", "", "remove"),
    _zh(r"(?:百分之百|百分百)", "", "remove"),
    _zh(r"(?:品质|质量)有?保[证障]", "品质用心"),
    _zh(r"(?:保证(?!金)(?:有效|效果)?|承诺|包退|包换|包赔|无效退款)", "", "sentence"),
    _zh(
        r"(?:根治|治愈|药到病除|包治|神效|无副作用|零风险|特效药|疗效|治疗|抗癌|防癌|降血压|降血糖|降三高|减肥|祛斑|美白"
        r"|零添加|无添加|纯天然)",
        "",
        "sentence",
    ),
    _zh(
        r"(?:永久|永不|永远|绝对|绝不|从不|万能|万无一失|绝无仅有|无可挑剔|零差评|全网好评)",
        {
            "永久": "持久",
            "永不": "不易",
            "永远": "",
            "绝对": "",
            "绝不": "不",
            "从不": "不",
            "万能": "多用途",
            "万无一失": "稳妥",
            "绝无仅有": "少见",
            "无可挑剔": "出色",
            "零差评": "",
            "全网好评": "",
        },
    ),
    _zh(r"比(?:其他|别的|同类|别家|市面上|同行|竞品)[^，。！？,.!?\n]{0,12}?(?:更|还要|还)", "很"),
]


_BEST_BEFORE = re.compile(
    r"(?:\ball(?:\s+the)?|\bat|\b(?:do|try|doing|trying)\s+(?:your|our|my|their|his|her)|\b(?:works|pairs|"
    r"tastes|looks|goes|served|enjoyed|kept|stored))\s+$"
)
_BEST_AFTER = re.compile(
    r"[- ](?:before|by)\b|\s+(?:regards|wishes|enjoyed|served|kept|stored|used|when|with|of\s+luck)\b"
)


def _en_best_skip(text: str, m: re.Match[str]) -> bool:
    """'all the best', 'do your best', 'works best with', 'best before' … are no claims."""
    before = text[max(0, m.start() - 20) : m.start()].lower()
    return bool(_BEST_BEFORE.search(before) or _BEST_AFTER.match(text, m.end()))


def _always_skip(text: str, m: re.Match[str]) -> bool:
    """'as always', 'almost always', 'not always' state no absolute."""
    return bool(
        re.search(
            r"\b(?:as|almost|nearly|not|isn't|aren't|don't|doesn't)\s+$",
            text[max(0, m.start() - 12) : m.start()],
            re.IGNORECASE,
        )
    )


_EN_RULES: list[_Rule] = [
    _en(r"\b(?:the\s+)?(?P<key>best)[- ]?sell(?:ing|ers?)\b", "favorite"),
    _en(r"\b(?:the\s+)?(?:world'?s\s+|very\s+|absolute\s+)?(?P<key>best)\b(?:\s+ever)?", "great", skip=_en_best_skip),
    _en(
        r"\b(?:the\s+)?(?P<key>finest|greatest|healthiest|freshest|strongest|safest|purest|cheapest|tastiest|smoothest|"
        r"softest|top-rated|highest[- ]quality|lowest\s+prices?)\b",
        {
            "finest": "fine",
            "greatest": "great",
            "healthiest": "healthy",
            "freshest": "fresh",
            "strongest": "strong",
            "safest": "safe",
            "purest": "pure",
            "cheapest": "affordable",
            "tastiest": "tasty",
            "smoothest": "smooth",
            "softest": "soft",
            "top-rated": "well-loved",
            "highest-quality": "high-quality",
            "highest quality": "high-quality",
            "lowest price": "low price",
            "lowest prices": "low prices",
        },
    ),
    _en(r"(?:\bthe\s+)?(?P<key>#\s?1\b|\bno\.?\s?1\b|\bnumber\s+one\b)", "", "sentence"),
    _en(r"\b(?P<key>guarantee[ds]?)\b|\b(?P<key2>money[- ]back)\b", "", "sentence"),
    _en(
        r"\b(?P<key>world[- ]class|world[- ]leading|industry[- ]leading|market[- ]leading|unbeatable|unrivall?ed|"
        r"unmatched|unparalleled|perfect)\b",
        {
            "world-class": "excellent",
            "world class": "excellent",
            "world-leading": "excellent",
            "world leading": "excellent",
            "industry-leading": "proven",
            "industry leading": "proven",
            "market-leading": "proven",
            "market leading": "proven",
            "unbeatable": "great",
            "unrivaled": "great",
            "unrivalled": "great",
            "unmatched": "great",
            "unparalleled": "great",
            "perfect": "ideal",
        },
    ),
    _en(r"\b(?P<key>the\s+only)\b(?!\s+(?:thing|way|time|one\s+(?:you|i|we)))", "a"),
    _en(
        r"\b(?P<key>the\s+first)\b(?=\s+(?:and\s+only\s+)?(?:brand|company|shop|store|caf[eé]|roaster|bakery|"
        r"product|one\s+to|to)\b)",
        "a",
    ),
    _en(
        r"\b(?:the\s+)?(?P<key>most)\s+(?=(?:popular|loved|trusted|advanced|effective|powerful|delicious|comfortable|"
        r"beautiful|reliable|innovative)\b)",
        "very ",
    ),
    _en(r"\b(?P<key>the\s+most)\b(?!\s+(?:of|out\b|important|common|people|part|recent))", "very"),
    _en(r"(?<![\w.])(?P<key>100\s*%|(?:100|one\s+hundred)\s+percent)", "", "remove"),
    _en(r"\b(?P<key>always)\b\s*", "", "remove", skip=_always_skip),
    _en(r"\b(?P<key>forever)\b\s*", "", "remove"),
    _en(
        r"\b(?P<key>never\s+(?:fails?|let\s+you\s+down|lets\s+you\s+down|disappoints?|fades?|breaks?|leaks?|"
        r"wears?\s+out|goes\s+(?:stale|wrong)))\b",
        "",
        "sentence",
    ),
    _en(
        r"\b(?P<key>absolutely|totally|completely)\s+(?=(?:safe|harmless|natural|pure|free|risk|painless|"
        r"effortless)\b)",
        "",
        "remove",
    ),
    _en(r"\b(?P<key>every(?:one|body)\s+loves)\b", "people love"),
    _en(r"\b(?P<key>zero[- ]risk)\b", "", "sentence"),
    _en(r"\b(?P<key>award[- ]winning|miracle|revolutionary)\s*", "", "remove"),
    _en(
        r"\b(?P<key>cures?|heals?|risk[- ]free|no\s+side[- ]effects|clinically\s+proven|scientifically\s+proven|"
        r"doctor[- ]recommended|lose\s+weight|weight\s+loss)\b",
        "",
        "sentence",
    ),
    _en(
        r"\b(?P<key>better\s+than)\s+(?:any\s+|all\s+)?(?:other|the\s+rest|the\s+competition|competitors?|"
        r"others)[^,.;!?\n]{0,30}",
        "great",
    ),
    _en(
        r"\b(?P<key>superior\s+to|beats|outperforms)\s+(?:any\s+|all\s+)?(?:other|competitors?|the\s+rest|others)",
        "",
        "sentence",
    ),
]
_RULES = _ZH_RULES + _EN_RULES


@dataclass(frozen=True)
class Claim:
    text: str  # the words found
    start: int
    replacement: str  # what they become ("" = removed)
    action: str = "rewrite"  # rewrite | remove | sentence (the sentence holding them was dropped)
    key: str = ""  # the claim itself, normalised (最好, best, guaranteed): what the facts must state to keep it


def _key(m: re.Match[str]) -> str:
    groups = m.groupdict()
    raw = groups.get("key") or groups.get("key2") or m.group(0)
    return re.sub(r"\s+", " ", raw.strip().lower())


def _replacement(rule: _Rule, m: re.Match[str]) -> str:
    if isinstance(rule.replacement, dict):
        table = rule.replacement
        for word in (m.group(0), m.groupdict().get("word") or "", m.groupdict().get("key") or ""):
            if word and (word in table or word.lower() in table):
                return table.get(word, table.get(word.lower(), ""))
        return ""
    return m.expand(rule.replacement)


def _match_case(found: str, replacement: str) -> str:
    if found[:1].isupper() and replacement[:1].islower():
        return replacement[0].upper() + replacement[1:]
    return replacement


def _raw_claims(text: str) -> Iterable[tuple[_Rule, re.Match[str]]]:
    for rule in _RULES:
        for m in rule.pattern.finditer(text):
            if m.group(0).strip() and not (rule.skip and rule.skip(text, m)):
                yield rule, m


def find_claims(text: str, facts: str = "") -> list[Claim]:
    """Claims in ``text`` that the ``facts`` do not make, in order of appearance."""
    stated = {_key(m) for _, m in _raw_claims(facts)} if facts else set()
    claims: list[Claim] = []
    taken: list[tuple[int, int]] = []
    for rule, m in _raw_claims(text):
        key = _key(m)
        if key in stated or any(s < m.end() and m.start() < e for s, e in taken):
            continue
        taken.append((m.start(), m.end()))
        replacement = _match_case(m.group(0), _replacement(rule, m)) if rule.action == "rewrite" else ""
        claims.append(Claim(m.group(0), m.start(), replacement, rule.action, key))
    return sorted(claims, key=lambda c: c.start)


_LOWER_START = re.compile(r"\s*([a-z])")
_SENTENCE = re.compile(r"[^。！？!?；;…\n]*?(?:[。！？!?；;…]+|\.(?=\s|$)|\n|$)")


def _sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, its end mark included, trailing spaces included."""
    spans, pos = [], 0
    while pos < len(text):
        m = _SENTENCE.match(text, pos)
        end = m.end() if m and m.end() > pos else len(text)
        while end < len(text) and text[end] in " \t":
            end += 1
        spans.append((pos, end))
        pos = end
    return spans


def _clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """(start, end) of each clause of text[start:end], its closing comma included."""
    spans, pos = [], start
    for m in re.finditer(r"[，,、;；:：]\s*", text[start:end]):
        spans.append((pos, start + m.end()))
        pos = start + m.end()
    if pos < end:
        spans.append((pos, end))
    return spans


def _dropped_sentences(text: str, claims: list[Claim]) -> list[tuple[int, int]]:
    """Spans to delete for the ``sentence`` claims: the sentence holding each one; in a text of one
    sentence, the clause holding it; none when that would empty the text (the words go instead)."""
    targets = [c.start for c in claims if c.action == "sentence"]
    if not targets:
        return []
    for spans in (_sentences(text), [c for s, e in _sentences(text) for c in _clauses(text, s, e)]):
        drop = sorted({span for t in targets for span in spans if span[0] <= t < span[1]})
        kept = "".join(text[s:e] for s, e in spans if (s, e) not in drop)
        if re.search(r"\w", kept):
            return drop
    return []


def scrub_claims(text: str, facts: str = "") -> tuple[str, list[Claim]]:
    """``text`` with unsupported claims rewritten or removed, and the claims that were changed."""
    claims = find_claims(text, facts)
    if not claims:
        return text, []
    drop = _dropped_sentences(text, claims)
    out, pos, changed = [], 0, []
    for c in claims:
        if any(s <= c.start < e for s, e in drop):
            changed.append(c)
            continue
        action = "remove" if c.action == "sentence" or not c.replacement.strip() else c.action
        changed.append(Claim(c.text, c.start, c.replacement if action == "rewrite" else "", action, c.key))
    for start, end, new in sorted(
        [(s, e, "") for s, e in drop]
        + [(c.start, c.start + len(c.text), c.replacement) for c in changed if c.action != "sentence"]
    ):
        if start < pos:
            continue
        out.append(text[pos:start])
        at_start = re.search(r"(?:^|[.!?]\s+)$", "".join(out))
        new = _article(new, text[end:])
        if at_start and not new.strip():
            rest = _LOWER_START.match(text, end)
            if rest:  # "100% organic beans" → "Organic beans"
                new = text[end : rest.start(1)].lstrip() + rest.group(1).upper()
                end = rest.end(1)
        out.append(new)
        pos = end
    out.append(text[pos:])
    return _tidy(text, "".join(out)), changed


def _article(replacement: str, rest: str) -> str:
    if replacement.lower() == "a" and re.match(r"\s*[aeiou]", rest, re.IGNORECASE):
        return replacement + "n"
    return replacement


def _tidy(original: str, cleaned: str) -> str:
    cleaned = re.sub(r"[ \t]{2,}", " ", cleaned)
    cleaned = re.sub(r"([,，、;；:：])\s*(?=[,，、.。;；!！?？])", "", cleaned)  # a clause emptied by a removal
    cleaned = re.sub(r"([,，、])\s*\1+", r"\1", cleaned)
    cleaned = re.sub(r"\s+([,.;!?，。；！？])", r"\1", cleaned)
    cleaned = re.sub(r"[（(]\s*[）)]", "", cleaned)
    cleaned = re.sub(r"很很", "很", cleaned)
    cleaned = re.sub(r"的的", "的", cleaned)
    cleaned = (
        re.sub(rf"(?<=[{_HAN}])\s+(?=[{_HAN}])", "", cleaned)
        if not re.search(rf"[{_HAN}]\s[{_HAN}]", original)
        else cleaned
    )
    cleaned = re.sub(r"\b(a|an|the)\s+(a|an|the)\b", r"\1", cleaned, flags=re.IGNORECASE)
    cleaned = re.sub(r"^[\s,，、.。;；:：的]+", "", cleaned)
    cleaned = re.sub(r"\n[ \t]*[,，、;；:：]\s*", "\n", cleaned)
    cleaned = cleaned.strip()
    if cleaned[-1:] in ",，、;；:：":  # the last clause went: the sentence still ends as it did
        end = original.strip()[-1:]
        cleaned = cleaned[:-1].rstrip() + (end if end in "。.！!？?" else "")
    if original[:1].isupper() and cleaned[:1].islower():
        cleaned = cleaned[0].upper() + cleaned[1:]
    return cleaned.strip()


def describe_claims(claims: list[Claim]) -> str:
    """What was changed, for a check's detail: "'最好' → '很好'; removed '国家级'; dropped the sentence with …"."""
    parts = []
    for c in claims:
        if c.action == "rewrite":
            parts.append(f"'{c.text.strip()}' → '{c.replacement.strip()}'")
        elif c.action == "remove":
            parts.append(f"removed '{c.text.strip()}'")
        else:
            parts.append(f"dropped the sentence (or clause) with '{c.text.strip()}'")
    return "; ".join(parts)


def scrub_claims_in(value: Any, facts: str = "") -> list[Claim]:
    """:func:`scrub_claims` on every string inside a JSON-like plan (dicts and lists, changed in
    place; a spreadsheet formula, a string starting with "=", is left alone); the claims changed."""
    found: list[Claim] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in list(items):
        if isinstance(item, str) and not item.startswith("="):
            value[key], claims = scrub_claims(item, facts)
            found += claims
        elif isinstance(item, (dict, list)):
            found += scrub_claims_in(item, facts)
    return found
