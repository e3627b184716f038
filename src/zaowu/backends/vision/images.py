"""Uploaded photos in and RGBA PNGs out: decoding with clear errors, EXIF rotation,
working copies at a bounded size, and deterministic PNG encoding.

Every problem with an upload is an ``InvalidRequest`` naming the field (``image``
unless the caller says otherwise) and what to send instead.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Any

from ...errors import InvalidRequest
from ..image_io import MAX_ASPECT_RATIO, MAX_PIXELS, check_image_size, too_many_pixels

log = logging.getLogger(__name__)

__all__ = [
    "Photo",
    "decode_photo",
    "encode_png",
    "resize_max",
    "MAX_BYTES",
    "MAX_PIXELS",
    "MAX_ASPECT_RATIO",
    "MIN_SIDE",
]

MAX_BYTES = 30 * 1024 * 1024  # an upload larger than this is refused before decoding
MIN_SIDE = 16
_FORMATS = "PNG, JPEG, WebP, BMP, TIFF or GIF"


@dataclass
class Photo:
    """A decoded upload: RGB pixels (H x W x 3, uint8) and its alpha channel when it has a real one."""

    rgb: Any
    alpha: Any = None  # H x W uint8, only when the upload is already partly transparent

    @property
    def size(self) -> tuple[int, int]:
        return self.rgb.shape[1], self.rgb.shape[0]


def decode_photo(data: bytes | None, param: str = "image") -> Photo:
    """Decode uploaded bytes, or raise InvalidRequest naming ``param``."""
    import numpy as np
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise InvalidRequest(f"The {param} is empty; upload a photo ({_FORMATS}).", param=param)
    if len(data) > MAX_BYTES:
        raise InvalidRequest(
            f"The {param} is {len(data) / 2**20:.0f} MiB; upload one under {MAX_BYTES // 2**20} MiB.", param=param
        )
    try:
        with Image.open(io.BytesIO(data)) as im:
            width, height = im.size
            check_image_size(width, height, param)  # pixel count and aspect ratio (decompression bombs too)
            if min(width, height) < MIN_SIDE:
                raise InvalidRequest(
                    f"The {param} is {width}x{height} pixels; each side must be at least {MIN_SIDE}.", param=param
                )
            im.seek(0)
            im = ImageOps.exif_transpose(im)
            has_alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
            rgba = np.asarray(im.convert("RGBA" if has_alpha else "RGB"))
    except InvalidRequest:
        raise
    except Image.DecompressionBombError:
        raise too_many_pixels(param) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        log.debug("undecodable upload: %s", exc)
        raise InvalidRequest(f"The {param} is not a readable image; upload a {_FORMATS} file.", param=param) from None
    rgb = np.ascontiguousarray(rgba[..., :3])
    alpha = rgba[..., 3] if rgba.shape[2] == 4 else None
    if alpha is not None and not _meaningful_alpha(alpha):
        if alpha.max() < 8:
            raise InvalidRequest(f"The {param} is fully transparent; upload a photo with something in it.", param=param)
        alpha = None
    return Photo(rgb=rgb, alpha=None if alpha is None else np.ascontiguousarray(alpha))


def _meaningful_alpha(alpha) -> bool:
    """True when the upload is already a cut-out: some pixels clear, a real share opaque."""
    clear = float((alpha < 16).mean())
    solid = float((alpha > 240).mean())
    return clear > 0.02 and solid > 0.01


def resize_max(array, max_side: int, interpolation: str = "area"):
    """A copy no larger than ``max_side`` on its long side (the input itself when already small)."""
    import cv2

    h, w = array.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1:
        return array
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    flag = {"area": cv2.INTER_AREA, "linear": cv2.INTER_LINEAR, "nearest": cv2.INTER_NEAREST}[interpolation]
    return cv2.resize(array, size, interpolation=flag)


def encode_png(rgb, alpha=None) -> bytes:
    """PNG bytes of RGB pixels with an optional alpha matte; same pixels, same bytes."""
    import numpy as np
    from PIL import Image

    if alpha is None:
        image = Image.fromarray(np.ascontiguousarray(rgb), "RGB")
    else:
        image = Image.fromarray(np.dstack([rgb, alpha]).astype(np.uint8), "RGBA")
    buf = io.BytesIO()
    image.save(buf, "PNG", compress_level=3)
    return buf.getvalue()
