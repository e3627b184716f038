"""The ``Check`` record every app and template result reports, and generic checkers.

A check is ``{name, ok, detail}``: ``name`` says what was checked (``count.slides``,
``distinct.variants``, ``language``, ``claims``...), ``detail`` says what was found in words a user
understands. Results carry the checks that ran (``checks: [...]``), so what still fails after repair
is reported, never silently shipped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel

from .latin import foreign_latin
from .text import CJK, cjk_ratio, similarity

__all__ = ["Check", "CheckList", "check_count", "check_distinct", "check_language", "DUPLICATE_SIMILARITY"]

DUPLICATE_SIMILARITY = 0.6  # trigram Jaccard above which two variants count as near-duplicates


class Check(BaseModel):
    name: str
    ok: bool
    detail: str = ""


class CheckList(list[Check]):
    """Checks in the order they ran, with helpers to add and summarise them."""

    def add(self, name: str, ok: bool, detail: str = "") -> Check:
        check = Check(name=name, ok=bool(ok), detail=detail)
        self.append(check)
        return check

    @property
    def failed(self) -> list[Check]:
        return [c for c in self if not c.ok]

    @property
    def ok(self) -> bool:
        return not self.failed

    def dump(self) -> list[dict]:
        return [c.model_dump() for c in self]


def check_count(name: str, actual: int, expected: int) -> Check:
    return Check(name=f"count.{name}", ok=actual == expected, detail=f"{actual} of {expected} {name}")


def check_language(name: str, text: str, language: str, *, min_share: float = 0.6, allow: str = "") -> Check:
    """Chinese output is mostly CJK and holds no Latin words but the user's own (``allow``: a brand, an
    acronym, a link), units, sizes and common loanwords (see ``latin``); English output has no CJK but
    the Chinese words the user wrote."""
    if language == "zh":
        foreign = foreign_latin(text, allow)
        share = cjk_ratio(_without(text, allow, _LATIN_WORD) if allow else text)
        ok = (share >= min_share or not any(c.isalpha() for c in text)) and not foreign
        detail = f"{share:.0%} of the letters are Chinese"
        if foreign:
            detail += f"; Latin words not in the input: {', '.join(repr(w) for w in foreign[:6])}"
        return Check(name=f"language.{name}", ok=ok, detail=detail)
    if allow:  # English copy may keep the Chinese words the user wrote
        text = _without(text, allow, CJK_RUN)
    ok = not CJK.search(text)
    detail = "English only" if ok else f"contains Chinese ({cjk_ratio(text):.0%} of the letters)"
    return Check(name=f"language.{name}", ok=ok, detail=detail)


_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


def _without(text: str, allow: str, word: re.Pattern[str]) -> str:
    """``text`` without the words (runs of ``word``) that also occur in ``allow``."""
    allow = allow.lower()
    return word.sub(lambda m: " " if m.group(0).lower() in allow else m.group(0), text)


def check_distinct(name: str, texts: Sequence[str], threshold: float = DUPLICATE_SIMILARITY) -> Check:
    """No two texts are the same or near-duplicates (trigram similarity above ``threshold``)."""
    pairs = similar_pairs(texts, threshold)
    if not pairs:
        return Check(name=f"distinct.{name}", ok=True, detail=f"{len(texts)} {name} all differ")
    shown = ", ".join(f"{i + 1}≈{j + 1} ({s:.2f})" for i, j, s in pairs[:5])
    return Check(name=f"distinct.{name}", ok=False, detail=f"near-duplicates: {shown}")


def similar_pairs(texts: Sequence[str], threshold: float = DUPLICATE_SIMILARITY) -> list[tuple[int, int, float]]:
    """(i, j, similarity) for every pair of texts above ``threshold``."""
    out = []
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            s = similarity(texts[i], texts[j])
            if s > threshold:
                out.append((i, j, s))
    return out
