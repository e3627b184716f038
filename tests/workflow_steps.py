"""A plugin for tests: workflow steps registered through the real ``register_workflow_steps``
hook. ``test.flaky`` fails while a flag file exists and counts its executions in a file,
so a test can fail a run, fix the cause and resume it."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from zaowu.hookspecs import hookimpl
from zaowu.studio.workflows import Step


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
