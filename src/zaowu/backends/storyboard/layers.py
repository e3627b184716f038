"""Layered animation of a design scene: the design split into layers, each composited per frame with its own motion.

    background (gradient, motifs, big panels; or a picture)  slow Ken Burns (the scene's camera move)
    product    (cut-out photo, illustrations)                 slight scale-in and parallax
    text       (headline, subline, buttons, scrims)           slides and fades in after a short delay
    icons      (icons, badges: one sprite per separate piece)  pop in (scale and fade) after the headline

Each layer is painted once per scene (the design engine paints it on black and on white and the alpha is
recovered from the difference, so anti-aliased edges are exact), scaled to the output size, cropped to what
it covers and kept premultiplied; a frame is the background's camera window plus a few small blends.
The text's slide is clamped so it never leaves the title-safe area (or its resting place, when that is
closer to an edge), so text is never cropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .motion import SAFE_MARGIN, camera_frame, ease

__all__ = ["LayeredStill", "layered_still"]

BIG_SHAPE = 0.2
"""A shape covering at least this share of the canvas (a panel, a frame) stays with the background."""
TEXT_DELAY = 0.25
"""Seconds into a scene before the text starts to slide in."""
TEXT_SECONDS = 0.8
"""Seconds the text takes to slide into place (it is fully opaque halfway)."""
TEXT_SLIDE = 0.05
"""How far the text slides, as a share of the frame's height (less where the safe area leaves less room)."""
ICON_DELAY = 0.6
"""Seconds into a scene before the icons and badges pop in."""
ICON_SECONDS = 0.4
ICON_START_SCALE = 0.6
"""An icon's size when it starts to pop in, as a share of its own."""
PRODUCT_START_SCALE = 0.94
"""The product's size at the start of the scene (it grows to its own over ``PRODUCT_SECONDS``)."""
PRODUCT_SECONDS = 1.2
PARALLAX = 0.02
"""How far the product drifts over a scene, as a share of the frame's width (against the background)."""
MAX_ICON_SPRITES = 12
"""Icons split into more pieces than this pop in as one sprite."""
SCRIM_OPACITY = 0.85
"""Opacity of the panel put behind text laid over a picture (the design's colours were chosen for its own)."""


@dataclass
class Sprite:
    """Part of a layer at output size: premultiplied BGR and alpha (float32), placed at x, y."""

    rgb: Any
    alpha: Any
    x: int
    y: int
    inverse: Any = None  # 1 - alpha on three channels: what the frame under it keeps (the fast path at rest)

    def __post_init__(self) -> None:
        import numpy as np

        self.inverse = np.ascontiguousarray(np.repeat((1.0 - self.alpha)[..., None], 3, axis=2))

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.x, self.y, self.x + self.alpha.shape[1], self.y + self.alpha.shape[0]


def _blend(frame: Any, sprite: Sprite, dx: float = 0.0, dy: float = 0.0, scale: float = 1.0, fade: float = 1.0):
    """``sprite`` over ``frame`` (in place), moved by dx, dy, scaled about its centre and faded."""
    import cv2

    if fade <= 0.0:
        return
    rgb, alpha = sprite.rgb, sprite.alpha
    h, w = alpha.shape
    x, y = sprite.x + dx, sprite.y + dy
    if abs(scale - 1.0) <= 1e-3 and fade >= 1.0 and sprite.box[0] + round(dx) >= 0 and sprite.box[1] + round(dy) >= 0:
        x, y = round(x), round(y)
        if x + w <= frame.shape[1] and y + h <= frame.shape[0]:  # whole and opaque: three OpenCV calls
            region = frame[y : y + h, x : x + w]
            kept = cv2.multiply(region, sprite.inverse, dtype=cv2.CV_32F)
            region[:] = cv2.convertScaleAbs(cv2.add(kept, rgb, dst=kept))
            return
    if abs(scale - 1.0) > 1e-3:
        sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
        rgb = cv2.resize(rgb, (sw, sh), interpolation=cv2.INTER_LINEAR)
        alpha = cv2.resize(alpha, (sw, sh), interpolation=cv2.INTER_LINEAR)
        x, y, w, h = x + (w - sw) / 2, y + (h - sh) / 2, sw, sh
    x, y = round(x), round(y)
    fh, fw = frame.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(fw, x + w), min(fh, y + h)
    if x0 >= x1 or y0 >= y1:
        return
    a = alpha[y0 - y : y1 - y, x0 - x : x1 - x, None]
    c = rgb[y0 - y : y1 - y, x0 - x : x1 - x]
    if fade < 1.0:
        a, c = a * fade, c * fade
    region = frame[y0:y1, x0:x1]
    region[:] = (region * (1.0 - a) + c + 0.5).astype("uint8")


@dataclass
class LayeredStill:
    """A scene's layers, painted once: the background (BGR, overscanned for the camera) and sprites at output size."""

    background: Any
    product: list[Sprite]
    text: list[Sprite]
    icons: list[Sprite]
    size: tuple[int, int]

    def _text_shift(self) -> float:
        """The text's start offset (pixels, signed): toward the side with room, within the safe area."""
        if not self.text:
            return 0.0
        height = self.size[1]
        top = min(s.box[1] for s in self.text)
        bottom = max(s.box[3] for s in self.text)
        safe_top, safe_bottom = SAFE_MARGIN * height, (1 - SAFE_MARGIN) * height
        below, above = max(0.0, safe_bottom - bottom), max(0.0, top - safe_top)
        room = max(below, above)
        return min(TEXT_SLIDE * height, room) * (1 if below >= above else -1)

    def frame(self, move: str, p: float, t: float):
        """The picture at progress ``p`` (0..1) of the scene, ``t`` seconds into it."""
        image = camera_frame(self.background, move, p, self.size)
        width = self.size[0]
        grow = ease(t / PRODUCT_SECONDS)
        drift = -PARALLAX * width * (ease(p) - 0.5)
        for sprite in self.product:
            _blend(image, sprite, dx=drift, scale=PRODUCT_START_SCALE + (1 - PRODUCT_START_SCALE) * grow)
        a = min(1.0, max(0.0, (t - ICON_DELAY) / ICON_SECONDS))
        for sprite in self.icons:
            _blend(image, sprite, scale=ICON_START_SCALE + (1 - ICON_START_SCALE) * ease(a), fade=ease(a))
        a = min(1.0, max(0.0, (t - TEXT_DELAY) / TEXT_SECONDS))
        shift = self._text_shift() * (1.0 - ease(a))
        for sprite in self.text:
            _blend(image, sprite, dy=shift, fade=min(1.0, 2 * a))
        return image

    def flat(self):
        """Every layer at rest on the background's whole picture (for a scene animated by the camera alone)."""
        import cv2

        bh, bw = self.background.shape[:2]
        still = self.background.copy()
        sx, sy = bw / self.size[0], bh / self.size[1]
        for sprite in [*self.product, *self.icons, *self.text]:
            h, w = sprite.alpha.shape
            big = Sprite(
                cv2.resize(sprite.rgb, (round(w * sx), round(h * sy))),
                cv2.resize(sprite.alpha, (round(w * sx), round(h * sy))),
                round(sprite.x * sx),
                round(sprite.y * sy),
            )
            _blend(still, big)
        return still


# ------------------------------------------------------------------------------------------ splitting a design


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Share of box ``a`` (x0, y0, x1, y1) inside box ``b``."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    area = max(1e-6, (a[2] - a[0]) * (a[3] - a[1]))
    return max(0.0, w) * max(0.0, h) / area


def _split_shapes(design: Any) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """The design's shapes as (background, product, text, icons)."""
    scene = design.scene
    canvas = scene.width * scene.height
    products = [(r.x, r.y, r.x + r.w, r.y + r.h) for r in design.arts]
    products += [(p.x, p.y, p.x + p.w, p.y + p.h) for p in scene.photos]
    texts = [  # with air around each block: a rule or a button beside the words moves with them
        (e.x - b.size, e.y - b.size, e.x + e.w + b.size, e.y + e.h + b.size)
        for b, e in ((b, b.extent) for b in scene.texts)
    ]
    back, product, text, icons = list(scene.shapes[: design.motif_count]), [], [], []
    for shape in scene.shapes[design.motif_count :]:
        box = shape.bounds()
        if shape.late:
            text.append(shape)
        elif (box[2] - box[0]) * (box[3] - box[1]) >= BIG_SHAPE * canvas:
            back.append(shape)
        elif any(_overlap(box, p) > 0.5 for p in products):
            product.append(shape)
        elif any(_overlap(box, t) > 0 for t in texts):
            text.append(shape)
        else:
            icons.append(shape)
    return back, product, text, icons


def _rgba(scene: Any, **parts: Any):
    """The given parts of ``scene`` alone: (BGR uint8 premultiplied, alpha float32), painted on black and white."""
    import cv2
    import numpy as np

    from ..design.scene import Gradient, Scene, paint

    def on(color: str):
        flat = Scene(scene.width, scene.height, Gradient(color, color), **parts)
        return np.asarray(paint(flat))

    black, white = on("#000000"), on("#FFFFFF")
    spread = cv2.transform(cv2.subtract(white, black).astype(np.float32), np.full((1, 3), 1 / 765, np.float32))
    alpha = np.clip(1.0 - spread, 0.0, 1.0)
    return cv2.cvtColor(black, cv2.COLOR_RGB2BGR), alpha


def _sprites(layer: tuple[Any, Any], size: tuple[int, int], split: bool = False) -> list[Sprite]:
    """A layer scaled to the output ``size`` and cropped to what it covers (with ``split``: one sprite per
    separate piece, up to ``MAX_ICON_SPRITES``)."""
    import cv2
    import numpy as np

    rgb, alpha = (cv2.resize(x, size, interpolation=cv2.INTER_AREA) for x in layer)
    rgb = rgb.astype(np.float32)
    mask = (alpha > 1 / 255).astype(np.uint8)
    boxes: list[tuple[int, int, int, int]] = []
    if split:
        count, _, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(mask, np.ones((9, 9), np.uint8)))
        if 1 < count <= MAX_ICON_SPRITES + 1:
            boxes = [tuple(int(v) for v in stats[i, :4]) for i in range(1, count)]  # type: ignore[misc]
    if not boxes:
        points = cv2.findNonZero(mask)
        if points is None:
            return []
        boxes = [cv2.boundingRect(points)]
    out = []
    for x, y, w, h in boxes:
        crop = np.zeros_like(alpha[y : y + h, x : x + w])
        crop[:] = alpha[y : y + h, x : x + w] * mask[y : y + h, x : x + w]  # this piece only
        out.append(Sprite(np.ascontiguousarray(rgb[y : y + h, x : x + w]), crop, x, y))
    return out


def layered_still(design: Any, size: tuple[int, int], picture: Any = None) -> LayeredStill:
    """``design`` (composed at the overscanned size) split into layers for frames of ``size``; ``picture``
    (BGR at the design's size), when given, is the background instead of the design's own, and the text gets
    a panel in the design's background colour behind it so it stays readable on any picture."""
    import cv2
    import numpy as np

    from ..design.scene import Scene, Shape, paint

    scene = design.scene
    back, product, text, icons = _split_shapes(design)
    if picture is None:
        plain = Scene(scene.width, scene.height, scene.background, shapes=back)
        background = cv2.cvtColor(np.asarray(paint(plain).convert("RGB")), cv2.COLOR_RGB2BGR)
    else:
        background = picture
        for block in scene.texts:
            pad, r = block.size * 0.35, block.ink
            geom = (r.x - pad, r.y - pad, r.w + 2 * pad, r.h + 2 * pad, pad)
            text.insert(0, Shape("rect", geom, fill=design.colors.bg1, opacity=SCRIM_OPACITY))
    if scene.photos or scene.arts or product:
        product_sprites = _sprites(_rgba(scene, shapes=product, photos=scene.photos, arts=scene.arts), size)
    else:
        product_sprites = []
    text_sprites = _sprites(_rgba(scene, shapes=text, texts=scene.texts), size) if scene.texts or text else []
    if scene.icons or icons:
        icon_sprites = _sprites(_rgba(scene, shapes=icons, icons=scene.icons), size, split=True)
    else:
        icon_sprites = []
    return LayeredStill(np.ascontiguousarray(background), product_sprites, text_sprites, icon_sprites, size)
