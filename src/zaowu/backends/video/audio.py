"""Sound: decoding to float stereo at :data:`RATE` in chunks, muting, and replacing or mixing a soundtrack."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ...errors import InvalidRequest
from .ops import AudioOp, MuteOp
from .probe import open_input
from .stage import CHANNELS, RATE, Chunk, Stage, State

__all__ = ["AudioStage", "MuteStage", "SampleReader", "decode_audio", "silence"]

SILENCE_CHUNK = 4800
"""Samples per chunk of generated silence (0.1 s)."""


def silence(n: int):
    import numpy as np

    return np.zeros((CHANNELS, n), np.float32)


def decode_audio(container, start: float, end: float, seek: float = 0.0) -> Iterator[Chunk]:
    """The first audio stream of ``container`` as chunks with times in [start, end) of the output (time 0 of
    the file maps to ``start``); silence where the file has none, so every input fills its whole length."""
    import av

    done = start
    if container.streams.audio:
        stream = container.streams.audio[0]
        origin = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
        if seek > 0:
            container.seek(int(seek / stream.time_base) + (stream.start_time or 0), stream=stream, backward=True)
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=RATE)
        base = None
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    if base is None:
                        pts = frame.pts if frame.pts is not None else 0
                        base = start + max(0.0, float(pts * frame.time_base) - origin)
                        done = base
                    data = out.to_ndarray()
                    chunk = Chunk(data, done)
                    done += data.shape[1] / RATE
                    if chunk.t >= end:
                        return
                    if chunk.end > end:
                        chunk = Chunk(data[:, : round((end - chunk.t) * RATE)], chunk.t)
                    yield chunk
        except av.FFmpegError:  # a damaged audio tail: the rest is silence
            pass
    while end != float("inf") and done < end - 1 / RATE:
        n = min(SILENCE_CHUNK, round((end - done) * RATE))
        if n <= 0:
            break
        yield Chunk(silence(n), done)
        done += n / RATE


class MuteStage(Stage):
    name = "mute"
    changes_frames = False

    def __init__(self, op: MuteOp, param: str) -> None:
        super().__init__()
        self.op, self.param = op, param

    def plan(self, state: State) -> State:
        return state.but(audio=False)

    def audio(self, chunks: Iterator[Chunk]) -> Iterator[Chunk]:
        return iter(())


class SampleReader:
    """Samples of an audio file read in order, ``n`` at a time, looped or followed by silence."""

    def __init__(self, path: Path, param: str, loop: bool) -> None:
        self.path, self.param, self.loop = path, param, loop
        self._open()
        self.buffer = silence(0)

    def _open(self) -> None:
        self.container = open_input(self.path, self.param)
        if not self.container.streams.audio:
            self.container.close()
            raise InvalidRequest(f"'{self.param}' holds no audio. Give a WAV, MP3, M4A or OGG file.", param=self.param)
        self.chunks = decode_audio(self.container, 0.0, float("inf"))
        self.finished = False

    def read(self, n: int):
        import numpy as np

        parts, have = [self.buffer], self.buffer.shape[1]
        while have < n and not self.finished:
            chunk = next(self.chunks, None)
            if chunk is None or (have > 0 and chunk.samples.shape[1] == 0):
                if self.loop and have > 0:
                    self.container.close()
                    self._open()
                    continue
                self.finished = True
                break
            parts.append(chunk.samples)
            have += chunk.samples.shape[1]
        data = np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]
        if data.shape[1] < n:
            data = np.concatenate([data, silence(n - data.shape[1])], axis=1)
        self.buffer = data[:, n:]
        return data[:, :n]

    def close(self) -> None:
        self.container.close()


class AudioStage(Stage):
    name = "audio"
    changes_frames = False
    changes_audio = True

    def __init__(self, op: AudioOp, param: str, assets: dict[str, Path]) -> None:
        super().__init__()
        self.op, self.param = op, param
        if op.asset not in assets:
            raise InvalidRequest(
                f"'{param}.asset' names '{op.asset}', which was not uploaded with the edit "
                f"(assets: {', '.join(sorted(assets)) or 'none'}).",
                param=f"{param}.asset",
            )
        self.path = assets[op.asset]

    def plan(self, state: State) -> State:
        self.state_in = state
        self.reader = SampleReader(self.path, f"assets.{self.op.asset}", self.op.loop)  # checked before any work
        return state.but(audio=True)

    def audio(self, chunks: Iterator[Chunk]) -> Iterator[Chunk]:
        try:
            if self.op.mode == "replace" or not self.state_in.audio:
                done, end = 0, round(self.state_in.duration * RATE)
                while done < end:
                    n = min(SILENCE_CHUNK, end - done)
                    yield Chunk(self.reader.read(n) * self.op.volume, done / RATE)
                    done += n
            else:
                for c in chunks:
                    yield Chunk(c.samples + self.reader.read(c.samples.shape[1]) * self.op.volume, c.t)
        finally:
            self.reader.close()
