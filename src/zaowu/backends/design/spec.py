"""The design spec: what a poster, logo or card says and how it should look.

A ``DesignSpec`` is the contract between the LLM (which writes it through
JSON-schema constrained decoding, see ``llm_schema``) and the renderer. Style
fields left open (``None``) are chosen deterministically from the seed by
``resolve``, so one prompt gives several distinct variants, and a resolved spec
plus its seed re-renders the same design (edit the headline, re-render).

Sizes are named aspect ratios (``1:1``, ``3:4``, ``9:16``, ``16:9``, ``logo``),
optionally at a chosen width (``16:9@1280``), or explicit ``WIDTHxHEIGHT``.

What a design is about (business category, occasion, mood) decides which icons, palettes, fonts
and illustrations fit (``categories.py``); ``resolve`` picks only among those, ``fit_to_theme``
replaces a model's choice that does not fit, and ``variant`` gives variant ``i`` of ``n`` its own
layout, palette and art, so variants differ in more than their background shapes.

This module imports only the standard library and Pydantic.
"""

from __future__ import annotations

import random
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ...errors import InvalidRequest
from .categories import ART_NAMES, CATEGORIES, MOODS, Theme, detect_theme, theme_of

__all__ = [
    "DesignSpec",
    "Kind",
    "KINDS",
    "PALETTES",
    "Palette",
    "FONT_PAIRINGS",
    "LAYOUTS",
    "MOTIFS",
    "ICONS",
    "SIZES",
    "parse_size",
    "resolve",
    "validate_spec",
    "llm_schema",
    "theme_for",
    "fit_to_theme",
    "variant",
    "NO_ART",
]

NO_ART = "none"  # spec.art value for a design without an illustration

Kind = Literal["poster", "logo", "banner", "social_post", "product_card", "storefront_header"]
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]


class Palette(BaseModel):
    """Colours of one named palette: a two-stop background, text ink, accent (buttons, marks)."""

    model_config = ConfigDict(frozen=True)

    bg: tuple[str, str]
    ink: str
    accent: str
    soft: str  # a tint used for motifs and panels


PALETTES: dict[str, Palette] = {
    "sunset": Palette(bg=("#FF7E5F", "#FEB47B"), ink="#2A1410", accent="#3A1C71", soft="#FFE3D3"),
    "ocean": Palette(bg=("#0F2027", "#2C5364"), ink="#FFFFFF", accent="#00C9A7", soft="#7FDBDA"),
    "forest": Palette(bg=("#0B3D2E", "#1E6F50"), ink="#F4F1E8", accent="#F2C14E", soft="#8CC7A1"),
    "berry": Palette(bg=("#4A00E0", "#8E2DE2"), ink="#FFFFFF", accent="#FFD166", soft="#C9A7FF"),
    "coral": Palette(bg=("#FF6A88", "#FF9A8B"), ink="#2B0A14", accent="#FFFFFF", soft="#FFD1DC"),
    "mint": Palette(bg=("#E8FBF3", "#BDF0DA"), ink="#0B3D2E", accent="#FF7A59", soft="#7BD3B0"),
    "cream": Palette(bg=("#FFF8EE", "#F3E3CC"), ink="#3B2A20", accent="#C8553D", soft="#E6C9A8"),
    "midnight": Palette(bg=("#141E30", "#243B55"), ink="#FFFFFF", accent="#F5C518", soft="#5B7DB1"),
    "festive": Palette(bg=("#9E1B1B", "#D62828"), ink="#FFF4D6", accent="#FCBF49", soft="#F77F00"),
    "sakura": Palette(bg=("#FFF0F3", "#FAD2E1"), ink="#5B2333", accent="#D64161", soft="#F7A8C0"),
    "mono": Palette(bg=("#FAFAFA", "#ECECEC"), ink="#111111", accent="#111111", soft="#CFCFCF"),
    "lemon": Palette(bg=("#FFF7C2", "#FFE066"), ink="#1F2937", accent="#E4572E", soft="#FFD23F"),
    "lavender": Palette(bg=("#F3EEFF", "#D9C8F5"), ink="#2E1A47", accent="#7B2CBF", soft="#B99AE8"),
    "tech": Palette(bg=("#0052D4", "#4364F7"), ink="#FFFFFF", accent="#FFD166", soft="#6FB1FC"),
    # category and occasion palettes (see categories.py)
    "imperial": Palette(bg=("#7A0C0C", "#B3121B"), ink="#FFE8B0", accent="#F2C14E", soft="#E85D3F"),
    "moonlit": Palette(bg=("#0B1D3A", "#23406E"), ink="#FFF4D6", accent="#F6C453", soft="#F9E4A8"),
    "jade": Palette(bg=("#0E4D3A", "#2A8C66"), ink="#F4F9E9", accent="#F4D35E", soft="#9FD8B9"),
    "rose": Palette(bg=("#7D0A2E", "#C2185B"), ink="#FFF0F3", accent="#FFC2D4", soft="#FF8FAB"),
    "evergreen": Palette(bg=("#0F3D2A", "#17603F"), ink="#FFFFFF", accent="#E63946", soft="#A8DADC"),
    "pumpkin": Palette(bg=("#140C1F", "#2E1A47"), ink="#FFF3E0", accent="#FF7518", soft="#7B2CBF"),
    "blackout": Palette(bg=("#050505", "#1E1E1E"), ink="#FFFFFF", accent="#FFD400", soft="#3A3A3A"),
    "espresso": Palette(bg=("#3B2418", "#6B4432"), ink="#FFF6E5", accent="#D9A66B", soft="#A47551"),
    "luxe": Palette(bg=("#0E0E0E", "#262626"), ink="#F5E6C8", accent="#C9A227", soft="#6B5B3E"),
    "blush": Palette(bg=("#FFF1F1", "#F7D6DA"), ink="#3D1F2B", accent="#A23B52", soft="#EBA9B6"),
    "candy": Palette(bg=("#FFF6CC", "#FFD6EC"), ink="#2B2D42", accent="#EF476F", soft="#5BD6B0"),
    "sage": Palette(bg=("#F1F5EC", "#D5E3C8"), ink="#24402C", accent="#5E7F3E", soft="#A9C79A"),
    "sky": Palette(bg=("#EAF6FF", "#BFE3FB"), ink="#0C3B5E", accent="#F26B1D", soft="#7CC4F0"),
    "navy": Palette(bg=("#14213D", "#2B3F63"), ink="#FFFFFF", accent="#E5C07B", soft="#5C7AA3"),
}

FONT_PAIRINGS: tuple[str, ...] = ("modern", "geometric", "elegant", "display", "friendly")

LAYOUTS: dict[str, tuple[str, ...]] = {
    "poster": ("centered", "left", "split", "framed", "bold_type"),
    "social_post": ("centered", "left", "split", "framed", "bold_type"),
    "banner": ("left", "centered", "split"),
    "storefront_header": ("left", "centered", "split"),
    "product_card": ("split", "left", "centered"),
    "logo": ("stacked", "inline", "badge", "monogram"),
}
ALL_LAYOUTS: tuple[str, ...] = tuple(dict.fromkeys(name for names in LAYOUTS.values() for name in names))

MOTIFS: tuple[str, ...] = ("circles", "rings", "dots", "stripes", "triangles", "waves", "blobs", "grid")

# Icons from Lucide (ISC licence) that suit small shops; all exist in lucide 1.1.4.
ICONS: tuple[str, ...] = (
    "coffee",
    "cup-soda",
    "cake-slice",
    "croissant",
    "cookie",
    "ice-cream-cone",
    "pizza",
    "sandwich",
    "salad",
    "soup",
    "utensils",
    "chef-hat",
    "wine",
    "beer",
    "apple",
    "cherry",
    "citrus",
    "grape",
    "carrot",
    "wheat",
    "egg",
    "milk",
    "candy",
    "fish",
    "shopping-bag",
    "shopping-cart",
    "store",
    "gift",
    "tag",
    "percent",
    "badge-percent",
    "sparkles",
    "star",
    "heart",
    "gem",
    "crown",
    "award",
    "leaf",
    "sprout",
    "flower",
    "flower-2",
    "trees",
    "mountain",
    "sun",
    "moon",
    "snowflake",
    "flame",
    "shirt",
    "scissors",
    "glasses",
    "watch",
    "palette",
    "brush",
    "pen-tool",
    "camera",
    "music",
    "book-open",
    "graduation-cap",
    "dumbbell",
    "bike",
    "paw-print",
    "baby",
    "house",
    "sofa",
    "lamp",
    "hammer",
    "wrench",
    "truck",
    "plane",
    "car",
    "globe",
    "map-pin",
    "smartphone",
    "laptop",
    "gamepad-2",
    "rocket",
    "zap",
    "megaphone",
    "handshake",
    "calendar",
    "clock",
    "shield-check",
    "recycle",
    "stethoscope",
    "pill",
    "tent",
    "heart-pulse",
    "cpu",
    "briefcase",
    "bone",
    "spray-can",
    "lightbulb",
    "tree-pine",
    "ghost",
    "party-popper",
    "martini",
    "library",
    "aperture",
    "film",
    "amphora",
    "guitar",
    "headphones",
    "piano",
    "trophy",
)

# name -> (width, height) at the default resolution
SIZES: dict[str, tuple[int, int]] = {
    "1:1": (1080, 1080),
    "3:4": (1080, 1440),
    "9:16": (1080, 1920),
    "16:9": (1920, 1080),
    "logo": (1024, 1024),
}
_RATIOS = {"1:1": (1, 1), "3:4": (3, 4), "9:16": (9, 16), "16:9": (16, 9), "logo": (1, 1)}
DEFAULT_SIZE: dict[str, str] = {
    "poster": "3:4",
    "social_post": "1:1",
    "banner": "16:9",
    "storefront_header": "16:9",
    "product_card": "3:4",
    "logo": "logo",
}
MIN_SIDE, MAX_SIDE, MAX_PIXELS = 64, 4096, 4096 * 4096

_HEX = r"^#[0-9A-Fa-f]{6}$"


class DesignSpec(BaseModel):
    """One design. Text fields are what is printed; style fields left ``None`` are chosen by seed."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind = "poster"
    headline: str = Field(min_length=1, max_length=80, description="main text; for a logo, the brand name")
    subline: str | None = Field(None, max_length=120, description="second line; for a logo, the tagline")
    body: str | None = Field(None, max_length=280)
    call_to_action: str | None = Field(None, max_length=30)
    brand: str | None = Field(None, max_length=40, description="shop name shown small on posters")
    palette: str | None = None
    background_color: str | None = Field(None, pattern=_HEX, description="explicit hex, overrides the palette")
    accent_color: str | None = Field(None, pattern=_HEX, description="explicit hex, overrides the palette")
    fonts: str | None = None
    layout: str | None = None
    motifs: list[str] | None = Field(None, max_length=3)
    icon: str | None = None
    language: Literal["zh", "en"] | None = None
    offer: str | None = Field(None, max_length=24, description="a promotion's offer (3折, 50% OFF, ¥99): the hero text")
    category: str | None = Field(None, description="business category id (categories.py), chosen by code")
    occasion: str | None = Field(None, description="occasion id (spring_festival, mid_autumn...), chosen by code")
    mood: str | None = Field(
        None, description="the mood the request states: festive, calm, premium, playful, natural, tech"
    )
    art: str | None = Field(None, description="illustration shown as hero art, or 'none'")

    @field_validator("headline", "subline", "body", "call_to_action", "brand", "offer", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = " ".join(value.split())
            return value
        return value

    @field_validator("subline", "body", "call_to_action", "brand", "offer")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _choices(self) -> DesignSpec:
        _check_choice(self.palette, PALETTES, "palette")
        _check_choice(self.fonts, FONT_PAIRINGS, "fonts")
        _check_choice(self.icon, ICONS, "icon")
        if self.layout is not None and self.layout not in LAYOUTS[self.kind]:
            raise ValueError(f"layout '{self.layout}' is not one for a {self.kind}; choose one of {LAYOUTS[self.kind]}")
        for motif in self.motifs or ():
            _check_choice(motif, MOTIFS, "motifs")
        _check_choice(self.category, [c for c in CATEGORIES if not CATEGORIES[c].occasion], "category")
        _check_choice(self.occasion, [c for c in CATEGORIES if CATEGORIES[c].occasion], "occasion")
        _check_choice(self.mood, MOODS, "mood")
        _check_choice(self.art, (*ART_NAMES, NO_ART), "art")
        return self


def _check_choice(value: str | None, allowed, field: str) -> None:
    if value is not None and value not in allowed:
        raise ValueError(f"{field} '{value}' is unknown; choose one of: {', '.join(allowed)}")


def validate_spec(data: dict[str, Any] | DesignSpec) -> DesignSpec:
    """A DesignSpec from a dict, with Pydantic errors turned into InvalidRequest naming the field."""
    if isinstance(data, DesignSpec):
        return data
    try:
        return DesignSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "spec"
        raise InvalidRequest(f"Invalid design spec: {where}: {err['msg']}", param=f"spec.{where}") from None


def is_cjk(text: str) -> bool:
    return any("\u3000" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" or "\uff00" <= ch <= "\uffef" for ch in text)


def spec_text(spec: DesignSpec) -> str:
    return " ".join(t for t in (spec.headline, spec.offer, spec.subline, spec.body, spec.brand) if t)


def theme_for(spec: DesignSpec, text: str | None = None) -> Theme:
    """The spec's theme: its own category/occasion/mood fields, the rest detected from ``text``
    (default: the spec's own words)."""
    found = detect_theme(text if text is not None else spec_text(spec))
    return theme_of(spec.category or found.category, spec.occasion or found.occasion, spec.mood or found.mood)


def resolve(spec: DesignSpec, seed: int) -> DesignSpec:
    """Fill every open style field from the seed, among the choices that fit the spec's theme:
    same spec + seed, same choices."""
    rng = random.Random(f"zaowu-design:{seed}:{spec.kind}:{spec.headline}")
    theme = theme_for(spec)
    picks = {
        "palette": rng.choice(theme.palettes()),
        "fonts": rng.choice(theme.fonts()),
        "layout": rng.choice(LAYOUTS[spec.kind]),
        "motifs": rng.sample(MOTIFS, k=rng.choice((1, 2))),
        "icon": rng.choice(theme.icons()),
        "language": "zh" if is_cjk(spec.headline + (spec.subline or "")) else "en",
        "art": rng.choice(theme.art(spec.kind)),
        "category": theme.category,
        "occasion": theme.occasion,
        "mood": theme.mood,
    }
    update = {k: v for k, v in picks.items() if getattr(spec, k) is None}
    return spec.model_copy(update=update)


def fit_to_theme(spec: DesignSpec, theme: Theme, seed: int = 0) -> tuple[DesignSpec, list[str]]:
    """The spec with icon, palette, fonts and art that fit ``theme``; a choice that does not fit
    (a croissant on a fashion logo, pastel for 春节) is replaced. Returns the spec and what changed."""
    if not theme.known and not theme.mood:
        return spec, []
    rng = random.Random(f"zaowu-fit:{seed}:{spec.kind}:{theme.category}:{theme.occasion}")
    allowed = {"icon": theme.icons(), "palette": theme.palettes(), "fonts": theme.fonts(), "art": theme.art(spec.kind)}
    update: dict[str, Any] = {"category": theme.category, "occasion": theme.occasion, "mood": theme.mood}
    changes = []
    for field, choices in allowed.items():
        value = getattr(spec, field)
        if value is not None and (value in choices or (field == "art" and value == NO_ART)):
            continue
        update[field] = rng.choice(choices)
        if value is not None:
            changes.append(f"{field} {value} → {update[field]}")
    return spec.model_copy(update=update), changes


def _rotate(options: tuple[str, ...], current: str | None, index: int) -> str | None:
    if not options:
        return current
    start = options.index(current) if current in options else 0
    return options[(start + index) % len(options)]


def variant(spec: DesignSpec, index: int) -> DesignSpec:
    """Variant ``index`` of a resolved spec: variant 0 is the spec; each later one takes the next
    layout, palette, font pairing and illustration that fit its theme, so variants differ in
    composition and colour, not only in background shapes."""
    if index == 0:
        return spec
    theme = theme_for(spec)
    palettes = tuple(dict.fromkeys((spec.palette, *theme.palettes()))) if spec.palette else theme.palettes()
    arts = theme.art(spec.kind)
    fonts = tuple(dict.fromkeys((spec.fonts, *theme.fonts()))) if spec.fonts else theme.fonts()
    update = {
        "layout": _rotate(LAYOUTS[spec.kind], spec.layout, index),
        "palette": _rotate(palettes, spec.palette, index),
        "fonts": _rotate(fonts, spec.fonts, index),
        "art": spec.art if spec.art == NO_ART else _rotate(arts, spec.art, index),
    }
    if spec.background_color or spec.accent_color:  # the user's own colours stay
        update.pop("palette")
    return spec.model_copy(update=update)


def parse_size(size: str | None, kind: str = "poster") -> tuple[int, int]:
    """Pixels for a size name (``3:4``, ``16:9@1280``, ``logo``) or ``WIDTHxHEIGHT``."""
    text = (size or DEFAULT_SIZE.get(kind, "1:1")).strip().lower()
    known = ", ".join(SIZES) + ", NAME@WIDTH or WIDTHxHEIGHT"
    if m := re.fullmatch(r"(\d{1,5})\s*[x×*]\s*(\d{1,5})", text):
        width, height = int(m[1]), int(m[2])
    elif m := re.fullmatch(r"([0-9:]+|logo)(?:@(\d{1,5}))?", text):
        if m[1] not in SIZES:
            raise InvalidRequest(f"Unknown size '{size}'. Use one of: {known}.", param="size")
        width, height = SIZES[m[1]]
        if m[2]:
            rw, rh = _RATIOS[m[1]]
            width, height = int(m[2]), round(int(m[2]) * rh / rw)
    else:
        raise InvalidRequest(f"Unknown size '{size}'. Use one of: {known}.", param="size")
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE) or width * height > MAX_PIXELS:
        raise InvalidRequest(
            f"Size {width}x{height} is out of range: each side {MIN_SIDE}-{MAX_SIDE} pixels.", param="size"
        )
    return width, height


def llm_schema(kind: str | None = None, theme: Theme | None = None) -> dict[str, Any]:
    """A flat JSON schema a small model can follow under constrained decoding.

    Choices are enums so the model cannot invent a palette or icon; only the text
    fields are free. Explicit hex colours are left out: small models pick poor ones.
    With a known ``theme`` the icon, palette and font enums hold only what fits it.
    """
    kinds = [kind] if kind else list(KINDS)
    layouts = list(LAYOUTS[kind]) if kind else list(ALL_LAYOUTS)

    def text(max_len: int, min_len: int = 0) -> dict[str, Any]:
        return {"type": "string", "minLength": min_len, "maxLength": max_len}

    props: dict[str, Any] = {
        "kind": {"type": "string", "enum": kinds},
        "headline": text(50, 1),
        "subline": text(80),
        "body": text(160),
        "call_to_action": text(20),
        "brand": text(30),
        "palette": {"type": "string", "enum": sorted(PALETTES)},
        "fonts": {"type": "string", "enum": list(FONT_PAIRINGS)},
        "layout": {"type": "string", "enum": layouts},
        "motifs": {"type": "array", "items": {"type": "string", "enum": list(MOTIFS)}, "maxItems": 2},
        "icon": {"type": "string", "enum": list(ICONS)},
    }
    if theme is not None and (theme.known or theme.mood):
        props["palette"]["enum"] = list(theme.palettes())
        props["fonts"]["enum"] = list(theme.fonts())
        props["icon"]["enum"] = list(theme.icons())
    return {
        "type": "object",
        "properties": props,
        "required": ["kind", "headline", "subline", "call_to_action", "palette", "icon"],
        "additionalProperties": False,
    }
