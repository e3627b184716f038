"""A real ``zaowu serve`` that requires API keys, and keys made on its own database, for the
security tests that attack it as one key against another."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import Server
from zaowu.studio.engine import Studio


def keyed_server():
    """A module fixture (``srv = keyed_server()``): the session's server with ZAOWU_AUTH=required
    (``auth_server``), shared with the other modules that attack keys; keys come from ``make_keys``."""

    @pytest.fixture(scope="module")
    def server(auth_server):
        return auth_server

    return server


def make_keys(server: Server, **wanted) -> dict[str, dict]:
    """Create keys on the server's database: ``name=(scopes, quota or None)`` → ``{name: {"id", "name", "secret",
    "h"}}`` where ``h`` is the Authorization header; the stored name gets a random suffix, as the server is
    shared by modules whose keys would otherwise share names."""
    made = {}
    with Studio(server.settings()) as studio:
        for name, (scopes, quota) in wanted.items():
            secret, row = studio.keys.create(f"{name}-{uuid.uuid4().hex[:8]}", scopes, quota)
            made[name] = {
                "id": row["id"],
                "name": row["name"],
                "secret": secret,
                "h": {"Authorization": f"Bearer {secret}"},
            }
    return made
