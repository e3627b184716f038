"""Variants that differ, repaired within a bounded number of attempts.

Apps and templates that write several variants share the same loop: generate, check each variant,
find the near-duplicates, regenerate only the variants that fail (a new seed, another angle), keep
a new draft when it is no worse than the old one, stop after ``MAX_REPAIR_ATTEMPTS`` rounds and
report what still fails. These helpers hold the parts of that loop that know nothing of the app:
seeds, the angles a regenerated variant is forced into (``ANGLES``: no two items of one round share
one), and the last resort when a variant is still a near-duplicate: a variant composed by code from
distinct slots of the user's own facts (``fact_slots``, ``slot_choices``, ``differs``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

from .checks import DUPLICATE_SIMILARITY, Check, similar_pairs
from .text import similarity

__all__ = [
    "MAX_REPAIR_ATTEMPTS",
    "LOOP_FREQUENCY_PENALTY",
    "SCHEMA_SLACK_SHARE",
    "SCHEMA_SLACK_MIN",
    "with_slack",
    "seed_for",
    "redo_indices",
    "duplicates_of_others",
    "aggregate_checks",
    "Angle",
    "ANGLES",
    "angle_for",
    "fact_slots",
    "slot_choices",
    "differs",
]

MAX_REPAIR_ATTEMPTS = 2  # regeneration rounds for failing variants after the first generation
LOOP_FREQUENCY_PENALTY = 0.3  # frequency_penalty against the loops small models fall into ("250 g, 250 g, …")
SCHEMA_SLACK_SHARE = 0.25  # the schema lets a text run this share past its limit; code trims it to the limit
SCHEMA_SLACK_MIN = 8  # ... and at least this many characters, so a short title is not cut by the grammar


def with_slack(limit: int) -> int:
    """The maxLength a schema gives a text whose real limit is ``limit``: constrained decoding cuts
    a string at maxLength wherever it is, so the model gets room to finish and code trims at a
    boundary."""
    return limit + max(SCHEMA_SLACK_MIN, int(limit * SCHEMA_SLACK_SHARE))


def seed_for(base: int, index: int, attempt: int) -> int:
    """A distinct seed per variant and attempt, reproducible from the run's seed."""
    return (base + index + 7919 * attempt) % (2**31 - 1)


def duplicates_of_others(texts: Sequence[str], threshold: float = DUPLICATE_SIMILARITY) -> set[int]:
    """The later member of each near-duplicate pair (the earlier one is kept)."""
    return {j for _, j, _ in similar_pairs(texts, threshold)}


def redo_indices(texts: Sequence[str], failing: Iterable[int], threshold: float = DUPLICATE_SIMILARITY) -> list[int]:
    """Variants to regenerate: those failing their own checks and the later of each near-duplicate pair."""
    return sorted(set(failing) | duplicates_of_others(texts, threshold))


def aggregate_checks(per_item: Sequence[Sequence[Check]], label: str = "variant") -> list[Check]:
    """One check per name over all items: ok when every item passed; the detail says each item's
    finding when they differ ("variant 2: 412 → 398/400, cut at a boundary")."""
    names: list[str] = []
    for checks in per_item:
        names += [c.name for c in checks if c.name not in names]
    out = []
    for name in names:
        found = [(i, c) for i, checks in enumerate(per_item, 1) for c in checks if c.name == name]
        details = {c.detail for _, c in found}
        if len(details) == 1 and len(found) == len(per_item):
            detail = next(iter(details))
        else:
            detail = "; ".join(f"{label} {i}: {c.detail}" for i, c in found if c.detail)
        out.append(Check(name=name, ok=all(c.ok for _, c in found), detail=detail))
    return out


# ---------------------------------------------------------------- angles and composed variants


@dataclass(frozen=True)
class Angle:
    """One way into a variant: told to the model when a near-duplicate is regenerated, and its short
    ``lead`` opens a variant composed by code when regeneration did not make it differ."""

    key: str
    zh: str
    en: str
    lead_zh: str
    lead_en: str

    def instruction(self, language: str) -> str:
        return self.zh if language == "zh" else self.en

    def name(self, language: str) -> str:
        """'使用场景' / 'the scene': the instruction's head."""
        return re.split(r"[：:]", self.instruction(language), maxsplit=1)[0]

    def lead(self, language: str) -> str:
        return self.lead_zh if language == "zh" else self.lead_en


# every lead is claim-free and states nothing the user did not give
ANGLES: tuple[Angle, ...] = (
    Angle(
        "scene",
        "使用场景：写它在什么场合、什么时候用",
        "the scene: when and where it is used",
        "出门在家、日常小憩都用得上",
        "Made for everyday moments, at home or on the go",
    ),
    Angle(
        "pain",
        "痛点：先说顾客的一个小烦恼，再说它怎么解决",
        "a pain point: a small problem the customer has, then how this helps",
        "不用再为挑选发愁，看这里就好",
        "No more second-guessing: here is what is on offer",
    ),
    Angle(
        "offer",
        "价格或优惠：开头就说给出的价格、优惠或划算之处",
        "price or offer: open with the given price, deal or value",
        "这次的优惠内容请收好",
        "Here is the deal in short, so you can plan ahead",
    ),
    Angle(
        "gift",
        "送礼：写成适合送给别人的礼物",
        "a gift: present it as a present for someone",
        "送人自用都合适，心意刚刚好",
        "A thoughtful gift for someone, or a treat for you",
    ),
    Angle(
        "material",
        "材质与做工：突出用料、工艺或规格",
        "material and make: lead with what it is made of, how, its specs",
        "用料和做工都看得见，慢慢挑选",
        "Made with care, so take your time to choose",
    ),
    Angle(
        "audience",
        "人群：直接对目标顾客说话",
        "the audience: speak directly to the people it is for",
        "写给认真生活的你的一条消息",
        "A short note for you, our regular customers",
    ),
    Angle(
        "feeling",
        "感受：写使用时的感觉（口感、手感、氛围）",
        "the feeling: how it feels, tastes or looks in use",
        "给自己的日常添一点小愉快",
        "A small pleasure to brighten up your week",
    ),
    Angle(
        "reminder",
        "提醒：用简短提醒的口吻说清时间和参与方式",
        "a reminder: a short friendly note with the dates and how to take part",
        "温馨提醒，时间和方式如下",
        "A friendly reminder of the dates and how to join",
    ),
)


def angle_for(index: int, attempt: int, count: int) -> Angle:
    """The angle for item ``index`` of ``count`` in repair round ``attempt``: items of one round never
    share an angle (while there are fewer items than angles), and each round moves every item on."""
    return ANGLES[(index + attempt * max(count, 1)) % len(ANGLES)]


_SLOT_SPLIT = re.compile(r"[\n；;，,。!?！？|]+|\s+[-–—]\s+|\.\s+")


def fact_slots(*texts: str, max_chars: int = 40) -> list[str]:
    """The input's facts as short phrases ("品牌小橙子；A类纯棉；90到140码" → three), in order, each once."""
    out: list[str] = []
    for text in texts:
        for part in _SLOT_SPLIT.split(text or ""):
            part = part.strip(" .:：\"'“”")
            if 2 <= len(part) <= max_chars and part.lower() not in (p.lower() for p in out):
                out.append(part)
    return out


def slot_choices(slots: Sequence[str], size: int | None, start: int) -> list[list[str]]:
    """Subsets of ``size`` slots (all of them, in order, when ``size`` is None), the ones starting at
    ``start`` first, so items composed at different positions begin with different facts."""
    if not slots:
        return [[]]
    if size is None or size >= len(slots):
        return [list(slots)]
    n = len(slots)
    combos = [list(c) for c in combinations(range(n), size)]
    combos.sort(key=lambda c: ((c[0] - start) % n, c))
    return [[slots[i] for i in c] for c in combos]


def differs(candidate: str, texts: Sequence[str], index: int, threshold: float = DUPLICATE_SIMILARITY) -> bool:
    """``candidate`` is no more similar than ``threshold`` to any of ``texts`` but ``texts[index]``."""
    return bool(candidate.strip()) and all(
        similarity(candidate, t) <= threshold for i, t in enumerate(texts) if i != index
    )
