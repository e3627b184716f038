"""``remove``: an object or a watermark filled from the background.

Per frame, the area to fill is the tracked box (grown by ``margin``) or a static mask. A running
background model (a per-pixel average of what each pixel showed while not covered, OpenCV's
``accumulateWeighted``) fills every pixel some frame has shown; the model sees ``lookahead``
seconds ahead (a bounded delay buffer), so a pixel covered now but uncovered a moment later is
filled too. What no frame has shown is inpainted (OpenCV Telea) from its surroundings, smoothed
in time for static masks. The fill is blended in with a feathered edge.

The model assumes a still camera; a moving camera still gets a fill (the inpainting and the
latest views of each pixel), but no alignment of frames yet.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from ...errors import InvalidRequest
from .ops import RemoveOp
from .stage import Frame, Stage, State
from .track import Follower

__all__ = ["MAX_LOOKAHEAD_BYTES", "Background", "RemoveStage", "fill_frame"]

log = logging.getLogger(__name__)

MAX_LOOKAHEAD_BYTES = 256 << 20
"""Memory the look-ahead buffer may hold; longer look-aheads are shortened to fit."""
MODEL_RATE = 0.3
"""Weight of the newest view of a pixel in the background model."""
FEATHER = 5
"""Pixels over which the fill is blended into the frame."""
INPAINT_SIDE = 320
"""Long side at which holes are inpainted (larger areas are scaled down for speed)."""
INPAINT_RADIUS = 5
SMOOTH = 0.6
"""Weight of the new inpainting against the previous frame's for static masks (less flicker)."""


class Background:
    """What each pixel shows when not covered: a running average, and which pixels have been seen."""

    def __init__(self, height: int, width: int) -> None:
        import numpy as np

        self.model = np.zeros((height, width, 3), np.float32)
        self.seen = np.zeros((height, width), np.uint8)
        self.all_seen = False

    def add(self, image, covered) -> None:
        import cv2

        visible = cv2.bitwise_not(covered)
        if not self.all_seen:
            new = cv2.bitwise_and(visible, cv2.bitwise_not(self.seen))
            if cv2.countNonZero(new):
                cv2.copyTo(image.astype("float32"), new, self.model)
                self.seen |= new
                self.all_seen = cv2.countNonZero(self.seen) == self.seen.size
        cv2.accumulateWeighted(image, self.model, MODEL_RATE, mask=visible)


def _bbox(mask, pad: int):
    import cv2

    x, y, w, h = cv2.boundingRect(mask)
    height, width = mask.shape
    x0, y0 = max(0, x - pad), max(0, y - pad)
    return x0, y0, min(width, x + w + pad), min(height, y + h + pad)


def fill_frame(image, mask, background: Background, previous=None):
    """``image`` with the ``mask`` area (uint8 0/255) filled from ``background`` and inpainting. Returns
    (filled image, the inpainted ROI for temporal smoothing)."""
    import cv2
    import numpy as np

    if not cv2.countNonZero(mask):
        return image, None
    x0, y0, x1, y1 = _bbox(mask, FEATHER * 2 + INPAINT_RADIUS)
    roi = image[y0:y1, x0:x1]
    m = mask[y0:y1, x0:x1]
    fill = roi.copy()
    known = cv2.bitwise_and(m, background.seen[y0:y1, x0:x1])
    cv2.copyTo(cv2.convertScaleAbs(background.model[y0:y1, x0:x1]), known, fill)
    unknown = cv2.bitwise_and(m, cv2.bitwise_not(known))
    painted = None
    if cv2.countNonZero(unknown):
        h, w = m.shape
        scale = min(1.0, INPAINT_SIDE / max(h, w))
        if scale < 1:
            small = cv2.resize(fill, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            hole = cv2.resize(unknown, (small.shape[1], small.shape[0]), interpolation=cv2.INTER_NEAREST)
            hole = cv2.dilate(hole, np.ones((3, 3), np.uint8))
            out = cv2.inpaint(small, hole, INPAINT_RADIUS, cv2.INPAINT_TELEA)
            out = cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR)
        else:
            out = cv2.inpaint(fill, unknown, INPAINT_RADIUS, cv2.INPAINT_TELEA)
        if previous is not None and previous.shape == out.shape:
            out = cv2.addWeighted(out, SMOOTH, previous, 1 - SMOOTH, 0)
        cv2.copyTo(out, unknown, fill)
        painted = out
    grown = cv2.dilate(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * FEATHER + 1, 2 * FEATHER + 1)))
    alpha = cv2.GaussianBlur(grown.astype(np.float32) / 255, (2 * FEATHER + 1, 2 * FEATHER + 1), 0)
    alpha = np.maximum(alpha, m.astype(np.float32) / 255)[..., None]
    blended = (fill.astype(np.float32) * alpha + roi.astype(np.float32) * (1 - alpha)).astype(np.uint8)
    # outside the grown mask the frame is unchanged; inside, the background fill (fill == roi elsewhere)
    out_image = image.copy()
    out_image[y0:y1, x0:x1] = blended
    return out_image, painted


def _load_mask(path: Path, param: str, width: int, height: int):
    """A static mask from a picture asset: its transparency when it has one, else white = remove."""
    import cv2
    import numpy as np

    from .frames import read_picture

    photo = read_picture(path, param)
    grey = photo.alpha if photo.alpha is not None else cv2.cvtColor(photo.rgb, cv2.COLOR_RGB2GRAY)
    grey = cv2.resize(grey, (width, height), interpolation=cv2.INTER_NEAREST)
    return np.where(grey > 127, 255, 0).astype(np.uint8)


class RemoveStage(Stage):
    name = "remove"

    def __init__(self, op: RemoveOp, param: str, assets: dict[str, Path]) -> None:
        super().__init__()
        self.op, self.param = op, param
        self.assets = assets
        self.follower = Follower(op, param) if (op.box is not None or op.point is not None) else None
        self.records: list[dict] = []

    def plan(self, state: State) -> State:
        import cv2
        import numpy as np

        op = self.op
        self.static = None
        if self.follower is not None:
            self.follower.plan(state)
        else:
            static = np.zeros((state.height, state.width), np.uint8)
            for j, (x, y, w, h) in enumerate(op.rects or ()):
                if x >= state.width or y >= state.height:
                    raise InvalidRequest(
                        f"'{self.param}.rects.{j}' lies outside the {state.width}x{state.height} frame.",
                        param=f"{self.param}.rects.{j}",
                    )
                static[y : y + h, x : x + w] = 255
            if op.mask is not None:
                if op.mask not in self.assets:
                    raise InvalidRequest(
                        f"'{self.param}.mask' names '{op.mask}', which was not uploaded with the edit.",
                        param=f"{self.param}.mask",
                    )
                static |= _load_mask(self.assets[op.mask], f"assets.{op.mask}", state.width, state.height)
            if op.margin:
                k = 2 * op.margin + 1
                static = cv2.dilate(static, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
            self.static = static
        frame_bytes = state.width * state.height * 4
        wanted = round(op.lookahead * float(state.fps)) if self.static is None else 0
        self.delay = min(wanted, MAX_LOOKAHEAD_BYTES // frame_bytes)
        if self.delay < wanted:
            log.info("remove: look-ahead shortened to %d frames to stay within memory", self.delay)
        self.size = (state.height, state.width)
        return state

    def _masks(self, frames: Iterator[Frame]):
        """(frame, mask) pairs: the static mask, or the tracked box grown by the margin (uint8 0/255)."""
        import numpy as np

        if self.static is not None:
            for frame in frames:
                yield frame, self.static
            return
        m = self.op.margin
        for frame, box, status in self.follower.boxes(frames):
            self.records.append(
                {
                    "frame": len(self.records),
                    "t": round(frame.t, 4),
                    "box": list(box) if box else None,
                    "status": status,
                }
            )
            mask = np.zeros(self.size, np.uint8)
            if box is not None:
                x, y, w, h = box
                mask[max(0, y - m) : y + h + m, max(0, x - m) : x + w + m] = 255
            yield frame, mask

    def video(self, frames: Iterator[Frame]) -> Iterator[Frame]:
        background = Background(*self.size)
        queue: deque = deque()
        previous = None
        for frame, mask in self._masks(frames):
            background.add(frame.image, mask)
            queue.append((frame, mask))
            if len(queue) > self.delay:
                out, previous = self._emit(queue.popleft(), background, previous)
                yield out
        while queue:
            out, previous = self._emit(queue.popleft(), background, previous)
            yield out

    def _emit(self, item, background: Background, previous):
        frame, mask = item
        image, painted = fill_frame(frame.image, mask, background, previous if self.static is not None else None)
        self.frames_done += 1
        return Frame(image, frame.t), painted

    def result(self) -> list[dict] | None:
        return self.records or None
