"""Checking a video before any work: it opens, holds a decodable video stream, and stays within limits.

Every failure is an :class:`~zaowu.errors.InvalidRequest` naming ``video`` (the file is not a
video, or is damaged) or the limit it breaks (``video_max_seconds``, ``video_max_pixels``,
``video_max_upload_bytes``), with the fix in the message.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from ...errors import InvalidRequest

__all__ = ["DEFAULT_LIMITS", "VideoInfo", "VideoLimits", "open_input", "probe_video", "upright_turn"]

log = logging.getLogger(__name__)

MAX_SECONDS = 3600.0
"""Longest input by default (settings: ``video_max_seconds``)."""
MAX_PIXELS = 3840 * 2160
"""Largest frame by default, width x height (settings: ``video_max_pixels``)."""
MAX_INPUTS = 16
"""Most videos one edit concatenates by default (settings: ``video_max_inputs``)."""
MAX_BYTES = 2 << 30
"""Largest input file by default (settings: ``video_max_upload_bytes``)."""
PROBE_PACKETS = 300
"""Packets read at most while looking for the first decodable frame."""
IMAGE_FORMATS = ("image2", "png_pipe", "jpeg_pipe", "webp_pipe", "gif", "bmp_pipe", "tiff_pipe", "apng")
"""Containers FFmpeg opens as one-frame "videos" that are really pictures."""


@dataclass(frozen=True)
class VideoLimits:
    max_seconds: float = MAX_SECONDS
    max_pixels: int = MAX_PIXELS
    max_inputs: int = MAX_INPUTS
    max_bytes: int = MAX_BYTES

    @classmethod
    def from_settings(cls, settings: Any) -> VideoLimits:
        return cls(
            max_seconds=settings.video_max_seconds,
            max_pixels=settings.video_max_pixels,
            max_inputs=settings.video_max_inputs,
            max_bytes=settings.video_max_upload_bytes,
        )


DEFAULT_LIMITS = VideoLimits()


@dataclass(frozen=True)
class VideoInfo:
    path: str
    container: str
    video_codec: str
    width: int
    height: int
    fps: Fraction
    duration: float
    frames: int
    """Frames the stream declares, or duration x fps when it declares none."""
    audio_codec: str | None = None
    sample_rate: int | None = None
    channels: int | None = None
    turn: int = 0
    """Degrees clockwise the decoded pictures are turned to show upright (a phone's display rotation);
    width and height are those of the upright picture."""

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None

    def as_dict(self) -> dict:
        return {
            "container": self.container,
            "video_codec": self.video_codec,
            "width": self.width,
            "height": self.height,
            "fps": float(self.fps),
            "duration": round(self.duration, 3),
            "frames": self.frames,
            "audio_codec": self.audio_codec,
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "turn": self.turn,
        }


def _bad(message: str, param: str = "video") -> InvalidRequest:
    return InvalidRequest(message, param=param)


def open_input(path: str | os.PathLike, param: str = "video"):
    """An open PyAV container, or InvalidRequest naming ``param`` when it is not a readable media file."""
    import av

    try:
        return av.open(str(path), mode="r", metadata_errors="ignore")
    except (av.FFmpegError, OSError, UnicodeDecodeError, ValueError) as exc:
        raise _bad(
            f"'{param}' is not a readable video file ({type(exc).__name__}). Upload an MP4, MOV, MKV or WebM video.",
            param,
        ) from None


def _duration(container, stream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return 0.0


def upright_turn(frame) -> int:
    """Degrees clockwise to turn a decoded frame so it shows upright (from its display matrix)."""
    rotation = getattr(frame, "rotation", 0) or 0
    return round(-rotation / 90) % 4 * 90


def _first_frame(container, stream):
    """The first decoded frame, or None when no frame of the first packets decodes."""
    import av

    try:
        for i, packet in enumerate(container.demux(stream)):
            for frame in packet.decode():
                return frame
            if i >= PROBE_PACKETS:
                return None
        for frame in stream.codec_context.decode(None):  # flush: short clips can hold their only frame back
            return frame
    except (av.FFmpegError, ValueError):
        return None
    return None


def probe_video(path: str | os.PathLike, limits: VideoLimits = DEFAULT_LIMITS, param: str = "video") -> VideoInfo:
    """What the file holds, checked: a video stream that decodes, within ``limits``. Raises InvalidRequest."""
    size = Path(path).stat().st_size
    if size > limits.max_bytes:
        raise _bad(
            f"'{param}' is {size / 2**20:.0f} MiB; the limit (video_max_upload_bytes) is "
            f"{limits.max_bytes / 2**20:.0f} MiB. Trim or compress it first.",
            "video_max_upload_bytes",
        )
    if size == 0:
        raise _bad(f"'{param}' is empty. Upload an MP4, MOV, MKV or WebM video.", param)
    with open_input(path, param) as container:
        fmt = container.format.name
        if not container.streams.video or any(f in fmt.split(",") for f in IMAGE_FORMATS):
            raise _bad(f"'{param}' holds no video stream ({fmt}). Upload an MP4, MOV, MKV or WebM video.", param)
        vs = container.streams.video[0]
        cc = vs.codec_context
        width, height = cc.width or 0, cc.height or 0
        fps = vs.average_rate or vs.guessed_rate or vs.base_rate
        duration = _duration(container, vs)
        if not width or not height or not fps or duration <= 0:
            raise _bad(
                f"'{param}' is damaged: its video stream has no size, frame rate or duration. "
                "Re-export it as MP4 (H.264).",
                param,
            )
        if width * height > limits.max_pixels:
            raise _bad(
                f"'{param}' is {width}x{height}; the limit (video_max_pixels) is {limits.max_pixels} pixels "
                "per frame. Scale it down first.",
                "video_max_pixels",
            )
        if duration > limits.max_seconds:
            raise _bad(
                f"'{param}' lasts {duration:.1f} s; the limit (video_max_seconds) is "
                f"{limits.max_seconds:g} s. Trim it first.",
                "video_max_seconds",
            )
        audio = container.streams.audio[0] if container.streams.audio else None
        info = VideoInfo(
            path=str(path),
            container=fmt,
            video_codec=cc.name,
            width=width,
            height=height,
            fps=Fraction(fps),
            duration=duration,
            frames=vs.frames or round(duration * float(fps)),
            audio_codec=audio.codec_context.name if audio else None,
            sample_rate=audio.codec_context.sample_rate if audio else None,
            channels=audio.codec_context.channels if audio else None,
        )
        first = _first_frame(container, vs)
        if first is None:
            raise _bad(
                f"'{param}' is damaged: no frame of its {cc.name} video decodes. Re-export it as MP4 (H.264).", param
            )
        turn = upright_turn(first)
        if turn:
            upright = (height, width) if turn in (90, 270) else (width, height)
            info = replace(info, width=upright[0], height=upright[1], turn=turn)
    log.debug("probed %s: %s", path, info)
    return info
