"""A plugin for the browser tests: an app whose run takes a known number of steps and
produces an HTML page and a text file, registered through the real ``register_apps`` and
``register_workflow_steps`` hooks (loaded in servers via the ``plugins`` setting), so the
Apps page is tested end to end without waiting for a language model."""

from __future__ import annotations

import html
import time

from pydantic import BaseModel, Field

from zaowu.apps.base import App, AppInput
from zaowu.hookspecs import hookimpl
from zaowu.studio.templates import Localized
from zaowu.studio.workflows import ArtifactRef, Step, StepContext, WorkflowRun, WorkflowSpec


class PagesStep(Step):
    id = "webtest.pages"
    title = "Write pages slowly"
    cacheable = False

    class Inputs(BaseModel):
        title: str
        pages: int
        step_seconds: float

    class Outputs(BaseModel):
        site: ArtifactRef
        notes: ArtifactRef

    def execute(self, ctx: StepContext, inputs: Inputs) -> Outputs:
        for i in range(inputs.pages):
            ctx.check()
            time.sleep(inputs.step_seconds)
            ctx.progress((i + 1) / inputs.pages, f"page {i + 1}/{inputs.pages}")
        page = f"<!doctype html><title>{html.escape(inputs.title)}</title><h1>{html.escape(inputs.title)}</h1>"
        site = ctx.artifact(page.encode(), "text/html; charset=utf-8", "storefront-preview.html")
        notes = ctx.artifact(f"{inputs.pages} pages".encode(), "text/plain; charset=utf-8", "notes.txt")
        return self.Outputs(site=site, notes=notes)


class DemoInput(AppInput):
    title: str = Field(min_length=1, max_length=60, title="Shop title", description="shown on the page")
    pages: int = Field(4, ge=1, le=100, title="Pages")
    step_seconds: float = Field(0.5, ge=0, le=5, title="Seconds per page")


class DemoResult(BaseModel):
    title: str
    pages: int


class DemoApp(App):
    id = "web-demo"
    title = Localized(zh="演示应用", en="Demo app")
    description = Localized(zh="测试用：分步生成一个页面。", en="For tests: writes a page in steps.")
    Input = DemoInput
    Result = DemoResult
    examples = [{"title": "Bean There", "pages": 3}]

    def workflow(self, input: DemoInput) -> WorkflowSpec:
        return WorkflowSpec.model_validate(
            {
                "id": "web-demo",
                "inputs": {"input": {"type": "object"}},
                "nodes": {
                    "pages": {
                        "step": "webtest.pages",
                        "with": {"title": input.title, "pages": input.pages, "step_seconds": input.step_seconds},
                    }
                },
                "outputs": {"site": "${pages.site}"},
            }
        )

    def result(self, run: WorkflowRun, input: DemoInput) -> DemoResult:
        return DemoResult(title=input.title, pages=input.pages)


@hookimpl
def register_apps(register):
    register(DemoApp)


@hookimpl
def register_workflow_steps(register):
    register(PagesStep)
