"""The database: SQLite by default (any SQLAlchemy URL works, PostgreSQL included).

Schema changes are an ordered list of named migrations; each runs once and is
recorded in ``zaowu_migrations``. Never edit a migration that has shipped:
add a new one.

Tables
- ``generations``: one row per generation through any interface (see genlog.py).
- ``user_models``: local GGUF files a user added by path (see catalog.py).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

metadata = sa.MetaData()

migrations_table = sa.Table(
    "zaowu_migrations",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("applied_at", sa.Float, nullable=False),
)

generations = sa.Table(
    "generations",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("finished_at", sa.Float),
    sa.Column("interface", sa.String(20), nullable=False),  # api, cli, python, job...
    sa.Column("caller", sa.String(200)),
    sa.Column("worker", sa.String(200)),  # host:pid that ran it, to detect interrupted rows
    sa.Column("modality", sa.String(20), nullable=False),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("model_sha256", sa.String(64)),
    sa.Column("backend", sa.String(60)),
    sa.Column("params", sa.JSON),
    sa.Column("seed", sa.BigInteger),
    sa.Column("input", sa.JSON),
    sa.Column("output", sa.Text),
    sa.Column("prompt_tokens", sa.Integer),
    sa.Column("completion_tokens", sa.Integer),
    sa.Column("duration_ms", sa.Float),
    sa.Column("ttft_ms", sa.Float),
    sa.Column("status", sa.String(20), nullable=False),  # running, ok, error, cancelled, interrupted
    sa.Column("error", sa.Text),
)

user_models = sa.Table(
    "user_models",
    metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("spec", sa.JSON, nullable=False),  # name, chat, context_length, languages, licence
    sa.Column("added_at", sa.Float, nullable=False),
)


def _m001_generations(conn: Connection) -> None:
    generations.create(conn)
    # plain SQL (valid in SQLite and PostgreSQL) so the Table object stays free of migration state
    conn.execute(sa.text("CREATE INDEX ix_generations_created_at ON generations (created_at)"))
    conn.execute(sa.text("CREATE INDEX ix_generations_model ON generations (model, created_at)"))
    conn.execute(sa.text("CREATE INDEX ix_generations_status ON generations (status)"))


def _m002_user_models(conn: Connection) -> None:
    user_models.create(conn)


MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("001_generations", _m001_generations),
    ("002_user_models", _m002_user_models),
]


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def open_database(url: str) -> Engine:
    """Create the engine, the SQLite file's folder if needed, and apply pending migrations."""
    kwargs: dict = {"json_serializer": lambda v: json.dumps(v, ensure_ascii=False)}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
    engine = sa.create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    migrate(engine)
    return engine


def migrate(engine: Engine) -> list[str]:
    """Apply the migrations not yet recorded; return their names."""
    applied: list[str] = []
    with engine.begin() as conn:
        migrations_table.create(conn, checkfirst=True)
        done = set(conn.scalars(sa.select(migrations_table.c.name)))
        for name, fn in MIGRATIONS:
            if name in done:
                continue
            log.info("applying migration %s", name)
            fn(conn)
            conn.execute(migrations_table.insert().values(name=name, applied_at=time.time()))
            applied.append(name)
    return applied
