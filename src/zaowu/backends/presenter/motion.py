"""Per-frame tracks that drive the rig and the head, made from the speech and its script.

    jaw    the speech envelope (RMS per frame, normalised to the voice's loud syllables, gated in silence)
           shaped by visemes: pinyin finals for Chinese, espeak-ng phonemes for English (espeak-ng is GPL:
           it runs as a separate program, never imported), spread over the voiced stretches of the audio
    wide   the viseme's lip spread (i/e wide, o/u rounded)
    brow   a short raise on stressed syllables (espeak-ng's primary stress, Mandarin 4th tone), spaced out
    blink  blinks at irregular intervals from the seed, never more than ``MAX_BLINK_GAP`` apart
    head   a slow sway (angle) and breathing (scale) from a few seeded sine waves
Without phonemes (no espeak-ng, no pypinyin, a recording without a script) the envelope alone drives the jaw.
"""

from __future__ import annotations

import logging
import math
import random
import re
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

__all__ = ["Tracks", "Unit", "make_tracks", "units_for", "voiced_runs"]

log = logging.getLogger(__name__)

GATE = 0.12
"""Envelope (share of the loud level) below which the mouth rests closed."""
PAUSE = 0.25
"""Seconds of quiet that separate two voiced stretches (sentences)."""
FIRST_BLINK = (0.6, 2.0)
"""Seconds before the first blink (random within)."""
BLINK_GAP = (2.0, 5.0)
"""Seconds between blinks (random within): irregular, and never more than ``MAX_BLINK_GAP``."""
MAX_BLINK_GAP = 6.0
BLINK_SECONDS = (0.08, 0.05, 0.13)
"""A blink: closing, closed, opening."""
BROW_GAP = 1.2
"""Seconds at least between two brow raises."""
BROW_SECONDS = 0.45
SWAY_DEGREES = 0.9
"""The head's largest sway."""
BREATH_SECONDS = 3.6
BREATH_SCALE = 0.004
ESPEAK_TIMEOUT = 20.0


@dataclass(frozen=True)
class Unit:
    """One mouth shape: how open (0..1) and how wide (-1 rounded .. 1 spread); ``stressed`` raises the brows."""

    open: float
    wide: float = 0.0
    stressed: bool = False


@dataclass
class Tracks:
    """One value per frame for each control (NumPy float32 arrays) and the envelope they came from."""

    jaw: Any
    wide: Any
    blink: Any
    brow: Any
    angle: Any
    scale: Any
    envelope: Any
    phonemes: str  # "pinyin", "espeak-ng", "pinyin+espeak-ng" or "envelope"

    def at(self, n: int) -> dict[str, float]:
        return {
            "jaw": float(self.jaw[n]),
            "wide": float(self.wide[n]),
            "blink": float(self.blink[n]),
            "brow": float(self.brow[n]),
        }


# ------------------------------------------------------------------------------------------ visemes

_PINYIN_FINAL = {
    "a": Unit(1.0, 0.1),
    "o": Unit(0.7, -0.7),
    "e": Unit(0.65, 0.2),
    "i": Unit(0.4, 0.8),
    "u": Unit(0.5, -0.9),
    "v": Unit(0.45, -0.6),
    "ü": Unit(0.45, -0.6),
}
_ESPEAK_VOWEL = {
    "a": Unit(1.0, 0.1),
    "A": Unit(0.95),
    "0": Unit(0.8, -0.4),
    "V": Unit(0.8),
    "E": Unit(0.7, 0.3),
    "@": Unit(0.55),
    "3": Unit(0.6),
    "e": Unit(0.65, 0.4),
    "i": Unit(0.4, 0.8),
    "I": Unit(0.45, 0.6),
    "u": Unit(0.45, -0.9),
    "U": Unit(0.5, -0.7),
    "o": Unit(0.65, -0.8),
    "O": Unit(0.75, -0.6),
}
_LABIAL = {
    "p": Unit(0.0),
    "b": Unit(0.0),
    "m": Unit(0.0),
    "f": Unit(0.15, 0.1),
    "v": Unit(0.15, 0.1),
    "w": Unit(0.2, -0.9),
}
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SENTENCE = re.compile(r"[^。！？!?；;.\n]+[。！？!?；;.]*")


def _pinyin_units(text: str) -> list[Unit] | None:
    try:
        from pypinyin import Style, lazy_pinyin
    except ImportError:
        return None
    units: list[Unit] = []
    for syllable in lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True, errors="ignore"):
        syllable = syllable.lower()
        tone = syllable[-1] if syllable[-1:].isdigit() else "5"
        body = syllable.rstrip("012345")
        if body[:1] in "bpmf" and body[:1]:
            units.append(_LABIAL[body[0]])
        vowel = next((c for c in body if c in _PINYIN_FINAL), None)
        if vowel is not None:
            base = _PINYIN_FINAL[vowel]
            units.append(Unit(base.open, base.wide, tone == "4"))
    return units


def _espeak_units(text: str) -> list[Unit] | None:
    """Units from espeak-ng's phoneme mnemonics (``espeak-ng -q -x``), run as a separate program."""
    program = shutil.which("espeak-ng")
    if program is None:
        return None
    try:
        done = subprocess.run(
            [program, "-q", "-x", "-v", "en-us", "--stdin"],
            input=text.encode("utf-8"),
            capture_output=True,
            timeout=ESPEAK_TIMEOUT,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("espeak-ng gave no phonemes (%s); the envelope drives the mouth", exc)
        return None
    units: list[Unit] = []
    stress = False
    previous_vowel = False
    for ch in done.stdout.decode("utf-8", "replace"):
        if ch == "'":
            stress = True
        elif ch in _ESPEAK_VOWEL:
            if not previous_vowel:  # a diphthong (aI, oU) is one syllable
                base = _ESPEAK_VOWEL[ch]
                units.append(Unit(base.open, base.wide, stress))
                stress = False
            previous_vowel = True
            continue
        elif ch in _LABIAL:
            units.append(_LABIAL[ch])
        previous_vowel = False
    return units


def units_for(text: str, language: str | None) -> tuple[list[list[Unit]], str]:
    """The script's mouth shapes, sentence by sentence, and where they came from."""
    sentences = [s.strip() for s in _SENTENCE.findall(text or "") if s.strip()]
    out: list[list[Unit]] = []
    sources = set()
    for sentence in sentences:
        chinese = bool(_CJK.search(sentence)) if language is None else (language == "zh" or bool(_CJK.search(sentence)))
        units = _pinyin_units(sentence) if chinese else _espeak_units(sentence)
        if units is None:
            return [], "envelope"
        sources.add("pinyin" if chinese else "espeak-ng")
        out.append(units)
    return out, "+".join(sorted(sources)) or "envelope"


# ------------------------------------------------------------------------------------------ audio


def envelope(speech, rate: int, fps: int, frames: int):
    """RMS of the speech around each frame's time (a window of 1.6 frames), float32."""
    import numpy as np

    half = round(0.8 * rate / fps)
    centres = np.round((np.arange(frames) + 0.5) * rate / fps).astype(np.int64)
    squares = np.concatenate([[0.0], np.cumsum(speech.astype(np.float64) ** 2)])
    lo = np.clip(centres - half, 0, len(speech))
    hi = np.clip(centres + half, 0, len(speech))
    return np.sqrt((squares[hi] - squares[lo]) / np.maximum(hi - lo, 1)).astype(np.float32)


def voiced_runs(level, fps: int) -> list[tuple[int, int]]:
    """(first, end) frames of each voiced stretch: above the gate, with gaps shorter than ``PAUSE`` closed."""
    runs: list[tuple[int, int]] = []
    gap = max(1, round(PAUSE * fps))
    for n, v in enumerate(level > GATE):
        if not v:
            continue
        if runs and n - runs[-1][1] < gap:
            runs[-1] = (runs[-1][0], n + 1)
        else:
            runs.append((n, n + 1))
    return runs


def _spread(units: list[list[Unit]], runs: list[tuple[int, int]], frames: int):
    """Each frame's unit: sentence i over voiced stretch i when the counts agree, else all over all."""
    import numpy as np

    opening = np.full(frames, 0.6, np.float32)
    wide = np.zeros(frames, np.float32)
    stressed: list[int] = []
    pairs = list(zip(units, runs, strict=True)) if len(units) == len(runs) else []
    if not pairs and runs and units:
        flat = [u for sentence in units for u in sentence]
        pairs = [(flat, (runs[0][0], runs[-1][1]))]
    for sentence, (first, end) in pairs:
        if not sentence:
            continue
        span = (end - first) / len(sentence)
        for k, unit in enumerate(sentence):
            a, b = first + round(k * span), max(first + round((k + 1) * span), first + round(k * span) + 1)
            opening[a:b], wide[a:b] = unit.open, unit.wide
            if unit.stressed:
                stressed.append(a)
    return opening, wide, stressed


def _smooth(values, width: int):
    import numpy as np

    if width <= 1:
        return values
    kernel = np.hanning(width + 2)[1:-1]
    return np.convolve(values, kernel / kernel.sum(), mode="same").astype(np.float32)


# ------------------------------------------------------------------------------------------ life


def _blinks(frames: int, fps: int, rng: random.Random):
    import numpy as np

    track = np.zeros(frames, np.float32)
    close, hold, opening = BLINK_SECONDS
    t = rng.uniform(*FIRST_BLINK)
    times = np.arange(frames) / fps
    while t < frames / fps:
        d = times - t
        shape = np.where(
            d < 0,
            0,
            np.where(
                d < close,
                d / close,
                np.where(d < close + hold, 1, np.clip(1 - (d - close - hold) / opening, 0, 1)),
            ),
        )
        track = np.maximum(track, shape.astype(np.float32))
        t += min(rng.uniform(*BLINK_GAP), MAX_BLINK_GAP)
    return track


def _brows(frames: int, fps: int, starts: list[int], level):
    import numpy as np

    track = np.zeros(frames, np.float32)
    last = -math.inf
    length = max(2, round(BROW_SECONDS * fps))
    bump = np.sin(np.linspace(0, math.pi, length)).astype(np.float32)
    for n in starts:
        if n / fps - last < BROW_GAP or level[n] < 0.5:
            continue
        last = n / fps
        piece = bump[: frames - n]
        track[n : n + len(piece)] = np.maximum(track[n : n + len(piece)], piece)
    return track


def _sway(frames: int, fps: int, rng: random.Random):
    import numpy as np

    t = np.arange(frames, dtype=np.float64) / fps
    angle = np.zeros(frames)
    for period, share in ((7.3, 0.55), (4.1, 0.3), (2.3, 0.15)):
        angle += share * np.sin(2 * math.pi * t / (period * rng.uniform(0.85, 1.15)) + rng.uniform(0, 2 * math.pi))
    scale = 1 + BREATH_SCALE * np.sin(2 * math.pi * t / BREATH_SECONDS + rng.uniform(0, 2 * math.pi))
    return (SWAY_DEGREES * angle).astype(np.float32), scale.astype(np.float32)


def make_tracks(speech, rate: int, fps: int, frames: int, script: str, language: str | None, seed: int) -> Tracks:
    """The tracks of a clip of ``frames`` frames speaking ``speech`` (mono float32 at ``rate``)."""
    import numpy as np

    rng = random.Random(f"zaowu-presenter:{seed}")
    raw = envelope(speech, rate, fps, frames)
    loud = float(np.percentile(raw[raw > 1e-4], 95)) if (raw > 1e-4).any() else 1.0
    level = np.clip(raw / (loud or 1.0), 0, 1)
    runs = voiced_runs(level, fps)
    units, source = units_for(script, language)
    opening, wide, stressed = _spread(units, runs, frames) if units else (np.full(frames, 0.6), np.zeros(frames), [])
    speaking = np.clip((level - GATE) / (1 - GATE), 0, 1) ** 0.8
    jaw = speaking * (0.35 + 0.65 * _smooth(np.asarray(opening, np.float32), 3))
    wide = _smooth(np.asarray(wide, np.float32), 5) * np.clip(speaking * 3, 0, 1)
    angle, scale = _sway(frames, fps, rng)
    return Tracks(
        jaw=(0.85 * jaw).astype(np.float32),
        wide=wide.astype(np.float32),
        blink=_blinks(frames, fps, rng),
        brow=_brows(frames, fps, stressed, level),
        angle=angle,
        scale=scale,
        envelope=level.astype(np.float32),
        phonemes=source if units else "envelope",
    )
