"""Offers in a request: discounts, 满减, "50% off", buy-one-get-one, prices.

A promotion's offer is what the customer looks for first, so a design that has one makes it the
hero (the largest text). ``find_offer`` finds the most salient offer in a request, in Chinese or
English, and returns it as it should be printed ("低至3折", "满200减30", "50% OFF", "¥99").
``contains_offer`` says whether a text shows a given offer (spaces and case ignored).

Standard library only.
"""

from __future__ import annotations

import re

__all__ = ["MAX_OFFER", "contains_offer", "find_offer", "normalise"]

MAX_OFFER = 24  # characters: an offer is a few words, never a sentence

_NUM_ZH = "一二两三四五六七八九"
_LEAD = r"(?:全场|全店|低至|仅需|仅售|仅|只要|限时|立享|享|最低)?"
# In order of salience: a discount beats a price when a request has both.
_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        _LEAD + rf"(?:\d+(?:\.\d+)?|[{_NUM_ZH}](?:点[{_NUM_ZH}])?)\s*折起?",
        r"(?:每)?满\s*\d+\s*(?:元)?\s*减\s*\d+(?:元)?",
        r"(?:up\s+to\s+)?\d{1,2}(?:\.\d+)?\s*%\s*off\b",
        r"\d{1,2}\s*%\s*discount\b",
        r"(?:第二件|第2件)\s*半价|买\s*[一1]\s*送\s*[一1]|半价",
        r"\bhalf[- ]price\b|\bbuy\s+one,?\s+get\s+one(?:\s+free)?\b|\bBOGO\b",
        r"(?:立减|直降|立省|优惠|减)\s*\d+(?:\.\d+)?\s*元",
        r"\bsave\s+(?:\$\s?\d+(?:\.\d{1,2})?|\d{1,2}\s*%)",
        _LEAD + r"[¥￥]\s?\d+(?:\.\d{1,2})?(?:\s*元)?起?",
        _LEAD + r"\d+(?:\.\d{1,2})?\s*元起?(?!素|旦|宵|气|老|年)",
        r"(?:\b(?:from|only|just)\s+)?\$\s?\d+(?:\.\d{2})?",
    )
)


def _tidy(found: str) -> str:
    text = " ".join(found.split())
    if re.search(r"[\u4e00-\u9fff¥￥]", text):
        text = text.replace(" ", "")
    text = re.sub(r"\boff\b", "OFF", text, flags=re.IGNORECASE)
    return text[:1].upper() + text[1:] if text[:1].isalpha() and text.isascii() else text


def find_offer(text: str | None) -> str | None:
    """The most salient offer in ``text`` as it should be printed, or None."""
    if not text:
        return None
    for pattern in _PATTERNS:
        if m := pattern.search(text):
            offer = _tidy(m.group(0))
            if offer and len(offer) <= MAX_OFFER:
                return offer
    return None


def normalise(text: str) -> str:
    return re.sub(r"[\s·]+", "", text or "").lower().replace("￥", "¥").replace("％", "%")


def contains_offer(text: str | None, offer: str) -> bool:
    """Whether ``text`` shows ``offer``, or at least its number with its unit (spaces and case ignored)."""
    t, o = normalise(text or ""), normalise(offer)
    if not o:
        return False
    if o in t:
        return True
    core = re.search(r"[¥$]?\d+(?:\.\d+)?\s*(?:%|折|元)?|[" + _NUM_ZH + r"]折", o)
    return bool(core) and normalise(core.group(0)) in t
