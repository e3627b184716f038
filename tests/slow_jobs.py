"""A plugin for tests: a job kind whose duration, progress and artifacts are
controlled by its request, registered through the real ``register_job_kinds`` hook
(loaded in servers via the ``plugins`` setting)."""

from __future__ import annotations

import time

from pydantic import BaseModel, ConfigDict, Field

from zaowu.hookspecs import hookimpl
from zaowu.studio.jobs import JobKind


class Steps(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: int = Field(5, ge=1, le=1000)
    step_seconds: float = Field(0.05, ge=0, le=5)
    group: str = "steps"
    fail_at: int | None = None
    label: str = ""


def run_steps(ctx, req: Steps):
    for i in range(req.steps):
        if req.fail_at == i:
            raise RuntimeError(f"failed at step {i}")
        time.sleep(req.step_seconds)
        ctx.progress((i + 1) / req.steps, f"step {i + 1}/{req.steps}", force=True)
        if i == 0:
            ctx.artifact(b"first step done", "text/plain", name="step1.txt")  # an intermediate artifact
    art = ctx.artifact(f"{req.label} done after {req.steps} steps".encode(), "text/plain", name="final.txt")
    return {"label": req.label, "artifacts": [art["id"]]}


@hookimpl
def register_job_kinds(register):
    register(
        JobKind(
            name="steps",
            run=run_steps,
            request_model=Steps,
            scope="text",
            group=lambda r: r.group,
            description="test job: sleeps in steps",
        )
    )
