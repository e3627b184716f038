"""Text helpers for checks: language-independent similarity and boundary-safe trimming."""

from __future__ import annotations

import re

__all__ = ["similarity", "trim_to_boundary", "cjk_ratio", "CJK"]

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
_SENTENCE_END = "。！？!?；;…"
_CLAUSE_END = "，,、：:）)】」』\"'”’"


def _grams(text: str, n: int) -> set[str]:
    text = _PUNCT.sub("", text.lower())
    if len(text) <= n:
        return {text} if text else set()
    return {text[i : i + n] for i in range(len(text) - n + 1)}


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of character trigrams (0 = nothing shared, 1 = the same text); punctuation,
    spaces and case are ignored, so it works alike for Chinese and English."""
    ga, gb = _grams(a, 3), _grams(b, 3)
    if not ga and not gb:
        return 1.0
    return len(ga & gb) / len(ga | gb)


def cjk_ratio(text: str) -> float:
    """Share of CJK characters among the letters of a text."""
    letters = [c for c in text if c.isalpha()]
    return sum(1 for c in letters if CJK.match(c)) / len(letters) if letters else 0.0


def trim_to_boundary(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters at the last sentence end, else the last clause
    end, else (for English) the last space, so nothing ends mid-word. Text within the limit is
    returned unchanged (trailing spaces removed)."""
    text = text.rstrip()
    if len(text) <= limit:
        return text
    head = text[:limit]
    for marks, keep_min in ((_SENTENCE_END, 0.4), (_CLAUSE_END, 0.5)):
        cut = max(head.rfind(m) for m in marks)
        if cut >= int(limit * keep_min):
            return head[: cut + 1].rstrip("，,、：: ")
    if not CJK.search(head) and " " in head:
        return head[: head.rfind(" ")].rstrip(" ,;:-")
    return head
