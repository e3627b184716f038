"""Images a request names: an uploaded ``input_reference`` checked and stored as the caller's artifact, one given
by artifact id checked against the caller's key, and a portrait's bytes read with that key. Shared by the
storyboard (a product/hero image) and the presenter (the portrait)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from ..errors import InvalidRequest

if TYPE_CHECKING:
    from .engine import Studio

__all__ = ["REFERENCE_MIMES", "check_reference", "portrait_of", "store_reference"]

REFERENCE_MIMES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


def store_reference(
    studio: Studio, data: bytes, who: Any, name: str | None = None, param: str = "input_reference"
) -> str:
    """An uploaded image (``input_reference``: a product/hero image, a portrait; or another picture a request
    names as ``param``) checked (400 naming it) and stored as the caller's artifact, unlabelled as the user's
    own; its id."""
    from PIL import Image

    if not data:
        raise InvalidRequest(f"The '{param}' upload is empty; send a PNG, JPEG or WebP image.", param=param)
    studio.check_image(data, param)
    with Image.open(io.BytesIO(data)) as image:
        mime = REFERENCE_MIMES.get(str(image.format).lower())
    if mime is None:
        raise InvalidRequest(f"'{param}' must be a PNG, JPEG or WebP image.", param=param)
    row = studio.artifacts.put(
        data,
        mime,
        name=f"{'reference' if param == 'input_reference' else param.rsplit('.', 1)[-1]}.{mime.split('/')[1]}",
        job_id=getattr(who, "job_id", None),
        caller=getattr(who, "name", None),
        key_id=getattr(who, "key_id", None),
        meta={"upload": True, "role": param},
        upload=True,
    )
    return str(row["id"])


def check_reference(
    studio: Studio, artifact_id: Any, who: Any, param: str = "input_reference", kind: str = "image"
) -> str:
    """An artifact a request names by id (``{"file_id": ...}`` or the id; ``param``: the field naming it):
    the caller's own ``kind`` (image, audio) artifact, else a 404 or 400 naming ``param``."""
    from ..errors import NotFound

    if isinstance(artifact_id, dict):
        artifact_id = artifact_id.get("file_id")
    if not isinstance(artifact_id, str) or not artifact_id:
        raise InvalidRequest(f"'{param}' must be an {kind} upload or {{\"file_id\": ARTIFACT_ID}}.", param=param)
    try:
        row, _ = studio.artifacts.open_path(artifact_id, key_id=getattr(who, "key_id", None))
    except NotFound:
        raise NotFound(f"No artifact with id {artifact_id[:80]!r} (for '{param}').", param=param) from None
    if not str(row["mime"]).startswith(f"{kind}/"):
        raise InvalidRequest(f"'{param}' {artifact_id} is {row['mime']}, not an {kind}.", param=param)
    return str(row["id"])


def portrait_of(studio: Studio, input_reference: Any, who: Any) -> bytes | None:
    """The bytes of the portrait artifact ``input_reference`` (an id, or ``{"file_id": id}``) that ``who`` may
    read (404 naming ``input_reference`` otherwise; 400 when it is not an image); None when none is given."""
    if input_reference in (None, ""):
        return None
    artifact_id = check_reference(studio, input_reference, who)
    return studio.artifacts.read(artifact_id, key_id=getattr(who, "key_id", None))
