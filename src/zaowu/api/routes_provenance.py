"""POST /v1/provenance/verify: the labels a file carries (multipart field ``file``).

Answers the report of ``Studio.verify``: the implicit AIGC fields and where they were found, the
explicit label where it can be checked, the watermark and C2PA parts, the matching generation
log row when the file is ours, and the list of labels missing. Any valid key may verify.
"""

from __future__ import annotations

from fastapi import APIRouter, File, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from ..errors import InvalidRequest
from ..studio.keys import Principal
from ..studio.provenance.labels import MAX_VERIFY_BYTES
from .auth import scope

router = APIRouter(prefix="/v1/provenance")


@router.post("/verify")
async def verify_route(
    request: Request,
    file: UploadFile = File(..., description="any file: image, audio, video, text, office document, PDF"),
    principal: Principal = scope(None),
):
    limit = min(MAX_VERIFY_BYTES, request.app.state.studio.settings.max_upload_bytes)
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise InvalidRequest(f"The file is larger than {limit >> 20} MiB; verify a smaller one.", param="file")
    if not data:
        raise InvalidRequest("The uploaded file is empty; send the file to verify as 'file'.", param="file")
    studio = request.app.state.studio
    return await run_in_threadpool(studio.verify, data, file.filename, key_id=principal.key_id)
