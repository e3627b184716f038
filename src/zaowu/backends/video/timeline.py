"""Time operations: trim, cut, speed and frame rate, on frames and on audio chunks alike."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

from ...errors import InvalidRequest
from .ops import CutOp, FpsOp, SpeedOp, TrimOp
from .stage import EPS, RATE, Chunk, Frame, Stage, State

__all__ = ["CutStage", "FpsStage", "SpeedStage", "TrimStage", "resample"]


def _slice(chunk: Chunk, start: float, end: float) -> Chunk | None:
    """The part of ``chunk`` inside [start, end), or None."""
    if chunk.end <= start or chunk.t >= end:
        return None
    n = chunk.samples.shape[1]
    a = 0 if start <= chunk.t else min(n, round((start - chunk.t) * RATE))
    b = n if end >= chunk.end else max(0, round((end - chunk.t) * RATE))
    if b <= a:
        return None
    return Chunk(chunk.samples[:, a:b], chunk.t + a / RATE)


class TrimStage(Stage):
    name = "trim"

    def __init__(self, op: TrimOp, param: str) -> None:
        super().__init__()
        self.op, self.param = op, param

    def plan(self, state: State) -> State:
        self.start = self.op.start
        self.end = state.duration if self.op.end is None else min(self.op.end, state.duration)
        if self.start >= state.duration - 0.5 / float(state.fps):
            raise InvalidRequest(
                f"'{self.param}.start' ({self.start:g} s) is at or after the end of the video "
                f"({state.duration:.2f} s). Pick a start inside it.",
                param=f"{self.param}.start",
            )
        return state.but(duration=self.end - self.start)

    def video(self, frames: Iterator[Frame]) -> Iterator[Frame]:
        for f in frames:
            if f.t < self.start - EPS:
                continue
            if f.t >= self.end - EPS:
                break  # nothing later is kept: stop decoding
            self.frames_done += 1
            yield Frame(f.image, f.t - self.start)

    def audio(self, chunks: Iterator[Chunk]) -> Iterator[Chunk]:
        for c in chunks:
            if c.t >= self.end:
                break
            part = _slice(c, self.start, self.end)
            if part is not None:
                yield Chunk(part.samples, part.t - self.start)


class CutStage(Stage):
    name = "cut"
    changes_audio = True

    def __init__(self, op: CutOp, param: str) -> None:
        super().__init__()
        self.op, self.param = op, param

    def plan(self, state: State) -> State:
        self.start, self.end = self.op.start, min(self.op.end, state.duration)
        if self.start >= state.duration:
            raise InvalidRequest(
                f"'{self.param}.start' ({self.start:g} s) is after the end of the video ({state.duration:.2f} s).",
                param=f"{self.param}.start",
            )
        if self.start <= EPS and self.end >= state.duration - EPS:
            raise InvalidRequest(f"'{self.param}' cuts the whole video; nothing would be left.", param=self.param)
        return state.but(duration=state.duration - (self.end - self.start))

    def video(self, frames: Iterator[Frame]) -> Iterator[Frame]:
        gap = self.end - self.start
        for f in frames:
            if f.t < self.start - EPS:
                yield f
            elif f.t >= self.end - EPS:
                yield Frame(f.image, f.t - gap)
            else:
                continue
            self.frames_done += 1

    def audio(self, chunks: Iterator[Chunk]) -> Iterator[Chunk]:
        gap = self.end - self.start
        for c in chunks:
            before = _slice(c, float("-inf"), self.start)
            if before is not None:
                yield before
            after = _slice(c, self.end, float("inf"))
            if after is not None:
                yield Chunk(after.samples, after.t - gap)


def resample(frames: Iterator[Frame], fps: Fraction, last_duration: float) -> Iterator[Frame]:
    """Frames at exactly ``fps``: each output slot shows the latest input frame at or before it."""
    step = 1 / float(fps)
    n = 0
    prev: Frame | None = None
    for f in frames:
        if prev is not None:
            while n * step < f.t - EPS:
                yield Frame(prev.image, n * step)
                n += 1
        prev = f
    if prev is not None:
        end = prev.t + last_duration
        while n * step < end - step / 2:
            yield Frame(prev.image, n * step)
            n += 1


class FpsStage(Stage):
    name = "fps"

    def __init__(self, op: FpsOp, param: str) -> None:
        super().__init__()
        self.op, self.param = op, param

    def plan(self, state: State) -> State:
        self.in_fps = state.fps
        self.fps = Fraction(self.op.fps).limit_denominator(1001)
        return state.but(fps=self.fps)

    def video(self, frames: Iterator[Frame]) -> Iterator[Frame]:
        for f in resample(frames, self.fps, 1 / float(self.in_fps)):
            self.frames_done += 1
            yield f


class _Tempo:
    """Audio played faster or slower at the same pitch (FFmpeg's atempo, chained below 0.5x)."""

    def __init__(self, factor: float) -> None:
        import av
        from av.filter import Graph

        self._av = av
        self.graph = Graph()
        node = self.graph.add_abuffer(sample_rate=RATE, format="fltp", layout="stereo", time_base=Fraction(1, RATE))
        first = node
        parts = [0.5, factor / 0.5] if factor < 0.5 else [factor]
        for part in parts:
            nxt = self.graph.add("atempo", f"{part:.6f}")
            node.link_to(nxt)
            node = nxt
        fmt = self.graph.add("aformat", f"sample_fmts=fltp:channel_layouts=stereo:sample_rates={RATE}")
        sink = self.graph.add("abuffersink")
        node.link_to(fmt)
        fmt.link_to(sink)
        self.graph.configure()
        self.src = first
        self.pts = 0

    def push(self, samples) -> list:
        frame = None
        if samples is not None:
            import numpy as np

            frame = self._av.AudioFrame.from_ndarray(np.ascontiguousarray(samples), format="fltp", layout="stereo")
            frame.sample_rate = RATE
            frame.pts = self.pts
            self.pts += samples.shape[1]
        self.graph.push(frame)
        out = []
        while True:
            try:
                out.append(self.graph.pull().to_ndarray())
            except (self._av.BlockingIOError, self._av.EOFError):
                return out


class SpeedStage(Stage):
    name = "speed"
    changes_audio = True

    def __init__(self, op: SpeedOp, param: str) -> None:
        super().__init__()
        self.op, self.param = op, param

    def plan(self, state: State) -> State:
        self.fps = state.fps
        return state.but(duration=state.duration / self.op.factor)

    def video(self, frames: Iterator[Frame]) -> Iterator[Frame]:
        k = self.op.factor
        scaled = (Frame(f.image, f.t / k) for f in frames)
        for f in resample(scaled, self.fps, 1 / float(self.fps) / k):
            self.frames_done += 1
            yield f

    def audio(self, chunks: Iterator[Chunk]) -> Iterator[Chunk]:
        tempo = _Tempo(self.op.factor)
        done = 0
        first = True
        for c in chunks:
            if first:
                done, first = round(c.t / self.op.factor * RATE), False
            for out in tempo.push(c.samples):
                yield Chunk(out, done / RATE)
                done += out.shape[1]
        for out in tempo.push(None):
            yield Chunk(out, done / RATE)
            done += out.shape[1]
