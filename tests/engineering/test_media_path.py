"""One way to run media: ``Studio.generate_media`` plans a request that brings no plan with the
planner registered for its backend (the design spec and the music plan by the real SmolLM2), a
request that brings one is not planned again, and a plugin adds a planner for a backend of its own."""

from __future__ import annotations

import os
import shutil

import pytest

from zaowu.studio.engine import Studio
from zaowu.studio.planners import Planner
from zaowu.types import Caller, ImageRequest, MusicRequest

from ..conftest import TEST_MODEL
from ..helpers import same_picture
from . import doubles

SOUNDFONTS = ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/soundfonts/FluidR3_GM.sf2")
needs_synth = pytest.mark.skipif(
    shutil.which("fluidsynth") is None or not any(os.path.exists(s) for s in SOUNDFONTS),
    reason="fluidsynth and fluid-soundfont-gm are not installed",
)


def _spy(studio: Studio, backend: str) -> list[int | None]:
    """Wrap the planner registered for ``backend`` so its calls are counted (it still does the work)."""
    planner = studio.planners.get(backend)
    assert planner is not None, f"no planner registered for '{backend}'"
    calls: list[int | None] = []

    def plan(s, request, run):
        calls.append(request.seed)
        return planner.plan(s, request, run)

    studio.planners.register(
        Planner(
            backends=(backend,), fills=planner.fills, plan=plan, review=planner.review, name=f"spy on {planner.name}"
        )
    )
    return calls


def _new_rows(studio: Studio, before: int) -> list[dict]:
    """The rows logged since there were ``before``, oldest first (a theme looked up by embeddings aside)."""
    rows = studio.log.list(1000)
    return [r for r in reversed(rows[: len(rows) - before]) if r["caller"] != "design:categories"]


def test_an_image_without_a_spec_is_planned_inside_generate_media_and_one_with_a_spec_is_not(studio):
    calls = _spy(studio, "design")
    who = Caller(interface="cli", name="tester")
    result = studio.generate_media(
        ImageRequest(prompt="A poster for Sunny Bakery's croissant sale", kind="poster", size="3:4", seed=5), who=who
    )
    assert calls == [5]  # the design planner ran once, with the request's seed
    plan_row, image_row = _new_rows(studio, 0)
    assert plan_row["modality"] == "text" and plan_row["model"] == TEST_MODEL  # the planner model wrote the spec
    assert plan_row["params"]["response_format"]["json_schema"]["name"] == "design_spec"
    assert plan_row["caller"] == image_row["caller"] == "tester" and plan_row["interface"] == "cli"
    assert image_row["modality"] == "image" and image_row["id"] == result.generation_id
    spec = result.media[0].meta["spec"]
    assert image_row["input"]["spec"]["headline"] == spec["headline"]  # the planned spec is what was rendered
    assert result.media[0].meta["checks"], "the design checks travel with the result"

    before = len(studio.log.list(1000))
    again = studio.generate_media(
        ImageRequest(prompt="A poster for Sunny Bakery's croissant sale", kind="poster", size="3:4", seed=5, spec=spec)
    )
    assert calls == [5]  # a request that brings its spec is not planned again
    assert [r["modality"] for r in _new_rows(studio, before)] == ["image"]
    assert same_picture(again.media[0].data, result.media[0].data)  # the same spec and seed: the same design


@needs_synth
def test_music_without_a_plan_is_planned_inside_generate_media_and_a_given_plan_is_only_checked(studio):
    calls = _spy(studio, "composer")
    result = studio.generate_media(MusicRequest(prompt="calm piano for a rainy evening", duration=5, seed=2))
    assert calls == [2]
    assert [r["modality"] for r in _new_rows(studio, 0)] == ["text", "music"]
    audio, midi = result.media
    names = {c["name"] for c in audio.meta["checks"]}
    assert {"music.mode", "music.tempo", "music.sections"} <= names and midi.meta["checks"] == audio.meta["checks"]

    before = len(studio.log.list(1000))
    given = dict(audio.meta["plan"], tempo=61)
    again = studio.generate_media(MusicRequest(prompt="calm piano for a rainy evening", duration=5, seed=2, plan=given))
    assert calls == [2]  # no second plan
    assert [r["modality"] for r in _new_rows(studio, before)] == ["music"]
    assert again.media[0].meta["plan"]["tempo"] == 61  # checked and reported, not rewritten
    assert {c["name"] for c in again.media[0].meta["checks"]} == {c["name"] for c in audio.meta["checks"]}


def test_a_plugin_registers_a_planner_for_a_backend_of_its_own(dstudio):
    assert dstudio.planners.get("stamp").name == "stamp"
    assert dstudio.planners.get("design").name == "design spec"  # the built-ins stay
    who = Caller(interface="job", name="plugin-user", job_id="job_1")
    seen: list[tuple[float, str]] = []
    result = dstudio.generate_media(
        ImageRequest(model="stamp-1", prompt="hello", seed=9),
        who=who,
        progress=lambda f, m: seen.append((f, m)),
        planner="my-planner-model",
        hints={"theme": {"palette": "tea"}},
    )
    assert [
        {"prompt": "hello", "seed": 9, "who": who, "model": "my-planner-model", "hints": {"theme": {"palette": "tea"}}}
    ] == doubles.PLANNED
    assert (0.0, "planning the stamp") in seen
    meta = result.media[0].meta
    assert meta["spec"] == {"text": "HELLO", "seed": 9}  # the backend rendered the plugin planner's plan
    assert meta["checks"] == [{"name": "stamp.planned", "ok": True, "detail": "upper"}]
    row = dstudio.log.get(result.generation_id)
    assert row["backend"] == "stamp" and row["caller"] == "plugin-user" and row["input"]["spec"]["text"] == "HELLO"
    assert dstudio.artifacts.get(meta["artifact_id"])["job_id"] == "job_1"

    dstudio.generate_media(ImageRequest(model="stamp-1", prompt="hello", seed=9, spec={"text": "MINE"}))
    assert len(doubles.PLANNED) == 1  # a spec given: the planner does not run
