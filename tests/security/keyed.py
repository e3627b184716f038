"""A server for the hardening tests of inputs and sessions: keys required, only the test
models installed, and an admin key and a text+image key made on its database first."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ..conftest import Server


@dataclass
class Keyed:
    server: Server
    admin: str  # a key with the admin scope
    user: str  # a key with text and image scopes

    @property
    def base(self) -> str:
        return self.server.base_url

    def headers(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.user}"}


def only_test_models(tmp_path_factory, models_dir):
    only = tmp_path_factory.mktemp("security-models")
    for name in ("SmolLM2-135M-Instruct.Q4_1.gguf", "whisper-base"):
        (only / name).symlink_to(models_dir / name)
    return only


@pytest.fixture(scope="module", name="keyed")
def keyed_server(tmp_path_factory, models_dir):
    """The server; import it into a test module as ``keyed_server`` and ask for ``keyed``."""
    from zaowu.studio.db import open_database
    from zaowu.studio.keys import KeyStore

    srv = Server(
        tmp_path_factory.mktemp("security"), only_test_models(tmp_path_factory, models_dir), {"ZAOWU_AUTH": "required"}
    )
    engine = open_database(srv.settings().db_url)
    try:
        keys = KeyStore(engine)
        admin = keys.create("owner", ["admin"])[0]
        user = keys.create("shop", ["text", "image"])[0]
    finally:
        engine.dispose()
    yield Keyed(srv, admin, user)
    srv.stop()
