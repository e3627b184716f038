"""Synthetic videos with known ground truth for the video editor's tests and bench: a textured
static background, a textured square moving along a path (its box known per frame), an optional
occluder passing over it, and a tone as soundtrack."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RATE = 48_000


def background(width: int, height: int, seed: int = 1) -> np.ndarray:
    """A textured BGR background: smooth blotches, a gradient and a fine grain (not flat, not noise)."""
    import cv2

    rng = np.random.default_rng(seed)
    small = rng.uniform(40, 215, (height // 16 + 2, width // 16 + 2, 3)).astype(np.float32)
    img = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    img += (20 * np.sin(xs / 7.0) * np.cos(ys / 11.0))[..., None]
    return np.clip(img, 0, 255).astype(np.uint8)


def target_patch(size: int, seed: int = 7) -> np.ndarray:
    """A distinctive object: a red square with a dark cross and a yellow disc."""
    import cv2

    patch = np.zeros((size, size, 3), np.uint8)
    patch[:] = (40, 40, 220)
    cv2.line(patch, (0, 0), (size - 1, size - 1), (20, 20, 20), max(2, size // 10))
    cv2.line(patch, (size - 1, 0), (0, size - 1), (20, 20, 20), max(2, size // 10))
    cv2.circle(patch, (size // 2, size // 2), size // 5, (0, 230, 255), -1)
    return patch


@dataclass
class Scene:
    path: Path
    width: int
    height: int
    fps: int
    seconds: float
    boxes: list[tuple[int, int, int, int]] = field(default_factory=list)
    """The object's true [x, y, w, h] per frame."""
    clean: np.ndarray | None = None
    """The background without the object (BGR)."""
    occluded: range = range(0)
    """Frames where the occluder covers the object."""


def make_scene(
    path: Path,
    *,
    width: int = 320,
    height: int = 240,
    fps: int = 30,
    seconds: float = 3.0,
    size: int = 40,
    occlude: tuple[float, float] | None = None,
    audio: bool = True,
    crf: int = 16,
    keyint: int | None = None,
    pan: int = 0,
) -> Scene:
    """Write an MP4 (H.264 + AAC tone) of the object crossing the background; ``occlude`` = (from, to) seconds
    during which a grey bar hides it; ``pan``: the camera pans this many pixels per frame (``clean`` is then
    the first frame's background). Keyframes every second unless ``keyint`` says otherwise."""
    import av

    n = round(seconds * fps)
    wide = background(width + pan * n, height)
    bg = wide[:, :width]
    patch = target_patch(size)
    scene = Scene(path, width, height, fps, seconds, clean=bg)
    if occlude:
        scene.occluded = range(round(occlude[0] * fps), round(occlude[1] * fps))
    with av.open(str(path), "w", format="mp4") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vs.options = {
            "crf": str(crf),
            "preset": "veryfast",
            "g": str(keyint or fps),
            "keyint_min": str(keyint or fps),
            "sc_threshold": "0",
        }
        aus = out.add_stream("aac", rate=RATE, layout="stereo") if audio else None
        per_frame = RATE // fps
        for i in range(n):
            u = i / max(1, n - 1)
            x = round(20 + u * (width - size - 40))
            y = round(height / 2 - size / 2 + (height / 4) * np.sin(u * 2 * np.pi))
            img = wide[:, i * pan : i * pan + width].copy()
            img[y : y + size, x : x + size] = patch
            scene.boxes.append((x, y, size, size))
            if i in scene.occluded:
                ox = x + size // 2 - size
                img[:, max(0, ox) : max(0, ox + 2 * size)] = (128, 128, 128)
            frame = av.VideoFrame.from_ndarray(img, format="bgr24")
            frame.pts = i
            out.mux(vs.encode(frame))
            if aus is not None:
                t = (np.arange(per_frame) + i * per_frame) / RATE
                tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
                af = av.AudioFrame.from_ndarray(np.stack([tone, tone]), format="fltp", layout="stereo")
                af.sample_rate, af.pts = RATE, i * per_frame
                out.mux(aus.encode(af))
        out.mux(vs.encode(None))
        if aus is not None:
            out.mux(aus.encode(None))
    return scene


def read_frames(path: Path) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as c:
        return [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]


def media_info(path: Path) -> dict:
    """Width, height, fps, frame count, duration and audio duration of a file, read back with PyAV."""
    import av

    with av.open(str(path)) as c:
        vs = c.streams.video[0]
        info = {
            "width": vs.codec_context.width,
            "height": vs.codec_context.height,
            "fps": float(vs.average_rate or vs.guessed_rate),
            "video_codec": vs.codec_context.name,
            "pix_fmt": vs.codec_context.pix_fmt,
            "duration": c.duration / 1e6 if c.duration else 0.0,
        }
        info["frames"] = sum(1 for _ in c.decode(vs))
    with av.open(str(path)) as c:
        info["audio_codec"], info["audio_seconds"] = None, 0.0
        if c.streams.audio:
            info["audio_codec"] = c.streams.audio[0].codec_context.name
            rate = c.streams.audio[0].codec_context.sample_rate
            info["audio_seconds"] = sum(f.samples for f in c.decode(audio=0)) / rate
    return info
