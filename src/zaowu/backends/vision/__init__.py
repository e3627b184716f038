"""Product photo tools: cut a product or a person out of an uploaded photo, and place
the cut-out on a designed background with a shadow.

    images.py     decoding and checking uploads (Pillow), RGBA PNG encoding
    objects.py    objects: background estimate + saliency seed GrabCut (OpenCV)
    people.py     people: mediapipe selfie segmentation and face detection
    cutout.py     ``cutout(image_bytes, kind)``: picks the method, refines the matte edge
    placement.py  scale a cut-out into a slot, contact and drop shadow from its alpha

    from zaowu.backends.vision.cutout import cutout
    result = cutout(photo_bytes, kind="auto")  # result.png: RGBA PNG; result.mask: 0-255 matte

Importing this package loads nothing heavy: OpenCV, mediapipe and Pillow are
imported inside the functions that use them.
"""

from __future__ import annotations

__all__ = ["KINDS"]

KINDS: tuple[str, ...] = ("auto", "person", "object")
"""What ``cutout.cutout`` can look for: ``auto`` picks between a person and an object."""
