"""Stream copy: trim (at a keyframe), mute and concatenation of same-codec inputs without decoding.

Used when no frame changes: the packets are remuxed with shifted timestamps, so the output has
exactly the input's quality and the pass runs at disk speed. A trim's start must fall on a
keyframe (within half a frame); its end is cut at the first packet decoded after it, so the copy
may run up to a few frames past ``end``. Anything else falls back to the decode/encode pass.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ... import cancel
from .probe import VideoInfo, open_input
from .stage import Stage, State

__all__ = ["COPY_AUDIO_CODECS", "COPY_VIDEO_CODECS", "CopyPlan", "plan_copy", "write_copy"]

log = logging.getLogger(__name__)

COPY_VIDEO_CODECS = ("h264", "hevc")
"""Video codecs copied into the MP4 as they are."""
COPY_AUDIO_CODECS = ("aac", "mp3")
"""Audio codecs copied into the MP4 as they are."""


def _signature(info: VideoInfo, with_audio: bool) -> tuple | None:
    with open_input(info.path) as c:
        vs = c.streams.video[0]
        if vs.codec_context.name not in COPY_VIDEO_CODECS:
            return None
        sig: tuple = (
            vs.codec_context.name,
            info.width,
            info.height,
            info.fps,
            bytes(vs.codec_context.extradata or b""),
        )
        if with_audio:
            if not c.streams.audio:
                return None
            ac = c.streams.audio[0].codec_context
            if ac.name not in COPY_AUDIO_CODECS:
                return None
            sig += (ac.name, ac.sample_rate, ac.channels, bytes(ac.extradata or b""))
        return sig


def _keyframe_at(info: VideoInfo, start: float) -> float | None:
    """The time of the keyframe at ``start`` (within half a frame), or None when there is none."""
    with open_input(info.path) as c:
        vs = c.streams.video[0]
        origin = vs.start_time or 0
        c.seek(int(start / vs.time_base) + origin, stream=vs, backward=True)
        for packet in c.demux(vs):
            if packet.pts is None:
                continue
            t = float((packet.pts - origin) * vs.time_base)
            if packet.is_keyframe and abs(t - start) <= 0.5 / float(info.fps):
                return t
            return None
    return None


@dataclass(frozen=True)
class CopyPlan:
    start: float
    end: float | None
    audio: bool


def plan_copy(inputs: list[VideoInfo], stages: list[Stage], final: State) -> CopyPlan | None:
    """How to copy packets for this edit, or None when some frame changes (or the streams do not allow it).
    Stages that only look at frames (``changes_frames`` False, e.g. a track with no action) are allowed:
    the caller runs them on a decode-only pass."""
    timing = [s.name for s in stages if s.name != "mute" and s.changes_frames]
    if any(n != "trim" for n in timing) or timing.count("trim") > 1:
        return None
    if any(s.name not in ("trim", "mute") and s.changes_audio for s in stages):
        return None
    trim = next((s for s in stages if s.name == "trim"), None)
    if trim is not None and (len(inputs) > 1 or stages.index(trim) != 0):
        return None
    if len({_signature(i, final.audio) for i in inputs}) != 1 or _signature(inputs[0], final.audio) is None:
        return None
    start, end = (trim.start, trim.end) if trim is not None else (0.0, None)  # type: ignore[attr-defined]
    if start > 0:
        key = _keyframe_at(inputs[0], start)
        if key is None:
            log.debug("stream copy: no keyframe at %.3f s; re-encoding", start)
            return None
        start = key
    return CopyPlan(start, end, final.audio)


def write_copy(inputs: list[VideoInfo], plan: CopyPlan, tmp: Path) -> tuple[int, float]:
    """Copy the packets the plan keeps into ``tmp``: (video frames, seconds) written."""
    return _copy(inputs, plan.start, plan.end, plan.audio, tmp)


def _copy(inputs: list[VideoInfo], start: float, end: float | None, with_audio: bool, tmp: Path) -> tuple[int, float]:
    import av

    frames = 0
    with av.open(str(tmp), mode="w", format="mp4", options={"movflags": "+faststart"}) as out:
        with open_input(inputs[0].path) as c0:
            ovs = out.add_stream_from_template(c0.streams.video[0])
            oas = out.add_stream_from_template(c0.streams.audio[0]) if with_audio else None
        offset = 0.0
        last = {"v": None, "a": None}
        for info in inputs:
            with open_input(info.path) as c:
                streams = [c.streams.video[0]] + ([c.streams.audio[0]] if with_audio else [])
                if start > 0:
                    vs = streams[0]
                    c.seek(int(start / vs.time_base) + (vs.start_time or 0), stream=vs, backward=True)
                video_end = offset
                for packet in c.demux(*streams):
                    cancel.check()
                    if packet.dts is None or packet.pts is None:
                        continue
                    stream = packet.stream
                    is_video = stream.type == "video"
                    tb, origin = stream.time_base, stream.start_time or 0
                    t_pts = float((packet.pts - origin) * tb)
                    t_dts = float((packet.dts - origin) * tb)
                    if end is not None and (t_dts if is_video else t_pts) >= end:
                        continue
                    if not is_video and t_pts < start - 1e-3:
                        continue
                    shift = -origin - round(start / tb) + round(offset / tb)
                    packet.pts += shift
                    packet.dts += shift
                    key = "v" if is_video else "a"
                    if last[key] is not None and packet.dts * tb <= last[key]:
                        continue  # an overlap at a join: keep timestamps increasing
                    last[key] = packet.dts * tb
                    if is_video:
                        frames += 1
                        video_end = max(video_end, float(packet.pts * tb) + float((packet.duration or 0) * tb))
                    packet.stream = ovs if is_video else oas
                    out.mux(packet)
            offset = video_end
    return frames, offset
