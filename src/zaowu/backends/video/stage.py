"""What flows through an edit and the contract of each operation's stage.

A :class:`Frame` is a BGR uint8 picture with its time (seconds) on the stream as that stage sees
it; a :class:`Chunk` is float32 stereo audio at :data:`RATE` with its start time. Stages never
modify an input array in place (a frame may be shown twice after a frame-rate change).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

__all__ = ["CHANNELS", "EPS", "RATE", "Chunk", "Frame", "Stage", "State", "hex_bgr"]

RATE = 48_000
"""Audio sample rate inside an edit (and of the output)."""
CHANNELS = 2
EPS = 1e-6


@dataclass
class Frame:
    image: Any  # np.ndarray HxWx3 uint8, BGR
    t: float
    alpha: Any = None  # np.ndarray HxW uint8 when a transparent matte made one (the last picture operation)
    label: Any = None  # a caller's labels the encoder draws on the frame's YUV planes (pipeline.FrameLabelFn)


@dataclass
class Chunk:
    samples: Any  # np.ndarray (CHANNELS, n) float32
    t: float

    @property
    def end(self) -> float:
        return self.t + self.samples.shape[1] / RATE


@dataclass(frozen=True)
class State:
    """The stream as planned at one point of the edit."""

    width: int
    height: int
    fps: Fraction
    duration: float
    audio: bool

    @property
    def frames(self) -> int:
        return max(0, round(self.duration * float(self.fps)))

    def but(self, **changes: Any) -> State:
        return replace(self, **changes)


class Stage:
    """One operation in the pass. ``plan`` checks the op against the stream and says what comes out;
    ``video``/``audio`` transform the streams lazily; ``result`` is what the op reports (tracks...)."""

    name = "stage"
    param = "operations"
    changes_frames = True
    """False for stages that only look at frames (the output may then be a stream copy)."""
    changes_audio = False

    def __init__(self) -> None:
        self.frames_done = 0

    def plan(self, state: State) -> State:
        self.state_in = state
        return state

    def video(self, frames: Iterator[Frame]) -> Iterator[Frame]:
        for frame in frames:
            out = self.apply(frame)
            self.frames_done += 1
            yield out

    def apply(self, frame: Frame) -> Frame:
        return frame

    def audio(self, chunks: Iterator[Chunk]) -> Iterator[Chunk]:
        return chunks

    def result(self) -> Any:
        return None


def hex_bgr(color: str) -> tuple[int, int, int]:
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return (b, g, r)
