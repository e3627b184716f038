"""A plugin for tests: workflow steps and an app registered through the real ``register_workflow_steps``
and ``register_apps`` hooks. ``test.flaky`` fails while a flag file exists and counts its executions in
a file, so a test can fail a run (or an app run, ``test.flaky-sum``), fix the cause and resume it."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from zaowu.apps.base import App
from zaowu.hookspecs import hookimpl
from zaowu.studio.templates import Localized
from zaowu.studio.workflows import Step, WorkflowSpec, load_workflow


class Add(Step):
    id = "test.add"
    title = "a + b"

    class Inputs(BaseModel):
        a: float
        b: float = 0
        counter: str | None = None  # a file whose line count is the number of executions

    class Outputs(BaseModel):
        sum: float
        label: str

    def execute(self, ctx, inputs):
        if inputs.counter:
            with open(inputs.counter, "a") as f:
                f.write(f"{ctx.node}\n")
        ctx.progress(0.5, "adding")
        return self.Outputs(sum=inputs.a + inputs.b, label=f"{inputs.a:g}+{inputs.b:g}")


class Flaky(Step):
    id = "test.flaky"
    title = "fails while a flag file exists"

    class Inputs(BaseModel):
        value: float
        flag: str
        counter: str

    class Outputs(BaseModel):
        value: float
        file: dict

    def execute(self, ctx, inputs):
        with open(inputs.counter, "a") as f:
            f.write(f"{ctx.node}\n")
        if Path(inputs.flag).exists():
            raise RuntimeError("the flag file exists")
        ref = ctx.artifact(f"value={inputs.value:g}".encode(), "text/plain", "value.txt")
        return self.Outputs(value=inputs.value * 10, file=ref.model_dump())


@hookimpl
def register_workflow_steps(register):
    register(Add)
    register(Flaky)


class FlakySumInput(BaseModel):
    x: float
    flag: str
    counter: str


class FlakySumResult(BaseModel):
    total: float


class FlakySum(App):
    """An app over the steps above: x + 2 (test.add), then test.flaky, so a test can fail an app run at a
    known step, fix the cause and resume it."""

    id = "test.flaky-sum"
    title = Localized(zh="测试", en="Flaky sum")
    description = Localized(zh="测试", en="x + 2, then times ten while no flag file exists")
    Input = FlakySumInput
    Result = FlakySumResult

    def workflow(self, input: FlakySumInput) -> WorkflowSpec:
        return load_workflow(
            {
                "id": "flaky-sum",
                "inputs": {"input": {"type": "object"}},
                "nodes": {
                    "first": {"step": "test.add", "with": {"a": input.x, "b": 2, "counter": input.counter}},
                    "flaky": {
                        "step": "test.flaky",
                        "with": {"value": "${first.sum}", "flag": input.flag, "counter": input.counter},
                    },
                },
                "outputs": {"total": "${flaky.value}"},
            }
        )

    def result(self, run, input) -> FlakySumResult:
        return FlakySumResult(total=run.outputs["total"])


@hookimpl
def register_apps(register):
    register(FlakySum)
