"""``track``: one box followed through the video, reported per frame as tracked or lost.

OpenCV's CSRT (accurate) or KCF (fast) tracker runs on a frame scaled so its long side is at most
:data:`TRACK_SIDE` (and the object's at most :data:`MAX_TRACK_BOX`), CSRT with a small power-of-two
template and fewer scales than its defaults (:data:`CSRT_TEMPLATE`, :data:`CSRT_SCALES`): about
twice as fast at the same accuracy on the tests' clips. After each update the box is checked against the object's appearance when it
was given (normalised cross-correlation of grey patches): a tracker that drifted onto an occluder,
or says it failed, marks the object ``lost``; while lost, template matching searches the frame
each frame and re-starts the tracker where the object shows again.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator

from ...errors import InvalidRequest
from .ops import TrackOp
from .stage import EPS, Frame, Stage, State, hex_bgr

__all__ = ["BoxTracker", "TrackStage", "blur_box", "clip_box", "pixelate_box", "point_box"]

log = logging.getLogger(__name__)

TRACK_SIDE = 640
"""Long side (pixels) of the frame the tracker sees; larger frames are scaled down for speed."""
MIN_TRACK_BOX = 20
"""Short side (pixels) the object keeps at the tracker's scale, when the frame allows it."""
LOST_SCORE = 0.5
"""Appearance match (-1..1, colour) below which a tracked box is declared lost."""
DOUBT_SCORE = 0.7
"""Appearance match below which the frame is searched for a better place while still tracking."""
FOUND_SCORE = 0.7
"""Appearance match a search must reach to pick the object up (again)."""
MAX_TRACK_BOX = 64
"""Long side (pixels) of the object at the tracker's scale: CSRT's cost grows with it."""
FULL_SEARCH_EVERY = 5
"""While lost, the whole frame is searched every this many frames (around the last box in between)."""
FLAT_STD = 6.0
"""Grey-level spread under which a patch is flat (a wall, an occluder): never taken for the object."""
BACKTRACK_BYTES = 384 << 20
"""Memory for frames held before ``at`` to track backwards from it (about 4.5 s of 720p); earlier frames
are reported ``pending``."""
CSRT_TEMPLATE = 128
"""CSRT's template side (its default is 200): a power of two keeps its FFTs cheap; with :data:`MAX_TRACK_BOX`
it bounds the tracker's cost per frame whatever the object's size."""
CSRT_SCALES = 9
"""Scales CSRT tries per frame (its default is 33): objects in a video change size slowly."""
CSRT_ADMM = 3
"""CSRT's filter optimisation iterations per frame (its default is 4)."""
POINT_BOX_FRACTION = 0.12
"""A point becomes a square box this fraction of the frame's short side."""


def clip_box(box, width: int, height: int) -> tuple[int, int, int, int]:
    x, y, w, h = (round(v) for v in box)
    x, y = min(max(0, x), width - 2), min(max(0, y), height - 2)
    return x, y, max(2, min(w, width - x)), max(2, min(h, height - y))


def point_box(point, width: int, height: int) -> tuple[int, int, int, int]:
    side = max(16, round(min(width, height) * POINT_BOX_FRACTION))
    return clip_box((point[0] - side / 2, point[1] - side / 2, side, side), width, height)


def _create(method: str):
    import cv2

    if method == "kcf":
        return cv2.TrackerKCF_create()
    params = cv2.TrackerCSRT_Params()
    params.use_segmentation = False  # faster; the boxes of a tracked object are what we need
    params.template_size = CSRT_TEMPLATE
    params.number_of_scales = CSRT_SCALES
    params.admm_iterations = CSRT_ADMM
    return cv2.TrackerCSRT_create(params)


class BoxTracker:
    """Follows one box frame by frame; ``update`` returns (box in frame pixels, "tracked" | "lost")."""

    def __init__(self, method: str = "csrt") -> None:
        self.method = method
        self.box: tuple[int, int, int, int] | None = None
        self.lost_for = 0

    def _small(self, image):
        import cv2

        small = (
            image
            if self.scale == 1
            else cv2.resize(image, None, fx=self.scale, fy=self.scale, interpolation=cv2.INTER_AREA)
        )
        return small, cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)

    def start(self, image, box) -> None:
        h, w = image.shape[:2]
        box = clip_box(box, w, h)
        scale = min(1.0, TRACK_SIDE / max(w, h), MAX_TRACK_BOX / max(box[2], box[3]))
        if min(box[2], box[3]) * scale < MIN_TRACK_BOX:
            scale = min(1.0, MIN_TRACK_BOX / min(box[2], box[3]))
        self.scale = scale
        self.size = (w, h)
        small, _grey = self._small(image)
        sbox = self._to_small(box)
        self.template = small[sbox[1] : sbox[1] + sbox[3], sbox[0] : sbox[0] + sbox[2]].copy()
        self._restart(small, sbox)
        self.box = box

    def _restart(self, small, sbox) -> None:
        self.tracker = _create(self.method)
        self.tracker.init(small, tuple(int(v) for v in sbox))

    def _to_small(self, box):
        s = self.scale
        return tuple(max(1, round(v * s)) if i >= 2 else round(v * s) for i, v in enumerate(box))

    def _to_frame(self, sbox):
        return clip_box([v / self.scale for v in sbox], *self.size)

    def _score(self, small, grey, sbox) -> float:
        import cv2

        x, y, w, h = (round(v) for v in sbox)
        gh, gw = grey.shape
        if w < 4 or h < 4 or x < 0 or y < 0 or x + w > gw or y + h > gh:
            return -1.0
        if float(grey[y : y + h, x : x + w].std()) < FLAT_STD:
            return -1.0
        patch = cv2.resize(small[y : y + h, x : x + w], (self.template.shape[1], self.template.shape[0]))
        return float(cv2.matchTemplate(patch, self.template, cv2.TM_CCOEFF_NORMED)[0, 0])

    def _search(self, small, grey, near=None):
        """The best match of the template in the frame, or only around ``near`` (a box at tracker scale)."""
        import cv2

        th, tw = self.template.shape[:2]
        x0, y0 = 0, 0
        if near is not None:
            x, y, w, h = (round(v) for v in near)
            x0, y0 = max(0, x - w), max(0, y - h)
            x1, y1 = min(small.shape[1], x + 2 * w), min(small.shape[0], y + 2 * h)
            small, grey = small[y0:y1, x0:x1], grey[y0:y1, x0:x1]
        if grey.shape[0] < th or grey.shape[1] < tw:
            return None, -1.0
        scores = cv2.matchTemplate(small, self.template, cv2.TM_CCOEFF_NORMED)
        total, squares = cv2.integral2(grey, sdepth=cv2.CV_64F)[:2]
        n = float(th * tw)

        def window(table):
            return table[th:, tw:] - table[:-th, tw:] - table[th:, :-tw] + table[:-th, :-tw]

        mean = window(total) / n
        flat = window(squares) / n - mean * mean < FLAT_STD * FLAT_STD
        scores[flat] = -1.0
        _, best, _, (x, y) = cv2.minMaxLoc(scores)
        return ((x + x0, y + y0, tw, th), best) if best >= FOUND_SCORE else (None, best)

    def update(self, image) -> tuple[tuple[int, int, int, int] | None, str]:
        small, grey = self._small(image)
        if self.lost_for == 0:
            ok, sbox = self.tracker.update(small)
            score = self._score(small, grey, sbox) if ok else -1.0
            if score >= DOUBT_SCORE:
                self.box = self._to_frame(sbox)
                return self.box, "tracked"
            if score >= LOST_SCORE:  # unsure: a better place nearby corrects a drifting box
                found, best = self._search(small, grey, near=sbox)
                if found is not None and best > score + 0.1:
                    self._restart(small, found)
                    sbox = found
                self.box = self._to_frame(sbox)
                return self.box, "tracked"
            self.lost_for = 1
        near = None if self.lost_for % FULL_SEARCH_EVERY == 1 else self._to_small(self.box)
        found, _ = self._search(small, grey, near=near)
        if found is None:
            self.lost_for += 1
            return self.box, "lost"
        log.debug("track: object found again after %d frames", self.lost_for)
        self._restart(small, found)
        self.lost_for = 0
        self.box = self._to_frame(found)
        return self.box, "tracked"


def blur_box(image, box):
    import cv2

    x, y, w, h = box
    out = image.copy()
    k = max(3, (min(w, h) // 3) | 1)
    out[y : y + h, x : x + w] = cv2.GaussianBlur(out[y : y + h, x : x + w], (k, k), 0)
    return out


def pixelate_box(image, box, blocks: int = 10):
    import cv2

    x, y, w, h = box
    out = image.copy()
    region = out[y : y + h, x : x + w]
    bw, bh = max(1, min(blocks, w)), max(1, round(min(blocks, w) * h / w))
    small = cv2.resize(region, (bw, bh), interpolation=cv2.INTER_AREA)
    out[y : y + h, x : x + w] = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    return out


class Follower:
    """The per-frame boxes of a target given by box or point at time ``at`` (shared by track and remove)."""

    def __init__(self, op, param: str) -> None:
        self.op, self.param = op, param
        self.tracker = BoxTracker(op.method)
        self.started = False

    def plan(self, state: State) -> None:
        op = self.op
        if op.at >= state.duration:
            raise InvalidRequest(
                f"'{self.param}.at' ({op.at:g} s) is after the end of the video ({state.duration:.2f} s).",
                param=f"{self.param}.at",
            )
        x, y = (op.box or op.point)[:2]
        if x >= state.width or y >= state.height:
            field = "box" if op.box is not None else "point"
            raise InvalidRequest(
                f"'{self.param}.{field}' ({x}, {y}) lies outside the {state.width}x{state.height} frame.",
                param=f"{self.param}.{field}",
            )
        self.half_frame = 0.5 / float(state.fps)

    def _start(self, frame: Frame) -> tuple[int, int, int, int]:
        h, w = frame.image.shape[:2]
        box = self.op.box if self.op.box is not None else point_box(self.op.point, w, h)
        self.tracker.start(frame.image, box)
        self.started = True
        return self.tracker.box

    def boxes(self, frames: Iterator[Frame]) -> Iterator[tuple[Frame, tuple[int, int, int, int] | None, str]]:
        """(frame, box, status) for every frame, in order. Frames before ``at`` are held (up to
        :data:`BACKTRACK_BYTES`) and tracked backwards from ``at`` once it is reached; older ones are
        ``pending`` (no box)."""
        held: deque[Frame] = deque()
        held_bytes = 0
        for frame in frames:
            if self.started:
                yield (frame, *self.tracker.update(frame.image))
                continue
            if frame.t < self.op.at - self.half_frame - EPS:
                held.append(frame)
                held_bytes += frame.image.nbytes
                while held_bytes > BACKTRACK_BYTES:
                    old = held.popleft()
                    held_bytes -= old.image.nbytes
                    yield old, None, "pending"
                continue
            box = self._start(frame)
            if held:
                back = BoxTracker(self.op.method)
                back.start(frame.image, box)
                found = [back.update(f.image) for f in reversed(held)]
                for f, (b, status) in zip(held, reversed(found)):
                    yield f, b, status
                held.clear()
            yield frame, box, "tracked"
        for f in held:  # the video ended before ``at``
            yield f, None, "pending"


class TrackStage(Stage):
    name = "track"

    def __init__(self, op: TrackOp, param: str) -> None:
        super().__init__()
        self.op, self.param = op, param
        self.follower = Follower(op, param)
        self.records: list[dict] = []
        self.color = hex_bgr(op.color)
        self.changes_frames = op.action != "none"

    def plan(self, state: State) -> State:
        self.follower.plan(state)
        return state

    def video(self, frames: Iterator[Frame]) -> Iterator[Frame]:
        import cv2

        for frame, box, status in self.follower.boxes(frames):
            self.records.append(
                {"frame": self.frames_done, "t": round(frame.t, 4), "box": list(box) if box else None, "status": status}
            )
            self.frames_done += 1
            action = self.op.action
            if box is None or action == "none" or (status == "lost" and action == "draw"):
                yield frame
            elif action == "draw":
                image = frame.image.copy()
                x, y, w, h = box
                cv2.rectangle(image, (x, y), (x + w - 1, y + h - 1), self.color, max(2, min(w, h) // 25))
                yield Frame(image, frame.t)
            else:  # blur or pixelate, also while lost: the last box stays hidden
                yield Frame((blur_box if action == "blur" else pixelate_box)(frame.image, box), frame.t)

    def result(self) -> list[dict]:
        return self.records
