"""Render a DesignSpec: compose a scene for its kind and layout, fit the text,
keep every text block at WCAG AA contrast, and encode PNG, WebP, JPEG or SVG.

    png = render(DesignSpec(kind="poster", headline="春季新品上市"), size="3:4", seed=7)

Same spec + seed gives identical bytes. Style fields the spec leaves open are
chosen from the seed (``spec.resolve``), and motif placement uses the seed, so
different seeds give visibly different variants of one prompt.
"""

from __future__ import annotations

import io
import logging
import random
from dataclasses import dataclass, field

from . import fonts
from .layout import Block, Rect, TextBlock, contrast_ratio, fit_stack, hex_to_rgb, pick_ink, relative_luminance
from .layout import worst_contrast
from .motifs import add_motifs
from .scene import Gradient, Icon, Photo, Scene, Shape, paint, paint_background, to_svg
from .spec import PALETTES, DesignSpec, parse_size, resolve, validate_spec

log = logging.getLogger(__name__)

__all__ = ["Design", "Colors", "compose", "render", "encode", "FORMATS", "MIN_CONTRAST"]

FORMATS = {"png": "image/png", "webp": "image/webp", "jpeg": "image/jpeg", "svg": "image/svg+xml"}
MIN_CONTRAST = 4.5  # WCAG 2.x AA for normal text


@dataclass
class Colors:
    bg1: str
    bg2: str
    ink: str
    accent: str
    soft: str
    accent_ink: str

    @property
    def dark(self) -> bool:
        return relative_luminance(hex_to_rgb(self.bg1)) < 0.25


@dataclass
class Design:
    """A composed design: the resolved spec, the scene, and the placed text blocks."""

    spec: DesignSpec
    seed: int
    scene: Scene
    colors: Colors
    background: object = None  # PIL image of everything under the text
    regions: dict[str, Rect] = field(default_factory=dict)

    @property
    def blocks(self) -> list[TextBlock]:
        return self.scene.texts

    def image(self):
        return paint(self.scene, self.background)


@dataclass
class _Ctx:
    spec: DesignSpec
    width: int
    height: int
    rng: random.Random
    colors: Colors
    pair: fonts.Pairing
    scene: Scene
    regions: dict[str, Rect] = field(default_factory=dict)
    on_accent: set[str] = field(default_factory=set)  # blocks drawn over the accent colour
    photo: object = None  # a cut-out product (PIL RGBA, cropped) for a product card

    @property
    def base(self) -> float:
        """The length type sizes scale with: the short side, a little more on wide banners."""
        if self.width > self.height * 1.2:
            return min(self.height * 1.25, self.width * 0.5)
        return min(self.width, self.height)

    @property
    def margin(self) -> float:
        return round(self.base * 0.075)

    @property
    def landscape(self) -> bool:
        return self.width > self.height * 1.2


# ---------------------------------------------------------------- colours


def _mix(a: str, b: str, t: float) -> str:
    ca, cb = hex_to_rgb(a), hex_to_rgb(b)
    return "#" + "".join(f"{round(x + (y - x) * t):02X}" for x, y in zip(ca, cb))


def _best_on(bg: str, candidates: list[str]) -> str:
    for color in candidates:
        if contrast_ratio(color, bg) >= MIN_CONTRAST + 0.2:
            return color
    return max(["#FFFFFF", "#000000"], key=lambda c: contrast_ratio(c, bg))


def _readable_fill(fill: str) -> str:
    """``fill`` darkened or lightened just enough that white or near-black text on it is AA with a margin."""
    target = MIN_CONTRAST + 0.3
    light = contrast_ratio("#111111", fill) >= contrast_ratio("#FFFFFF", fill)
    toward, text = ("#FFFFFF", "#111111") if light else ("#000000", "#FFFFFF")
    t = 0.0
    while contrast_ratio(text, _mix(fill, toward, t)) < target and t < 1:
        t += 0.04
    return _mix(fill, toward, t)


def colors_for(spec: DesignSpec) -> Colors:
    p = PALETTES[spec.palette or "mono"]
    bg1, bg2, ink, accent, soft = p.bg[0], p.bg[1], p.ink, p.accent, p.soft
    if spec.background_color:
        bg1 = spec.background_color
        light = relative_luminance(hex_to_rgb(bg1)) > 0.4
        bg2 = _mix(bg1, "#000000" if light else "#FFFFFF", 0.12)
        ink = _best_on(bg1, [ink, "#111111", "#FFFFFF"])
        soft = _mix(bg1, ink, 0.25)
    if spec.accent_color:
        accent = spec.accent_color
    if contrast_ratio(accent, bg1) < 1.6:  # an accent that vanishes on the background
        accent = ink
    accent = _readable_fill(accent)
    accent_ink = _best_on(accent, [bg1, "#FFFFFF", "#111111", ink])
    return Colors(bg1, bg2, ink, accent, soft, accent_ink)


# ---------------------------------------------------------------- text blocks


def _txt(text: str | None, face: fonts.Face) -> str:
    return (text or "").upper() if face.upper else (text or "")


def _column(ctx: _Ctx, scale: float = 1.0, cta: bool = True, headline_lines: int = 3) -> list[Block]:
    """Headline, subline, body and button label, sized for the canvas."""
    b, p, s = ctx.base, ctx.pair, ctx.spec
    blocks = [
        Block("headline", _txt(s.headline, p.headline), p.headline, p.headline_cjk, b * 0.15 * scale, b * 0.05,
              headline_lines, leading=1.12, gap_after=0.38, priority=3, balance=True),
        Block("subline", s.subline or "", p.label, p.body_cjk, b * 0.052, b * 0.03, 2, gap_after=0.7, priority=2,
              balance=True),
        Block("body", s.body or "", p.body, p.body_cjk, b * 0.034, b * 0.024, 4, leading=1.4, gap_after=1.2),
    ]  # fmt: skip
    if cta and s.call_to_action:
        blocks.append(Block("cta", s.call_to_action, p.label, p.body_cjk, b * 0.038, b * 0.026, 1, pad=1.0,
                            priority=1))  # fmt: skip
    return blocks


def _place(ctx: _Ctx, blocks: list[Block], region: Rect, align: str, valign: str, on_accent: bool = False):
    placed = fit_stack(blocks, region, align, valign)
    for block in placed:
        ctx.regions[block.name] = region
        if on_accent:
            ctx.on_accent.add(block.name)
        if block.name == "cta" and block.box is not None:
            fill = ctx.colors.ink if on_accent else ctx.colors.accent
            ctx.scene.shapes.append(Shape("rect", (*_xywh(block.box), block.box.h / 2), fill=fill))
            block.color = _best_on(fill, [ctx.colors.bg1, ctx.colors.accent_ink, "#FFFFFF", "#111111"])
            block.contrast = contrast_ratio(block.color, fill)
    ctx.scene.texts.extend(placed)
    return placed


def _xywh(r: Rect) -> tuple[float, float, float, float]:
    return (r.x, r.y, r.w, r.h)


def _brand_row(ctx: _Ctx, inner: Rect, align: str, icon_too: bool = True) -> Rect:
    """A small icon + shop name line at the top; returns the space left below it."""
    if not ctx.spec.brand:
        return inner
    h = ctx.base * 0.06
    icon = h * 0.8
    label = Block("brand", ctx.spec.brand.upper(), ctx.pair.label, ctx.pair.body_cjk, h * 0.5, h * 0.3, 1)
    if align == "center":
        region = Rect(inner.x, inner.y, inner.w, h)
        if not icon_too:
            _place(ctx, [label], Rect(inner.x, inner.y, inner.w, h * 0.7), "center", "center")
            return Rect(inner.x, inner.y + h * 1.1, inner.w, inner.h - h * 1.1)
        _place(ctx, [label], Rect(inner.x, inner.y + h * 0.9, inner.w, h * 0.7), "center", "center")
        ctx.scene.icons.append(Icon(ctx.spec.icon, inner.x + inner.w / 2 - icon / 2, inner.y, icon, ctx.colors.ink))
        return Rect(inner.x, region.bottom + h * 1.0, inner.w, inner.h - h * 2.0)
    ctx.scene.icons.append(Icon(ctx.spec.icon, inner.x, inner.y + (h - icon) / 2, icon, ctx.colors.ink))
    _place(ctx, [label], Rect(inner.x + icon * 1.4, inner.y, inner.w - icon * 1.4, h), "left", "center")
    return Rect(inner.x, inner.y + h * 1.8, inner.w, inner.h - h * 1.8)


def _badge(ctx: _Ctx, cx: float, cy: float, r: float, fill: str | None = None) -> None:
    fill = fill or ctx.colors.accent
    ctx.scene.shapes.append(Shape("circle", (cx, cy, r), fill=fill))
    ink = _best_on(fill, [ctx.colors.accent_ink, ctx.colors.bg1, "#FFFFFF", "#111111"])
    size = r * 1.05
    ctx.scene.icons.append(Icon(ctx.spec.icon, cx - size / 2, cy - size / 2, size, ink, stroke_width=1.75))


# ---------------------------------------------------------------- poster-like layouts


def _poster_centered(ctx: _Ctx, inner: Rect) -> None:
    inner = _brand_row(ctx, inner, "center")
    r = ctx.base * 0.08
    if not ctx.spec.brand:
        _badge(ctx, ctx.width / 2, inner.y + r, r)
        inner = Rect(inner.x, inner.y + 2 * r + ctx.base * 0.04, inner.w, inner.h - 2 * r - ctx.base * 0.04)
    _place(ctx, _column(ctx), inner, "center", "center")


def _poster_left(ctx: _Ctx, inner: Rect) -> None:
    inner = _brand_row(ctx, inner, "left")
    size = ctx.base * 0.42
    ctx.scene.icons.append(
        Icon(ctx.spec.icon, ctx.width - size * 0.85, ctx.height * 0.16, size, ctx.colors.ink, 1.5, opacity=0.16)
    )
    bar = ctx.base * 0.014
    top = inner.y + inner.h * 0.3
    region = Rect(inner.x + bar * 3, top, inner.w - bar * 3, inner.bottom - top)
    placed = _place(ctx, _column(ctx), region, "left", "bottom")
    if placed:
        first = placed[0].ink
        ctx.scene.shapes.append(Shape("rect", (inner.x, first.y, bar, first.h, bar / 2), fill=ctx.colors.accent))


def _panel_and_text(ctx: _Ctx, wide: float, tall: float, side: float, gap: float, foot: float) -> tuple[Rect, Rect]:
    """A panel on the right (``wide`` of the width, landscape) or at the top (``tall`` of the height),
    and the text region beside it (``side`` margins short of it) or below it (from ``gap`` margins
    under the panel to ``foot - gap`` margins above the canvas's bottom)."""
    m = ctx.margin
    if ctx.landscape:
        panel = Rect(ctx.width * (1 - wide), 0, ctx.width * wide, ctx.height)
        return panel, Rect(m, m, panel.x - side * m, ctx.height - 2 * m)
    panel = Rect(0, 0, ctx.width, ctx.height * tall)
    return panel, Rect(m, panel.bottom + m * gap, ctx.width - 2 * m, ctx.height - panel.bottom - m * foot)


def _poster_split(ctx: _Ctx, inner: Rect) -> None:
    c, m = ctx.colors, ctx.margin
    panel, text = _panel_and_text(ctx, 0.4, 0.44, 2.0, 0.8, 1.8)
    ctx.scene.shapes.append(Shape("rect", _xywh(panel), fill=c.accent))
    ctx.scene.shapes.append(Shape("circle", (panel.x + panel.w * 0.78, panel.y + panel.h * 0.2, panel.h * 0.35),
                                  fill=c.accent_ink, opacity=0.10))  # fmt: skip
    ctx.scene.shapes.append(Shape("circle", (panel.x + panel.w * 0.12, panel.bottom, panel.h * 0.28),
                                  fill=c.accent_ink, opacity=0.08))  # fmt: skip
    r = min(panel.w, panel.h) * 0.28
    _badge(ctx, panel.x + panel.w / 2, panel.y + panel.h / 2, r, fill=c.bg1)
    if ctx.spec.brand and not ctx.landscape:
        label = Block("brand", ctx.spec.brand.upper(), ctx.pair.label, ctx.pair.body_cjk, ctx.base * 0.026,
                      ctx.base * 0.018, 1)  # fmt: skip
        _place(ctx, [label], Rect(m, m * 0.6, ctx.width - 2 * m, ctx.base * 0.05), "left", "center", on_accent=True)
    _place(ctx, _column(ctx, 0.9), text, "left", "center")


def _poster_framed(ctx: _Ctx, inner: Rect) -> None:
    c, b = ctx.colors, ctx.base
    o = ctx.margin * 0.45
    ctx.scene.shapes.append(Shape("rect", (o, o, ctx.width - 2 * o, ctx.height - 2 * o), stroke=c.ink,
                                  stroke_width=b * 0.004, opacity=0.55))  # fmt: skip
    o2 = o + b * 0.012
    ctx.scene.shapes.append(Shape("rect", (o2, o2, ctx.width - 2 * o2, ctx.height - 2 * o2), stroke=c.ink,
                                  stroke_width=b * 0.0015, opacity=0.45))  # fmt: skip
    d = b * 0.018
    for x, y in ((ctx.width / 2, o), (ctx.width / 2, ctx.height - o)):
        ctx.scene.shapes.append(Shape("polygon", (x, y - d, x + d, y, x, y + d, x - d, y), fill=c.accent))
    inner = inner.inset(ctx.margin * 0.3)
    inner = _brand_row(ctx, inner, "center", icon_too=False)
    size = b * 0.1
    icon_color = _best_on(_mix(c.bg1, c.bg2, 0.3), [c.accent, c.ink])
    ctx.scene.icons.append(Icon(ctx.spec.icon, ctx.width / 2 - size / 2, inner.y, size, icon_color, 1.5))
    region = Rect(inner.x, inner.y + size * 1.5, inner.w, inner.h - size * 1.5)
    _place(ctx, _column(ctx, 0.9), region, "center", "center")


def _poster_bold(ctx: _Ctx, inner: Rect) -> None:
    c, m = ctx.colors, ctx.margin
    band_h = ctx.height * (0.34 if ctx.landscape else 0.3)
    band = Rect(0, ctx.height - band_h, ctx.width, band_h)
    ctx.scene.shapes.append(Shape("rect", _xywh(band), fill=c.accent))
    inner = _brand_row(ctx, inner, "left")
    top = Rect(inner.x, inner.y, inner.w, band.y - m * 0.8 - inner.y)
    head = _column(ctx, 1.6, cta=False, headline_lines=4)[:1]
    _place(ctx, head, top, "left", "center")
    rest = [blk for blk in _column(ctx) if blk.name != "headline"]
    _place(ctx, rest, band.inset(m, m * 0.7), "left", "center", on_accent=True)


# ---------------------------------------------------------------- banners (wide)


def _banner_left(ctx: _Ctx, inner: Rect) -> None:
    c = ctx.colors
    r = ctx.height * 0.3
    cx, cy = ctx.width - ctx.margin - r * 1.05, ctx.height / 2
    ctx.scene.shapes.append(Shape("circle", (cx, cy, r * 1.25), fill=c.soft, opacity=0.35))
    _badge(ctx, cx, cy, r * 0.8)
    text = Rect(inner.x, inner.y, cx - r * 1.3 - ctx.margin * 0.5 - inner.x, inner.h)
    text = _brand_row(ctx, text, "left")
    _place(ctx, _column(ctx, 1.1), text, "left", "center")


def _banner_centered(ctx: _Ctx, inner: Rect) -> None:
    side = ctx.width * 0.16
    size = ctx.height * 0.3
    for x in (inner.x + side / 2 - size / 2, inner.right - side / 2 - size / 2):
        ctx.scene.icons.append(Icon(ctx.spec.icon, x, ctx.height / 2 - size / 2, size, ctx.colors.ink, 1.5, 0.22))
    text = Rect(inner.x + side, inner.y, inner.w - 2 * side, inner.h)
    text = _brand_row(ctx, text, "center")
    _place(ctx, _column(ctx, 1.1), text, "center", "center")


# ---------------------------------------------------------------- logos


def _logo_text(ctx: _Ctx, word_size: float) -> list[Block]:
    p, s = ctx.pair, ctx.spec
    blocks = [Block("headline", _txt(s.headline, p.headline), p.headline, p.headline_cjk, word_size,
                    ctx.base * 0.04, 2, leading=1.05, gap_after=0.45, priority=3, balance=True)]  # fmt: skip
    if s.subline:
        tagline = s.subline.upper() if not _cjk(s.subline) else s.subline
        blocks.append(Block("subline", tagline, p.label, p.body_cjk, ctx.base * 0.034, ctx.base * 0.022, 1, priority=2))
    return blocks


def _cjk(text: str) -> bool:
    from .spec import is_cjk

    return is_cjk(text)


def _logo_stacked(ctx: _Ctx, inner: Rect) -> None:
    r = ctx.base * 0.15
    cy = inner.y + inner.h * 0.32
    _badge(ctx, ctx.width / 2, cy, r)
    region = Rect(inner.x, cy + r + ctx.base * 0.07, inner.w, inner.bottom - cy - r - ctx.base * 0.07)
    _place(ctx, _logo_text(ctx, ctx.base * 0.12), region, "center", "top")


def _logo_inline(ctx: _Ctx, inner: Rect) -> None:
    s = ctx.base * 0.2
    x, cy = inner.x, ctx.height / 2
    ctx.scene.shapes.append(Shape("rect", (x, cy - s / 2, s, s, s * 0.24), fill=ctx.colors.accent))
    ink = _best_on(ctx.colors.accent, [ctx.colors.accent_ink, "#FFFFFF", "#111111"])
    ctx.scene.icons.append(Icon(ctx.spec.icon, x + s * 0.2, cy - s * 0.3, s * 0.6, ink, 1.75))
    region = Rect(x + s * 1.25, cy - ctx.base * 0.2, inner.right - x - s * 1.25, ctx.base * 0.4)
    _place(ctx, _logo_text(ctx, ctx.base * 0.11), region, "left", "center")


def _logo_badge(ctx: _Ctx, inner: Rect) -> None:
    c, b = ctx.colors, ctx.base
    cx, cy, r = ctx.width / 2, ctx.height / 2, min(inner.w, inner.h) / 2
    ctx.scene.shapes.append(Shape("circle", (cx, cy, r), fill=c.accent))
    ctx.scene.shapes.append(Shape("circle", (cx, cy, r * 0.9), stroke=c.accent_ink, stroke_width=b * 0.006,
                                  opacity=0.7))  # fmt: skip
    size = r * 0.34
    ctx.scene.icons.append(Icon(ctx.spec.icon, cx - size / 2, cy - r * 0.62, size, c.accent_ink, 1.75))
    region = Rect(cx - r * 0.66, cy - r * 0.2, r * 1.32, r * 0.72)
    _place(ctx, _logo_text(ctx, b * 0.085), region, "center", "top", on_accent=True)


def _logo_monogram(ctx: _Ctx, inner: Rect) -> None:
    c, b = ctx.colors, ctx.base
    s = b * 0.3
    x, y = ctx.width / 2 - s / 2, inner.y + inner.h * 0.08
    ctx.scene.shapes.append(Shape("rect", (x, y, s, s, s * 0.22), fill=c.accent))
    letter = ctx.spec.headline.strip()[0].upper()
    mono = Block("monogram", letter, ctx.pair.headline, ctx.pair.headline_cjk, s * 0.62, s * 0.3, 1)
    _place(ctx, [mono], Rect(x, y, s, s).inset(s * 0.14), "center", "center", on_accent=True)
    region = Rect(inner.x, y + s + b * 0.07, inner.w, inner.bottom - y - s - b * 0.07)
    _place(ctx, _logo_text(ctx, b * 0.11), region, "center", "top")


# ---------------------------------------------------------------- product cards with a photo


def _product_photo(ctx: _Ctx, inner: Rect) -> None:
    """The uploaded product on a stage (an accent panel for ``split``, a soft disc otherwise),
    standing in its slot with a shadow; the text beside it (wide) or below it."""
    from ..vision.placement import fit_into

    c, m, b = ctx.colors, ctx.margin, ctx.base
    stage, text = _panel_and_text(ctx, 0.5, 0.58, 1.6, 0.5, 1.3)
    split = ctx.spec.layout == "split"
    slot = stage.inset(m, m * 0.7)
    if split:
        ctx.scene.shapes.append(Shape("rect", _xywh(stage), fill=c.accent))
        tint = _mix(c.accent, "#000000", 0.65)
    else:
        r = min(slot.w, slot.h) * 0.46
        ctx.scene.shapes.append(Shape("circle", (slot.x + slot.w / 2, slot.y + slot.h / 2, r), fill=c.soft,
                                      opacity=0.55))  # fmt: skip
        tint = _mix(_mix(c.bg1, c.bg2, 0.5), "#000000", 0.7)
    if ctx.spec.brand:
        label = Block("brand", ctx.spec.brand.upper(), ctx.pair.label, ctx.pair.body_cjk, b * 0.03, b * 0.018, 1)
        _place(ctx, [label], Rect(stage.x + m, m * 0.5, stage.w - 2 * m, b * 0.05), "left", "center", on_accent=split)
        slot = Rect(slot.x, slot.y + b * 0.05, slot.w, slot.h - b * 0.05)
    x, y, w, h = fit_into(ctx.photo.size, _xywh(slot))  # type: ignore[attr-defined]
    ctx.scene.photos.append(Photo(ctx.photo, x, y, w, h, tint=tint))
    ctx.regions["photo"] = Rect(x, y, w, h)
    _place(ctx, _column(ctx, 0.8), text, "center" if ctx.spec.layout == "centered" else "left", "center")


LAYOUT_FUNCS = {
    "centered": _poster_centered,
    "left": _poster_left,
    "split": _poster_split,
    "framed": _poster_framed,
    "bold_type": _poster_bold,
    "stacked": _logo_stacked,
    "inline": _logo_inline,
    "badge": _logo_badge,
    "monogram": _logo_monogram,
}
WIDE_FUNCS = {"left": _banner_left, "centered": _banner_centered, "split": _poster_split}


# ---------------------------------------------------------------- composing and rendering


def compose(spec: DesignSpec | dict, width: int, height: int, seed: int = 0, photo=None) -> Design:
    """Resolve the spec with the seed, lay it out at ``width`` x ``height``, fix text colours.
    ``photo``: a cut-out product (PIL RGBA, cropped to it) that a product card shows."""
    spec = resolve(validate_spec(spec), seed)
    rng = random.Random(f"zaowu-compose:{seed}")
    colors = colors_for(spec)
    logo = spec.kind == "logo"
    bg = Gradient(colors.bg1, colors.bg1 if logo else colors.bg2, angle=rng.choice((60, 90, 120, 135)),
                  radial=not logo and rng.random() < 0.3)  # fmt: skip
    ctx = _Ctx(spec, width, height, rng, colors, fonts.pairing(spec.fonts), Scene(width, height, bg), photo=photo)
    if not logo:
        add_motifs(ctx.scene, spec.motifs or [], rng, colors.soft, colors.accent, colors.ink)
    else:
        add_motifs(ctx.scene, (spec.motifs or [])[:1], rng, colors.soft, colors.accent, colors.ink, subtle=True)
    inner = Rect(ctx.margin, ctx.margin, width - 2 * ctx.margin, height - 2 * ctx.margin)
    wide = width > height * 1.2 and not logo
    funcs = WIDE_FUNCS if wide else LAYOUT_FUNCS
    if photo is not None and spec.kind == "product_card":
        _product_photo(ctx, inner)
    else:
        funcs.get(spec.layout, _banner_left if wide else _poster_centered)(ctx, inner)
    _clear_text(ctx.scene)
    design = Design(spec, seed, ctx.scene, colors, regions=ctx.regions)
    _fix_contrast(ctx, design)
    return design


def _clear_text(scene: Scene) -> None:
    """Remove small decorative motifs that would touch text (with a little air around it)."""
    boxes = []
    for block in scene.texts:
        e, air = block.extent, block.size * 0.3
        boxes.append(Rect(e.x - air, e.y - air, e.w + 2 * air, e.h + 2 * air))

    def clear(shape: Shape) -> bool:
        x0, y0, x1, y1 = shape.bounds()
        return not any(Rect(x0, y0, x1 - x0, y1 - y0).overlaps(box) for box in boxes)

    scene.shapes = [s for s in scene.shapes if not s.decor or clear(s)]


def _fix_contrast(ctx: _Ctx, design: Design) -> None:
    """Pick each text colour against the pixels under it. Where no colour reaches AA, put a
    scrim behind the text: first a translucent one in the background colour (the motif fades
    behind the words), then an opaque one if that is not enough."""
    background = paint_background(ctx.scene)
    design.background = background  # scrims (late shapes) are painted with the text
    c = ctx.colors
    under = background
    for block in ctx.scene.texts:
        if block.name == "cta":  # its colour was chosen against the button fill; measure it on pixels
            block.contrast = worst_contrast(block.color, background, block.ink)
            continue
        first = c.accent_ink if block.name in ctx.on_accent else c.ink
        candidates = [first, c.ink, "#FFFFFF", "#111111"]
        block.color, block.contrast = pick_ink(candidates, under, block.ink)
        if block.contrast >= MIN_CONTRAST:
            continue
        bg_here = _mix(c.bg1, c.bg2, 0.5)
        for fill, opacity in ((bg_here, 0.72), (_readable_fill(bg_here), 1.0)):
            scrim = _scrim(block, fill, opacity)
            trial = _with_shape(under, scrim)
            color, ratio = pick_ink(candidates if opacity < 1 else [_best_on(fill, candidates)], trial, block.ink)
            if ratio >= MIN_CONTRAST or opacity == 1.0:
                ctx.scene.shapes.append(scrim)
                under, block.color, block.contrast = trial, color, ratio
                break
    for block in ctx.scene.texts:  # a later scrim may reach under an earlier block: measure all again
        block.contrast = worst_contrast(block.color, under, block.ink)


def _scrim(block: TextBlock, fill: str, opacity: float) -> Shape:
    pad, r = block.size * 0.35, block.ink
    return Shape("rect", (r.x - pad, r.y - pad, r.w + 2 * pad, r.h + 2 * pad, pad), fill=fill, opacity=opacity,
                 late=True)  # fmt: skip


def _with_shape(image, shape: Shape):
    from PIL import ImageDraw

    from .scene import draw_shape

    image = image.copy()
    draw_shape(ImageDraw.Draw(image, "RGBA"), shape, 1)
    return image


def encode(image, fmt: str, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    if fmt == "png":
        image.save(buf, "PNG", compress_level=3)
    elif fmt == "webp":
        image.save(buf, "WEBP", quality=quality, method=4)
    elif fmt == "jpeg":
        image.save(buf, "JPEG", quality=quality, optimize=False, progressive=False, subsampling="4:4:4")
    else:
        raise ValueError(fmt)
    return buf.getvalue()


def render(spec: DesignSpec | dict, size: str | tuple[int, int] = "1024x1024", seed: int = 0, fmt: str = "png") -> bytes:
    """Bytes of the design in ``fmt`` (png, webp, jpeg or svg)."""
    from ...errors import InvalidRequest

    if fmt not in FORMATS:
        raise InvalidRequest(f"Unknown format '{fmt}'. Use one of: {', '.join(FORMATS)}.", param="format")
    spec = validate_spec(spec)
    width, height = size if isinstance(size, tuple) else parse_size(size, spec.kind)
    design = compose(spec, width, height, seed)
    if fmt == "svg":
        return to_svg(design.scene, title=design.spec.headline)
    return encode(design.image(), fmt)
