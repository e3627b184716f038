"""``render_presenter``: a portrait and its speech to an MP4 of the portrait speaking, in one streaming pass.

    portrait → the largest face's landmarks and the person matte (``face.py``) → the host layer (head and
    shoulders, scaled to the frame) → per frame: the rig's warp of the face (``rig.py``) driven by the
    tracks (``motion.py``), the mouth's interior, the body's sway and breathing, composed over the
    background with a lower-third banner and burned subtitles → the video editor's encoder

The speech (mono float32, about 11 MB a minute) and the tracks (a few floats per frame) are held whole;
pictures are made one at a time and handed to the encoder, so memory does not grow with the clip's length.
The clip lasts as long as its speech (rounded up to the frame grid). The output goes to a temporary file
beside ``output`` and is moved into place when complete; on an error or a cancellation nothing is left.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from ... import cancel
from ...errors import InvalidRequest
from .face import Portrait, read_portrait
from .motion import Tracks, make_tracks, voiced_runs
from .panels import PanelTrack, frame_layout, put_layer
from .rig import Rig, draw_mouth
from .spec import MAX_SPEECH_SECONDS, PresenterOptions, is_artifact_id, validate_options

__all__ = ["PresenterResult", "background_picture", "host_layout", "render_presenter"]

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
MusicRenderer = Callable[[dict, float, int, int], Any]

HOST_WIDTH = 3.4
"""The host layer is this many face widths wide (head and shoulders)."""
HOST_ABOVE = 0.9
"""Face heights kept above the face (hair)."""
HOST_BELOW = 2.8
"""Face heights kept below the face (neck and shoulders), at most to the photo's bottom."""
HOST_OVERFLOW = 0.02
"""Share of the host below the frame's bottom edge, so the sway never shows the host's cut edge."""
HOST_FILL = (0.92, 0.86)
"""The most of the frame's width and height the host may fill."""
BANNER_Y = 0.70
"""The banner's top, as a share of the frame's height (above the subtitles)."""
BLUR_DARKEN = 0.72
CAPTION_SIZE = 0.055
"""Burned subtitles' text height as a share of the frame's short side."""
MIN_SPEECH_SECONDS = 0.3


@dataclass
class PresenterResult:
    path: Path
    width: int
    height: int
    fps: int
    duration: float
    speech_seconds: float
    frames: int
    subtitles: list[dict]
    thumbnail: Path
    phonemes: str
    faces: int
    srt: Path | None = None
    vtt: Path | None = None
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class Host:
    """The person cut out and scaled for the frame: BGR picture, alpha (uint8), landmarks, where it goes."""

    image: Any
    alpha: Any
    landmarks: Any
    x: int
    y: int


def host_layout(portrait: Portrait, size: tuple[int, int], area: tuple[int, int, int, int] | None = None) -> Host:
    """The head and shoulders around the face, scaled to fit ``area`` (x, y, w, h; default the whole frame),
    centred in it and standing on the frame's bottom edge."""
    import cv2
    import numpy as np

    width, height = size
    ax, _, aw, ah = area or (0, 0, width, height)
    h, w = portrait.rgb.shape[:2]
    fx, fy, fw, fh = portrait.box
    cx = fx + fw / 2
    x0 = max(0, round(cx - HOST_WIDTH * fw / 2))
    x1 = min(w, round(cx + HOST_WIDTH * fw / 2))
    y0 = max(0, round(fy - HOST_ABOVE * fh))
    y1 = min(h, round(fy + fh + HOST_BELOW * fh))
    scale = min(HOST_FILL[0] * aw / (x1 - x0), HOST_FILL[1] * ah / (y1 - y0))
    out_w, out_h = max(2, round((x1 - x0) * scale)), max(2, round((y1 - y0) * scale))
    flag = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    bgr = cv2.cvtColor(np.ascontiguousarray(portrait.rgb[y0:y1, x0:x1]), cv2.COLOR_RGB2BGR)
    image = cv2.resize(bgr, (out_w, out_h), interpolation=flag)
    matte = portrait.matte if portrait.matte is not None else np.ones((h, w), np.float32)
    alpha = cv2.resize(matte[y0:y1, x0:x1], (out_w, out_h), interpolation=cv2.INTER_LINEAR)
    alpha = cv2.GaussianBlur(alpha, (0, 0), max(1.0, out_w / 400))
    landmarks = (portrait.landmarks - np.array([x0, y0], np.float32)) * scale
    x = ax + (aw - out_w) // 2
    y = height - out_h + math.ceil(HOST_OVERFLOW * out_h)  # the body runs off the frame's bottom edge
    return Host(image, np.clip(alpha * 255, 0, 255).astype(np.uint8), landmarks.astype(np.float32), x, y)


def _background(
    portrait: Portrait, options: PresenterOptions, size: tuple[int, int], pictures: Mapping[str, Path], seed: int
):
    """The frame behind the host: the portrait's own scene blurred and darkened, a plain colour, a picture
    (the file ``pictures["background"]`` for an artifact id, else the option's base64) or a design scene."""
    import cv2
    import numpy as np

    from ..storyboard.render import _cover
    from ..video.stage import hex_bgr

    width, height = size
    if options.background == "colour":
        return np.full((height, width, 3), hex_bgr(options.background_colour), np.uint8)
    if options.background == "scene":
        from .panels import scene_background

        return scene_background(options, size, seed)
    if options.background == "image" and options.background_image:
        if is_artifact_id(options.background_image):
            path = pictures.get("background")
            picture = cv2.imread(str(path), cv2.IMREAD_COLOR) if path is not None else None
            if picture is None:
                raise InvalidRequest(
                    "'presenter.background_image' is not a picture here.", param="presenter.background_image"
                )
        else:
            picture = background_picture(options.background_image)
        return _cover(picture, width, height).copy()
    small = _cover(cv2.cvtColor(portrait.rgb, cv2.COLOR_RGB2BGR), max(2, width // 8), max(2, height // 8))
    small = cv2.GaussianBlur(small, (0, 0), 3)
    return (cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC) * BLUR_DARKEN).astype(np.uint8)


def background_picture(text: str):
    """The background picture (BGR) from base64 or a data: URL; a bad one is a 400 naming the field."""
    import base64
    import binascii

    import cv2
    import numpy as np

    from ..image_io import decode_image

    param = "presenter.background_image"
    try:
        data = base64.b64decode(text.split(",", 1)[1] if text.startswith("data:") else text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest(f"'{param}' must be base64 or a data: URL of an image.", param=param) from None
    rgb = np.asarray(decode_image(data, param).convert("RGB"))
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def _banner(options: PresenterOptions, size: tuple[int, int]):
    """The lower-third name plate as (premultiplied colour, inverse alpha, x, y), or None without a name."""
    import numpy as np
    from PIL import Image, ImageDraw

    from ..design.fonts import SANS_CJK, SANS_CJK_BOLD, load
    from ..video.stage import hex_bgr
    from ..video.subtitles import _premultiplied

    if not options.name.strip():
        return None
    width, height = size
    short = min(width, height)
    name_font, title_font = load(SANS_CJK_BOLD, round(short * 0.05)), load(SANS_CJK, round(short * 0.032))
    pad = round(short * 0.025)
    name_w = name_font.getlength(options.name)
    title_w = title_font.getlength(options.title) if options.title else 0
    box_w = min(round(width * 0.9), round(max(name_w, title_w) + 3 * pad))
    name_h = round(short * 0.05 * 1.35)
    title_h = round(short * 0.032 * 1.45) if options.title else 0
    box_h = name_h + title_h + 2 * pad
    image = Image.new("RGBA", (box_w, box_h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    b, g, r = hex_bgr(options.banner_colour)
    draw.rectangle((0, 0, pad // 2, box_h), fill=(255, 255, 255, 255))
    draw.rectangle((pad // 2, 0, box_w, name_h + pad), fill=(r, g, b, 235))
    if options.title:
        draw.rectangle((pad // 2, name_h + pad, box_w, box_h), fill=(20, 20, 24, 215))
        draw.text((2 * pad, name_h + pad + pad // 3), options.title, font=title_font, fill=(235, 235, 235, 255))
    draw.text((2 * pad, pad // 2), options.name, font=name_font, fill=(255, 255, 255, 255))
    patch = np.ascontiguousarray(np.asarray(image)[..., [2, 1, 0, 3]])
    colour, inverse = _premultiplied(patch)
    return colour, inverse, round(width * 0.05), round(height * BANNER_Y)


def cues(script: str, runs: list[tuple[int, int]], fps: int, duration: float) -> list[Any]:
    """Subtitles: sentence i over voiced stretch i when they agree in number, else all sentences over the
    speech by their share of its characters."""
    from ..storyboard.render import _sentences
    from ..video.ops import SubtitleSegment

    parts = _sentences(script)
    if not parts or not runs:
        return []
    if len(parts) == len(runs):
        spans = [(a / fps, b / fps) for a, b in runs]
    else:
        start, end = runs[0][0] / fps, runs[-1][1] / fps
        total = sum(len(p) for p in parts)
        spans, t = [], start
        for part in parts:
            spans.append((t, t + (end - start) * len(part) / total))
            t = spans[-1][1]
    return [
        SubtitleSegment(start=round(a, 3), end=round(min(b, duration), 3), text=p)
        for p, (a, b) in zip(parts, spans, strict=True)
        if min(b, duration) > a
    ]


class _Pictures:
    """The clip's frames in order: the host's face warped by the tracks, swayed, over the background."""

    def __init__(self, host: Host, background, banner, tracks: Tracks, fps: int, report: Progress, panels=None):
        import numpy as np

        self.host, self.background, self.banner, self.tracks, self.fps = host, background, banner, tracks, fps
        self.panels = panels
        self.report = report
        self.rig = Rig(host.landmarks, host.image.shape[:2])
        self.rest_gap = float(np.linalg.norm(self.rig.landmarks[14] - self.rig.landmarks[13]))
        self.pivot = (
            host.image.shape[1] / 2,
            float(background.shape[0] - host.y),
        )  # the body sways about the frame's bottom edge
        self.layer = np.dstack([host.image, host.alpha])  # BGRA: moved in one pass
        self.thumb_at = 0
        self.thumb: Any = None

    def _frame(self, n: int):
        import cv2
        import numpy as np

        host, rig = self.host, self.rig
        amounts = self.tracks.at(n)
        x0, y0, x1, y1 = rig.box
        layer = self.layer.copy()
        face = rig.warp(host.image[y0:y1, x0:x1], amounts)
        draw_mouth(face, rig, amounts, self.rest_gap)
        layer[y0:y1, x0:x1, :3] = face
        h, w = layer.shape[:2]
        scale = float(self.tracks.scale[n])
        m = cv2.getRotationMatrix2D(self.pivot, float(self.tracks.angle[n]), 1.0)
        m[1] *= scale  # breathing: a little taller, about the bottom
        m[1, 2] += (1 - scale) * self.pivot[1]
        moved = cv2.warpAffine(layer, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        out = self.background.copy()
        fh, fw = out.shape[:2]
        ys, xs = max(0, host.y), max(0, host.x)
        ye, xe = min(fh, host.y + h), min(fw, host.x + w)
        sub = moved[ys - host.y : ye - host.y, xs - host.x : xe - host.x]
        weight = sub[..., 3].astype(np.float32) * (1 / 255)
        out[ys:ye, xs:xe] = cv2.blendLinear(np.ascontiguousarray(sub[..., :3]), out[ys:ye, xs:xe], weight, 1 - weight)
        if self.panels is not None:
            self.panels.draw(out, n)
        if self.banner is not None:
            colour, inverse, bx, by = self.banner
            put_layer(out, (colour, inverse), bx, by)
        return out

    def frames(self, total: int) -> Iterator[Any]:
        from ..video.stage import Frame

        step = max(1, total // 20)
        for n in range(total):
            cancel.check()
            image = self._frame(n)
            if n == self.thumb_at:
                self.thumb = image
            yield Frame(image, n / self.fps)
            if n % step == step - 1:
                self.report(0.1 + 0.85 * (n + 1) / total, f"rendered frame {n + 1} of {total}")


def _speech(wav: bytes, rate: int):
    """The speech as one mono float32 array at ``rate`` (read by the storyboard's narration reader)."""
    import numpy as np

    from ..storyboard.render import _voice

    voice = _voice(wav, rate, "narration")
    speech = np.zeros(voice.length if voice is not None else 0, np.float32)
    if voice is not None:
        voice.add_to(speech, 0, rate)
    seconds = len(speech) / rate
    if seconds < MIN_SPEECH_SECONDS:
        raise InvalidRequest("The speech is empty or too short; give a script with words in it.", param="prompt")
    if seconds > MAX_SPEECH_SECONDS:
        raise InvalidRequest(
            f"The speech lasts {seconds:.1f} s; the limit is {MAX_SPEECH_SECONDS:g} s. Shorten the script.",
            param="prompt",
        )
    return speech


@dataclass
class _Padded:
    """The whole speech, already at the output rate, as the storyboard's mix reads a narration."""

    samples: Any

    def add_to(self, out: Any, start: int, rate: int) -> None:
        piece = self.samples[start : start + len(out)]
        out[: len(piece)] += piece


def _soundtrack(speech, total: float, options: PresenterOptions, seed: int, music: MusicRenderer | None, rate: int):
    """The speech padded to the clip, with the music bed ducked under it when the options ask for one."""
    import numpy as np

    from ..storyboard.render import MUSIC_LOOP_SECONDS, _duck_levels, _Mix, add_music_bed, default_music

    n = round(total * rate)
    padded = np.zeros(n, np.float32)
    padded[: min(n, len(speech))] = speech[:n]
    mix = _Mix([_Padded(padded)], n, rate)  # type: ignore[list-item]
    if options.music is not None and options.music_volume > 0:
        add_music_bed(mix, (music or default_music)(options.music, min(total, MUSIC_LOOP_SECONDS), seed, rate))
        mix.levels, mix.block = _duck_levels(mix.speech, n, rate, options.music_volume, 0.25)
    return mix


def render_presenter(
    portrait: bytes | Portrait,
    speech: bytes,
    output: str | os.PathLike,
    *,
    script: str = "",
    language: str | None = None,
    size: tuple[int, int] = (720, 1280),
    options: PresenterOptions | dict | None = None,
    seed: int = 0,
    music: MusicRenderer | None = None,
    progress: Progress | None = None,
    pictures: Mapping[str, Path] | None = None,
) -> PresenterResult:
    """Render the portrait speaking ``speech`` (WAV bytes) to an MP4 at ``output`` (plus ``.srt``/``.vtt`` and
    ``.thumbnail.png`` beside it). ``script``: what the speech says (visemes, subtitles, panels: one per line);
    ``size``: (w, h); ``pictures``: files the options name by artifact id (``background``, ``panel.<i>``)."""
    from ..storyboard.render import _open_output
    from ..video.ahead import ahead
    from ..video.pipeline import _encode, _temp_beside, container_tags, current_frame_label, labelled
    from ..video.stage import RATE, State
    from ..video.subtitles import SubtitlesStage, add_soft_track, mux_cues, write_sidecars

    started = time.monotonic()
    report = progress or (lambda fraction, message: None)
    options = validate_options(options)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if not isinstance(portrait, Portrait):
        portrait = read_portrait(portrait)
    samples = _speech(speech, RATE)
    fps = options.fps
    frames_total = max(1, math.ceil(len(samples) / RATE * fps - 1e-6))
    duration = frames_total / fps
    tracks = make_tracks(samples, RATE, fps, frames_total, script, language, seed)
    files = pictures or {}
    layout = frame_layout(size, bool(options.panels))
    host = host_layout(portrait, size, layout.host)
    runs = voiced_runs(tracks.envelope, fps)
    panels = PanelTrack(options, script, runs, fps, layout.panel, files) if layout.panel is not None else None
    background = _background(portrait, options, size, files, seed)
    frames_of = _Pictures(host, background, _banner(options, size), tracks, fps, report, panels)
    segments = cues(script, runs, fps, duration) if options.subtitles != "none" else []
    mix = _soundtrack(samples, duration, options, seed, music, RATE)
    timings["prepare"] = time.perf_counter() - t0
    report(0.1, "face rigged, speech aligned")
    output = Path(output)
    tmp = _temp_beside(output, "mp4")
    made: list[Path] = []
    frames_of.thumb_at = min(frames_total - 1, runs[0][0] + fps // 2 if runs else 0)
    try:
        t0 = time.perf_counter()
        frames = frames_of.frames(frames_total)
        if options.subtitles in ("burned", "both") and segments:
            from ..video.ops import SubtitlesOp

            text_size = max(0.02, CAPTION_SIZE * min(size) / size[1])
            op = SubtitlesOp(op="subtitles", segments=segments, mode="burn", size=text_size)
            stage = SubtitlesStage(op, "presenter")
            stage.segments = list(segments)
            frames = stage.video(frames)
        label = current_frame_label()  # the caller's labels (the visible mark, the watermark), drawn last
        frames = ahead(labelled(frames, label))  # made on a second thread while the encoder works
        state = State(size[0], size[1], Fraction(fps), duration, True)
        out, vs, aus = _open_output(tmp, size, fps, container_tags(label))
        try:
            if options.subtitles in ("soft", "both") and segments:
                track = add_soft_track(out, language or "und")
                mux_cues(out, track, segments, duration)
            written, _ = _encode(out, vs, aus, frames, mix.chunks(RATE), state, lambda n: None, exact=True)
        finally:
            out.close()
        timings["video"] = time.perf_counter() - t0
        thumb = output.with_name(f"{output.stem}.thumbnail.png")
        _write_png(thumb, frames_of.thumb)
        made.append(thumb)
        sidecars = write_sidecars(output, segments) if segments else {}
        made += list(sidecars.values())
        os.replace(tmp, output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        for path in made:
            path.unlink(missing_ok=True)
        raise
    report(1.0, f"{duration:.1f} s video")
    result = PresenterResult(
        path=output,
        width=size[0],
        height=size[1],
        fps=fps,
        duration=duration,
        speech_seconds=len(samples) / RATE,
        frames=written,
        subtitles=[s.model_dump() for s in segments],
        thumbnail=thumb,
        phonemes=tracks.phonemes,
        faces=portrait.faces,
        srt=sidecars.get("srt"),
        vtt=sidecars.get("vtt"),
        seconds=time.monotonic() - started,
        timings=timings,
    )
    log.info("presenter: %d frames %dx%d in %.1f s (%s)", written, *size, result.seconds, tracks.phonemes)
    return result


def _write_png(path: Path, image) -> None:
    import cv2

    ok, data = cv2.imencode(".png", image)
    if not ok:
        raise RuntimeError("could not encode the thumbnail")
    path.write_bytes(data.tobytes())
