"""``style``: a look applied per frame without flicker.

The colour grade (brightness, contrast, gamma, temperature, tint) is folded into one 256-entry
table per channel (``cv2.LUT``), so a graded 720p frame costs a few milliseconds; saturation,
black and white, sepia, vignette and film grain are single OpenCV passes, the vignette and the
grain patterns computed once per size (the grain cycles through :data:`GRAIN_FRAMES` patterns
from ``seed``, so the same edit gives the same bytes). Grain is what costs the H.264 encoder most (noise
cannot be predicted), so it is drawn at 1/:data:`GRAIN_SCALE` of the frame's size and scaled up (soft
grains a few pixels across, as film's are) and each pattern is held for :data:`GRAIN_HOLD` frames. Painterly presets (cartoon, pencil, oil,
stylize) run on a frame scaled to :data:`PRESET_SIDE` and are blended with the previous output
frame (:data:`PRESET_SMOOTH`) so edges and strokes do not flicker.
"""

from __future__ import annotations

from collections.abc import Iterator

from .ops import StyleOp
from .stage import Frame, Stage, State

__all__ = ["Look", "StyleStage"]

PRESET_SIDE = 480
"""Long side at which painterly presets run (scaled back up after)."""
PRESET_SMOOTH = 0.35
"""Weight of the previous output frame in a painterly preset (temporal smoothing)."""
GRAIN_FRAMES = 8
"""Film grain patterns cycled through."""
GRAIN_SIGMA = 28.0
"""Grain strength (grey levels) at grain = 1."""
GRAIN_SCALE = 2
"""Grain is drawn at the frame's size divided by this and scaled up (larger, cheaper-to-encode grains)."""
GRAIN_HOLD = 3
"""Frames each grain pattern is shown for (the encoder predicts the held frame from the one before)."""


def _tables(op: StyleOp):
    import numpy as np

    x = np.arange(256, dtype=np.float32) / 255
    x = np.power(x, 1 / op.gamma)
    x = (x - 0.5) * op.contrast + 0.5 + op.brightness * 0.5
    gains = {  # B, G, R
        0: 1 - 0.15 * op.temperature,
        1: 1 - 0.08 * op.tint,
        2: 1 + 0.15 * op.temperature,
    }
    tables = [np.clip(x * gains[c] * 255, 0, 255).astype(np.uint8) for c in range(3)]
    return np.stack(tables, axis=-1).reshape(256, 1, 3)


class Look:
    """One StyleOp compiled for a frame size: call it on BGR frames in order."""

    def __init__(self, op: StyleOp, width: int, height: int) -> None:
        import cv2
        import numpy as np

        self.op = op
        neutral = op.gamma == 1 and op.contrast == 1 and op.brightness == 0 and op.temperature == 0 and op.tint == 0
        self.lut = None if neutral else _tables(op)
        self.vignette = None
        if op.vignette > 0:
            ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
            r = np.hypot((xs - width / 2) / (width / 2), (ys - height / 2) / (height / 2)) / np.sqrt(2)
            v = 1 - op.vignette * np.clip((r - 0.35) / 0.65, 0, 1) ** 2
            self.vignette = np.repeat((v * 255).astype(np.uint8)[..., None], 3, axis=2)
        self.grain = []
        if op.grain > 0:
            rng = np.random.default_rng(op.seed)
            small = (max(1, -(-height // GRAIN_SCALE)), max(1, -(-width // GRAIN_SCALE)))
            for _ in range(GRAIN_FRAMES):
                noise = rng.normal(0, GRAIN_SIGMA * op.grain, small).astype(np.float32)
                noise = cv2.resize(noise, (width, height), interpolation=cv2.INTER_LINEAR)
                self.grain.append(np.repeat(np.clip(noise + 128, 0, 255).astype(np.uint8)[..., None], 3, axis=2))
        self.previous = None
        self.index = 0

    def _preset(self, image):
        import cv2

        preset = self.op.preset
        h, w = image.shape[:2]
        scale = min(1.0, PRESET_SIDE / max(h, w))
        small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else image
        if preset == "cartoon":
            smooth = cv2.bilateralFilter(cv2.bilateralFilter(small, 7, 60, 7), 7, 60, 7)
            flat = (smooth // 40) * 40 + 20
            grey = cv2.medianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), 5)
            edges = cv2.adaptiveThreshold(grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 9, 4)
            out = cv2.bitwise_and(flat, flat, mask=edges)
        elif preset in ("pencil", "pencil_color"):
            grey, colour = cv2.pencilSketch(small, sigma_s=40, sigma_r=0.07, shade_factor=0.05)
            out = colour if preset == "pencil_color" else cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
        elif preset == "oil":
            out = cv2.xphoto.oilPainting(small, 5, 1)
        else:  # stylize
            out = cv2.stylization(small, sigma_s=40, sigma_r=0.3)
        if scale < 1:
            out = cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR)
        if self.previous is not None:
            out = cv2.addWeighted(out, 1 - PRESET_SMOOTH, self.previous, PRESET_SMOOTH, 0)
        self.previous = out
        return out

    def __call__(self, image):
        import cv2

        op = self.op
        out = image
        if op.preset != "none":
            out = self._preset(out)
        if self.lut is not None:
            out = cv2.LUT(out, self.lut)
        if op.black_and_white or op.sepia > 0:
            grey = cv2.cvtColor(cv2.cvtColor(out, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
            if op.sepia > 0:
                tone = cv2.multiply(grey, (0.70, 0.88, 1.0, 0))
                grey = cv2.addWeighted(tone, op.sepia, grey, 1 - op.sepia, 0)
            out = grey
        elif op.saturation != 1:
            grey = cv2.cvtColor(cv2.cvtColor(out, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
            out = cv2.addWeighted(out, op.saturation, grey, 1 - op.saturation, 0)
        if self.vignette is not None:
            out = cv2.multiply(out, self.vignette, scale=1 / 255)
        if self.grain:
            out = cv2.addWeighted(out, 1.0, self.grain[self.index // GRAIN_HOLD % len(self.grain)], 1.0, -128)
            self.index += 1
        return out if out is not image else image.copy()


class StyleStage(Stage):
    name = "style"

    def __init__(self, op: StyleOp, param: str) -> None:
        super().__init__()
        self.op, self.param = op, param

    def plan(self, state: State) -> State:
        self.look = Look(self.op, state.width, state.height)
        return state

    def video(self, frames: Iterator[Frame]) -> Iterator[Frame]:
        for frame in frames:
            self.frames_done += 1
            yield Frame(self.look(frame.image), frame.t)
