"""Images: POST /v1/images/generations (OpenAI-compatible, plus zaowu's seed, kind,
format and spec). The offline default is the design engine: the LLM writes a
design spec, zaowu lays it out and renders it; the spec comes back so a design can
be edited and re-rendered."""

from __future__ import annotations

import base64
import time
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ..studio.design import design_image
from ..studio.keys import Principal
from ..types import ImageRequest
from .auth import caller_name, scope
from .routes_jobs import accepted_job

router = APIRouter(prefix="/v1/images")


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
    req = ImageRequest(model=body.model, prompt=body.prompt, n=body.n, size=body.size, seed=body.seed, kind=body.kind,
                       format=body.format, spec=body.spec)  # fmt: skip
    who = {"interface": "api", "caller": caller_name(principal, request, body.user), "key_id": principal.key_id}
    if body.async_:
        body_ = req.model_dump(mode="json", exclude={"image", "mask"})
        return await accepted_job(studio, "image", body_, who["caller"], who["key_id"])
    result = await run_in_threadpool(lambda: design_image(studio, req, **who))
    data = []
    for media in result.media:
        item: dict[str, Any] = {"url": f"/v1/artifacts/{media.meta['artifact_id']}", "revised_prompt": None,
                                "artifact_id": media.meta["artifact_id"], "seed": media.meta.get("seed"),
                                "spec": media.meta.get("spec"), "size": media.meta.get("size")}  # fmt: skip
        if body.response_format == "b64_json":
            item["b64_json"] = base64.b64encode(media.data).decode("ascii")
        data.append(item)
    return {"created": int(time.time()), "data": data, "model": result.model, "generation_id": result.generation_id}
