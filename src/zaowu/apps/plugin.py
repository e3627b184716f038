"""The built-in apps, their workflow steps and the ``app``/``workflow`` job kinds, registered
through the same hooks a third-party package uses."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..hookspecs import hookimpl
from ..studio.jobs import JobContext, JobKind
from ..studio.workflows import get_run, load_workflow, resume_workflow, run_for_job, run_workflow
from .base import resume_app, run_app
from .business_plan import BusinessPlan, BusinessPlanFiles, BusinessPlanReview
from .copywriter import Copywriter, WriteVariants
from .customer_service import CustomerService, Reply
from .meeting_minutes import ExtractMinutes, MeetingMinutes, MinutesFiles, TranscribeMeeting
from .office_docs import ComposePlan, OfficeDocs, RepairPlan, VerifyFile
from .presenter import Presenter, RenderPresenter
from .search import Answer, Search
from .store_kit import Brand, BuildSite, CopyTexts, ProductCards, StoreKit, StoreTheme
from .video_ad import VideoAd, VideoAdStep


class AppJob(BaseModel):
    model_config = ConfigDict(extra="forbid")

    app: str = Field(min_length=1)
    input: dict[str, Any] = Field(default_factory=dict)
    model: str | None = None
    seed: int | None = Field(None, ge=0, le=2**31 - 1)


class WorkflowJob(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workflow: dict[str, Any] | str
    inputs: dict[str, Any] = Field(default_factory=dict)
    model: str | None = None
    seed: int | None = Field(None, ge=0, le=2**31 - 1)


def _earlier_run(ctx: JobContext) -> str | None:
    """The run this job started before its worker died, to resume instead of starting over."""
    run = run_for_job(ctx.studio, ctx.job_id)
    return None if run is None else run.id


def _run_app_job(ctx: JobContext, request: AppJob) -> dict[str, Any]:
    if (earlier := _earlier_run(ctx)) is not None:
        return resume_app(ctx.studio, earlier, job=ctx).to_dict()
    return run_app(
        ctx.studio, request.app, request.input, model=request.model, seed=request.seed, job=ctx, who=ctx.who
    ).to_dict()


def _run_workflow_job(ctx: JobContext, request: WorkflowJob) -> dict[str, Any]:
    if (earlier := _earlier_run(ctx)) is not None:
        run = resume_workflow(ctx.studio, earlier, job=ctx)
    else:
        run = run_workflow(
            ctx.studio,
            load_workflow(request.workflow),
            request.inputs,
            seed=request.seed,
            model=request.model,
            job=ctx,
            who=ctx.who,
        )
    run = get_run(ctx.studio, run.id)
    return {"run_id": run.id, **run.to_dict()}


@hookimpl
def register_apps(register):
    for app in (
        Copywriter,
        BusinessPlan,
        OfficeDocs,
        StoreKit,
        CustomerService,
        Search,
        VideoAd,
        MeetingMinutes,
        Presenter,
    ):
        register(app)


@hookimpl
def register_workflow_steps(register):
    for step in (
        BusinessPlanFiles,
        BusinessPlanReview,
        RepairPlan,
        ComposePlan,
        VerifyFile,
        Brand,
        CopyTexts,
        ProductCards,
        BuildSite,
        StoreTheme,
        WriteVariants,
        Reply,
        Answer,
        VideoAdStep,
        RenderPresenter,
        TranscribeMeeting,
        ExtractMinutes,
        MinutesFiles,
    ):
        register(step)


@hookimpl
def register_job_kinds(register):
    register(JobKind("app", _run_app_job, AppJob, scope="text", description="Run an app (a typed workflow)"))
    register(JobKind("workflow", _run_workflow_job, WorkflowJob, scope="text", description="Run a workflow graph"))
