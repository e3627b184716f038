"""zaowu's text layout engine: measure, wrap, shrink-to-fit, and WCAG contrast.

Text is measured with Pillow's FreeType fonts run by run (see ``fonts.runs``).
Wrapping breaks Chinese text between words (jieba segmentation; a word wider than the
line still breaks between characters) and Latin text at spaces,
keeps closing punctuation (，。！？、」…) off the start of a line and opening
punctuation (「（《…) off the end. ``fit_stack`` places a column of text blocks
(headline, subline, body, button label) in a region, shrinking all of them
together (hierarchy kept) until every line's real ink box lies inside the
region; blocks are stacked, so they never overlap. The placed blocks are
returned so callers and tests can check overflow and overlap themselves.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field

from . import fonts
from .fonts import Face

__all__ = [
    "Rect",
    "Block",
    "Run",
    "Line",
    "TextBlock",
    "tokenize",
    "wrap",
    "fit_stack",
    "relative_luminance",
    "contrast_ratio",
    "hex_to_rgb",
]

_NO_LINE_START = set("，。！？、；：）」』》〉】〕…—,.!?;:)]}%·～~’”")
_NO_LINE_END = set("（「『《〈【〔([{‘“$¥#")
_LATIN_WORD = re.compile(r"[A-Za-z0-9\u00C0-\u024F'’&@\-_./+%$¥#]+")
# A number stays with its unit and its offer words: 50%、3折、99元、2026年、9月15日、满200减30、¥19.9、8.8折起、50% OFF.
_UNITS = (
    "折起|折|元起|元|块|年|月|日|号|天|小时|分钟|分|秒|件|个|杯|份|斤|克|公斤|千克|周|岁|人|次|万|千|百|倍|"
    "点|期|款|位|名|色|码|寸|楼|层|届|%|％"
)
_NUMBER_UNIT = re.compile(
    r"满\d+(?:\.\d+)?元?减\d+(?:\.\d+)?元?"
    r"|(?:\d{4}年)?\d{1,2}月\d{1,2}[日号]"
    r"|\d+(?:\.\d+)?\s?%\s?(?:OFF|off|Off)\b"
    rf"|(?:[满减第约仅每共省]|立减|直降)?[¥￥$]?\d+(?:[.,:：]\d+)*\s?(?:{_UNITS})"
    r"|(?:[满减第约仅每共省]|立减|直降)[¥￥$]?\d+(?:[.,]\d+)*"
    rf"|[¥￥$]\d+(?:[.,]\d+)*\s?(?:{_UNITS})?"
)
MAX_ORPHAN = 1  # a last line of this many visible characters or fewer takes a word from the line above


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def inset(self, dx: float, dy: float | None = None) -> Rect:
        dy = dx if dy is None else dy
        return Rect(self.x + dx, self.y + dy, max(1.0, self.w - 2 * dx), max(1.0, self.h - 2 * dy))

    def contains(self, other: Rect, tol: float = 0.5) -> bool:
        return (
            other.x >= self.x - tol
            and other.y >= self.y - tol
            and other.right <= self.right + tol
            and other.bottom <= self.bottom + tol
        )

    def overlaps(self, other: Rect) -> bool:
        return self.x < other.right and other.x < self.right and self.y < other.bottom and other.y < self.bottom

    def union(self, other: Rect) -> Rect:
        x, y = min(self.x, other.x), min(self.y, other.y)
        return Rect(x, y, max(self.right, other.right) - x, max(self.bottom, other.bottom) - y)


@dataclass
class Block:
    """A request: fit ``text`` with these faces between ``min_size`` and ``max_size`` pixels."""

    name: str
    text: str
    face: Face
    cjk: Face
    max_size: float
    min_size: float
    max_lines: int = 3
    leading: float = 1.18  # line pitch in em
    gap_after: float = 0.5  # space below the block, in em of the block's own size
    priority: int = 0  # higher survives longer when space runs out
    balance: bool = False  # even out line lengths (headlines): no one-character last line
    pad: float = 0.0  # padding around the text in em (a button); the padded box is TextBlock.box


@dataclass
class Run:
    text: str
    face: Face
    x: float  # offset from the line's left edge
    width: float


@dataclass
class Line:
    text: str
    runs: list[Run]
    x: float
    baseline: float
    width: float
    ink: Rect


@dataclass
class TextBlock:
    name: str
    size: int
    lines: list[Line]
    region: Rect
    ink: Rect
    tracking: float = 0.0
    color: str = "#000000"
    contrast: float | None = None
    truncated: bool = False
    missing: list[str] = field(default_factory=list)
    box: Rect | None = None  # the padded box of a button-like block

    @property
    def extent(self) -> Rect:
        """What the block covers: its padded box, else its ink."""
        return self.box or self.ink

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


# ---------------------------------------------------------------- measuring and wrapping


_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]{2,}")


@functools.lru_cache(maxsize=4096)
def _words(run: str) -> tuple[str, ...]:
    """Chinese words of a run of Han characters (jieba), so lines break between words
    (春季|新品 rather than 春季新|品); single characters when jieba is not installed."""
    try:
        import jieba
    except ImportError:  # pragma: no cover - jieba is a dependency; keep working without it
        return tuple(run)
    jieba.setLogLevel(logging.WARNING)
    return _join_known(tuple(w for w in jieba.cut(run, HMM=False) if w))


# Shop words jieba's dictionary splits into single characters; kept whole on a line.
_SHOP_WORDS = frozenset(
    [
        "低至",
        "包邮",
        "返现",
        "再享",
        "立享",
        "限时",
        "特惠",
        "上新",
        "满减",
        "秒杀",
        "爆款",
        "到手",
        "直降",
        "立减",
        "好礼",
        "礼盒",
        "尝鲜",
        "抢购",
        "开抢",
        "现货",
        "预售",
        "团购",
        "拼团",
        "专享",
        "尊享",
        "新客",
        "会员价",
    ]
)


def _join_known(words: tuple[str, ...]) -> tuple[str, ...]:
    """Join neighbouring pieces that make up one of ``_SHOP_WORDS``."""
    out: list[str] = []
    for word in words:
        if out and out[-1] + word in _SHOP_WORDS:
            out[-1] += word
        else:
            out.append(word)
    return tuple(out)


def tokenize(text: str) -> list[str]:
    """Break units: Latin words (with trailing spaces) and Chinese words, with closing
    punctuation glued to the unit before and opening punctuation to the unit after."""
    units: list[str] = []
    i = 0
    while i < len(text):
        if ((m := _NUMBER_UNIT.match(text, i)) and not _LATIN_WORD.fullmatch(text[i : m.end() + 1].rstrip())) or (
            m := _LATIN_WORD.match(text, i)
        ):
            units.append(m.group())
            i = m.end()
        elif m := _CJK_RUN.match(text, i):
            units.extend(_words(m.group()))
            i = m.end()
        else:
            units.append(text[i])
            i += 1
    tokens: list[str] = []
    carry = ""
    for unit in units:
        if unit.isspace():
            if tokens:
                tokens[-1] += unit
            continue
        if tokens and not carry and (unit[0] in _NO_LINE_START):
            tokens[-1] += unit
        elif unit in _NO_LINE_END:
            carry += unit
        else:
            tokens.append(carry + unit)
            carry = ""
    if carry and tokens:
        tokens[-1] += carry
    elif carry:
        tokens.append(carry)
    return tokens


@functools.lru_cache(maxsize=16384)
def measure(text: str, face: Face, cjk: Face, size: int, tracking: float = 0.0) -> float:
    """Advance width of ``text`` in pixels, with per-character font fallback."""
    total = 0.0
    for chunk, run_face in fonts.runs(text, face, cjk):
        total += fonts.load(run_face, size).getlength(chunk)
    return total + tracking * size * max(0, len(text) - 1)


def wrap(
    text: str, width: float, face: Face, cjk: Face, size: int, tracking: float = 0.0, split_words: bool = True
) -> list[str] | None:
    """Greedy line breaking at token boundaries. A Latin word wider than the line is split
    by character when ``split_words``, else the result is None (the caller shrinks the text).
    A last line holding a single character takes the last word of the line above."""
    lines: list[list[str]] = []
    current: list[str] = []
    for token in tokenize(text):
        candidate = "".join(current) + token
        if current and measure(candidate.rstrip(), face, cjk, size, tracking) > width:
            lines.append(current)
            current = [token]
        else:
            current.append(token)
        joined = "".join(current).rstrip()
        if measure(joined, face, cjk, size, tracking) > width:  # one token wider than the line
            if not split_words and _LATIN_WORD.search(joined):
                return None
            parts = _split_long(joined, width, face, cjk, size, tracking)
            lines.extend([p] for p in parts[:-1])
            current = [parts[-1]]
    if "".join(current).strip():
        lines.append(current)
    _no_orphan(lines, width, face, cjk, size, tracking)
    return ["".join(line).rstrip() for line in lines]


def _no_orphan(lines: list[list[str]], width: float, face: Face, cjk: Face, size: int, tracking: float) -> None:
    """Move words down from the second-last line while the last one is a lone character and still fits."""
    while len(lines) >= 2 and len(lines[-2]) >= 2:
        last = "".join(lines[-1]).strip()
        if len([ch for ch in last if ch.isalnum()]) > MAX_ORPHAN:
            return
        moved = [lines[-2][-1]] + lines[-1]
        if measure("".join(moved).rstrip(), face, cjk, size, tracking) > width:
            return
        lines[-2] = lines[-2][:-1]
        lines[-1] = moved


def _split_long(word: str, width: float, face: Face, cjk: Face, size: int, tracking: float) -> list[str]:
    parts, current = [], ""
    for ch in word:
        if current and measure(current + ch, face, cjk, size, tracking) > width:
            if ch in _NO_LINE_START and len(current) > 1:  # closing punctuation takes a character along
                parts.append(current[:-1])
                current = current[-1] + ch
            else:
                parts.append(current)
                current = ch
        else:
            current += ch
    return parts + [current]


def _ellipsize(line: str, width: float, face: Face, cjk: Face, size: int, tracking: float) -> str:
    while line and measure(line.rstrip() + "…", face, cjk, size, tracking) > width:
        line = line[:-1]
    return line.rstrip(" ,，、") + "…"


# ---------------------------------------------------------------- fitting a column of blocks


def _place_line(text: str, block: Block, size: int, tracking: float, baseline: float, x: float) -> Line:
    runs: list[Run] = []
    offset = 0.0
    ink: Rect | None = None
    for chunk, face in fonts.runs(text, block.face, block.cjk):
        font = fonts.load(face, size)
        width = font.getlength(chunk) + tracking * size * len(chunk)
        left, top, right, bottom = font.getbbox(chunk, anchor="ls")
        if chunk.strip():
            box = Rect(x + offset + left, baseline + top, right - left + tracking * size * len(chunk), bottom - top)
            ink = box if ink is None else ink.union(box)
        runs.append(Run(chunk, face, offset, width))
        offset += width
    width = offset - (tracking * size if text else 0)
    return Line(text, runs, x, baseline, width, ink or Rect(x, baseline, 0, 0))


def _metrics(block: Block, size: int) -> tuple[float, float]:
    """Ascent and descent (pixels) of the faces a block may use, from real glyph boxes."""
    asc = desc = 0.0
    for face in (block.face, block.cjk):
        _, top, _, bottom = fonts.load(face, size).getbbox("HÅgy国", anchor="ls")
        asc, desc = max(asc, -top), max(desc, bottom)
    return asc, desc


def _stack(blocks: list[Block], sizes: list[int], region: Rect, align: str, valign: str, truncate: bool):
    """Place blocks top to bottom at the given sizes; None when they do not fit."""
    plans = []
    height = 0.0
    for block, size in zip(blocks, sizes):
        tracking = block.face.tracking
        pad_x, pad_y = block.pad * size, block.pad * size * 0.62
        width = region.w - 2 * pad_x
        lines = wrap(block.text, width, block.face, block.cjk, size, tracking, split_words=truncate)
        if lines is None:
            return None
        truncated = len(lines) > block.max_lines
        if truncated:
            if not truncate:
                return None
            lines = lines[: block.max_lines]
            lines[-1] = _ellipsize(lines[-1], width, block.face, block.cjk, size, tracking)
        asc, desc = _metrics(block, size)
        h = asc + (len(lines) - 1) * block.leading * size + desc + 2 * pad_y
        plans.append((block, size, lines, truncated, asc, h, pad_x, pad_y))
        height += h + (block.gap_after * size if block is not blocks[-1] else 0)
    if height > region.h + 0.5:
        return None
    y = region.y + {"top": 0.0, "center": (region.h - height) / 2, "bottom": region.h - height}[valign]
    placed = [_place_block(plan, y_top, region, align) for plan, y_top in _tops(plans, y)]
    if not all(region.contains(b.extent, tol=1.0) for b in placed):
        return None
    return placed


def _balanced(block: Block, size: int, width: float, n: int) -> list[str]:
    """The narrowest wrap of the block's text that still takes ``n`` lines."""
    lo, hi = width * 0.4, width
    best = wrap(block.text, width, block.face, block.cjk, size, block.face.tracking)
    for _ in range(7):
        mid = (lo + hi) / 2
        lines = wrap(block.text, mid, block.face, block.cjk, size, block.face.tracking, split_words=False)
        if lines is not None and len(lines) <= n:
            best, hi = lines, mid
        else:
            lo = mid
    return best


def _tops(plans, y: float):
    for plan in plans:
        yield plan, y
        y += plan[5] + plan[0].gap_after * plan[1]


def _place_block(plan, y: float, region: Rect, align: str) -> TextBlock:
    block, size, texts, truncated, asc, h, pad_x, pad_y = plan
    tracking = block.face.tracking
    inner = Rect(region.x + pad_x, region.y, region.w - 2 * pad_x, region.h)
    if block.balance and len(texts) > 1 and not truncated:
        texts = _balanced(block, size, inner.w, len(texts))
    lines = []
    for i, text in enumerate(texts):
        width = measure(text, block.face, block.cjk, size, tracking)
        x = inner.x + {"left": 0.0, "center": (inner.w - width) / 2, "right": inner.w - width}[align]
        lines.append(_place_line(text, block, size, tracking, y + pad_y + asc + i * block.leading * size, x))
    ink = lines[0].ink
    for line in lines[1:]:
        ink = ink.union(line.ink)
    box = None
    if block.pad:
        left = min(line.x for line in lines)
        right = max(line.x + line.width for line in lines)
        box = Rect(left - pad_x, y, right - left + 2 * pad_x, h)
    missing = fonts.missing_glyphs(block.text, block.face, block.cjk)
    return TextBlock(block.name, size, lines, region, ink, tracking, truncated=truncated, missing=missing, box=box)


def fit_stack(blocks: list[Block], region: Rect, align: str = "center", valign: str = "center") -> list[TextBlock]:
    """Fit a column of blocks into ``region``: all shrink together until they fit.

    When even the minimum sizes do not fit, over-long blocks are truncated with an
    ellipsis, then the lowest-priority blocks are dropped, then the rest shrink
    below their minimum; the result always lies inside the region.
    """
    blocks = [b for b in blocks if b.text]
    if not blocks:
        return []

    def sizes_at(scale: float) -> list[int]:
        return [max(int(b.min_size), round(b.max_size * scale)) for b in blocks]

    if (placed := _stack(blocks, sizes_at(1.0), region, align, valign, truncate=False)) is not None:
        return placed
    floor = min(b.min_size / b.max_size for b in blocks)
    best, lo, hi = None, floor, 1.0  # binary search for the largest scale that fits
    for _ in range(8):
        mid = (lo + hi) / 2
        if (placed := _stack(blocks, sizes_at(mid), region, align, valign, truncate=False)) is not None:
            best, lo = placed, mid
        else:
            hi = mid
    if best is not None:
        return best
    sizes = [int(b.min_size) for b in blocks]
    if (placed := _stack(blocks, sizes, region, align, valign, truncate=True)) is not None:
        return placed
    if len(blocks) > 1:  # drop the least important block and try again
        weakest = min(range(len(blocks)), key=lambda i: (blocks[i].priority, -i))
        return fit_stack(blocks[:weakest] + blocks[weakest + 1 :], region, align, valign)
    block = blocks[0]
    if block.min_size <= 6:
        return []
    smaller = Block(**{**block.__dict__, "min_size": max(6, block.min_size * 0.7), "max_size": block.min_size})
    return fit_stack([smaller], region, align, valign)


# ---------------------------------------------------------------- colour and contrast


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def relative_luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2.x relative luminance of an sRGB colour."""

    def lin(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: tuple[int, int, int] | str, b: tuple[int, int, int] | str) -> float:
    """WCAG contrast ratio, 1 to 21."""
    la = relative_luminance(hex_to_rgb(a) if isinstance(a, str) else a)
    lb = relative_luminance(hex_to_rgb(b) if isinstance(b, str) else b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def worst_contrast(color: str, image, rect: Rect) -> float:
    """Lowest contrast of ``color`` against the background pixels under ``rect`` (a PIL RGB image)."""
    import numpy as np

    box = (
        max(0, int(rect.x) - 2),
        max(0, int(rect.y) - 2),
        min(image.width, int(rect.right) + 3),
        min(image.height, int(rect.bottom) + 3),
    )
    if box[2] <= box[0] or box[3] <= box[1]:
        return 21.0
    crop = image.crop(box)
    step = max(1, max(crop.size) // 96)
    if step > 1:
        crop = crop.reduce(step)  # box filter: hairline motifs count by their area
    px = np.asarray(crop.convert("RGB"), dtype=np.float64) / 255.0
    lin = np.where(px <= 0.04045, px / 12.92, ((px + 0.055) / 1.055) ** 2.4)
    lum = lin @ np.array([0.2126, 0.7152, 0.0722])
    fg = relative_luminance(hex_to_rgb(color))
    ratios = (np.maximum(lum, fg) + 0.05) / (np.minimum(lum, fg) + 0.05)
    return float(ratios.min())


def pick_ink(candidates: list[str], image, rect: Rect, minimum: float = 4.5) -> tuple[str, float]:
    """The first candidate colour reaching ``minimum`` contrast under ``rect``; else the best one."""
    best = (candidates[0], 0.0)
    for color in candidates:
        ratio = worst_contrast(color, image, rect)
        if ratio >= minimum:
            return color, ratio
        if ratio > best[1]:
            best = (color, ratio)
    return best
