"""Cutting a product out of its photo with OpenCV, no neural weights.

A product shot has a background that reaches the frame's edges, so the edges tell
what the background looks like. The steps:

1. Estimate the background everywhere: a smooth colour surface (quadratic in x and
   y, per Lab channel) fitted robustly to the border strip. Gradients and vignettes
   fit; texture shows up as the spread of the border around the fit.
2. Score each pixel by its colour distance from that estimate, in units of that
   spread. Where the border model explains nothing (busy scenes), the spectral
   residual saliency map seeds instead.
3. Seed GrabCut with sure background (the border), probable background/foreground
   (by score) and sure foreground (the eroded core of the strongest blob), and let
   it settle the boundary from colour models of both sides.
4. Clean the binary mask: open/close, keep the main component(s), fill pin holes.

The result is a hard mask at the working size; ``cutout`` upsizes and softens it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

__all__ = ["ObjectMask", "segment_object", "WORK_SIDE"]

WORK_SIDE = 480  # long side of the working copy GrabCut runs on
_BG, _FG, _PR_BG, _PR_FG = 0, 1, 2, 3
_SHARP = 0.022  # change of shading per pixel (after a 5 px blur) above which an edge is an object's, not a shadow's  # cv2.GC_BGD, GC_FGD, GC_PR_BGD, GC_PR_FGD


@dataclass
class ObjectMask:
    mask: Any  # H x W uint8 0/255 at the working size
    confidence: float  # 0..1: how clearly the object stands apart from its background
    method: str  # "border" or "saliency": what seeded GrabCut


def segment_object(rgb) -> ObjectMask:
    """The main object of a product photo (RGB uint8, any size; work happens at ``WORK_SIDE``)."""
    import cv2
    import numpy as np

    from .images import resize_max

    work = resize_max(rgb, WORK_SIDE)
    h, w = work.shape[:2]
    border = _border_mask(h, w)
    score = _background_distance(work, border)
    share = float((score > 3.0).mean())
    method = "border"
    if share < 0.0005:  # nothing anywhere differs from the background: a blank photo
        return ObjectMask(np.zeros((h, w), np.uint8), 0.0, method)
    if not 0.003 < share < 0.85:
        score = _saliency_score(work)
        method = "saliency"
    init = _grabcut_seed(score, border)
    if not (init == _PR_FG).any() and not (init == _FG).any():
        return ObjectMask(np.zeros((h, w), np.uint8), 0.0, method)
    cv2.setRNGSeed(0)  # GrabCut's k-means draws from OpenCV's RNG: same photo, same mask
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    try:
        cv2.grabCut(work, init, None, bgd, fgd, 5, cv2.GC_INIT_WITH_MASK)
    except cv2.error as exc:  # a degenerate seed (one side empty): keep the seed itself
        log.debug("grabCut gave up: %s", exc)
    mask = np.where((init == _FG) | (init == _PR_FG), 255, 0).astype(np.uint8)
    mask = clean_mask(mask)
    return ObjectMask(mask, _confidence(score, mask), method)


def _border_mask(h: int, w: int):
    import numpy as np

    b = max(2, round(0.03 * min(h, w)))
    border = np.zeros((h, w), bool)
    border[:b], border[-b:], border[:, :b], border[:, -b:] = True, True, True, True
    return border


def _design(h: int, w: int):
    """Quadratic surface terms for every pixel: 1, x, y, x², xy, y² (coordinates in -1..1)."""
    import numpy as np

    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    xs, ys = xs / max(1, w - 1) * 2 - 1, ys / max(1, h - 1) * 2 - 1
    return np.stack([np.ones_like(xs), xs, ys, xs * xs, xs * ys, ys * ys], axis=-1)


def _fit_surface(values, border, terms):
    """A quadratic colour surface fitted to the border pixels, robust to an object touching the frame."""
    import numpy as np

    a, b = terms[border], values[border]
    keep = np.ones(len(a), bool)
    for _ in range(3):  # drop border pixels far from the fit, fit again
        coef, *_ = np.linalg.lstsq(a[keep], b[keep], rcond=None)
        resid = np.linalg.norm(b - a @ coef, axis=1)
        cut = max(3.0 * float(np.median(resid[keep])), 4.0)
        new_keep = resid < cut
        if new_keep.sum() < 0.3 * len(a) or (new_keep == keep).all():
            break
        keep = new_keep
    return terms @ coef, max(float(np.percentile(resid[keep], 90)), 2.5)


def _background_distance(work, border):
    """Per-pixel Lab distance from the fitted background, in units of the border's spread.
    Pixels that look like the background in shadow (every channel darkened by one factor)
    are scored as the background: a product's cut-out should not carry its old shadow."""
    import cv2
    import numpy as np

    blurred = cv2.GaussianBlur(work, (5, 5), 0)
    lab = cv2.cvtColor(blurred, cv2.COLOR_RGB2LAB).astype(np.float32)
    terms = _design(*lab.shape[:2])
    predicted, spread = _fit_surface(lab, border, terms)
    score = np.linalg.norm(lab - predicted, axis=2) / spread
    rgb = blurred.astype(np.float32)
    bg_rgb, _ = _fit_surface(rgb, border, terms)
    ratio = (rgb + 4.0) / (np.clip(bg_rgb, 0, 255) + 4.0)
    shade = ratio.mean(axis=2)
    shadow = (shade > 0.3) & (shade < 0.97) & (ratio.std(axis=2) < 0.035 + 0.05 * (1 - shade))
    shadow = _soft_regions(shadow, shade, score)
    score[shadow] = np.minimum(score[shadow], 2.0)
    return score


def _soft_regions(candidates, shade, score):
    """Keep shadow-like regions whose edge towards the background is soft. A shadow fades out;
    an object the colour of a darker background (a grey box on grey) ends at a sharp edge."""
    import cv2
    import numpy as np

    gy, gx = np.gradient(shade)
    grad = np.hypot(gx, gy)
    cand = (candidates & (grad < _SHARP)).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(cand, connectivity=8)
    keep = np.zeros(n, bool)
    background = (score < 2.5) & ~candidates
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        if area < 20:
            continue
        x0, y0, x1, y1 = max(0, x - 4), max(0, y - 4), x + w + 4, y + h + 4
        part = (labels[y0:y1, x0:x1] == i).astype(np.uint8)
        around = (cv2.dilate(part, kernel) > 0) & (part == 0)
        ring = around & background[y0:y1, x0:x1]
        if ring.sum() >= 8:
            keep[i] = float(np.percentile(grad[y0:y1, x0:x1][ring], 75)) < _SHARP
        else:  # enclosed: background seen through a handle (ringed by the object's own colours) is shadow-like;
            # a pale object's face (ringed by its own sharp, shadow-coloured edge) is not
            keep[i] = float(candidates[y0:y1, x0:x1][around].mean()) < 0.5
    return keep[labels] & (cand > 0)


def _saliency_score(work):
    """Spectral residual saliency scaled so that its Otsu threshold lands near 3 (the border score's cut)."""
    import cv2
    import numpy as np

    sal = cv2.saliency.StaticSaliencySpectralResidual_create()
    ok, smap = sal.computeSaliency(cv2.cvtColor(work, cv2.COLOR_RGB2BGR))
    if not ok:
        return np.zeros(work.shape[:2], np.float32)
    smap = cv2.GaussianBlur(smap.astype(np.float32), (0, 0), max(2.0, work.shape[0] / 80))
    u8 = cv2.normalize(smap, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    otsu, _ = cv2.threshold(u8, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    return u8.astype(np.float32) * (3.0 / max(1.0, otsu))


def _grabcut_seed(score, border):
    import cv2
    import numpy as np

    init = np.full(score.shape, _PR_BG, np.uint8)
    init[score >= 2.5] = _PR_FG
    init[(score < 1.2) | (border & (score < 3.0))] = _BG
    strong = largest_component((score >= 4.0).astype(np.uint8) * 255)
    if strong.any():
        area = float((strong > 0).sum())
        k = max(3, round(np.sqrt(area) * 0.08) | 1)
        core = cv2.erode(strong, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
        init[core > 0] = _FG
    return init


def largest_component(mask, keep_ratio: float = 0.0):
    """The biggest 8-connected blob of a 0/255 mask, plus any blob at least ``keep_ratio`` of its area."""
    import cv2
    import numpy as np

    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return np.zeros_like(mask)
    areas = stats[1:, cv2.CC_STAT_AREA]
    biggest = int(areas.max())
    keep = [i + 1 for i, a in enumerate(areas) if a == biggest or (keep_ratio and a >= keep_ratio * biggest)]
    return np.where(np.isin(labels, keep), 255, 0).astype(np.uint8)


def clean_mask(mask):
    """Open away specks, close small gaps, keep the main blob(s), fill pin holes (not real ones like a handle's)."""
    import cv2
    import numpy as np

    if not mask.any():
        return mask
    side = max(1.0, float(np.sqrt((mask > 0).sum())))
    k = max(3, int(side * 0.02) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel)
    mask = largest_component(mask, keep_ratio=0.15)
    holes = largest_component_free(255 - mask, max_area=0.004 * side * side)
    return np.maximum(mask, holes)


def largest_component_free(inverse, max_area: float):
    """Holes of a mask (blobs of its inverse that do not touch the frame) smaller than ``max_area``."""
    import cv2
    import numpy as np

    n, labels, stats, _ = cv2.connectedComponentsWithStats(inverse, connectivity=4)
    h, w = inverse.shape
    small = []
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        touches = x == 0 or y == 0 or x + bw == w or y + bh == h
        if not touches and area <= max_area:
            small.append(i)
    return np.where(np.isin(labels, small), 255, 0).astype(np.uint8)


def _confidence(score, mask) -> float:
    """How far the object's pixels sit from the background model compared with the rest (0..1)."""
    import numpy as np

    inside, outside = mask > 0, mask == 0
    if not inside.any() or not outside.any():
        return 0.0
    gap = float(np.median(score[inside])) - float(np.median(score[outside]))
    share = float(inside.mean())
    sane = 1.0 if 0.01 < share < 0.9 else 0.3
    return round(max(0.0, min(1.0, gap / 6.0)) * sane, 3)
