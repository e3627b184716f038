"""OpenAI's Files and Vector Stores API over the studio's knowledge bases, so the official SDK works
unchanged: /v1/files, /v1/vector_stores, their files and file batches (ingest jobs), and search.

Keys see only their own files and stores (another key's are 404). Uploaded bytes are never served
back: there is no content route, so an uploaded HTML or SVG can never run in a browser."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ..errors import InvalidRequest, NotFound
from ..studio.keys import Principal
from .auth import api_caller, scope

router = APIRouter(prefix="/v1")
FILES_PATH = "/v1/files"  # where uploads go (BodyLimit gives it kb_max_file_bytes)
SCOPE = "text"  # knowledge is text work: the same scope as chat and embeddings


def _kb(request: Request):
    return request.app.state.studio.knowledge


def file_json(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "object": "file",
        "bytes": row["bytes"],
        "created_at": int(row["created_at"]),
        "filename": row["filename"],
        "purpose": row["purpose"],
        "status": "processed",
        "expires_at": None,
        "status_details": None,
    }


def store_json(kb, row: dict[str, Any]) -> dict[str, Any]:
    counts = kb.counts(row["id"])
    used = counts.pop("usage_bytes")
    return {
        "id": row["id"],
        "object": "vector_store",
        "created_at": int(row["created_at"]),
        "name": row["name"],
        "usage_bytes": used,
        "file_counts": counts,
        "status": "in_progress" if counts["in_progress"] else "completed",
        "last_active_at": int(row["last_active_at"] or row["created_at"]),
        "metadata": row["metadata"] or {},
        "expires_after": None,
        "expires_at": None,
    }


def store_file_json(row: dict[str, Any]) -> dict[str, Any]:
    error = None
    if row["status"] == "failed":
        # OpenAI's codes; zaowu's own reason (encrypted, empty, too_large...) is in the message
        code = row["error_code"] if row["error_code"] in ("unsupported_file", "invalid_file") else "invalid_file"
        error = {"code": code, "message": row["error"], "reason": row["error_code"]}
    return {
        "id": row["file_id"],
        "object": "vector_store.file",
        "usage_bytes": row["usage_bytes"],
        "created_at": int(row["created_at"]),
        "vector_store_id": row["store_id"],
        "status": row["status"],
        "last_error": error,
        "attributes": row["attributes"] or {},
        "chunking_strategy": {"type": "auto"},
        "filename": row["filename"],
        "chunks": row["chunks"],
        "pages": row["pages"],
    }


def _page(data: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": False,
    }


# ---------------------------------------------------------------- files
@router.post("/files")
async def upload_file(
    request: Request,
    file: UploadFile = File(..., description="a PDF, DOCX, XLSX, PPTX, HTML, Markdown, TXT or CSV document"),
    purpose: str = Form(...),
    principal: Principal = scope(SCOPE),
) -> dict[str, Any]:
    limit = request.app.state.studio.settings.kb_max_file_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise InvalidRequest(f"The file is larger than kb_max_file_bytes={limit}.", param="file")
    who = api_caller(principal, request)
    row = await run_in_threadpool(_kb(request).add_file, data, file.filename or "", purpose=purpose, who=who)
    return file_json(row)


@router.get("/files")
def list_files(request: Request, purpose: str | None = None, principal: Principal = scope(SCOPE)) -> dict[str, Any]:
    rows = _kb(request).files(principal)
    return _page([file_json(r) for r in rows if purpose is None or r["purpose"] == purpose])


@router.get("/files/{file_id}")
def get_file(request: Request, file_id: str, principal: Principal = scope(SCOPE)) -> dict[str, Any]:
    return file_json(_kb(request).file(file_id, principal))


@router.delete("/files/{file_id}")
def delete_file(request: Request, file_id: str, principal: Principal = scope(SCOPE)) -> dict[str, Any]:
    _kb(request).delete_file(file_id, principal)
    return {"id": file_id, "object": "file", "deleted": True}


# ---------------------------------------------------------------- vector stores
class StoreCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")  # chunking_strategy, expires_after: accepted, not used

    name: str | None = Field(None, max_length=255)
    file_ids: list[str] = Field(default_factory=list, max_length=500)
    metadata: dict[str, str] | None = Field(None, max_length=16)


class StoreFileCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    file_id: str = Field(max_length=40)
    attributes: dict[str, str | int | float | bool] | None = None


class BatchCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    file_ids: list[str] = Field(min_length=1, max_length=500)
    attributes: dict[str, str | int | float | bool] | None = None


class SearchBody(BaseModel):
    model_config = ConfigDict(extra="ignore")  # rewrite_query, ranking_options

    query: str | list[str]
    max_num_results: int = Field(10, ge=1, le=50)
    filters: dict[str, Any] | None = None


def _ingest(request: Request, principal: Principal, store_id: str, file_ids: list[str], attributes) -> dict:
    """Attach files to a store and queue their ingest job; the job's id is the file batch's id."""
    studio = request.app.state.studio
    kb = studio.knowledge
    kb.attach(store_id, file_ids, attributes=attributes, viewer=principal)  # in_progress before the job can run
    who = api_caller(principal, request)
    job = studio.jobs.submit(
        "kb_ingest", {"vector_store_id": store_id, "file_ids": file_ids}, caller=who.name, key_id=who.key_id
    )
    kb.set_batch(store_id, file_ids, job["id"])
    return job


@router.post("/vector_stores")
def create_store(request: Request, body: StoreCreate, principal: Principal = scope(SCOPE)) -> dict[str, Any]:
    kb = _kb(request)
    row = kb.create_store(body.name, body.metadata, who=api_caller(principal, request))
    if body.file_ids:
        _ingest(request, principal, row["id"], body.file_ids, None)
    return store_json(kb, row)


@router.get("/vector_stores")
def list_stores(request: Request, principal: Principal = scope(SCOPE)) -> dict[str, Any]:
    kb = _kb(request)
    return _page([store_json(kb, r) for r in kb.stores(principal)])


@router.get("/vector_stores/{store_id}")
def get_store(request: Request, store_id: str, principal: Principal = scope(SCOPE)) -> dict[str, Any]:
    kb = _kb(request)
    return store_json(kb, kb.store(store_id, principal))


@router.delete("/vector_stores/{store_id}")
def delete_store(request: Request, store_id: str, principal: Principal = scope(SCOPE)) -> dict[str, Any]:
    _kb(request).delete_store(store_id, principal)
    return {"id": store_id, "object": "vector_store.deleted", "deleted": True}


@router.post("/vector_stores/{store_id}/files")
def add_store_file(
    request: Request, store_id: str, body: StoreFileCreate, principal: Principal = scope(SCOPE)
) -> dict[str, Any]:
    _ingest(request, principal, store_id, [body.file_id], body.attributes)
    return store_file_json(_kb(request).store_file(store_id, body.file_id, principal))


@router.get("/vector_stores/{store_id}/files")
def list_store_files(
    request: Request,
    store_id: str,
    filter: Literal["in_progress", "completed", "failed", "cancelled"] | None = None,
    principal: Principal = scope(SCOPE),
) -> dict[str, Any]:
    rows = _kb(request).store_files(store_id, principal, status=filter)
    return _page([store_file_json(r) for r in rows])


@router.get("/vector_stores/{store_id}/files/{file_id}")
def get_store_file(request: Request, store_id: str, file_id: str, principal: Principal = scope(SCOPE)):
    return store_file_json(_kb(request).store_file(store_id, file_id, principal))


@router.get("/vector_stores/{store_id}/files/{file_id}/content")
def store_file_content(
    request: Request, store_id: str, file_id: str, limit: int = 100, principal: Principal = scope(SCOPE)
) -> dict[str, Any]:
    """The file's chunks as the store holds them (text, page or sheet, heading path), in order."""
    kb = _kb(request)
    row = kb.store_file(store_id, file_id, principal)
    chunks = kb.chunks(store_id, file_id, principal, limit=max(1, min(limit, 1000)))
    return {
        "file_id": file_id,
        "filename": row["filename"],
        "attributes": row["attributes"] or {},
        "content": [{"type": "text", **c} for c in chunks],
    }


@router.delete("/vector_stores/{store_id}/files/{file_id}")
def remove_store_file(request: Request, store_id: str, file_id: str, principal: Principal = scope(SCOPE)):
    _kb(request).remove_from_store(store_id, file_id, principal)
    return {"id": file_id, "object": "vector_store.file.deleted", "deleted": True}


def _batch_json(kb, store_id: str, job: dict[str, Any], principal: Principal) -> dict[str, Any]:
    files = [r for r in kb.store_files(store_id, principal) if r["batch_id"] == job["id"]]
    counts = {s: sum(1 for r in files if r["status"] == s) for s in ("in_progress", "completed", "failed", "cancelled")}
    counts["total"] = len(files)
    if job["state"] == "cancelled":
        status = "cancelled"
    elif counts["in_progress"] and job["state"] != "failed":
        status = "in_progress"
    else:
        status = "failed" if job["state"] == "failed" else "completed"
    return {
        "id": job["id"],
        "object": "vector_store.files_batch",
        "created_at": int(job["created_at"]),
        "vector_store_id": store_id,
        "status": status,
        "file_counts": counts,
        "progress": job["progress"],
    }


def _batch_job(request: Request, store_id: str, batch_id: str, principal: Principal) -> dict[str, Any]:
    try:
        job = request.app.state.studio.jobs.get(batch_id)
    except NotFound:
        job = None
    if job is None or job["kind"] != "kb_ingest" or not principal.can_see(job["key_id"]):
        raise NotFound(f"No file batch '{batch_id}'.", param="batch_id")
    if job["request"].get("vector_store_id") != store_id:
        raise NotFound(f"The vector store '{store_id}' has no file batch '{batch_id}'.", param="batch_id")
    return job


@router.post("/vector_stores/{store_id}/file_batches")
def create_batch(request: Request, store_id: str, body: BatchCreate, principal: Principal = scope(SCOPE)):
    job = _ingest(request, principal, store_id, list(dict.fromkeys(body.file_ids)), body.attributes)
    return _batch_json(_kb(request), store_id, request.app.state.studio.jobs.get(job["id"]), principal)


@router.get("/vector_stores/{store_id}/file_batches/{batch_id}")
def get_batch(request: Request, store_id: str, batch_id: str, principal: Principal = scope(SCOPE)):
    job = _batch_job(request, store_id, batch_id, principal)
    return _batch_json(_kb(request), store_id, job, principal)


@router.get("/vector_stores/{store_id}/file_batches/{batch_id}/files")
def list_batch_files(request: Request, store_id: str, batch_id: str, principal: Principal = scope(SCOPE)):
    _batch_job(request, store_id, batch_id, principal)
    rows = [r for r in _kb(request).store_files(store_id, principal) if r["batch_id"] == batch_id]
    return _page([store_file_json(r) for r in rows])


@router.post("/vector_stores/{store_id}/search")
async def search(request: Request, store_id: str, body: SearchBody, principal: Principal = scope(SCOPE)):
    query = " ".join(body.query) if isinstance(body.query, list) else body.query
    who = api_caller(principal, request)
    hits = await run_in_threadpool(
        _kb(request).search,
        [store_id],
        query,
        max_results=body.max_num_results,
        filters=body.filters,
        viewer=principal,
        who=who,
    )
    return {
        "object": "vector_store.search_results.page",
        "search_query": [query],
        "data": [
            {
                "file_id": h.file_id,
                "filename": h.filename,
                "score": h.score,
                "attributes": h.attributes,
                "content": [{"type": "text", "text": h.text}],
                "page": h.page,
                "sheet": h.sheet,
                "heading_path": h.heading_path,
                "start": h.start,
                "end": h.end,
            }
            for h in hits
        ],
        "has_more": False,
        "next_page": None,
    }
