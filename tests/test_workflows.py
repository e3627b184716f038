"""The workflow engine: validation before running, typed connections, caching by content
hash, a failed step named with its error, resume from it, runs as jobs with progress."""

from __future__ import annotations

import time

import pytest

from zaowu.apps.base import resume_app, run_app
from zaowu.errors import InvalidRequest, NotFound
from zaowu.studio.engine import Studio
from zaowu.studio.jobs import JobContext
from zaowu.studio.workflows import (
    StepFailed,
    get_run,
    load_workflow,
    resume_workflow,
    run_for_job,
    run_workflow,
    validate_workflow,
)

from .helpers import content_of


@pytest.fixture
def wstudio(bare_settings):
    with Studio(bare_settings.model_copy(update={"plugins": ["tests.workflow_steps"]})) as s:
        yield s


def _graph(counter: str, flag: str = "/nonexistent-flag") -> dict:
    return {
        "id": "sum-then-flaky",
        "inputs": {"x": {"type": "number"}, "y": {"type": "number", "default": 2}},
        "nodes": {
            "first": {"step": "test.add", "with": {"a": "${inputs.x}", "b": "${inputs.y}", "counter": counter}},
            "second": {"step": "test.add", "with": {"a": "${first.sum}", "b": 10, "counter": counter}},
            "flaky": {"step": "test.flaky", "with": {"value": "${second.sum}", "flag": flag, "counter": counter}},
            "note": {"step": "test.add", "with": {"a": "${flaky.value}", "counter": counter}},
        },
        "outputs": {"total": "${note.sum}", "text": "first was ${first.label}", "file": "${flaky.file}"},
    }


def _problem(wstudio, graph: dict) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as e:
        validate_workflow(load_workflow(graph), wstudio.workflow_steps)
    return e.value


def test_validation_names_each_problem(wstudio, tmp_path):
    good = _graph(str(tmp_path / "c"))
    validate_workflow(load_workflow(good), wstudio.workflow_steps)

    bad = _graph("c")
    bad["nodes"]["second"]["step"] = "test.nope"
    assert _problem(wstudio, bad).param == "nodes.second.step"

    bad = _graph("c")
    bad["nodes"]["second"]["with"]["a"] = "${ghost.sum}"
    err = _problem(wstudio, bad)
    assert err.param == "nodes.second.with.a" and "ghost" in err.message

    bad = _graph("c")
    bad["nodes"]["second"]["with"]["a"] = "${first.total}"
    assert "no output 'total'" in _problem(wstudio, bad).message

    bad = _graph("c")
    bad["nodes"]["second"]["with"]["a"] = "${first.label}"  # a string into a number input
    err = _problem(wstudio, bad)
    assert err.param == "nodes.second.with.a" and "type mismatch" in err.message

    bad = _graph("c")
    del bad["nodes"]["first"]["with"]["a"]
    err = _problem(wstudio, bad)
    assert err.param == "nodes.first.with.a" and "missing" in err.message

    bad = _graph("c")
    bad["nodes"]["first"]["with"]["a"] = "${note.sum}"  # first → … → note → first
    assert "cycle" in _problem(wstudio, bad).message

    bad = _graph("c")
    bad["nodes"]["first"]["with"]["colour"] = "red"
    assert _problem(wstudio, bad).param == "nodes.first.with.colour"

    bad = _graph("c")
    bad["outputs"]["x"] = "${inputs.zzz}"
    assert _problem(wstudio, bad).param == "outputs.x"

    with pytest.raises(InvalidRequest) as e:
        load_workflow("id: x\nnodes: [unclosed")
    assert e.value.param == "workflow"


def _count(counter) -> dict[str, int]:
    lines = counter.read_text().split() if counter.exists() else []
    return {n: lines.count(n) for n in set(lines)}


def test_run_cache_failure_and_resume(wstudio, tmp_path):
    counter, flag = tmp_path / "count", tmp_path / "flag"
    spec = load_workflow(_graph(str(counter), str(flag)))

    run = run_workflow(wstudio, spec, {"x": 1}, seed=5)
    assert run.status == "succeeded"
    assert run.outputs["total"] == 130 and run.outputs["text"] == "first was 1+2"
    assert content_of(wstudio.artifacts.read(run.outputs["file"]["id"])) == b"value=13"
    assert _count(counter) == {"first": 1, "second": 1, "flaky": 1, "note": 1}
    assert [s["status"] for s in run.steps.values()] == ["done"] * 4

    again = run_workflow(wstudio, spec, {"x": 1}, seed=5)  # same inputs and seed: every step from the cache
    assert again.outputs == run.outputs and again.id != run.id
    assert _count(counter) == {"first": 1, "second": 1, "flaky": 1, "note": 1}
    assert {s["status"] for s in again.steps.values()} == {"cached"}
    assert again.artifacts == run.artifacts

    flag.write_text("broken")
    with pytest.raises(StepFailed) as e:
        run_workflow(wstudio, spec, {"x": 3}, seed=5)
    failed = get_run(wstudio, e.value.run_id)
    assert e.value.node == "flaky" and e.value.param == "nodes.flaky"
    assert failed.status == "failed" and failed.failed_step == "flaky" and "flag file exists" in failed.error
    assert failed.steps["first"]["status"] == "done" and failed.steps["note"]["status"] == "pending"
    before = _count(counter)

    flag.unlink()  # the cause is fixed: resume runs only the failed step and what follows it
    resumed = resume_workflow(wstudio, failed.id)
    after = _count(counter)
    assert resumed.id == failed.id and resumed.status == "succeeded" and resumed.outputs["total"] == 150
    assert after["first"] == before["first"] and after["second"] == before["second"]
    assert after["flaky"] == before["flaky"] + 1 and after["note"] == before.get("note", 0) + 1
    assert resumed.steps["first"]["status"] == "cached" and resumed.steps["flaky"]["status"] == "done"


def test_bad_inputs_name_the_field(wstudio, tmp_path):
    spec = load_workflow(_graph(str(tmp_path / "c")))
    for inputs, param in (({}, "inputs.x"), ({"x": "one"}, "inputs.x"), ({"x": 1, "z": 2}, "inputs.z")):
        with pytest.raises(InvalidRequest) as e:
            run_workflow(wstudio, spec, inputs)
        assert e.value.param == param


def test_workflow_runs_as_a_job_with_per_step_progress(wstudio, tmp_path):
    graph = _graph(str(tmp_path / "c"))
    job = wstudio.jobs.submit("workflow", {"workflow": graph, "inputs": {"x": 4}, "seed": 1})
    wstudio.start_workers(1)
    deadline = time.monotonic() + 60
    while wstudio.jobs.get(job["id"])["state"] not in ("succeeded", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
    done = wstudio.jobs.get(job["id"])
    assert done["state"] == "succeeded", done["error"]
    assert done["result"]["outputs"]["total"] == 160
    messages = [e["data"].get("message") for e in wstudio.jobs.events(job["id"]) if e["type"] == "progress"]
    for node in ("first", "second", "flaky", "note"):
        assert any(m and m.startswith(node) for m in messages), messages


def _finish_jobs(wstudio, job_id: str) -> dict:
    wstudio.start_workers(1)
    deadline = time.monotonic() + 60
    while wstudio.jobs.get(job_id)["state"] not in ("succeeded", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
    return wstudio.jobs.get(job_id)


def test_a_job_whose_run_broke_off_resumes_that_run(wstudio, tmp_path):
    """A workflow job that already started a run (its worker died, or the run failed under it) finds that run
    by its job id and resumes it: the steps that succeeded are not run again and no second run is made."""
    counter, flag = tmp_path / "count", tmp_path / "flag"
    graph = _graph(str(counter), str(flag))
    job = wstudio.jobs.submit("workflow", {"workflow": graph, "inputs": {"x": 4}, "seed": 1})
    assert run_for_job(wstudio, job["id"]) is None
    flag.write_text("broken")
    job = wstudio.jobs.claim()  # the first attempt holds the job (only its holder may report progress)
    with pytest.raises(StepFailed) as e:  # the job's first attempt, run under its context
        run_workflow(wstudio, load_workflow(graph), {"x": 4}, seed=1, job=JobContext(wstudio.jobs, job, wstudio))
    wstudio.jobs._requeue(job, "the first attempt's worker died")
    assert run_for_job(wstudio, job["id"]).id == e.value.run_id
    before = _count(counter)

    flag.unlink()
    done = _finish_jobs(wstudio, job["id"])
    assert done["state"] == "succeeded", done["error"]
    assert done["result"]["run_id"] == e.value.run_id and done["result"]["outputs"]["total"] == 160
    after = _count(counter)
    assert after["first"] == before["first"] and after["flaky"] == before["flaky"] + 1


def test_an_app_run_resumes_from_its_failed_step(wstudio, tmp_path):
    """resume_app finds a failed app run's app and input through the workflows API and finishes it with
    the app's typed result; an unknown run, or a run that is not an app's, is a 404 naming run_id."""
    counter, flag = tmp_path / "count", tmp_path / "flag"
    flag.write_text("broken")
    app_input = {"x": 1, "flag": str(flag), "counter": str(counter)}
    with pytest.raises(StepFailed) as e:
        run_app(wstudio, "test.flaky-sum", app_input)
    failed = get_run(wstudio, e.value.run_id)
    assert failed.app == "test.flaky-sum" and failed.inputs["input"] == app_input

    for missing in ("run_nonexistent", run_workflow(wstudio, load_workflow(_graph(str(counter))), {"x": 1}).id):
        with pytest.raises(NotFound) as nf:
            resume_app(wstudio, missing)
        assert nf.value.param == "run_id" and "No app run" in nf.value.message

    flag.unlink()
    resumed = resume_app(wstudio, failed.id)
    assert resumed.app == "test.flaky-sum" and resumed.run_id == failed.id and resumed.result == {"total": 30}
    assert get_run(wstudio, failed.id).status == "succeeded"


def test_an_app_job_whose_run_broke_off_resumes_it(wstudio, tmp_path):
    counter, flag = tmp_path / "count", tmp_path / "flag"
    flag.write_text("broken")
    app_input = {"x": 2, "flag": str(flag), "counter": str(counter)}
    wstudio.jobs.submit("app", {"app": "test.flaky-sum", "input": app_input})
    job = wstudio.jobs.claim()  # the first attempt holds the job (only its holder may report progress)
    with pytest.raises(StepFailed) as e:
        run_app(wstudio, "test.flaky-sum", app_input, job=JobContext(wstudio.jobs, job, wstudio))
    wstudio.jobs._requeue(job, "the first attempt's worker died")
    flag.unlink()
    done = _finish_jobs(wstudio, job["id"])
    assert done["state"] == "succeeded", done["error"]
    assert done["result"]["run_id"] == e.value.run_id and done["result"]["result"] == {"total": 40}
    assert _count(counter)["first"] == 1  # the first step ran once, in the first attempt
