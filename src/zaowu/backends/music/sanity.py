"""Plan sanity: rules in code that check a music plan after it passes its schema, and repair it.

A plan can be schema-valid and still wrong: a flute in the bass, major numerals in a minor key,
a waltz metre for relaxed café jazz, a lo-fi beat at 150 bpm, sections that add up to 40 s when
30 s were asked. :func:`check_plan` runs one rule per class of mistake, in an order where each
repair feeds the next (mode before chords, tempo before sections):

- ``mode``: sad, tense and mysterious moods are minor, happy and playful ones major, unless the
  prompt names the mode;
- ``instruments``: each part has an instrument that can play it (a bass instrument in the bass,
  no bass or pad carrying the melody, a chordal instrument on the chords) and, for genres with a
  sound of their own, that suits the genre (no glockenspiel leading café jazz); drums are never a
  plan part: the composer plays the genre's kit on MIDI channel 10;
- ``chords``: roman numerals of the key's own mode (major: I ii iii IV V vi vii°; minor:
  i ii° III iv v/V VI VII), with the case (major/minor quality) fixed;
- ``metre``: 3/4 only when the prompt asks for a waltz, 4/4 otherwise (jazz swings in 4/4);
- ``tempo``: within the genre's range, narrowed by the mood, unless the prompt names the bpm;
- ``sections``: the bars add up to the requested duration at the plan's tempo.

Each rule yields a finding ``{"name", "ok", "detail"}`` (the studio turns them into ``Check``
records): ``ok`` with a ``repaired: …`` detail when the rule fixed the plan, ``ok=False`` when it
found a problem it was told not to repair (a plan the user wrote is reported, never rewritten).
Standard library and Pydantic only.
"""

from __future__ import annotations

import re
from typing import Any

from .plan import MusicPlan, genre_defaults, prompt_hints

__all__ = ["BASS_INSTRUMENTS", "MAX_PLAN_SECTIONS", "asks_for_waltz", "check_plan", "fix_numeral", "tempo_range"]

MAX_PLAN_SECTIONS = 16  # MusicPlan.sections holds at most this many
MAX_SECTION_BARS = 64  # and each section at most this many bars

BASS_INSTRUMENTS = frozenset(
    {"acoustic_bass", "electric_bass_finger", "electric_bass_pick", "fretless_bass", "synth_bass"}
)
PADS = frozenset({"warm_pad", "polysynth_pad", "halo_pad"})
# what each part may be played by
ROLE_FIT: dict[str, frozenset[str]] = {
    "bass": BASS_INSTRUMENTS | {"cello"},
    "chords": frozenset(
        {
            "acoustic_grand_piano",
            "bright_piano",
            "electric_piano",
            "harpsichord",
            "celesta",
            "vibraphone",
            "marimba",
            "music_box",
            "drawbar_organ",
            "acoustic_guitar_nylon",
            "acoustic_guitar_steel",
            "electric_guitar_clean",
            "overdriven_guitar",
            "distortion_guitar",
            "pizzicato_strings",
            "harp",
            "string_ensemble",
            "slow_strings",
            "choir_aahs",
            "brass_section",
            "koto",
            "kalimba",
            "banjo",
            "shamisen",
            "sitar",
        }
    )
    | PADS,
    "pad": PADS | {"string_ensemble", "slow_strings", "choir_aahs", "drawbar_organ"},
}
NOT_MELODY = BASS_INSTRUMENTS | PADS  # a bass line or a pad cannot carry a tune
# genres whose sound depends on their lead and comping instruments (others take any that fits the role)
GENRE_FIT: dict[str, dict[str, frozenset[str]]] = {
    "jazz": {
        "melody": frozenset(
            {
                "alto_sax",
                "tenor_sax",
                "trumpet",
                "clarinet",
                "flute",
                "vibraphone",
                "electric_piano",
                "acoustic_grand_piano",
                "electric_guitar_clean",
            }
        ),
        "chords": frozenset(
            {
                "acoustic_grand_piano",
                "electric_piano",
                "electric_guitar_clean",
                "vibraphone",
                "drawbar_organ",
                "acoustic_guitar_nylon",
            }
        ),
    },
    "chinese": {
        "melody": frozenset({"flute", "pan_flute", "shakuhachi", "koto", "shamisen", "violin", "harp"}),
        "chords": frozenset(
            {
                "koto",
                "harp",
                "acoustic_guitar_nylon",
                "pizzicato_strings",
                "string_ensemble",
                "slow_strings",
                "shamisen",
                "acoustic_grand_piano",
            }
        ),
    },
    "rock": {
        "melody": frozenset(
            {
                "overdriven_guitar",
                "distortion_guitar",
                "electric_guitar_clean",
                "saw_lead",
                "square_lead",
                "drawbar_organ",
                "acoustic_grand_piano",
                "bright_piano",
            }
        ),
        "chords": frozenset(
            {
                "overdriven_guitar",
                "distortion_guitar",
                "electric_guitar_clean",
                "acoustic_guitar_steel",
                "drawbar_organ",
                "acoustic_grand_piano",
                "bright_piano",
            }
        ),
    },
    "classical": {
        "melody": frozenset(
            {
                "violin",
                "cello",
                "flute",
                "clarinet",
                "french_horn",
                "trumpet",
                "harp",
                "acoustic_grand_piano",
                "harpsichord",
                "celesta",
                "pizzicato_strings",
            }
        ),
        "chords": frozenset(
            {
                "acoustic_grand_piano",
                "harpsichord",
                "harp",
                "string_ensemble",
                "slow_strings",
                "pizzicato_strings",
                "choir_aahs",
                "brass_section",
                "celesta",
            }
        ),
    },
    "lofi": {
        "melody": frozenset(
            {
                "electric_piano",
                "acoustic_grand_piano",
                "vibraphone",
                "marimba",
                "kalimba",
                "music_box",
                "celesta",
                "acoustic_guitar_nylon",
                "electric_guitar_clean",
                "flute",
                "alto_sax",
                "trumpet",
            }
        )
    },
}

# numerals of each mode by scale degree, and the chords a mode borrows that are still right
DIATONIC = {"major": ("I", "ii", "iii", "IV", "V", "vi", "vii°"), "minor": ("i", "ii°", "III", "iv", "v", "VI", "VII")}
BORROWED = {"major": {"bVII"}, "minor": {"V"}}  # Mixolydian bVII; the harmonic-minor dominant
_ROMAN = re.compile(r"^(b|#)?(vii|vi|v|iv|iii|ii|i)(°|o|\+)?(7|maj7|ø7)?$", re.IGNORECASE)
_DEGREE = {"i": 0, "ii": 1, "iii": 2, "iv": 3, "v": 4, "vi": 5, "vii": 6}

MINOR_MOODS = frozenset({"sad", "tense", "mysterious"})
MAJOR_MOODS = frozenset({"happy", "playful"})
WALTZ_WORDS = ("waltz", "3/4", "three-four", "three four", "华尔兹", "圆舞曲", "三拍子", "三拍")

# tempo a genre is played at (bpm), wider than the seeded defaults; a mood narrows it
GENRE_TEMPO: dict[str, tuple[int, int]] = {
    "pop": (80, 132),
    "rock": (96, 172),
    "lofi": (60, 95),
    "hiphop": (70, 105),
    "edm": (115, 140),
    "jazz": (72, 180),
    "ballad": (56, 86),
    "chinese": (60, 116),
    "ambient": (50, 90),
    "classical": (56, 144),
}
MOOD_TEMPO: dict[str, tuple[int, int]] = {
    "calm": (0, 120),
    "sad": (0, 100),
    "dreamy": (0, 116),
    "romantic": (0, 120),
    "energetic": (104, 999),
    "happy": (76, 999),
    "playful": (84, 999),
}


def _finding(name: str, ok: bool, detail: str) -> dict[str, Any]:
    return {"name": f"music.{name}", "ok": ok, "detail": detail}


def asks_for_waltz(prompt: str) -> bool:
    text = prompt.lower()
    return any(w in text for w in WALTZ_WORDS)


def tempo_range(genre: str, mood: str) -> tuple[int, int]:
    """The bpm range that fits a genre played in a mood (the genre's own range when they disagree)."""
    lo, hi = GENRE_TEMPO[genre]
    m_lo, m_hi = MOOD_TEMPO.get(mood, (0, 999))
    narrowed = max(lo, m_lo), min(hi, m_hi)
    return narrowed if narrowed[0] <= narrowed[1] else (lo, hi)


def fix_numeral(chord: str, mode: str) -> str:
    """``chord`` as a numeral of ``mode``: diatonic (or a common borrowing) numerals are kept; others
    get the mode's own quality for their degree (in A minor, I → i, vi → VI, IV → iv; in C major,
    i → I, VI → vi, bIII → iii). Chord symbols (Am, G7) are returned unchanged."""
    m = _ROMAN.match(chord)
    if not m:
        return chord
    accidental, numeral, alter, ext = m.groups()
    core = (accidental or "") + numeral + ("°" if alter in ("°", "o") else alter or "")
    if core in BORROWED[mode] or (not accidental and core == DIATONIC[mode][_DEGREE[numeral.lower()]]):
        return chord
    canonical = DIATONIC[mode][_DEGREE[numeral.lower()]]
    if not ext:
        return canonical
    if canonical.endswith("°"):
        return canonical[:-1] + "ø7"  # a seventh on a diminished triad: half-diminished
    if canonical.islower() and ext == "maj7":
        return canonical + "7"  # a minor chord takes a minor seventh
    return canonical + ext


def _check_mode(data: dict[str, Any], prompt: str, repair: bool) -> dict[str, Any]:
    named = prompt_hints(prompt).get("mode")
    mood, mode = data["mood"], data["mode"]
    if named:
        ok = mode == named
        want = named
        reason = f"the prompt asks for {named}"
    else:
        want = "minor" if mood in MINOR_MOODS else "major" if mood in MAJOR_MOODS else mode
        ok = mode == want
        reason = f"a {mood} mood"
    if ok:
        return _finding("mode", True, f"{mode} fits {reason}")
    if not repair:
        return _finding("mode", False, f"{mode} does not fit {reason}; use {want}")
    data["mode"] = want
    return _finding("mode", True, f"repaired: {mode} → {want} for {reason}")


def _check_instruments(data: dict[str, Any], repair: bool) -> dict[str, Any]:
    inst = dict(data["instruments"])
    melody_d, chords_d, bass_d, pad_d = genre_defaults(data["genre"])
    problems: list[str] = []
    if inst["bass"] not in ROLE_FIT["bass"]:
        problems.append(f"bass {inst['bass']} is not a bass instrument")
        swap = next((r for r in ("melody", "chords") if inst[r] in BASS_INSTRUMENTS), None)
        if swap:  # the roles were swapped: put each instrument where it belongs
            inst["bass"], inst[swap] = inst[swap], inst["bass"]
        else:
            inst["bass"] = bass_d
    if inst["melody"] in NOT_MELODY:
        problems.append(f"melody {inst['melody']} cannot carry a tune")
        inst["melody"] = melody_d if melody_d not in NOT_MELODY else "acoustic_grand_piano"
    if inst["chords"] not in ROLE_FIT["chords"]:
        problems.append(f"chords {inst['chords']} cannot play chords")
        inst["chords"] = chords_d
    if inst.get("pad") and inst["pad"] not in ROLE_FIT["pad"]:
        problems.append(f"pad {inst['pad']} cannot sustain a pad")
        inst["pad"] = pad_d
    for role, default in (("melody", melody_d), ("chords", chords_d)):
        suits = GENRE_FIT.get(data["genre"], {}).get(role)
        if suits and inst[role] not in suits:
            problems.append(f"{role} {inst[role]} does not suit {data['genre']}")
            inst[role] = default
    if not problems:
        return _finding(
            "instruments",
            True,
            ", ".join(f"{r} {inst[r]}" for r in ("melody", "chords", "bass") if inst.get(r))
            + "; drums: the genre's kit",
        )
    if not repair:
        return _finding("instruments", False, "; ".join(problems))
    changed = ", ".join(
        f"{r} {data['instruments'].get(r)} → {inst[r]}"
        for r in ("melody", "chords", "bass", "pad")
        if inst.get(r) != data["instruments"].get(r)
    )
    data["instruments"] = inst
    return _finding("instruments", True, f"repaired: {'; '.join(problems)} ({changed})")


def _check_chords(data: dict[str, Any], repair: bool) -> dict[str, Any]:
    mode, changes = data["mode"], []
    for section in data["sections"]:
        fixed = [fix_numeral(c, mode) for c in section["chords"]]
        changes += [f"{a}→{b}" for a, b in zip(section["chords"], fixed) if a != b]
        if repair:
            section["chords"] = fixed
    key = f"{data['key']} {mode}"
    if not changes:
        return _finding("chords", True, f"every numeral belongs to {key}")
    shown = ", ".join(dict.fromkeys(changes))
    if not repair:
        return _finding("chords", False, f"numerals outside {key}: {shown}")
    return _finding("chords", True, f"repaired for {key}: {shown}")


def _check_metre(data: dict[str, Any], prompt: str, repair: bool) -> dict[str, Any]:
    want = "3/4" if asks_for_waltz(prompt) else "4/4"
    have = data["time_signature"]
    reason = "the prompt asks for a waltz" if want == "3/4" else "no waltz was asked for"
    if have == want:
        return _finding("metre", True, f"{have}: {reason}")
    if not repair:
        return _finding("metre", False, f"{have}, but {reason}: use {want}")
    data["time_signature"] = want
    return _finding("metre", True, f"repaired: {have} → {want} ({reason})")


def _check_tempo(data: dict[str, Any], prompt: str, repair: bool) -> dict[str, Any]:
    tempo, asked = data["tempo"], prompt_hints(prompt).get("tempo")
    if asked is not None:
        ok = tempo == asked
        if ok or not repair:
            return _finding("tempo", ok, f"{tempo} bpm" + (" as asked" if ok else f", but the prompt asks for {asked}"))
        data["tempo"] = asked
        return _finding("tempo", True, f"repaired: {tempo} → {asked} bpm as asked")
    lo, hi = tempo_range(data["genre"], data["mood"])
    if lo <= tempo <= hi:
        return _finding("tempo", True, f"{tempo} bpm within {lo}–{hi} for {data['mood']} {data['genre']}")
    if not repair:
        return _finding("tempo", False, f"{tempo} bpm outside {lo}–{hi} for {data['mood']} {data['genre']}")
    data["tempo"] = min(hi, max(lo, tempo))
    return _finding(
        "tempo", True, f"repaired: {tempo} → {data['tempo']} bpm ({lo}–{hi} for {data['mood']} {data['genre']})"
    )


def _check_sections(data: dict[str, Any], duration: float, repair: bool) -> dict[str, Any]:
    from .composer import fit_form, fit_tempo

    plan = MusicPlan.model_validate(data)
    tempo, n_bars = fit_tempo(plan.tempo, plan.beats_per_bar, duration)
    planned = sum(s.bars for s in plan.sections)

    def seconds(bars: int) -> float:
        return bars * plan.beats_per_bar * 60 / tempo

    if planned == n_bars:
        return _finding("sections", True, f"{planned} bars = {seconds(planned):.0f} s of {duration:g} s")
    if not repair:  # a user's plan: its bars are relative, the composer scales them
        return _finding(
            "sections", True, f"{planned} relative bars, scaled to {n_bars} ({duration:g} s) by the composer"
        )
    form = fit_form(plan, n_bars, max_sections=MAX_PLAN_SECTIONS)
    if len(form) > MAX_PLAN_SECTIONS or max(bars for _, bars, _ in form) > MAX_SECTION_BARS:
        return _finding(
            "sections", False, f"{planned} bars ({seconds(planned):.0f} s) could not be fitted to {duration:g} s"
        )
    data["sections"] = [{"name": name, "bars": bars, "chords": chords} for name, bars, chords in form]
    cut = f", the last bar cut at {duration:g} s" if seconds(n_bars) - duration > 0.05 else ""
    return _finding(
        "sections",
        True,
        f"repaired: {planned} bars ({seconds(planned):.0f} s) → {n_bars} bars "
        f"({seconds(n_bars):.0f} s of {duration:g} s{cut})",
    )


def check_plan(plan: MusicPlan, prompt: str, duration: float, *, repair: bool = True) -> tuple[MusicPlan, list[dict]]:
    """The plan with its mistakes repaired (unless ``repair`` is false) and one finding per rule."""
    data = plan.model_dump(mode="json")
    findings = [
        _check_mode(data, prompt, repair),
        _check_instruments(data, repair),
        _check_chords(data, repair),
        _check_metre(data, prompt, repair),
        _check_tempo(data, prompt, repair),
    ]
    findings.append(_check_sections(data, duration, repair))
    return (MusicPlan.model_validate(data) if repair else plan), findings
