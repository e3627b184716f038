"""Music plan sanity: hand-written bad plans are repaired (or reported) by the rules in code, and a
real compose with SmolLM2 reports the checks with its result."""

from __future__ import annotations

import io
import os
import shutil

import pytest

from zaowu.backends.music.plan import MusicPlan
from zaowu.backends.music.render import SOUNDFONTS
from zaowu.backends.music.sanity import BASS_INSTRUMENTS, check_plan, fix_numeral, tempo_range
from zaowu.studio.provenance.audio import CUE_SECONDS
from zaowu.types import MusicRequest

needs_synth = pytest.mark.skipif(
    shutil.which("fluidsynth") is None or not any(os.path.exists(s) for s in SOUNDFONTS),
    reason="fluidsynth and fluid-soundfont-gm are not installed",
)


def plan(**changes) -> MusicPlan:
    """A sound pop plan (120 bpm 4/4, 15 bars = 30 s) with ``changes`` applied."""
    data = {
        "genre": "pop",
        "mood": "happy",
        "key": "C",
        "mode": "major",
        "tempo": 120,
        "time_signature": "4/4",
        "instruments": {
            "melody": "electric_piano",
            "chords": "acoustic_grand_piano",
            "bass": "electric_bass_finger",
            "pad": "string_ensemble",
        },
        "sections": [
            {"name": "intro", "bars": 3, "chords": ["I", "IV"]},
            {"name": "verse", "bars": 4, "chords": ["I", "V", "vi", "IV"]},
            {"name": "chorus", "bars": 4, "chords": ["IV", "V", "iii", "vi"]},
            {"name": "outro", "bars": 4, "chords": ["IV", "V", "I"]},
        ],
    }
    for key, value in changes.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) else value
    return MusicPlan.model_validate(data)


def by_name(findings: list[dict]) -> dict[str, dict]:
    return {f["name"].removeprefix("music."): f for f in findings}


def test_a_sound_plan_passes_unchanged():
    good = plan()
    fixed, findings = check_plan(good, "cheerful pop for a shop video", 30)
    assert fixed == good
    assert all(f["ok"] and not f["detail"].startswith("repaired") for f in findings), findings
    assert set(by_name(findings)) == {"mode", "instruments", "chords", "metre", "tempo", "sections"}


def test_swapped_instrument_roles_are_put_back():
    bad = plan(instruments={"melody": "electric_bass_finger", "bass": "flute"})
    fixed, findings = check_plan(bad, "pop", 30)
    assert fixed.instruments.bass == "electric_bass_finger" and fixed.instruments.melody == "flute"
    check = by_name(findings)["instruments"]
    assert (
        check["ok"] and check["detail"].startswith("repaired") and "flute is not a bass instrument" in check["detail"]
    )


def test_a_pad_cannot_carry_the_melody_nor_a_flute_the_chords():
    fixed, findings = check_plan(
        plan(instruments={"melody": "warm_pad", "chords": "flute", "bass": "violin"}), "pop", 30
    )
    assert fixed.instruments.melody == "electric_piano"  # the genre's own melody instrument
    assert fixed.instruments.chords == "acoustic_grand_piano" and fixed.instruments.bass in BASS_INSTRUMENTS
    detail = by_name(findings)["instruments"]["detail"]
    assert "cannot carry a tune" in detail and "cannot play chords" in detail


def test_instruments_suit_the_genre():
    jazz = plan(
        genre="jazz",
        mood="calm",
        tempo=100,
        instruments={"melody": "glockenspiel", "chords": "pizzicato_strings", "bass": "acoustic_bass", "pad": None},
    )
    fixed, findings = check_plan(jazz, "relaxed café jazz", 30)
    assert (fixed.instruments.melody, fixed.instruments.chords) == ("alto_sax", "electric_piano")
    assert "glockenspiel does not suit jazz" in by_name(findings)["instruments"]["detail"]
    fine = plan(
        genre="jazz",
        mood="calm",
        tempo=100,
        instruments={"melody": "trumpet", "chords": "acoustic_grand_piano", "bass": "acoustic_bass", "pad": None},
    )
    assert check_plan(fine, "jazz", 30)[0].instruments == fine.instruments


def test_major_numerals_in_a_minor_key_are_fixed():
    bad = plan(
        mood="sad",
        mode="minor",
        key="A",
        sections=[
            {"name": "verse", "bars": 8, "chords": ["I", "vi", "IV", "V"]},
            {"name": "chorus", "bars": 7, "chords": ["iii", "VII", "ii", "Imaj7"]},
        ],
    )
    fixed, findings = check_plan(bad, "a sad song", 30)
    assert fixed.sections[0].chords == ["i", "VI", "iv", "V"]  # V stays: the harmonic-minor dominant
    assert fixed.sections[1].chords == ["III", "VII", "ii°", "i7"]
    check = by_name(findings)["chords"]
    assert check["ok"] and "I→i" in check["detail"] and "A minor" in check["detail"]


def test_minor_numerals_in_a_major_key_and_mood_mode_agreement():
    assert [fix_numeral(c, "major") for c in ("i", "iv", "VI", "III", "bVII", "V7", "ii7", "Am")] == [
        "I",
        "IV",
        "vi",
        "iii",
        "bVII",
        "V7",
        "ii7",
        "Am",
    ]
    # a sad mood in major (the prompt names no mode): the mode becomes minor, then the numerals follow it
    fixed, findings = check_plan(plan(mood="sad"), "a sad goodbye", 30)
    assert fixed.mode == "minor" and fixed.sections[1].chords == ["i", "V", "VI", "iv"]
    # the prompt's own words win over the mood
    fixed, findings = check_plan(plan(mood="sad"), "sad but in C major", 30)
    assert fixed.mode == "major" and by_name(findings)["mode"]["detail"] == "major fits the prompt asks for major"


def test_cafe_jazz_is_not_a_waltz_unless_asked():
    waltz = plan(genre="jazz", mood="calm", tempo=110, time_signature="3/4")
    fixed, findings = check_plan(waltz, "relaxed café jazz for a Sunday morning", 30)
    assert fixed.time_signature == "4/4" and "no waltz" in by_name(findings)["metre"]["detail"]
    fixed, _ = check_plan(plan(genre="jazz", mood="calm", tempo=110), "a slow jazz waltz", 30)
    assert fixed.time_signature == "3/4"
    fixed, _ = check_plan(plan(genre="lofi", mood="calm", tempo=80, time_signature="3/4"), "轻松的咖啡馆音乐", 30)
    assert fixed.time_signature == "4/4"
    fixed, _ = check_plan(plan(genre="classical", mood="romantic", tempo=100), "优雅的圆舞曲", 30)
    assert fixed.time_signature == "3/4"


def test_tempo_is_kept_within_the_genre_and_mood():
    fixed, findings = check_plan(plan(genre="lofi", mood="calm", tempo=150), "lofi beats to study to", 30)
    assert fixed.tempo == tempo_range("lofi", "calm")[1] and by_name(findings)["tempo"]["detail"].startswith(
        "repaired: 150"
    )
    fixed, _ = check_plan(plan(genre="edm", mood="energetic", tempo=70), "edm", 30)
    assert tempo_range("edm", "energetic")[0] == fixed.tempo
    fixed, findings = check_plan(plan(genre="lofi", mood="calm", tempo=150), "lofi at 150 bpm", 30)
    assert fixed.tempo == 150 and by_name(findings)["tempo"]["detail"] == "150 bpm as asked"


@pytest.mark.parametrize("duration", [8, 30, 95, 300])
def test_sections_add_up_to_the_duration_and_the_composer_plays_them_as_written(duration):
    from zaowu.backends.music.composer import compose, fit_tempo

    bad = plan(genre="ballad", mood="calm", tempo=70, instruments={"melody": "acoustic_grand_piano"})
    fixed, findings = check_plan(bad, "a calm piano ballad", duration)
    assert by_name(findings)["sections"]["ok"]
    tempo, n_bars = fit_tempo(fixed.tempo, fixed.beats_per_bar, duration)
    assert sum(s.bars for s in fixed.sections) == n_bars
    bar = fixed.beats_per_bar * 60 / tempo  # seconds; a piece too short for a whole bar cuts its last one
    assert n_bars * bar - duration > -1e-6 and (n_bars - 1) * bar < duration
    assert fixed.sections[-1].name == "outro"
    piece = compose(fixed, duration, 1)
    assert piece.sections == [(s.name, s.bars) for s in fixed.sections]


def test_a_users_plan_is_reported_not_rewritten():
    bad = plan(mood="calm", mode="minor", key="A", time_signature="3/4", tempo=200, instruments={"bass": "flute"})
    same, findings = check_plan(bad, "calm café jazz", 30, repair=False)
    assert same == bad
    failed = {name for name, f in by_name(findings).items() if not f["ok"]}
    assert failed == {"instruments", "chords", "metre", "tempo"}
    assert by_name(findings)["sections"]["ok"]  # a user's bars are relative: the composer scales them


@needs_synth
def test_a_users_plan_is_composed_as_given_with_its_checks(bare_studio):
    studio = bare_studio  # the plan is given: the synthesiser alone, no planner model
    bad = plan(time_signature="3/4")
    result = studio.generate_media(MusicRequest(prompt="pop", duration=6, seed=1, plan=bad.model_dump(mode="json")))
    meta = result.media[0].meta
    assert meta["plan"]["time_signature"] == "3/4"  # the user's choice is kept
    metre = next(c for c in meta["checks"] if c["name"] == "music.metre")
    assert not metre["ok"] and "use 4/4" in metre["detail"]
    assert result.media[1].meta["checks"] == meta["checks"]


@pytest.mark.slow
@needs_synth
def test_compose_with_the_llm_reports_checks_and_keeps_them(studio):
    import mido

    from zaowu.backends.music.audio import read_wav

    result = studio.generate_media(MusicRequest(prompt="relaxed café jazz for a Sunday morning", duration=20, seed=4))
    audio, midi = result.media
    checks = {c["name"]: c for c in audio.meta["checks"]}
    assert set(checks) == {f"music.{n}" for n in ("mode", "instruments", "chords", "metre", "tempo", "sections")}
    assert all(c["ok"] for c in checks.values()), checks
    got = MusicPlan.model_validate(audio.meta["plan"])
    assert got.genre.value == "jazz" and got.time_signature == "4/4"
    assert got.instruments.bass in BASS_INSTRUMENTS | {"cello"}
    lo, hi = tempo_range("jazz", got.mood.value)
    assert lo <= got.tempo <= hi
    assert sum(s.bars for s in got.sections) == audio.meta["bars"]
    samples, rate = read_wav(audio.data)
    assert abs(len(samples) / rate - CUE_SECONDS - 20) <= 0.5  # the AI-content cue comes first
    assert abs(mido.MidiFile(file=io.BytesIO(midi.data)).length - 20) <= 0.5
