"""Decorative geometric motifs: circles, rings, dots, stripes, triangles, waves, blobs, grid.

Each motif adds translucent shapes near the edges and corners of the canvas,
placed by the seeded ``random.Random`` it is given, so the same seed draws the
same decoration. Text contrast is checked afterwards against the real pixels.
"""

from __future__ import annotations

import math
import random

from .scene import Scene, Shape

__all__ = ["add_motifs", "MOTIF_FUNCS"]

_CORNERS = ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0))


def _corner(rng: random.Random, scene: Scene) -> tuple[float, float]:
    fx, fy = rng.choice(_CORNERS)
    return fx * scene.width, fy * scene.height


def circles(scene: Scene, rng: random.Random, soft: str, accent: str, ink: str, k: float) -> None:
    b = min(scene.width, scene.height)
    corners = rng.sample(_CORNERS, 2)
    for (fx, fy), r, color, op in zip(corners, (0.42, 0.26), (soft, accent), (0.35, 0.22)):
        cx = fx * scene.width + (0.08 if fx == 0 else -0.08) * b
        cy = fy * scene.height + (0.06 if fy == 0 else -0.06) * b
        scene.shapes.append(Shape("circle", (cx, cy, r * b), fill=color, opacity=op * k))
    fx, fy = corners[0]
    scene.shapes.append(
        Shape(
            "circle",
            (abs(fx * scene.width - 0.3 * b), abs(fy * scene.height - 0.42 * b), 0.035 * b),
            fill=accent,
            opacity=0.6 * k,
            decor=True,
        )
    )


def rings(scene: Scene, rng: random.Random, soft: str, accent: str, ink: str, k: float) -> None:
    b = min(scene.width, scene.height)
    cx, cy = _corner(rng, scene)
    for i in range(5):
        r = b * (0.14 + 0.075 * i)
        scene.shapes.append(Shape("circle", (cx, cy, r), stroke=soft, stroke_width=b * 0.006, opacity=0.45 * k))


def dots(scene: Scene, rng: random.Random, soft: str, accent: str, ink: str, k: float) -> None:
    b = min(scene.width, scene.height)
    fx, fy = rng.choice(_CORNERS)
    step, n = b * 0.032, 6
    x0 = b * 0.04 if fx == 0 else scene.width - b * 0.04 - step * (n - 1)
    y0 = b * 0.04 if fy == 0 else scene.height - b * 0.04 - step * (n - 1)
    for i in range(n):
        for j in range(n):
            scene.shapes.append(
                Shape("circle", (x0 + i * step, y0 + j * step, b * 0.0055), fill=ink, opacity=0.28 * k, decor=True)
            )


def stripes(scene: Scene, rng: random.Random, soft: str, accent: str, ink: str, k: float) -> None:
    b = min(scene.width, scene.height)
    w, gap = b * 0.035, b * 0.07
    top = rng.random() < 0.5
    for i in range(5):
        x = scene.width - b * 0.42 + i * gap if top else -b * 0.05 + i * gap
        y0, y1 = (0.0, b * 0.32) if top else (scene.height - b * 0.32, scene.height)
        d = y1 - y0
        scene.shapes.append(
            Shape("polygon", (x, y0, x + w, y0, x + w - d * 0.5, y1, x - d * 0.5, y1), fill=soft, opacity=0.35 * k)
        )


def triangles(scene: Scene, rng: random.Random, soft: str, accent: str, ink: str, k: float) -> None:
    b = min(scene.width, scene.height)
    spots = [(0.08, 0.1), (0.9, 0.14), (0.1, 0.88), (0.86, 0.9), (0.94, 0.5), (0.05, 0.55)]
    for fx, fy in rng.sample(spots, 4):
        cx, cy = fx * scene.width, fy * scene.height
        r, a = b * rng.uniform(0.025, 0.05), rng.uniform(0, 2 * math.pi)
        pts = []
        for i in range(3):
            pts += [cx + r * math.cos(a + i * 2 * math.pi / 3), cy + r * math.sin(a + i * 2 * math.pi / 3)]
        if rng.random() < 0.5:
            scene.shapes.append(Shape("polygon", tuple(pts), fill=accent, opacity=0.55 * k, decor=True))
        else:
            scene.shapes.append(
                Shape("polygon", tuple(pts), stroke=ink, stroke_width=b * 0.004, opacity=0.45 * k, decor=True)
            )


def waves(scene: Scene, rng: random.Random, soft: str, accent: str, ink: str, k: float) -> None:
    b = min(scene.width, scene.height)
    phase = rng.uniform(0, 2 * math.pi)
    base_y = scene.height - b * 0.1 if rng.random() < 0.6 else b * 0.1
    for i in range(3):
        pts = []
        for s in range(41):
            x = scene.width * s / 40
            pts += [x, base_y + i * b * 0.03 + math.sin(phase + s / 40 * 2.5 * math.pi + i * 0.6) * b * 0.025]
        scene.shapes.append(Shape("polyline", tuple(pts), stroke=soft, stroke_width=b * 0.007, opacity=0.5 * k))


def blobs(scene: Scene, rng: random.Random, soft: str, accent: str, ink: str, k: float) -> None:
    b = min(scene.width, scene.height)
    for (fx, fy), color, r0 in zip(rng.sample(_CORNERS, 2), (soft, accent), (0.36, 0.2)):
        cx = fx * scene.width + (0.05 if fx == 0 else -0.05) * b
        cy = fy * scene.height + (0.05 if fy == 0 else -0.05) * b
        harmonics = [(rng.uniform(0.04, 0.09), rng.uniform(0, 6.3), n) for n in (2, 3, 5)]
        pts = []
        for i in range(72):
            a = i / 72 * 2 * math.pi
            r = r0 * b * (1 + sum(amp * math.sin(n * a + ph) for amp, ph, n in harmonics))
            pts += [cx + r * math.cos(a), cy + r * math.sin(a)]
        scene.shapes.append(Shape("polygon", tuple(pts), fill=color, opacity=0.3 * k))


def grid(scene: Scene, rng: random.Random, soft: str, accent: str, ink: str, k: float) -> None:
    b = min(scene.width, scene.height)
    step = b * rng.choice((0.06, 0.08))
    x = step
    while x < scene.width:
        scene.shapes.append(Shape("polyline", (x, 0, x, scene.height), stroke=ink, stroke_width=1, opacity=0.06 * k))
        x += step
    y = step
    while y < scene.height:
        scene.shapes.append(Shape("polyline", (0, y, scene.width, y), stroke=ink, stroke_width=1, opacity=0.06 * k))
        y += step


MOTIF_FUNCS = {
    "circles": circles,
    "rings": rings,
    "dots": dots,
    "stripes": stripes,
    "triangles": triangles,
    "waves": waves,
    "blobs": blobs,
    "grid": grid,
}


def add_motifs(
    scene: Scene, names: list[str], rng: random.Random, soft: str, accent: str, ink: str, subtle: bool = False
) -> None:
    """Add the named motifs to ``scene`` (grid first, so it lies underneath)."""
    for name in sorted(names, key=lambda n: n != "grid"):
        MOTIF_FUNCS[name](scene, rng, soft, accent, ink, 0.5 if subtle else 1.0)
