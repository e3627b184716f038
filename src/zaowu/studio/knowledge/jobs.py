"""The ``kb_ingest`` job: read, chunk, embed and index files already attached to a vector store,
reporting progress per file; a file that fails is marked failed and the others go on."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ...hookspecs import hookimpl
from ..jobs import JobContext, JobKind

MAX_FILES_PER_BATCH = 500


class IngestJob(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vector_store_id: str = Field(max_length=40)
    file_ids: list[str] = Field(min_length=1, max_length=MAX_FILES_PER_BATCH)


def _run_ingest(ctx: JobContext, request: IngestJob) -> dict[str, Any]:
    kb = ctx.studio.knowledge
    ctx.progress(0.0, "reading files", force=True)
    return kb.ingest(request.vector_store_id, request.file_ids, who=ctx.who, progress=ctx.progress)


@hookimpl
def register_job_kinds(register):
    register(
        JobKind(
            name="kb_ingest",
            run=_run_ingest,
            request_model=IngestJob,
            scope="text",
            group=lambda r: "kb_ingest",
            resumable=True,
            description="add files to a vector store: parse, chunk, embed and index each (per-file status)",
        )
    )
