"""Render a DesignSpec: compose a scene for its kind and layout, fit the text,
keep every text block at WCAG AA contrast, and encode PNG, WebP, JPEG or SVG.

    png = render(DesignSpec(kind="poster", headline="春季新品上市"), size="3:4", seed=7)

Same spec + seed gives identical bytes. Style fields the spec leaves open are
chosen from the seed (``spec.resolve``), and motif placement uses the seed, so
different seeds give visibly different variants of one prompt.

Layout rules: an illustration (``spec.art``) is the hero picture, placed in its own
square beside or above the text, never under it; a promotion's ``offer`` is the
largest text; social posts (covers) get no call-to-action button; a logo also
comes as a transparent mark (``mark_image``: the logo without its background).
"""

from __future__ import annotations

import io
import logging
import random
from dataclasses import dataclass, field

from . import fonts
from .layout import (
    Block,
    Rect,
    TextBlock,
    contrast_ratio,
    fit_stack,
    hex_to_rgb,
    pick_ink,
    relative_luminance,
    worst_contrast,
)
from .motifs import add_motifs
from .scene import Art, Gradient, Icon, Photo, Scene, Shape, paint, paint_background, to_svg
from .spec import NO_ART, PALETTES, DesignSpec, parse_size, resolve, theme_for, validate_spec

log = logging.getLogger(__name__)

__all__ = ["Design", "Colors", "compose", "render", "encode", "mark_image", "FORMATS", "MIN_CONTRAST", "NO_CTA_KINDS"]

FORMATS = {"png": "image/png", "webp": "image/webp", "jpeg": "image/jpeg", "svg": "image/svg+xml"}
MIN_CONTRAST = 4.5  # WCAG 2.x AA for normal text
NO_CTA_KINDS = ("social_post",)  # covers and feed posts carry no shop button
MARK_PAD = 0.04  # air around a transparent mark, as a share of its longer side


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
    motif_count: int = 0  # the first scene.shapes are background motifs (left out of a mark)
    on_accent: set[str] = field(default_factory=set)

    @property
    def arts(self) -> list[Rect]:
        """Where the illustrations are."""
        return [a.rect for a in self.scene.arts]

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
    def art(self) -> str | None:
        """The hero illustration, None when the spec has none."""
        return None if self.spec.art in (None, NO_ART) else self.spec.art

    def second_art(self) -> str | None:
        """Another illustration of the same theme (banners show two)."""
        if self.art is None:
            return None
        others = [a for a in theme_for(self.spec).art(self.spec.kind) if a != self.art]
        return others[0] if others else self.art

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
    """Headline, offer, subline, body and button label, sized for the canvas. With an offer the
    offer is the hero: its sizes (largest and smallest) are above the headline's, so it stays the
    largest text however far the column shrinks."""
    b, p, s = ctx.base, ctx.pair, ctx.spec
    offer = s.offer if s.kind != "logo" else None
    head = (0.085, 0.04) if offer else (0.15, 0.05)
    blocks = [
        Block(
            "headline",
            _txt(s.headline, p.headline),
            p.headline,
            p.headline_cjk,
            b * head[0] * scale,
            b * head[1],
            headline_lines,
            leading=1.12,
            gap_after=0.38,
            priority=3,
            balance=True,
        ),
        Block(
            "subline",
            s.subline or "",
            p.label,
            p.body_cjk,
            b * 0.052,
            b * 0.03,
            2,
            gap_after=0.7,
            priority=2,
            balance=True,
        ),
        Block("body", s.body or "", p.body, p.body_cjk, b * 0.034, b * 0.024, 4, leading=1.4, gap_after=1.2),
    ]
    if offer:
        blocks.insert(
            1,
            Block(
                "offer",
                _txt(offer, p.headline),
                p.headline,
                p.headline_cjk,
                b * 0.2 * scale,
                b * 0.065,
                2,
                leading=1.05,
                gap_after=0.32,
                priority=4,
                balance=True,
            ),
        )
    if cta and s.call_to_action and s.kind not in NO_CTA_KINDS:
        blocks.append(Block("cta", s.call_to_action, p.label, p.body_cjk, b * 0.038, b * 0.026, 1, pad=1.0, priority=1))
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


def _add_art(ctx: _Ctx, name: str | None, x: float, y: float, size: float) -> Rect | None:
    if not name or size < 8:
        return None
    ctx.scene.arts.append(Art(name, x, y, size))
    return Rect(x, y, size, size)


def _art_badge(ctx: _Ctx, cx: float, cy: float, r: float, fill: str | None = None) -> None:
    """A disc with the hero illustration inside it (an icon badge when the spec has no art)."""
    if ctx.art is None:
        _badge(ctx, cx, cy, r, fill)
        return
    ctx.scene.shapes.append(Shape("circle", (cx, cy, r), fill=fill or ctx.colors.accent))
    size = r * 1.45
    _add_art(ctx, ctx.art, cx - size / 2, cy - size / 2, size)


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
    if ctx.art is not None:  # the illustration on top, the text below it
        size = min(inner.w * 0.5, inner.h * (0.3 if ctx.spec.body or ctx.spec.offer else 0.36))
        _add_art(ctx, ctx.art, ctx.width / 2 - size / 2, inner.y, size)
        gap = size + ctx.base * 0.04
        inner = Rect(inner.x, inner.y + gap, inner.w, inner.h - gap)
    elif not ctx.spec.brand:
        _badge(ctx, ctx.width / 2, inner.y + r, r)
        inner = Rect(inner.x, inner.y + 2 * r + ctx.base * 0.04, inner.w, inner.h - 2 * r - ctx.base * 0.04)
    _place(ctx, _column(ctx), inner, "center", "center")


def _poster_left(ctx: _Ctx, inner: Rect) -> None:
    inner = _brand_row(ctx, inner, "left")
    top = inner.y + inner.h * 0.3
    if ctx.art is not None:  # the illustration top right, the text below it, left-aligned
        size = min(ctx.base * 0.4, inner.h * 0.38, inner.w * 0.5)
        art = _add_art(ctx, ctx.art, inner.right - size, inner.y, size)
        top = max(top, art.bottom + ctx.base * 0.03) if art else top
    else:
        size = ctx.base * 0.42
        ctx.scene.icons.append(
            Icon(ctx.spec.icon, ctx.width - size * 0.85, ctx.height * 0.16, size, ctx.colors.ink, 1.5, opacity=0.16)
        )
    bar = ctx.base * 0.014
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
    ctx.scene.shapes.append(
        Shape(
            "circle",
            (panel.x + panel.w * 0.78, panel.y + panel.h * 0.2, panel.h * 0.35),
            fill=c.accent_ink,
            opacity=0.10,
        )
    )
    ctx.scene.shapes.append(
        Shape("circle", (panel.x + panel.w * 0.12, panel.bottom, panel.h * 0.28), fill=c.accent_ink, opacity=0.08)
    )
    r = min(panel.w, panel.h) * (0.36 if ctx.art else 0.28)
    _art_badge(ctx, panel.x + panel.w / 2, panel.y + panel.h / 2, r, fill=c.bg1)
    if ctx.spec.brand and not ctx.landscape:
        label = Block(
            "brand", ctx.spec.brand.upper(), ctx.pair.label, ctx.pair.body_cjk, ctx.base * 0.026, ctx.base * 0.018, 1
        )
        _place(ctx, [label], Rect(m, m * 0.6, ctx.width - 2 * m, ctx.base * 0.05), "left", "center", on_accent=True)
    _place(ctx, _column(ctx, 0.9), text, "left", "center")


def _poster_framed(ctx: _Ctx, inner: Rect) -> None:
    c, b = ctx.colors, ctx.base
    o = ctx.margin * 0.45
    ctx.scene.shapes.append(
        Shape("rect", (o, o, ctx.width - 2 * o, ctx.height - 2 * o), stroke=c.ink, stroke_width=b * 0.004, opacity=0.55)
    )
    o2 = o + b * 0.012
    ctx.scene.shapes.append(
        Shape(
            "rect",
            (o2, o2, ctx.width - 2 * o2, ctx.height - 2 * o2),
            stroke=c.ink,
            stroke_width=b * 0.0015,
            opacity=0.45,
        )
    )
    d = b * 0.018
    for x, y in ((ctx.width / 2, o), (ctx.width / 2, ctx.height - o)):
        ctx.scene.shapes.append(Shape("polygon", (x, y - d, x + d, y, x, y + d, x - d, y), fill=c.accent))
    inner = inner.inset(ctx.margin * 0.3)
    inner = _brand_row(ctx, inner, "center", icon_too=False)
    if ctx.art is not None:
        size = min(b * 0.22, inner.h * 0.26)
        _add_art(ctx, ctx.art, ctx.width / 2 - size / 2, inner.y, size)
        region = Rect(inner.x, inner.y + size * 1.2, inner.w, inner.h - size * 1.2)
    else:
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
    hero = ("headline", "offer")
    head = [blk for blk in _column(ctx, 1.6, cta=False, headline_lines=4) if blk.name in hero]
    _place(ctx, head, top, "left", "center")
    text = band.inset(m, m * 0.7)
    if ctx.art is not None:  # the illustration at the band's right end, the rest of the text beside it
        size = min(band_h * 0.8, ctx.width * 0.3)
        art = _add_art(ctx, ctx.art, ctx.width - m - size, band.y + (band_h - size) / 2, size)
        if art:
            text = Rect(text.x, text.y, art.x - m * 0.5 - text.x, text.h)
    rest = [blk for blk in _column(ctx) if blk.name not in hero]
    _place(ctx, rest, text, "left", "center", on_accent=True)


# ---------------------------------------------------------------- banners (wide)


def _banner_left(ctx: _Ctx, inner: Rect) -> None:
    c = ctx.colors
    r = ctx.height * 0.3
    cx, cy = ctx.width - ctx.margin - r * 1.05, ctx.height / 2
    ctx.scene.shapes.append(Shape("circle", (cx, cy, r * 1.25), fill=c.soft, opacity=0.35))
    if ctx.art is not None:
        size = r * 1.9
        _add_art(ctx, ctx.art, cx - size / 2, cy - size / 2, size)
    else:
        _badge(ctx, cx, cy, r * 0.8)
    text = Rect(inner.x, inner.y, cx - r * 1.3 - ctx.margin * 0.5 - inner.x, inner.h)
    text = _brand_row(ctx, text, "left")
    _place(ctx, _column(ctx, 1.1), text, "left", "center")


def _banner_centered(ctx: _Ctx, inner: Rect) -> None:
    side = ctx.width * 0.16
    if ctx.art is not None:  # two illustrations of the theme, one each side of the text
        size = min(side * 0.95, ctx.height * 0.5)
        for x, name in (
            (inner.x + side / 2 - size / 2, ctx.art),
            (inner.right - side / 2 - size / 2, ctx.second_art()),
        ):
            _add_art(ctx, name, x, ctx.height / 2 - size / 2, size)
    else:
        size = ctx.height * 0.3
        for x in (inner.x + side / 2 - size / 2, inner.right - side / 2 - size / 2):
            ctx.scene.icons.append(Icon(ctx.spec.icon, x, ctx.height / 2 - size / 2, size, ctx.colors.ink, 1.5, 0.22))
    text = Rect(inner.x + side, inner.y, inner.w - 2 * side, inner.h)
    text = _brand_row(ctx, text, "center")
    _place(ctx, _column(ctx, 1.1), text, "center", "center")


# ---------------------------------------------------------------- logos


def _logo_text(ctx: _Ctx, word_size: float) -> list[Block]:
    p, s = ctx.pair, ctx.spec
    blocks = [
        Block(
            "headline",
            _txt(s.headline, p.headline),
            p.headline,
            p.headline_cjk,
            word_size,
            ctx.base * 0.04,
            2,
            leading=1.05,
            gap_after=0.45,
            priority=3,
            balance=True,
        )
    ]
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
    _art_badge(ctx, ctx.width / 2, cy, r)
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
    ctx.scene.shapes.append(
        Shape("circle", (cx, cy, r * 0.9), stroke=c.accent_ink, stroke_width=b * 0.006, opacity=0.7)
    )
    if ctx.art is not None:
        size = r * 0.42
        _add_art(ctx, ctx.art, cx - size / 2, cy - r * 0.7, size)
    else:
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
        ctx.scene.shapes.append(
            Shape("circle", (slot.x + slot.w / 2, slot.y + slot.h / 2, r), fill=c.soft, opacity=0.55)
        )
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
    bg = Gradient(
        colors.bg1,
        colors.bg1 if logo else colors.bg2,
        angle=rng.choice((60, 90, 120, 135)),
        radial=not logo and rng.random() < 0.3,
    )
    ctx = _Ctx(spec, width, height, rng, colors, fonts.pairing(spec.fonts), Scene(width, height, bg), photo=photo)
    if not logo:
        add_motifs(ctx.scene, spec.motifs or [], rng, colors.soft, colors.accent, colors.ink)
    else:
        add_motifs(ctx.scene, (spec.motifs or [])[:1], rng, colors.soft, colors.accent, colors.ink, subtle=True)
    motif_count = len(ctx.scene.shapes)
    inner = Rect(ctx.margin, ctx.margin, width - 2 * ctx.margin, height - 2 * ctx.margin)
    wide = width > height * 1.2 and not logo
    funcs = WIDE_FUNCS if wide else LAYOUT_FUNCS
    if photo is not None and spec.kind == "product_card":
        _product_photo(ctx, inner)
    else:
        funcs.get(spec.layout, _banner_left if wide else _poster_centered)(ctx, inner)
    _clear_text(ctx.scene)
    design = Design(
        spec, seed, ctx.scene, colors, regions=ctx.regions, motif_count=motif_count, on_accent=ctx.on_accent
    )
    _fix_contrast(ctx, design)
    return design


def mark_image(design: Design):
    """The logo's mark on a transparent background (PIL RGBA, cropped to it): its badge, art, icon
    and words without the background and motifs. Words that sat on the background take the
    palette's darkest readable colour, since a mark is mostly placed on light pages.

    Painted twice, on black and on white, and the alpha recovered from the difference, so
    anti-aliased edges and translucent shapes come out exact."""
    import numpy as np
    from PIL import Image

    scene, c = design.scene, design.colors
    texts = []
    for block in scene.texts:
        if block.name not in design.on_accent and contrast_ratio(block.color, "#FFFFFF") < 3.0:
            color = next(
                (x for x in (c.accent, c.bg1, c.ink) if contrast_ratio(x, "#FFFFFF") >= MIN_CONTRAST), "#111111"
            )
            block = TextBlock(**{**block.__dict__, "color": color})
        texts.append(block)
    shapes = [s for s in scene.shapes[design.motif_count :] if not s.late]

    def on(color: str):
        bg = Gradient(color, color)
        flat = Scene(
            scene.width,
            scene.height,
            bg,
            shapes=shapes,
            icons=scene.icons,
            texts=texts,
            photos=scene.photos,
            arts=scene.arts,
        )
        return np.asarray(paint(flat), dtype=np.float32)

    black, white = on("#000000"), on("#FFFFFF")
    alpha = np.clip(1.0 - (white - black).mean(axis=2) / 255.0, 0.0, 1.0)
    rgb = np.where(alpha[..., None] > 1e-3, black / np.maximum(alpha[..., None], 1e-3), 0.0)
    out = np.dstack([np.clip(rgb, 0, 255), alpha * 255.0]).round().astype(np.uint8)
    image = Image.fromarray(out, "RGBA")
    box = image.getchannel("A").point(lambda v: 255 if v > 4 else 0).getbbox()
    if box is None:
        return image
    pad = round(max(box[2] - box[0], box[3] - box[1]) * MARK_PAD)
    box = (max(0, box[0] - pad), max(0, box[1] - pad), min(image.width, box[2] + pad), min(image.height, box[3] + pad))
    return image.crop(box)


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
        if block.name == "offer" and block.name not in ctx.on_accent:  # the offer in the accent colour when readable
            candidates.insert(0, c.accent)
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
    return Shape(
        "rect", (r.x - pad, r.y - pad, r.w + 2 * pad, r.h + 2 * pad, pad), fill=fill, opacity=opacity, late=True
    )


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


def render(
    spec: DesignSpec | dict, size: str | tuple[int, int] = "1024x1024", seed: int = 0, fmt: str = "png"
) -> bytes:
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
