"""Facts not invented, where a machine can tell cheaply: numbers and prices.

Copy may state only what the user gave. A number in the copy (a price, a percentage, a count, a
year) that the facts do not contain — as digits, as Chinese numerals (两个农场) or as English words
("two farms") — was invented by the model. ``drop_unsupported_numbers`` removes the clause that
holds it when the text keeps enough to stand on; what it cannot remove is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .periods import EN_NUMBERS, ZH_DIGITS

__all__ = ["numbers_in", "unsupported_numbers", "drop_unsupported_numbers", "NumberFix"]

# not inside a Latin word or code ("A4", "v2.1"), but a number glued to Chinese ("周日晚9点", "到140码") counts
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])([$¥€£]\s?)?(\d+(?:[.,]\d+)*)(\s?%)?")
# a list's numbering at the start of a line ("1. ", "2) ", "3、", "## 4. ") is no fact
_LIST_MARKER = re.compile(r"^[ \t>#*-]*\d{1,2}(?:[.)、]|\.(?=\s))[ \t]*(?=\S)", re.MULTILINE)
# number words: the period parser's tables (one source), plus the large units a stated fact may use
_EN_WORDS = {w: v for w, v in EN_NUMBERS.items() if " " not in w} | {"hundred": 100, "thousand": 1000}
_ZH_DIGITS = {c: v for c, v in ZH_DIGITS.items() if c != "〇"}
_ZH_NUMERAL = re.compile(r"[零一二两三四五六七八九十百千万]+")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９％＄￥．，", "0123456789%$¥.,")  # one for one: offsets stay
_TRIVIAL = {"0", "1"}  # "1 cup", "one bag": no claim in itself
_ASIDE = re.compile(r"\s?[(（][^()（）\n]{0,80}[)）]")  # a parenthesis within one line
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DATE = re.compile(
    rf"\s?(?:\b(?:by|on|until|before|from|in|of)\s+)?(?:\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}(?:,?\s+\d{{4}})?|\b\d{{4}}-\d{{1,2}}-\d{{1,2}}\b)"
    r"|(?:\d{4}年)?\d{1,2}月\d{1,2}[日号](?:之?前|以前|起)?|\d{4}年(?:\d{1,2}月)?",
    re.IGNORECASE,
)  # a date phrase, removed as one piece
_CLAUSE_MARKS = "，,、;；。！？!?\n"
MIN_KEPT_SHARE = 0.4  # a fix keeps at least this share of a text; beyond that the number is reported instead


def _value(digits: str) -> str:
    """'1,200' → '1200', '1.50' → '1.5', '2,5' (a decimal comma) stays '2,5'."""
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", digits):
        digits = digits.replace(",", "")
    if "." in digits and re.fullmatch(r"\d+\.\d+", digits):
        digits = digits.rstrip("0").rstrip(".")
    return digits


def _zh_numeral(text: str) -> int | None:
    total, current, unit_seen = 0, 0, False
    for ch in text:
        if ch in _ZH_DIGITS:
            current = _ZH_DIGITS[ch]
        else:
            unit = {"十": 10, "百": 100, "千": 1000, "万": 10000}[ch]
            if unit == 10000:
                total, current = (total + current) * unit, 0
            else:
                total += (current or 1) * unit
                current = 0
            unit_seen = True
    value = total + current
    return value if unit_seen or len(text) == 1 else None


def numbers_in(text: str) -> set[str]:
    """Every number a text states, as canonical digits: '1,200' → '1200', '两' → '2', 'two' → '2'."""
    text = (text or "").translate(_FULL_WIDTH)
    found = {_value(m.group(2)) for m in _NUMBER.finditer(text)}
    found |= {str(v) for w, v in _EN_WORDS.items() if re.search(rf"\b{w}\b", text, re.IGNORECASE)}
    for m in _ZH_NUMERAL.finditer(text):
        value = _zh_numeral(m.group(0))
        if value is not None:
            found.add(str(value))
    return found


@dataclass(frozen=True)
class _Number:
    text: str
    start: int
    end: int


def unsupported_numbers(text: str, facts: str) -> list[_Number]:
    """Numbers written as digits in ``text`` that the facts do not state (0 and 1 aside)."""
    known = numbers_in(facts)
    text = (text or "").translate(_FULL_WIDTH)
    markers = {m.end() for m in _LIST_MARKER.finditer(text)}
    out = []
    for m in _NUMBER.finditer(text):
        value = _value(m.group(2))
        if _is_marker(text, m, markers):
            continue
        if value not in known and value not in _TRIVIAL:
            out.append(_Number(m.group(0).strip(), m.start(), m.end()))
    return out


def _spans(found: list[re.Match[str]], bad: list[_Number]) -> list[tuple[int, int]]:
    """The spans of ``found`` that hold an unsupported number, in order, none overlapping."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(m.span() for m in found if any(m.start() <= n.start < m.end() for n in bad)):
        if not out or s >= out[-1][1]:
            out.append((s, e))
    return out


def _is_marker(text: str, m: re.Match[str], marker_ends: set[int]) -> bool:
    """The number opens a numbered line: only list punctuation and spaces between it and the text."""
    rest = text[m.end() :]
    gap = len(rest) - len(rest.lstrip(".)、 \t"))
    return m.end() + gap in marker_ends and not m.group(1) and not m.group(3)


@dataclass(frozen=True)
class NumberFix:
    text: str
    removed: list[str]  # the clauses dropped because of an invented number
    left: list[str]  # invented numbers still in the text (the clause could not go)


def _clauses(text: str, protected: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(start, end) of each clause, its closing mark included; marks inside numbers do not count."""
    spans, start = [], 0
    for i, ch in enumerate(text):
        mark = ch in _CLAUSE_MARKS or (ch == "." and text[i + 1 : i + 2] in ("", " ", "\n"))
        if mark and not any(s <= i < e for s, e in protected):
            spans.append((start, i + 1))
            start = i + 1
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def drop_unsupported_numbers(text: str, facts: str) -> NumberFix:
    """``text`` without the clauses that state numbers the facts do not, while at least
    ``MIN_KEPT_SHARE`` of it remains; numbers that could not go are listed in ``left``."""
    text = text or ""
    bad = unsupported_numbers(text, facts)
    if not bad:
        return NumberFix(text, [], [])
    asides = _spans([*_ASIDE.finditer(text), *_DATE.finditer(text)], bad)
    if asides:  # "1,240 (last week: 1,148)", "by December 15, 2026": the aside or date goes, the sentence stays
        trimmed = "".join(text[s:e] for s, e in zip([0, *(e for _, e in asides)], [*(s for s, _ in asides), len(text)]))
        rest = drop_unsupported_numbers(trimmed, facts)
        return NumberFix(rest.text, [text[s:e].strip(" （）()") for s, e in asides] + rest.removed, rest.left)
    protected = [(m.start(), m.end()) for m in _NUMBER.finditer(text.translate(_FULL_WIDTH))]
    clauses = _clauses(text, protected)
    drop = {c for c in clauses for n in bad if c[0] <= n.start < c[1]}
    kept = "".join(text[s:e] for s, e in clauses if (s, e) not in drop)
    if len(kept.strip()) < MIN_KEPT_SHARE * len(text.strip()) or not re.search(r"\w", kept):
        return NumberFix(text, [], [n.text for n in bad])
    removed = [text[s:e].strip(" ." + _CLAUSE_MARKS) for s, e in sorted(drop)]
    return NumberFix(_tidy(kept, text), removed, [])


def _tidy(kept: str, original: str) -> str:
    kept = re.sub(r"^[\s,，、;；]+", "", kept)
    kept = re.sub(r"[ \t]{2,}", " ", kept)
    kept = re.sub(r"\n[ \t]*[,，、;；]\s*", "\n", kept).strip()
    if kept and kept[-1] in ",，、;；" and original.strip()[-1:] in "。.!！?？":
        kept = kept[:-1] + original.strip()[-1]
    if kept[:1].islower() and original.strip()[:1].isupper():
        kept = kept[0].upper() + kept[1:]
    return kept
