"""The ``avatar`` image backend: designed head-and-shoulders hosts (``avatar.py``) for the presenter to animate.

The prompt describes the host ("短发女主播，蓝色衬衫"); ``spec`` may set the fields exactly (an
:class:`~zaowu.backends.design.avatar.AvatarSpec`, where it wins over the prompt); the seed picks the rest.
No language model and no weights: the same prompt, spec and seed draw the same picture. Each image's meta
holds the resolved spec (to draw it again or change one field), what the prompt named, and its seed.
"""

from __future__ import annotations

import time
from typing import ClassVar

from pydantic import BaseModel

from ...errors import InvalidRequest
from ...hookspecs import hookimpl
from ...types import ImageRequest, Media, MediaResult, Modality
from ..base import MediaBackend, Progress

__all__ = ["AvatarBackend", "avatar_size"]

DEFAULT_SIZE = "1024x1024"


def avatar_size(size: str | None) -> tuple[int, int]:
    """(width, height) of ``size`` (``WxH``, or a ratio such as 3:4), each side 512-2048 pixels."""
    from .avatar import MAX_AVATAR_SIDE, MIN_AVATAR_SIDE
    from .spec import parse_size

    width, height = parse_size(size or DEFAULT_SIZE)
    if min(width, height) < MIN_AVATAR_SIDE or max(width, height) > MAX_AVATAR_SIDE:
        raise InvalidRequest(
            f"Size {width}x{height} is out of range for an avatar: each side {MIN_AVATAR_SIDE}-{MAX_AVATAR_SIDE} "
            "pixels (e.g. 1024x1024 or 768x1024).",
            param="size",
        )
    return width, height


class AvatarBackend(MediaBackend):
    id = "avatar"
    modality = Modality.image
    description = "zaowu designed avatars: a drawn host (head and shoulders) from a description, for the presenter"
    licence = "Apache-2.0 (drawn by zaowu; no weights)"
    can_stream = False
    formats: ClassVar[tuple[str, ...]] = ("png", "webp", "jpeg")

    def generate(self, request: BaseModel, seed: int | None, progress: Progress | None = None) -> MediaResult:
        from PIL import Image

        from ..image_io import MIMES, encode
        from .avatar import avatar_from_prompt, draw_avatar, resolve_avatar

        request = self._expect(request, ImageRequest, "avatar")
        if request.kind not in (None, "avatar"):
            raise InvalidRequest("The avatar model draws avatars only; leave 'kind' out.", param="kind")
        if request.image is not None or request.mask is not None:
            param = "image" if request.image is not None else "mask"
            raise InvalidRequest(f"The avatar model draws from a description; send no '{param}'.", param=param)
        if request.format == "svg":
            raise InvalidRequest("Avatars are raster images; use png, webp or jpeg.", param="format")
        width, height = avatar_size(request.size)
        asked, named = avatar_from_prompt(request.prompt, request.spec)
        if asked.transparent and request.format == "jpeg":
            raise InvalidRequest("A transparent avatar needs PNG or WebP; JPEG has no alpha.", param="format")
        base_seed = 0 if seed is None else seed
        started, media = time.perf_counter(), []
        for i in range(request.n):
            spec = resolve_avatar(asked, base_seed + i)
            picture = Image.fromarray(draw_avatar(spec, width, height))  # RGB, or RGBA when transparent
            meta = {
                "spec": spec.model_dump(exclude_none=True),
                "named": named,
                "seed": base_seed + i,
                "size": f"{width}x{height}",
                "format": request.format,
            }
            media.append(Media(data=encode(picture, request.format), mime=MIMES[request.format], meta=meta))
            if progress:
                progress((i + 1) / request.n, f"drew {i + 1}/{request.n}")
        return MediaResult(
            media=media,
            model=self.model.id,
            seed=base_seed,
            usage={"images": float(request.n), "processing_seconds": round(time.perf_counter() - started, 3)},
        )


CATALOG_ENTRY = {
    "id": "avatar",
    "name": "zaowu designed avatar",
    "description": "A drawn head-and-shoulders host from a short description (hair, skin, outfit, glasses), "
    "ready for the presenter to animate",
    "modality": "image",
    "backend": "avatar",
    "licence": AvatarBackend.licence,
    "languages": ["zh", "en"],
    "source": {"kind": "builtin"},
}


@hookimpl
def register_backends(register):
    register(AvatarBackend)


@hookimpl
def register_models(register):
    register(dict(CATALOG_ENTRY))
