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

from ..backends.vision.images import MAX_BYTES
from ..errors import InvalidRequest
from ..studio.keys import Principal
from .auth import caller_name, scope

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
    from ..backends.vision.cutout import cutout

    data = await image.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise InvalidRequest(f"The image is larger than {MAX_BYTES >> 20} MiB; upload a smaller one.", param="image")
    result = await run_in_threadpool(cutout, data, kind)
    png = await run_in_threadpool(lambda: result.png)
    studio = request.app.state.studio
    row = studio.artifacts.put(png, "image/png", name="cutout.png", caller=caller_name(principal, request, user),
                               key_id=principal.key_id, meta={"cutout": result.meta()})  # fmt: skip
    if response_format == "png":
        headers = {"X-Zaowu-Cutout-Kind": result.kind, "X-Zaowu-Artifact-Id": row["id"]}
        return Response(png, media_type="image/png", headers=headers)
    return {**result.meta(), "artifact_id": row["id"], "url": f"/v1/artifacts/{row['id']}",
            "b64_json": base64.b64encode(png).decode("ascii")}  # fmt: skip
