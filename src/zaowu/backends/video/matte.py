"""``matte``: people cut out of each frame and put on another background.

The person matte comes from mediapipe's selfie segmentation (bundled in the wheel, loaded by
``backends.vision.people``), computed at :data:`MATTE_SIDE`, refined at the edges with a guided
filter (opencv-contrib ``ximgproc``) that snaps it to the frame's own edges, and smoothed in time
(an exponential average over frames, ``smooth``), so hair and shoulders do not flicker. The
background becomes a colour, a picture (an asset, fitted by cropping) or a blurred copy of the
frame itself, or stays transparent: the matte is written as the alpha of a WebM (VP9 yuva420p).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ...errors import InvalidRequest
from .ops import MatteOp
from .stage import Frame, Stage, State, hex_bgr

__all__ = ["MATTE_SIDE", "MatteStage", "person_matte"]

MATTE_SIDE = 512
"""Long side (pixels) at which the matte is computed and refined, then scaled to the frame."""
GUIDE_RADIUS = 6
GUIDE_EPS = 1e-3


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

        from ..vision.people import require_mediapipe
        from .frames import fit_image, read_picture

        require_mediapipe()
        self.backdrop = None
        if self.op.background == "color":
            self.backdrop = np.empty((state.height, state.width, 3), np.uint8)
            self.backdrop[:] = hex_bgr(self.op.color)
        elif self.op.background == "image":
            name = self.op.asset
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

    def video(self, frames: Iterator[Frame]) -> Iterator[Frame]:
        import cv2
        import numpy as np

        previous = None
        for frame in frames:
            image = frame.image
            previous = person_matte(image, previous, self.op.smooth)
            h, w = image.shape[:2]
            alpha = cv2.resize(previous, (w, h), interpolation=cv2.INTER_LINEAR)
            self.frames_done += 1
            if self.op.background == "transparent":
                yield Frame(image, frame.t, alpha=cv2.convertScaleAbs(alpha, alpha=255))
                continue
            out = cv2.blendLinear(image, self._background(image), alpha, np.ascontiguousarray(1 - alpha))
            yield Frame(out, frame.t)
