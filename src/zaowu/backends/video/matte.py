"""``matte``: people, or one tracked object, cut out of each frame and put on another background.

The person matte comes from mediapipe's selfie segmentation (bundled in the wheel, loaded by
``backends.vision.people``), computed at :data:`MATTE_SIDE`, refined at the edges with a guided
filter (opencv-contrib ``ximgproc``) that snaps it to the frame's own edges, and smoothed in time
(an exponential average over frames, ``smooth``), so hair and shoulders do not flicker. The
background becomes a colour, a picture (an asset, fitted by cropping) or a blurred copy of the
frame itself, or stays transparent: the matte is written as the alpha of a WebM (VP9 yuva420p).
A ``scene`` background is a picture the Studio rendered with the design engine, handed over as an asset.

An object (a ``box`` or ``point``) is followed by the tracker of ``track`` (``Follower``); GrabCut
separates it from the background inside the tracked box plus :data:`OBJECT_MARGIN`, on a region
scaled to :data:`OBJECT_SIDE`, from the box alone on every frame (seeding it with the previous
matte was tried: its errors compound, and the matte shrinks frame after frame).
The same guided filter refines its edges and the same exponential average smooths it in time, taken
in the box's own coordinates after aligning the previous matte on the new one (phase correlation), so
neither the object's motion nor the box's jitter smears it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ...errors import InvalidRequest
from .ops import MatteOp
from .stage import Frame, Stage, State, hex_bgr

__all__ = ["MATTE_SIDE", "MatteStage", "ObjectMatter", "person_matte"]

MATTE_SIDE = 512
"""Long side (pixels) at which the matte is computed and refined, then scaled to the frame."""
GUIDE_RADIUS = 6
GUIDE_EPS = 1e-3
OBJECT_SIDE = 128
"""Long side (pixels) of the region around a tracked object that GrabCut sees."""
OBJECT_MARGIN = 0.25
"""Share of the box's sides added around it: the background GrabCut learns from."""
MIN_REGION = 8
"""Short side (pixels) under which the region around the box is too small to cut anything out of."""
OBJECT_GUIDE_RADIUS = 3
"""Guided filter radius (pixels at :data:`OBJECT_SIDE` scale) refining an object's matte."""
ALIGN_RESPONSE = 0.05
"""Phase-correlation peak under which the previous matte is taken as it is (no clear shift found)."""
ALIGN_SHIFT = 0.25
"""Largest shift (share of the region's long side) trusted when aligning the previous matte."""
GRABCUT_ITERS = 3
"""GrabCut iterations per frame."""


def person_matte(image, previous=None, smooth: float = 0.0):
    """A 0..1 float32 person matte at ``image``'s size (BGR input), blended with ``previous`` by ``smooth``."""
    import cv2
    import numpy as np

    from ..vision.people import segment_person

    h, w = image.shape[:2]
    scale = min(1.0, MATTE_SIDE / max(h, w))
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else image
    rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
    matte = segment_person(rgb).matte.astype(np.float32)
    guide = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32) / 255
    matte = np.clip(cv2.ximgproc.guidedFilter(guide=guide, src=matte, radius=GUIDE_RADIUS, eps=GUIDE_EPS), 0, 1)
    if previous is not None and smooth > 0 and previous.shape == matte.shape:
        matte = cv2.addWeighted(matte, 1 - smooth, previous, smooth, 0)
    return matte


def _region(box, width: int, height: int) -> tuple[int, int, int, int]:
    """The box grown by :data:`OBJECT_MARGIN` on each side, clipped to the frame: (x0, y0, x1, y1)."""
    x, y, w, h = box
    mx, my = round(w * OBJECT_MARGIN) + 2, round(h * OBJECT_MARGIN) + 2
    return max(0, x - mx), max(0, y - my), min(width, x + w + mx), min(height, y + h + my)


class ObjectMatter:
    """An object's 0..1 matte frame by frame, from its tracked box (GrabCut + guided filter + time smoothing)."""

    def __init__(self, smooth: float = 0.0) -> None:
        self.smooth = smooth
        self.previous = None  # the last matte of the region, at its small scale

    @staticmethod
    def _grabcut(small, rect):
        import cv2
        import numpy as np

        mask = np.zeros(small.shape[:2], np.uint8)
        bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        cv2.grabCut(small, mask, rect, bgd, fgd, GRABCUT_ITERS, cv2.GC_INIT_WITH_RECT)
        return ((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)).astype(np.float32)

    @staticmethod
    def _aligned(before, matte):
        """``before`` shifted onto ``matte`` (phase correlation): the tracked box jitters by a few pixels
        from frame to frame, and averaging unaligned mattes would blur and shift the edges."""
        import cv2
        import numpy as np

        (dx, dy), response = cv2.phaseCorrelate(before, matte)
        if response < ALIGN_RESPONSE or max(abs(dx), abs(dy)) > max(matte.shape) * ALIGN_SHIFT:
            return before
        shift = np.float32([[1, 0, dx], [0, 1, dy]])
        return cv2.warpAffine(before, shift, (matte.shape[1], matte.shape[0]), borderMode=cv2.BORDER_REPLICATE)

    def __call__(self, image, box):
        """The matte at ``image``'s size (float32, 0 outside the region around ``box``; all 0 without a box,
        as for frames before ``at`` beyond the tracker's memory)."""
        import cv2
        import numpy as np

        height, width = image.shape[:2]
        alpha = np.zeros((height, width), np.float32)
        if box is None:
            return alpha
        x0, y0, x1, y1 = _region(box, width, height)
        roi = image[y0:y1, x0:x1]
        scale = min(1.0, OBJECT_SIDE / max(roi.shape[:2]))
        small = cv2.resize(roi, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else roi
        sh, sw = small.shape[:2]
        if min(sh, sw) < MIN_REGION:  # a sliver at the frame's edge: nothing GrabCut can separate
            return alpha
        bx, by = round((box[0] - x0) * scale), round((box[1] - y0) * scale)
        bx, by = min(max(1, bx), sw - 3), min(max(1, by), sh - 3)  # GrabCut needs background around the box
        rect = (
            bx,
            by,
            max(2, min(round(box[2] * scale), sw - 1 - bx)),
            max(2, min(round(box[3] * scale), sh - 1 - by)),
        )
        matte = self._grabcut(np.ascontiguousarray(small), rect)
        guide = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32) / 255
        matte = np.clip(cv2.ximgproc.guidedFilter(guide, matte, OBJECT_GUIDE_RADIUS, GUIDE_EPS), 0, 1)
        if self.previous is not None and self.smooth > 0:
            before = self._aligned(cv2.resize(self.previous, (sw, sh), interpolation=cv2.INTER_LINEAR), matte)
            matte = cv2.addWeighted(matte, 1 - self.smooth, before, self.smooth, 0)
        self.previous = matte
        alpha[y0:y1, x0:x1] = cv2.resize(matte, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
        return alpha


class MatteStage(Stage):
    name = "matte"

    def __init__(self, op: MatteOp, param: str, assets: dict[str, Path]) -> None:
        super().__init__()
        self.op, self.param = op, param
        self.assets = assets
        self.mattes: list[float] = []

    def plan(self, state: State) -> State:
        import cv2
        import numpy as np

        from .frames import fit_image, read_picture

        self.follower = None
        if self.op.subject == "object":
            from .track import Follower

            self.follower = Follower(self.op, self.param)
            self.follower.plan(state)
        else:
            from ..vision.people import require_mediapipe

            require_mediapipe()
        self.backdrop = None
        if self.op.background == "color":
            self.backdrop = np.empty((state.height, state.width, 3), np.uint8)
            self.backdrop[:] = hex_bgr(self.op.color)
        elif self.op.background in ("image", "scene"):
            name = self.op.asset
            if name is None:  # a scene nobody rendered: the engine alone cannot draw it
                raise InvalidRequest(
                    f"'{self.param}.background' is a scene, which the Studio renders with the design engine "
                    "(Studio.edit_video, POST /v1/videos/edits); here give the picture with background=image.",
                    param=f"{self.param}.background",
                )
            if name not in self.assets:
                raise InvalidRequest(
                    f"'{self.param}.asset' names '{name}', which was not uploaded with the edit.",
                    param=f"{self.param}.asset",
                )
            photo = read_picture(self.assets[name], f"assets.{name}")
            picture = cv2.cvtColor(photo.rgb, cv2.COLOR_RGB2BGR)
            self.backdrop = fit_image(picture, state.width, state.height, fit="crop")
        return state

    def _background(self, image):
        import cv2

        if self.backdrop is not None:
            return self.backdrop
        h, w = image.shape[:2]
        scale = min(1.0, 320 / max(h, w))
        small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        k = max(3, round(self.op.blur * scale) | 1)
        return cv2.resize(cv2.GaussianBlur(small, (k, k), 0), (w, h), interpolation=cv2.INTER_LINEAR)

    def _mattes(self, frames: Iterator[Frame]):
        """(frame, 0..1 float32 matte at the frame's size) for every frame."""
        import cv2

        if self.follower is not None:
            matter = ObjectMatter(self.op.smooth)
            for frame, box, _status in self.follower.boxes(frames):
                yield frame, matter(frame.image, box)
            return
        previous = None
        for frame in frames:
            previous = person_matte(frame.image, previous, self.op.smooth)
            h, w = frame.image.shape[:2]
            yield frame, cv2.resize(previous, (w, h), interpolation=cv2.INTER_LINEAR)

    def video(self, frames: Iterator[Frame]) -> Iterator[Frame]:
        import cv2
        import numpy as np

        for frame, alpha in self._mattes(frames):
            image = frame.image
            self.frames_done += 1
            if self.op.background == "transparent":
                yield Frame(image, frame.t, alpha=cv2.convertScaleAbs(alpha, alpha=255))
                continue
            out = cv2.blendLinear(image, self._background(image), alpha, np.ascontiguousarray(1 - alpha))
            yield Frame(out, frame.t)
