"""Fixtures of the engineering tests: a studio with the backend doubles plugin loaded by name."""

from __future__ import annotations

import pytest

from zaowu.settings import Settings
from zaowu.studio.engine import Studio

from ..conftest import TEST_MODEL, TEST_THREADS
from . import doubles


@pytest.fixture
def dstudio(tmp_path, models_dir):
    """A studio whose plugins setting names ``tests.engineering.doubles`` (as a user names a plugin module)."""
    doubles.PLANNED.clear()
    settings = Settings(
        data_dir=tmp_path / "data",
        models_dir=models_dir,
        default_chat_model=TEST_MODEL,
        n_ctx=2048,
        n_threads=TEST_THREADS,
        plugins=["tests.engineering.doubles"],
    )
    with Studio(settings) as s:
        yield s
