"""Camera moves and transitions on BGR NumPy pictures.

A scene's still is rendered once at ``OVERSCAN`` times the output size; each frame is a window of it
(its width a share ``f`` of the still's, its centre ``cx, cy``) scaled to the output by one affine
warp, the window moving with the scene's eased progress (Ken Burns). A transition blends the
previous scene's last picture with the new scene's frames over its first seconds.
"""

from __future__ import annotations

from typing import Any

__all__ = ["OVERSCAN", "SAFE_MARGIN", "camera_frame", "ease", "keep_in_view", "transition_frame", "window"]

OVERSCAN = 1.2
"""The still is this much larger than the output, so a pan or zoom never shows an edge."""
TIGHT = 1 / OVERSCAN
"""The narrowest window (a share of the still's width): the output at 1:1 pixels."""
REST = 0.9
"""The window of a scene without a camera move."""
SAFE_MARGIN = 0.05
"""Share of the window kept clear around a design's text during a camera move (the title-safe area)."""

Box = tuple[float, float, float, float]
"""x0, y0, x1, y1 as shares of the still's width and height."""


def ease(p: float) -> float:
    """Smoothstep: starts and ends at rest."""
    p = min(1.0, max(0.0, p))
    return p * p * (3 - 2 * p)


def window(move: str, p: float) -> tuple[float, float, float]:
    """(f, cx, cy): the window's share of the still's width and its centre (shares of the still) at progress ``p``."""
    e = ease(p)
    half = TIGHT / 2
    if move == "zoom_in":
        return 1.0 + (TIGHT - 1.0) * e, 0.5, 0.5
    if move == "zoom_out":
        return TIGHT + (1.0 - TIGHT) * e, 0.5, 0.5
    if move in ("pan_left", "pan_right"):
        a, b = (1 - half, half) if move == "pan_left" else (half, 1 - half)
        return TIGHT, a + (b - a) * e, 0.5
    if move in ("pan_up", "pan_down"):
        a, b = (1 - half, half) if move == "pan_up" else (half, 1 - half)
        return TIGHT, 0.5, a + (b - a) * e
    if move in ("zoom_in_left", "zoom_in_right"):
        f = 1.0 + (TIGHT - 1.0) * e
        edge = f / 2 if move == "zoom_in_left" else 1 - f / 2
        return f, 0.5 + (edge - 0.5) * e, 0.5
    return REST, 0.5, 0.5


def _clamp(value: float, lo: float, hi: float) -> float:
    return (lo + hi) / 2 if lo > hi else min(max(value, lo), hi)


def keep_in_view(f: float, cx: float, cy: float, keep: Box | None) -> tuple[float, float, float]:
    """The window (f, cx, cy) moved and widened as little as needed to hold ``keep`` (the design's text) inside
    its safe area, ``SAFE_MARGIN`` of the window from each edge: a pan stops where the text would leave the
    frame, a zoom where it would be cut."""
    if keep is None:
        return f, cx, cy
    x0, y0, x1, y1 = keep
    f = min(1.0, max(f, (x1 - x0) / (1 - 2 * SAFE_MARGIN), (y1 - y0) / (1 - 2 * SAFE_MARGIN)))
    margin = SAFE_MARGIN * f
    cx = _clamp(cx, x1 + margin - f / 2, x0 - margin + f / 2)
    cy = _clamp(cy, y1 + margin - f / 2, y0 - margin + f / 2)
    return f, _clamp(cx, f / 2, 1 - f / 2), _clamp(cy, f / 2, 1 - f / 2)


def camera_frame(still: Any, move: str, p: float, size: tuple[int, int], keep: Box | None = None) -> Any:
    """The output picture (``size`` = width, height) of ``still`` at progress ``p`` of ``move``, the box
    ``keep`` (the design's text, shares of the still) held inside the safe area."""
    import cv2
    import numpy as np

    width, height = size
    sh, sw = still.shape[:2]
    f, cx, cy = keep_in_view(*window(move, p), keep)
    w, h = f * sw, f * sh
    x0 = min(max(cx * sw - w / 2, 0.0), sw - w)
    y0 = min(max(cy * sh - h / 2, 0.0), sh - h)
    sx, sy = width / w, height / h
    matrix = np.array([[sx, 0.0, -x0 * sx], [0.0, sy, -y0 * sy]], dtype=np.float64)
    return cv2.warpAffine(still, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def transition_frame(kind: str, old: Any, new: Any, a: float) -> Any:
    """``old`` giving way to ``new`` at ``a`` in [0, 1] (eased): crossfade, slide (push to the left), wipe."""
    import cv2
    import numpy as np

    a = ease(a)
    if kind == "cut" or a >= 1.0:
        return new
    if kind == "crossfade":
        return cv2.addWeighted(old, 1.0 - a, new, a, 0.0)
    width = new.shape[1]
    dx = round(a * width)
    if kind == "slide":
        return np.ascontiguousarray(np.concatenate([old[:, dx:], new[:, :dx]], axis=1))
    out = old.copy()  # wipe: the new picture uncovered from the left
    out[:, :dx] = new[:, :dx]
    return out
