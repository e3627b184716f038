"""Variants that differ, repaired within a bounded number of attempts.

Apps and templates that write several variants share the same loop: generate, check each variant,
find the near-duplicates, regenerate only the variants that fail (a new seed, another angle), keep
a new draft when it is no worse than the old one, stop after ``MAX_REPAIR_ATTEMPTS`` rounds and
report what still fails. These helpers hold the parts of that loop that know nothing of the app.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .checks import DUPLICATE_SIMILARITY, Check, similar_pairs

__all__ = ["MAX_REPAIR_ATTEMPTS", "LOOP_FREQUENCY_PENALTY", "SCHEMA_SLACK_SHARE", "SCHEMA_SLACK_MIN", "with_slack", "seed_for", "redo_indices",
           "duplicates_of_others", "aggregate_checks"]  # fmt: skip

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
