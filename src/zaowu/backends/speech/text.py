"""Text preparation for speech: paragraphs, sentences and language.

Long text is split into paragraphs (blank lines) and sentences (., !, ?, 。, ！,
？, ；, and line breaks); a sentence still too long for one synthesis call is
split again at commas. Standard library only.
"""

from __future__ import annotations

import re

__all__ = ["split_text", "detect_language", "MAX_SENTENCE_CHARS"]

MAX_SENTENCE_CHARS = 300
_PARAGRAPHS = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?;。！？；…])[\"'”’」)）]*\s+|(?<=[。！？；])|\n")
_CLAUSE_END = re.compile(r"(?<=[,，、:：])\s*")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"\w", re.UNICODE)


def _split_long(sentence: str, limit: int) -> list[str]:
    if len(sentence) <= limit:
        return [sentence]
    out, current = [], ""
    for clause in _CLAUSE_END.split(sentence):
        if current and len(current) + len(clause) > limit:
            out.append(current.strip())
            current = ""
        current += clause if not current or _CJK.search(clause[:1]) else " " + clause
    if current.strip():
        out.append(current.strip())
    # a clause longer than the limit on its own is cut at the last space before it
    final = []
    for part in out:
        while len(part) > limit:
            cut = part.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            final.append(part[:cut].strip())
            part = part[cut:].strip()
        if part:
            final.append(part)
    return final


def split_text(text: str, limit: int = MAX_SENTENCE_CHARS) -> list[list[str]]:
    """Paragraphs, each a list of sentences that hold at least one letter or digit."""
    paragraphs = []
    for para in _PARAGRAPHS.split(text.strip()):
        sentences = []
        for raw in _SENTENCE_END.split(para):
            raw = " ".join(raw.split())
            if raw and _WORD.search(raw):
                sentences += _split_long(raw, limit)
        if sentences:
            paragraphs.append(sentences)
    return paragraphs


def detect_language(text: str) -> str:
    """'zh' when Chinese characters make up a good share of the letters, else 'en'."""
    cjk = len(_CJK.findall(text))
    letters = len(re.findall(r"[A-Za-z]", text))
    return "zh" if cjk and cjk >= letters / 4 else "en"
