"""Latin words inside Chinese copy: the user's own brand words and acronyms stay, others are found and removed.

A small model writing Chinese drifts into English ("超值 value 好物", "Best choice！"). Chinese copy
may keep Latin only where the reader expects it: words the user wrote (a brand, an acronym, a link),
units and sizes after or instead of numbers (250ml, 5kg, XL), a letter fused with a Chinese word
(T恤, A类, Q弹, B站), an SMS opt-out code (回复R) and a few loanwords every Chinese reader uses (``COMMON_LATIN_ZH``).
``foreign_latin`` lists the other runs; ``strip_foreign_latin`` removes them when the text keeps
enough Chinese to stand on, and says what it removed. ``strip_stray_cjk`` is the mirror for English
copy: Chinese characters the user did not write are removed ("Free induction with a教练").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["COMMON_LATIN_ZH", "foreign_latin", "strip_foreign_latin", "strip_stray_cjk", "LatinFix"]

# Latin words Chinese copy uses as its own (compared lower-case)
COMMON_LATIN_ZH = frozenset(
    {
        "vip",
        "diy",
        "app",
        "ok",
        "wifi",
        "wi-fi",
        "logo",
        "ins",
        "vlog",
        "plus",
        "pro",
        "max",
        "mini",
        "led",
        "usb",
        "gps",
        "ai",
        "pk",
        "ip",
        "po",
        "cp",
        "ootd",
        "mbti",
        "ppt",
        "pdf",
        "emoji",
        "mv",
        "kol",
        "kpi",
        "okr",
        "gmv",
        "sku",
        "spa",
        "cbd",
        "ktv",
        "bgm",
        "nfc",
        "5g",
        "3d",
        "4k",
        "swot",
        "roi",
        "ceo",
        "cto",
        "hr",
        "ui",
        "ux",
        "api",
        "b2b",
        "b2c",
        "o2o",
        "seo",
        "sem",
        "crm",
        "erp",
        "saas",
        "faq",
        "pr",
        "qa",
        "id",
        "q&a",
        "html",
        "excel",
        "word",
        "wps",
    }
)
_RUN = re.compile(r"[A-Za-z][A-Za-z0-9'’&.+-]*(?:[ \t]+[A-Za-z][A-Za-z0-9'’&.+-]*)*")
_SIZE = re.compile(r"(?:X{0,3}[SML]|X{1,4}L|\d?XL|F)", re.IGNORECASE)
_HAN = re.compile(r"[\u3400-\u9fff]")
MIN_KEPT_HAN = 4  # a removal keeps at least this many Chinese characters; else the words are reported


def _allowed_word(word: str, allow: str) -> bool:
    bare = word.strip(".'’&+-")
    if not bare:
        return True
    if bare.lower() in COMMON_LATIN_ZH or _SIZE.fullmatch(bare):
        return True
    return bool(re.search(rf"(?<![A-Za-z]){re.escape(bare)}(?![A-Za-z])", allow, re.IGNORECASE))


def _allowed_run(text: str, m: re.Match[str], allow: str) -> bool:
    run = m.group(0)
    before, after = text[max(0, m.start() - 1) : m.start()], text[m.end() : m.end() + 1]
    if before.isdigit() and len(run) <= 3:  # a unit: 250ml, 5kg, 24h
        return True
    if len(run) == 1 and _HAN.match(after or " "):  # T恤, A类, Q弹
        return True
    if len(run) <= 2 and run.isupper() and re.search(r"回复?\s*$", text[max(0, m.start() - 3) : m.start()]):
        return True  # an SMS opt-out code: 拒收请回复R, 回TD退订
    if re.match(r"https?://|www\.|\S+\.(?:com|cn|shop|net|org)\b", text[m.start() :]):
        return True
    return all(_allowed_word(w, allow) for w in run.split())


def _runs(text: str, allow: str) -> list[re.Match[str]]:
    return [m for m in _RUN.finditer(text) if not _allowed_run(text, m, allow)]


def foreign_latin(text: str, allow: str = "") -> list[str]:
    """Latin runs in Chinese ``text`` that neither ``allow`` (the user's input) nor common usage gives."""
    return [m.group(0) for m in _runs(text or "", allow or "")]


@dataclass(frozen=True)
class LatinFix:
    text: str
    removed: list[str]
    left: list[str]


def strip_foreign_latin(text: str, allow: str = "") -> LatinFix:
    """``text`` without the foreign Latin runs (and the spaces and marks they leave), unless that would
    leave fewer than ``MIN_KEPT_HAN`` Chinese characters: then nothing changes and the runs are ``left``."""
    text = text or ""
    runs = _runs(text, allow or "")
    if not runs:
        return LatinFix(text, [], [])
    out, pos = [], 0
    for m in runs:
        out.append(text[pos : m.start()])
        pos = m.end()
    out.append(text[pos:])
    kept = _tidy("".join(out))
    if len(_HAN.findall(kept)) < MIN_KEPT_HAN:
        return LatinFix(text, [], [m.group(0) for m in runs])
    return LatinFix(kept, [m.group(0) for m in runs], [])


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"(?<=[\u3400-\u9fff，。！？、；：])[ \t]+|[ \t]+(?=[\u3400-\u9fff，。！？、；：])", "", text)
    text = re.sub(r"[!?.,;:]+(?=[\u3400-\u9fff，。！？、；：\n]|$)", "", text)  # Latin marks the words left behind
    text = re.sub(r"([，、；：])\s*(?=[，。！？、；：\n]|$)", "", text)  # a clause emptied by the removal
    text = re.sub(r"^[\s，、；：。！？]+", "", text, flags=re.MULTILINE)
    return text.strip()


_CJK_RUN = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff5e]+")
_DANGLING = re.compile(r"\s+\b(?:a|an|the|with|and|or|of|to|for)\s*$", re.IGNORECASE)


def strip_stray_cjk(text: str, allow: str = "") -> LatinFix:
    """English ``text`` without the Chinese runs ``allow`` (the user's words) lacks; a word left
    dangling at the end of a clause by the removal ("with a") goes with it."""
    removed = [m.group(0) for m in _CJK_RUN.finditer(text) if m.group(0) not in allow]
    if not removed:
        return LatinFix(text, [], [])
    parts = []
    last = 0
    for m in _CJK_RUN.finditer(text):
        if m.group(0) in allow:
            continue
        head = text[last : m.start()]
        at_end = not text[m.end() :].strip() or text[m.end() : m.end() + 1] in ".,;:!?\n"
        while at_end and _DANGLING.search(head):
            head = _DANGLING.sub("", head)
        parts.append(head)
        last = m.end()
    parts.append(text[last:])
    return LatinFix(re.sub(r"[ \t]{2,}", " ", "".join(parts)).strip(), removed, [])
