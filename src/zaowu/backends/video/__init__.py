"""Video editing: typed operations applied in one streaming decode → process → encode pass.

    probe.py     ``probe_video(path, limits)``: container, codecs, size, fps, duration, checked before any work
    stage.py     frames, audio chunks, the planned stream state and the stage contract
    ops.py       the operations (pydantic models, a union discriminated on ``op``) and ``VideoEdit``
    timeline.py  time operations on a stream of frames and audio chunks: trim, cut, speed, fps
    frames.py    per-frame geometry and looks: crop, resize/pad, rotate, fade
    track.py     ``track``: a box followed frame by frame (CSRT/KCF + template re-detection)
    remove.py    ``remove``: a tracked box or a static mask filled from the background, then inpainted
    style.py     ``style``: colour grade, contrast, cartoon, pencil, grain, vignette, black and white
    matte.py     ``matte``: a person matte (mediapipe) refined by a guided filter, background replaced
    subtitles.py ``subtitles``: captions burned in (CJK font, wrapped), a soft mov_text track, SRT/VTT files
    audio.py     audio kept, muted, replaced or mixed, streamed in chunks
    remux.py     stream copy (trim at a keyframe, mute, same-codec concat) without decoding
    pipeline.py  ``edit_video(inputs, edit, output)``: plans the pass, streams it, stream-copies when it can

    from zaowu.backends.video import edit_video
    result = edit_video(["in.mp4"], {"operations": [{"op": "trim", "start": 1, "end": 3}]}, "out.mp4")

Memory stays flat in the video's length: frames flow one at a time (``remove`` keeps a bounded
look-ahead window). Output is H.264 yuv420p + AAC in an MP4 with the index first (faststart),
written to a temporary file beside the output and moved into place only when complete.
Importing this package loads nothing heavy: PyAV, NumPy and OpenCV are imported where used.
"""

from __future__ import annotations

from typing import Any

__all__ = ["EditResult", "VideoEdit", "VideoInfo", "VideoLimits", "edit_video", "probe_video"]


def __getattr__(name: str) -> Any:
    if name in ("edit_video", "EditResult"):
        from . import pipeline

        return getattr(pipeline, name)
    if name in ("probe_video", "VideoLimits", "VideoInfo"):
        from . import probe

        return getattr(probe, name)
    if name == "VideoEdit":
        from .ops import VideoEdit

        return VideoEdit
    raise AttributeError(name)
