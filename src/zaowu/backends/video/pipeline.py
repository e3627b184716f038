"""``edit_video``: probe the inputs, plan the operations, then one streaming pass (or a stream copy).

    decode (PyAV, per input, concatenated) → stage 1 → … → stage n → encode (H.264 yuv420p + AAC)

Video and audio are two lazy chains pulled in time order by the muxer, so at any moment the pass
holds a few frames and a few audio chunks, whatever the video's length. The output is written to
a hidden temporary file beside ``output`` and moved into place only when complete; on any error or
cancellation (``zaowu.cancel``, checked per frame) the temporary file is removed.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from ... import cancel
from ...errors import InvalidRequest
from .ops import VideoEdit, parse_edit
from .probe import DEFAULT_LIMITS, VideoInfo, VideoLimits, open_input, probe_video
from .stage import EPS, RATE, Chunk, Frame, Stage, State

__all__ = [
    "EditProgress",
    "EditResult",
    "FrameLabelFn",
    "LabelStage",
    "build_stages",
    "check_edit",
    "current_frame_label",
    "edit_video",
    "frame_labels",
    "labelled",
]

log = logging.getLogger(__name__)

FrameLabelFn = Callable[[Any, float], Any]
"""A caller's labels for each output frame: (BGR uint8 picture, time in s) -> labelled picture. When the callable
also has a ``yuv420p(planes, t)`` method, the encoder calls that instead on the I420 array it is about to encode
(``(h * 3 // 2, w)`` uint8: the Y plane, then U, then V), which it may change in place: the labels then cost no
extra colour conversion (frames with an alpha channel still get the BGR call). A ``metadata`` attribute (a dict of
str) on it is written as the output container's tags (MP4: ``use_metadata_tags``, so custom keys are kept)."""

_FRAME_LABEL: ContextVar[FrameLabelFn | None] = ContextVar("zaowu_frame_label", default=None)


@contextmanager
def frame_labels(label: FrameLabelFn | None) -> Iterator[None]:
    """Run the block with ``label`` as the frame labels of every video rendered in it by a backend that takes no
    ``frame_label`` argument (the storyboard renderer reads ``current_frame_label``): the caller's labels reach
    the render without the backend interface knowing of them."""
    token = _FRAME_LABEL.set(label)
    try:
        yield
    finally:
        _FRAME_LABEL.reset(token)


def current_frame_label() -> FrameLabelFn | None:
    """The frame labels set by ``frame_labels`` around the current render, if any."""
    return _FRAME_LABEL.get()


def labelled(frames: Iterator[Frame], label: FrameLabelFn | None) -> Iterator[Frame]:
    """``frames`` with ``label`` applied as ``LabelStage`` applies it (drawn by the encoder when it can)."""
    if label is None:
        return frames
    return LabelStage(label).video(frames)


@dataclass(frozen=True)
class EditProgress:
    """Where the pass is: output frames written of those planned, and frames each operation has handled."""

    frame: int
    total: int
    operations: tuple[tuple[str, int], ...]

    @property
    def fraction(self) -> float:
        return min(1.0, self.frame / self.total) if self.total else 0.0


@dataclass
class EditResult:
    path: Path
    width: int
    height: int
    fps: float
    duration: float
    frames: int
    audio: bool
    format: str
    copied: bool
    """True when the streams were copied without decoding (nothing re-encoded)."""
    seconds: float
    tracks: dict[str, list[dict]] = field(default_factory=dict)
    inputs: list[dict] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    """Wall seconds spent in decoding, in each operation ("2:track") and in encoding/muxing."""
    subtitles: list[dict] = field(default_factory=list)
    """Per subtitles operation: its index, language, cue count, the SRT and VTT paths, and whether the
    output holds it as a soft track."""

    def as_dict(self) -> dict:
        return {
            "path": str(self.path),
            "width": self.width,
            "height": self.height,
            "fps": self.fps,
            "duration": round(self.duration, 3),
            "frames": self.frames,
            "audio": self.audio,
            "format": self.format,
            "copied": self.copied,
            "seconds": round(self.seconds, 3),
            "tracks": self.tracks,
            "inputs": self.inputs,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "subtitles": [{k: str(v) if isinstance(v, Path) else v for k, v in s.items()} for s in self.subtitles],
        }


ProgressFn = Callable[[EditProgress], None]


def _stage_for(op, param: str, assets: dict[str, Path]) -> Stage:
    kind = op.op
    if kind in ("trim", "cut", "speed", "fps"):
        from . import timeline

        cls = {
            "trim": timeline.TrimStage,
            "cut": timeline.CutStage,
            "speed": timeline.SpeedStage,
            "fps": timeline.FpsStage,
        }[kind]
        return cls(op, param)
    if kind in ("crop", "resize", "rotate", "fade"):
        from . import frames

        cls = {
            "crop": frames.CropStage,
            "resize": frames.ResizeStage,
            "rotate": frames.RotateStage,
            "fade": frames.FadeStage,
        }[kind]
        return cls(op, param)
    if kind == "mute":
        from .audio import MuteStage

        return MuteStage(op, param)
    if kind == "audio":
        from .audio import AudioStage

        return AudioStage(op, param, assets)
    if kind == "track":
        from .track import TrackStage

        return TrackStage(op, param)
    if kind == "remove":
        from .remove import RemoveStage

        return RemoveStage(op, param, assets)
    if kind == "style":
        from .style import StyleStage

        return StyleStage(op, param)
    if kind == "subtitles":
        from .subtitles import SubtitlesStage

        return SubtitlesStage(op, param)
    if kind == "matte":
        from .matte import MatteStage

        return MatteStage(op, param, assets)
    raise InvalidRequest(f"'{param}.op' {kind!r} is not supported.", param=f"{param}.op")


def build_stages(edit: VideoEdit, state: State, assets: dict[str, Path]) -> tuple[list[Stage], State]:
    """One stage per operation (concat is handled by the sources), each planned against the stream before it."""
    stages: list[Stage] = []
    for i, op in enumerate(edit.operations):
        if op.op == "concat":
            continue
        stage = _stage_for(op, f"operations.{i}", assets)
        state = stage.plan(state)
        stages.append(stage)
    return stages, state


# ------------------------------------------------------------------------------------------ sources


def _ordered_inputs(edit: VideoEdit, infos: list[VideoInfo]) -> tuple[list[VideoInfo], str]:
    concat = next((op for op in edit.operations if op.op == "concat"), None)
    if concat is None or concat.order is None:
        return infos, (concat.fit if concat else "pad")
    for j, k in enumerate(concat.order):
        if k >= len(infos):
            raise InvalidRequest(
                f"'operations.0.order.{j}' is {k}, but only {len(infos)} videos were given.",
                param=f"operations.0.order.{j}",
            )
    return [infos[k] for k in concat.order], concat.fit


_TURNS = {90: 0, 180: 1, 270: 2}  # cv2.ROTATE_90_CLOCKWISE, ROTATE_180, ROTATE_90_COUNTERCLOCKWISE


def _decode_video(
    container, info: VideoInfo, offset: float, size: tuple[int, int], fit: str, seek: float
) -> Iterator[Frame]:
    import av
    import cv2

    from .frames import fit_image

    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    origin = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
    if seek > 0:
        container.seek(int(seek / stream.time_base) + (stream.start_time or 0), stream=stream, backward=True)
    index = 0
    try:
        for frame in container.decode(stream):
            t = float(frame.pts * frame.time_base) - origin if frame.pts is not None else index / float(info.fps)
            index += 1
            if t >= info.duration - EPS:
                break
            image = frame.to_ndarray(format="bgr24")
            if info.turn:
                image = cv2.rotate(image, _TURNS[info.turn])
            if (image.shape[1], image.shape[0]) != size:
                image = fit_image(image, *size, fit=fit)
            yield Frame(image, offset + max(t, 0.0))
    except av.FFmpegError as exc:
        raise InvalidRequest(
            f"'video' is damaged: decoding failed at {index} frames ({exc}). Re-export it as MP4.", param="video"
        ) from None


def _sources(
    stack: ExitStack, inputs: list[VideoInfo], fit: str, seek: float, fps: Fraction, with_audio: bool
) -> tuple[Iterator[Frame], Iterator[Chunk]]:
    from .audio import decode_audio
    from .timeline import resample

    size = (inputs[0].width, inputs[0].height)

    def video() -> Iterator[Frame]:
        offset = 0.0
        for info in inputs:
            container = stack.enter_context(open_input(info.path))
            yield from _decode_video(container, info, offset, size, fit, seek if len(inputs) == 1 else 0.0)
            container.close()
            offset += info.duration

    def audio() -> Iterator[Chunk]:
        offset = 0.0
        for info in inputs:
            container = stack.enter_context(open_input(info.path))
            yield from decode_audio(container, offset, offset + info.duration, seek if len(inputs) == 1 else 0.0)
            container.close()
            offset += info.duration

    frames: Iterator[Frame] = video()
    if any(info.fps != fps for info in inputs):
        frames = resample(frames, fps, 1 / float(fps))
    return frames, (audio() if with_audio else iter(()))


# ------------------------------------------------------------------------------------------ encoding


VP9_SPEED = {"ultrafast": 8, "superfast": 8, "veryfast": 7, "faster": 6, "fast": 5, "medium": 4, "slow": 2}
"""libvpx ``cpu-used`` for each x264 preset name (higher: faster, larger)."""


def _open_output(path: Path, state: State, edit: VideoEdit, metadata: dict[str, str] | None = None):
    """The output container and its video and audio streams; ``metadata``: container tags (custom keys kept)."""
    import av

    if edit.format == "webm":
        out = av.open(str(path), mode="w", format="webm")
        vs = out.add_stream("libvpx-vp9", rate=state.fps)
        vs.pix_fmt = "yuva420p" if edit.alpha else "yuv420p"
        vs.options = {
            "crf": str(min(63, edit.crf + 12)),
            "b:v": "0",
            "deadline": "realtime",
            "row-mt": "1",
            "cpu-used": str(VP9_SPEED[edit.preset]),
        }
        audio_codec = "libopus"
    else:
        flags = "+faststart+use_metadata_tags" if metadata else "+faststart"
        out = av.open(str(path), mode="w", format="mp4", options={"movflags": flags})
        vs = out.add_stream("libx264", rate=state.fps)
        vs.pix_fmt = "yuv420p"
        vs.options = {"crf": str(edit.crf), "preset": edit.preset}
        audio_codec = "aac"
    vs.width, vs.height = state.width, state.height
    out.metadata.update(metadata or {})
    aus = None
    if state.audio:
        aus = out.add_stream(audio_codec, rate=RATE, layout="stereo")
        aus.bit_rate = edit.audio_bitrate
    return out, vs, aus


def _exact_frame(image):
    """An NV12 frame of a BGR picture whose every byte is set: converted by OpenCV, each plane's row
    padding filled with its last pixel. (PyAV's ``from_ndarray`` leaves row padding uninitialised, and x264
    converting planar chroma read past it, so the same pictures gave different packets run to run;
    NV12 is x264's own layout, copied as is.) The stream must be opened with ``pix_fmt = "nv12"``."""
    import cv2

    return _i420_frame(cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420), "nv12")


def _labelled_frame(image, t: float, label: FrameLabelFn, pix_fmt: str):
    """The BGR picture converted once to I420 (OpenCV: BT.601 limited range, as libswscale's default), the
    caller's labels drawn on its planes (``label.yuv420p``), as a ``pix_fmt`` frame for the encoder."""
    import cv2
    import numpy as np

    yuv = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_BGR2YUV_I420)
    return _i420_frame(label.yuv420p(yuv, t), pix_fmt)  # type: ignore[attr-defined]


def _i420_frame(yuv, pix_fmt: str):
    """A ``yuv420p`` or ``nv12`` frame of an I420 array, every byte set (row padding: the row's last pixel)."""
    import av
    import numpy as np

    h, w = yuv.shape[0] * 2 // 3, yuv.shape[1]
    chroma, quarter = yuv[h:].reshape(-1), h // 2 * (w // 2)  # U then V, each (h/2, w/2), packed without row gaps
    u, v = chroma[:quarter].reshape(h // 2, w // 2), chroma[quarter:].reshape(h // 2, w // 2)
    if pix_fmt == "nv12":
        uv = np.empty((h // 2, w), dtype=np.uint8)
        uv[:, 0::2], uv[:, 1::2] = u, v
        planes = (yuv[:h], uv)
    else:
        planes = (yuv[:h], u, v)
    frame = av.VideoFrame(w, h, pix_fmt)
    for plane, data in zip(frame.planes, planes, strict=True):
        rows = np.frombuffer(memoryview(plane), dtype=np.uint8).reshape(-1, plane.line_size)
        rows[: data.shape[0], : data.shape[1]] = data
        rows[: data.shape[0], data.shape[1] :] = data[:, -1:]
        rows[data.shape[0] :] = 0
    return frame


def _encode(
    out,
    vs,
    aus,
    frames: Iterator[Frame],
    chunks: Iterator[Chunk],
    state: State,
    report: Callable[[int], None],
    *,
    exact: bool = False,
) -> tuple[int, int]:
    """Mux video and audio in time order; returns (frames written, audio samples written).

    ``exact``: same pictures, same packets (:func:`_exact_frame`)."""
    import av
    import numpy as np

    written, samples, last_pts = 0, 0, -1
    fps = state.fps
    audio_end = round(state.duration * RATE)
    v = next(frames, None)
    a = next(chunks, None) if aus is not None else None
    while v is not None or a is not None:
        cancel.check()
        if a is None or (v is not None and v.t <= a.t):
            pts = round(v.t * fps)
            if pts <= last_pts:  # two frames for one slot (a variable-rate input): keep the first, stay in sync
                v = next(frames, None)
                continue
            image = v.image
            if image.shape[1] % 2 or image.shape[0] % 2:  # yuv420p wants even sides
                image = image[: image.shape[0] // 2 * 2, : image.shape[1] // 2 * 2]
            if v.label is not None and v.alpha is None:
                frame = _labelled_frame(image, v.t, v.label, "nv12" if exact else "yuv420p")
            elif v.alpha is not None:
                if v.label is not None:
                    image = v.label(image, v.t)
                alpha = v.alpha[: image.shape[0], : image.shape[1]]
                frame = av.VideoFrame.from_ndarray(np.dstack([image, alpha]), format="bgra")
            elif exact:
                frame = _exact_frame(image)
            else:
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
            frame.pts, last_pts = pts, pts
            out.mux(vs.encode(frame))
            written += 1
            report(written)
            v = next(frames, None)
        else:
            data = a.samples[:, : max(0, audio_end - samples)]
            if data.shape[1]:
                frame = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(data, dtype=np.float32), format="fltp", layout="stereo"
                )
                frame.sample_rate, frame.pts = RATE, samples
                out.mux(aus.encode(frame))
                samples += data.shape[1]
            a = next(chunks, None)
    out.mux(vs.encode(None))
    if aus is not None:
        out.mux(aus.encode(None))
    return written, samples


# ------------------------------------------------------------------------------------------ entry point


def _check_inputs(inputs: list[str | os.PathLike], limits: VideoLimits) -> list[VideoInfo]:
    if not inputs:
        raise InvalidRequest("Give at least one video.", param="video")
    if len(inputs) > limits.max_inputs:
        raise InvalidRequest(
            f"{len(inputs)} videos given; the limit (video_max_inputs) is {limits.max_inputs}.",
            param="video_max_inputs",
        )
    infos = [probe_video(p, limits, "video" if len(inputs) == 1 else f"video.{i}") for i, p in enumerate(inputs)]
    total = sum(i.duration for i in infos)
    if total > limits.max_seconds:
        raise InvalidRequest(
            f"The videos last {total:.1f} s together; the limit (video_max_seconds) is {limits.max_seconds:g} s.",
            param="video_max_seconds",
        )
    return infos


def _temp_beside(output: Path, suffix: str) -> Path:
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=f".part.{suffix}", dir=output.parent)
    os.close(fd)
    return Path(name)


def check_edit(
    inputs: list[str | os.PathLike] | str | os.PathLike,
    edit: VideoEdit | dict | list,
    *,
    assets: dict[str, str | os.PathLike] | None = None,
    limits: VideoLimits = DEFAULT_LIMITS,
) -> State:
    """Probe ``inputs`` and plan ``edit`` against them without decoding a frame: the InvalidRequest
    ``edit_video`` would raise for a bad input or operation, raised before any work; else the planned
    output (size, fps, duration, audio)."""
    edit = parse_edit(edit)
    paths = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    ordered, _ = _ordered_inputs(edit, _check_inputs(paths, limits))
    first = ordered[0]
    state0 = State(
        first.width, first.height, first.fps, sum(i.duration for i in ordered), any(i.has_audio for i in ordered)
    )
    _, final = build_stages(edit, state0, {k: Path(v) for k, v in (assets or {}).items()})
    return final


def edit_video(
    inputs: list[str | os.PathLike] | str | os.PathLike,
    edit: VideoEdit | dict | list,
    output: str | os.PathLike,
    *,
    assets: dict[str, str | os.PathLike] | None = None,
    limits: VideoLimits = DEFAULT_LIMITS,
    progress: ProgressFn | None = None,
    frame_label: FrameLabelFn | None = None,
) -> EditResult:
    """Apply ``edit`` to ``inputs`` (concatenated in order) and write an MP4 (or a WebM) to ``output``.

    ``assets`` are other files the operations name (a soundtrack, a mask, a background picture).
    ``frame_label`` (the caller's labels: a visible mark, an invisible watermark) runs as the last stage on
    every output frame, ``frame_label(bgr, t) -> bgr``; with it the pass always re-encodes (no stream copy).
    Raises InvalidRequest naming the field for bad input, Cancelled when the current cancel token
    fires; in both cases nothing is left at ``output`` or beside it.
    """
    started = time.monotonic()
    edit = parse_edit(edit)
    paths = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    infos = _check_inputs(paths, limits)
    ordered, fit = _ordered_inputs(edit, infos)
    first = ordered[0]
    state0 = State(
        first.width, first.height, first.fps, sum(i.duration for i in ordered), any(i.has_audio for i in ordered)
    )
    asset_paths = {k: Path(v) for k, v in (assets or {}).items()}
    stages, final = build_stages(edit, state0, asset_paths)
    if frame_label is not None:
        stages.append(LabelStage(frame_label))
        final = stages[-1].plan(final)
    if final.duration > limits.max_seconds:
        raise InvalidRequest(
            f"The edit would make a {final.duration:.1f} s video; the limit (video_max_seconds) is "
            f"{limits.max_seconds:g} s. Trim it or speed it up less.",
            param="video_max_seconds",
        )
    final = final.but(width=max(2, final.width // 2 * 2), height=max(2, final.height // 2 * 2))  # yuv420p
    output = Path(output)
    tmp = _temp_beside(output, edit.format)
    timings: dict[str, float] = {}
    subtitles: list[dict] = []  # the sidecar files written (removed again if the edit fails after all)
    try:
        from .remux import plan_copy, write_copy

        copy = edit.copy_streams and edit.format == "mp4" and frame_label is None
        plan = plan_copy(ordered, stages, final) if copy else None
        copied = None
        if plan is not None:
            if any(not s.changes_frames and s.name not in ("mute", "audio") for s in stages):
                _analyse(ordered, fit, edit, stages, state0, final, progress, timings)
            remux_started = time.perf_counter()
            copied = write_copy(ordered, plan, tmp)
            timings["remux"] = time.perf_counter() - remux_started
            written = copied[0]
            if progress:
                progress(EditProgress(written, written, tuple((s.name, s.frames_done) for s in stages)))
        else:
            written = _run_pass(ordered, fit, edit, stages, state0, final, tmp, progress, timings)
        _sidecars(output, edit, stages, subtitles)
        os.replace(tmp, output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        for written in subtitles:
            for fmt in ("srt", "vtt"):
                if fmt in written:
                    written[fmt].unlink(missing_ok=True)
        raise
    tracks = {}
    for stage in stages:
        res = stage.result()
        if res is not None:
            tracks[getattr(stage.op, "name", None) or f"{stage.name}.{stage.param.rsplit('.', 1)[-1]}"] = res
    result = EditResult(
        path=output,
        width=final.width,
        height=final.height,
        fps=float(final.fps),
        duration=copied[1] if copied else written / float(final.fps),
        frames=written,
        audio=final.audio,
        format=edit.format,
        copied=bool(copied),
        seconds=time.monotonic() - started,
        tracks=tracks,
        inputs=[i.as_dict() for i in ordered],
        timings=timings,
        subtitles=subtitles,
    )
    log.info(
        "video edit: %d ops, %d frames %dx%d in %.1f s%s",
        len(stages),
        written,
        final.width,
        final.height,
        result.seconds,
        " (stream copy)" if copied else "",
    )
    return result


class LabelStage(Stage):
    """The caller's labels drawn into every output frame (the last stage), so the pass itself needs no
    knowledge of what the labels are. Labels that draw on YUV planes (``FrameLabelFn``) are handed to the
    encoder with the frame instead, which draws them on the planes it encodes."""

    name = "label"
    param = "frame_label"

    def __init__(self, label: FrameLabelFn) -> None:
        super().__init__()
        self.label = label
        self.in_encoder = callable(getattr(label, "yuv420p", None))
        self.metadata: dict[str, str] | None = getattr(label, "metadata", None)  # the output's container tags

    def apply(self, frame: Frame) -> Frame:
        if self.in_encoder:
            return Frame(frame.image, frame.t, frame.alpha, label=self.label)
        return Frame(self.label(frame.image, frame.t), frame.t, frame.alpha)


def container_tags(label: FrameLabelFn | None) -> dict[str, str] | None:
    """The container tags ``label`` asks the output to carry (``FrameLabelFn.metadata``), if any."""
    return getattr(label, "metadata", None) or None


def _container_tags(stages: list[Stage]) -> dict[str, str] | None:
    """The container tags the caller's labels ask for (``FrameLabelFn.metadata``), if any."""
    return next((s.metadata for s in stages if isinstance(s, LabelStage) and s.metadata), None)


def _leading_trim(edit: VideoEdit) -> float:
    ops = [op for op in edit.operations if op.op != "concat"]
    return ops[0].start if ops and ops[0].op == "trim" else 0.0


def _analyse(
    inputs: list[VideoInfo],
    fit: str,
    edit: VideoEdit,
    stages: list[Stage],
    state0: State,
    final: State,
    progress: ProgressFn | None,
    timings: dict[str, float],
) -> None:
    """A decode-only pass through stages that only look (tracking boxes) before a stream copy."""
    total = max(1, final.frames)
    clock = _Clock()
    started = time.perf_counter()
    with ExitStack() as stack:
        frames, _ = _sources(stack, inputs, fit, _leading_trim(edit), state0.fps, False)
        frames = clock.wrap("decode", frames)
        for i, stage in enumerate(stages):
            frames = clock.wrap(f"{i}:{stage.name}", stage.video(frames))
        for n, _frame in enumerate(frames, 1):
            cancel.check()
            if progress is not None:
                progress(EditProgress(n, total, tuple((s.name, s.frames_done) for s in stages)))
    timings.update(clock.exclusive(time.perf_counter() - started))
    timings.pop("encode")


class _Clock:
    """Wall time spent inside each layer of the frame chain (inclusive of the layers below it)."""

    def __init__(self) -> None:
        self.inclusive: dict[str, float] = {}
        self.order: list[str] = []

    def wrap(self, name: str, frames: Iterator[Frame]) -> Iterator[Frame]:
        self.order.append(name)
        self.inclusive[name] = 0.0
        return self._timed(name, frames)

    def _timed(self, name: str, frames: Iterator[Frame]) -> Iterator[Frame]:
        while True:
            t0 = time.perf_counter()
            item = next(frames, None)
            self.inclusive[name] += time.perf_counter() - t0
            if item is None:
                return
            yield item

    def exclusive(self, total: float) -> dict[str, float]:
        out, below = {}, 0.0
        for name in self.order:
            out[name] = max(0.0, self.inclusive[name] - below)
            below = self.inclusive[name]
        out["encode"] = max(0.0, total - below)
        return out


def _soft_stages(edit: VideoEdit, stages: list[Stage]) -> list[Stage]:
    return [s for s in stages if s.name == "subtitles" and s.op.soft]


def _soft_tracks(out, edit: VideoEdit, stages: list[Stage], final: State) -> None:
    """One subtitle track per soft subtitles operation, its cues muxed before the pictures."""
    from .subtitles import add_soft_track, mux_cues

    soft = _soft_stages(edit, stages)
    tracks = [add_soft_track(out, s.op.language, edit.format) for s in soft]
    for stage, track in zip(soft, tracks, strict=True):
        mux_cues(out, track, stage.segments, final.duration, edit.format)


def _sidecars(output: Path, edit: VideoEdit, stages: list[Stage], out: list[dict]) -> list[dict]:
    """SRT and VTT beside ``output`` for each subtitles operation, recorded in ``out`` as they are written
    (so a failure can remove them)."""
    from .subtitles import write_sidecars

    subs = [s for s in stages if s.name == "subtitles"]
    soft = _soft_stages(edit, stages)
    for stage in subs:
        index = int(stage.param.rsplit(".", 1)[-1])
        paths = write_sidecars(output, stage.segments, f".{index}" if len(subs) > 1 else "")
        out.append(
            {
                "operation": index,
                "language": stage.op.language,
                "segments": len(stage.segments),
                "track": stage in soft,
                "burned": stage.op.burn,
                **paths,
            }
        )
    return out


def _run_pass(
    inputs: list[VideoInfo],
    fit: str,
    edit: VideoEdit,
    stages: list[Stage],
    state0: State,
    final: State,
    tmp: Path,
    progress: ProgressFn | None,
    timings: dict[str, float],
) -> int:
    total = max(1, final.frames)
    clock = _Clock()
    started = time.perf_counter()

    def report(written: int) -> None:
        if progress is not None:
            progress(EditProgress(written, total, tuple((s.name, s.frames_done) for s in stages)))

    with ExitStack() as stack:
        frames, chunks = _sources(stack, inputs, fit, _leading_trim(edit), state0.fps, state0.audio)
        frames = clock.wrap("decode", frames)
        for i, stage in enumerate(stages):
            frames = clock.wrap(f"{i}:{stage.name}", stage.video(frames))
            chunks = stage.audio(chunks)
        out, vs, aus = _open_output(tmp, final, edit, _container_tags(stages))
        stack.callback(out.close)
        _soft_tracks(out, edit, stages, final)
        written, _ = _encode(out, vs, aus, frames, chunks, final, report)
    timings.update(clock.exclusive(time.perf_counter() - started))
    if written == 0:
        raise InvalidRequest(
            "The edit leaves no frames (check trims and cuts against the video's length).", param="operations"
        )
    return written
