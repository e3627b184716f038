"""The music plan: what the composer needs to know, as a typed model.

A plan names a genre, mood, key, mode, tempo, time signature, the instrument of
each part (General MIDI programs by name) and the sections in order, each with
its bar count and chord progression (roman numerals such as ``vi`` or ``V7``,
or chord symbols such as ``Am`` or ``G7``).

Plans come from the LLM through JSON-schema constrained decoding
(:func:`plan_schema` is deliberately small and enum-heavy so tiny models can
follow it), from users, or from :func:`plan_from_seed`, which fills whatever
was left open deterministically from the seed and the prompt's keywords.

This module imports only the standard library and Pydantic.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Mapping
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = [
    "Genre",
    "Mood",
    "GM_PROGRAMS",
    "KEYS",
    "MusicPlan",
    "Section",
    "Instruments",
    "plan_schema",
    "plan_from_seed",
    "prompt_hints",
    "genre_defaults",
    "sub_rng",
]


class Genre(str, Enum):
    pop = "pop"
    rock = "rock"
    lofi = "lofi"
    hiphop = "hiphop"
    edm = "edm"
    jazz = "jazz"
    ballad = "ballad"
    chinese = "chinese"
    ambient = "ambient"
    classical = "classical"


class Mood(str, Enum):
    happy = "happy"
    sad = "sad"
    calm = "calm"
    energetic = "energetic"
    romantic = "romantic"
    epic = "epic"
    mysterious = "mysterious"
    dreamy = "dreamy"
    tense = "tense"
    playful = "playful"


KEYS = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
KeyName = Literal["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
SectionName = Literal["intro", "verse", "chorus", "bridge", "outro"]

# General MIDI programs (0-based) by the names the plan uses.
GM_PROGRAMS: dict[str, int] = {
    "acoustic_grand_piano": 0,
    "bright_piano": 1,
    "electric_piano": 4,
    "harpsichord": 6,
    "celesta": 8,
    "glockenspiel": 9,
    "music_box": 10,
    "vibraphone": 11,
    "marimba": 12,
    "drawbar_organ": 16,
    "acoustic_guitar_nylon": 24,
    "acoustic_guitar_steel": 25,
    "electric_guitar_clean": 27,
    "overdriven_guitar": 29,
    "distortion_guitar": 30,
    "acoustic_bass": 32,
    "electric_bass_finger": 33,
    "electric_bass_pick": 34,
    "fretless_bass": 35,
    "synth_bass": 38,
    "violin": 40,
    "cello": 42,
    "pizzicato_strings": 45,
    "harp": 46,
    "string_ensemble": 48,
    "slow_strings": 49,
    "choir_aahs": 52,
    "trumpet": 56,
    "french_horn": 60,
    "brass_section": 61,
    "alto_sax": 65,
    "tenor_sax": 66,
    "clarinet": 71,
    "flute": 73,
    "pan_flute": 75,
    "shakuhachi": 77,
    "square_lead": 80,
    "saw_lead": 81,
    "warm_pad": 89,
    "polysynth_pad": 90,
    "halo_pad": 94,
    "sitar": 104,
    "banjo": 105,
    "shamisen": 106,
    "koto": 107,
    "kalimba": 108,
}
Instrument = Literal[tuple(GM_PROGRAMS)]  # type: ignore[valid-type]

# A chord is a roman numeral (accidental, numeral, quality, extension) or a chord symbol.
_ROMAN = r"(b|#)?(I|II|III|IV|V|VI|VII|i|ii|iii|iv|v|vi|vii)(°|o|\+)?(7|maj7|ø7)?"
_SYMBOL = r"[A-G](b|#)?(m|min|maj7|m7|7|dim|aug|sus2|sus4|6|m6)?"
CHORD_RE = re.compile(rf"^(?:{_ROMAN}|{_SYMBOL})$")
# The numerals offered to the LLM: diatonic chords of major and minor, plus common colours.
ROMAN_CHOICES = (
    "I",
    "ii",
    "iii",
    "IV",
    "V",
    "vi",
    "vii°",
    "V7",
    "Imaj7",
    "ii7",
    "IVmaj7",
    "vi7",
    "i",
    "ii°",
    "III",
    "iv",
    "v",
    "VI",
    "VII",
    "i7",
    "iv7",
    "bVII",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Instruments(_Strict):
    melody: Instrument = "acoustic_grand_piano"
    chords: Instrument = "acoustic_grand_piano"
    bass: Instrument = "acoustic_bass"
    pad: Instrument | None = None  # extra layer in fuller sections


class Section(_Strict):
    name: SectionName
    bars: int = Field(ge=1, le=64, description="relative length; the composer scales bars to the duration")
    chords: list[str] = Field(min_length=1, max_length=16)

    @field_validator("chords")
    @classmethod
    def _chords_valid(cls, chords: list[str]) -> list[str]:
        for chord in chords:
            if not CHORD_RE.match(chord):
                raise ValueError(
                    f"'{chord}' is not a chord: use a roman numeral (I, vi, V7, bVII) or a symbol (Am, G7, Fmaj7)"
                )
        return chords


class MusicPlan(_Strict):
    genre: Genre
    mood: Mood
    key: KeyName
    mode: Literal["major", "minor"]
    tempo: int = Field(ge=40, le=220, description="beats per minute")
    time_signature: Literal["4/4", "3/4"] = "4/4"
    instruments: Instruments
    sections: list[Section] = Field(min_length=1, max_length=16)

    @property
    def beats_per_bar(self) -> int:
        return int(self.time_signature.split("/")[0])

    @property
    def tonic_pc(self) -> int:
        return KEYS.index(self.key)


def plan_schema() -> dict[str, Any]:
    """JSON schema for the LLM: every choice an enum, short arrays, integers bounded."""
    instrument = {"type": "string", "enum": list(GM_PROGRAMS)}
    section = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "enum": ["intro", "verse", "chorus", "bridge", "outro"]},
            "bars": {"type": "integer", "enum": [2, 4, 8]},
            "chords": {
                "type": "array",
                "items": {"type": "string", "enum": list(ROMAN_CHOICES)},
                "minItems": 2,
                "maxItems": 4,
            },
        },
        "required": ["name", "bars", "chords"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "genre": {"type": "string", "enum": [g.value for g in Genre]},
            "mood": {"type": "string", "enum": [m.value for m in Mood]},
            "key": {"type": "string", "enum": list(KEYS)},
            "mode": {"type": "string", "enum": ["major", "minor"]},
            "tempo": {"type": "integer", "minimum": 50, "maximum": 180},
            "time_signature": {"type": "string", "enum": ["4/4", "3/4"]},
            "instruments": {
                "type": "object",
                "properties": {"melody": instrument, "chords": instrument, "bass": instrument},
                "required": ["melody", "chords", "bass"],
                "additionalProperties": False,
            },
            "sections": {"type": "array", "items": section, "minItems": 3, "maxItems": 5},
        },
        "required": ["genre", "mood", "key", "mode", "tempo", "time_signature", "instruments", "sections"],
        "additionalProperties": False,
    }


# ---------------------------------------------------------------- deterministic defaults


def sub_rng(seed: int, purpose: str) -> random.Random:
    """An independent, reproducible random stream for one purpose (never Python's salted hash())."""
    digest = hashlib.sha256(f"{seed}:{purpose}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


# genre -> (tempo range, usual mode, instruments (melody, chords, bass, pad), time signatures)
_GENRE_DEFAULTS: dict[Genre, tuple[tuple[int, int], str, tuple[str, str, str, str | None], tuple[str, ...]]] = {
    Genre.pop: (
        (96, 124),
        "major",
        ("electric_piano", "acoustic_grand_piano", "electric_bass_finger", "string_ensemble"),
        ("4/4",),
    ),
    Genre.rock: ((110, 150), "major", ("overdriven_guitar", "distortion_guitar", "electric_bass_pick", None), ("4/4",)),
    Genre.lofi: ((70, 90), "minor", ("electric_piano", "electric_piano", "fretless_bass", "warm_pad"), ("4/4",)),
    Genre.hiphop: ((84, 98), "minor", ("vibraphone", "electric_piano", "synth_bass", "warm_pad"), ("4/4",)),
    Genre.edm: ((122, 130), "minor", ("saw_lead", "polysynth_pad", "synth_bass", "halo_pad"), ("4/4",)),
    Genre.jazz: ((100, 150), "major", ("alto_sax", "electric_piano", "acoustic_bass", None), ("4/4",)),
    Genre.ballad: (
        (60, 76),
        "major",
        ("acoustic_grand_piano", "acoustic_guitar_nylon", "fretless_bass", "slow_strings"),
        ("4/4", "3/4"),
    ),
    Genre.chinese: ((66, 92), "major", ("flute", "koto", "acoustic_bass", "slow_strings"), ("4/4",)),
    Genre.ambient: ((60, 80), "major", ("vibraphone", "warm_pad", "fretless_bass", "halo_pad"), ("4/4",)),
    Genre.classical: (
        (72, 112),
        "major",
        ("violin", "acoustic_grand_piano", "cello", "string_ensemble"),
        ("4/4", "3/4"),
    ),
}


def genre_defaults(genre: Genre | str) -> tuple[str, str, str, str | None]:
    """The instruments a genre is played with by default: (melody, chords, bass, pad)."""
    return _GENRE_DEFAULTS[Genre(genre)][2]


_PROGRESSIONS = {
    "major": {
        "verse": (["I", "V", "vi", "IV"], ["I", "vi", "IV", "V"], ["vi", "IV", "I", "V"], ["I", "IV", "vi", "V"]),
        "chorus": (["IV", "V", "iii", "vi"], ["I", "V", "vi", "IV"], ["IV", "I", "V", "vi"], ["vi", "IV", "I", "V"]),
        "bridge": (["ii", "V", "iii", "vi"], ["IV", "V", "vi", "vi"], ["vi", "V", "IV", "V"]),
        "intro": (["I", "IV"], ["I", "vi", "IV", "V"]),
        "outro": (["IV", "V", "I"], ["ii", "V", "I"], ["IV", "I"]),
    },
    "minor": {
        "verse": (
            ["i", "VI", "III", "VII"],
            ["i", "iv", "VII", "III"],
            ["i", "VII", "VI", "VII"],
            ["i", "iv", "v", "i"],
        ),
        "chorus": (["VI", "VII", "i", "i"], ["VI", "III", "VII", "i"], ["iv", "VII", "III", "VI"]),
        "bridge": (["iv", "v", "VI", "VII"], ["VI", "iv", "VII", "V"]),
        "intro": (["i", "VI"], ["i", "iv", "VI", "VII"]),
        "outro": (["iv", "V", "i"], ["VI", "VII", "i"], ["iv", "i"]),
    },
}
_JAZZ = {
    "major": (["ii7", "V7", "Imaj7", "vi7"], ["Imaj7", "vi7", "ii7", "V7"]),
    "minor": (["iv7", "V7", "i7", "VI"], ["i7", "iv7", "VII", "III"]),
}
_FORMS = (
    (("intro", 4), ("verse", 8), ("chorus", 8), ("verse", 8), ("chorus", 8), ("outro", 4)),
    (("intro", 4), ("verse", 8), ("chorus", 8), ("bridge", 4), ("chorus", 8), ("outro", 4)),
    (("intro", 2), ("verse", 8), ("verse", 8), ("chorus", 8), ("outro", 4)),
)
_MOOD_BY_MODE = {
    "major": (Mood.happy, Mood.calm, Mood.romantic, Mood.playful, Mood.dreamy, Mood.energetic),
    "minor": (Mood.sad, Mood.mysterious, Mood.tense, Mood.epic, Mood.dreamy, Mood.calm),
}

# Prompt keywords (English and Chinese) that pin a choice: tiny models follow these poorly.
_GENRE_WORDS = {
    Genre.lofi: ("lo-fi", "lofi", "低保真", "chill"),
    Genre.hiphop: ("hip-hop", "hip hop", "hiphop", "rap", "嘻哈", "说唱"),
    Genre.edm: ("edm", "electronic", "dance", "techno", "house", "电子", "舞曲"),
    Genre.jazz: ("jazz", "swing", "爵士", "摇摆"),
    Genre.rock: ("rock", "摇滚", "guitar", "吉他"),
    Genre.ballad: ("ballad", "抒情", "情歌"),
    Genre.chinese: ("chinese", "中国风", "古风", "民乐", "国风", "traditional", "古筝", "笛子", "pentatonic"),
    Genre.ambient: ("ambient", "氛围", "冥想", "meditation", "relax"),
    Genre.classical: ("classical", "古典", "orchestra", "管弦"),
    Genre.pop: ("pop", "流行"),
}
_MOOD_WORDS = {
    Mood.happy: ("happy", "joy", "cheerful", "欢快", "快乐", "开心", "喜庆"),
    Mood.sad: ("sad", "melancholy", "悲伤", "伤感", "忧伤"),
    Mood.calm: ("calm", "peaceful", "relax", "平静", "安静", "放松", "宁静"),
    Mood.energetic: ("energetic", "upbeat", "激昂", "动感", "活力"),
    Mood.romantic: ("romantic", "love", "浪漫", "爱情"),
    Mood.epic: ("epic", "heroic", "史诗", "宏大", "壮丽"),
    Mood.mysterious: ("mysterious", "dark", "神秘", "黑暗"),
    Mood.dreamy: ("dreamy", "dream", "梦幻", "梦"),
    Mood.tense: ("tense", "suspense", "紧张", "悬疑"),
    Mood.playful: ("playful", "funny", "俏皮", "可爱"),
}


def prompt_hints(prompt: str) -> dict[str, Any]:
    """Genre, mood, tempo and mode the prompt names outright (keywords, English or Chinese)."""
    text = prompt.lower()
    hints: dict[str, Any] = {}
    for genre, words in _GENRE_WORDS.items():
        if any(w in text for w in words):
            hints["genre"] = genre.value
            break
    for mood, words in _MOOD_WORDS.items():
        if any(w in text for w in words):
            hints["mood"] = mood.value
            break
    if m := re.search(r"(\d{2,3})\s*(bpm|拍)", text):
        hints["tempo"] = max(50, min(180, int(m.group(1))))
    if "minor" in text or "小调" in text:
        hints["mode"] = "minor"
    elif "major" in text or "大调" in text:
        hints["mode"] = "major"
    return hints


def _default_sections(genre: Genre, mode: str, rng: random.Random) -> list[dict[str, Any]]:
    form = rng.choice(_FORMS)
    chosen: dict[str, list[str]] = {}
    for name, _ in form:
        if name not in chosen:
            pool = _JAZZ[mode] if genre == Genre.jazz and name != "outro" else _PROGRESSIONS[mode][name]
            chosen[name] = list(rng.choice(pool))
    return [{"name": name, "bars": bars, "chords": chosen[name]} for name, bars in form]


def _valid_part(model: type[BaseModel], value: Any) -> Any | None:
    try:
        return model.model_validate(value)
    except ValidationError:
        return None


def plan_from_seed(
    seed: int, *, prompt: str = "", partial: Mapping[str, Any] | None = None, hints: bool = True
) -> MusicPlan:
    """A complete plan: ``partial`` (e.g. the LLM's answer) where it is valid, keywords named in
    ``prompt`` over it, and seeded choices that suit the genre for everything else."""
    rng = sub_rng(seed, "plan")
    given = {k: v for k, v in dict(partial or {}).items() if v is not None}
    if hints:
        given.update(prompt_hints(prompt))
    genre = Genre(given["genre"]) if given.get("genre") in Genre._value2member_map_ else rng.choice(list(Genre))
    (lo, hi), usual_mode, (melody, chords, bass, pad), metres = _GENRE_DEFAULTS[genre]
    mode = given.get("mode") if given.get("mode") in ("major", "minor") else usual_mode
    mood = given.get("mood") if given.get("mood") in Mood._value2member_map_ else rng.choice(_MOOD_BY_MODE[mode])
    key = given.get("key") if given.get("key") in KEYS else rng.choice(KEYS)
    tempo = given.get("tempo")
    if not isinstance(tempo, int) or not 40 <= tempo <= 220:
        tempo = rng.randint(lo, hi)
    metre = given.get("time_signature") if given.get("time_signature") in ("4/4", "3/4") else rng.choice(metres)
    inst = given.get("instruments") if isinstance(given.get("instruments"), Mapping) else {}
    if partial and partial.get("genre") != genre.value:
        inst = {}  # instruments chosen for another genre (the prompt's keywords overrode it) do not fit
    instruments = {
        "melody": inst.get("melody", melody),
        "chords": inst.get("chords", chords),
        "bass": inst.get("bass", bass),
        "pad": inst.get("pad", pad),
    }
    if _valid_part(Instruments, instruments) is None:
        instruments = {"melody": melody, "chords": chords, "bass": bass, "pad": pad}
    sections = given.get("sections")
    if not isinstance(sections, list) or not sections or any(_valid_part(Section, s) is None for s in sections):
        sections = _default_sections(genre, mode, rng)
    return MusicPlan(
        genre=genre,
        mood=mood,
        key=key,
        mode=mode,
        tempo=tempo,
        time_signature=metre,
        instruments=Instruments(**instruments),
        sections=[Section.model_validate(s) for s in sections],
    )
