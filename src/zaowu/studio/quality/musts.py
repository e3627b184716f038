"""The explicit facts of a request every copy variant must carry: a promo code, a price, a number with
its unit (WARM25, $89, ¥58 / 58元, 750 ml).

``explicit_facts(text)`` reads them, each with the request's clause that states it (split at ; ， 、
and line ends), promo codes first. ``must_carry(facts)`` picks what each variant must mention — every
code and the first figure — as ``Requirement``s for ``required.carry``: the fact's own token counts
as present, the clause ("Teeth cleaning $89 for new patients") is what gets inserted when it is
missing, within the field's length limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .required import Requirement, Wording

__all__ = ["Fact", "clause_of", "explicit_facts", "must_carry"]

MAX_CLAUSE_CHARS = 60  # a longer clause is cut to the words around the fact before it is inserted

_CODE = re.compile(r"(?:code|promo|coupon|优惠码|折扣码|口令)[\s:：]*([A-Z][A-Z0-9]{2,15})\b|\b([A-Z]{2,}\d{1,4})\b")
_PRICE = re.compile(
    r"(?:[$¥￥€£]\s?\d+(?:[.,]\d+)?)|(?:\d+(?:\.\d+)?\s?(?:元|块|美元|rmb|RMB|yuan|dollars?)(?![a-zA-Z]))"
)
_UNIT = re.compile(
    r"(?<![\w.])\d+(?:\.\d+)?\s?(?:ml|mL|l|L|oz|g|kg|mg|cm|mm|m|km|inch(?:es)?|毫升|升|克|千克|公斤|厘米|米|寸)(?![a-zA-Z])"
)
_CLAUSES = re.compile(r"[;；\n。]|(?<=[，、])")


@dataclass(frozen=True)
class Fact:
    kind: str  # code, price or quantity
    token: str  # what counts as present (WARM25, $89, 58, 750)
    clause: str  # the request's words stating it, inserted when the fact is missing


def clause_of(text: str, start: int, end: int) -> str:
    """The clause of ``text`` (split at ; ， 、 and line ends) around ``start:end``, at most MAX_CLAUSE_CHARS."""
    left = max((m.end() for m in _CLAUSES.finditer(text, 0, start)), default=0)
    right = next((m.start() for m in _CLAUSES.finditer(text, end) if m.start() > left), len(text))
    clause = text[left:right].strip(" ，、,.:：")
    if len(clause) > MAX_CLAUSE_CHARS:
        clause = text[start:end]
    return clause


def _token(kind: str, found: str) -> str:
    if kind == "code":
        return found
    return re.sub(r"[^\d.,$¥￥€£]", "", found).strip(".,") if kind == "quantity" or "元" in found else found


def explicit_facts(text: str) -> list[Fact]:
    """The codes, prices and quantities ``text`` states, codes first, each once."""
    text = text or ""
    found: list[Fact] = []
    spans: list[tuple[int, int]] = []
    for kind, pattern in (("code", _CODE), ("price", _PRICE), ("quantity", _UNIT)):
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in spans):
                continue
            group = 1 if kind == "code" and m.group(1) else 2 if kind == "code" else 0
            start, end = m.span(group)
            spans.append(m.span())
            found.append(Fact(kind, _token(kind, m.group(group)), clause_of(text, start, end)))
    seen: set[str] = set()
    return [f for f in found if not (f.token in seen or seen.add(f.token))]


def _code_line(fact: Fact, language: str) -> str:
    return f"使用优惠码{fact.token}" if language == "zh" else f"Use code {fact.token}"


def must_carry(facts: list[Fact], language: str) -> list[Requirement]:
    """Every promo code and the first price or quantity, as requirements a variant's body must carry."""
    codes = [f for f in facts if f.kind == "code"]
    figures = [f for f in facts if f.kind != "code"][:1]
    out = []
    for fact in [*codes, *figures]:
        piece = _code_line(fact, language) if fact.kind == "code" else fact.clause
        out.append(
            Requirement(
                text=Wording(zh=[piece], en=[piece]),
                accept=Wording(zh=[fact.token], en=[fact.token]),
                name=fact.token[:40],
            )
        )
    return out
