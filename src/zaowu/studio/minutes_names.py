"""Names the speech recogniser misheard, spelled as the user listed them.

Whisper hears a person's name by its sound and writes the most common characters for it (刘洋 → 刘扬,
Maria → Marie). When the user lists who attended, every stretch of the transcript that sounds like a
listed name (Chinese: the same toneless pinyin for each character, any of a character's readings; other
languages: a capitalised word spelled within one or two letters) is rewritten to the listed spelling,
and each change is reported.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache

from .meeting_audio import Transcript

__all__ = ["MAX_NAMES", "MAX_NAME_CHARS", "parse_names", "respell_names"]

MAX_NAMES = 50
MAX_NAME_CHARS = 40
LATIN_SIMILARITY = 0.8  # difflib ratio for a capitalised word to count as a misspelling of a listed name

_HAN = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
_SPLIT = re.compile(r"[,，、;；\n]+")


def parse_names(text: str | None) -> list[str]:
    """'刘洋、王强' or 'Alice, David' → the names, stripped, in order, without repeats."""
    return list(dict.fromkeys(n.strip() for n in _SPLIT.split(text or "") if n.strip()))


@lru_cache(maxsize=4096)
def _readings(char: str) -> frozenset[str]:
    from pypinyin import Style, pinyin

    return frozenset(pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")[0] or [char])


def _sounds_like(window: str, name: str) -> bool:
    return all(_readings(a) & _readings(b) for a, b in zip(window, name, strict=True))


def _respell_han(text: str, name: str) -> tuple[str, list[str]]:
    out, fixed, i, n = [], [], 0, len(name)
    while i < len(text):
        window = text[i : i + n]
        if len(window) == n and window != name and _HAN.match(window) and _sounds_like(window, name):
            out.append(name)
            fixed.append(window)
            i += n
        else:
            out.append(text[i])
            i += 1
    return "".join(out), fixed


def _respell_latin(text: str, name: str) -> tuple[str, list[str]]:
    fixed: list[str] = []

    def swap(m: re.Match[str]) -> str:
        word = m.group(0)
        close = word[0] == name[0] and difflib.SequenceMatcher(None, word.lower(), name.lower()).ratio()
        if word != name and close and close >= LATIN_SIMILARITY:
            fixed.append(word)
            return name
        return word

    return re.sub(r"\b[A-Z][a-z]+\b", swap, text), fixed


def respell_names(transcript: Transcript, names: list[str]) -> list[str]:
    """Rewrite sound-alike spellings of ``names`` in the transcript's lines and speakers (in place);
    returns each change as 'heard → name'. Names of other shapes (one character, several words) are
    only ever matched exactly, so they change nothing."""
    changes: dict[str, str] = {}
    for name in names:
        if _HAN.match(name):
            respell = _respell_han
        elif re.fullmatch(r"[A-Z][a-z]+", name):
            respell = _respell_latin
        else:
            continue
        for line in transcript.lines:
            line.text, fixed = respell(line.text, name)
            if line.speaker:
                line.speaker, said = respell(line.speaker, name)
                fixed += said
            changes.update(dict.fromkeys(fixed, name))
    return [f"{heard} → {name}" for heard, name in changes.items()]
