"""Placing a cut-out on a designed background: scaled to fit its slot, standing on the
slot's floor, with a soft contact shadow and a drop shadow made from its own alpha.

    rect = fit_into(cut.size, slot)               # where the product goes (x, y, w, h)
    composite(canvas, cut, rect, tint="#1B2A3A")  # paints shadow, then product, in place

Both shadows come from the cut-out's alpha, so a bottle casts a bottle's shadow:
the contact shadow is the alpha squashed flat under the product's base (where it
touches the ground), the drop shadow the alpha offset down-right and blurred.
Everything is deterministic (no randomness, fixed resampling filters).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Placement", "fit_into", "shadow_layer", "composite"]

CONTACT_OPACITY = 0.55
DROP_OPACITY = 0.30


@dataclass
class Placement:
    """Where a cut-out lands and the shadow painted under it (both in canvas pixels)."""

    rect: tuple[int, int, int, int]  # the product: x, y, w, h
    shadow: Any  # PIL "L" image: shadow opacity 0..255
    shadow_origin: tuple[int, int]  # top-left of ``shadow`` on the canvas


def fit_into(size: tuple[int, int], slot: tuple[float, float, float, float], fill: float = 0.9) -> tuple[int, ...]:
    """The largest rect with ``size``'s aspect that fits ``fill`` of ``slot``, centred
    horizontally and standing on the slot's floor (room left below for the contact shadow)."""
    w, h = size
    sx, sy, sw, sh = slot
    floor = sh * 0.06  # the contact shadow spreads a little below the base
    scale = min(sw * fill / w, (sh - floor) * fill / h)
    pw, ph = max(1, round(w * scale)), max(1, round(h * scale))
    x = round(sx + (sw - pw) / 2)
    y = round(sy + sh - floor - ph)
    return x, y, pw, ph


def shadow_layer(alpha, rect: tuple[int, int, int, int]) -> Placement:
    """Contact + drop shadow for a product whose alpha (PIL "L", already at rect's size) sits at ``rect``."""
    import numpy as np
    from PIL import Image, ImageFilter

    x, y, w, h = rect
    pad = max(4, round(max(w, h) * 0.2))
    layer = Image.new("L", (w + 2 * pad, h + 2 * pad), 0)
    # drop shadow: the silhouette, nudged down and right, blurred
    drop = alpha.point(lambda v: round(v * DROP_OPACITY))
    layer.paste(drop, (pad + round(w * 0.035), pad + round(h * 0.03)))
    layer = layer.filter(ImageFilter.GaussianBlur(max(2.0, min(w, h) * 0.035)))
    # contact shadow: the silhouette's footprint squashed flat at the base
    base = _footprint(alpha)
    if base is not None:
        fx, fw = base
        flat_h = max(2, round(h * 0.05))
        flat = alpha.crop((fx, 0, fx + fw, h)).resize((round(fw * 1.08), flat_h), Image.Resampling.BOX)
        flat = flat.point(lambda v: 255 if v > 0 else 0)
        contact = Image.new("L", layer.size, 0)
        contact.paste(flat, (pad + fx - round(fw * 0.04), pad + h - flat_h // 2))
        contact = contact.filter(ImageFilter.GaussianBlur(max(1.5, flat_h * 0.6)))
        c = np.asarray(contact, np.float32) * CONTACT_OPACITY
        layer = Image.fromarray(np.maximum(np.asarray(layer, np.float32), c).astype(np.uint8), "L")
    return Placement(rect, layer, (x - pad, y - pad))


def _footprint(alpha) -> tuple[int, int] | None:
    """x and width of the part of the silhouette that reaches its bottom rows (what touches the floor)."""
    import numpy as np

    a = np.asarray(alpha)
    rows = np.nonzero(a.max(axis=1) > 128)[0]
    if len(rows) == 0:
        return None
    bottom = rows[-1]
    band = a[max(0, bottom - max(2, a.shape[0] // 12)) : bottom + 1]
    cols = np.nonzero(band.max(axis=0) > 128)[0]
    return (int(cols[0]), int(cols[-1] - cols[0] + 1)) if len(cols) else None


def composite(canvas, cut, rect: tuple[int, int, int, int], tint: str = "#000000", shadow: bool = True) -> Placement:
    """Paint ``cut`` (PIL RGBA, cropped to the subject) into ``canvas`` (PIL RGB) at ``rect``,
    with its shadow in ``tint`` underneath. Returns where things went."""
    from PIL import Image

    x, y, w, h = rect
    product = cut.resize((w, h), Image.Resampling.LANCZOS) if cut.size != (w, h) else cut
    alpha = product.getchannel("A")
    placed = shadow_layer(alpha, rect)
    if shadow:
        rgb = tuple(int(tint.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
        canvas.paste(rgb, placed.shadow_origin, placed.shadow)  # type: ignore[arg-type]
    canvas.paste(product.convert("RGB"), (x, y), alpha)
    return placed
