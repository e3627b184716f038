"""Labels on images (PNG, JPEG, WebP): the visible mark and the XMP implicit label.

The visible mark is the text "AI生成" on a translucent dark plate in a corner (the ``label_position``
setting), its text at least ``MIN_TEXT_FRACTION`` of the image's shorter side high, so it reads on
any background. The implicit label is an XMP packet in the TC260 namespace (property ``AIGC``):
an iTXt chunk in PNG, an APP1 segment in JPEG, an ``XMP `` chunk in WebP.
"""

from __future__ import annotations

import functools
import html
import io
import re
import struct
import zlib
from dataclasses import dataclass
from typing import Any

from .aigc import TC260_NS, parse

__all__ = [
    "MARK_TEXT",
    "MIN_TEXT_FRACTION",
    "IMAGE_FORMATS",
    "plate_box",
    "mark_image",
    "decode",
    "draw_mark",
    "encode",
    "add_xmp",
    "read_xmp_label",
    "detect_mark",
    "xmp_packet",
]

MARK_TEXT = "AI生成"
MIN_TEXT_FRACTION = 0.05  # GB 45438-2025: the mark's text height ≥ 5% of the shorter side
TEXT_FRACTION = 0.06  # the height aimed at (a margin over the minimum)
PLATE_ALPHA = 150  # plate opacity (0-255): dark enough that white text reads on white
PLATE_LUMA_MAX = 110  # plate pixels are at most this bright whatever lies under them
JPEG_QUALITY = 95
WEBP_QUALITY = 90
WEBP_METHOD = 1  # libwebp effort (0-6): 1 is several times faster than the default 4, files a little larger
PNG_COMPRESS_LEVEL = 3  # zlib level for a marked PNG: near the default size, several times faster
IMAGE_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
POSITIONS = ("bottom-right", "bottom-left", "top-right", "top-left")
_XMP_RE = re.compile(rb"<x:xmpmeta.*?</x:xmpmeta>", re.DOTALL)
_AIGC_ATTR = re.compile(r"""(\w+):AIGC\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_AIGC_ELEM = re.compile(r"<(\w+):AIGC>(.*?)</\1:AIGC>", re.DOTALL)


@dataclass(frozen=True)
class Plate:
    box: tuple[int, int, int, int]  # left, top, right, bottom
    text_xy: tuple[int, int]
    font_size: int


def xmp_packet(label_json: str) -> bytes:
    """An XMP packet holding the label as ``TC260:AIGC``."""
    value = html.escape(label_json, quote=True)
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'<rdf:Description rdf:about="" xmlns:TC260="{TC260_NS}" TC260:AIGC="{value}"/>'
        '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


@functools.lru_cache(maxsize=64)
def _font(size: int) -> Any:
    from ...backends.design import fonts

    try:
        return fonts.load(fonts.SANS_CJK_BOLD, size)
    except Exception:  # noqa: BLE001 - no CJK font installed: the Latin fallback shows "AI" at least
        return fonts.load(fonts.FALLBACK, size)


def plate_box(width: int, height: int, position: str = "bottom-right", text: str = MARK_TEXT) -> Plate:
    """Where the mark goes on a ``width`` x ``height`` image, with a font size whose drawn text is at
    least ``MIN_TEXT_FRACTION`` of the shorter side high."""
    short = min(width, height)
    size = max(8, round(short * TEXT_FRACTION * 1.25))
    target = max(1, -(-short * TEXT_FRACTION // 1))
    while True:
        left, top, right, bottom = _font(size).getbbox(text)
        if bottom - top >= target or size > short:
            break
        size += 1
    pad = max(2, round((bottom - top) * 0.4))
    margin = max(2, round(short * 0.02))
    w, h = right - left + 2 * pad, bottom - top + 2 * pad
    x0 = margin if position.endswith("left") else width - margin - w
    y0 = margin if position.startswith("top") else height - margin - h
    return Plate((x0, y0, x0 + w, y0 + h), (x0 + pad - left, y0 + pad - top), size)


def decode(data: bytes) -> Any:
    """The picture in ``data`` (PNG, JPEG or WebP), loaded."""
    from PIL import Image

    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def draw_mark(im: Any, position: str) -> Any:
    """``im`` with the visible mark drawn in the ``position`` corner (RGB, or RGBA when it had transparency).
    Only the plate's box is composited (a few thousand pixels, not the whole picture)."""
    from PIL import Image, ImageDraw

    keep_alpha = im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info
    marked = im.convert("RGBA" if keep_alpha else "RGB")
    if marked is im:
        marked = im.copy()
    plate = plate_box(marked.width, marked.height, position)
    x0, y0, x1, y1 = plate.box
    box = (max(0, x0), max(0, y0), min(marked.width, x1), min(marked.height, y1))
    overlay = Image.new("RGBA", (box[2] - box[0], box[3] - box[1]), (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    shift = (x0 - box[0], y0 - box[1], x1 - box[0], y1 - box[1])
    draw.rounded_rectangle(shift, radius=max(2, plate.font_size // 5), fill=(0, 0, 0, PLATE_ALPHA))
    text_xy = (plate.text_xy[0] - box[0], plate.text_xy[1] - box[1])
    draw.text(text_xy, MARK_TEXT, font=_font(plate.font_size), fill=(255, 255, 255, 255))
    region = Image.alpha_composite(marked.crop(box).convert("RGBA"), overlay)
    marked.paste(region if keep_alpha else region.convert("RGB"), box[:2])
    return marked


def encode(im: Any, mime: str) -> bytes:
    """``im`` encoded as ``mime`` with the label step's encoder settings (the one encode of a labelled image)."""
    out = io.BytesIO()
    fmt = IMAGE_FORMATS[mime]
    if fmt == "PNG":
        im.save(out, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    elif fmt == "JPEG":
        im.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY)
    else:
        im.save(out, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    return out.getvalue()


def mark_image(data: bytes, mime: str, position: str) -> bytes:
    """``data`` with the visible mark drawn in the ``position`` corner, in its own format."""
    return encode(draw_mark(decode(data), position), mime)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def _riff_chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def _webp_with_xmp(data: bytes, xmp: bytes) -> bytes:
    from PIL import Image

    chunks = data[12:]
    if chunks[:4] == b"VP8X":
        flags = chunks[8] | 0x04
        chunks = chunks[:8] + bytes([flags]) + chunks[9:]
    else:
        im = Image.open(io.BytesIO(data))
        alpha = 0x10 if chunks[:4] == b"VP8L" and "A" in im.mode else 0
        w, h = im.width - 1, im.height - 1
        head = bytes([0x04 | alpha, 0, 0, 0]) + w.to_bytes(3, "little") + h.to_bytes(3, "little")
        chunks = _riff_chunk(b"VP8X", head) + chunks
    chunks += _riff_chunk(b"XMP ", xmp)
    return b"RIFF" + struct.pack("<I", len(chunks) + 4) + b"WEBP" + chunks


def add_xmp(data: bytes, mime: str, label_json: str) -> bytes:
    """``data`` with the XMP label added at the container level (the pixels are not re-encoded)."""
    xmp = xmp_packet(label_json)
    if mime == "image/png":
        end = 8 + 8 + struct.unpack(">I", data[8:12])[0] + 4  # after IHDR
        itxt = b"XML:com.adobe.xmp\0\0\0\0\0" + xmp
        return data[:end] + _png_chunk(b"iTXt", itxt) + data[end:]
    if mime == "image/jpeg":
        pos = 2
        if data[2:4] == b"\xff\xe0":  # keep JFIF first
            pos = 4 + struct.unpack(">H", data[4:6])[0]
        body = b"http://ns.adobe.com/xap/1.0/\0" + xmp
        return data[:pos] + b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body + data[pos:]
    return _webp_with_xmp(data, xmp)


def read_xmp_label(data: bytes) -> tuple[dict[str, str] | None, str | None]:
    """The label fields in the file's XMP and where they were found, or (None, None)."""
    for packet in _XMP_RE.findall(data[: 8 << 20]):
        text = packet.decode("utf-8", "replace")
        if TC260_NS not in text and "AIGC" not in text:
            continue
        for match in _AIGC_ATTR.finditer(text):
            if (fields := parse(html.unescape(match.group(2) or match.group(3) or ""))) is not None:
                return fields, "XMP TC260:AIGC"
        for match in _AIGC_ELEM.finditer(text):
            if (fields := parse(html.unescape(match.group(2)))) is not None:
                return fields, "XMP TC260:AIGC"
    return None, None


def detect_mark(data: bytes) -> str | None:
    """The corner where zaowu's visible mark is found (a dark plate holding bright text, where
    ``plate_box`` puts it), or None."""
    from PIL import Image

    im = Image.open(io.BytesIO(data))
    luma = im.convert("L")
    for position in POSITIONS:
        plate = plate_box(im.width, im.height, position)
        x0, y0, x1, y1 = plate.box
        inset = max(2, plate.font_size // 5)
        region = luma.crop((x0 + inset, y0 + inset, x1 - inset, y1 - inset))
        hist = region.histogram()
        total = sum(hist) or 1
        dark = sum(hist[: PLATE_LUMA_MAX + 20]) / total
        bright = sum(hist[200:]) / total
        if dark >= 0.45 and 0.04 <= bright <= 0.5 and dark + bright >= 0.8:
            return position
    return None
