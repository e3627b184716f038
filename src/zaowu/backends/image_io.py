"""Raster image plumbing shared by the prompt-driven image backends (diffusers, remote
servers) and the edits route: request checks, sizes, decoding uploads, masks, encoding.
Pillow is imported inside the functions."""

from __future__ import annotations

import io

from ..errors import InvalidRequest
from ..types import ImageRequest

__all__ = ["MIMES", "RATIOS", "check_prompt_request", "parse_size", "decode_image", "mask_image", "encode"]

MIMES = {"png": "image/png", "webp": "image/webp", "jpeg": "image/jpeg"}
RATIOS = {"1:1": (1, 1), "3:4": (3, 4), "4:3": (4, 3), "9:16": (9, 16), "16:9": (16, 9)}


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
        img.load()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
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
