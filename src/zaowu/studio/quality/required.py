"""What an output must carry, made to hold in code: facts every list item states (a promo SMS's link and
opt-out), and Markdown sections the checks must not leave empty (a report heading whose invented lines
were removed).

``carry`` inserts a missing fact deterministically: before the facts that follow it when one of them is
present (an opt-out stays last), else at the end; when the text would pass its length limit, the words
before the insertion are trimmed at a boundary, never the facts. ``fill_empty_sections`` gives a heading
left with nothing under it one line saying nothing was reported.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .checks import Check
from .text import trim_to_boundary

__all__ = ["Requirement", "Wording", "SectionRule", "carry", "check_required", "fill_empty_sections"]

_NAME = r"^[a-z_][a-z0-9_]*$"
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "「": '"', "」": '"', "：": ":", "，": ","})
_ENDS_CLAUSE = "。！？!?；;…，,、：:）)】」』\"'”’.-–—"
_CODE_END = re.compile(r"[/.@#][^\s/.@#]+$")  # a link or code ends the text: no full stop after it
_PUNCT_END = "。！？!?；;…，,、：:"  # after these a Chinese text goes on with no space
MIN_BODY_SHARE = 0.3  # an insertion may trim the words before it to no less than this share of them


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Wording(_Strict):
    zh: list[str] = Field(default_factory=list, max_length=20)
    en: list[str] = Field(default_factory=list, max_length=20)

    def get(self, language: str) -> list[str]:
        return self.zh if language == "zh" else self.en


class Requirement(_Strict):
    """A fact an item's field must carry: a variable's value (copied exactly; nothing is required when
    the user left it empty) or a fixed text by language; ``accept`` lists other wordings that count
    as present (回T退订 for 拒收请回复R)."""

    variable: str | None = Field(default=None, pattern=_NAME)
    text: Wording | None = None
    accept: Wording | None = None
    name: str | None = Field(default=None, max_length=40)  # how checks name it (default: the variable)

    @model_validator(mode="after")
    def _one_source(self) -> Requirement:
        if (self.variable is None) == (self.text is None):
            raise ValueError("a requirement names a variable or gives a text (zh and en), one of the two")
        if self.text is not None and not (self.text.zh and self.text.en):
            raise ValueError("text: give the fact in both languages, e.g. {zh: [拒收请回复R], en: [Reply STOP]}")
        return self

    @property
    def label(self) -> str:
        return self.name or self.variable or (self.text.en[0] if self.text else "fact")

    def wordings(self, language: str, values: dict[str, Any]) -> list[str]:
        """What counts as present, the wording to insert first; empty when nothing is required."""
        if self.variable is not None:
            value = values.get(self.variable)
            first = [str(value).strip()] if value not in (None, "") and str(value).strip() else []
        else:
            first = self.text.get(language)[:1] if self.text else []
        if not first:
            return []
        return first + (self.accept.get(language) if self.accept else [])


def _find(text: str, wordings: list[str]) -> tuple[int, int] | None:
    """The span of the earliest wording in ``text``: spaces, case and quote styles (“” or "") ignored."""
    plain = text.translate(_QUOTES)  # one character for one: spans map back to ``text``
    best = None
    for wording in wordings:
        chars = re.sub(r"\s+", "", wording.translate(_QUOTES))
        match = re.search(r"\s*".join(map(re.escape, chars)), plain, re.IGNORECASE) if chars else None
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), match.end())
    return best


def _lead(before: str, language: str) -> str:
    """``before`` ending a sentence, with the space the next words need (none after 。 in Chinese)."""
    left = before.rstrip()
    if not left:
        return ""
    if left[-1] not in _ENDS_CLAUSE and not _CODE_END.search(left) and unicodedata.category(left[-1]) != "So":
        left += "。" if language == "zh" else "."
    return left if language == "zh" and left[-1] in _PUNCT_END else left + " "


def _glue(before: str, piece: str, after: str, language: str) -> str:
    right = after.lstrip()
    return _lead(before, language) + piece + (" " + right if right else "")


@dataclass
class Carried:
    text: str
    added: list[str]  # the requirements inserted
    missing: list[str]  # the requirements still absent or over the limit


def carry(
    text: str,
    requirements: list[Requirement],
    language: str,
    values: dict[str, Any],
    fits: Callable[[str], bool],
) -> Carried:
    """``text`` with each missing requirement inserted (see the module docstring); ``fits`` says whether
    a text is within the field's length limit. A requirement that cannot fit is left out and reported."""
    added: list[str] = []
    wanted = [(r, r.wordings(language, values)) for r in requirements]
    wanted = [(r, w) for r, w in wanted if w]
    for k, (req, wordings) in enumerate(wanted):
        if _find(text, wordings) is not None:
            continue
        later = [span for _, w in wanted[k + 1 :] if (span := _find(text, w)) is not None]
        at = min((s for s, _ in later), default=len(text))
        earlier = [span for _, w in wanted[:k] if (span := _find(text[:at], w)) is not None]
        keep_from = min((s for s, _ in earlier), default=at)  # facts before the insertion are never trimmed
        candidate = _insert(text, keep_from, at, wordings[0], language, fits)
        if candidate is not None:
            text = candidate
            added.append(req.label)
    missing = [r.label for r, w in wanted if _find(text, w) is None]
    if not fits(text):
        missing.append("length")
    return Carried(text, added, missing)


def _insert(text: str, keep_from: int, at: int, piece: str, language: str, fits: Callable[[str], bool]) -> str | None:
    """``piece`` inserted at ``at``, the free words before ``keep_from`` trimmed at a boundary until the
    whole fits (never below MIN_BODY_SHARE of them); None when it cannot fit."""
    body, kept, after = text[:keep_from], text[keep_from:at], text[at:]
    limit = len(body)
    while True:
        head = body
        if limit < len(body):
            head = trim_to_boundary(body, limit)
            head = _lead(head, language) if kept else head
        joined = _glue(head + kept, piece, after, language)
        if fits(joined):
            return joined
        if limit <= MIN_BODY_SHARE * len(body.strip()) or limit == 0:
            return None
        limit = min(limit - 1, len(head.rstrip()) - 1)


def check_required(path: str, field: str, results: list[Carried]) -> Check:
    """One check for a list field: which items got which facts, and what is still missing."""
    added: dict[str, list[int]] = {}
    missing: dict[str, list[int]] = {}
    for i, result in enumerate(results, 1):
        for label in result.added:
            added.setdefault(label, []).append(i)
        for label in result.missing:
            missing.setdefault(label, []).append(i)
    parts = [f"added {label} to {path} {items}" for label, items in added.items()]
    parts += [f"{path} {items} still lack {label}" for label, items in missing.items() if label != "length"]
    if "length" in missing:
        parts.append(f"{path} {missing['length']} pass the length limit")
    return Check(name=f"required.{path}.{field}", ok=not missing, detail="; ".join(parts) or "every item carries them")


# ---------------------------------------------------------------- Markdown sections


class SectionRule(_Strict):
    """A text output's Markdown sections: a heading left with nothing under it (its lines removed as
    invented, or never written) gets ``empty``, a line saying nothing was reported."""

    empty: Wording

    @model_validator(mode="after")
    def _both(self) -> SectionRule:
        if not (self.empty.zh and self.empty.en):
            raise ValueError("empty: give the line in both languages, e.g. {zh: [- 无], en: [- None reported]}")
        return self


_HEADING = re.compile(r"^\s*(#{1,6})\s+\S|^\s*\*\*[^*\n]+\*\*\s*[:：]?\s*$")
_BLANK = re.compile(r"^[\s\-*+•·、,，.。;；:：]*$")  # nothing but bullet marks and punctuation
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")  # a Markdown horizontal rule, kept


def _level(line: str) -> int | None:
    match = _HEADING.match(line)
    if match is None:
        return None
    return len(match.group(1)) if match.group(1) else 7  # a bold line as a heading: the lowest level


def fill_empty_sections(text: str, placeholder: str) -> tuple[str, list[str]]:
    """``text`` with each empty section given ``placeholder`` (and lines of bare bullet marks dropped);
    the headings filled. A section holds the lines up to the next heading of its level or above."""
    lines = [line for line in text.split("\n") if not (_BLANK.match(line) and line.strip()) or _RULE.match(line)]
    out: list[str] = []
    filled: list[str] = []
    for i, line in enumerate(lines):
        out.append(line)
        level = _level(line)
        if level is None:
            continue
        body = []
        for later in lines[i + 1 :]:
            sub = _level(later)
            if sub is not None and sub <= level:
                break
            body.append(later)
        if not any(later.strip() and not _RULE.match(later) for later in body):
            out.append(placeholder)
            filled.append(line.strip().strip("#* ").rstrip(":："))
    return "\n".join(out), filled
