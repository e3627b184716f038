"""The HTTP API: an app factory; the Studio is built once at startup onto app.state."""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from .. import __version__
from ..settings import Settings
from ..web.routes import router as web_router
from . import errors
from .guard import RequestGuard
from .inputs import valid_unicode
from .limits import BodyLimit, RefuseWhenBusy
from .routes_apps import router as apps_router
from .routes_assistants import router as assistants_router
from .routes_audio import router as audio_router
from .routes_cutout import router as cutout_router
from .routes_images import router as images_router
from .routes_jobs import router as jobs_router
from .routes_knowledge import FILES_PATH
from .routes_knowledge import router as knowledge_router
from .routes_minutes import MINUTES_RECORDING_PATH
from .routes_minutes import router as minutes_router
from .routes_openai import router as openai_router
from .routes_provenance import router as provenance_router
from .routes_safety import router as safety_router
from .routes_studio import router as studio_router
from .routes_video import VIDEO_EDITS_PATH
from .routes_video import router as video_router
from .routes_videos import router as videos_router

log = logging.getLogger(__name__)

MULTIPART_SLACK_BYTES = 64 << 10  # multipart headers and boundaries around an uploaded file


def create_app(settings: Settings | None = None, *, preload: bool = False) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from ..studio.engine import Studio

        studio = Studio(settings)
        try:
            studio.artifacts.blobs.check()  # an unreachable or missing bucket stops the server at start
        except RuntimeError:
            studio.close()
            raise
        app.state.studio = studio
        if settings.job_workers:
            studio.start_workers()
        if preload:
            threading.Thread(target=_preload, args=(studio,), daemon=True).start()
        try:
            yield
        finally:
            studio.close()

    app = FastAPI(title="zaowu", version=__version__, lifespan=lifespan, dependencies=[Depends(valid_unicode)])
    errors.install(app)
    app.add_middleware(RefuseWhenBusy)
    app.add_middleware(
        BodyLimit,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        upload_routes={
            VIDEO_EDITS_PATH: (settings.video_max_upload_bytes, "video_max_upload_bytes", "video"),
            FILES_PATH: (settings.kb_max_file_bytes + MULTIPART_SLACK_BYTES, "kb_max_file_bytes", "file"),
            MINUTES_RECORDING_PATH: (
                settings.minutes_max_upload_bytes + MULTIPART_SLACK_BYTES,
                "minutes_max_upload_bytes",
                "file",
            ),
        },
    )
    # outermost: requests for another host name or from another site are refused before anything else
    app.add_middleware(
        RequestGuard, allowed_hosts=[*settings.allowed_hosts, settings.host], allowed_origins=settings.allowed_origins
    )
    app.include_router(openai_router)
    app.include_router(jobs_router)
    app.include_router(knowledge_router)
    app.include_router(audio_router)
    app.include_router(images_router)
    app.include_router(minutes_router)
    app.include_router(apps_router)
    app.include_router(assistants_router)
    app.include_router(cutout_router)
    app.include_router(video_router)
    app.include_router(videos_router)
    app.include_router(studio_router)
    app.include_router(provenance_router)
    app.include_router(safety_router)
    app.include_router(web_router)

    @app.get("/health")
    async def health() -> dict:
        """Answered on the event loop from memory only, so it stays fast however busy the workers are."""
        studio = app.state.studio
        return {
            "status": "ok",
            "version": __version__,
            "loaded_models": list(studio._loaded),
            "queues": studio.admission.snapshot(),
        }

    return app


def _preload(studio) -> None:
    """Load the default chat model in the background so the first request does not wait."""
    from ..errors import ZaowuError
    from ..types import Modality

    try:
        studio.load(None, Modality.text)
    except ZaowuError as exc:
        log.warning("default model not preloaded: %s", exc.message)
