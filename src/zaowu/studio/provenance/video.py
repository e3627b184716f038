"""Labels on video (MP4): the implicit label as a container metadata tag ``AIGC`` (and ``comment``).

A render labelled by ``FrameLabel`` writes the tags itself (``FrameLabel.metadata``, ``use_metadata_tags``), which
``has_label_tags`` finds in the ``moov`` box, so storing it needs no remux; any other MP4 is remuxed with PyAV
(packets copied, nothing re-encoded, path to path). The visible mark for the first ``MARK_SECONDS`` and the
per-frame watermark are drawn by the render itself, on the I420 planes the encoder encodes
(``FrameLabel.yuv420p``): ``FrameLabel`` is the stage the Studio hands to ``backends/video/pipeline``.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

from .aigc import parse

__all__ = [
    "FrameLabel",
    "container_tags",
    "has_label_tags",
    "label_mp4",
    "label_mp4_file",
    "read_mp4_label",
    "read_watermark",
    "VIDEO_MIMES",
]

VIDEO_MIMES = frozenset({"video/mp4", "video/quicktime"})
COPIED_STREAMS = ("video", "audio", "subtitle")  # what the labelling remux keeps (soft subtitles included)
MARK_SECONDS = 2.0  # GB 45438-2025: a video shows the visible mark for at least its first 2 s
WATERMARK_READ_FRAMES = 48  # frames pooled when verify reads a video's watermark
MAX_MOOV_BYTES = 64 << 20  # largest moov box read when checking for the render's own label tags
WATERMARK_REFRESH_FRAMES = 75  # the frame watermark is recomputed for the picture this often (~3 s at 25 fps)


def container_tags(label_json: str) -> dict[str, str]:
    """The MP4 tags that carry the implicit label."""
    return {"AIGC": label_json, "comment": label_json}


def has_label_tags(source: Path | bytes, label_json: str) -> bool:
    """Whether the MP4 at ``source`` (a path, or the file's bytes) already carries exactly this label in its tags
    (written by the render), read from the ``moov`` box alone (faststart puts it first): nothing is decoded."""
    if isinstance(source, bytes):
        return _moov_holds(io.BytesIO(source), label_json.encode("utf-8"))
    with source.open("rb") as fp:
        return _moov_holds(fp, label_json.encode("utf-8"))


def _moov_holds(fp: BinaryIO, want: bytes) -> bool:
    while header := fp.read(8):
        if len(header) < 8:
            return False
        size, kind = int.from_bytes(header[:4], "big"), header[4:]
        if size == 1:
            size = int.from_bytes(fp.read(8), "big") - 8
        if size < 8 or kind == b"mdat":
            return False
        if kind == b"moov":
            moov = fp.read(size - 8) if size <= MAX_MOOV_BYTES else b""
            return b"AIGC" in moov and want in moov
        fp.seek(size - 8, os.SEEK_CUR)
    return False


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
        out.metadata.update(container_tags(label_json))
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
    The encoder calls ``yuv420p`` on the I420 planes it encodes (the watermark on Y, the plate on Y, U and V: no
    extra colour conversion); frames with alpha get ``__call__`` on BGR (the watermark moves R, G and B alike, so
    the channel order does not matter). The plate is drawn once per frame size. With a ``producer``, ``metadata``
    holds the implicit label for the container, so the file needs no labelling remux afterwards."""

    def __init__(
        self,
        produce_id: str,
        position: str = "bottom-right",
        mark_seconds: float = MARK_SECONDS,
        producer: str | None = None,
    ) -> None:
        from .aigc import AIGCLabel
        from .watermark import FrameMarker

        self.produce_id = produce_id
        # the implicit label the render writes as container tags (label_file then finds it and skips its remux)
        self.metadata = container_tags(AIGCLabel.create(producer, produce_id).to_json()) if producer else None
        self.position = position
        self.mark_seconds = mark_seconds
        self._marker = FrameMarker(produce_id, refresh=WATERMARK_REFRESH_FRAMES)
        self._plate: tuple[tuple[int, int, int, int], Any, Any] | None = None
        self._size: tuple[int, int] = (0, 0)
        self._yuv_plate: tuple[tuple[int, int, int, int], list[tuple[Any, Any]]] | None = None
        self._yuv_size: tuple[int, int] = (0, 0)

    def _overlay(
        self, width: int, height: int, box: tuple[int, int, int, int] | None = None
    ) -> tuple[tuple[int, int, int, int], Any, Any]:
        """The plate's box (or ``box`` around it), its BGR pixels and their alpha (uint8), for this frame size."""
        import numpy as np
        from PIL import Image, ImageDraw

        from .image import MARK_TEXT, PLATE_ALPHA, _font, plate_box

        plate = plate_box(width, height, self.position)
        x0, y0, x1, y1 = box or tuple(max(0, v) for v in plate.box)
        x1, y1 = min(x1, width), min(y1, height)
        overlay = Image.new("RGBA", (x1 - x0, y1 - y0), (0, 0, 0, 0))  # the box only, drawn shifted into it
        draw = ImageDraw.Draw(overlay)
        px0, py0, px1, py1 = plate.box
        radius = max(2, plate.font_size // 5)
        draw.rounded_rectangle((px0 - x0, py0 - y0, px1 - x0, py1 - y0), radius=radius, fill=(0, 0, 0, PLATE_ALPHA))
        text_xy = (plate.text_xy[0] - x0, plate.text_xy[1] - y0)
        draw.text(text_xy, MARK_TEXT, font=_font(plate.font_size), fill=(255, 255, 255, 255))
        patch = np.asarray(overlay)
        return (x0, y0, x1, y1), np.ascontiguousarray(patch[..., 2::-1]), patch[..., 3]

    def _patch(self, width: int, height: int) -> tuple[tuple[int, int, int, int], Any, Any]:
        """The plate's box, its BGR pixels times their alpha (plus rounding), and 255 - alpha, for this size."""
        import numpy as np

        box, colour, alpha = self._overlay(width, height)
        a = alpha[..., None].astype(np.uint16)
        # integer blend: out = (under * (255 - a) + colour * a + 127) // 255, the second term precomputed
        return box, colour.astype(np.uint16) * a + 127, 255 - a

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

    def yuv420p(self, yuv: Any, t: float) -> Any:
        """The same labels drawn on an I420 frame in place (``(h * 3 // 2, w)`` uint8, BT.601 limited range, what
        the encoder is about to encode): the watermark on the Y plane, the plate blended into Y, U and V."""
        import numpy as np

        height, width = yuv.shape[0] * 2 // 3, yuv.shape[1]
        self._marker.mark_luma(yuv[:height])
        if t >= self.mark_seconds:
            return yuv
        if self._yuv_plate is None or self._yuv_size != (width, height):
            self._yuv_plate, self._yuv_size = self._yuv_patch(width, height), (width, height)
        quarter = height // 2 * (width // 2)
        u = yuv[height:].reshape(-1)[:quarter].reshape(height // 2, width // 2)
        v = yuv[height:].reshape(-1)[quarter:].reshape(height // 2, width // 2)
        (x0, y0, x1, y1), planes = self._yuv_plate
        for plane, (over, keep), step in zip((yuv[:height], u, v), planes, (1, 2, 2), strict=True):
            region = plane[y0 // step : y1 // step, x0 // step : x1 // step]
            region[...] = (region.astype(np.uint16) * keep + over) // 255
        return yuv

    def _yuv_patch(self, width: int, height: int) -> tuple[tuple[int, int, int, int], list[tuple[Any, Any]]]:
        """The plate's box (widened to even sides) and, for Y, U and V, its colour times alpha (plus rounding) and
        255 - alpha; a chroma sample's alpha is the mean of its 2x2 pixels'."""
        import cv2
        import numpy as np

        from .image import plate_box

        x0, y0, x1, y1 = (max(0, v) for v in plate_box(width, height, self.position).box)
        box = x0 // 2 * 2, y0 // 2 * 2, min(width, -(-x1 // 2) * 2), min(height, -(-y1 // 2) * 2)
        _, colour, alpha = self._overlay(width, height, box)
        h, w = alpha.shape
        i420 = cv2.cvtColor(colour, cv2.COLOR_BGR2YUV_I420)
        half = cv2.resize(alpha.astype(np.float32), (w // 2, h // 2), interpolation=cv2.INTER_AREA)
        quarter = h // 2 * (w // 2)
        chroma = i420[h:].reshape(-1)
        planes = (
            (i420[:h], alpha.astype(np.uint16)),
            (chroma[:quarter].reshape(h // 2, w // 2), np.rint(half).astype(np.uint16)),
            (chroma[quarter:].reshape(h // 2, w // 2), np.rint(half).astype(np.uint16)),
        )
        return box, [(plane.astype(np.uint16) * a + 127, 255 - a) for plane, a in planes]


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
