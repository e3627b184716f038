"""Templates, apps and workflows over HTTP (zaowu's own endpoints, thin over the Python API).

GET  /v1/templates[?category=]          GET /v1/templates/{id}
POST /v1/templates/{id}/run             {"variables", "language", "model", "seed", "stream"}
GET  /v1/apps                           GET /v1/apps/{id}
POST /v1/apps/{id}                      {"input", "model", "seed", "async"} → result, or 202 + job
POST /v1/workflows/run                  {"workflow" (object or YAML), "inputs", "model", "seed", "async"}
GET  /v1/workflows/steps                GET /v1/workflows/runs[?app=]   GET /v1/workflows/runs/{id}
POST /v1/workflows/runs/{id}/resume
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ..apps.base import get_app, list_apps, resume_app, run_app
from ..errors import InvalidRequest, NotFound, ZaowuError
from ..studio.keys import Principal
from ..studio.templates import CATEGORIES, check_template_output, prepare_template_run, run_template
from ..studio.workflows import check_scopes, get_run, list_runs, load_workflow, resume_workflow, run_workflow
from .auth import api_caller, caller_name, scope
from .disconnect import until_disconnected
from .routes_jobs import accepted_job
from .streaming import ThreadedStream

router = APIRouter(prefix="/v1")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class TemplateRunBody(_Body):
    variables: dict[str, Any] = Field(default_factory=dict)
    language: Literal["zh", "en"] | None = None
    model: str | None = None
    seed: int | None = Field(None, ge=0, le=2**31 - 1)
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1, le=8192)
    stream: bool = False


class AppRunBody(_Body):
    input: dict[str, Any] = Field(default_factory=dict)
    model: str | None = None
    seed: int | None = Field(None, ge=0, le=2**31 - 1)
    async_: bool = Field(False, alias="async")


class WorkflowRunBody(_Body):
    workflow: dict[str, Any] | str
    inputs: dict[str, Any] = Field(default_factory=dict)
    model: str | None = None
    seed: int | None = Field(None, ge=0, le=2**31 - 1)
    async_: bool = Field(False, alias="async")


# ---------------------------------------------------------------- templates


@router.get("/templates")
def templates(request: Request, category: str | None = None, principal: Principal = scope(None)) -> dict[str, Any]:
    if category is not None and category not in CATEGORIES:
        raise InvalidRequest(f"Unknown category '{category}'. Use one of: {', '.join(CATEGORIES)}.", param="category")
    library = request.app.state.studio.templates
    return {
        "object": "list",
        "data": [t.summary() for t in library.list(category)],
        "problems": [str(p) for p in library.problems],
    }


@router.get("/templates/{template_id}")
def template(request: Request, template_id: str, principal: Principal = scope(None)) -> dict[str, Any]:
    return request.app.state.studio.templates.get(template_id).detail()


@router.post("/templates/{template_id}/run")
async def run_template_route(
    request: Request, template_id: str, body: TemplateRunBody, principal: Principal = scope("text")
):
    studio = request.app.state.studio
    who = api_caller(principal, request)
    overrides = {"model": body.model, "seed": body.seed, "temperature": body.temperature, "max_tokens": body.max_tokens}
    if not body.stream:
        result = await until_disconnected(
            request, run_template, studio, template_id, body.variables, language=body.language, who=who, **overrides
        )
        return result.to_dict()
    tpl, rendered, text_request = await run_in_threadpool(
        prepare_template_run, studio, template_id, body.variables, language=body.language, **overrides
    )
    stream = await run_in_threadpool(studio.stream, text_request, who=who.named(f"template:{tpl.id}"))
    chunks = ThreadedStream(stream)
    first = await chunks.next()  # errors before any output keep their status code

    async def events():
        item = first
        try:
            yield _sse(
                {
                    "template": tpl.id,
                    "language": rendered.language,
                    "model": stream.model,
                    "seed": stream.seed,
                    "generation_id": stream.generation_id,
                }
            )
            while item is not None:
                if item.text:
                    yield _sse({"delta": item.text})
                item = await chunks.next()
            if stream.violation is not None:
                raise stream.violation
            # the deltas were the model's raw text; the checks (no regeneration) give the final one
            text, output, checks, _ = check_template_output(rendered, stream.text, stream.parsed)
            yield _sse(
                {
                    "done": True,
                    "generation_id": stream.generation_id,
                    "output": output,
                    "text": text,
                    "checks": [c.model_dump() for c in checks],
                }
            )
        except ZaowuError as exc:  # failed after the response started: report in-band
            yield _sse(exc.to_openai())
        finally:
            chunks.stop()
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


def _sse(data: dict[str, Any]) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


# ---------------------------------------------------------------- apps


@router.get("/apps")
def apps(request: Request, principal: Principal = scope(None)) -> dict[str, Any]:
    return {"object": "list", "data": [a.describe() for a in list_apps(request.app.state.studio)]}


@router.get("/apps/{app_id}")
def app_detail(request: Request, app_id: str, principal: Principal = scope(None)) -> dict[str, Any]:
    return get_app(request.app.state.studio, app_id).describe()


@router.post("/apps/{app_id}")
async def run_app_route(request: Request, app_id: str, body: AppRunBody, principal: Principal = scope("text")):
    studio = request.app.state.studio
    who = api_caller(principal, request)
    app = get_app(studio, app_id)
    if body.async_:
        from ..apps.base import validate_input

        data = validate_input(app, body.input)  # a bad input is a 400 now, not a failed job later
        await run_in_threadpool(app().check, studio, data)
        await run_in_threadpool(check_scopes, studio, app().workflow(data), principal.key_id)  # and a 403
        job = {"app": app.id, "input": body.input, "model": body.model, "seed": body.seed}
        return await accepted_job(studio, "app", job, who)
    result = await until_disconnected(
        request, run_app, studio, app.id, body.input, model=body.model, seed=body.seed, who=who
    )
    return result.to_dict()


# ---------------------------------------------------------------- workflows


@router.get("/workflows/steps")
def workflow_steps(request: Request, principal: Principal = scope(None)) -> dict[str, Any]:
    return {"object": "list", "data": request.app.state.studio.workflow_steps.describe()}


@router.post("/workflows/run")
async def run_workflow_route(request: Request, body: WorkflowRunBody, principal: Principal = scope("text")):
    studio = request.app.state.studio
    who = api_caller(principal, request)
    spec = load_workflow(body.workflow)
    if body.async_:
        from ..studio.workflows import check_inputs, validate_workflow

        validate_workflow(spec, studio.workflow_steps)
        check_inputs(spec, body.inputs)  # a bad or oversized input is a 400 now, not a failed job later
        await run_in_threadpool(check_scopes, studio, spec, principal.key_id)
        job = {
            "workflow": spec.model_dump(mode="json", by_alias=True),
            "inputs": body.inputs,
            "model": body.model,
            "seed": body.seed,
        }
        return await accepted_job(studio, "workflow", job, who)
    run = await until_disconnected(
        request, run_workflow, studio, spec, body.inputs, seed=body.seed, model=body.model, who=who
    )
    return run.to_dict()


def _owned_run(principal: Principal, studio, run_id: str):
    run = get_run(studio, run_id)
    if not principal.can_see(run.key_id):
        raise NotFound(f"No workflow run '{run_id}'.", param="run_id")
    return run


@router.get("/workflows/runs")
def workflow_runs(
    request: Request, app: str | None = None, limit: int = 50, principal: Principal = scope(None)
) -> dict[str, Any]:
    studio = request.app.state.studio
    caller = None if principal.anonymous or principal.is_admin else caller_name(principal, request)
    runs = list_runs(studio, caller=caller, app=app, limit=max(1, min(limit, 500)))
    return {"object": "list", "data": [r.to_dict() for r in runs]}


@router.get("/workflows/runs/{run_id}")
def workflow_run(request: Request, run_id: str, principal: Principal = scope(None)) -> dict[str, Any]:
    return _owned_run(principal, request.app.state.studio, run_id).to_dict()


@router.post("/workflows/runs/{run_id}/resume")
async def resume_run(request: Request, run_id: str, principal: Principal = scope("text")) -> dict[str, Any]:
    """Run a failed run again from its failed step (steps that succeeded come from the cache)."""
    studio = request.app.state.studio
    run = _owned_run(principal, studio, run_id)
    if run.app is not None:
        return (await run_in_threadpool(resume_app, studio, run_id)).to_dict()
    return (await run_in_threadpool(resume_workflow, studio, run_id)).to_dict()
