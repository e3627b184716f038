"""A storyboard's words checked against the request: scenes that say something new, and the request's facts
said.

A small model often writes one line and repeats it in every scene ("Start your day with a delicious
oolong!" four times in eight scenes) and leaves out what the request states (the price, the opening hours,
the promo code). Code makes it right after the model has written:

- **Distinct scenes** (``storyboard.distinct``): the later of two near-duplicate narrations (trigram
  similarity over ``DUPLICATE_SIMILARITY``) is replaced by a fact of the request no scene says yet, else by
  the scene's own on-screen words when they are new, else left silent (music and pictures carry it).
- **Facts said** (``storyboard.facts``): every price, promo code, quantity and opening time the request
  states (``request_facts``) is said by some scene, in the request's own words: a missing one goes first
  into a repeated scene, else at the start of the last scene (the call to action), where cutting a
  narration to its scene's length (which keeps the start) cannot drop it.

Only the request's words are added, so no claim is invented. Standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .quality.checks import DUPLICATE_SIMILARITY
from .quality.facts import numbers_in
from .quality.musts import explicit_facts
from .quality.text import similarity

__all__ = ["Fact", "request_facts", "settle_narration", "tidy_narration"]

_TIME = re.compile(
    r"\d{1,2}(?::\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.)(?:\s?(?:to|-|–|until|till)\s?\d{1,2}(?::\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.))?"
    r"|\d{1,2}[:：]\d{2}(?:\s?[-–~至到]\s?\d{1,2}[:：]\d{2})?"
    r"|(?:早上|上午|中午|下午|晚上)?\d{1,2}点(?:半)?(?:\s?[-–~至到]\s?(?:早上|上午|中午|下午|晚上)?\d{1,2}点(?:半)?)?",
    re.IGNORECASE,
)
_PHRASES = re.compile(r"[,，;；。!?！？\n]+")
MAX_PHRASE_CHARS = 40


@dataclass(frozen=True)
class Fact:
    token: str  # as the request writes it: "28 yuan", "WARM25", "9am to 9pm"
    phrase: str  # the request's phrase holding it: "28 yuan a cup", "open daily 9am to 9pm"
    numbers: frozenset[str]  # its numbers, canonical ("28"; "9", "9")


def _phrase(prompt: str, token: str) -> str:
    """The comma-separated phrase of ``prompt`` holding ``token`` (the token alone when it is long)."""
    for part in _PHRASES.split(prompt):
        if token in part:
            part = part.strip(" .:：\"'“”")
            return part if len(part) <= MAX_PHRASE_CHARS else token
    return token


def request_facts(prompt: str) -> list[Fact]:
    """The prices, promo codes, quantities and times ``prompt`` states, each once, in the order stated."""
    found: list[tuple[int, str]] = []
    for fact in explicit_facts(prompt):
        where = prompt.find(fact.token)
        found.append((where if where >= 0 else len(prompt), fact.token))
    for m in _TIME.finditer(prompt):
        if not any(m.group(0) in t or t in m.group(0) for _, t in found):
            found.append((m.start(), m.group(0)))
    out: list[Fact] = []
    for _, token in sorted(found):
        phrase = _phrase(prompt, token)
        out.append(Fact(token, phrase, frozenset(numbers_in(token))))
    return out


def _said(fact: Fact, text: str) -> bool:
    """The fact is in ``text``: its code (any case), or all its numbers."""
    if not fact.numbers:
        return fact.token.lower() in text.lower()
    return fact.numbers <= numbers_in(text) and (not fact.token.isalnum() or fact.token.lower() in text.lower())


def _sentence(phrase: str, language: str) -> str:
    phrase = phrase.strip()
    if not phrase:
        return ""
    if language == "zh":
        return phrase if phrase[-1] in "。！？!?" else phrase + "。"
    phrase = phrase[0].upper() + phrase[1:]
    return phrase if phrase[-1] in ".!?" else phrase + "."


_DANGLING = frozenset(
    {"a", "an", "the", "and", "or", "but", "at", "of", "to", "for", "from", "with", "in", "on", "by", "as"}
    | {"our", "your", "my", "their", "its", "is", "are", "was", "be", "this", "that", "than", "then", "so", "very"}
)
MIN_NARRATION_WORDS = 3


def tidy_narration(text: str, language: str) -> str:
    """A narration that ends as a sentence: an English one's dangling last words ("… available at") dropped,
    then a full stop; one left with under ``MIN_NARRATION_WORDS`` words is no narration ("")."""
    text = " ".join(text.split())
    if not text or language == "zh":
        return text
    words = text.rstrip(".!?,;: ").split()
    ended = text[-1] in ".!?"
    complete = ended and words[-1].lower() not in _DANGLING
    if complete and len(words) > 1:
        return text  # a sentence as written ("Hello there!")
    while words and words[-1].lower().strip(",;:") in _DANGLING:
        words.pop()
        ended = False
    if len(words) < MIN_NARRATION_WORDS:
        return ""
    out = " ".join(words).rstrip(",;:")
    return text if ended and out == text.rstrip(".!?") else out + (text[-1] if ended else ".")


def _substantial(text: str, language: str) -> bool:
    """Enough to say on its own: two words, or four Chinese characters."""
    return len(text) >= 4 if language == "zh" else len(text.split()) >= 2


def settle_narration(board: dict[str, Any], prompt: str, language: str) -> list[str]:
    """Make the board's narrations distinct and make them say the request's facts (in place); returns what
    was changed, one line each."""
    scenes = board.get("scenes") or []
    if not scenes:
        return []
    narrations = [str(s.get("narration") or "") for s in scenes]
    repairs: list[str] = []
    repeated = [
        j
        for j in range(len(narrations))
        if narrations[j].strip()
        and any(
            similarity(narrations[i], narrations[j]) > DUPLICATE_SIMILARITY for i in range(j) if narrations[i].strip()
        )
    ]

    def everything() -> str:
        words = list(narrations) + [str(s.get("text") or "") for s in scenes]
        words += [str((s.get("visual") or {}).get(k) or "") for s in scenes for k in ("headline", "subline")]
        return " ".join(words)

    missing = [f for f in request_facts(prompt) if not _said(f, everything())]
    for j in repeated:
        if missing:
            fact = missing.pop(0)
            narrations[j] = _sentence(fact.phrase, language)
            repairs.append(f"scene {j}: a repeated narration replaced by the request's '{fact.phrase}'")
            continue
        own = tidy_narration(str(scenes[j].get("text") or ""), language)  # "Visit us today at" is no line
        if _substantial(own, language) and all(
            similarity(own, n) <= DUPLICATE_SIMILARITY for i, n in enumerate(narrations) if i != j
        ):
            narrations[j] = _sentence(own, language)
            repairs.append(f"scene {j}: a repeated narration replaced by its on-screen words")
        else:
            narrations[j] = ""
            repairs.append(f"scene {j}: a repeated narration dropped (the scene plays with music)")
    last = len(narrations) - 1
    for fact in missing:
        narrations[last] = f"{_sentence(fact.phrase, language)} {narrations[last]}".strip()
        repairs.append(f"scene {last}: the request's '{fact.phrase}' added")
    for scene, narration in zip(scenes, narrations, strict=True):
        scene["narration"] = narration
    return repairs
