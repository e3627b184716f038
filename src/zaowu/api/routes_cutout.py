"""POST /v1/images/cutout: a product or person cut out of an uploaded photo.

Multipart fields: ``image`` (the photo), ``kind`` (auto, person or object) and
``response_format`` (``png``: the RGBA PNG itself; ``b64_json``: JSON with the PNG
in base64 and what was found). The cut-out is stored as an artifact either way.

To put the product on a designed card instead, send the photo to
POST /v1/images/edits with ``model=design`` (or ``ImageRequest(image=...,
kind="product_card")`` from Python).
"""

from __future__ import annotations

import base64
from typing import Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ..errors import InvalidRequest
from ..studio.keys import Principal
from ..studio.photos import MAX_PHOTO_BYTES
from .auth import api_caller, scope

router = APIRouter(prefix="/v1/images")


@router.post("/cutout")
async def cutout_route(
    request: Request,
    image: UploadFile = File(..., description="the photo: PNG, JPEG, WebP, BMP, TIFF or GIF"),
    kind: str = Form("auto", description="auto, person or object"),
    response_format: Literal["png", "b64_json"] = Form("png"),
    user: str | None = Form(None),
    principal: Principal = scope("image"),
):
    data = await image.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise InvalidRequest(
            f"The image is larger than {MAX_PHOTO_BYTES >> 20} MiB; upload a smaller one.", param="image"
        )
    studio = request.app.state.studio
    who = api_caller(principal, request, user)
    result = await run_in_threadpool(studio.cutout, data, kind, who=who)
    if response_format == "png":
        headers = {
            "X-Zaowu-Cutout-Kind": result.kind,
            "X-Zaowu-Artifact-Id": result.artifact_id,
            "X-Zaowu-Generation-Id": result.generation_id,
        }
        return Response(result.png, media_type="image/png", headers=headers)
    return {
        **result.meta,
        "artifact_id": result.artifact_id,
        "url": f"/v1/artifacts/{result.artifact_id}",
        "generation_id": result.generation_id,
        "b64_json": base64.b64encode(result.png).decode("ascii"),
    }
