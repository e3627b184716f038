"""Music theory the composer relies on: scales, chord spelling, voice leading.

Pitches are MIDI note numbers; pitch classes are 0-11 with C = 0.
Standard library only.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

__all__ = ["Chord", "parse_chord", "scale_pcs", "melody_pcs", "voice_lead", "nearest_pitch", "step_in_scale"]

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)  # natural minor: the key's own notes
_NUMERALS = {"i": 0, "ii": 1, "iii": 2, "iv": 3, "v": 4, "vi": 5, "vii": 6}
_LETTERS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_ROMAN_RE = re.compile(r"^(b|#)?(vii|vi|v|iv|iii|ii|i)(°|o|\+)?(7|maj7|ø7)?$", re.IGNORECASE)
_SYMBOL_RE = re.compile(r"^([A-G])(b|#)?(.*)$")
# chord quality -> intervals above the root
_QUALITIES = {
    "maj": (0, 4, 7),
    "min": (0, 3, 7),
    "dim": (0, 3, 6),
    "aug": (0, 4, 8),
    "7": (0, 4, 7, 10),
    "maj7": (0, 4, 7, 11),
    "m7": (0, 3, 7, 10),
    "ø7": (0, 3, 6, 10),
    "sus2": (0, 2, 7),
    "sus4": (0, 5, 7),
    "6": (0, 4, 7, 9),
    "m6": (0, 3, 7, 9),
}
_SYMBOL_QUALITY = {
    "": "maj",
    "m": "min",
    "min": "min",
    "maj7": "maj7",
    "m7": "m7",
    "7": "7",
    "dim": "dim",
    "aug": "aug",
    "sus2": "sus2",
    "sus4": "sus4",
    "6": "6",
    "m6": "m6",
}


@dataclass(frozen=True)
class Chord:
    root: int  # pitch class
    intervals: tuple[int, ...]

    @property
    def pcs(self) -> tuple[int, ...]:
        return tuple((self.root + i) % 12 for i in self.intervals)

    @property
    def fifth(self) -> int:
        return (self.root + (self.intervals[2] if len(self.intervals) > 2 else 7)) % 12


def scale_pcs(tonic: int, mode: str) -> tuple[int, ...]:
    return tuple((tonic + i) % 12 for i in (MAJOR if mode == "major" else MINOR))


def melody_pcs(tonic: int, mode: str, pentatonic: bool) -> tuple[int, ...]:
    """Pitch classes the melody draws from: the key's scale, or its pentatonic subset."""
    if not pentatonic:
        return scale_pcs(tonic, mode)
    steps = (0, 2, 4, 7, 9) if mode == "major" else (0, 3, 5, 7, 10)
    return tuple((tonic + i) % 12 for i in steps)


def parse_chord(name: str, tonic: int, mode: str) -> Chord:
    """A roman numeral relative to the key (case gives the quality) or a chord symbol."""
    if m := _ROMAN_RE.match(name):
        accidental, numeral, alter, ext = m.groups()
        degree = _NUMERALS[numeral.lower()]
        root = (tonic + (MAJOR if mode == "major" else MINOR)[degree]) % 12
        root = (root + {"b": -1, "#": 1, None: 0}[accidental]) % 12
        upper = numeral[0].isupper()
        if alter in ("°", "o"):
            quality = "ø7" if ext == "7" else "dim"
        elif alter == "+":
            quality = "aug"
        elif ext == "ø7":
            quality = "ø7"
        elif ext == "maj7":
            quality = "maj7"
        elif ext == "7":
            quality = "7" if upper else "m7"
        else:
            quality = "maj" if upper else "min"
        return Chord(root, _QUALITIES[quality])
    if m := _SYMBOL_RE.match(name):
        letter, accidental, rest = m.groups()
        root = (_LETTERS[letter] + {"b": -1, "#": 1, None: 0}[accidental]) % 12
        if rest in _SYMBOL_QUALITY:
            return Chord(root, _QUALITIES[_SYMBOL_QUALITY[rest]])
    raise ValueError(f"cannot read chord '{name}'")


def nearest_pitch(target: float, pcs: tuple[int, ...] | list[int], lo: int = 0, hi: int = 127) -> int:
    """The pitch with a class in ``pcs`` closest to ``target`` (ties go down), within [lo, hi]."""
    best = None
    for p in range(max(lo, int(target) - 12), min(hi, int(target) + 13) + 1):
        if p % 12 in pcs and (best is None or abs(p - target) < abs(best - target)):
            best = p
    if best is None:
        candidates = [p for p in range(lo, hi + 1) if p % 12 in pcs]
        best = min(candidates, key=lambda p: (abs(p - target), p))
    return best


def step_in_scale(pitch: int, steps: int, pcs: tuple[int, ...]) -> int:
    """Move ``steps`` scale steps (negative: down) from ``pitch``, which need not be in the scale."""
    p = pitch
    direction = 1 if steps > 0 else -1
    for _ in range(abs(steps)):
        p += direction
        while p % 12 not in pcs:
            p += direction
    return p


def voice_lead(
    prev: tuple[int, ...] | None, chord: Chord, lo: int = 50, hi: int = 74, voices: int = 4
) -> tuple[int, ...]:
    """Voice ``chord`` in ``voices`` parts close to ``prev``: common tones stay, others move least.

    Every chord tone appears (the root doubled in triads, the fifth dropped first when a
    four-note chord has fewer voices). Among voicings within one octave and a half, the one
    with the least total movement from ``prev`` wins; without ``prev``, the one nearest the
    middle of the range.
    """
    base = list(chord.pcs)
    if len(base) > voices:
        base = [pc for pc in base if pc != chord.fifth][:voices]
    # triads double a tone: the root by preference, then the fifth, then the third
    doublings = (
        [(base, 0.0)]
        if len(base) >= voices
        else [(base + [pc] * (voices - len(base)), penalty) for pc, penalty in zip(base, (0.0, 1.0, 0.5))]
    )
    centre = (lo + hi) / 2
    best, best_cost = None, None
    for pcs, penalty in doublings:
        options = [[p for p in range(lo, hi + 1) if p % 12 == pc] for pc in pcs]
        for combo in itertools.product(*options):
            voicing = tuple(sorted(combo))
            if len(set(voicing)) < len(voicing) or voicing[-1] - voicing[0] > 16:
                continue
            spread = abs(sum(voicing) / len(voicing) - centre)
            if prev is not None and len(prev) == len(voicing):
                cost = sum(abs(a - b) for a, b in zip(voicing, prev)) + 0.05 * spread + penalty
            else:
                cost = spread + penalty
            if best_cost is None or cost < best_cost or (cost == best_cost and voicing < best):
                best, best_cost = voicing, cost
    if best is None:  # range too narrow for a close voicing: stack from the bottom
        best = tuple(sorted(nearest_pitch(lo + 2 * i, [pc]) for i, pc in enumerate(base)))
    return best
