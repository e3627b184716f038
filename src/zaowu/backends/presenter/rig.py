"""The face rig: a triangle-mesh warp of the portrait's face driven by a few amounts per frame.

The mesh is a Delaunay triangulation over the 468 face-mesh landmarks plus a ring of fixed points on
the border of the face region, so the warp fades to nothing at the region's edge (no tearing where the
warped face meets the still picture). Each control (jaw, mouth width, blink, brows) moves the landmarks
by a displacement set once from the face's own geometry; for each one a backward displacement field
(destination pixel → source pixel, piecewise affine over the triangles) is computed once at full
amount. A frame blends the fields by its amounts and samples the face region with one ``cv2.remap``,
so the per-frame cost is a few array multiply-adds and one remap of the face region.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CONTROLS", "Rig"]

CONTROLS = ("jaw", "wide", "blink", "brow")
"""What a frame sets: jaw 0..1 (open), wide -1..1 (rounded..spread lips), blink 0..1 (closed), brow 0..1 (raised)."""
MARGIN = 0.45
"""The warped region reaches this share of the face's size beyond its landmarks on each side."""
RING = 8
"""Fixed points per side of the region's border."""
JAW_OPEN = 0.10
"""How far the lower lip and chin drop at jaw 1, as a share of the face's height (forehead to chin)."""
LIP_SPREAD = 0.05
"""How far each mouth corner moves sideways at wide ±1, as a share of the face's height."""
BROW_LIFT = 0.04
"""How far the brows rise at brow 1, as a share of the face's height."""
UNFOLD_ROUNDS = 200
"""Smoothing rounds at most that take the folds out of a control's moves."""
LID_CLOSE = 0.85
"""Share of the eye's opening the upper lid travels at blink 1 (the lower lid rises the rest, less a sliver)."""

# face-mesh landmark indices
UPPER_INNER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LOWER_INNER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
UPPER_OUTER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LOWER_OUTER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
UPPER_MIDDLE = (76, 184, 74, 73, 72, 11, 302, 303, 304, 408, 306, 62, 183, 42, 41, 38, 12, 268, 271, 272, 407, 292)
LOWER_MIDDLE = (77, 90, 180, 85, 16, 315, 404, 320, 307, 96, 89, 179, 86, 15, 316, 403, 319, 325)
"""The rows of landmarks inside each lip, between its inner and outer lines: they move with their lip."""
CORNERS = (61, 291, 78, 308)
LIDS = (  # (upper, lower) pairs across each eye
    (246, 7),
    (161, 163),
    (160, 144),
    (159, 145),
    (158, 153),
    (157, 154),
    (173, 155),
    (466, 249),
    (388, 390),
    (387, 373),
    (386, 374),
    (385, 380),
    (384, 381),
    (398, 382),
)
CREASES = (
    (247, 246),
    (30, 161),
    (29, 160),
    (27, 159),
    (28, 158),
    (56, 157),
    (190, 173),
    (467, 466),
    (260, 388),
    (259, 387),
    (257, 386),
    (258, 385),
    (286, 384),
    (414, 398),
)
BROWS = (70, 63, 105, 66, 107, 55, 65, 52, 53, 46, 300, 293, 334, 296, 336, 285, 295, 282, 283, 276)


@dataclass
class Frame:
    """A face's axes: origin at the mouth, ``right`` along the eyes, ``down`` across them, ``height`` in pixels."""

    mouth: Any
    right: Any
    down: Any
    height: float


def _axes(pts) -> Frame:
    import numpy as np

    left_eye, right_eye = (pts[33] + pts[133]) / 2, (pts[362] + pts[263]) / 2
    right = right_eye - left_eye
    right = right / (np.linalg.norm(right) or 1.0)
    if right[0] < 0:
        right = -right
    down = np.array([-right[1], right[0]], dtype=np.float32)
    return Frame((pts[13] + pts[14]) / 2, right, down, float(np.linalg.norm(pts[152] - pts[10])) or 1.0)


def _jaw(pts, f: Frame):
    """Lower lip, chin and the jaw below the mouth drop; the upper lip lifts a little."""
    import numpy as np

    rel = pts - f.mouth
    u, v = rel @ f.right / f.height, rel @ f.down / f.height
    half = float(np.linalg.norm(pts[61] - pts[291])) / 2 / f.height
    w = np.clip(1 - (np.abs(u) - half) / 0.3, 0, 1) * np.clip(v / 0.06, 0, 1)
    lower = list(set(LOWER_INNER + LOWER_OUTER + LOWER_MIDDLE) - set(CORNERS))
    w[lower] = 0.45 + 0.55 * np.clip(1 - (u[lower] / max(half, 1e-3)) ** 2, 0, 1)
    w[list(UPPER_INNER)] = -0.1
    w[list(UPPER_MIDDLE)] = -0.075
    w[list(UPPER_OUTER)] = -0.05
    w[list(CORNERS)] = 0.4
    return (w * JAW_OPEN * f.height)[:, None] * f.down[None, :]


def _wide(pts, f: Frame):
    """Lips (and the skin close to them) move sideways, away from the mouth's centre line."""
    import numpy as np

    rel = pts - f.mouth
    u = rel @ f.right / f.height
    half = float(np.linalg.norm(pts[61] - pts[291])) / 2 / f.height
    dist = np.linalg.norm(rel, axis=1) / f.height
    w = np.clip(1 - (dist - half) / 0.12, 0, 1) * np.clip(u / max(half, 1e-3), -1, 1)
    return (w * LIP_SPREAD * f.height)[:, None] * f.right[None, :]


def _blink(pts, f: Frame):
    """Upper lids come down to the lower ones (the creases above follow part way); lower lids rise a little."""
    import numpy as np

    move = np.zeros_like(pts)
    for upper, lower in LIDS:
        gap = pts[lower] - pts[upper]
        move[upper] = LID_CLOSE * gap
        move[lower] = -(1 - LID_CLOSE - 0.05) * gap
    for crease, upper in CREASES:
        move[crease] = 0.35 * move[upper]
    return move


def _brow(pts, f: Frame):
    import numpy as np

    move = np.zeros_like(pts)
    move[list(BROWS)] = -BROW_LIFT * f.height * f.down
    return move


def _triangles(points, size: tuple[int, int]):
    """Delaunay triangles (index triples) over ``points`` inside a ``size`` (w, h) rectangle."""
    import cv2
    import numpy as np

    w, h = size
    subdiv = cv2.Subdiv2D((-1, -1, w + 2, h + 2))
    index = {}
    for i, (x, y) in enumerate(points):
        key = (round(float(x), 3), round(float(y), 3))
        if key not in index:
            index[key] = i
            subdiv.insert((float(x), float(y)))
    tris = []
    for t in subdiv.getTriangleList():
        corners = [(round(float(t[j]), 3), round(float(t[j + 1]), 3)) for j in (0, 2, 4)]
        ids = [index.get(c) for c in corners]
        if None not in ids:
            tris.append(ids)
    return np.array(tris, dtype=np.int32)


def _areas(points, triangles):
    a, b, c = points[triangles[:, 0]], points[triangles[:, 1]], points[triangles[:, 2]]
    return (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1])


def _unfold(points, triangles, move):
    """``move`` smoothed where it would turn a triangle over (a fold shows as a tear in the picture): each
    landmark of a flipped triangle takes the mean of its own and its neighbours' moves until none flips."""
    import numpy as np

    n = len(move)
    full = np.concatenate([move, np.zeros((len(points) - n, 2), np.float32)])
    sign = np.sign(_areas(points, triangles))
    neighbours: list[set[int]] = [set() for _ in range(len(points))]
    for tri in triangles:
        for i in tri:
            neighbours[i].update(int(j) for j in tri if j != i)
    for _ in range(UNFOLD_ROUNDS):
        flipped = triangles[_areas(points + full, triangles) * sign < 0]
        if not len(flipped):
            break
        for i in {int(i) for i in flipped.ravel() if i < n}:
            full[i] = 0.5 * full[i] + 0.5 * full[list(neighbours[i])].mean(axis=0)
    return full[:n]


class Rig:
    """The warp of one face. ``points``: the 468 landmarks in the picture's pixels; ``shape``: (h, w) of the picture."""

    def __init__(self, points, shape: tuple[int, int]):
        import numpy as np

        pts = np.asarray(points, dtype=np.float32)
        self.axes = _axes(pts)
        span = pts.max(axis=0) - pts.min(axis=0)
        lo = np.floor(np.maximum(pts.min(axis=0) - MARGIN * span, 0)).astype(int)
        hi = np.ceil(np.minimum(pts.max(axis=0) + MARGIN * span, [shape[1] - 1, shape[0] - 1])).astype(int)
        self.x0, self.y0 = int(lo[0]), int(lo[1])
        self.w, self.h = int(hi[0] - lo[0] + 1), int(hi[1] - lo[1] + 1)
        self.landmarks = pts - lo.astype(np.float32)  # region coordinates
        self.moves = {
            "jaw": _jaw(pts, self.axes),
            "wide": _wide(pts, self.axes),
            "blink": _blink(pts, self.axes),
            "brow": _brow(pts, self.axes),
        }
        edge = np.linspace(0, 1, RING + 1)[:-1]
        ring = np.concatenate(
            [
                np.stack([edge * (self.w - 1), np.zeros_like(edge)], 1),
                np.stack([np.full_like(edge, self.w - 1), edge * (self.h - 1)], 1),
                np.stack([(1 - edge) * (self.w - 1), np.full_like(edge, self.h - 1)], 1),
                np.stack([np.zeros_like(edge), (1 - edge) * (self.h - 1)], 1),
            ]
        ).astype(np.float32)
        self.points = np.concatenate([self.landmarks, ring])
        self.triangles = _triangles(self.points, (self.w, self.h))
        self.moves = {name: _unfold(self.points, self.triangles, move) for name, move in self.moves.items()}
        ys, xs = np.mgrid[0 : self.h, 0 : self.w].astype(np.float32)
        self.grid = (xs, ys)
        self.fields = {name: self._field(move) for name, move in self.moves.items()}

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) of the warped region in the picture."""
        return self.x0, self.y0, self.x0 + self.w, self.y0 + self.h

    def _field(self, move):
        """The backward field (dx, dy) of ``move`` at full amount: for each destination pixel, source - destination."""
        import cv2
        import numpy as np

        src = self.points
        dst = src + np.concatenate([move, np.zeros((len(src) - len(move), 2), np.float32)])
        label = np.full((self.h, self.w), -1, dtype=np.int32)
        mats = np.zeros((len(self.triangles), 2, 3), dtype=np.float32)
        for k, tri in enumerate(self.triangles):
            a, b = dst[tri], src[tri]
            area = (a[1, 0] - a[0, 0]) * (a[2, 1] - a[0, 1]) - (a[2, 0] - a[0, 0]) * (a[1, 1] - a[0, 1])
            if abs(area) < 0.25:  # collapsed (a closed eyelid): its neighbours cover it
                continue
            mats[k] = cv2.getAffineTransform(a.astype(np.float32), b.astype(np.float32))
            cv2.fillConvexPoly(label, np.round(a * 16).astype(np.int32), int(k), lineType=cv2.LINE_8, shift=4)
        xs, ys = self.grid
        inside = label >= 0
        m = mats[np.maximum(label, 0)]
        sx = m[..., 0, 0] * xs + m[..., 0, 1] * ys + m[..., 0, 2]
        sy = m[..., 1, 0] * xs + m[..., 1, 1] * ys + m[..., 1, 2]
        dx = np.where(inside, sx - xs, 0).astype(np.float32)
        dy = np.where(inside, sy - ys, 0).astype(np.float32)
        return dx, dy

    def points_at(self, amounts: dict[str, float]):
        """The landmarks (region coordinates) moved by ``amounts``."""
        out = self.landmarks.copy()
        for name, amount in amounts.items():
            if amount:
                out += amount * self.moves[name]
        return out

    def warp(self, region, amounts: dict[str, float]):
        """``region`` (the picture cut to :attr:`box`) with the face moved by ``amounts``."""
        import cv2

        mx, my = self.grid[0].copy(), self.grid[1].copy()
        for name, amount in amounts.items():
            if amount:
                dx, dy = self.fields[name]
                mx += amount * dx
                my += amount * dy
        return cv2.remap(region, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def draw_mouth(region, rig: Rig, amounts: dict[str, float], rest_gap: float) -> None:
    """The mouth's interior (a dark cavity, a hint of upper teeth) drawn into ``region`` (BGR) where the lips part."""
    import cv2
    import numpy as np

    jaw = amounts.get("jaw", 0.0)
    if jaw <= 0.05:
        return
    pts = rig.points_at(amounts)
    upper, lower = pts[list(UPPER_INNER)], pts[list(LOWER_INNER)]
    gap = float(np.linalg.norm(pts[14] - pts[13]))
    strength = float(np.clip((gap - rest_gap) / max(2.0, 0.04 * rig.axes.height), 0, 1))
    if strength <= 0:
        return
    poly = np.concatenate([upper, lower[::-1]])
    x0, y0 = np.floor(poly.min(axis=0)).astype(int) - 2
    x1, y1 = np.ceil(poly.max(axis=0)).astype(int) + 3
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, region.shape[1]), min(y1, region.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    shift = np.array([x0, y0], dtype=np.float32)
    mask = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
    cv2.fillPoly(mask, [np.round((poly - shift) * 16).astype(np.int32)], 255, cv2.LINE_AA, shift=4)
    teeth = np.zeros_like(mask)
    band = max(1.0, 0.28 * gap)
    teeth_poly = np.concatenate([upper, (upper + rig.axes.down * band)[::-1]])
    cv2.fillPoly(teeth, [np.round((teeth_poly - shift) * 16).astype(np.int32)], 255, cv2.LINE_AA, shift=4)
    teeth = cv2.min(teeth, mask)
    patch = region[y0:y1, x0:x1].astype(np.float32)
    cavity = (mask.astype(np.float32) / 255 * strength)[..., None]
    patch = patch * (1 - 0.9 * cavity) + np.array([30, 26, 60], np.float32) * 0.9 * cavity  # BGR: dark red-brown
    tooth = (teeth.astype(np.float32) / 255 * strength * 0.55)[..., None]
    patch = patch * (1 - tooth) + np.array([212, 222, 230], np.float32) * tooth
    region[y0:y1, x0:x1] = np.clip(patch, 0, 255).astype(np.uint8)
