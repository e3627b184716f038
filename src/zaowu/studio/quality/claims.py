"""Absolute and comparative claims: found, and removed unless the user's own facts state them.

China's Advertising Law (广告法, art. 9) forbids absolute terms such as 最, 第一, 国家级, 顶级; medical
and guarantee claims (根治, 保证, 无副作用) are forbidden or need proof; English ad codes treat
"best", "guaranteed", "#1" and unsupported comparisons ("better than other …") the same way. A small
model adds such words freely, so every piece of copy passes through :func:`scrub_claims`: a claim
whose words appear in the facts the user gave is kept (it is theirs to prove); any other claim is
rewritten to a plain statement, and each change is reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Claim", "find_claims", "scrub_claims"]

# zh: (pattern, replacement). 最 words that state no claim (最近, 最后, 最终, 最初) are not matched.
_ZH_RULES: list[tuple[str, str]] = [
    (r"(?:全网|全国|全球|世界|行业|史上|宇宙)?(?:销量|人气)?第一(?:品牌|名)?", "受欢迎"),
    (r"(?:No\.?\s?1|NO\.?\s?1|TOP\s?1)", ""),
    (r"最佳", "优选"),
    (r"最(?=[\u4e00-\u9fff])(?!近|后|终|初|少不了)", "很"),
    (r"(?:国家级|世界级|全球级|宇宙级)", ""),
    (r"(?:顶级|顶尖|极品|极致|完美|无敌|至尊|王牌|终极)", "精选"),
    (r"(?:唯一|独一无二|独家|首选|首个|首家)", ""),
    (r"(?:百分之百|100\s*%|百分百)", ""),
    (r"(?:保证|保障|承诺)(?:有效|效果|质量|品质)?", ""),
    (r"(?:根治|治愈|药到病除|包治|特效|神效|无副作用|零风险|零添加)", ""),
    (r"(?:永久|永不|绝对|万能)", ""),
    (r"比(?:其他|别的|同类|别家|市面上)[^，。！？,.!?]{0,12}(?:更|还)(?:好|强|优)", "品质出色"),
]
_EN_RULES: list[tuple[str, str]] = [
    (r"\b(?:the\s+)?(?:world'?s\s+|very\s+)?best\b", "great"),
    (r"\b(?:finest|greatest|healthiest|freshest|strongest|safest|purest|cheapest|top-rated)\b", "fine"),
    (r"(?:#\s?1|\bno\.?\s?1\b|\bnumber\s+one\b)", ""),
    (r"\b(?:guaranteed?|guarantees)\b", ""),
    (r"\b(?:world[- ]class|world[- ]leading|industry[- ]leading|unbeatable|unrivall?ed|unmatched|perfect)\b", "quality"),
    (r"\b(?:the\s+only|the\s+first)\b", "a"),
    (r"\b100\s*%", ""),
    (r"\b(?:cures?|risk[- ]free|no\s+side\s+effects|miracle)\b", ""),
    (r"\bbetter\s+than\s+(?:any\s+|all\s+)?(?:other|the\s+rest|the\s+competition|competitors?)[^,.;!?]{0,30}", "great"),
    (r"\b(?:superior\s+to|beats)\s+(?:any\s+|all\s+)?(?:other|competitors?|the\s+rest)[^,.;!?]{0,30}", "great"),
]
_ZH = [(re.compile(p), r) for p, r in _ZH_RULES]
_EN = [(re.compile(p, re.IGNORECASE), r) for p, r in _EN_RULES]


@dataclass(frozen=True)
class Claim:
    text: str  # the words found
    start: int
    replacement: str  # what they become ("" = removed)


def _supported(found: str, facts: str) -> bool:
    core = found.strip().lower()
    return bool(core) and core in facts.lower()


def find_claims(text: str, facts: str = "") -> list[Claim]:
    """Claims in ``text`` that the ``facts`` do not state, in order of appearance."""
    claims: list[Claim] = []
    taken: list[tuple[int, int]] = []
    for rules in (_ZH, _EN):
        for pattern, replacement in rules:
            for m in pattern.finditer(text):
                found = m.group(0)
                if not found.strip():
                    continue
                if _supported(found, facts) or any(s < m.end() and m.start() < e for s, e in taken):
                    continue
                taken.append((m.start(), m.end()))
                claims.append(Claim(found, m.start(), replacement))
    return sorted(claims, key=lambda c: c.start)


def scrub_claims(text: str, facts: str = "") -> tuple[str, list[Claim]]:
    """``text`` with unsupported claims rewritten or removed, and the claims that were changed."""
    claims = find_claims(text, facts)
    if not claims:
        return text, []
    out, pos = [], 0
    for c in claims:
        out.append(text[pos : c.start])
        out.append(c.replacement)
        pos = c.start + len(c.text)
    out.append(text[pos:])
    cleaned = re.sub(r"[ \t]{2,}", " ", "".join(out))
    cleaned = re.sub(r"([,，、;；])\s*(?=[,，、.。;；!！?？])", "", cleaned)  # a clause emptied by a removal
    cleaned = re.sub(r"\s+([,.;!?，。；！？])", r"\1", cleaned)
    cleaned = re.sub(r"很很", "很", cleaned)
    cleaned = re.sub(r"\b(a|an|the)\s+(a|an|the)\b", r"\1", cleaned, flags=re.IGNORECASE)
    cleaned = re.sub(r"^[\s,，、.。;；]+", "", cleaned)
    if text[:1].isupper() and cleaned[:1].islower():
        cleaned = cleaned[0].upper() + cleaned[1:]
    return cleaned.strip(), claims
