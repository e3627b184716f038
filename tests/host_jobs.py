"""A plugin for tests and benches of workers on many hosts: cheap job kinds registered through the real
``register_job_kinds`` hook (loaded by ``zaowu worker`` processes via the ``plugins`` setting).

- ``tick`` and ``tock``: sleep ``seconds`` (``first_seconds`` on the first attempt, when set) in progress
  steps, then return which worker process ran them and in which attempt;
- ``once``: the same, but it cannot resume: a dead worker's ``once`` job fails instead of running again.
"""

from __future__ import annotations

import os
import time

from pydantic import BaseModel, ConfigDict, Field

from zaowu.hookspecs import hookimpl
from zaowu.studio.jobs import JobContext, JobKind

STEP_SECONDS = 0.1  # a running job reports progress (and so notices a cancel or a lost claim) this often


class Tick(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seconds: float = Field(0.0, ge=0, le=600)
    first_seconds: float | None = Field(None, ge=0, le=600)
    group: str = "ticks"
    label: str = ""


def run_tick(ctx: JobContext, req: Tick) -> dict:
    seconds = req.first_seconds if req.first_seconds is not None and ctx.attempt == 1 else req.seconds
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(STEP_SECONDS, left))
        ctx.progress(1 - max(0.0, deadline - time.monotonic()) / seconds, force=True)
    return {"label": req.label, "pid": os.getpid(), "attempt": ctx.attempt}


@hookimpl
def register_job_kinds(register):
    for name, resumable in (("tick", True), ("tock", True), ("once", False)):
        register(
            JobKind(
                name=name,
                run=run_tick,
                request_model=Tick,
                scope="text",
                group=lambda r: r.group,
                resumable=resumable,
                description="test job: sleeps, then says which worker ran it",
            )
        )
