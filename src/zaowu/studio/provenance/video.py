"""Labels on video (MP4): the implicit label as a container metadata tag ``AIGC`` (and ``comment``).

The file is remuxed with PyAV (packets copied, nothing re-encoded, path to path) with ``use_metadata_tags``
so the custom key is kept. The visible mark for the first ``MARK_SECONDS`` and the per-frame watermark are
drawn by the render itself: ``FrameLabel`` is the stage the Studio hands to ``backends/video/pipeline``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from .aigc import parse

__all__ = ["FrameLabel", "label_mp4", "label_mp4_file", "read_mp4_label", "read_watermark", "VIDEO_MIMES"]

VIDEO_MIMES = frozenset({"video/mp4", "video/quicktime"})
COPIED_STREAMS = ("video", "audio", "subtitle")  # what the labelling remux keeps (soft subtitles included)
MARK_SECONDS = 2.0  # GB 45438-2025: a video shows the visible mark for at least its first 2 s
WATERMARK_READ_FRAMES = 48  # frames pooled when verify reads a video's watermark
WATERMARK_REFRESH_FRAMES = 75  # the frame watermark is recomputed for the picture this often (~3 s at 25 fps)


def label_mp4(data: bytes, label_json: str) -> bytes:
    """``data`` remuxed with the label in its metadata (packets copied as they are)."""
    with tempfile.TemporaryDirectory(prefix="zaowu-label-") as tmp:
        src, dst = Path(tmp) / "in.mp4", Path(tmp) / "out.mp4"
        src.write_bytes(data)
        label_mp4_file(src, dst, label_json)
        return dst.read_bytes()


def label_mp4_file(src: Path, dst: Path, label_json: str) -> None:
    """Remux ``src`` into ``dst`` with the label in its metadata, packet by packet (never all in memory)."""
    import av

    with (
        av.open(str(src)) as inp,
        av.open(str(dst), "w", format="mp4", options={"movflags": "use_metadata_tags+faststart"}) as out,
    ):
        out.metadata.update({k: v for k, v in inp.metadata.items() if k not in ("AIGC", "comment")})
        out.metadata["AIGC"] = label_json
        out.metadata["comment"] = label_json
        streams = {}
        for stream in inp.streams:
            if stream.type in COPIED_STREAMS:
                streams[stream.index] = out.add_stream_from_template(stream)
                streams[stream.index].metadata.update(stream.metadata)  # a subtitle track's language and title
        for packet in inp.demux(*[inp.streams[i] for i in streams]):
            if packet.dts is None:
                continue
            packet.stream = streams[packet.stream.index]
            out.mux(packet)


def read_watermark(data: bytes, max_frames: int = WATERMARK_READ_FRAMES) -> tuple[Any, float]:
    """The watermark pooled over the first ``max_frames`` decoded frames: (64 bits or None, confidence)."""
    import av

    from . import watermark

    fd, name = tempfile.mkstemp(suffix=".mp4", prefix="zaowu-verify-")
    try:
        with os.fdopen(fd, "wb") as fp:
            fp.write(data)
        with av.open(name) as inp:
            if not inp.streams.video:
                return None, 0.0
            frames = []
            for frame in inp.decode(video=0):
                frames.append(frame.to_ndarray(format="rgb24"))
                if len(frames) >= max_frames:
                    break
        return watermark.read_frames(frames)
    finally:
        os.unlink(name)


class FrameLabel:
    """The labels drawn into a video's frames as it is rendered (``edit_video(frame_label=...)``): the invisible
    watermark carrying ``produce_id`` on every frame and the visible mark over it for the first ``mark_seconds``.
    Frames are BGR uint8 arrays (the watermark moves R, G and B alike, so the channel order does not matter);
    the mark's plate is drawn once per frame size and blended into the watermarked copy."""

    def __init__(self, produce_id: str, position: str = "bottom-right", mark_seconds: float = MARK_SECONDS) -> None:
        from .watermark import FrameMarker

        self.produce_id = produce_id
        self.position = position
        self.mark_seconds = mark_seconds
        self._marker = FrameMarker(produce_id, refresh=WATERMARK_REFRESH_FRAMES)
        self._plate: tuple[tuple[int, int, int, int], Any, Any] | None = None
        self._size: tuple[int, int] = (0, 0)

    def _patch(self, width: int, height: int) -> tuple[tuple[int, int, int, int], Any, Any]:
        """The plate's box, its BGR pixels times their alpha (plus rounding), and 255 - alpha, for this size."""
        import numpy as np
        from PIL import Image, ImageDraw

        from .image import MARK_TEXT, PLATE_ALPHA, _font, plate_box

        plate = plate_box(width, height, self.position)
        x0, y0, x1, y1 = (max(0, v) for v in plate.box)
        x1, y1 = min(x1, width), min(y1, height)
        overlay = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        draw = ImageDraw.Draw(overlay)
        draw.rounded_rectangle(plate.box, radius=max(2, plate.font_size // 5), fill=(0, 0, 0, PLATE_ALPHA))
        draw.text(plate.text_xy, MARK_TEXT, font=_font(plate.font_size), fill=(255, 255, 255, 255))
        patch = np.asarray(overlay.crop((x0, y0, x1, y1)), dtype=np.uint16)
        alpha = patch[..., 3:]
        # integer blend: out = (under * (255 - a) + colour * a + 127) // 255, the second term precomputed
        return (x0, y0, x1, y1), patch[..., 2::-1] * alpha + 127, 255 - alpha

    def __call__(self, image: Any, t: float) -> Any:
        import numpy as np

        marked = self._marker(np.ascontiguousarray(image))
        if t >= self.mark_seconds:
            return marked
        if marked is image:  # too small to watermark: the input is not ours to draw on
            marked = image.copy()
        height, width = marked.shape[:2]
        if self._plate is None or self._size != (width, height):
            self._plate, self._size = self._patch(width, height), (width, height)
        (x0, y0, x1, y1), over, keep = self._plate
        region = marked[y0:y1, x0:x1].astype(np.uint16)
        marked[y0:y1, x0:x1] = ((region * keep + over) // 255).astype(np.uint8)
        return marked


def read_mp4_label(data: bytes) -> tuple[dict[str, str] | None, str | None]:
    import av

    fd, name = tempfile.mkstemp(suffix=".mp4", prefix="zaowu-verify-")
    try:
        with os.fdopen(fd, "wb") as fp:
            fp.write(data)
        with av.open(name) as inp:
            tags = dict(inp.metadata)
    except (av.error.FFmpegError, OSError, ValueError):
        return None, None
    finally:
        os.unlink(name)
    for key in ("AIGC", "aigc", "comment", "description"):
        if key in tags and (fields := parse(tags[key])):
            return fields, f"MP4 metadata {key}"
    return None, None
