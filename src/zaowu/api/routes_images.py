"""Images: POST /v1/images/generations (OpenAI-compatible, plus zaowu's seed, kind,
format and spec) and POST /v1/images/edits (OpenAI-compatible multipart, for models
whose backend can edit: diffusers, remote OpenAI-compatible servers). The offline
default is the design engine: the LLM writes a design spec, zaowu lays it out and
renders it; the spec comes back so a design can be edited and re-rendered."""

from __future__ import annotations

import base64
import time
from typing import Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from ..errors import InvalidRequest
from ..studio.keys import Principal
from ..types import ImageRequest, MediaResult, Modality
from .auth import api_caller, scope
from .disconnect import until_disconnected
from .routes_jobs import accepted_job

router = APIRouter(prefix="/v1/images")

MAX_UPLOAD = 50 << 20


class ImageBody(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    prompt: str = Field(min_length=1, max_length=4000)
    model: str | None = None
    n: int = Field(1, ge=1, le=16)
    size: str = Field("1024x1024", description="WxH, or a ratio: 1:1, 3:4, 9:16, 16:9, logo")
    quality: Literal["standard", "hd", "low", "medium", "high", "auto"] | None = None
    style: str | None = None
    response_format: Literal["url", "b64_json"] = "url"
    user: str | None = None
    seed: int | None = Field(None, ge=0, le=2**31 - 1)
    kind: str | None = Field(None, description="poster, logo, banner, social_post, product_card, storefront_header")
    format: Literal["png", "webp", "jpeg", "svg"] = "png"
    spec: dict[str, Any] | None = Field(None, description="a design spec from an earlier answer, edited")
    async_: bool = Field(False, alias="async")


@router.post("/generations")
async def generations(request: Request, body: ImageBody, principal: Principal = scope("image")):
    studio = request.app.state.studio
    req = ImageRequest(
        model=body.model,
        prompt=body.prompt,
        n=body.n,
        size=body.size,
        seed=body.seed,
        kind=body.kind,
        format=body.format,
        spec=body.spec,
    )
    who = api_caller(principal, request, body.user)
    if body.async_:
        body_ = req.model_dump(mode="json", exclude={"image", "mask"})
        return await accepted_job(studio, "image", body_, who)
    studio.admission.precheck(req.model or studio.default_model(Modality.image))  # busy: 503 now
    result = await until_disconnected(request, lambda: studio.generate_media(req, who=who))
    return _images_json(result, body.response_format)


def _images_json(result: MediaResult, response_format: str) -> dict[str, Any]:
    data = []
    for media in result.media:
        item: dict[str, Any] = {
            "url": f"/v1/artifacts/{media.meta['artifact_id']}",
            "revised_prompt": None,
            "artifact_id": media.meta["artifact_id"],
            "seed": media.meta.get("seed"),
            "spec": media.meta.get("spec"),
            "size": media.meta.get("size"),
        }
        if "checks" in media.meta:
            item["checks"] = media.meta["checks"]
        if mark := media.meta.get("mark_artifact_id"):  # a logo's transparent mark
            item["mark"] = {"url": f"/v1/artifacts/{mark}", "artifact_id": mark}
        if response_format == "b64_json":
            item["b64_json"] = base64.b64encode(media.data).decode("ascii")
        data.append(item)
    return {"created": int(time.time()), "data": data, "model": result.model, "generation_id": result.generation_id}


async def _upload(studio, file: UploadFile | None, param: str) -> bytes | None:
    """An uploaded image's bytes, checked to be an image Pillow reads (400 naming ``param``)."""
    if file is None:
        return None
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise InvalidRequest(f"'{param}' is larger than {MAX_UPLOAD >> 20} MB.", param=param)
    if not data:
        raise InvalidRequest(f"The uploaded '{param}' is empty.", param=param)
    await run_in_threadpool(studio.check_image, data, param)
    return data


@router.post("/edits")
async def edits(
    request: Request,
    image: UploadFile = File(..., description="the image to edit (PNG, JPEG, WebP)"),
    prompt: str = Form(..., min_length=1, max_length=4000),
    mask: UploadFile | None = File(None, description="where to edit: transparent (or white on black) areas"),
    model: str | None = Form(None),
    n: int = Form(1, ge=1, le=16),
    size: str = Form("1024x1024"),
    response_format: Literal["url", "b64_json"] = Form("url"),
    negative_prompt: str | None = Form(None),
    seed: int | None = Form(None, ge=0, le=2**31 - 1),
    format: Literal["png", "webp", "jpeg"] = Form("png"),
    kind: str | None = Form(None, description="design engine: product_card places the photo on a card"),
    user: str | None = Form(None),
    principal: Principal = scope("image"),
):
    """OpenAI-compatible image edits (multipart) on models whose backend can edit
    (``supports_edit``): diffusers does image-to-image without a mask and inpainting with
    one; the design engine places a product photo on a product card."""
    studio = request.app.state.studio
    source, mask_bytes = await _upload(studio, image, "image"), await _upload(studio, mask, "mask")
    try:
        req = ImageRequest(
            model=model,
            prompt=prompt,
            negative_prompt=negative_prompt,
            n=n,
            size=size,
            seed=seed,
            format=format,
            kind=kind,
            image=source,
            mask=mask_bytes,
        )
    except ValidationError as exc:
        raise InvalidRequest.from_validation(exc) from None
    who = api_caller(principal, request, user)
    result = await until_disconnected(request, lambda: studio.generate_media(req, who=who))
    return _images_json(result, response_format)
