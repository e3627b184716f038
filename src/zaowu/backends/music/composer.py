"""zaowu's composer: a music plan and a duration in, a Standard MIDI File out.

The steps, each a function below:

1. Timing: bars from the tempo, the tempo nudged (at most 12%) so a whole number
   of bars fills the duration; otherwise the last bar is cut short. Every note
   ends by the requested duration, so the MIDI lasts exactly that long.
2. Form: the plan's sections scaled to the bar count (the middle repeated for
   long pieces, the most important sections kept for short ones), one chord per
   bar (two when the progression is longer than the section), ending on a V-I
   cadence with the tonic held to the end.
3. Harmony: each chord voiced in four parts by minimal movement from the last
   (common tones stay put), played in the genre's figure (block hits or broken chords).
4. Melody: a one-bar motif (rhythm + contour) stated, sequenced, varied, inverted
   and augmented in four-bar phrases; chord tones on strong beats and long notes,
   passing and neighbour tones (approached or left by step) on weak beats; the
   pentatonic scale for Chinese traditional.
5. Bass (roots, fifths, approach notes by genre) and drums by genre on channel 10,
   sparse in the intro, fuller in the chorus, with fills and a final hit.
6. MIDI: one track per part, written with mido; same plan and seed, same bytes.
"""

from __future__ import annotations

import io
import logging
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from . import patterns as P  # noqa: N812 - P.<name> reads as a table of patterns
from .plan import GM_PROGRAMS, MusicPlan, sub_rng
from .theory import Chord, melody_pcs, nearest_pitch, parse_chord, scale_pcs, step_in_scale, voice_lead

log = logging.getLogger(__name__)

__all__ = ["Composition", "Note", "compose", "fit_tempo", "fit_form", "MELODY", "CHORDS", "BASS", "PAD", "DRUMS"]

TPB = 480  # MIDI ticks per beat
MELODY, CHORDS, BASS, PAD, DRUMS = 0, 1, 2, 3, 9
_RHYTHMS_4 = (
    [1, 1, 1, 1],
    [1.5, 0.5, 1, 1],
    [1, 0.5, 0.5, 2],
    [0.5, 0.5, 1, 0.5, 0.5, 1],
    [2, 1, 1],
    [1, 1, 2],
    [1.5, 0.5, 2],
    [1, 0.5, 0.5, 1, 1],
)
_RHYTHMS_SLOW = ([2, 1, 1], [1, 1, 2], [1.5, 0.5, 2], [1, 1, 1, 1], [3, 1])
_RHYTHMS_3 = ([1, 1, 1], [2, 1], [1.5, 0.5, 1], [1, 0.5, 0.5, 1])
_PHRASES = {
    "verse": ("original", "sequence", "variation", "cadence"),
    "chorus": ("original", "sequence", "variation", "cadence"),
    "bridge": ("inversion", "inversion_sequence", "augmentation", "cadence"),
    "outro": ("augmentation", "variation", "augmentation", "cadence"),
    "intro": ("augmentation", "augmentation", "augmentation", "cadence"),
}


@dataclass(frozen=True)
class Note:
    start: float  # beats from the beginning
    length: float  # beats
    pitch: int
    velocity: int
    channel: int


@dataclass
class Slot:
    """One section placed in time."""

    name: str
    first_bar: int
    bars: int
    energy: float


@dataclass
class Composition:
    midi: bytes
    plan: MusicPlan
    tempo: float  # the tempo actually used (nudged to fit the duration)
    bars: int
    duration: float
    sections: list[tuple[str, int]]
    notes: list[Note] = field(repr=False)
    harmony: list[tuple[float, float, Chord]] = field(repr=False, default_factory=list)  # start, end beat, chord


@dataclass
class _Ctx:
    plan: MusicPlan
    seed: int
    bpb: int
    total: float  # beats
    n_bars: int
    tonic: int
    scale: tuple[int, ...]
    mel: tuple[int, ...]
    slots: list[Slot] = field(default_factory=list)
    chords: list[tuple[float, float, Chord]] = field(default_factory=list)  # start, end, chord

    @property
    def genre(self) -> str:
        return self.plan.genre.value

    def chord_at(self, beat: float) -> Chord:
        for start, end, chord in self.chords:
            if start <= beat + 1e-9 < end:
                return chord
        return self.chords[-1][2]

    def chord_starts(self) -> set[float]:
        return {round(s, 6) for s, _, _ in self.chords}

    def slot_of(self, bar: int) -> Slot:
        return next(s for s in self.slots if s.first_bar <= bar < s.first_bar + s.bars)

    def bar_end(self, bar: int) -> float:
        return min((bar + 1) * self.bpb, self.total)


# ---------------------------------------------------------------- 1-2. timing and form


def fit_tempo(tempo: float, beats_per_bar: int, duration: float, tolerance: float = 0.12) -> tuple[float, int]:
    """(tempo, bars): a whole number of bars filling ``duration`` at a tempo within ``tolerance``;
    failing that, the plan's tempo and enough bars to cover it (the last one cut short)."""
    exact = duration * tempo / 60 / beats_per_bar
    best = min((n for n in (math.floor(exact), math.ceil(exact)) if n >= 1), key=lambda n: abs(n / exact - 1))
    if abs(best / exact - 1) <= tolerance:
        return tempo * best / exact, best
    return float(tempo), max(1, math.ceil(exact))


def _allocate(weights: list[int], n: int) -> list[int]:
    """Split ``n`` bars over sections in proportion to ``weights``, at least one each (largest remainder);
    weights that already sum to ``n`` are kept as they are (a plan fitted to the duration plays as written)."""
    if sum(weights) == n and min(weights) >= 1:
        return list(weights)
    rest = n - len(weights)
    shares = [w * rest / sum(weights) for w in weights]
    counts = [int(s) for s in shares]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))
    for i in order[: rest - sum(counts)]:
        counts[i] += 1
    return [1 + c for c in counts]


def fit_form(plan: MusicPlan, n_bars: int, max_sections: int | None = None) -> list[tuple[str, int, list[str]]]:
    """(name, bars, chord names) per section, fitted to ``n_bars`` (at most ``max_sections`` sections
    when the body is repeated for a long piece)."""
    secs = [(s.name, s.bars, s.chords) for s in plan.sections]
    limit = n_bars if n_bars < 4 else n_bars // 2  # at least two bars a section when there is room
    if len(secs) > limit:  # short piece: keep the most telling sections, and always the ending
        rank = {"chorus": 0, "verse": 1, "outro": 2, "intro": 3, "bridge": 4}
        keep = sorted(range(len(secs) - 1), key=lambda i: (rank[secs[i][0]], i))[: limit - 1]
        secs = [secs[i] for i in sorted(keep)] + [secs[-1]]
    head = secs[:1] if secs[0][0] == "intro" and len(secs) > 2 else []
    tail = secs[-1:] if secs[-1][0] == "outro" and len(secs) > 2 else []
    middle = secs[len(head) : len(secs) - len(tail)]
    planned = sum(b for _, b, _ in secs)
    if middle and n_bars > 1.5 * planned:  # long piece: repeat the body instead of stretching it
        body = sum(b for _, b, _ in middle)
        reps = min(8, max(1, round((n_bars - planned + body) / body)))
        if max_sections is not None:
            reps = max(1, min(reps, (max_sections - len(head) - len(tail)) // len(middle)))
        secs = head + middle * reps + tail
    counts = _allocate([b for _, b, _ in secs], n_bars)
    return [(name, count, chords) for (name, _, chords), count in zip(secs, counts)]


def _harmony(ctx: _Ctx, form: list[tuple[str, int, list[str]]]) -> None:
    """Place sections and their chords; end with V (when there is room) and a held tonic."""
    bar = 0
    events: list[tuple[float, float, Chord]] = []
    for name, bars, names in form:
        ctx.slots.append(Slot(name, bar, bars, P.SECTION_ENERGY[name]))
        chords = [parse_chord(c, ctx.tonic, ctx.plan.mode) for c in names]
        per_bar = 2 if len(chords) > bars and ctx.bpb == 4 else 1
        span = ctx.bpb / per_bar
        if ctx.genre == "ambient" and bars >= 2 * len(chords):
            span = 2 * ctx.bpb
        count = math.ceil(bars * ctx.bpb / span)
        for i in range(count):
            start = bar * ctx.bpb + i * span
            events.append((start, min(start + span, (bar + bars) * ctx.bpb), chords[i % len(chords)]))
        bar += bars
    last_bar = (ctx.n_bars - 1) * ctx.bpb
    tonic = Chord(ctx.tonic, (0, 4, 7) if ctx.plan.mode == "major" else (0, 3, 7))
    events = [e for e in events if e[0] < last_bar - 1e-9]
    if events and ctx.slots[-1].bars >= 2:
        start, _, _ = events[-1]
        events[-1] = (start, last_bar, Chord((ctx.tonic + 7) % 12, (0, 4, 7)))  # dominant: V
    elif events:
        events[-1] = (events[-1][0], last_bar, events[-1][2])
    events.append((last_bar, ctx.total + 1, tonic))
    ctx.chords = [(s, min(e, ctx.total + 1), c) for s, e, c in events]


# ---------------------------------------------------------------- 3. chords and pad


def _voicings(ctx: _Ctx, lo: int, hi: int) -> list[tuple[int, ...]]:
    out: list[tuple[int, ...]] = []
    prev = None
    for _, _, chord in ctx.chords:
        prev = voice_lead(prev, chord, lo, hi)
        out.append(prev)
    return out


def _chord_parts(ctx: _Ctx, rng: random.Random) -> list[Note]:
    notes: list[Note] = []
    comp = P.COMP[ctx.genre]
    for (start, end, _), voicing, pad in zip(ctx.chords, _voicings(ctx, 50, 74), _voicings(ctx, 60, 84)):
        end = min(end, ctx.total)
        for bar in range(int(start // ctx.bpb), math.ceil(end / ctx.bpb - 1e-9)):
            slot = ctx.slot_of(bar)
            vel = int(52 + 38 * slot.energy)
            final = bar == ctx.n_bars - 1
            if final or slot.name == "intro" or (ctx.genre == "rock" and slot.energy < 0.6):
                hits = [(0.0, float(ctx.bpb))]  # held chords: sparse intro, the last chord rings
            elif comp[0] == "block":
                hits = comp[1]
            else:
                notes += _arpeggio(ctx, bar, start, end, voicing, comp[1], comp[2], vel, rng)
                hits = []
            for on, length in hits:
                t = bar * ctx.bpb + on
                if start - 1e-9 <= t < end - 1e-9:
                    for p in voicing:
                        notes.append(Note(t, min(length, end - t), p, _jitter(rng, vel, 4), CHORDS))
            if ctx.plan.instruments.pad and (slot.energy >= 0.6 or ctx.genre == "ambient" or final):
                t0 = max(start, bar * ctx.bpb)
                for p in pad:
                    notes.append(Note(t0, min(ctx.bar_end(bar), end) - t0, p, int(40 + 25 * slot.energy), PAD))
    return notes


def _arpeggio(ctx: _Ctx, bar: int, start: float, end: float, voicing, step: float, order, vel, rng) -> list[Note]:
    notes = []
    for i in range(int(ctx.bpb / step)):
        t = bar * ctx.bpb + i * step
        if start - 1e-9 <= t < end - 1e-9:
            pitch = voicing[order[i % len(order)] % len(voicing)]
            accent = 8 if i % 2 == 0 else 0
            notes.append(Note(t, min(step * 2, end - t), pitch, _jitter(rng, vel + accent - 6, 4), CHORDS))
    return notes


# ---------------------------------------------------------------- 4. melody


def _motif(rng: random.Random, ctx: _Ctx) -> tuple[list[float], list[int], int]:
    """Rhythm (beats), contour (scale steps between notes) and the sequence step."""
    if ctx.bpb == 3:
        rhythm = list(rng.choice(_RHYTHMS_3))
    elif ctx.genre in ("ballad", "ambient", "chinese"):
        rhythm = list(rng.choice(_RHYTHMS_SLOW))
    else:
        rhythm = list(rng.choice(_RHYTHMS_4))
    contour: list[int] = []
    for _ in range(len(rhythm) - 1):
        if contour and abs(contour[-1]) >= 3:
            contour.append(-1 if contour[-1] > 0 else 1)  # a leap is filled by a step back
        else:
            contour.append(rng.choice((-2, -1, -1, 1, 1, 2, 0, 3, -3)))
    return rhythm, contour, rng.choice((1, -1, 2, -2))


def _bar_figure(kind: str, rhythm: list[float], contour: list[int], bpb: int, rng: random.Random):
    """(onset, length, scale steps from the anchor, role) for one bar of the phrase."""
    degrees = [0]
    for step in contour:
        degrees.append(degrees[-1] + step)
    lengths = list(rhythm)
    if kind.startswith("inversion"):
        degrees = [-d for d in degrees]
    if kind == "variation" and len(lengths) < 6:  # split the longest note into a neighbour figure
        i = max(range(len(lengths)), key=lambda j: (lengths[j], -j))
        half = lengths[i] / 2
        lengths[i : i + 1] = [half, half]
        degrees[i : i + 1] = [degrees[i], degrees[i] + rng.choice((1, -1))]
    if kind in ("augmentation", "cadence"):
        lengths = [2 * x for x in lengths]
    out, t = [], 0.0
    for length, degree in zip(lengths, degrees):
        if t >= bpb - 1e-9:
            break
        out.append([t, min(length, bpb - t), degree, "free"])
        t += length
    if kind == "cadence":
        out[-1][1] = bpb - out[-1][0]
        out[-1][3] = "stable"
    return out


def _melody(ctx: _Ctx, rng: random.Random) -> list[Note]:
    rhythm, contour, seq = _motif(rng, ctx)
    lo, hi = 57, 86
    home = nearest_pitch(70, [ctx.tonic], lo, hi)
    notes: list[Note] = []
    last = home
    for slot in ctx.slots:
        if slot.name == "intro" and len(ctx.slots) > 1:
            continue  # the intro leaves room: harmony and bass only
        lift = {"chorus": 2, "bridge": -1}.get(slot.name, 0)
        anchor0 = step_in_scale(home, lift, ctx.mel) if lift else home
        kinds = _PHRASES[slot.name]
        for i in range(slot.bars):
            bar = slot.first_bar + i
            kind = "cadence" if i == slot.bars - 1 else kinds[i % 4]
            anchor = step_in_scale(anchor0, seq, ctx.mel) if kind.endswith("sequence") else anchor0
            figure = _bar_figure(kind, rhythm, contour, ctx.bpb, rng)
            if bar == ctx.n_bars - 1:
                figure = [[0.0, float(ctx.bpb), 0, "tonic"]]
            bar_notes = _realize(ctx, bar, figure, anchor, last, slot.energy, rng)
            if bar_notes:
                last = bar_notes[-1].pitch
            notes += bar_notes
    return notes


def _realize(ctx: _Ctx, bar: int, figure, anchor: int, last: int, energy: float, rng) -> list[Note]:
    """Pitches for one bar: chord tones where the beat is strong, scale steps between."""
    strong = {0.0, 2.0} if ctx.bpb == 4 else {0.0}
    pitches = []
    for on, length, degree, role in figure:
        t = bar * ctx.bpb + on
        chord = ctx.chord_at(t)
        raw = step_in_scale(anchor, degree, ctx.mel) if degree else anchor
        tones = [pc for pc in chord.pcs if pc in ctx.mel] or [pc for pc in chord.pcs if pc in ctx.scale]
        if role == "tonic":
            pitch = nearest_pitch(raw, [ctx.tonic], 55, 84)
        elif role == "stable" or on in strong or length >= 1.5:
            stable = [pc for pc in chord.pcs[:2] if pc in ctx.mel]
            pitch = nearest_pitch(raw, (stable if role == "stable" and stable else tones) or ctx.mel, 55, 88)
        else:
            pitch = raw
        pitches.append(pitch)
    # weak-beat non-chord tones must move by step from the note before or to the note after
    for i, (on, _length, _, role) in enumerate(figure):
        chord = ctx.chord_at(bar * ctx.bpb + on)
        if pitches[i] % 12 in chord.pcs or role != "free":
            continue
        before = pitches[i - 1] if i else last
        after = pitches[i + 1] if i + 1 < len(pitches) else None
        if abs(pitches[i] - before) > 2 and (after is None or abs(after - pitches[i]) > 2):
            tones = [pc for pc in chord.pcs if pc in ctx.mel] or ctx.mel
            pitches[i] = nearest_pitch(pitches[i], tones, 55, 88)
    vel = int(70 + 35 * energy)
    out = []
    for (on, length, _, _), pitch in zip(figure, pitches):
        t = bar * ctx.bpb + on
        if t < ctx.total:
            accent = 8 if on in strong else 0
            out.append(Note(t, min(length * 0.95, ctx.total - t), pitch, _jitter(rng, vel + accent, 5), MELODY))
    return out


def _jitter(rng: random.Random, velocity: int, spread: int) -> int:
    return max(1, min(127, velocity + rng.randint(-spread, spread)))


# ---------------------------------------------------------------- 5. bass and drums


def _bass(ctx: _Ctx, rng: random.Random) -> list[Note]:
    notes: list[Note] = []
    starts = ctx.chord_starts()
    prev = nearest_pitch(40, [ctx.chords[0][2].root], 31, 50)
    for bar in range(ctx.n_bars):
        slot = ctx.slot_of(bar)
        final = bar == ctx.n_bars - 1
        figure = [(0.0, float(ctx.bpb), "R")] if final or slot.name == "intro" else P.BASS[ctx.genre]
        vel = int(70 + 30 * slot.energy)
        for on, length, role in figure:
            t = bar * ctx.bpb + on
            if on >= ctx.bpb or t >= ctx.total:
                continue
            chord = ctx.chord_at(t)
            root = nearest_pitch(prev, [chord.root], 31, 50)
            if round(t, 6) in starts and role != "O":
                role = "R"
            pitch = _bass_pitch(ctx, role, root, chord, t + length, rng)
            end = min(t + length, ctx.bar_end(bar))
            notes.append(Note(t, (end - t) * 0.95 if not final else end - t, pitch, _jitter(rng, vel, 5), BASS))
            prev = root
    return notes


def _bass_pitch(ctx: _Ctx, role: str, root: int, chord: Chord, next_time: float, rng: random.Random) -> int:
    if role == "F":
        return root + (chord.fifth - chord.root) % 12
    if role == "O":
        return root + 12
    if role == "C":
        return root + chord.intervals[1]
    if role == "A":
        target = nearest_pitch(root, [ctx.chord_at(next_time).root], 31, 50)
        direction = -1 if target >= root else 1
        if ctx.genre == "jazz" and rng.random() < 0.25:
            return target + direction  # chromatic approach, sparingly
        return step_in_scale(target, direction, ctx.scale)
    return root


def _drum_grid(ctx: _Ctx, slot: Slot) -> dict[str, str]:
    if ctx.bpb == 3:
        grid = dict(P.DRUMS_3_4.get(ctx.genre, P.DRUMS_3_4["default"]))
    else:
        grid = dict(P.DRUMS[ctx.genre])
    if slot.name == "intro":
        grid = {k: v for k, v in grid.items() if k in ("closed_hat", "ride", "shaker", "high_wood_block")}
    elif slot.name == "bridge":  # half time: kick on one, backbeat on three
        steps = len(next(iter(grid.values()), ""))
        for k in ("kick", "low_tom"):
            if k in grid:
                grid[k] = "x" + "." * (steps - 1)
        for k in ("snare", "clap", "side_stick"):
            if k in grid:
                grid[k] = "." * (steps // 2) + "x" + "." * (steps // 2 - 1)
    return grid


def _drums(ctx: _Ctx, rng: random.Random) -> list[Note]:
    notes: list[Note] = []
    if not P.DRUMS.get(ctx.genre):
        return notes
    for bar in range(ctx.n_bars):
        slot = ctx.slot_of(bar)
        t0 = bar * ctx.bpb
        scale = 0.7 + 0.3 * slot.energy
        if bar == ctx.n_bars - 1:  # the final hit
            for name in ("crash", "kick") if "kick" in P.DRUMS[ctx.genre] else ("crash", "low_tom"):
                notes.append(Note(t0, 1.0, P.GM_DRUM[name], int(100 * scale), DRUMS))
            continue
        grid = _drum_grid(ctx, slot)
        steps = len(next(iter(grid.values()), "x" * 16))
        fill = bar == slot.first_bar + slot.bars - 1 and slot.bars > 1 and slot.name != "intro"
        if fill:  # a fill on the last beat into the next section
            drum = "low_tom" if ctx.genre == "chinese" else "snare"
            grid = {k: v[: steps - 4] + "...." for k, v in grid.items()}
            grid[drum] = grid.get(drum, "." * steps)[: steps - 4] + "x.xx"
        if bar == slot.first_bar and slot.name == "chorus":
            notes.append(Note(t0, 1.0, P.GM_DRUM["crash"], int(105 * scale), DRUMS))
        for name, row in sorted(grid.items()):
            for i, c in enumerate(row):
                if c != "." and t0 + i * 0.25 < ctx.total:
                    vel = (100 if c == "x" else 62) * scale
                    notes.append(Note(t0 + i * 0.25, 0.25, P.GM_DRUM[name], _jitter(rng, int(vel), 6), DRUMS))
    return notes


# ---------------------------------------------------------------- 6. MIDI


def _swing(genre: str) -> Callable[[float], float]:
    amount = P.SWING.get(genre, 0.0)

    def shift(t: float) -> float:
        frac = t - math.floor(t)
        return t + amount / 6 if amount and abs(frac - 0.5) < 1e-6 else t

    return shift


def _channel_events(notes: list[Note], total_ticks: int, swing) -> dict[int, list[tuple[int, int, int, int]]]:
    """(tick, kind 0=off 1=on, pitch, velocity) per channel; overlapping repeats of a pitch are cut."""
    by_channel: dict[int, list[tuple[int, int, int, int]]] = {}
    for ch in sorted({n.channel for n in notes}):
        spans: dict[int, list[list[int]]] = {}
        for n in sorted((n for n in notes if n.channel == ch), key=lambda n: (n.start, n.pitch, n.velocity)):
            on = round(swing(n.start) * TPB)
            off = min(round(swing(n.start + n.length) * TPB), total_ticks)
            runs = spans.setdefault(n.pitch, [])
            if runs and runs[-1][1] > on:
                runs[-1][1] = on
            runs.append([on, off, n.velocity])
        events = []
        for pitch, runs in spans.items():
            for on, off, vel in runs:
                if off > on:
                    events += [(on, 1, pitch, vel), (off, 0, pitch, 0)]
        by_channel[ch] = sorted(events)
    return by_channel


def write_midi(ctx: _Ctx, notes: list[Note], tempo: float, duration: float) -> bytes:
    import mido  # MIT; imported only when composing

    mid = mido.MidiFile(type=1, ticks_per_beat=TPB)
    us_per_beat = mido.bpm2tempo(tempo)
    total_ticks = round(duration * 1e6 / us_per_beat * TPB)
    plan = ctx.plan
    meta = mido.MidiTrack()
    meta.append(mido.MetaMessage("track_name", name="zaowu composer", time=0))
    meta.append(mido.MetaMessage("set_tempo", tempo=us_per_beat, time=0))
    meta.append(mido.MetaMessage("time_signature", numerator=ctx.bpb, denominator=4, time=0))
    meta.append(mido.MetaMessage("key_signature", key=plan.key + ("m" if plan.mode == "minor" else ""), time=0))
    meta.append(mido.MetaMessage("end_of_track", time=total_ticks))
    mid.tracks.append(meta)
    inst = plan.instruments
    programs = {MELODY: inst.melody, CHORDS: inst.chords, BASS: inst.bass, PAD: inst.pad}
    volume = {MELODY: 110, CHORDS: 80, BASS: 105, PAD: 70, DRUMS: 95}
    pan = {MELODY: 64, CHORDS: 44, BASS: 64, PAD: 84, DRUMS: 64}
    reverb = 90 if plan.genre.value in ("ambient", "ballad", "chinese") else 45
    for ch, events in _channel_events(notes, total_ticks, _swing(ctx.genre)).items():
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name={9: "drums"}.get(ch, str(programs.get(ch))), time=0))
        if ch != DRUMS:
            track.append(mido.Message("program_change", channel=ch, program=GM_PROGRAMS[programs[ch]], time=0))
        for control, value in ((7, volume[ch]), (10, pan[ch]), (91, reverb)):
            track.append(mido.Message("control_change", channel=ch, control=control, value=value, time=0))
        now = 0
        for tick, kind, pitch, vel in events:
            msg = "note_on" if kind else "note_off"
            track.append(mido.Message(msg, channel=ch, note=pitch, velocity=vel if kind else 0, time=tick - now))
            now = tick
        track.append(mido.MetaMessage("end_of_track", time=total_ticks - now))
        mid.tracks.append(track)
    buf = io.BytesIO()
    mid.save(file=buf)
    return buf.getvalue()


def compose(plan: MusicPlan, duration: float, seed: int) -> Composition:
    """Compose ``duration`` seconds of music from ``plan``; deterministic in (plan, duration, seed)."""
    bpb = plan.beats_per_bar
    tempo, n_bars = fit_tempo(plan.tempo, bpb, duration)
    pentatonic = plan.genre.value in P.PENTATONIC
    ctx = _Ctx(
        plan=plan,
        seed=seed,
        bpb=bpb,
        total=duration * tempo / 60,
        n_bars=n_bars,
        tonic=plan.tonic_pc,
        scale=scale_pcs(plan.tonic_pc, plan.mode),
        mel=melody_pcs(plan.tonic_pc, plan.mode, pentatonic),
    )
    _harmony(ctx, fit_form(plan, n_bars))
    notes = (
        _melody(ctx, sub_rng(seed, "melody"))
        + _chord_parts(ctx, sub_rng(seed, "chords"))
        + _bass(ctx, sub_rng(seed, "bass"))
        + _drums(ctx, sub_rng(seed, "drums"))
    )
    midi = write_midi(ctx, notes, tempo, duration)
    sections = [(s.name, s.bars) for s in ctx.slots]
    log.debug("composed %d bars at %.1f bpm: %s", n_bars, tempo, sections)
    return Composition(midi, plan, tempo, n_bars, duration, sections, notes, ctx.chords)
