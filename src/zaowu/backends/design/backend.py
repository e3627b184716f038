"""The ``design`` image backend: renders DesignSpecs offline, no weights needed.

The spec normally comes from the middle layer (``zaowu.studio.design.design_spec``,
which asks the LLM). It reaches the backend as ``request.spec`` when the request
model has that field (``ImageRequest.spec``),
or as the ``spec=`` keyword of ``generate``. Without a spec, the prompt itself
becomes the headline: honest, plain, and still a finished design.

Each image's ``Media.meta`` holds the resolved spec and its seed, which together
re-render the same design (edit the headline, render again), the design checks
(``checks``: icon/palette/art fit, offer is the hero, no button on covers, contrast,
and for n > 1 whether the variants differ) and the licences of the illustrations
shown (``art``). Variant ``i`` of ``n`` takes its own layout, palette, fonts and art
(``spec.variant``). A logo also comes with its transparent mark, a PNG attached as
``Media.attachments["mark"]`` (stored beside the logo; ``meta["mark_artifact_id"]``).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from pydantic import BaseModel, Field

from ...errors import InvalidRequest
from ...types import ImageRequest, Media, MediaResult, Modality
from ..base import BackendOptions, MediaBackend, Progress
from ..hookspecs import hookimpl
from .spec import KINDS, LAYOUTS, DesignSpec, parse_size, resolve, validate_spec, variant

log = logging.getLogger(__name__)

__all__ = ["DesignBackend", "DesignOptions", "spec_from_prompt"]


class DesignOptions(BackendOptions):
    quality: int = Field(90, ge=1, le=100, description="JPEG and WebP quality")


def spec_from_prompt(prompt: str, kind: str = "poster") -> DesignSpec:
    """A spec without the LLM: the prompt (cut at a word boundary) is the headline."""
    text = " ".join(prompt.split())
    if len(text) > 80:
        cut = text[:79]
        text = (cut.rsplit(" ", 1)[0] if " " in cut[40:] else cut) + "…"
    return DesignSpec(kind=kind, headline=text)  # type: ignore[arg-type]


class DesignBackend(MediaBackend):
    id = "design"
    modality = Modality.image
    description = "zaowu design engine: posters, logos and cards from a design spec (offline, no weights)"
    licence = (
        "Apache-2.0 (icons: Lucide, ISC; illustrations: Fluent Emoji Flat, MIT, and Noto Emoji, Apache-2.0; "
        "fonts: Noto CJK OFL-1.1 and other OFL fonts from Debian)"
    )
    can_stream = False
    supports_edit = True  # a product photo (ImageRequest.image) is cut out and placed on a product card
    Options = DesignOptions

    def __init__(self, model, options=None):
        super().__init__(model, options)
        from . import fonts

        if missing := fonts.check_installed():
            log.warning("design engine fonts missing; install: apt-get install %s", " ".join(missing))
        else:
            fonts.warm_up()  # read every font's cmap once (about a second), not during the first render

    def generate(
        self, request: BaseModel, seed: int | None, progress: Progress | None = None, *, spec: Any = None
    ) -> MediaResult:
        from . import art, audit, icons, render

        assert isinstance(request, ImageRequest)
        spec_obj = self._spec(request, spec)
        width, height = parse_size(request.size, spec_obj.kind)
        cut = self._cutout(request, spec_obj)
        photo = cut.rgba() if cut is not None else None
        base_seed = 0 if seed is None else seed
        resolved = resolve(spec_obj, base_seed)
        media: list[Media] = []
        designs, images = [], []
        started = time.perf_counter()
        for i in range(request.n):
            s = base_seed + i
            design = render.compose(variant(resolved, i), width, height, s, photo=photo)
            image = design.image() if request.format != "svg" or request.n > 1 else None
            if request.format == "svg":
                data = render.to_svg(design.scene, title=design.spec.headline)
            else:
                data = render.encode(image, request.format, quality=self.options.quality)  # type: ignore
            shown = [a.name for a in design.scene.arts]
            meta = {
                "spec": design.spec.model_dump(exclude_none=True),
                "seed": s,
                "variant": i,
                "size": f"{width}x{height}",
                "format": request.format,
                "contrast": {b.name: round(b.contrast or 0.0, 2) for b in design.blocks},
                "icons": f"{icons.ICON_SET}, {icons.ICON_LICENCE}",
                "art": art.licence_of(shown),
                "checks": audit.audit(design, request.prompt),
            }
            if cut is not None:
                meta["cutout"] = cut.meta()
            item = Media(data=data, mime=render.FORMATS[request.format], meta=meta)
            if design.spec.kind == "logo":
                item.attachments["mark"] = Media(
                    data=render.encode(render.mark_image(design), "png"),
                    mime="image/png",
                    meta={"of": "logo", "seed": s, "variant": i},
                )
            media.append(item)
            designs.append(design)
            images.append(image)
            if progress:
                progress((i + 1) / request.n, f"rendered {i + 1}/{request.n}")
        if request.n > 1:
            distinct = audit.compare_variants(designs, images)
            for item in media:
                item.meta["checks"].append(distinct)
        log.debug("rendered %d design(s) in %.3f s", request.n, time.perf_counter() - started)
        return MediaResult(media=media, model=self.model.id, seed=base_seed, usage={"images": float(request.n)})

    def _cutout(self, request: ImageRequest, spec: DesignSpec):
        """The product cut out of ``request.image`` (None without one)."""
        if request.image is None:
            return None
        if request.mask is not None:
            raise InvalidRequest(
                "The design engine cuts the product out itself; send no mask (or upload the product "
                "as a transparent PNG).",
                param="mask",
            )
        if spec.kind != "product_card":
            raise InvalidRequest(
                f"A photo can be placed on a product card only, not a {spec.kind}; set kind to "
                "'product_card' or send no image.",
                param="image",
            )
        from ..vision.cutout import cutout

        return cutout(request.image, "auto")

    def _spec(self, request: ImageRequest, spec: Any) -> DesignSpec:
        if request.kind is not None and request.kind not in KINDS:
            raise InvalidRequest(f"Unknown kind '{request.kind}'. Use one of: {', '.join(KINDS)}.", param="kind")
        spec = spec if spec is not None else getattr(request, "spec", None)
        if spec is None:
            default = "product_card" if request.image is not None else "poster"
            return spec_from_prompt(request.prompt, request.kind or default)
        if isinstance(spec, DesignSpec):
            data = spec.model_dump(exclude_none=True)
        else:
            data = dict(spec)
        if request.kind is not None:
            data.setdefault("kind", request.kind)
        elif request.image is not None:  # a photo goes on a product card, whatever kind the LLM picked
            data["kind"] = "product_card"
            if data.get("layout") not in LAYOUTS["product_card"]:
                data.pop("layout", None)
        return validate_spec(data)


CATALOG_ENTRY = {
    "id": "design",
    "name": "zaowu design engine",
    "description": "Posters, logos, banners and product cards laid out by zaowu with real fonts and Lucide icons",
    "modality": "image",
    "backend": "design",
    "licence": DesignBackend.licence,
    "languages": ["zh", "en"],
    "source": {"kind": "builtin"},
}


@hookimpl
def register_backends(register):
    register(DesignBackend)


@hookimpl
def register_models(register):
    register(dict(CATALOG_ENTRY))
