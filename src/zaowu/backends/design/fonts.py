"""Real fonts from Debian packages, per-character fallback, and tofu detection.

A font pairing names a headline face and a body face for Latin text and for
CJK text. Text is split into runs: each character goes to the pairing's Latin
face when that face's cmap has the code point, else to the CJK face (Noto
Sans/Serif CJK SC), else to DejaVu Sans; a character no face covers would be
tofu and is reported by ``missing_glyphs``.

Debian packages: fonts-noto-cjk, fonts-inter, fonts-league-spartan, fonts-lato,
fonts-ebgaramond, fonts-bebas-neue, fonts-comfortaa, fonts-dejavu-core.
"""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...errors import BackendError

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

log = logging.getLogger(__name__)

__all__ = ["Face", "Pairing", "PAIRINGS", "pairing", "load", "cmap", "runs", "missing_glyphs", "check_installed"]

FONT_DIRS = (os.environ.get("ZAOWU_FONT_DIR", ""), "/usr/share/fonts", "/usr/local/share/fonts")


@dataclass(frozen=True)
class Face:
    """One font file (and face index inside a .ttc), with the names SVG output uses."""

    file: str  # path relative to a font dir
    package: str  # Debian package that ships it
    family: str  # CSS font-family
    weight: int = 400
    index: int = 0
    tracking: float = 0.0  # extra letter spacing, em (for all-caps display faces)
    upper: bool = False  # a caps-only face: text is upper-cased

    @property
    def path(self) -> str:
        return locate(self.file, self.package)


_NOTO = "opentype/noto/"
SANS_CJK_BOLD = Face(_NOTO + "NotoSansCJK-Bold.ttc", "fonts-noto-cjk", "Noto Sans CJK SC", 700, index=2)
SANS_CJK = Face(_NOTO + "NotoSansCJK-Regular.ttc", "fonts-noto-cjk", "Noto Sans CJK SC", 400, index=2)
SERIF_CJK_BOLD = Face(_NOTO + "NotoSerifCJK-Bold.ttc", "fonts-noto-cjk", "Noto Serif CJK SC", 700, index=2)
SERIF_CJK = Face(_NOTO + "NotoSerifCJK-Regular.ttc", "fonts-noto-cjk", "Noto Serif CJK SC", 400, index=2)
FALLBACK = Face("truetype/dejavu/DejaVuSans.ttf", "fonts-dejavu-core", "DejaVu Sans")

_INTER = "opentype/inter/"
_LATO = "truetype/lato/"


@dataclass(frozen=True)
class Pairing:
    headline: Face
    body: Face
    headline_cjk: Face
    body_cjk: Face
    label: Face  # buttons, brand line


def _inter(name: str, weight: int) -> Face:
    return Face(_INTER + f"Inter-{name}.otf", "fonts-inter", "Inter", weight)


def _lato(name: str, weight: int) -> Face:
    return Face(_LATO + f"Lato-{name}.ttf", "fonts-lato", "Lato", weight)


PAIRINGS: dict[str, Pairing] = {
    "modern": Pairing(
        Face(_INTER + "InterDisplay-ExtraBold.otf", "fonts-inter", "Inter Display", 800),
        _inter("Regular", 400),
        SANS_CJK_BOLD,
        SANS_CJK,
        _inter("SemiBold", 600),
    ),
    "geometric": Pairing(
        Face("opentype/league-spartan/LeagueSpartan-Bold.otf", "fonts-league-spartan", "League Spartan", 700),
        _lato("Regular", 400),
        SANS_CJK_BOLD,
        SANS_CJK,
        _lato("Bold", 700),
    ),
    "elegant": Pairing(
        Face("opentype/ebgaramond/EBGaramond12-Regular.otf", "fonts-ebgaramond", "EB Garamond", 400),
        _lato("Light", 300),
        SERIF_CJK_BOLD,
        SERIF_CJK,
        _lato("Semibold", 600),
    ),
    "display": Pairing(
        Face(
            "opentype/bebas-neue/BebasNeue-Bold.otf", "fonts-bebas-neue", "Bebas Neue", 700, tracking=0.02, upper=True
        ),
        _inter("Regular", 400),
        SANS_CJK_BOLD,
        SANS_CJK,
        _inter("Bold", 700),
    ),
    "friendly": Pairing(
        Face("truetype/comfortaa/Comfortaa-Bold.ttf", "fonts-comfortaa", "Comfortaa", 700),
        _lato("Regular", 400),
        SANS_CJK_BOLD,
        SANS_CJK,
        _lato("Bold", 700),
    ),
}


def pairing(name: str) -> Pairing:
    return PAIRINGS[name]


@functools.cache
def locate(file: str, package: str) -> str:
    for base in FONT_DIRS:
        if base and os.path.exists(path := os.path.join(base, file)):
            return path
    raise BackendError(
        f"Font file '{file}' not found. Install the Debian package: sudo apt-get install {package}",
        code="font_missing",
    )


def _all_faces() -> set[Face]:
    return {
        FALLBACK,
        *(f for p in PAIRINGS.values() for f in (p.headline, p.body, p.headline_cjk, p.body_cjk, p.label)),
    }


def warm_up() -> None:
    """Read every face's cmap now, so the first render is as fast as the rest."""
    for face in sorted(_all_faces(), key=lambda f: (f.file, f.index)):
        cmap(face)


def check_installed() -> list[str]:
    """Debian packages whose fonts are missing (empty when all are installed)."""
    missing = set()
    for face in _all_faces():
        try:
            face.path  # noqa: B018 - resolving the path raises when the font package is missing
        except BackendError:
            missing.add(face.package)
    return sorted(missing)


@functools.lru_cache(maxsize=512)
def load(face: Face, size: int) -> FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(face.path, size=max(1, int(size)), index=face.index, layout_engine=ImageFont.Layout.BASIC)


@functools.cache
def cmap(face: Face) -> frozenset[int]:
    """Code points the face has glyphs for (its Unicode cmap)."""
    from fontTools.ttLib import TTCollection, TTFont

    path = face.path
    if path.endswith(".ttc"):
        font = TTCollection(path, lazy=True).fonts[face.index]
    else:
        font = TTFont(path, lazy=True)
    return frozenset(font.getBestCmap() or {})


def face_for(ch: str, primary: Face, cjk: Face) -> Face | None:
    """The face that draws ``ch``: primary, else the CJK face, else DejaVu; None means tofu."""
    if ch.isspace():
        return primary
    cp = ord(ch)
    for face in (primary, cjk, FALLBACK):
        if cp in cmap(face):
            return face
    return None


@functools.lru_cache(maxsize=16384)
def runs(text: str, primary: Face, cjk: Face) -> list[tuple[str, Face]]:
    """Split ``text`` into (text, face) runs by per-character glyph coverage."""
    out: list[tuple[str, Face]] = []
    for ch in text:
        face = face_for(ch, primary, cjk) or FALLBACK
        if out and out[-1][1] == face:
            out[-1] = (out[-1][0] + ch, face)
        else:
            out.append((ch, face))
    return out


def missing_glyphs(text: str, primary: Face, cjk: Face) -> list[str]:
    """Characters no face in the chain covers (they would render as tofu boxes)."""
    return sorted({ch for ch in text if face_for(ch, primary, cjk) is None})
