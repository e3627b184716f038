"""A real ``zaowu serve`` that requires API keys, and keys made on its own database, for the
security tests that attack it as one key against another."""

from __future__ import annotations

import pytest

from tests.conftest import Server
from zaowu.settings import Settings
from zaowu.studio.engine import Studio


def keyed_server():
    """A module fixture: one server for the test module, with ZAOWU_AUTH=required (``srv = keyed_server()``)."""

    @pytest.fixture(scope="module")
    def server(tmp_path_factory, models_dir):
        running = Server(tmp_path_factory.mktemp("keyed"), models_dir, {"ZAOWU_AUTH": "required"})
        yield running
        running.stop()

    return server


def make_keys(server: Server, **wanted) -> dict[str, dict]:
    """Create keys on the server's database: ``name=(scopes, quota or None)`` → ``{name: {"id", "secret", "h"}}``
    where ``h`` is the Authorization header."""
    made = {}
    with Studio(Settings(data_dir=server.data_dir)) as studio:
        for name, (scopes, quota) in wanted.items():
            secret, row = studio.keys.create(name, scopes, quota)
            made[name] = {"id": row["id"], "secret": secret, "h": {"Authorization": f"Bearer {secret}"}}
    return made
