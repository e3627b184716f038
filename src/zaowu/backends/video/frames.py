"""Per-frame geometry and fades: crop, resize/pad to a size or an aspect, rotate/flip, fade in/out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ...errors import InvalidRequest
from .ops import CropOp, FadeOp, ResizeOp, RotateOp
from .stage import RATE, Chunk, Frame, Stage, State, hex_bgr

__all__ = [
    "MAX_OUTPUT_PIXELS",
    "CropStage",
    "FadeStage",
    "ResizeStage",
    "RotateStage",
    "fit_image",
    "read_picture",
]

MAX_OUTPUT_PIXELS = 3840 * 2160
"""Largest frame an operation may produce (a resize or a pad to an aspect)."""


def read_picture(path: Path, param: str):
    """An uploaded picture asset (a mask, a background) decoded with the same checks as photo uploads
    (size, pixel count, format): a ``backends.vision.images.Photo``, or InvalidRequest naming ``param``."""
    from ..vision.images import MAX_BYTES, decode_photo

    if not path.is_file():
        raise InvalidRequest(f"'{param}' is missing. Upload a PNG or JPEG.", param=param)
    if path.stat().st_size > MAX_BYTES:
        raise InvalidRequest(
            f"'{param}' is larger than {MAX_BYTES // 2**20} MiB. Upload a smaller picture.", param=param
        )
    return decode_photo(path.read_bytes(), param)


def fit_image(image, width: int, height: int, fit: str = "pad", color: tuple[int, int, int] = (0, 0, 0)):
    """``image`` scaled to width x height: letterboxed (pad), filled and cropped (crop) or stretched."""
    import cv2
    import numpy as np

    h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image
    if fit == "stretch":
        interp = cv2.INTER_AREA if width * height < w * h else cv2.INTER_LINEAR
        return cv2.resize(image, (width, height), interpolation=interp)
    scale = min(width / w, height / h) if fit == "pad" else max(width / w, height / h)
    sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    scaled = cv2.resize(image, (sw, sh), interpolation=interp) if (sw, sh) != (w, h) else image
    if fit == "crop":
        x, y = (sw - width) // 2, (sh - height) // 2
        return np.ascontiguousarray(scaled[y : y + height, x : x + width])
    canvas = np.empty((height, width, 3), np.uint8)
    canvas[:] = color
    x, y = (width - sw) // 2, (height - sh) // 2
    canvas[y : y + sh, x : x + sw] = scaled
    return canvas


class CropStage(Stage):
    name = "crop"

    def __init__(self, op: CropOp, param: str) -> None:
        super().__init__()
        self.op, self.param = op, param

    def plan(self, state: State) -> State:
        op = self.op
        if op.x + op.width > state.width or op.y + op.height > state.height:
            raise InvalidRequest(
                f"'{self.param}' ({op.width}x{op.height} at {op.x},{op.y}) reaches outside the "
                f"{state.width}x{state.height} frame. Keep x+width <= {state.width} and y+height <= {state.height}.",
                param=f"{self.param}.width",
            )
        return state.but(width=op.width, height=op.height)

    def apply(self, frame: Frame) -> Frame:
        op = self.op
        return Frame(frame.image[op.y : op.y + op.height, op.x : op.x + op.width], frame.t)


def _even(n: float) -> int:
    return max(2, round(n / 2) * 2)


class ResizeStage(Stage):
    name = "resize"

    def __init__(self, op: ResizeOp, param: str) -> None:
        super().__init__()
        self.op, self.param = op, param
        self.color = hex_bgr(op.color)

    def plan(self, state: State) -> State:
        op = self.op
        w, h = float(state.width), float(state.height)
        fit = op.fit
        if op.aspect is not None:
            a, b = (int(s) for s in op.aspect.split(":"))
            ratio = a / b
            if fit == "pad":  # the smallest canvas of that aspect holding the frame
                w, h = (w, w / ratio) if w / h > ratio else (h * ratio, h)
            else:  # the largest region of that aspect inside the frame
                w, h = (h * ratio, h) if w / h > ratio else (w, w / ratio)
            if op.width is not None or op.height is not None:
                w, h = (op.width, op.width / ratio) if op.width is not None else (op.height * ratio, op.height)
        elif op.width is not None and op.height is not None:
            w, h = op.width, op.height
        elif op.width is not None:
            w, h = op.width, h * op.width / w
        else:
            w, h = w * op.height / h, op.height
        self.size = (_even(w), _even(h))
        if self.size[0] * self.size[1] > MAX_OUTPUT_PIXELS:
            raise InvalidRequest(
                f"'{self.param}' would make {self.size[0]}x{self.size[1]} frames; at most "
                f"{MAX_OUTPUT_PIXELS} pixels per frame. Ask for a smaller size.",
                param=self.param,
            )
        return state.but(width=self.size[0], height=self.size[1])

    def apply(self, frame: Frame) -> Frame:
        return Frame(fit_image(frame.image, *self.size, fit=self.op.fit, color=self.color), frame.t)


class RotateStage(Stage):
    name = "rotate"

    def __init__(self, op: RotateOp, param: str) -> None:
        super().__init__()
        self.op, self.param = op, param

    def plan(self, state: State) -> State:
        if self.op.angle in (90, 270):
            return state.but(width=state.height, height=state.width)
        return state

    def apply(self, frame: Frame) -> Frame:
        import cv2

        img = frame.image
        codes = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
        if self.op.angle:
            img = cv2.rotate(img, codes[self.op.angle])
        if self.op.flip != "none":
            img = cv2.flip(img, 1 if self.op.flip == "horizontal" else 0)
        return Frame(img, frame.t)


class FadeStage(Stage):
    name = "fade"
    changes_audio = True

    def __init__(self, op: FadeOp, param: str) -> None:
        super().__init__()
        self.op, self.param = op, param
        self.color = hex_bgr(op.color)

    def plan(self, state: State) -> State:
        if self.op.fade_in + self.op.fade_out > state.duration + 1e-3:
            raise InvalidRequest(
                f"'{self.param}': fade_in + fade_out ({self.op.fade_in + self.op.fade_out:g} s) is "
                f"longer than the video ({state.duration:.2f} s).",
                param=f"{self.param}.fade_out",
            )
        self.duration = state.duration
        return state

    def _gain(self, t):
        import numpy as np

        g = np.ones_like(t, dtype=np.float32)
        if self.op.fade_in > 0:
            g = np.minimum(g, np.clip(t / self.op.fade_in, 0, 1))
        if self.op.fade_out > 0:
            g = np.minimum(g, np.clip((self.duration - t) / self.op.fade_out, 0, 1))
        return g

    def apply(self, frame: Frame) -> Frame:
        import cv2
        import numpy as np

        g = float(self._gain(np.float32(frame.t)))
        if g >= 1:
            return frame
        color = np.empty_like(frame.image)
        color[:] = self.color
        return Frame(cv2.addWeighted(frame.image, g, color, 1 - g, 0), frame.t)

    def audio(self, chunks: Iterator[Chunk]) -> Iterator[Chunk]:
        import numpy as np

        for c in chunks:
            t = c.t + np.arange(c.samples.shape[1], dtype=np.float32) / RATE
            yield Chunk(c.samples * self._gain(t)[None, :], c.t)
