"""``cutout``: a product or a person cut out of a photo, as an RGBA PNG and its matte.

    result = cutout(photo_bytes)                  # kind="auto": a person if a face and a body are found
    result.png, result.mask, result.kind          # RGBA PNG bytes, H x W uint8 matte, "person" | "object" | "upload"

1. Decode and check the upload (``images.decode_photo``; errors name ``image``).
2. An upload that is already transparent keeps its own alpha ("upload").
3. person: mediapipe selfie segmentation; object: GrabCut seeded from a background
   estimate (``objects``); auto: a face found by mediapipe's face detector with a
   selfie matte around it means a person, anything else an object.
4. The matte's edge is refined against the photo (guided filter), so hair and
   rounded edges get soft, colour-aware alpha instead of a jagged step.

Same bytes in, same bytes out: nothing here is random (OpenCV's RNG is seeded).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from ...errors import InvalidRequest
from . import KINDS

log = logging.getLogger(__name__)

__all__ = ["Cutout", "cutout", "MAX_OUTPUT_SIDE"]

MAX_OUTPUT_SIDE = 2048  # larger photos are cut out at this long side


@dataclass
class Cutout:
    """A cut-out: the photo's pixels, its matte, and how it was found."""

    rgb: Any  # H x W x 3 uint8 (the photo, possibly scaled down to MAX_OUTPUT_SIDE)
    mask: Any  # H x W uint8 alpha matte, 0 background .. 255 subject
    kind: str  # "person", "object" or "upload" (the upload's own transparency)
    confidence: float  # 0..1
    source_sha256: str  # of the uploaded bytes, for the generation log

    @property
    def size(self) -> tuple[int, int]:
        return self.rgb.shape[1], self.rgb.shape[0]

    @property
    def box(self) -> tuple[int, int, int, int]:
        """x, y, w, h of the subject (alpha > 8) in pixels."""
        import cv2

        return tuple(int(v) for v in cv2.boundingRect((self.mask > 8).astype("uint8")))  # type: ignore[return-value]

    @property
    def png(self) -> bytes:
        """RGBA PNG at the photo's size: the subject opaque, the rest transparent."""
        from .images import encode_png

        return encode_png(self.rgb, self.mask)

    def rgba(self, crop: bool = True):
        """A PIL RGBA image of the subject, cropped to its box unless ``crop`` is False."""
        import numpy as np
        from PIL import Image

        image = Image.fromarray(np.dstack([self.rgb, self.mask]), "RGBA")
        if crop:
            x, y, w, h = self.box
            image = image.crop((x, y, x + w, y + h))
        return image

    def meta(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "confidence": self.confidence,
            "box": list(self.box),
            "size": list(self.size),
            "source_sha256": self.source_sha256,
        }


def cutout(image_bytes: bytes | None, kind: str = "auto", *, param: str = "image") -> Cutout:
    """Cut the subject out of an uploaded photo. ``kind``: auto, person or object."""
    from .images import decode_photo, resize_max

    if kind not in KINDS:
        raise InvalidRequest(f"Unknown cut-out kind '{kind}'. Use one of: {', '.join(KINDS)}.", param="kind")
    photo = decode_photo(image_bytes, param=param)
    digest = hashlib.sha256(image_bytes or b"").hexdigest()
    rgb = resize_max(photo.rgb, MAX_OUTPUT_SIDE)
    if photo.alpha is not None:
        alpha = resize_max(photo.alpha, MAX_OUTPUT_SIDE)
        return Cutout(rgb, alpha, "upload", 1.0, digest)
    person = None
    if kind == "auto":
        kind, person = _guess_kind(rgb)
    if kind == "person":
        mask, confidence = _person(rgb, param, person)
    else:
        mask, confidence = _object(rgb, param)
    log.debug("cut out a %s (confidence %.2f) from a %dx%d photo", kind, confidence, rgb.shape[1], rgb.shape[0])
    return Cutout(rgb, mask, kind, confidence, digest)


def _guess_kind(rgb):
    """("person", its matte) when mediapipe finds a clear face with a body matte around it; else ("object", None)."""
    from . import people

    if not people.mediapipe_available():
        log.warning("mediapipe is not installed, so kind=auto treats every photo as an object; %s", people.INSTALL)
        return "object", None
    h, w = rgb.shape[:2]
    faces = [
        (x, y, fw, fh) for score, (x, y, fw, fh) in people.find_faces(rgb) if score >= 0.7 and fw * fh >= 0.002 * w * h
    ]
    if not faces:
        return "object", None
    found = people.segment_person(rgb)
    for x, y, fw, fh in faces:
        cx, cy = min(w - 1, max(0, x + fw // 2)), min(h - 1, max(0, y + fh // 2))
        if found.matte[cy, cx] > 0.5 and float((found.matte > 0.5).mean()) > 0.03:
            return "person", found
    return "object", None


def _person(rgb, param: str, found=None):
    import cv2
    import numpy as np

    from . import people
    from .objects import largest_component

    found = found or people.segment_person(rgb)
    hard = (found.matte > 0.5).astype(np.uint8) * 255
    if float((hard > 0).mean()) < 0.01:
        raise InvalidRequest(
            f"No person found in the {param}; for a product photo use kind='object' (or 'auto').", param=param
        )
    keep = largest_component(hard, keep_ratio=0.1)  # drop stray blobs the model saw in the background
    r = max(3, round(max(rgb.shape[:2]) / 60))
    keep = cv2.dilate(keep, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    matte = found.matte * (keep > 0)
    return refine_edges(rgb, matte, radius=max(4, round(max(rgb.shape[:2]) / 120)), stretch=2.0), found.confidence


def _object(rgb, param: str):
    import cv2
    import numpy as np

    from .objects import segment_object

    found = segment_object(rgb)
    if not found.mask.any():
        raise InvalidRequest(
            f"Found no object standing out from the background of the {param}; photograph the product against "
            "a plain or evenly lit background, or upload a PNG that is already transparent.",
            param=param,
        )
    h, w = rgb.shape[:2]
    hard = cv2.resize(found.mask, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255
    return refine_edges(rgb, hard, radius=max(2, round(max(h, w) / 250)), stretch=1.6), found.confidence


def refine_edges(rgb, matte, radius: int, stretch: float):
    """Soft, colour-aware edges: a guided filter snaps the matte's transition to the photo's own
    edges, then a gentle contrast stretch keeps the inside solid and the outside clear."""
    import cv2
    import numpy as np

    guided = cv2.ximgproc.guidedFilter(guide=rgb, src=matte.astype(np.float32), radius=radius, eps=150.0)
    alpha = np.clip((guided - 0.5) * stretch + 0.5, 0, 1)
    return (alpha * 255 + 0.5).astype(np.uint8)
