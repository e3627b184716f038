"""The ``pull`` job kind: install a catalog model in the background, with the
download and assembly progress reported as job progress (used by the studio's
Settings page through POST /v1/models/pull)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..hookspecs import hookimpl
from .jobs import JobContext, JobKind


class PullJob(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1, max_length=200, description="a catalog model id")


def _run_pull(ctx: JobContext, request: PullJob) -> dict[str, Any]:
    catalog = ctx.studio.catalog
    catalog.get(request.model)  # an unknown id fails before anything is downloaded
    ctx.progress(0.0, f"pulling {request.model}", force=True)
    path = catalog.pull(request.model, progress=lambda f, m: ctx.progress(f, m, force=True))
    return {"model": request.model, "path": str(path)}


@hookimpl
def register_job_kinds(register):
    register(
        JobKind(
            name="pull",
            run=_run_pull,
            request_model=PullJob,
            scope="admin",
            group=lambda r: "pull",
            description="install a catalog model; progress while downloading",
        )
    )
