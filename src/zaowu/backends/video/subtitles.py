"""``subtitles``: captions burned into the pictures, a soft mov_text track in the MP4, SRT/VTT files.

Burned-in captions use Noto Sans CJK (the design engine's CJK face, which also covers Latin), wrapped
to the frame width (:func:`wrap`: Latin words stay whole, Chinese breaks between characters but never
before closing punctuation), drawn with an outline and an optional translucent box. Each caption is
rendered once into a small RGBA patch and alpha-blended onto the frames of its time span, so only the
caption band changes.

The soft track: PyAV 18 cannot open the mov_text *encoder* (it needs an ASS header PyAV does not
expose), so the cues are muxed as ready-made tx3g samples (a 16-bit length + UTF-8 text). The track's
sample description (display flags, justification, default style, font table: what QuickTime and phones
need) comes from a template: a tiny MP4 holding only that description, built here box by box
(:func:`tx3g_template`), whose stream the output copies (``add_stream_from_template``). WebM output
carries a WebVTT track (plain UTF-8 cues).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path

from ...errors import InvalidRequest
from ..speech.formats import Segment, Transcript, to_srt, to_vtt
from .ops import SubtitleSegment, SubtitlesOp
from .stage import Frame, Stage, State, hex_bgr

__all__ = [
    "SubtitlesStage",
    "add_soft_track",
    "balanced",
    "format_srt",
    "format_vtt",
    "mux_cues",
    "render_caption",
    "wrap",
    "write_sidecars",
]

WRAP_WIDTH = 0.9
"""Share of the frame width a caption line may fill."""
MARGIN = 0.06
"""Distance of the caption from the bottom (or top) edge, as a share of the frame height."""
BOX_ALPHA = 0.55
"""Opacity of the box behind burned-in text."""
OUTLINE = 0.08
"""Outline width as a share of the font size."""
TRACK_TIME_BASE = Fraction(1, 1000)
"""Time base of the soft subtitle track (milliseconds)."""

_NO_LINE_START = set("，。、；：！？）」』】〉》”’…,.;:!?)]}%")
"""Characters a line must not start with (kinsoku: closing punctuation stays on the line before)."""
_NO_LINE_END = set("（「『【〈《“‘([{")
_TOKEN = re.compile(r"[A-Za-z0-9'’\-]+[^\sA-Za-z0-9\u3400-\u9fff\uf900-\ufaff]*|\s+|.", re.DOTALL)


def _tokens(text: str) -> list[str]:
    """Unbreakable pieces: a Latin word with its trailing punctuation, a space run, or one character."""
    out: list[str] = []
    for tok in _TOKEN.findall(text):
        if out and (tok in _NO_LINE_START or out[-1][-1:] in _NO_LINE_END) and not tok.isspace():
            out[-1] += tok  # keep closing punctuation with what it closes, opening with what it opens
        else:
            out.append(tok)
    return out


def wrap(text: str, width: float, measure, max_lines: int = 2) -> list[str]:
    """``text`` in lines no wider than ``width`` (``measure(s)`` gives a string's width); a word wider than
    a line is broken by characters; beyond ``max_lines`` the last line ends with …"""
    lines: list[str] = []
    line = ""
    for tok in _tokens(" ".join(text.split())):
        if tok.isspace():
            if line:
                line += " "
            continue
        if measure(line + tok) <= width or not line.strip():
            line += tok
            if measure(line) > width:  # one token wider than a line: break it by characters
                head = ""
                for ch in line:
                    if measure(head + ch) > width and head:
                        lines.append(head)
                        head = ""
                    head += ch
                line = head
            continue
        lines.append(line.rstrip())
        line = tok
    if line.strip():
        lines.append(line.rstrip())
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and measure(last + "…") > width:
            last = last[:-1]
        lines = lines[: max_lines - 1] + [last.rstrip() + "…"]
    return lines


def balanced(text: str, width: float, measure, max_lines: int = 2) -> list[str]:
    """:func:`wrap` at the narrowest width that needs no more lines, so a caption's lines are even
    (no single character left alone on the last line)."""
    lines = wrap(text, width, measure, max_lines)
    if len(lines) < 2 or lines[-1].endswith("…"):
        return lines
    lo, hi = width / len(lines), width
    for _ in range(8):
        mid = (lo + hi) / 2
        if len(wrap(text, mid, measure, max_lines + 1)) <= len(lines):
            hi = mid
        else:
            lo = mid
    return wrap(text, hi, measure, max_lines)


def _font(size: int):
    from ..design.fonts import SANS_CJK_BOLD, load

    return load(SANS_CJK_BOLD, size)


def render_caption(text: str, op: SubtitlesOp, width: int, height: int):
    """The caption as (rgba patch, y of its top edge): wrapped, outlined, boxed when ``op.box``."""
    import numpy as np
    from PIL import Image, ImageDraw

    size = max(10, round(op.size * height))
    font = _font(size)
    advances: dict[str, float] = {}

    def measure(s: str) -> float:  # sum of advances (basic layout: no kerning), each character measured once
        return sum(advances.get(c) or advances.setdefault(c, font.getlength(c)) for c in s)

    lines = balanced(text, width * WRAP_WIDTH, measure, op.max_lines)
    stroke = max(1, round(size * OUTLINE))
    line_h = round(size * 1.3)
    pad = round(size * 0.35)
    text_w = max(round(font.getlength(line)) for line in lines)
    last_bottom = font.getbbox(lines[-1], stroke_width=stroke)[3]
    box_w, box_h = min(width, text_w + 2 * pad), min(height, (len(lines) - 1) * line_h + last_bottom + pad + pad // 2)
    image = Image.new("RGBA", (box_w, box_h), (0, 0, 0, round(255 * BOX_ALPHA) if op.box else 0))
    draw = ImageDraw.Draw(image)
    b, g, r = hex_bgr(op.color)
    for i, line in enumerate(lines):
        x = (box_w - font.getlength(line)) / 2
        draw.text(
            (x, pad + i * line_h), line, font=font, fill=(r, g, b, 255), stroke_width=stroke, stroke_fill=(0, 0, 0, 255)
        )
    margin = round(MARGIN * height)
    top = margin if op.position == "top" else height - margin - box_h
    return np.ascontiguousarray(np.asarray(image)[..., [2, 1, 0, 3]]), max(0, top)


def _premultiplied(patch):
    """(colour x alpha, 255 - alpha) as two BGR uint8 pictures, so a blend is two OpenCV passes."""
    import cv2
    import numpy as np

    alpha = np.repeat(patch[..., 3:4], 3, axis=2)
    return cv2.multiply(np.ascontiguousarray(patch[..., :3]), alpha, scale=1 / 255), 255 - alpha


def _blend(image, layers, top: int):
    """``image`` with a premultiplied caption (:func:`_premultiplied`) over it, centred, its top at ``top``."""
    import cv2

    colour, inverse = layers
    h, w = colour.shape[:2]
    x = (image.shape[1] - w) // 2
    out = image.copy()
    band = out[top : top + h, x : x + w]
    band[:] = cv2.add(cv2.multiply(band, inverse, scale=1 / 255), colour)
    return out


class SubtitlesStage(Stage):
    """Burns the segment shown at each frame's time (when ``op.burn``); the cues of the soft track and of
    the sidecar files are ``segments`` (the op's, clipped to the stream)."""

    name = "subtitles"

    def __init__(self, op: SubtitlesOp, param: str) -> None:
        super().__init__()
        self.op, self.param = op, param
        self.segments: list[SubtitleSegment] = []
        self._cache: tuple[int, object, int] | None = None

    def plan(self, state: State) -> State:
        if not self.op.segments:
            raise InvalidRequest(
                f"'{self.param}.segments' is empty: give the captions, or run the edit through the Studio, "
                "which transcribes the audio.",
                param=f"{self.param}.segments",
            )
        self.segments = [s for s in self.op.segments if s.start < state.duration]
        self.state = state
        return state

    def _patch(self, index: int, width: int, height: int):
        if self._cache is None or self._cache[0] != index:
            patch, top = render_caption(self.segments[index].text, self.op, width, height)
            self._cache = (index, _premultiplied(patch), top)
        return self._cache[1], self._cache[2]

    def video(self, frames: Iterator[Frame]) -> Iterator[Frame]:
        k = 0
        for frame in frames:
            self.frames_done += 1
            if not self.op.burn:
                yield frame
                continue
            while k < len(self.segments) and self.segments[k].end <= frame.t:
                k += 1
            if k < len(self.segments) and self.segments[k].start <= frame.t:
                h, w = frame.image.shape[:2]
                patch, top = self._patch(k, w, h)
                yield Frame(_blend(frame.image, patch, top), frame.t, frame.alpha)
            else:
                yield frame


# ------------------------------------------------------------------------------------------ files and track


def _transcript(segments: Sequence[SubtitleSegment], language: str | None) -> Transcript:
    return Transcript(
        language or "",
        max((s.end for s in segments), default=0.0),
        [Segment(i, s.start, s.end, s.text.strip()) for i, s in enumerate(segments)],
    )


def format_srt(segments: Sequence[SubtitleSegment]) -> str:
    return to_srt(_transcript(segments, None))


def format_vtt(segments: Sequence[SubtitleSegment]) -> str:
    return to_vtt(_transcript(segments, None))


def write_sidecars(output: Path, segments: Sequence[SubtitleSegment], suffix: str = "") -> dict[str, Path]:
    """``OUT.srt`` and ``OUT.vtt`` beside ``output`` (written whole, then moved into place)."""
    paths = {}
    for fmt, text in (("srt", format_srt(segments)), ("vtt", format_vtt(segments))):
        path = output.with_name(f"{output.stem}{suffix}.{fmt}")
        tmp = path.with_name(f".{path.name}.part")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        paths[fmt] = path
    return paths


_LANG3 = {"zh": "chi", "en": "eng", "ja": "jpn", "ko": "kor", "fr": "fre", "de": "ger", "es": "spa"}


SOFT_CODECS = {"mp4": "mov_text", "webm": "webvtt"}
"""The subtitle codec of a soft track in each output format."""


def _box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I", 8 + len(body)) + kind + body


def _full(kind: bytes, flags: int, *parts: bytes) -> bytes:
    return _box(kind, struct.pack(">I", flags), *parts)  # version 0


TX3G_ENTRY = (
    bytes([0, 0, 0, 0, 1, 0xFF, 0, 0, 0, 0])  # display flags; centred; at the bottom; no background
    + bytes(8)  # text box: the whole track
    + struct.pack(">HHHBB", 0, 0, 1, 0, 16)  # default style: font 1, plain, 16 px
    + bytes([255, 255, 255, 255])  # white
    + _box(b"ftab", struct.pack(">HHB", 1, 1, 5) + b"Arial")
)
"""The tx3g sample description after the sample entry header: what FFmpeg writes for a track made from
SRT, so converting the track back to SRT gives plain lines (no font tags)."""


def tx3g_template() -> bytes:
    """An MP4 with one empty mov_text track described by :data:`TX3G_ENTRY` (ISO 14496-12 boxes)."""
    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    rate_volume = struct.pack(">IH", 0x10000, 0x100)
    mvhd = _full(b"mvhd", 0, struct.pack(">4I", 0, 0, 1000, 0), rate_volume, bytes(10), matrix, bytes(24), b"\0\0\0\2")
    tkhd = _full(b"tkhd", 3, struct.pack(">5I", 0, 0, 1, 0, 0), bytes(8), bytes(8), matrix, bytes(8))
    mdhd = _full(b"mdhd", 0, struct.pack(">4I", 0, 0, 1000, 0), struct.pack(">HH", 0x55C4, 0))
    hdlr = _full(b"hdlr", 0, bytes(4), b"sbtl", bytes(12), b"SubtitleHandler\x00")
    stsd = _full(b"stsd", 0, struct.pack(">I", 1), _box(b"tx3g", bytes(6), struct.pack(">H", 1), TX3G_ENTRY))
    tables = [_full(k, 0, bytes(4)) for k in (b"stts", b"stsc", b"stco")] + [_full(b"stsz", 0, bytes(8))]
    dinf = _box(b"dinf", _full(b"dref", 0, struct.pack(">I", 1), _full(b"url ", 1)))
    minf = _box(b"minf", _full(b"nmhd", 0), dinf, _box(b"stbl", stsd, *tables))
    trak = _box(b"trak", tkhd, _box(b"mdia", mdhd, hdlr, minf))
    return _box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isomiso2mp41") + _box(b"moov", mvhd, trak)


def add_soft_track(out, language: str | None, fmt: str = "mp4"):
    """A subtitle stream (mov_text in an MP4, WebVTT in a WebM) on an output container, before anything
    is muxed."""
    import io

    import av

    if fmt == "mp4":
        with av.open(io.BytesIO(tx3g_template()), format="mp4") as template:
            stream = out.add_stream_from_template(template.streams.subtitles[0], opaque=True)
        stream.time_base = TRACK_TIME_BASE
    else:
        stream = out.add_mux_stream(SOFT_CODECS[fmt], time_base=TRACK_TIME_BASE)
    if language:
        stream.metadata["language"] = _LANG3.get(language, language)
    return stream


def mux_cues(out, stream, segments: Sequence[SubtitleSegment], duration: float, fmt: str = "mp4") -> int:
    """Every cue as a packet (times in milliseconds, clipped to ``duration``): a tx3g sample (16-bit length +
    UTF-8) in an MP4, the bare UTF-8 text in a WebM; returns the count."""
    import av

    n = 0
    for s in segments:
        start, end = round(s.start * 1000), round(min(s.end, duration) * 1000)
        if end <= start:
            continue
        data = s.text.strip().encode("utf-8")
        packet = av.Packet(struct.pack(">H", len(data)) + data if fmt == "mp4" else data)
        packet.stream = stream
        packet.pts = packet.dts = start
        packet.duration = end - start
        packet.time_base = TRACK_TIME_BASE
        out.mux(packet)
        n += 1
    return n
