"""Photo tools run through the studio: a product or person cut out of an uploaded photo.

The cut-out itself is vision code (``backends/vision/cutout.py``); here it becomes a generation
like any other: scope checked by the caller (``Studio.cutout``), recorded in the generation log
(modality ``image``, model ``cutout``, the upload by its hash), stored as an artifact, and charged
to the key.

    result = studio.cutout(photo_bytes, "object")
    result.png, result.kind, result.artifact_id, result.generation_id
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..backends.vision.images import MAX_BYTES
from ..types import Caller, Modality, ModelSpec

if TYPE_CHECKING:
    from .engine import Studio

__all__ = ["CUTOUT_MODEL", "MAX_PHOTO_BYTES", "CutoutResult", "cut_out"]

MAX_PHOTO_BYTES = MAX_BYTES  # an upload larger than this is refused before it is decoded
CUTOUT_MODEL = ModelSpec(
    id="cutout",
    modality=Modality.image,
    backend="vision",
    name="photo cut-out",
    licence="Apache-2.0 (OpenCV GrabCut; mediapipe for people)",
)


@dataclass(frozen=True)
class CutoutResult:
    """A stored cut-out: the RGBA PNG, how the subject was found, and where it was recorded."""

    png: bytes
    kind: str  # "person", "object" or "upload" (the upload's own transparency)
    meta: dict[str, Any]  # kind, confidence, box, size, source_sha256
    artifact_id: str
    generation_id: str


def cut_out(studio: Studio, image: bytes, kind: str, who: Caller) -> CutoutResult:
    """Cut the subject out of ``image`` (``kind``: auto, person or object), store and record it."""
    import hashlib

    from ..backends.vision.cutout import cutout

    shown = {"kind": kind, "image_sha256": hashlib.sha256(image).hexdigest(), "image_bytes": len(image)}
    with studio.log.record(
        who, modality=Modality.image.value, model=CUTOUT_MODEL, params={"kind": kind}, seed=None, input=shown
    ) as rec:
        found = cutout(image, kind)
        png, meta = found.png, found.meta()
        row = studio.artifacts.put(
            png,
            "image/png",
            name="cutout.png",
            generation_id=rec.id,
            job_id=who.job_id,
            caller=who.name,
            key_id=who.key_id,
            meta={"cutout": meta},
            unlabelled=who.unlabelled,
        )
        png = studio.artifacts.stored_bytes(row, png)  # the labelled image
        rec.output = json.dumps(
            {"artifacts": [{"id": row["id"], "mime": "image/png", "bytes": len(png)}], "media_seconds": 0.0}
        )
    return CutoutResult(png=png, kind=found.kind, meta=meta, artifact_id=row["id"], generation_id=rec.id)
