"""Designed avatars: a drawn head-and-shoulders host the presenter can animate, from a short description.

An avatar is an illustration with a face in natural proportions (eyes a fifth of the face apart, the nose
half-way down, the mouth a third of the way from nose to chin), shaded the way a lit face is, so the same
face mesh that reads a photo reads it too: the presenter animates it exactly as it animates a photo.

What it looks like is an :class:`AvatarSpec` (skin tone, hair style and colour, eye colour, outfit and its
colour, glasses, background). A description in Chinese or English ("短发女主播，蓝色衬衫", "a friendly host
with long brown hair and glasses, navy suit") sets the fields it names (:func:`avatar_from_prompt`); the seed
picks the rest, so a description and a seed always draw the same avatar. Standard library + Pydantic at
import; numpy and OpenCV when drawing.
"""

from __future__ import annotations

import random
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ...errors import InvalidRequest

__all__ = ["AvatarSpec", "avatar_from_prompt", "draw_avatar", "validate_avatar", "MAX_AVATAR_SIDE"]

MIN_AVATAR_SIDE = 512
"""The shortest side an avatar is drawn at (the presenter needs 256 and a face at least 64 pixels wide)."""
MAX_AVATAR_SIDE = 2048
Tone = Literal["light", "fair", "medium", "tan", "brown", "deep"]
HairStyle = Literal["short", "crop", "long", "bob", "bun"]
HairColour = Literal["black", "dark-brown", "brown", "blonde", "grey", "auburn"]
EyeColour = Literal["dark", "brown", "hazel", "green", "blue"]
Outfit = Literal["shirt", "suit", "sweater", "blouse"]
Colour = Literal[
    "navy", "blue", "teal", "green", "grey", "charcoal", "black", "white", "beige", "red", "burgundy", "pink"
]
Figure = Literal["feminine", "masculine"]

SKIN: dict[str, tuple[int, int, int]] = {
    "light": (246, 214, 192),
    "fair": (236, 196, 166),
    "medium": (214, 168, 130),
    "tan": (184, 134, 96),
    "brown": (146, 98, 66),
    "deep": (104, 68, 46),
}
HAIR: dict[str, tuple[int, int, int]] = {
    "black": (34, 30, 32),
    "dark-brown": (66, 44, 32),
    "brown": (112, 76, 48),
    "blonde": (206, 170, 108),
    "grey": (160, 158, 156),
    "auburn": (132, 62, 38),
}
EYES: dict[str, tuple[int, int, int]] = {
    "dark": (46, 34, 28),
    "brown": (92, 60, 40),
    "hazel": (120, 96, 52),
    "green": (84, 120, 78),
    "blue": (70, 112, 156),
}
COLOURS: dict[str, tuple[int, int, int]] = {
    "navy": (36, 52, 92),
    "blue": (58, 104, 168),
    "teal": (32, 120, 124),
    "green": (62, 112, 72),
    "grey": (128, 132, 138),
    "charcoal": (60, 62, 68),
    "black": (30, 30, 34),
    "white": (236, 236, 232),
    "beige": (206, 186, 156),
    "red": (176, 42, 48),
    "burgundy": (112, 34, 50),
    "pink": (222, 150, 168),
}


class AvatarSpec(BaseModel):
    """How a designed avatar looks; a field left out is chosen by the seed (and the description)."""

    model_config = ConfigDict(extra="forbid")

    figure: Figure | None = Field(None, description="feminine or masculine features and hair")
    skin: Tone | None = None
    hair: HairStyle | None = None
    hair_colour: HairColour | None = None
    eyes: EyeColour | None = None
    outfit: Outfit | None = None
    outfit_colour: Colour | None = None
    glasses: bool | None = None
    background: str | None = Field(None, pattern=r"^#[0-9a-fA-F]{6}$", description="a plain backdrop colour")
    transparent: bool | None = Field(
        None, description="a PNG/WebP whose alpha is the person (the backdrop transparent): a cut-out host"
    )


def validate_avatar(data: Any, param: str = "spec") -> AvatarSpec:
    """An AvatarSpec from a dict; a bad one is a 400 naming the field (``spec.hair``) and the choices."""
    if isinstance(data, AvatarSpec):
        return data
    try:
        return AvatarSpec.model_validate(data or {})
    except ValidationError as exc:
        raise InvalidRequest.from_validation(exc, param) from None


# -- reading a description -----------------------------------------------------------------------------------
_WORDS: dict[str, list[tuple[str, str]]] = {  # field -> (value, regex) in the order they are tried
    "figure": [
        ("feminine", r"\b(woman|women|female|girl|lady|she|her|hostess|actress|businesswoman)\b|女|姑娘|小姐|阿姨"),
        ("masculine", r"\b(man|men|male|boy|guy|gentleman|he|his|businessman)\b|男|先生|小伙|大叔"),
    ],
    "hair": [
        ("bun", r"\b(bun|updo|top ?knot)\b|丸子头|盘发|发髻"),
        ("bob", r"\b(bob|shoulder[- ]length)\b|波波头|齐肩|短卷发"),
        ("crop", r"\b(buzz|crew ?cut|crop(ped)?|shaved)\b|寸头|平头|板寸"),
        ("long", r"\blong[- ]hair(ed)?\b|\blong \w+ hair\b|长发|长头发|披肩"),
        ("short", r"\bshort[- ]hair(ed)?\b|\bshort \w+ hair\b|短发|短头发"),
    ],
    "hair_colour": [
        ("blonde", r"\bblond(e)?\b|金色?[长短卷直头]*发|黄色?[长短卷直头]*发"),
        ("grey", r"\b(gr[ae]y|silver|white)[- ](\w+ )?hair(ed)?\b|[白灰银]色?[长短卷直头]*发|花白"),
        ("auburn", r"\b(auburn|ginger)\b|\bred[- ](\w+ )?hair(ed)?\b|\bredhead\b|红色?[长短卷直头]*发|红棕色头发"),
        ("dark-brown", r"\bdark[- ]brown[- ](\w+ )?hair(ed)?\b|深棕色?[长短卷直头]*发"),
        ("brown", r"\bbrown[- ](\w+ )?hair(ed)?\b|\bbrunette\b|棕色?[长短卷直头]*发|栗色"),
        ("black", r"\bblack[- ](\w+ )?hair(ed)?\b|黑色?[长短卷直头]*发"),
    ],
    "skin": [
        ("deep", r"\b(deep|very dark|dark)[- ]skin(ned)?\b|\bebony\b|黝黑|深色皮肤|黑皮肤"),
        ("brown", r"\bbrown[- ]skin(ned)?\b|棕色皮肤"),
        ("tan", r"\b(tan|tanned|olive)\b|小麦色|古铜"),
        ("medium", r"\bmedium[- ]skin(ned)?\b|自然肤色"),
        ("light", r"\b(pale|fair|light)[- ]skin(ned)?\b|\bfair\b|白皙|白净|皮肤白"),
    ],
    "eyes": [
        ("blue", r"\bblue[- ]eye(d|s)?\b|蓝眼"),
        ("green", r"\bgreen[- ]eye(d|s)?\b|绿眼"),
        ("hazel", r"\bhazel\b|榛色"),
        ("brown", r"\bbrown[- ]eye(d|s)?\b|棕色眼"),
    ],
    "outfit": [
        ("suit", r"\b(suit|blazer|jacket|tuxedo)\b|西装|西服|正装|外套"),
        ("sweater", r"\b(sweater|jumper|knit(wear)?|cardigan|hoodie|pullover)\b|毛衣|针织|卫衣"),
        ("blouse", r"\b(blouse|dress|top)\b|连衣裙|上衣|裙"),
        ("shirt", r"\b(shirt|polo|tee|t-shirt)\b|衬衫|衬衣|T恤|polo衫"),
    ],
    "glasses": [
        ("yes", r"\b(glasses|spectacles|eyeglasses)\b|眼镜"),
        ("no", r"\b(no|without) glasses\b|不戴眼镜|没有眼镜"),
    ],
}
_COLOUR_WORDS: list[tuple[str, str]] = [
    ("navy", r"\bnavy\b|藏青色?|藏蓝色?|海军蓝|深蓝色?"),
    ("burgundy", r"\b(burgundy|maroon|wine)\b|酒红|枣红"),
    ("charcoal", r"\b(charcoal|dark gr[ae]y)\b|深灰|炭灰"),
    ("teal", r"\b(teal|turquoise)\b|青色|蓝绿"),
    ("pink", r"\bpink\b|粉色|粉红"),
    ("beige", r"\b(beige|cream|khaki|camel)\b|米色|米白|卡其|驼色"),
    ("white", r"\bwhite\b|白色|白衬衫"),
    ("black", r"\bblack\b|黑色"),
    ("grey", r"\bgr[ae]y\b|灰色"),
    ("green", r"\bgreen\b|绿色"),
    ("red", r"\bred\b|红色"),
    ("blue", r"\bblue\b|蓝色"),
]


def _colour_near(text: str, start: int, end: int) -> str | None:
    """The colour named closest before the outfit word at ``start:end`` (within a few words), else after it."""
    window = text[max(0, start - 24) : start]
    found = [(m.end(), -m.start(), name) for name, rx in _COLOUR_WORDS for m in re.finditer(rx, window)]
    if found:  # the nearest; of two ending together (藏青色, 青色) the longer
        return max(found)[2]
    after = text[end : end + 16]
    found = [(m.start(), name) for name, rx in _COLOUR_WORDS for m in re.finditer(rx, after)]
    return min(found)[1] if found else None


def avatar_from_prompt(prompt: str, base: AvatarSpec | dict[str, Any] | None = None) -> tuple[AvatarSpec, list[str]]:
    """The fields a description names (``base`` wins where it sets one), and which fields it named."""
    text = " ".join(str(prompt or "").split()).lower()
    spec = validate_avatar(base).model_dump(exclude_none=True)
    named: list[str] = []
    for field, options in _WORDS.items():
        if field in spec:
            continue
        for value, rx in options:
            match = re.search(rx, text)
            if match is None:
                continue
            if field == "glasses":
                spec[field] = value == "yes" and not re.search(_WORDS["glasses"][1][1], text)
            else:
                spec[field] = value
            named.append(field)
            if field == "outfit" and "outfit_colour" not in spec:
                colour = _colour_near(text, match.start(), match.end())
                if colour:
                    spec["outfit_colour"] = colour
                    named.append("outfit_colour")
            break
    return AvatarSpec.model_validate(spec), named


def resolve_avatar(spec: AvatarSpec, seed: int) -> AvatarSpec:
    """Every field set: what ``spec`` leaves out is chosen by the seed (hair by figure, colours by hair)."""
    rng = random.Random(f"zaowu-avatar:{seed}")
    figure = spec.figure or rng.choice(["feminine", "masculine"])
    if spec.figure is None and (spec.hair in ("long", "bob", "bun") or spec.outfit == "blouse"):
        figure = "feminine"
    elif spec.figure is None and spec.hair == "crop":
        figure = "masculine"
    styles = ["long", "bob", "bun", "short"] if figure == "feminine" else ["short", "short", "crop"]
    outfits = ["blouse", "suit", "sweater", "shirt"] if figure == "feminine" else ["shirt", "suit", "sweater"]
    hair = spec.hair or rng.choice(styles)
    return AvatarSpec(
        figure=figure,  # type: ignore[arg-type]
        skin=spec.skin or rng.choice(list(SKIN)),  # type: ignore[arg-type]
        hair=hair,
        hair_colour=spec.hair_colour or rng.choice(["black", "black", "dark-brown", "brown", "blonde", "auburn"]),  # type: ignore[arg-type]
        eyes=spec.eyes or rng.choice(list(EYES)),  # type: ignore[arg-type]
        outfit=spec.outfit or rng.choice(outfits),  # type: ignore[arg-type]
        outfit_colour=spec.outfit_colour
        or rng.choice(["navy", "blue", "teal", "grey", "charcoal", "beige", "burgundy"]),  # type: ignore[arg-type]
        glasses=spec.glasses if spec.glasses is not None else rng.random() < 0.2,
        background=spec.background or rng.choice(["#E8E4DC", "#DCE6EE", "#E6E0EC", "#E2ECE4", "#F0E6DA"]),
        transparent=bool(spec.transparent),
    )


# -- drawing -------------------------------------------------------------------------------------------------
def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _shade(rgb: tuple[int, int, int], k: float) -> tuple[float, float, float]:
    """``rgb`` darkened (k < 1) or lightened toward white (k > 1)."""
    if k <= 1:
        return rgb[0] * k, rgb[1] * k, rgb[2] * k
    t = min(k - 1, 1.0)
    return tuple(c + (255 - c) * t for c in rgb)  # type: ignore[return-value]


class _Canvas:
    """A float RGB canvas painted with anti-aliased shapes (OpenCV at 1/16-pixel precision), each with an alpha."""

    def __init__(self, width: int, height: int, colour: tuple[int, int, int]):
        import numpy as np

        self.np = np
        self.w, self.h = width, height
        self.rgb = np.empty((height, width, 3), np.float32)
        self.rgb[:] = colour
        self.person = np.zeros((height, width), np.float32)  # what was painted over the backdrop: the matte

    def mask(self):
        return self.np.zeros((self.h, self.w), self.np.float32)

    def cover(self, points):
        """A full-canvas mask of the polygon ``points``, painted nowhere (to blur or combine first)."""
        import cv2

        m = self.mask()
        cv2.fillPoly(m, [self.np.round(self.np.asarray(points) * 16).astype(self.np.int32)], 1.0, cv2.LINE_AA, shift=4)
        return m

    def _box(self, points, pad: float):
        np = self.np
        pts = np.asarray(points, np.float32)
        x0, y0 = np.floor(pts.min(axis=0) - pad).astype(int)
        x1, y1 = np.ceil(pts.max(axis=0) + pad).astype(int) + 1
        return max(x0, 0), max(y0, 0), min(x1, self.w), min(y1, self.h), pts

    def poly(self, points, colour, alpha: float = 1.0) -> Any:
        """Fill the polygon ``points`` (N x 2 pixels); the full-canvas coverage mask it painted."""
        import cv2

        x0, y0, x1, y1, pts = self._box(points, 2)
        m = self.mask()
        if x1 > x0 and y1 > y0:
            local = m[y0:y1, x0:x1]
            shifted = self.np.round((pts - [x0, y0]) * 16).astype(self.np.int32)
            cv2.fillPoly(local, [shifted], 1.0, cv2.LINE_AA, shift=4)
            self._paint_box(local, colour, alpha, x0, y0)
        return m

    def paint(self, m, colour, alpha: float = 1.0) -> None:
        """Paint ``colour`` through the full-canvas mask ``m``."""
        self._paint_box(m, colour, alpha, 0, 0)

    def _paint_box(self, m, colour, alpha: float, x0: int, y0: int) -> None:
        h, w = m.shape
        a = (self.np.clip(m, 0, 1) * alpha)[..., None]
        view = self.rgb[y0 : y0 + h, x0 : x0 + w]
        view *= 1 - a
        view += a * self.np.asarray(colour, self.np.float32)
        cover = self.person[y0 : y0 + h, x0 : x0 + w]
        self.np.maximum(cover, a[..., 0], out=cover)

    def stroke(self, points, colour, width: float, alpha: float = 1.0) -> None:
        import cv2

        x0, y0, x1, y1, pts = self._box(points, width + 2)
        if x1 <= x0 or y1 <= y0:
            return
        local = self.np.zeros((y1 - y0, x1 - x0), self.np.float32)
        shifted = self.np.round((pts - [x0, y0]) * 16).astype(self.np.int32)
        cv2.polylines(local, [shifted], False, 1.0, max(1, round(width)), cv2.LINE_AA, shift=4)
        self._paint_box(local, colour, alpha, x0, y0)

    def image(self):
        return self.np.clip(self.rgb, 0, 255).astype(self.np.uint8)


def _ellipse(cx, cy, rx, ry, start=0.0, end=360.0, n=72):
    import numpy as np

    t = np.radians(np.linspace(start, end, n))
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)


def _face_outline(cx, cy, fw, fh, figure: str):
    """The face: rounded at the brow, narrowing to a soft chin (a little squarer for a masculine jaw)."""
    import numpy as np

    t = np.radians(np.linspace(0, 360, 120))
    s, c = np.sin(t), np.cos(t)
    taper = 1 - (0.20 if figure == "feminine" else 0.13) * np.clip(s, 0, 1) ** 2.2
    return np.stack([cx + fw * c * taper, cy + fh * s], 1)


def _lit(canvas: _Canvas, region, colour, centre, radius, strength: float = 0.28) -> None:
    """``colour`` over ``region`` lit from the front-left: brighter at ``centre``, falling off to the edges."""
    np = canvas.np
    ys, xs = np.mgrid[0 : canvas.h, 0 : canvas.w].astype(np.float32)
    d = np.hypot((xs - centre[0]) / radius[0], (ys - centre[1]) / radius[1])
    light = np.clip(1.06 - strength * d**2, 1 - 1.6 * strength, 1.08)[..., None]
    a = np.clip(region, 0, 1)[..., None]
    canvas.rgb *= 1 - a
    canvas.rgb += a * np.asarray(colour, np.float32) * light
    np.maximum(canvas.person, a[..., 0], out=canvas.person)


def draw_avatar(spec: AvatarSpec, width: int = 1024, height: int = 1024):
    """The avatar as an RGB array (height x width x 3, uint8), or RGBA with the person as alpha when
    ``spec.transparent``; ``spec`` fully resolved (:func:`resolve_avatar`)."""
    import cv2
    import numpy as np

    assert spec.skin and spec.hair and spec.hair_colour and spec.eyes and spec.outfit and spec.outfit_colour
    feminine = spec.figure == "feminine"
    skin, hair = SKIN[spec.skin], HAIR[spec.hair_colour]
    cloth = COLOURS[spec.outfit_colour]
    bg = _hex(spec.background or "#E8E4DC")
    canvas = _Canvas(width, height, bg)
    ys = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    canvas.rgb *= 1.04 - 0.10 * ys  # a soft vertical fall-off behind the host
    unit = min(width, height * 0.78)  # the bust's scale: it fits the short side
    cx, cy = width / 2, height * 0.40
    fw, fh = unit * 0.165, unit * 0.225
    hair_dark = _shade(hair, 0.78)

    # hair behind the head (long hair falls to the shoulders; a bob to the jaw; a bun sits on top)
    if spec.hair == "long":
        back = np.concatenate(
            [
                _ellipse(cx, cy - fh * 0.15, fw * 1.30, fh * 1.12, 180, 360),
                [[cx + fw * 1.42, cy + fh * 1.55]],
                [[cx - fw * 1.42, cy + fh * 1.55]],
            ]
        )
        canvas.poly(back, hair_dark)
    elif spec.hair == "bob":
        back = np.concatenate(
            [
                _ellipse(cx, cy - fh * 0.12, fw * 1.30, fh * 1.10, 180, 360),
                [[cx + fw * 1.32, cy + fh * 0.80]],
                [[cx - fw * 1.32, cy + fh * 0.80]],
            ]
        )
        canvas.poly(back, hair_dark)
    elif spec.hair == "bun":
        canvas.poly(_ellipse(cx, cy - fh * 1.22, fw * 0.50, fh * 0.36), hair)

    # shoulders and the outfit
    neck_w, neck_top, chest = fw * 0.50, cy + fh * 0.55, cy + fh * 1.40
    slope_rx, slope_ry = unit * 0.37 - neck_w * 1.2, fh * 0.5
    right = _ellipse(cx + neck_w * 1.2, chest + fh * 0.3, slope_rx, slope_ry, 270, 360, 24)
    right = np.concatenate([right, [[cx + unit * 0.40, chest + fh * 1.2], [cx + unit * 0.44, height + 2]]])
    left = right[::-1] * [-1, 1] + [2 * cx, 0]
    shoulders = np.concatenate([left, right])
    body = cv2.GaussianBlur(canvas.cover(shoulders), (0, 0), unit * 0.002)
    _lit(canvas, body, cloth, (cx - unit * 0.12, chest), (unit * 0.6, unit * 0.5), 0.22)
    # the neck, shadowed under the chin
    neck = np.array(
        [[cx - neck_w, neck_top], [cx + neck_w, neck_top], [cx + neck_w * 1.08, chest], [cx - neck_w * 1.08, chest]]
    )
    neck_m = canvas.poly(neck, _shade(skin, 0.86))
    shadow = canvas.cover(_ellipse(cx, cy + fh * 0.98, fw * 0.62, fh * 0.16))
    canvas.paint(cv2.GaussianBlur(shadow, (0, 0), unit * 0.01) * neck_m, _shade(skin, 0.62), 0.6)
    _collar(canvas, spec.outfit, cx, chest, neck_w, fh, unit, cloth, skin, feminine)

    # ears, then the face, lit from the front-left
    for side in (-1, 1):
        ear = _ellipse(cx + side * fw * 0.97, cy - fh * 0.02, fw * 0.13, fh * 0.17)
        canvas.poly(ear, _shade(skin, 0.9))
    face = canvas.cover(_face_outline(cx, cy, fw, fh, spec.figure or ""))
    _lit(canvas, face, skin, (cx - fw * 0.15, cy - fh * 0.15), (fw * 1.25, fh * 1.2), 0.26)
    for side in (-1, 1):  # cheeks
        blush = canvas.cover(_ellipse(cx + side * fw * 0.52, cy + fh * 0.18, fw * 0.2, fh * 0.1))
        canvas.paint(cv2.GaussianBlur(blush, (0, 0), fw * 0.08) * face, (214, 110, 104), 0.22 if feminine else 0.1)

    _eyes(canvas, cx, cy, fw, fh, EYES[spec.eyes], hair, skin, feminine)
    _nose(canvas, cx, cy, fw, fh, skin)
    _mouth(canvas, cx, cy, fw, fh, skin, feminine)
    _hair_front(canvas, spec.hair, cx, cy, fw, fh, hair, skin)
    if spec.glasses:
        for side in (-1, 1):
            rim = _ellipse(cx + side * fw * 0.40, cy - fh * 0.12, fw * 0.27, fh * 0.13)
            canvas.stroke(np.concatenate([rim, rim[:1]]), (40, 38, 40), max(2, unit * 0.006))
        canvas.stroke(
            [[cx - fw * 0.13, cy - fh * 0.14], [cx + fw * 0.13, cy - fh * 0.14]], (40, 38, 40), max(2, unit * 0.005)
        )
    soft = max(0.6, unit / 1400)
    rgb = cv2.GaussianBlur(canvas.image(), (0, 0), soft)
    if not spec.transparent:
        return rgb
    alpha = cv2.GaussianBlur(canvas.person, (0, 0), soft)
    return np.dstack([rgb, np.clip(alpha * 255 + 0.5, 0, 255).astype(np.uint8)])


def _collar(canvas: _Canvas, outfit, cx, chest, neck_w, fh, unit, cloth, skin, feminine: bool) -> None:
    np = canvas.np
    top = chest - fh * 0.20
    if outfit == "sweater":  # a round ribbed neckline
        rib = np.concatenate(
            [_ellipse(cx, top, neck_w * 1.25, fh * 0.18, 0, 180), _ellipse(cx, top, neck_w * 1.05, fh * 0.10, 180, 0)]
        )
        canvas.poly(rib, _shade(cloth, 0.8))
    elif outfit == "blouse":  # a V of skin
        canvas.poly([[cx - neck_w * 1.1, top], [cx + neck_w * 1.1, top], [cx, top + fh * 0.55]], _shade(skin, 0.86))
        canvas.stroke(
            [[cx - neck_w * 1.15, top], [cx, top + fh * 0.58], [cx + neck_w * 1.15, top]],
            _shade(cloth, 0.75),
            unit * 0.008,
        )
    else:  # a shirt collar; a suit adds lapels (and a tie for a masculine figure)
        shirt = (240, 240, 236) if outfit == "suit" else _shade(cloth, 1.0)
        if outfit == "suit":
            canvas.poly(
                [[cx - neck_w * 1.3, top - fh * 0.05], [cx + neck_w * 1.3, top - fh * 0.05], [cx, top + fh * 0.9]],
                shirt,
            )
            if not feminine:
                canvas.poly(
                    [
                        [cx - neck_w * 0.2, top + fh * 0.12],
                        [cx + neck_w * 0.2, top + fh * 0.12],
                        [cx + neck_w * 0.28, top + fh * 0.85],
                        [cx, top + fh * 1.0],
                        [cx - neck_w * 0.28, top + fh * 0.85],
                    ],
                    _shade(cloth, 0.55),
                )
            for side in (-1, 1):
                lapel = [
                    [cx + side * neck_w * 1.3, top - fh * 0.08],
                    [cx + side * neck_w * 0.1, top + fh * 0.95],
                    [cx + side * neck_w * 2.1, top + fh * 0.45],
                ]
                canvas.poly(lapel, _shade(cloth, 0.8))
        for side in (-1, 1):
            wing = [
                [cx + side * neck_w * 1.02, top - fh * 0.12],
                [cx + side * neck_w * 0.05, top + fh * 0.3],
                [cx + side * neck_w * 1.5, top + fh * 0.2],
            ]
            canvas.poly(wing, _shade(shirt, 0.92))


def _eyes(canvas: _Canvas, cx, cy, fw, fh, iris, hair, skin, feminine: bool) -> None:
    np = canvas.np
    ey, ex = cy - fh * 0.12, fw * 0.40
    rw, rh = fw * 0.205, fh * 0.062
    for side in (-1, 1):
        x = cx + side * ex
        upper = _ellipse(x, ey + rh * 0.25, rw, rh * 1.35, 180, 360, 40)
        lower = _ellipse(x, ey - rh * 0.25, rw, rh * 0.95, 0, 180, 40)
        shape = np.concatenate([upper, lower])
        canvas.poly(_ellipse(x, ey - rh * 0.6, rw * 1.1, rh * 1.6, 180, 360, 40), _shade(skin, 0.84), 0.35)  # socket
        white = canvas.poly(shape, (246, 244, 240))
        canvas.paint(canvas.cover(_ellipse(x, ey, rh * 1.05, rh * 1.05)) * white, iris)
        canvas.paint(canvas.cover(_ellipse(x, ey, rh * 0.48, rh * 0.48)) * white, (16, 12, 12))  # pupil
        canvas.poly(_ellipse(x - rh * 0.3, ey - rh * 0.35, rh * 0.2, rh * 0.2), (255, 255, 255), 0.9)  # catch light
        canvas.stroke(upper, (36, 28, 28), max(2.0, fh * (0.022 if feminine else 0.016)))  # lash line
        canvas.stroke(lower, _shade(skin, 0.7), max(1.0, fh * 0.006), 0.6)
        brow_y = ey - fh * 0.17
        brow = _ellipse(x + side * rw * 0.1, brow_y + fh * 0.05, rw * 1.25, fh * 0.07, 200, 340, 30)
        canvas.stroke(brow, _shade(hair, 0.85), fh * (0.026 if feminine else 0.038))


def _nose(canvas: _Canvas, cx, cy, fw, fh, skin) -> None:
    ny = cy + fh * 0.22
    canvas.stroke(
        [[cx - fw * 0.07, cy - fh * 0.05], [cx - fw * 0.10, ny - fh * 0.04]], _shade(skin, 0.78), fw * 0.025, 0.55
    )
    canvas.poly(_ellipse(cx, ny - fh * 0.01, fw * 0.09, fh * 0.04), _shade(skin, 1.08), 0.5)  # the tip
    for side in (-1, 1):
        canvas.poly(_ellipse(cx + side * fw * 0.085, ny + fh * 0.012, fw * 0.045, fh * 0.018), _shade(skin, 0.55))


def _mouth(canvas: _Canvas, cx, cy, fw, fh, skin, feminine: bool) -> None:
    """Full lips, slightly parted at rest (a dark sliver between them): the face mesh then finds the inner
    lip lines apart and in order, so the presenter's jaw opens the mouth instead of stretching a closed one."""
    np = canvas.np
    my, mw = cy + fh * 0.47, fw * 0.37
    lip = (196, 92, 98) if feminine else tuple(0.55 * c + 0.45 * v for c, v in zip(skin, (170, 96, 90), strict=True))
    x = np.linspace(-1, 1, 40)
    part = fh * 0.018 * (1 - x**2) ** 0.7  # half the parting at each point: nothing at the corners
    bow = fh * 0.020 * np.exp(-((x / 0.25) ** 2))
    upper_top = np.stack([cx + mw * x, my - fh * 0.060 * (1 - x**2) ** 0.8 - bow * 0.6], 1)
    upper_bottom = np.stack([cx + mw * x, my - part - fh * 0.010 * x**2], 1)
    lower_top = np.stack([cx + mw * x, my + part - fh * 0.010 * x**2], 1)
    lower_bottom = np.stack([cx + mw * x * 0.96, my + fh * 0.075 * (1 - x**2) ** 0.8], 1)
    canvas.poly(np.concatenate([upper_bottom, lower_top[::-1]]), (70, 30, 36))  # the dark between the lips
    teeth = np.stack([cx + mw * 0.8 * x, my - part * 0.1 - fh * 0.008 * x**2], 1)
    canvas.poly(np.concatenate([upper_bottom[5:-5] * [1, 1] + [0, -1], teeth[::-1]]), (238, 234, 226), 0.9)
    canvas.poly(np.concatenate([upper_top, upper_bottom[::-1]]), _shade(lip, 0.82))
    canvas.poly(np.concatenate([lower_top, lower_bottom[::-1]]), lip)
    canvas.poly(_ellipse(cx, my + fh * 0.035, mw * 0.35, fh * 0.013), _shade(lip, 1.25), 0.5)  # a highlight


def _hair_front(canvas: _Canvas, style, cx, cy, fw, fh, hair, skin) -> None:
    np = canvas.np
    top = cy - fh * 1.02
    if style == "crop":
        cap = np.concatenate(
            [
                _ellipse(cx, cy - fh * 0.18, fw * 1.02, fh * 0.86, 180, 360),
                [[cx + fw, cy - fh * 0.3]],
                [[cx - fw, cy - fh * 0.3]],
            ]
        )
        canvas.poly(cap, hair, 0.85)
        return
    cap = _ellipse(cx, cy - fh * 0.22, fw * 1.08, fh * 0.84, 180, 360)
    if style in ("short", "bun"):
        line = [
            [cx + fw * 1.06, cy - fh * 0.32],
            [cx + fw * 0.5, cy - fh * 0.66],
            [cx - fw * 0.1, cy - fh * 0.6],
            [cx - fw * 0.7, cy - fh * 0.52],
            [cx - fw * 1.06, cy - fh * 0.28],
        ]
    elif style == "bob":  # straight bangs above the brows
        line = [
            [cx + fw * 1.1, cy + fh * 0.2],
            [cx + fw * 0.92, cy - fh * 0.44],
            [cx, cy - fh * 0.48],
            [cx - fw * 0.92, cy - fh * 0.44],
            [cx - fw * 1.1, cy + fh * 0.2],
        ]
    else:  # long: parted in the middle, framing the face
        line = [
            [cx + fw * 1.12, cy + fh * 0.6],
            [cx + fw * 0.88, cy - fh * 0.3],
            [cx + fw * 0.35, cy - fh * 0.62],
            [cx, cy - fh * 0.7],
            [cx - fw * 0.35, cy - fh * 0.62],
            [cx - fw * 0.88, cy - fh * 0.3],
            [cx - fw * 1.12, cy + fh * 0.6],
        ]
    canvas.poly(np.concatenate([cap, np.asarray(line, np.float32)]), hair)
    canvas.stroke(
        _ellipse(cx - fw * 0.2, top + fh * 0.2, fw * 0.55, fh * 0.14, 200, 320), _shade(hair, 1.3), fh * 0.02, 0.5
    )  # a sheen
