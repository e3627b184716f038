"""People in photos with mediapipe 0.10.14's bundled models (selfie segmentation and
face detection, Apache-2.0, weights inside the wheel; no download at run time).

mediapipe is installed without its declared dependencies (they would pull jax and a
second, GUI build of OpenCV): ``pip install --no-deps mediapipe==0.10.14``, which
``make install`` runs. What it needs at import (protobuf 4.25, matplotlib, attrs) is
in zaowu's own dependencies. ``require_mediapipe`` says exactly that when it is missing.

The graphs are built once per thread and reused: a graph is not safe to share across
threads, and building one costs more than running it.
"""

from __future__ import annotations

import logging
import threading
import warnings
from dataclasses import dataclass
from typing import Any

from ...errors import BackendError

log = logging.getLogger(__name__)

__all__ = ["PersonMask", "segment_person", "find_faces", "require_mediapipe", "mediapipe_available", "INSTALL"]

MEDIAPIPE_VERSION = "0.10.14"
INSTALL = f"pip install --no-deps mediapipe=={MEDIAPIPE_VERSION}"
SEGMENT_SIDE = 512  # the person matte is computed here, then refined at the output size
_local = threading.local()


@dataclass
class PersonMask:
    matte: Any  # H x W float32 in 0..1 at the input size
    confidence: float  # 0..1: how decided the matte is (share of pixels far from 0.5 inside the person)


def mediapipe_available() -> bool:
    try:
        require_mediapipe()
    except BackendError:
        return False
    return True


def require_mediapipe():
    """The ``mediapipe.python.solutions`` module, or a BackendError naming the install command."""
    try:
        import mediapipe
        from mediapipe.python import solutions
    except ImportError as exc:
        raise BackendError(
            f"Cutting out people needs mediapipe {MEDIAPIPE_VERSION}, which is not installed ({exc.name or exc}). "
            f"Install it with: {INSTALL} (or run `make install`)."
        ) from None
    import google.protobuf

    if int(google.protobuf.__version__.split(".")[0]) >= 5:  # its generated code calls APIs protobuf 5 removed
        raise BackendError(
            f"mediapipe {MEDIAPIPE_VERSION} needs protobuf 4.25, but {google.protobuf.__version__} is installed. "
            "Install it with: pip install protobuf==4.25.8"
        )
    if getattr(mediapipe, "__version__", "") != MEDIAPIPE_VERSION:
        log.warning("mediapipe %s found; zaowu is tested with %s", mediapipe.__version__, MEDIAPIPE_VERSION)
    return solutions


def _graph(name: str):
    graphs = getattr(_local, "graphs", None)
    if graphs is None:
        graphs = _local.graphs = {}
    if name not in graphs:
        solutions = require_mediapipe()
        if name == "selfie":
            graphs[name] = solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)
        else:  # full-range face detection: faces up to about 5 m from the camera
            graphs[name] = solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.5)
    return graphs[name]


def find_faces(rgb) -> list[tuple[float, tuple[int, int, int, int]]]:
    """(score, (x, y, w, h) in pixels) for each face found, best first."""
    from .images import resize_max

    work = resize_max(rgb, 640)
    h, w = rgb.shape[:2]
    with warnings.catch_warnings():  # mediapipe reads results through a protobuf API deprecated in 4.25
        warnings.filterwarnings("ignore", message=".*GetPrototype", category=UserWarning)
        result = _graph("faces").process(work)
    faces = []
    for det in result.detections or ():
        box = det.location_data.relative_bounding_box
        px = (round(box.xmin * w), round(box.ymin * h), round(box.width * w), round(box.height * h))
        faces.append((float(det.score[0]), px))
    return sorted(faces, key=lambda f: -f[0])


def segment_person(rgb) -> PersonMask:
    """A soft person matte (0..1) at the photo's size."""
    import cv2
    import numpy as np

    from .images import resize_max

    work = resize_max(rgb, SEGMENT_SIDE)
    result = _graph("selfie").process(np.ascontiguousarray(work))
    matte = result.segmentation_mask
    if matte is None:
        matte = np.zeros(work.shape[:2], np.float32)
    matte = np.clip(matte.astype(np.float32), 0, 1)
    if matte.shape != rgb.shape[:2]:
        matte = cv2.resize(matte, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)
    inside = matte > 0.5
    if not inside.any():
        return PersonMask(matte, 0.0)
    decided = float((np.abs(matte[inside] - 0.5) > 0.35).mean())
    return PersonMask(matte, round(decided, 3))
