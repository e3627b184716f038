"""A design as a list of vector items, painted to pixels (Pillow) or written as SVG.

Both painters draw the same items in the same order, so raster and SVG output
are one design. Order: background gradient, shapes (motifs, panels, badges,
buttons), photos (a cut-out product with its shadow), art (full-colour
illustrations), icons, then late shapes (text scrims) and text. Shapes are drawn
supersampled and box-filtered down, which anti-aliases their edges.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from . import art as art_set
from . import fonts, icons
from .layout import Rect, TextBlock, hex_to_rgb

__all__ = ["Gradient", "Shape", "Icon", "Art", "Photo", "Scene", "paint", "to_svg"]


@dataclass
class Gradient:
    start: str
    end: str
    angle: float = 90.0  # degrees; 90 = top to bottom
    radial: bool = False


@dataclass
class Shape:
    """kind: circle (cx, cy, r), rect (x, y, w, h [, radius]), polygon/polyline (x0, y0, x1, y1, ...)."""

    kind: str
    geom: tuple[float, ...]
    fill: str | None = None
    opacity: float = 1.0
    stroke: str | None = None
    stroke_width: float = 0.0
    late: bool = False  # drawn after icons, just before text (scrims)
    decor: bool = False  # a small motif, removed where it would touch text

    def bounds(self) -> tuple[float, float, float, float]:
        """x0, y0, x1, y1 of the shape, stroke included."""
        g, pad = self.geom, self.stroke_width / 2
        if self.kind == "circle":
            return g[0] - g[2] - pad, g[1] - g[2] - pad, g[0] + g[2] + pad, g[1] + g[2] + pad
        if self.kind == "rect":
            return g[0] - pad, g[1] - pad, g[0] + g[2] + pad, g[1] + g[3] + pad
        xs, ys = g[0::2], g[1::2]
        return min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad


@dataclass
class Icon:
    name: str
    x: float
    y: float
    size: float
    color: str
    stroke_width: float = 2.0
    opacity: float = 1.0


@dataclass
class Art:
    """A full-colour illustration (``art.py``) drawn in a ``size`` x ``size`` square at x, y."""

    name: str
    x: float
    y: float
    size: float
    opacity: float = 1.0

    @property
    def rect(self) -> Rect:
        return Rect(self.x, self.y, self.size, self.size)


@dataclass
class Photo:
    """A cut-out (PIL RGBA, cropped to the subject) placed at x, y, w, h with a shadow in ``tint``."""

    image: object
    x: int
    y: int
    w: int
    h: int
    tint: str = "#000000"
    shadow: bool = True

    @property
    def rect(self) -> tuple[int, int, int, int]:
        return self.x, self.y, self.w, self.h


@dataclass
class Scene:
    width: int
    height: int
    background: Gradient
    shapes: list[Shape] = field(default_factory=list)
    icons: list[Icon] = field(default_factory=list)
    texts: list[TextBlock] = field(default_factory=list)
    photos: list[Photo] = field(default_factory=list)
    arts: list[Art] = field(default_factory=list)


# ---------------------------------------------------------------- raster


def _gradient_image(g: Gradient, width: int, height: int):
    import numpy as np
    from PIL import Image

    if g.start.upper() == g.end.upper():  # one colour: the same pixels, without a resize of a big canvas
        return Image.new("RGB", (width, height), hex_to_rgb(g.start))
    sw, sh = max(2, width // 8), max(2, height // 8)
    ys, xs = np.mgrid[0:sh, 0:sw].astype(np.float32)
    xs, ys = xs / (sw - 1), ys / (sh - 1)
    if g.radial:
        t = np.sqrt((xs - 0.3) ** 2 + (ys - 0.25) ** 2) / 1.1
    else:
        a = math.radians(g.angle)
        t = (xs - 0.5) * math.cos(a) + (ys - 0.5) * math.sin(a)
        t = (t - t.min()) / max(1e-6, float(t.max() - t.min()))
    t = np.clip(t, 0, 1)[..., None]
    c1 = np.array(hex_to_rgb(g.start), np.float32)
    c2 = np.array(hex_to_rgb(g.end), np.float32)
    small = Image.fromarray((c1 * (1 - t) + c2 * t + 0.5).astype(np.uint8), "RGB")
    return small.resize((width, height), Image.Resampling.BILINEAR)


def _rgba(color: str, opacity: float) -> tuple[int, int, int, int]:
    return (*hex_to_rgb(color), max(0, min(255, round(opacity * 255))))


def draw_shape(draw, s: Shape, k: float) -> None:
    g = [v * k for v in s.geom]
    fill = _rgba(s.fill, s.opacity) if s.fill else None
    outline = _rgba(s.stroke, s.opacity) if s.stroke else None
    width = max(1, round(s.stroke_width * k)) if s.stroke else 0
    if s.kind == "circle":
        cx, cy, r = g
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill, outline=outline, width=width)
    elif s.kind == "rect":
        x, y, w, h = g[:4]
        radius = g[4] if len(g) > 4 else 0
        box = (x, y, x + w, y + h)
        if radius:
            draw.rounded_rectangle(box, radius=radius, fill=fill, outline=outline, width=width)
        else:
            draw.rectangle(box, fill=fill, outline=outline, width=width)
    elif s.kind == "polygon":
        draw.polygon(list(zip(g[0::2], g[1::2])), fill=fill, outline=outline, width=width)
    elif s.kind == "polyline":
        draw.line(list(zip(g[0::2], g[1::2])), fill=outline, width=width, joint="curve")


def _paste_icon(image, icon: Icon) -> None:
    size = max(4, round(icon.size))
    rgba = icons.render_icon(icon.name, size, "#000000", icon.stroke_width)
    mask = rgba.getchannel("A")
    if icon.opacity < 1:
        mask = mask.point(lambda v: round(v * icon.opacity))
    image.paste(
        hex_to_rgb(icon.color), (round(icon.x), round(icon.y), round(icon.x) + size, round(icon.y) + size), mask
    )


def _paste_art(image, item: Art) -> None:
    size = max(4, round(item.size))
    rgba = art_set.render_art(item.name, size)
    if item.opacity < 1:
        rgba = rgba.copy()
        rgba.putalpha(rgba.getchannel("A").point(lambda v: round(v * item.opacity)))
    if image.mode == "RGBA":
        image.alpha_composite(rgba, (round(item.x), round(item.y)))
    else:
        image.paste(rgba, (round(item.x), round(item.y)), rgba)


def _draw_text(draw, block: TextBlock) -> None:
    fill = hex_to_rgb(block.color)
    for line in block.lines:
        for run in line.runs:
            font = fonts.load(run.face, block.size)
            x = line.x + run.x
            if block.tracking:
                for ch in run.text:
                    draw.text((x, line.baseline), ch, font=font, fill=fill, anchor="ls")
                    x += font.getlength(ch) + block.tracking * block.size
            else:
                draw.text((x, line.baseline), run.text, font=font, fill=fill, anchor="ls")


def _paste_lines(image, lines: list[Shape], k: float) -> None:
    from PIL import Image, ImageDraw

    mask = Image.new("L", image.size, 0)
    draw = ImageDraw.Draw(mask)
    for line in lines:
        g = [v * k for v in line.geom]
        draw.line(list(zip(g[0::2], g[1::2])), fill=255, width=max(1, round(line.stroke_width * k)), joint="curve")
    alpha = round(lines[0].opacity * 255)
    image.paste(hex_to_rgb(lines[0].stroke or "#000000"), (0, 0), mask.point(lambda v: v * alpha // 255))


def paint_background(scene: Scene):
    """Gradient, shapes and icons: the pixels text will sit on (an RGB image)."""
    from PIL import ImageDraw

    k = 2 if scene.width * scene.height <= 2_500_000 else 1
    big = _gradient_image(scene.background, scene.width * k, scene.height * k)
    draw = ImageDraw.Draw(big, "RGBA")
    shapes = [s for s in scene.shapes if not s.late]
    i = 0
    while i < len(shapes):
        shape = shapes[i]
        if shape.kind == "polyline" and shape.opacity < 1:
            # translucent lines: draw a group opaque into a mask, so joints do not darken where segments overlap
            j = i
            while j < len(shapes) and (shapes[j].kind, shapes[j].stroke, shapes[j].opacity) == (
                "polyline",
                shape.stroke,
                shape.opacity,
            ):
                j += 1
            _paste_lines(big, shapes[i:j], k)
            i = j
            continue
        draw_shape(draw, shape, k)
        i += 1
    image = big.reduce(k) if k > 1 else big
    if scene.photos:
        from ..vision.placement import composite

        for photo in scene.photos:
            composite(image, photo.image, photo.rect, photo.tint, photo.shadow)
    for item in scene.arts:
        _paste_art(image, item)
    for icon in scene.icons:
        _paste_icon(image, icon)
    return image


def paint(scene: Scene, background=None):
    """The finished RGB image; ``background`` is a ready ``paint_background`` result to reuse."""
    from PIL import ImageDraw

    image = background.copy() if background is not None else paint_background(scene)
    late = [s for s in scene.shapes if s.late]
    if late:
        draw = ImageDraw.Draw(image, "RGBA")
        for shape in late:
            draw_shape(draw, shape, 1)
    draw = ImageDraw.Draw(image)
    for block in scene.texts:
        _draw_text(draw, block)
    return image


# ---------------------------------------------------------------- SVG


def _num(v: float) -> str:
    return f"{v:.3f}".rstrip("0").rstrip(".")


def _svg_shape(s: Shape) -> str:
    paint_attrs = f'fill="{s.fill}"' if s.fill else 'fill="none"'
    if s.stroke:
        paint_attrs += f' stroke="{s.stroke}" stroke-width="{_num(s.stroke_width)}" stroke-linecap="round"'
        paint_attrs += ' stroke-linejoin="round"'
    if s.opacity < 1:
        paint_attrs += f' opacity="{_num(s.opacity)}"'
    g = s.geom
    if s.kind == "circle":
        return f'<circle cx="{_num(g[0])}" cy="{_num(g[1])}" r="{_num(g[2])}" {paint_attrs}/>'
    if s.kind == "rect":
        rx = f' rx="{_num(g[4])}"' if len(g) > 4 and g[4] else ""
        return f'<rect x="{_num(g[0])}" y="{_num(g[1])}" width="{_num(g[2])}" height="{_num(g[3])}"{rx} {paint_attrs}/>'
    points = " ".join(f"{_num(x)},{_num(y)}" for x, y in zip(g[0::2], g[1::2]))
    return f'<{s.kind} points="{points}" {paint_attrs}/>'


def _svg_text(block: TextBlock) -> str:
    out = []
    spacing = f' letter-spacing="{_num(block.tracking * block.size)}"' if block.tracking else ""
    for line in block.lines:
        spans = []
        for run in line.runs:
            family = f"'{run.face.family}', 'Noto Sans CJK SC', sans-serif"
            spans.append(
                f'<tspan x="{_num(line.x + run.x)}" font-family={quoteattr(family)} '
                f'font-weight="{run.face.weight}">{escape(run.text)}</tspan>'
            )
        out.append(
            f'<text y="{_num(line.baseline)}" font-size="{block.size}" fill="{block.color}"{spacing} '
            f'xml:space="preserve">{"".join(spans)}</text>'
        )
    return "".join(out)


def _data_uri(image) -> str:
    import base64
    import io

    buf = io.BytesIO()
    image.save(buf, "PNG", compress_level=6)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _svg_photo(photo: Photo) -> str:
    """The shadow (a tinted, translucent PNG) and the product (an RGBA PNG), embedded."""
    from PIL import Image

    from ..vision.placement import shadow_layer

    product = photo.image.resize((photo.w, photo.h), Image.Resampling.LANCZOS)  # type: ignore[attr-defined]
    out = []
    if photo.shadow:
        placed = shadow_layer(product.getchannel("A"), photo.rect)
        tinted = Image.new("RGBA", placed.shadow.size, photo.tint)
        tinted.putalpha(placed.shadow)
        sx, sy = placed.shadow_origin
        out.append(
            f'<image x="{sx}" y="{sy}" width="{tinted.width}" height="{tinted.height}" href="{_data_uri(tinted)}"/>'
        )
    out.append(f'<image x="{photo.x}" y="{photo.y}" width="{photo.w}" height="{photo.h}" href="{_data_uri(product)}"/>')
    return "".join(out)


def to_svg(scene: Scene, title: str = "") -> bytes:
    """The scene as an SVG document: shapes, icon paths and real <text> with font families."""
    g = scene.background
    if g.radial:
        grad = f'<radialGradient id="bg" cx="0.3" cy="0.25" r="1.1"><stop offset="0" stop-color="{g.start}"/>'
        grad += f'<stop offset="1" stop-color="{g.end}"/></radialGradient>'
    else:
        a = math.radians(g.angle)
        dx, dy = math.cos(a) / 2, math.sin(a) / 2
        grad = (
            f'<linearGradient id="bg" x1="{_num(0.5 - dx)}" y1="{_num(0.5 - dy)}" x2="{_num(0.5 + dx)}" '
            f'y2="{_num(0.5 + dy)}"><stop offset="0" stop-color="{g.start}"/>'
            f'<stop offset="1" stop-color="{g.end}"/></linearGradient>'
        )
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{scene.width}" height="{scene.height}" '
            f'viewBox="0 0 {scene.width} {scene.height}">'
        ),
        f"<title>{escape(title)}</title>" if title else "",
        f"<defs>{grad}</defs>",
        f'<rect width="{scene.width}" height="{scene.height}" fill="url(#bg)"/>',
    ]
    parts += [_svg_shape(s) for s in scene.shapes if not s.late]
    parts += [_svg_photo(photo) for photo in scene.photos]
    parts += [art_set.svg_fragment(a.name, a.x, a.y, a.size, f"art{i}", a.opacity) for i, a in enumerate(scene.arts)]
    for icon in scene.icons:
        k = icon.size / icons.VIEWBOX
        opacity = f' opacity="{_num(icon.opacity)}"' if icon.opacity < 1 else ""
        parts.append(
            f'<g transform="translate({_num(icon.x)} {_num(icon.y)}) scale({_num(k)})" fill="none" '
            f'stroke="{icon.color}" stroke-width="{_num(icon.stroke_width)}" stroke-linecap="round" '
            f'stroke-linejoin="round"{opacity}>{icons.icon_elements(icon.name)}</g>'
        )
    parts += [_svg_shape(s) for s in scene.shapes if s.late]
    parts += [_svg_text(block) for block in scene.texts]
    parts.append("</svg>")
    return "".join(parts).encode()
