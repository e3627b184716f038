"""The planner model: planners and apps use ``planner_model`` when the run names none, and fall back
to the default chat model, with a warning, when the configured one is missing or unreachable."""

from __future__ import annotations

import logging

import pytest

from zaowu.settings import RemoteConfig, Settings
from zaowu.types import Message, TextRequest

from ..conftest import TEST_MODEL, default_model_missing, free_port

OTHER_INSTALLED = "qwen2.5-coder-1.5b-instruct"  # in the shared models folder, never loaded here


def make_studio(settings: Settings, **changes):
    from zaowu.studio.engine import Studio

    return Studio(settings.model_copy(update=changes))


def question() -> TextRequest:
    return TextRequest(messages=[Message(role="user", content="Name one colour.")], max_tokens=8, seed=1)


def test_resolution_prefers_the_run_then_the_setting_then_the_default(settings, caplog):
    from zaowu.studio.planner import planner_model

    with make_studio(settings) as studio:  # not configured: the default chat model
        assert planner_model(studio) == TEST_MODEL
        assert planner_model(studio, "my-model") == "my-model"
    with make_studio(settings, planner_model=OTHER_INSTALLED) as studio:
        if not studio.catalog.installed(studio.catalog.get(OTHER_INSTALLED)):
            default_model_missing(OTHER_INSTALLED)
        assert planner_model(studio) == OTHER_INSTALLED
        assert planner_model(studio, TEST_MODEL) == TEST_MODEL
    assert "unavailable" not in caplog.text


@pytest.mark.parametrize("missing", ["no-such-model", "composer", "gemma-3-270m"])  # unknown, not text, not pulled
def test_a_missing_planner_falls_back_with_a_warning(settings, caplog, missing):
    from zaowu.studio.planner import planner_model

    with make_studio(settings, planner_model=missing) as studio, caplog.at_level(logging.WARNING):
        assert planner_model(studio) == TEST_MODEL
    warning = next(r for r in caplog.records if r.levelno == logging.WARNING)
    assert missing in warning.getMessage() and TEST_MODEL in warning.getMessage()


def test_the_configured_planner_writes_the_design_spec(settings):
    """The default chat model here is one that cannot load: only the planner can write the spec."""
    from zaowu.studio.design import design_spec

    with make_studio(settings, default_chat_model="no-such-default", planner_model=TEST_MODEL) as studio:
        spec = design_spec(studio, "A poster for a bakery's spring sale", kind="poster", seed=2)
        assert spec.headline
        assert [g["model"] for g in studio.log.list()] == [TEST_MODEL]


def test_an_unreachable_remote_planner_falls_back_at_run_time(settings, caplog):
    from zaowu.studio.music import plan_music
    from zaowu.studio.planner import plan_text

    dead = RemoteConfig(base_url=f"http://127.0.0.1:{free_port()}/v1", timeout=5)
    with (
        make_studio(settings, remotes={"dead": dead}, planner_model="dead/big-model") as studio,
        caplog.at_level(logging.WARNING),
    ):
        result = plan_text(studio, question())
        assert result.model == TEST_MODEL and result.text
        assert "dead/big-model" in caplog.text and "failed" in caplog.text
        plan, checks = plan_music(studio, "calm lo-fi for studying", duration=20, seed=3)
        assert plan.genre.value == "lofi" and checks.ok
        models = [(g["model"], g["status"]) for g in studio.log.list(limit=10)]
        assert ("dead/big-model", "error") in models and (TEST_MODEL, "ok") in models
        with pytest.raises(Exception, match="Cannot reach remote 'dead'") as err:  # the run's own model is kept
            studio.generate_text(question().model_copy(update={"model": "dead/big-model"}))
        assert "Cannot reach remote 'dead'" in str(err.value)


@pytest.mark.slow
def test_apps_plan_with_the_planner_model(settings, caplog):
    from zaowu.apps.base import run_app

    example = {
        "product": "Driftwood Coffee",
        "facts": "Small-batch roasts every Monday",
        "channel": "x",
        "tone": "friendly",
        "variants": 1,
    }
    with make_studio(settings, default_chat_model="no-such-default", planner_model=TEST_MODEL) as studio:
        run = run_app(studio, "copywriter", example, seed=5)
        assert run.result["variants"]
        assert {g["model"] for g in studio.log.list()} == {TEST_MODEL}
    with make_studio(settings, planner_model="no-such-planner") as studio, caplog.at_level(logging.WARNING):
        run = run_app(studio, "copywriter", example, seed=5)
        assert run.result["variants"] and "no-such-planner" in caplog.text
        assert {g["model"] for g in studio.log.list()} == {TEST_MODEL}
