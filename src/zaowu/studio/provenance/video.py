"""Labels on video (MP4): the implicit label as a container metadata tag ``AIGC`` (and ``comment``).

The file is remuxed with PyAV (packets copied, nothing re-encoded) with ``use_metadata_tags`` so the
custom key is kept. The visible mark for the first seconds belongs in the render itself: the
``video_mark_hook`` call site in ``labels.py`` names where the video pipeline draws it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .aigc import parse

__all__ = ["label_mp4", "read_mp4_label", "VIDEO_MIMES"]

VIDEO_MIMES = frozenset({"video/mp4", "video/quicktime"})


def label_mp4(data: bytes, label_json: str) -> bytes:
    """``data`` remuxed with the label in its metadata (packets copied as they are)."""
    import av

    with tempfile.TemporaryDirectory(prefix="zaowu-label-") as tmp:
        src, dst = Path(tmp) / "in.mp4", Path(tmp) / "out.mp4"
        src.write_bytes(data)
        with (
            av.open(str(src)) as inp,
            av.open(str(dst), "w", format="mp4", options={"movflags": "use_metadata_tags+faststart"}) as out,
        ):
            out.metadata.update({k: v for k, v in inp.metadata.items() if k not in ("AIGC", "comment")})
            out.metadata["AIGC"] = label_json
            out.metadata["comment"] = label_json
            streams = {}
            for stream in inp.streams:
                if stream.type in ("video", "audio"):
                    streams[stream.index] = out.add_stream_from_template(stream)
            for packet in inp.demux(*[inp.streams[i] for i in streams]):
                if packet.dts is None:
                    continue
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
        return dst.read_bytes()


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
