"""The safety filter: term lists by category, matched against prompts and generated text.

The built-in list (``safety_terms.toml`` beside this module) is small, zh and en; the settings file
replaces it (``safety_terms``) or adds to it (``safety_extra_terms``). Matching is normalised:
full-width forms, case, and spacing or punctuation inserted between characters ("制 造 炸.弹") do not
hide a term. Terms holding Chinese characters match anywhere in the compacted text; other terms match
whole words (so "meth" does not match "method").

What happens on a match is the caller's policy: the key's own (``api_keys.safety``) or the
``safety_policy`` setting. ``block`` refuses (ContentPolicyViolation naming the field and the rule),
``warn`` and ``log`` let the work go on; every match is written to the ``safety_events`` table.
The Studio calls ``screen`` at each entry point (text, streams, media) and ``OutputScreen`` on text
as it is generated.
"""

from __future__ import annotations

import logging
import re
import time
import tomllib
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..errors import ContentPolicyViolation
from ..types import Caller
from .db import safety_events

log = logging.getLogger(__name__)

__all__ = ["Match", "SafetyFilter", "OutputScreen", "builtin_terms", "normalise", "text_fields"]

MAX_FIELD_DEPTH = 8  # how deep text_fields walks nested inputs

_SEPARATORS = ("Z", "P", "S", "C")  # unicode category initials dropped between characters: spaces, punctuation...


def builtin_terms() -> dict[str, list[str]]:
    """The built-in term lists by category."""
    text = resources.files("zaowu.studio").joinpath("safety_terms.toml").read_text(encoding="utf-8")
    return {k: list(v) for k, v in tomllib.loads(text)["categories"].items()}


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\u3040" <= ch <= "\u30ff"


def normalise(text: str) -> tuple[str, str]:
    """Two forms of ``text`` (NFKC, case-folded): ``compact`` without any separator (for Chinese terms) and
    ``words``, letters and digits with every run of other characters one space, padded by spaces."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    compact = "".join(ch for ch in folded if unicodedata.category(ch)[0] not in _SEPARATORS)
    words = " " + " ".join(re.findall(r"\w+", folded)) + " "
    return compact, words


@dataclass(frozen=True)
class Match:
    category: str
    term: str
    param: str

    def describe(self) -> str:
        return f"rule '{self.category}' (term '{self.term}')"


@dataclass(frozen=True)
class _Rule:
    category: str
    term: str
    needle: str
    cjk: bool


class SafetyFilter:
    """Term lists compiled for matching, the default policy, and the event log."""

    def __init__(
        self,
        engine: Engine,
        terms: Mapping[str, list[str]] | None = None,
        extra: Mapping[str, list[str]] | None = None,
        policy: str = "block",
    ) -> None:
        self.engine = engine
        self.policy = policy
        lists: dict[str, list[str]] = {k: list(v) for k, v in (builtin_terms() if terms is None else terms).items()}
        for category, more in (extra or {}).items():
            lists.setdefault(category, []).extend(more)
        self.rules = [r for category, words in lists.items() for w in words if (r := _rule(category, w)) is not None]

    @property
    def categories(self) -> list[str]:
        return sorted({r.category for r in self.rules})

    def find(self, text: str, param: str) -> Match | None:
        """The first rule ``text`` breaks, or None."""
        if not self.rules or not text:
            return None
        compact, words = normalise(text)
        for rule in self.rules:
            if rule.needle in (compact if rule.cjk else words):
                return Match(rule.category, rule.term, param)
        return None

    def screen(self, fields: Iterator[tuple[str, str]], who: Caller, policy: str | None, modality: str) -> Match | None:
        """Check each (field, text) of a request: on a match, log it and refuse it when the policy blocks."""
        for param, text in fields:
            if (match := self.find(text, param)) is not None:
                self.act(match, who, policy, modality)
                return match
        return None

    def act(
        self, match: Match, who: Caller, policy: str | None, modality: str, generation_id: str | None = None
    ) -> str:
        """Record ``match`` and apply ``policy`` (None: the default): raises ContentPolicyViolation when it blocks.
        Returns the action logged."""
        policy = policy or self.policy
        action = {"block": "refused", "warn": "warned"}.get(policy, "logged")
        if match.param == "output" and policy == "block":
            action = "cut"
        self.record(match, action, who, modality, generation_id)
        if policy == "block":
            raise ContentPolicyViolation(
                f"The {_field_name(match.param)} breaks the content policy: {match.describe()}. "
                "Rephrase it without that content.",
                param=match.param,
            )
        return action

    def record(self, match: Match, action: str, who: Caller, modality: str, generation_id: str | None) -> None:
        log.warning("safety filter %s %s in %s (key %s)", action, match.describe(), match.param, who.key_id)
        with self.engine.begin() as conn:
            conn.execute(
                safety_events.insert().values(
                    at=time.time(),
                    action=action,
                    category=match.category,
                    term=match.term,
                    param=match.param,
                    modality=modality,
                    interface=who.interface,
                    caller=who.name,
                    key_id=who.key_id,
                    generation_id=generation_id,
                )
            )

    def events(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest safety events, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(safety_events).order_by(safety_events.c.id.desc()).limit(limit))
            return [dict(r._mapping) for r in rows]


class OutputScreen:
    """Checks generated text as it grows; ``feed`` returns the match once the text breaks a rule.
    Only the recent tail is rescanned, so a long answer costs little."""

    TAIL_CHARS = 400  # text before the newest chunk rescanned with it (longer than any term)

    def __init__(self, safety: SafetyFilter) -> None:
        self.safety = safety
        self.text = ""

    def feed(self, chunk: str) -> Match | None:
        start = max(0, len(self.text) - self.TAIL_CHARS)
        self.text += chunk
        return self.safety.find(self.text[start:], "output")


def text_fields(value: Any, param: str, depth: int = 0) -> Iterator[tuple[str, str]]:
    """Every string inside ``value`` (dicts and lists walked) as (dotted field path, text), for the filter."""
    if isinstance(value, str):
        yield param, value
    elif depth < MAX_FIELD_DEPTH and isinstance(value, Mapping):
        for key, item in value.items():
            yield from text_fields(item, f"{param}.{key}", depth + 1)
    elif depth < MAX_FIELD_DEPTH and isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from text_fields(item, f"{param}.{i}", depth + 1)


def _rule(category: str, term: str) -> _Rule | None:
    compact, words = normalise(term)
    if not compact:
        return None
    cjk = any(_is_cjk(ch) for ch in compact)
    return _Rule(category, term, compact if cjk else words, cjk)


def _field_name(param: str) -> str:
    return "generated text" if param == "output" else f"field '{param}'"
