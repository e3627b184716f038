"""The portrait, checked and read: decoded within bounds, one usable face (the largest when there are
several), its 468 face-mesh landmarks (mediapipe 0.10.14, bundled model) and a soft person matte (the
selfie segmenter's, or the picture's own alpha when it is a cut-out: a transparent PNG, a designed avatar).

Every refusal is an InvalidRequest naming ``input_reference`` with what to upload instead.
"""

from __future__ import annotations

import logging
import threading
import warnings
from dataclasses import dataclass
from typing import Any

from ...errors import InvalidRequest
from .spec import MAX_PORTRAIT_BYTES, MIN_PORTRAIT_SIDE

__all__ = ["Portrait", "read_portrait", "face_landmarks"]

log = logging.getLogger(__name__)

PARAM = "input_reference"
WORK_SIDE = 1600
"""A larger portrait is scaled down to this long side before it is animated (the output is at most 1080p)."""
MIN_FACE_SIDE = 64
"""The largest face's box must be at least this many pixels wide (in the portrait as uploaded, after scaling)."""
MAX_FACES = 1
"""Faces the mesh looks for in the crop around the largest face."""
_local = threading.local()


@dataclass
class Portrait:
    rgb: Any  # H x W x 3 uint8 (RGB)
    landmarks: Any  # 468 x 2 float32, pixels
    box: tuple[int, int, int, int]  # the face: x, y, w, h (pixels)
    faces: int  # faces found in the photo (the largest is used)
    matte: Any = None  # H x W float32 0..1 (the person), filled by ``read_portrait``


def _mesh():
    """A face-mesh graph for this thread (not safe to share across threads)."""
    mesh = getattr(_local, "mesh", None)
    if mesh is None:
        from ..vision.people import require_mediapipe

        solutions = require_mediapipe()
        mesh = _local.mesh = solutions.face_mesh.FaceMesh(
            static_image_mode=True, max_num_faces=MAX_FACES, refine_landmarks=True, min_detection_confidence=0.5
        )
    return mesh


def face_landmarks(rgb) -> list[Any]:
    """Each face's 468 landmarks (N x 2 float32 pixels), largest face first."""
    import numpy as np

    h, w = rgb.shape[:2]
    with warnings.catch_warnings():  # mediapipe reads results through a protobuf API deprecated in 4.25
        warnings.filterwarnings("ignore", message=".*GetPrototype", category=UserWarning)
        result = _mesh().process(np.ascontiguousarray(rgb))
    faces = [
        np.array([(p.x * w, p.y * h) for p in face.landmark[:468]], dtype=np.float32)
        for face in result.multi_face_landmarks or ()
    ]
    return sorted(faces, key=lambda pts: -float(np.ptp(pts[:, 0]) * np.ptp(pts[:, 1])))


def _decode(data: bytes):
    import numpy as np

    from ..image_io import decode_image
    from ..vision.images import resize_max

    if not data:
        raise InvalidRequest(f"'{PARAM}' is empty; upload a portrait photo (PNG, JPEG or WebP).", param=PARAM)
    if len(data) > MAX_PORTRAIT_BYTES:
        raise InvalidRequest(
            f"'{PARAM}' is {len(data) >> 20} MB; the limit is {MAX_PORTRAIT_BYTES >> 20} MB. Upload a smaller photo.",
            param=PARAM,
        )
    image = decode_image(data, PARAM)
    rgb = np.asarray(image.convert("RGB"))
    alpha = None
    if "A" in image.getbands() or "transparency" in image.info:
        alpha = np.asarray(image.convert("RGBA"))[..., 3]
        alpha = alpha if alpha.min() < 255 else None
    if min(rgb.shape[:2]) < MIN_PORTRAIT_SIDE:
        raise InvalidRequest(
            f"'{PARAM}' is {rgb.shape[1]}x{rgb.shape[0]} pixels; a portrait needs at least {MIN_PORTRAIT_SIDE} pixels "
            "on its short side. Upload a larger photo.",
            param=PARAM,
        )
    if alpha is not None:  # a cut-out (a transparent PNG, a designed avatar): its alpha is the person's matte
        rgba = resize_max(np.dstack([rgb, alpha]), WORK_SIDE)
        return np.ascontiguousarray(rgba[..., :3]), rgba[..., 3].astype(np.float32) / 255
    return np.ascontiguousarray(resize_max(rgb, WORK_SIDE)), None


def _largest_face(rgb):
    """The largest face's landmarks in ``rgb`` and how many faces the photo holds: faces are found by
    mediapipe's full-range detector (group photos, small faces), then the mesh runs on a crop around the
    largest, so its landmarks come at the crop's full detail."""
    import numpy as np

    from ..vision.people import find_faces

    boxes = [box for _, box in find_faces(rgb)]
    if not boxes:
        found = face_landmarks(rgb)  # a face too close for the detector: the mesh finds it on the whole photo
        return (found[0] if found else None), len(found)
    x, y, w, h = max(boxes, key=lambda b: b[2] * b[3])
    if w < MIN_FACE_SIDE:
        raise InvalidRequest(
            f"The largest face in '{PARAM}' is {w} pixels wide; it needs at least {MIN_FACE_SIDE}. "
            "Upload a closer portrait (head and shoulders).",
            param=PARAM,
        )
    height, width = rgb.shape[:2]
    x0, y0 = max(0, x - w), max(0, y - h)
    x1, y1 = min(width, x + 2 * w), min(height, y + 2 * h)
    found = face_landmarks(rgb[y0:y1, x0:x1])
    if not found:
        return None, len(boxes)
    return found[0] + np.array([x0, y0], np.float32), len(boxes)


def read_portrait(data: bytes, *, matte: bool = True) -> Portrait:
    """The portrait in ``data`` with its largest face's landmarks (and the person matte when ``matte``);
    a photo without a usable face is a 400 naming ``input_reference``."""
    import numpy as np

    rgb, alpha = _decode(data)
    pts, count = _largest_face(rgb)
    if pts is None:
        raise InvalidRequest(
            f"No usable face was found in '{PARAM}'. Upload a photo with one face seen from the front, eyes open, "
            "well lit.",
            param=PARAM,
        )
    x0, y0 = np.floor(pts.min(axis=0)).astype(int)
    x1, y1 = np.ceil(pts.max(axis=0)).astype(int)
    h, w = rgb.shape[:2]
    if x1 - x0 < MIN_FACE_SIDE:
        raise InvalidRequest(
            f"The largest face in '{PARAM}' is {x1 - x0} pixels wide; it needs at least {MIN_FACE_SIDE}. "
            "Upload a closer portrait (head and shoulders).",
            param=PARAM,
        )
    if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
        raise InvalidRequest(
            f"The largest face in '{PARAM}' is cut off by the photo's edge. Upload a photo with the whole face in it.",
            param=PARAM,
        )
    box = (int(x0), int(y0), int(x1 - x0), int(y1 - y0))
    portrait = Portrait(rgb=rgb, landmarks=pts, box=box, faces=max(count, 1))
    if matte and alpha is not None:
        portrait.matte = alpha
    elif matte:
        from ..vision.people import segment_person

        portrait.matte = segment_person(rgb).matte
    log.info("portrait %dx%d: %d face(s), using one %dx%d", w, h, count, x1 - x0, y1 - y0)
    return portrait
