"""Checks on a composed design, measured on its layout: does it keep the rules a designer would?

- ``design.icon_fits`` / ``design.palette_fits`` / ``design.art_fits``: the icon, palette and
  illustration fit what the request is about (its business category and occasion, from the
  keyword table), e.g. no croissant on a fashion logo, no pastel for 春节;
- ``design.offer_is_hero``: a promotion's offer (a discount, 满减, a price) is the largest text;
- ``design.no_cta_on_cover``: a cover or social post has no shop button;
- ``design.no_platform_name``: a platform (小红书, Instagram...) is not the headline or the brand;
- ``design.contrast``: every text block reaches WCAG AA against the pixels under it;
- ``variants.distinct`` (``compare_variants``): variants differ in layout, palette or art, and
  their downscaled pixels differ.

Each check is a plain ``{"name", "ok", "detail"}`` dict (the backend layer does not import the
studio); ``zaowu.studio.quality.design.design_checks`` turns them into ``Check`` records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .categories import MOODS, Theme, detect_theme, find_platforms, is_cover
from .offers import contains_offer, find_offer
from .spec import NO_ART, theme_for

if TYPE_CHECKING:
    from .render import Design

__all__ = ["VARIANT_MIN_PIXEL_DIFF", "audit", "compare_variants"]

VARIANT_MIN_PIXEL_DIFF = 0.04  # mean absolute difference (0-1) of two 48x48 thumbnails below which variants look alike
_THUMB = 48


def _check(name: str, ok: bool, detail: str) -> dict[str, Any]:
    return {"name": name, "ok": bool(ok), "detail": detail}


def _truth(design: Design, request_text: str | None) -> Theme:
    """What the design should be about: the request's words, else the spec's own theme."""
    found = detect_theme(request_text or "")
    if found.known:
        return found
    return theme_for(design.spec)


def _fit_checks(design: Design, theme: Theme) -> list[dict[str, Any]]:
    spec = design.spec
    if not theme.known:
        return [
            _check(f"design.{f}_fits", True, "no business category or occasion recognised; any fits")
            for f in ("icon", "palette", "art")
        ]
    about = theme.describe("en")
    out = [_check("design.icon_fits", spec.icon in theme.icons(), f"icon {spec.icon} for {about}")]
    if spec.background_color:
        out.append(_check("design.palette_fits", True, f"the user's own colour {spec.background_color}"))
    else:
        if theme.event is not None:  # an occasion decides the colours: 春节 is red and gold, never pastel
            allowed = set(theme.event.palettes) | set(MOODS["festive"].palettes)
        else:
            allowed = set(theme.palettes()) | set(theme.business.palettes if theme.business else ())
            allowed |= set(MOODS[theme.mood].palettes) if theme.mood else set()
        out.append(_check("design.palette_fits", spec.palette in allowed, f"palette {spec.palette} for {about}"))
    shown = [a.name for a in design.scene.arts]
    if not shown:
        out.append(
            _check(
                "design.art_fits",
                True,
                "no illustration" if spec.art in (None, NO_ART) else f"{spec.art} not shown in this layout",
            )
        )
    else:
        fitting = set(theme.art(spec.kind)) | {a for c in (theme.business, theme.event) if c for a in c.art}
        wrong = [a for a in shown if a not in fitting]
        out.append(_check("design.art_fits", not wrong, f"illustration {', '.join(shown)} for {about}"))
    return out


def _offer_check(design: Design, request_text: str | None) -> dict[str, Any]:
    offer = design.spec.offer or find_offer(request_text)
    if not offer or design.spec.kind == "logo":
        return _check("design.offer_is_hero", True, "no offer to show")
    blocks = [b for b in design.blocks if b.name not in ("brand", "monogram")]
    holders = [b for b in blocks if contains_offer(b.text.replace("\n", ""), offer)]
    if not holders:
        return _check("design.offer_is_hero", False, f"the offer '{offer}' is not on the design")
    hero = max(holders, key=lambda b: b.size)
    others = [b.size for b in blocks if b is not hero]
    ok = not others or hero.size > max(others)
    biggest = max(blocks, key=lambda b: b.size)
    detail = (
        f"'{offer}' is the largest text ({hero.size}px)"
        if ok
        else f"'{offer}' is {hero.size}px but the {biggest.name} is {biggest.size}px"
    )
    return _check("design.offer_is_hero", ok, detail)


def _cta_check(design: Design, request_text: str | None) -> dict[str, Any]:
    cover = design.spec.kind == "social_post" or is_cover(request_text or "")
    has = any(b.name == "cta" for b in design.blocks)
    if not cover:
        return _check("design.no_cta_on_cover", True, "not a cover")
    return _check("design.no_cta_on_cover", not has, "a cover with a shop button" if has else "cover without a button")


def _platform_check(design: Design) -> dict[str, Any]:
    found = find_platforms(design.spec.headline) + find_platforms(design.spec.brand or "")
    return _check(
        "design.no_platform_name",
        not found,
        f"platform name in headline or brand: {', '.join(found)}" if found else "no platform names",
    )


def _contrast_check(design: Design) -> dict[str, Any]:
    from .render import MIN_CONTRAST

    worst = min(((b.contrast or 0.0, b.name) for b in design.blocks), default=(21.0, ""))
    return _check(
        "design.contrast",
        worst[0] >= MIN_CONTRAST,
        f"lowest text contrast {worst[0]:.2f}:1 ({worst[1] or 'no text'}), AA needs {MIN_CONTRAST}:1",
    )


def audit(design: Design, request_text: str | None = None) -> list[dict[str, Any]]:
    """The design checks of one composed design, against the request it was made for."""
    theme = _truth(design, request_text)
    return [
        *_fit_checks(design, theme),
        _offer_check(design, request_text),
        _cta_check(design, request_text),
        _platform_check(design),
        _contrast_check(design),
    ]


def _thumb(image):
    import numpy as np

    return np.asarray(image.convert("RGB").resize((_THUMB, _THUMB)), dtype=np.float32) / 255.0


def compare_variants(designs: list[Design], images: list | None = None) -> dict[str, Any]:
    """Whether variants differ: in layout, palette or art (spec fields), and in their downscaled pixels."""
    if len(designs) < 2:
        return _check("variants.distinct", True, "one variant")
    import numpy as np

    keys = [(d.spec.layout, d.spec.palette, d.spec.art) for d in designs]
    same_fields = [(i, j) for i in range(len(keys)) for j in range(i + 1, len(keys)) if keys[i] == keys[j]]
    diffs: list[float] = []
    if images is not None:
        thumbs = [_thumb(im) for im in images]
        diffs = [
            float(np.abs(thumbs[i] - thumbs[j]).mean()) for i in range(len(thumbs)) for j in range(i + 1, len(thumbs))
        ]
    close = [d for d in diffs if d < VARIANT_MIN_PIXEL_DIFF]
    ok = not same_fields and not close
    parts = [f"layouts {'/'.join(str(k[0]) for k in keys)}", f"palettes {'/'.join(str(k[1]) for k in keys)}"]
    if diffs:
        parts.append(f"smallest pixel difference {min(diffs):.3f}")
    if same_fields:
        parts.append("same layout, palette and art: " + ", ".join(f"{i + 1}={j + 1}" for i, j in same_fields))
    return _check("variants.distinct", ok, "; ".join(parts))
