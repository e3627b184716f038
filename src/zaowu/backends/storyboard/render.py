"""``render_storyboard``: a storyboard to an MP4 in one streaming pass.

    stills (design engine or image, once per scene) → Ken Burns + transitions → captions → encoder
    (a layered design scene: its layers once per scene, composited per frame, each with its motion: layers.py)
    narration (given WAVs or ``speak``) + music bed ducked under it → AAC

Scene timing comes first: a scene lasts as long as its narration (plus a lead-in and a tail), at
least its duration hint, its boundaries on the frame grid. Frames are then made one at a time and
handed to the video editor's encoder (``video.pipeline._encode``), so at most two stills and one
frame are held whatever the clip's length. The soundtrack is made a chunk at a time as well: each
narration is read from its WAV bytes (a view, no copy) and resampled a piece at a time, the music bed
is at most ``MUSIC_LOOP_SECONDS`` long and looped, and the ducking is one gain per 20 ms. The output goes to a temporary file beside ``output`` and is moved into place when
complete; on an error or a cancellation nothing is left.
"""

from __future__ import annotations

import logging
import os
import re
import struct
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from ... import cancel
from ...errors import InvalidRequest
from .layers import LayeredStill
from .motion import OVERSCAN, camera_frame, transition_frame
from .spec import MAX_NARRATION_SECONDS, Storyboard, validate_storyboard

__all__ = ["MAX_VIDEO_SECONDS", "StoryResult", "render_storyboard", "scene_times"]

log = logging.getLogger(__name__)

MAX_VIDEO_SECONDS = 600.0
"""The longest clip a storyboard may make."""
LEAD = 0.25
"""Seconds of picture before a scene's narration starts."""
TAIL = 0.35
"""Seconds after a scene's narration before the next scene."""
CRF = 20
PRESET = "veryfast"
X264_REPEATABLE = "mbtree=0:rc-lookahead=0"
"""x264's lookahead (macroblock tree) gave different packets for the same pictures from run to run;
without it a storyboard and its seed give the same frames (measured: 4 of 4 runs identical)."""
AUDIO_BITRATE = 128_000
SPRITE_COUNT = 16
SPRITE_COLUMNS = 4
SPRITE_WIDTH = 160
DUCK_WINDOW = 0.02
"""Seconds per block of the speech envelope that drives the ducking."""
DUCK_HOLD = 0.25
"""The music stays ducked this long around speech (no pumping between words)."""
DUCK_RAMP = 0.15
"""Seconds the music takes to go down or back up."""
MUSIC_LOOP_SECONDS = 60.0
"""The music bed is composed for at most this long and repeated over a longer clip, so its memory does not
grow with the clip (each repeat fades out and in)."""
SPEECH_FLOOR = 0.01
"""Speech RMS above which a block counts as speech."""

Speak = Callable[[str, str, str | None], bytes]
"""``speak(text, language, voice)`` → WAV bytes (16-bit PCM)."""
MusicRenderer = Callable[[dict, float, int, int], Any]
"""``music(plan, seconds, seed, rate)`` → float32 samples (n,) or (n, channels) at ``rate``."""
Progress = Callable[[float, str], None]


@dataclass
class StoryResult:
    path: Path
    width: int
    height: int
    fps: int
    duration: float
    frames: int
    scenes: list[dict]
    subtitles: list[dict]
    thumbnail: Path
    spritesheet: Path
    srt: Path | None = None
    vtt: Path | None = None
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "path": str(self.path),
            "width": self.width,
            "height": self.height,
            "fps": self.fps,
            "duration": round(self.duration, 3),
            "frames": self.frames,
            "scenes": self.scenes,
            "subtitles": self.subtitles,
            "thumbnail": str(self.thumbnail),
            "spritesheet": str(self.spritesheet),
            "srt": str(self.srt) if self.srt else None,
            "vtt": str(self.vtt) if self.vtt else None,
            "seconds": round(self.seconds, 3),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


# ------------------------------------------------------------------------------------------ audio


def _pcm(data: bytes, param: str) -> tuple[Any, int, float]:
    """The samples of a WAV (frames x channels), their rate and the scale to [-1, 1]: 16-bit PCM is a
    read-only view of ``data`` (no copy, so a long narration is held once, as the request's bytes)."""
    import numpy as np

    from ..music.audio import read_wav

    try:
        if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
            pos, fmt = 12, None
            while pos + 8 <= len(data):
                chunk, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
                body = pos + 8
                if chunk == b"fmt ":
                    fmt = struct.unpack("<HHIIHH", data[body : body + 16])
                elif chunk == b"data" and fmt is not None and fmt[0] == 1 and fmt[5] == 16 and fmt[1] > 0:
                    frames = min(size, len(data) - body) // (2 * fmt[1])
                    view = np.frombuffer(data, dtype="<i2", count=frames * fmt[1], offset=body)
                    return view.reshape(frames, fmt[1]), fmt[2], 1 / 32768.0
                pos = body + size + (size & 1)
    except struct.error:
        pass
    try:
        samples, src = read_wav(data)
    except InvalidRequest as exc:
        raise InvalidRequest(f"'{param}': {exc}", param=param) from None
    return (samples if samples.ndim == 2 else samples[:, None]), src, 1.0


@dataclass
class _Voice:
    """One scene's narration, resampled to the output rate a piece at a time when the mix asks for it."""

    samples: Any  # frames x channels (int16 view of the WAV, or float32)
    src: int
    scale: float
    length: int  # samples at the output rate
    at: int = 0  # the output sample it starts at

    def add_to(self, out: Any, start: int, rate: int) -> None:
        """Add its samples for output samples ``start ..`` (as many as ``out`` holds) into ``out``."""
        import numpy as np

        lo, hi = max(start, self.at), min(start + len(out), self.at + self.length)
        if lo >= hi:
            return
        where = (np.arange(lo, hi, dtype=np.float64) - self.at) * (self.src / rate)
        first, last = int(where[0]), min(len(self.samples), int(where[-1]) + 2)
        mono = self.samples[first:last].mean(axis=1, dtype=np.float32) * np.float32(self.scale)
        out[lo - start : hi - start] += np.interp(where, np.arange(first, last), mono).astype(np.float32)


def _voice(data: bytes, rate: int, param: str) -> _Voice | None:
    samples, src, scale = _pcm(data, param)
    if len(samples) == 0:
        return None
    return _Voice(samples, src, scale, round(len(samples) * rate / src) if src != rate else len(samples))


def _narrations(
    board: Storyboard, narration: Sequence[bytes | None] | None, speak: Speak | None, rate: int, report: Progress
) -> list[_Voice | None]:
    """Each scene's narration (None: no narration or no voice to speak it), read lazily from its WAV."""
    if narration is not None and len(narration) != len(board.scenes):
        raise InvalidRequest(
            f"{len(narration)} narration clips for {len(board.scenes)} scenes; give one per scene (None for none).",
            param="narration",
        )
    out: list[_Voice | None] = []
    for i, scene in enumerate(board.scenes):
        cancel.check()
        wav = narration[i] if narration is not None else None
        if wav is None and speak is not None and scene.narration.strip():
            wav = speak(scene.narration, scene.language or board.language, board.voice)
            report(0.3 * (i + 1) / len(board.scenes), f"narration: scene {i + 1} of {len(board.scenes)} spoken")
        clip = _voice(wav, rate, f"narration.{i}") if wav else None
        if clip is not None and clip.length / rate > MAX_NARRATION_SECONDS:
            raise InvalidRequest(
                f"Scene {i}'s narration lasts {clip.length / rate:.1f} s; the limit is {MAX_NARRATION_SECONDS:g} s. "
                "Split it over more scenes.",
                param=f"storyboard.scenes.{i}.narration",
            )
        out.append(clip)
    return out


def scene_times(board: Storyboard, voiced: Sequence[float | None]) -> list[tuple[int, int]]:
    """Each scene's (first frame, end frame): its narration's length plus lead and tail, at least its hint."""
    bounds, start, clock = [], 0, 0.0
    for scene, spoken in zip(board.scenes, voiced, strict=True):
        length = max(scene.duration, (spoken + LEAD + TAIL) if spoken else 0.0)
        clock += length
        end = max(start + 1, round(clock * board.fps))
        bounds.append((start, end))
        start = end
    return bounds


def _duck_levels(speech: Callable[[int, int], Any], n: int, rate: int, volume: float, duck: float):
    """Music gain per ``DUCK_WINDOW`` block: ``volume`` without speech, ``volume * duck`` under it (held, then
    ramped). ``speech(start, size)`` gives the narration's samples, read a slice at a time; the result is small:
    one value per 20 ms."""
    import numpy as np

    block = max(1, round(DUCK_WINDOW * rate))
    blocks = -(-n // block)
    rms = np.zeros(blocks, dtype=np.float32)
    for i in range(0, blocks, 4096):  # a slice at a time: no whole-clip temporaries
        piece = speech(i * block, min(4096 * block, n - i * block))
        whole = len(piece) // block
        if whole:
            rms[i : i + whole] = np.sqrt((piece[: whole * block].reshape(whole, block) ** 2).mean(axis=1))
        if len(piece) % block:
            rms[i + whole] = np.sqrt((piece[whole * block :] ** 2).mean())
    active = (rms > SPEECH_FLOOR).astype(np.float32)
    hold = max(1, round(DUCK_HOLD / DUCK_WINDOW))
    active = (np.convolve(active, np.ones(2 * hold + 1), mode="same") > 0).astype(np.float32)
    ramp = max(1, round(DUCK_RAMP / DUCK_WINDOW))
    level = np.convolve(active, np.ones(ramp) / ramp, mode="same")
    return (volume * (1.0 - (1.0 - duck) * np.clip(level, 0.0, 1.0))).astype(np.float32), block


def default_music(plan: dict, seconds: float, seed: int, rate: int):
    """The composer's music for ``plan`` (FluidSynth); fields the plan leaves out are chosen from the seed."""
    from ..music.composer import compose
    from ..music.plan import plan_from_seed
    from ..music.render import render_midi

    piece = compose(plan_from_seed(seed, partial=plan, hints=False), seconds, seed)
    return render_midi(piece.midi, seconds, sample_rate=rate)


@dataclass
class _Mix:
    """The soundtrack, made a chunk at a time: the scenes' narrations (read from their WAVs as needed), the
    music bed (mono, at most ``MUSIC_LOOP_SECONDS``, looped) and its gain per block. Nothing in it grows with
    the clip's length but the gain table (4 bytes per 20 ms)."""

    voices: list[_Voice]
    n: int  # samples in the clip
    rate: int
    bed: Any = None
    levels: Any = None
    block: int = 1

    def speech(self, start: int, size: int) -> Any:
        import numpy as np

        out = np.zeros(max(0, size), dtype=np.float32)
        for voice in self.voices:
            voice.add_to(out, start, self.rate)
        return out

    def chunks(self, rate: int, size: int = 4096) -> Iterator[Any]:
        import numpy as np

        from ..video.stage import Chunk

        for start in range(0, self.n, size):
            piece = self.speech(start, min(size, self.n - start))
            if self.bed is not None:
                at = (np.arange(start, start + len(piece), dtype=np.float32) - self.block / 2) / self.block
                gain = np.interp(at, np.arange(len(self.levels), dtype=np.float32), self.levels)
                bed = self.bed.take(np.arange(start, start + len(piece)), mode="wrap")  # the loop, repeated
                piece += bed * gain.astype(np.float32)
            np.clip(piece, -1.0, 1.0, out=piece)
            yield Chunk(np.ascontiguousarray(np.stack([piece, piece])), start / rate)


def _mix(
    board: Storyboard, clips: list[_Voice | None], bounds, seed: int, music: MusicRenderer | None, rate: int
) -> _Mix:

    total = bounds[-1][1] / board.fps
    n = round(total * rate)
    voices = []
    for clip, (first, _) in zip(clips, bounds, strict=True):
        if clip is None:
            continue
        at = round((first / board.fps + LEAD) * rate)
        if at < n:
            voices.append(replace(clip, at=at, length=min(clip.length, n - at)))
    mix = _Mix(voices, n, rate)
    if board.music is not None and board.music_volume > 0:
        add_music_bed(mix, (music or default_music)(board.music, min(total, MUSIC_LOOP_SECONDS), seed, rate))
        mix.levels, mix.block = _duck_levels(mix.speech, n, rate, board.music_volume, board.duck)
    return mix


def add_music_bed(mix: _Mix, bed: Any) -> None:
    """Set ``mix.bed`` to the composed loop ``bed`` as mono float32, cut or padded to at most the mix's length,
    peak-normalised (the mix loops it and the ducking levels scale it)."""
    import numpy as np

    bed = np.asarray(bed, dtype=np.float32)
    bed = bed.mean(axis=1, dtype=np.float32) if bed.ndim == 2 else bed
    length = min(mix.n, round(MUSIC_LOOP_SECONDS * mix.rate))
    bed = bed[:length] if len(bed) >= length else np.pad(bed, (0, length - len(bed)))
    bed *= 1.0 / (float(np.abs(bed).max()) or 1.0)
    mix.bed = bed


# ------------------------------------------------------------------------------------------ subtitles


_SENTENCE = re.compile(r"[^。！？!?；;.]+[。！？!?；;.]*")
MAX_CUE_CHARS = 60
"""A sentence longer than this is split at commas (or by length) into several cues."""


def _sentences(text: str) -> list[str]:
    out: list[str] = []
    for sentence in (s.strip() for s in _SENTENCE.findall(" ".join(text.split()))):
        while len(sentence) > MAX_CUE_CHARS:
            cut = max(sentence.rfind(c, 0, MAX_CUE_CHARS) for c in "，,、 ")
            cut = cut + 1 if cut > MAX_CUE_CHARS // 3 else MAX_CUE_CHARS
            out.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if sentence:
            out.append(sentence)
    return out


def cues(board: Storyboard, spoken: list[int | None], bounds, rate: int) -> list[Any]:
    """Subtitle segments from each scene's narration, its sentences timed by their share of its characters."""
    from ..video.ops import SubtitleSegment

    segments = []
    for scene, clip, (first, end) in zip(board.scenes, spoken, bounds, strict=True):
        parts = _sentences(scene.narration)
        if not parts:
            continue
        start = first / board.fps + (LEAD if clip is not None else 0.0)
        span = clip / rate if clip is not None else end / board.fps - start
        total = sum(len(p) for p in parts)
        t = start
        for part in parts:
            length = span * len(part) / total
            segments.append(
                SubtitleSegment(start=round(t, 3), end=round(min(t + length, end / board.fps), 3), text=part)
            )
            t += length
    return [s for s in segments if s.end > s.start]


# ------------------------------------------------------------------------------------------ pictures


def _cover(image, width: int, height: int):
    """``image`` scaled to cover width x height, centred and cropped."""
    import cv2

    h, w = image.shape[:2]
    scale = max(width / w, height / h)
    resized = cv2.resize(
        image, (max(width, round(w * scale)), max(height, round(h * scale))), interpolation=cv2.INTER_AREA
    )
    y, x = (resized.shape[0] - height) // 2, (resized.shape[1] - width) // 2
    return resized[y : y + height, x : x + width]


def _image_path(board: Storyboard, i: int, images: Mapping[str, Path], key: str = "image") -> Path:
    name = getattr(board.scenes[i], key) or ""
    path = images.get(name)
    if path is None:
        raise InvalidRequest(
            f"Scene {i}'s {key} {name[:80]!r} is not one of the images given with the storyboard; "
            "use the artifact id of an uploaded image.",
            param=f"storyboard.scenes.{i}.{key}",
        )
    return path


def is_layered(scene: Any) -> bool:
    """Whether a scene is animated in layers: a design (or text) scene unless it asks for the camera alone."""
    if scene.image is not None and scene.visual is None:
        return False
    return scene.animation != "camera"


def _cut_out(path: Path, param: str, cache: dict[str, Any]):
    """The product in the picture at ``path``, cut out (PIL RGBA cropped to it); once per picture."""
    if str(path) not in cache:
        from ..vision.cutout import cutout

        cache[str(path)] = cutout(path.read_bytes(), "object", param=param).rgba()
    return cache[str(path)]


def _still(
    board: Storyboard,
    i: int,
    size: tuple[int, int],
    seed: int,
    images: Mapping[str, Path],
    cutouts: dict[str, Any] | None = None,
):
    """Scene ``i``'s picture at ``size`` (BGR uint8): its image file, else its design spec rendered (with the
    scene's image cut out on it when the spec is a product card, on its ``background`` picture when it has one);
    and where its text is (a design's), or None. A layered scene gives its layers (a ``LayeredStill``) instead."""
    import cv2
    import numpy as np

    scene = board.scenes[i]
    width, height = size
    param = f"storyboard.scenes.{i}.image"
    if scene.image is not None and scene.visual is None:
        picture = cv2.imread(str(_image_path(board, i, images)), cv2.IMREAD_COLOR)
        if picture is None:
            raise InvalidRequest(f"Scene {i}'s image is not a picture.", param=param)
        return _cover(picture, width, height), None
    from ..design.render import compose

    photo = None
    if scene.image is not None:
        photo = _cut_out(_image_path(board, i, images), param, {} if cutouts is None else cutouts)
    spec = dict(scene.visual or {})
    if not spec.get("headline"):
        spec["headline"] = (scene.text or scene.narration or board.title or " ").strip()[:80] or "·"
    spec.setdefault("language", scene.language or board.language)
    design = compose(spec, width, height, seed=seed + i, photo=photo)
    if is_layered(scene) or scene.background is not None:
        from .layers import layered_still

        picture = None
        if scene.background is not None:
            picture = cv2.imread(str(_image_path(board, i, images, "background")), cv2.IMREAD_COLOR)
            if picture is None:
                raise InvalidRequest(
                    f"Scene {i}'s background is not a picture.", param=f"storyboard.scenes.{i}.background"
                )
            picture = np.ascontiguousarray(_cover(picture, width, height))
        layers = layered_still(design, board.size, picture)
        if is_layered(scene):
            return layers
        return layers.flat(), _text_box(design, width, height)
    rgb = np.asarray(design.image().convert("RGB"))
    return np.ascontiguousarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)), _text_box(design, width, height)


def _text_box(design: Any, width: int, height: int) -> tuple[float, float, float, float] | None:
    """Where a design's text is (shares of its size): what a camera move must keep in frame."""
    rects = [r for name, r in design.regions.items() if name != "photo"]
    if not rects:
        return None
    x0, y0 = min(r.x for r in rects) / width, min(r.y for r in rects) / height
    x1, y1 = max(r.x + r.w for r in rects) / width, max(r.y + r.h for r in rects) / height
    return max(0.0, x0), max(0.0, y0), min(1.0, x1), min(1.0, y1)


def _overlays(board: Storyboard, size: tuple[int, int]) -> list[Any]:
    """On-screen text of image scenes (a design already prints its own), as premultiplied patches."""
    from ..video.ops import SubtitlesOp
    from ..video.subtitles import _premultiplied, render_caption

    op = SubtitlesOp(op="subtitles", position="top", size=0.06, box=True)
    out: list[Any] = []
    for scene in board.scenes:
        if scene.image is not None and scene.visual is None and scene.text:
            patch, top = render_caption(scene.text, op, *size)
            out.append((_premultiplied(patch), top))
        else:
            out.append(None)
    return out


class _Pictures:
    """Frames of the clip in order; holds the current scene's still (or an open user clip) and the one before
    (for a transition)."""

    def __init__(self, board: Storyboard, bounds, seed: int, images: Mapping[str, Path], report: Progress):
        self.board, self.bounds, self.seed, self.images, self.report = board, bounds, seed, images, report
        self.size = board.size
        self.big = tuple(round(s * OVERSCAN / 2) * 2 for s in self.size)
        self.overlays = _overlays(board, self.size)
        self.thumb_at = 0
        self.thumb: Any = None
        self.tiles: dict[int, Any] = {}
        self.cutouts: dict[str, Any] = {}

    def _frame(self, still, k: int, n: int):
        first, end = self.bounds[k]
        scene = self.board.scenes[k]
        p = (n - first) / max(1, end - first - 1)
        if isinstance(still, LayeredStill):
            return self._overlay(still.frame(scene.camera, p, (n - first) / self.board.fps), k)
        picture, keep = still
        image = camera_frame(picture, scene.camera, p, self.size, keep)
        return self._overlay(image, k)

    def _overlay(self, image, k: int):
        if self.overlays[k] is not None:
            from ..video.subtitles import _blend

            patch, top = self.overlays[k]
            image = _blend(image, patch, top)
        return image

    def _source(self, k: int):
        """Scene ``k``'s pictures: a user's clip played (covering the frame), else a still in motion."""
        scene = self.board.scenes[k]
        if scene.image is not None and scene.visual is None:
            path = _image_path(self.board, k, self.images)
            if _is_clip(path):
                return _Clip(path, self.size, self.board.fps, self.bounds[k][0], f"storyboard.scenes.{k}.image")
        return _still(self.board, k, self.big, self.seed, self.images, self.cutouts)

    def _picture(self, source, k: int, n: int):
        if isinstance(source, _Clip):
            return self._overlay(source.frame(n), k)
        return self._frame(source, k, n)

    def frames(self, want: set[int]) -> Iterator[Any]:
        from ..video.stage import Frame

        fps = self.board.fps
        prev = source = None
        last = None  # the previous scene's last picture, for the transition into this one
        total = self.bounds[-1][1]
        for k, (first, end) in enumerate(self.bounds):
            prev, source = source, self._source(k)
            scene = self.board.scenes[k]
            blend = 0 if k == 0 or scene.transition == "cut" else round(scene.transition_seconds * fps)
            last_prev = None
            if blend:
                last_prev = last if isinstance(prev, _Clip) else self._frame(prev, k - 1, self.bounds[k - 1][1] - 1)
            if isinstance(prev, _Clip):
                prev.close()
            try:
                for n in range(first, end):
                    cancel.check()
                    image = self._picture(source, k, n)
                    if n == end - 1 and isinstance(source, _Clip):
                        last = image.copy()
                    if blend and n - first < blend:
                        image = transition_frame(scene.transition, last_prev, image, (n - first + 1) / (blend + 1))
                    if n == self.thumb_at:
                        self.thumb = image
                    if n in want:
                        self.tiles[n] = _tile(image)  # small: the spritesheet holds no full frames
                    yield Frame(image, n / fps)
            except BaseException:
                if isinstance(source, _Clip):
                    source.close()
                raise
            prev = last_prev = None
            self.report(0.3 + 0.65 * end / total, f"scenes: rendered scene {k + 1} of {len(self.bounds)}")
        if isinstance(source, _Clip):
            source.close()


def _is_clip(path: Path) -> bool:
    """Whether the file is a video (MP4/MOV or WebM/Matroska) rather than a picture, by its first bytes."""
    with open(path, "rb") as f:
        head = f.read(12)
    return head[4:8] == b"ftyp" or head[:4] == b"\x1a\x45\xdf\xa3"


class _Clip:
    """A user's video clip played in a scene from its first frame, one decoded frame at a time, each scaled to
    cover the output; when the clip is shorter than the scene its last frame is held."""

    def __init__(self, path: Path, size: tuple[int, int], fps: int, first: int, param: str):
        import av

        self.size, self.fps, self.first, self.param = size, fps, first, param
        try:
            self.container = av.open(str(path))
            self.decoded = self.container.decode(video=0)
        except (av.FFmpegError, IndexError, ValueError) as exc:
            raise InvalidRequest(f"'{param}': the clip cannot be read ({exc}).", param=param) from None
        self.current: Any = None
        self.ahead: Any = None  # the next decoded frame, not shown yet
        self.start: float | None = None
        self.done = False

    def _next(self):
        if self.done:
            return None
        try:
            return next(self.decoded)
        except StopIteration:
            self.done = True
            return None
        except Exception as exc:  # noqa: BLE001 - PyAV's decode errors (av.FFmpegError): the user's file
            raise InvalidRequest(f"'{self.param}': the clip cannot be decoded ({exc}).", param=self.param) from None

    def frame(self, n: int):
        """The picture at output frame ``n``: the clip's latest frame at that time into the scene."""
        t = (n - self.first) / self.fps
        if self.ahead is None and self.current is None:
            self.ahead = self._next()
            if self.ahead is None:
                raise InvalidRequest(f"'{self.param}': the clip has no pictures.", param=self.param)
            self.start = float(self.ahead.time or 0.0)
        while self.ahead is not None and float(self.ahead.time or 0.0) - (self.start or 0.0) <= t + 1e-6:
            self.current = _cover(self.ahead.to_ndarray(format="bgr24"), *self.size)
            self.ahead = self._next()
        return self.current.copy()

    def close(self) -> None:
        self.container.close()


def _tile(image):
    import cv2

    h, w = image.shape[:2]
    return cv2.resize(image, (SPRITE_WIDTH, round(h * SPRITE_WIDTH / w)), interpolation=cv2.INTER_AREA)


def _write_thumbnails(pictures: _Pictures, sprite_at: list[int], output: Path) -> tuple[Path, Path]:
    import cv2
    import numpy as np

    thumb = output.with_name(f"{output.stem}.thumbnail.png")
    sheet = output.with_name(f"{output.stem}.spritesheet.png")
    cv2.imwrite(str(thumb), pictures.thumb)
    tiles = [pictures.tiles[n] for n in sprite_at]
    rows = -(-len(tiles) // SPRITE_COLUMNS)
    th, tw = tiles[0].shape[:2]
    grid = np.zeros((rows * th, SPRITE_COLUMNS * tw, 3), dtype=np.uint8)
    for j, tile in enumerate(tiles):
        r, c = divmod(j, SPRITE_COLUMNS)
        grid[r * th : (r + 1) * th, c * tw : (c + 1) * tw] = tile
    cv2.imwrite(str(sheet), grid)
    return thumb, sheet


# ------------------------------------------------------------------------------------------ entry point


def _open_output(path: Path, size: tuple[int, int], fps: int, tags: dict[str, str] | None = None):
    import av

    from ..video.stage import RATE

    flags = "+faststart+use_metadata_tags" if tags else "+faststart"
    out = av.open(str(path), mode="w", format="mp4", options={"movflags": flags})
    out.metadata.update(tags or {})
    vs = out.add_stream("libx264", rate=fps)
    vs.pix_fmt = "nv12"  # 4:2:0 like yuv420p (decoders give yuv420p); what ``_encode(exact=True)`` feeds
    vs.width, vs.height = size
    vs.options = {"crf": str(CRF), "preset": PRESET, "x264-params": X264_REPEATABLE}
    aus = out.add_stream("aac", rate=RATE, layout="stereo")
    aus.bit_rate = AUDIO_BITRATE
    return out, vs, aus


def render_storyboard(
    board: Storyboard | dict,
    output: str | os.PathLike,
    *,
    seed: int = 0,
    narration: Sequence[bytes | None] | None = None,
    speak: Speak | None = None,
    music: MusicRenderer | None = None,
    images: Mapping[str, str | os.PathLike] | None = None,
    progress: Progress | None = None,
) -> StoryResult:
    """Render ``board`` to an MP4 at ``output`` (plus ``.srt``/``.vtt``, ``.thumbnail.png``, ``.spritesheet.png``
    beside it). Narration per scene: ``narration`` (WAV bytes or None per scene), else ``speak``; the music bed:
    ``music`` (default: the composer) for ``board.music``. ``images``: names a scene's ``image`` may use → files.
    Same board, seed and narration → the same decoded frames."""
    from ..video.ahead import ahead
    from ..video.pipeline import _encode, _temp_beside, container_tags, current_frame_label, labelled
    from ..video.stage import RATE, State
    from ..video.subtitles import SubtitlesStage, add_soft_track, mux_cues, write_sidecars

    started = time.monotonic()
    report = progress or (lambda fraction, message: None)
    board = validate_storyboard(board)
    files = {k: Path(v) for k, v in (images or {}).items()}
    clips = _narrations(board, narration, speak, RATE, report)
    bounds = scene_times(board, [c.length / RATE if c is not None else None for c in clips])
    frames_total = bounds[-1][1]
    duration = frames_total / board.fps
    if duration > MAX_VIDEO_SECONDS:
        raise InvalidRequest(
            f"The storyboard makes a {duration:.1f} s clip; the limit is {MAX_VIDEO_SECONDS:g} s. "
            "Use fewer or shorter scenes.",
            param="storyboard.scenes",
        )
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    report(0.29, "music: composing the music bed and mixing it under the narration")
    mix = _mix(board, clips, bounds, seed, music, RATE)
    spoken = [c.length if c is not None else None for c in clips]  # samples at the output rate
    del clips
    timings["audio"] = time.perf_counter() - t0
    report(0.3, "music: narration and music bed mixed")
    segments = cues(board, spoken, bounds, RATE)
    output = Path(output)
    tmp = _temp_beside(output, "mp4")
    made: list[Path] = []
    thumb_at = min(frames_total - 1, (bounds[0][0] + bounds[0][1]) // 2)
    sprite_at = sorted({round(j * (frames_total - 1) / max(1, SPRITE_COUNT - 1)) for j in range(SPRITE_COUNT)})
    pictures = _Pictures(board, bounds, seed, files, report)
    try:
        t0 = time.perf_counter()
        pictures.thumb_at = thumb_at
        frames = pictures.frames(set(sprite_at))
        burn = board.subtitles in ("burned", "both") and segments
        if burn:
            from ..video.ops import SubtitlesOp

            stage = SubtitlesStage(SubtitlesOp(op="subtitles", segments=segments, mode="burn"), "storyboard")
            stage.segments = list(segments)
            frames = stage.video(frames)
        label = current_frame_label()  # the caller's labels (a visible mark, a watermark), drawn last
        frames = ahead(labelled(frames, label))  # made on a second thread while the encoder works
        state = State(board.size[0], board.size[1], Fraction(board.fps), duration, True)
        out, vs, aus = _open_output(tmp, board.size, board.fps, container_tags(label))
        try:
            if board.subtitles in ("soft", "both") and segments:
                track = add_soft_track(out, board.language)
                mux_cues(out, track, segments, duration)
            written, _ = _encode(out, vs, aus, frames, mix.chunks(RATE), state, lambda n: None, exact=True)
        finally:
            out.close()
        timings["video"] = time.perf_counter() - t0
        report(0.96, "encode: thumbnail, spritesheet and subtitle files")
        thumb, sheet = _write_thumbnails(pictures, sprite_at, output)
        made += [thumb, sheet]
        sidecars = write_sidecars(output, segments) if board.subtitles != "none" and segments else {}
        made += list(sidecars.values())
        os.replace(tmp, output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        for path in made:
            path.unlink(missing_ok=True)
        raise
    report(1.0, f"encode: {duration:.1f} s video written")
    scenes = [
        {"start": round(a / board.fps, 3), "end": round(b / board.fps, 3), "narrated": c is not None}
        for (a, b), c in zip(bounds, spoken, strict=True)
    ]
    result = StoryResult(
        path=output,
        width=board.size[0],
        height=board.size[1],
        fps=board.fps,
        duration=duration,
        frames=written,
        scenes=scenes,
        subtitles=[s.model_dump() for s in segments],
        thumbnail=thumb,
        spritesheet=sheet,
        srt=sidecars.get("srt"),
        vtt=sidecars.get("vtt"),
        seconds=time.monotonic() - started,
        timings=timings,
    )
    log.info("storyboard: %d scenes, %d frames %dx%d in %.1f s", len(bounds), written, *board.size, result.seconds)
    return result
