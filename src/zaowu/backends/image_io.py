"""Raster image plumbing shared by the prompt-driven image backends (diffusers, remote
servers) and the edits route: request checks, sizes, decoding uploads, masks, encoding.
Pillow is imported inside the functions.

Every decoded upload is bounded before its pixels are read (``check_image_size``): at
most ``MAX_PIXELS`` pixels (a decompression bomb declares billions in a few kilobytes)
and at most ``MAX_ASPECT_RATIO`` between its long and short side (a 65000x16 strip
breaks the vision models downstream)."""

from __future__ import annotations

import io

from ..errors import InvalidRequest
from ..types import ImageRequest

__all__ = [
    "MIMES",
    "RATIOS",
    "MAX_PIXELS",
    "MAX_ASPECT_RATIO",
    "check_image_size",
    "too_many_pixels",
    "check_prompt_request",
    "parse_size",
    "decode_image",
    "mask_image",
    "encode",
]

MIMES = {"png": "image/png", "webp": "image/webp", "jpeg": "image/jpeg"}
RATIOS = {"1:1": (1, 1), "3:4": (3, 4), "4:3": (4, 3), "9:16": (9, 16), "16:9": (16, 9)}
MAX_PIXELS = 40_000_000  # about 7700 x 5200, a big camera photo; more is refused before decoding
MAX_ASPECT_RATIO = 20  # long side / short side of an upload; a panorama is 4:1, a web banner 10:1


def too_many_pixels(param: str, size: str = "far too many") -> InvalidRequest:
    """The error for an upload with more than ``MAX_PIXELS`` (Pillow's own bomb check included)."""
    return InvalidRequest(
        f"'{param}' has {size} pixels; resize it to at most {MAX_PIXELS // 1_000_000} megapixels.", param=param
    )


def check_image_size(width: int, height: int, param: str) -> None:
    """Refuse an upload whose declared size is too many pixels or too thin, naming ``param``."""
    if width * height > MAX_PIXELS:
        raise too_many_pixels(param, f"{width}x{height}")
    if min(width, height) <= 0 or max(width, height) > MAX_ASPECT_RATIO * min(width, height):
        raise InvalidRequest(
            f"'{param}' is {width}x{height} pixels; its long side may be at most {MAX_ASPECT_RATIO} times its "
            "short side. Crop or pad it to a less extreme shape.",
            param=param,
        )


def check_prompt_request(request: ImageRequest, what: str) -> None:
    """Refuse what only the design engine understands (kind, spec, SVG), naming the field."""
    if request.kind is not None or request.spec is not None:
        param = "kind" if request.kind is not None else "spec"
        raise InvalidRequest(f"'{param}' is for the design engine; {what} takes a prompt.", param=param)
    if request.format == "svg":
        raise InvalidRequest(f"{what} makes raster images; use png, webp or jpeg.", param="format")


def parse_size(size: str, native: int) -> tuple[int, int]:
    """``WxH`` (multiples of 8), or a ratio scaled so its long side is ``native`` pixels."""
    if size in RATIOS:
        rw, rh = RATIOS[size]
        scale = native / max(rw, rh)
        return int(rw * scale) // 8 * 8, int(rh * scale) // 8 * 8
    w, sep, h = size.lower().partition("x")
    if not (sep and w.isdigit() and h.isdigit()):
        raise InvalidRequest(f"Unknown size '{size}'. Use WxH such as 512x512, or {', '.join(RATIOS)}.", param="size")
    width, height = int(w), int(h)
    if not (64 <= width <= 4096 and 64 <= height <= 4096) or width % 8 or height % 8:
        raise InvalidRequest(
            f"Size {size} does not fit a diffusion model: width and height must be multiples of 8 from 64 to 4096.",
            param="size",
        )
    return width, height


def decode_image(data: bytes, param: str):
    """Uploaded bytes → a Pillow image, or a 400 naming ``param``."""
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(io.BytesIO(data))
        check_image_size(*img.size, param)  # from the header, before any pixel is decoded
        img.load()
    except Image.DecompressionBombError:
        raise too_many_pixels(param) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise InvalidRequest(
            f"'{param}' is not an image Pillow can read ({type(exc).__name__}); upload a PNG, JPEG or WebP file.",
            param=param,
        ) from None
    return img


def mask_image(data: bytes):
    """A mask as white = repaint: OpenAI's convention (transparent = edit) when the mask has
    transparency, else its grey levels."""
    img = decode_image(data, "mask")
    if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
        alpha = img.convert("RGBA").getchannel("A")
        if alpha.getextrema()[0] < 255:
            return alpha.point(lambda a: 255 if a < 128 else 0)
    return img.convert("L")


def encode(image, fmt: str) -> bytes:
    """A Pillow image as PNG (no timestamps or text chunks: same pixels, same bytes), WebP or JPEG."""
    buf = io.BytesIO()
    if fmt == "png":
        image.save(buf, "PNG")
    else:
        if fmt == "jpeg" and image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(buf, fmt.upper(), quality=92)
    return buf.getvalue()
