"""The safety filter: term lists by category, matched against prompts and generated text.

The built-in list (``safety_terms.toml`` beside this module) is small, zh and en; the settings file
replaces it (``safety_terms``) or adds to it (``safety_extra_terms``). Matching is normalised:
full-width forms, case, and spacing or punctuation inserted between characters ("制 造 炸.弹") do not
hide a term. Terms holding Chinese characters match anywhere in the compacted text; other terms match
whole words (so "meth" does not match "method").

What happens on a match is the caller's policy: the key's own, per category (``api_keys.safety_categories``,
e.g. ``{"violence": "warn"}``) or for every category (``api_keys.safety``, the ``"*"`` of a policy mapping), else
the ``safety_policy`` setting. Every category a text breaks is acted on, so a category that only warns never
hides one that blocks. ``block`` refuses (ContentPolicyViolation naming the field and the rule),
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

from ..errors import ContentPolicyViolation, InvalidRequest
from ..types import Caller
from .db import safety_events

log = logging.getLogger(__name__)

__all__ = [
    "ACTIONS",
    "Match",
    "OutputScreen",
    "POLICIES",
    "Policy",
    "SafetyFilter",
    "builtin_terms",
    "normalise",
    "text_fields",
]

MAX_FIELD_DEPTH = 8  # how deep text_fields walks nested inputs
POLICIES = ("block", "warn", "log")  # what the filter does on a match
ACTIONS = ("refused", "warned", "logged", "cut")  # what a safety event records
ALL_CATEGORIES = "*"  # the key of a per-category policy that covers the categories it does not name
MAX_EVENTS_PAGE = 500  # most safety events one page answers

Policy = str | Mapping[str, str] | None
"""A caller's policy: one for every category ("block"), per category ({"violence": "warn", "*": "block"}; a
category not named follows "*", else the setting), or None (the setting's)."""

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
        found = self.find_all(text, param)
        return found[0] if found else None

    def find_all(self, text: str, param: str, skip: frozenset[str] = frozenset()) -> list[Match]:
        """The first rule ``text`` breaks in each category (those in ``skip`` left out), in rule order."""
        if not self.rules or not text:
            return []
        compact, words = normalise(text)
        found: dict[str, Match] = {}
        for rule in self.rules:
            if rule.category in found or rule.category in skip:
                continue
            if rule.needle in (compact if rule.cjk else words):
                found[rule.category] = Match(rule.category, rule.term, param)
        return list(found.values())

    def resolve(self, policy: Policy, category: str) -> str:
        """The policy that applies to ``category`` under a caller's ``policy``."""
        if isinstance(policy, Mapping):
            return policy.get(category) or policy.get(ALL_CATEGORIES) or self.policy
        return policy or self.policy

    def screen(self, fields: Iterator[tuple[str, str]], who: Caller, policy: Policy, modality: str) -> Match | None:
        """Check each (field, text) of a request: every category matched is logged, and the request is refused
        when the policy blocks one (the non-blocking ones are logged first). Returns the first match."""
        first: Match | None = None
        for param, text in fields:
            matches = self.find_all(text, param)
            # blocking last: the warn and log categories of the same text are recorded before the refusal
            for match in sorted(matches, key=lambda m: self.resolve(policy, m.category) == "block"):
                first = first or match
                self.act(match, who, policy, modality)
        return first

    def act(self, match: Match, who: Caller, policy: Policy, modality: str, generation_id: str | None = None) -> str:
        """Record ``match`` and apply ``policy`` (None: the default) for its category: raises ContentPolicyViolation
        when it blocks. Returns the action logged."""
        policy = self.resolve(policy, match.category)
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

    def events(
        self,
        limit: int = 100,
        *,
        since: float | None = None,
        until: float | None = None,
        key_id: str | None = None,
        category: str | None = None,
        action: str | None = None,
        before: int | None = None,
    ) -> list[dict[str, Any]]:
        """Safety events, newest first: at or after ``since`` and before ``until`` (Unix seconds), of one key,
        category or action; ``before``: only events older than that event id (the next page's cursor)."""
        if action is not None and action not in ACTIONS:
            raise InvalidRequest(f"Unknown action '{action[:20]}'; choose from {', '.join(ACTIONS)}.", param="action")
        if not 1 <= limit <= MAX_EVENTS_PAGE:
            raise InvalidRequest(f"limit must be between 1 and {MAX_EVENTS_PAGE}.", param="limit")
        q = sa.select(safety_events).order_by(safety_events.c.id.desc()).limit(limit)
        for column, value in ((safety_events.c.key_id, key_id), (safety_events.c.category, category)):
            if value is not None:
                q = q.where(column == value)
        if action is not None:
            q = q.where(safety_events.c.action == action)
        if since is not None:
            q = q.where(safety_events.c.at >= since)
        if until is not None:
            q = q.where(safety_events.c.at < until)
        if before is not None:
            q = q.where(safety_events.c.id < before)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]


class OutputScreen:
    """Checks generated text as it grows; ``feed`` returns a match once the text breaks a rule of a category not
    yet ``passed`` (those a warn or log policy let through: recorded once). Only the recent tail is rescanned,
    so a long answer costs little."""

    TAIL_CHARS = 400  # text before the newest chunk rescanned with it (longer than any term)

    def __init__(self, safety: SafetyFilter) -> None:
        self.safety = safety
        self.text = ""
        self.passed: set[str] = set()

    def feed(self, chunk: str) -> Match | None:
        start = max(0, len(self.text) - self.TAIL_CHARS)
        self.text += chunk
        found = self.safety.find_all(self.text[start:], "output", frozenset(self.passed))
        return found[0] if found else None


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
