"""Serves the web studio: ``/`` is the single page, ``/static/...`` its files
(plain HTML, CSS and JavaScript modules, translations as JSON). Nothing is
built or fetched from elsewhere; the studio talks to the same HTTP API as any
other client. The routes are async: a page costs a stat on the event loop and
FileResponse's short reads, never a worker thread held for the whole request."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from ..errors import NotFound

__all__ = ["router", "STATIC"]

STATIC = Path(__file__).parent / "static"
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".html": "text/html; charset=utf-8",
}

router = APIRouter(include_in_schema=False)


@router.get("/")
async def index() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type=_TYPES[".html"], headers={"Cache-Control": "no-cache"})


@router.get("/static/{path:path}")
async def static(path: str) -> FileResponse:
    """A file of the studio; revalidated by ETag so an upgraded zaowu never serves stale scripts."""
    root = STATIC.resolve()
    target = (root / path).resolve()
    if root not in target.parents or not target.is_file():
        raise NotFound(f"No studio file '{path}'.", param="path")
    mime = _TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return FileResponse(target, media_type=mime, headers={"Cache-Control": "no-cache"})
