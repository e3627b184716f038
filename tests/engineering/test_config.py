"""Where settings come from, through the real ``zaowu`` command: the TOML config file, ZAOWU_*
variables over it, flags over both; and ``auth = "auto"`` requiring keys once the server is bound
to an address other than loopback."""

from __future__ import annotations

import httpx
import pytest

from ..conftest import free_port
from .cli import Serve, clean_env, zaowu

ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - these tests are about serving the network


@pytest.fixture
def home(tmp_path):
    """A data folder (no models: the server starts without loading one) and a config file path."""
    (tmp_path / "data").mkdir()
    return tmp_path


def write_config(home, **values) -> None:
    lines = [f"{k} = {v!r}" if isinstance(v, str) else f"{k} = {v}" for k, v in values.items()]
    (home / "config.toml").write_text("\n".join(lines).replace("'", '"') + "\n")


def env_for(home, **env: str) -> dict[str, str]:
    return clean_env(home / "config.toml", ZAOWU_DATA_DIR=str(home / "data"), **env)


def new_key(home) -> str:
    done = zaowu("keys", "create", "tester", env=env_for(home))
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def models_status(base: str, key: str | None = None) -> int:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.get(f"{base}/v1/models", headers=headers, timeout=30).status_code


def test_auth_auto_requires_keys_off_loopback(home):
    key = new_key(home)
    with Serve(["--port", str(port := free_port())], env_for(home), port, home / "loopback.log") as srv:
        assert models_status(srv.base_url) == 200  # bound to 127.0.0.1: the local owner needs no key
    with Serve(
        ["--host", ALL_INTERFACES, "--port", str(port := free_port())], env_for(home), port, home / "lan.log"
    ) as srv:
        assert models_status(srv.base_url) == 401  # reachable from the network: a key is required
        assert models_status(srv.base_url, "zw-not-a-key") == 401
        assert models_status(srv.base_url, key) == 200
    # said outright, 'off' serves the network without keys (the user's explicit choice)
    off = env_for(home, ZAOWU_AUTH="off")
    with Serve(["--host", ALL_INTERFACES, "--port", str(port := free_port())], off, port, home / "off.log") as srv:
        assert models_status(srv.base_url) == 200


def test_the_config_file_and_flag_over_env_over_file(home):
    ports = [free_port() for _ in range(3)]
    write_config(home, port=ports[0], auth="required", default_chat_model="from-the-file")
    key = new_key(home)
    from_file = Serve([], env_for(home), ports[0], home / "file.log")
    with from_file as srv:  # the file alone: its port, its auth, its default model
        assert models_status(srv.base_url) == 401 and models_status(srv.base_url, key) == 200
        r = httpx.post(f"{srv.base_url}/v1/chat/completions", headers={"Authorization": f"Bearer {key}"},
                       json={"messages": [{"role": "user", "content": "hi"}]}, timeout=30)  # fmt: skip
        assert r.status_code == 404 and "from-the-file" in r.json()["error"]["message"], r.text
    with Serve([], env_for(home, ZAOWU_PORT=str(ports[1])), ports[1], home / "env.log") as srv:
        assert models_status(srv.base_url) == 401  # the env variable moved the port; the file's auth still holds
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{ports[0]}/health", timeout=2)
    with Serve(["--port", str(ports[2])], env_for(home, ZAOWU_PORT=str(ports[1])), ports[2], home / "flag.log") as srv:
        assert models_status(srv.base_url) == 401  # the flag beat both
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{ports[1]}/health", timeout=2)


def test_a_bad_config_file_is_one_line_naming_the_field(home):
    write_config(home, n_parallel=0)
    done = zaowu("models", "list", env=env_for(home))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("Error:") and "n_parallel" in done.stderr, done.stderr
    write_config(home, no_such_setting=1)
    done = zaowu("models", "list", env=env_for(home))
    assert done.returncode == 1 and "no_such_setting" in done.stderr, done.stderr
    # an env variable fixes what the file got wrong only for the field it names
    write_config(home, n_parallel=0)
    assert zaowu("models", "list", env=env_for(home, ZAOWU_N_PARALLEL="2")).returncode == 0
