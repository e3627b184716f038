"""The database: SQLite by default, PostgreSQL when ``database_url`` names one (``postgresql+psycopg://``).

Schema changes are an ordered list of named migrations; each runs once and is
recorded in ``zaowu_migrations``. Never edit a migration that has shipped:
add a new one. The same migrations run on both databases; a step only one of them
needs is guarded by ``conn.dialect.name``. On PostgreSQL all of them run in one
transaction under an advisory lock, so processes starting together migrate once.

Tables
- ``generations``: one row per generation through any interface (see genlog.py).
- ``user_models``: local GGUF files a user added by path (see catalog.py).
- ``jobs`` and ``job_events``: the durable job queue and its progress events (jobs.py).
- ``artifacts``: metadata of content-addressed files in DATA_DIR/artifacts (artifacts.py).
- ``api_keys`` and ``usage``: hashed API keys with scopes and quotas, and daily
  usage counters per key (keys.py).
- ``workflow_runs`` and ``step_cache``: each workflow run with its inputs, steps and
  outputs, and finished steps' outputs by the hash of their inputs (workflows.py).
- ``sessions``: the web studio's sign-ins: the sha256 of a random session id (the cookie)
  mapped to its API key, with an expiry; logging out or revoking the key ends it (keys.py).
- ``kb_files``, ``kb_stores``, ``kb_store_files`` and ``kb_chunks``: knowledge bases (studio/knowledge):
  uploaded files (bytes kept in DATA_DIR/knowledge), vector stores, which files each store holds with
  their ingest status, and each file's chunks with page/sheet, heading path, offsets and vector.
  ``kb_chunks_fts`` (SQLite only) is the FTS5 index over chunks' segmented text; SQLite keeps it in
  ``kb_chunks_fts_data``, ``kb_chunks_fts_idx``, ``kb_chunks_fts_content``, ``kb_chunks_fts_docsize``
  and ``kb_chunks_fts_config``.
- ``assistants``, ``assistant_conversations``, ``assistant_messages`` and ``assistant_handoffs``: customer-service
  assistants (their stores, shop policy, tone, allowed widget origins and widget key), each customer
  conversation with its messages and citations, and the questions handed to a person (studio/knowledge/assistants.py).
- ``safety_events``: every prompt or output the safety filter matched: the action taken (refused,
  warned, logged, cut), category, term, field, key and generation (safety.py); ``api_keys.safety``
  holds a key's own filter policy (block, warn or log; NULL: the ``safety_policy`` setting).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..errors import InvalidRequest

log = logging.getLogger(__name__)

metadata = sa.MetaData()

# ids of tables that grow without bound: BIGINT (BIGSERIAL) on PostgreSQL, where INTEGER runs out at 2^31;
# on SQLite an INTEGER PRIMARY KEY is already the 64-bit rowid (and BIGINT would not be one)
BIG_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")
BIG_ID_TABLES = ("job_events", "safety_events", "kb_chunks")  # their ``id``: 32-bit SERIAL before 014_bigint_ids

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
    sa.Column("key_id", sa.String(40)),  # added by 005_keys_and_usage
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


jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(60), nullable=False),
    sa.Column("request", sa.JSON, nullable=False),
    sa.Column("state", sa.String(12), nullable=False),  # queued, running, succeeded, failed, cancelled
    sa.Column("priority", sa.Integer, nullable=False, default=0),
    sa.Column("group", sa.String(100), nullable=False),  # concurrency group (usually the backend)
    sa.Column("caller", sa.String(200)),
    sa.Column("key_id", sa.String(40)),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("started_at", sa.Float),
    sa.Column("finished_at", sa.Float),
    sa.Column("heartbeat_at", sa.Float),
    sa.Column("worker", sa.String(200)),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("progress", sa.Float, nullable=False, default=0.0),
    sa.Column("message", sa.Text),
    sa.Column("result", sa.JSON),
    sa.Column("error", sa.Text),
    sa.Column("cancel_requested", sa.Boolean, nullable=False, default=False),
    # the submitter asked for outputs without labels (checked against the key's permission again when it runs)
    sa.Column("unlabelled", sa.Boolean, nullable=False, default=False, server_default=sa.false()),  # 010
)

job_events = sa.Table(
    "job_events",
    metadata,
    sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),  # 014
    sa.Column("job_id", sa.String(40), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("type", sa.String(20), nullable=False),  # state, progress, artifact
    sa.Column("data", sa.JSON, nullable=False),
)

artifacts = sa.Table(
    "artifacts",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("mime", sa.String(100), nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("name", sa.String(255)),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float),
    sa.Column("job_id", sa.String(40)),
    sa.Column("generation_id", sa.String(40)),
    sa.Column("caller", sa.String(200)),
    sa.Column("key_id", sa.String(40)),
    sa.Column("meta", sa.JSON),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("quota", sa.JSON, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("revoked_at", sa.Float),
    sa.Column("last_used_at", sa.Float),
    sa.Column("safety", sa.String(10)),  # the key's safety filter policy; added by 009_safety
    sa.Column("safety_categories", sa.JSON),  # per-category policy overriding it ({"violence": "warn"}); 010
)

usage = sa.Table(
    "usage",
    metadata,
    sa.Column("key_id", sa.String(40), primary_key=True),
    sa.Column("day", sa.String(10), primary_key=True),  # UTC date, YYYY-MM-DD
    sa.Column("requests", sa.Integer, nullable=False, default=0),
    sa.Column("prompt_tokens", sa.BigInteger, nullable=False, default=0),
    sa.Column("completion_tokens", sa.BigInteger, nullable=False, default=0),
    sa.Column("media_seconds", sa.Float, nullable=False, default=0.0),
)

workflow_runs = sa.Table(
    "workflow_runs",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("workflow", sa.String(100), nullable=False),
    sa.Column("app", sa.String(60)),  # the app whose workflow this is, if any
    sa.Column("spec", sa.JSON, nullable=False),
    sa.Column("inputs", sa.JSON, nullable=False),
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("model", sa.String(200)),  # the run's text model override, if any
    sa.Column("status", sa.String(12), nullable=False),  # running, succeeded, failed, cancelled
    sa.Column("steps", sa.JSON, nullable=False),  # node id -> status, generation ids, artifacts, error
    sa.Column("outputs", sa.JSON),
    sa.Column("error", sa.Text),
    sa.Column("failed_step", sa.String(100)),
    sa.Column("job_id", sa.String(40)),
    sa.Column("interface", sa.String(20)),
    sa.Column("caller", sa.String(200)),
    sa.Column("key_id", sa.String(40)),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("finished_at", sa.Float),
)

step_cache = sa.Table(
    "step_cache",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),  # sha256 of step id, version, inputs, seed, model
    sa.Column("step", sa.String(100), nullable=False),
    sa.Column("outputs", sa.JSON, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)


sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("hash", sa.String(64), nullable=False, unique=True),  # sha256 of the cookie's session id
    sa.Column("key_id", sa.String(40), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("revoked_at", sa.Float),
)

safety_events = sa.Table(
    "safety_events",
    metadata,
    sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),  # 014
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("action", sa.String(10), nullable=False),  # refused, warned, logged, cut
    sa.Column("category", sa.String(100), nullable=False),
    sa.Column("term", sa.Text, nullable=False),
    sa.Column("param", sa.String(200)),  # the field that matched: messages.0.content, prompt, input, output
    sa.Column("modality", sa.String(20)),
    sa.Column("interface", sa.String(20)),
    sa.Column("caller", sa.String(200)),
    sa.Column("key_id", sa.String(40)),
    sa.Column("generation_id", sa.String(40)),
)


kb_files = sa.Table(
    "kb_files",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("filename", sa.String(255), nullable=False),
    sa.Column("purpose", sa.String(40), nullable=False),
    sa.Column("bytes", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("key_id", sa.String(40)),
)

kb_stores = sa.Table(
    "kb_stores",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(255)),
    sa.Column("metadata", sa.JSON),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_active_at", sa.Float),
    sa.Column("key_id", sa.String(40)),
)

kb_store_files = sa.Table(
    "kb_store_files",
    metadata,
    sa.Column("store_id", sa.String(40), primary_key=True),
    sa.Column("file_id", sa.String(40), primary_key=True),
    sa.Column("filename", sa.String(255), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # in_progress, completed, failed, cancelled
    sa.Column("error_code", sa.String(40)),
    sa.Column("error", sa.Text),
    sa.Column("attributes", sa.JSON),
    sa.Column("chunks", sa.Integer, nullable=False, default=0),
    sa.Column("pages", sa.Integer, nullable=False, default=0),
    sa.Column("usage_bytes", sa.BigInteger, nullable=False, default=0),
    sa.Column("batch_id", sa.String(40)),  # the ingest job that added it
    sa.Column("created_at", sa.Float, nullable=False),
)

kb_chunks = sa.Table(
    "kb_chunks",
    metadata,
    sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),  # 014
    sa.Column("store_id", sa.String(40), nullable=False),
    sa.Column("file_id", sa.String(40), nullable=False),
    sa.Column("ord", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("page", sa.Integer),  # PDF page or PPTX slide, from 1
    sa.Column("sheet", sa.String(255)),  # XLSX sheet
    sa.Column("heading_path", sa.JSON, nullable=False),
    sa.Column("start", sa.Integer, nullable=False),  # character offsets in the file's extracted text
    sa.Column("end", sa.Integer, nullable=False),
    sa.Column("vector", sa.LargeBinary),  # float32 unit vector
)


assistants = sa.Table(
    "assistants",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("store_ids", sa.JSON, nullable=False),  # the vector stores it answers from
    sa.Column("policy", sa.Text, nullable=False),
    sa.Column("tone", sa.String(200), nullable=False),
    sa.Column("allowed_origins", sa.JSON, nullable=False),  # sites whose pages may embed its widget
    sa.Column("widget_key_id", sa.String(40)),  # the api_keys row of its widget key (scope: assistant)
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("key_id", sa.String(40)),  # the key that made it (its owner)
)

assistant_conversations = sa.Table(
    "assistant_conversations",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("assistant_id", sa.String(40), nullable=False),
    sa.Column("language", sa.String(5), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

assistant_messages = sa.Table(
    "assistant_messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(40), nullable=False),
    sa.Column("role", sa.String(10), nullable=False),  # user, assistant
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("citations", sa.JSON),
    sa.Column("refused", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

assistant_handoffs = sa.Table(
    "assistant_handoffs",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("assistant_id", sa.String(40), nullable=False),
    sa.Column("conversation_id", sa.String(40), nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("reason", sa.String(40), nullable=False),  # out_of_scope, unsupported, asked_for_person
    sa.Column("language", sa.String(5), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),  # open, closed
    sa.Column("created_at", sa.Float, nullable=False),
)


def _m001_generations(conn: Connection) -> None:
    generations.create(conn)
    # plain SQL (valid in SQLite and PostgreSQL) so the Table object stays free of migration state
    conn.execute(sa.text("CREATE INDEX ix_generations_created_at ON generations (created_at)"))
    conn.execute(sa.text("CREATE INDEX ix_generations_model ON generations (model, created_at)"))
    conn.execute(sa.text("CREATE INDEX ix_generations_status ON generations (status)"))


def _m002_user_models(conn: Connection) -> None:
    user_models.create(conn)


def _m003_jobs(conn: Connection) -> None:
    jobs.create(conn)
    job_events.create(conn)
    # claiming reads queued jobs in priority order; listing filters by caller or state
    conn.execute(sa.text("CREATE INDEX ix_jobs_claim ON jobs (state, priority DESC, created_at)"))
    conn.execute(sa.text("CREATE INDEX ix_jobs_caller ON jobs (caller, created_at)"))
    conn.execute(sa.text("CREATE INDEX ix_jobs_created ON jobs (created_at)"))
    conn.execute(sa.text("CREATE INDEX ix_jobs_state_created ON jobs (state, created_at)"))
    conn.execute(sa.text("CREATE INDEX ix_job_events_job ON job_events (job_id, id)"))


def _m004_artifacts(conn: Connection) -> None:
    artifacts.create(conn)
    conn.execute(sa.text("CREATE INDEX ix_artifacts_sha ON artifacts (sha256)"))
    conn.execute(sa.text("CREATE INDEX ix_artifacts_job ON artifacts (job_id)"))
    conn.execute(sa.text("CREATE INDEX ix_artifacts_expires ON artifacts (expires_at)"))


def _m005_keys_and_usage(conn: Connection) -> None:
    api_keys.create(conn)
    usage.create(conn)
    # databases made before this migration lack the column; new ones got it from the Table
    if "key_id" not in {c["name"] for c in sa.inspect(conn).get_columns("generations")}:
        conn.execute(sa.text("ALTER TABLE generations ADD COLUMN key_id VARCHAR(40)"))


def _m006_workflows(conn: Connection) -> None:
    workflow_runs.create(conn)
    step_cache.create(conn)
    conn.execute(sa.text("CREATE INDEX ix_workflow_runs_created ON workflow_runs (created_at)"))
    conn.execute(sa.text("CREATE INDEX ix_workflow_runs_caller ON workflow_runs (caller, created_at)"))


def _m007_sessions(conn: Connection) -> None:
    sessions.create(conn)
    conn.execute(sa.text("CREATE INDEX ix_sessions_key ON sessions (key_id)"))


def _m008_knowledge(conn: Connection) -> None:
    for table in (kb_files, kb_stores, kb_store_files, kb_chunks):
        table.create(conn)
    conn.execute(sa.text("CREATE INDEX ix_kb_files_key ON kb_files (key_id, created_at)"))
    conn.execute(sa.text("CREATE INDEX ix_kb_store_files_file ON kb_store_files (file_id)"))
    conn.execute(sa.text("CREATE INDEX ix_kb_chunks_store ON kb_chunks (store_id, file_id, ord)"))
    if conn.dialect.name == "sqlite":  # PostgreSQL: a tsvector column instead (010_postgres_search)
        conn.execute(sa.text("CREATE VIRTUAL TABLE kb_chunks_fts USING fts5(tokens, tokenize='unicode61')"))


def _m009_safety(conn: Connection) -> None:
    # idempotent: a development database may hold these from when this migration was numbered 008
    safety_events.create(conn, checkfirst=True)
    conn.execute(sa.text("CREATE INDEX IF NOT EXISTS ix_safety_events_at ON safety_events (at)"))
    # databases made before this migration lack the column; new ones got it from the Table
    if "safety" not in {c["name"] for c in sa.inspect(conn).get_columns("api_keys")}:
        conn.execute(sa.text("ALTER TABLE api_keys ADD COLUMN safety VARCHAR(10)"))


def _m012_assistants(conn: Connection) -> None:
    for table in (assistants, assistant_conversations, assistant_messages, assistant_handoffs):
        table.create(conn, checkfirst=True)
    conn.execute(sa.text("CREATE INDEX IF NOT EXISTS ix_assistants_key ON assistants (key_id, created_at)"))
    conn.execute(
        sa.text("CREATE INDEX IF NOT EXISTS ix_assistant_messages_conv ON assistant_messages (conversation_id, id)")
    )
    conn.execute(
        sa.text("CREATE INDEX IF NOT EXISTS ix_assistant_handoffs ON assistant_handoffs (assistant_id, created_at)")
    )


def _m013_labels_and_policies(conn: Connection) -> None:
    """Jobs that asked for unlabelled output; per-category safety policies of keys; safety events by key."""
    if "unlabelled" not in {c["name"] for c in sa.inspect(conn).get_columns("jobs")}:
        conn.execute(sa.text("ALTER TABLE jobs ADD COLUMN unlabelled BOOLEAN NOT NULL DEFAULT FALSE"))
    if "safety_categories" not in {c["name"] for c in sa.inspect(conn).get_columns("api_keys")}:
        conn.execute(sa.text("ALTER TABLE api_keys ADD COLUMN safety_categories JSON"))
    conn.execute(sa.text("CREATE INDEX IF NOT EXISTS ix_safety_events_key ON safety_events (key_id, at)"))


def _m010_postgres_search(conn: Connection) -> None:
    """PostgreSQL's knowledge-base search: a tsvector of each chunk's segmented words (GIN index) and its
    vector as pgvector's ``vector`` (exact cosine search; stores mix embedding sizes, which HNSW cannot
    index). Chunks stored before are filled in. Nothing to do on SQLite (FTS5, 008_knowledge)."""
    if conn.dialect.name != "postgresql":
        return
    _create_vector_extension(conn)
    conn.execute(sa.text("ALTER TABLE kb_chunks ADD COLUMN IF NOT EXISTS tokens tsvector"))
    conn.execute(sa.text("ALTER TABLE kb_chunks ADD COLUMN IF NOT EXISTS embedding vector"))
    conn.execute(sa.text("CREATE INDEX IF NOT EXISTS ix_kb_chunks_tokens ON kb_chunks USING gin (tokens)"))
    from .knowledge.search import backfill_postgres  # jieba loads only when there are chunks to fill

    backfill_postgres(conn)


def _m014_bigint_ids(conn: Connection) -> None:
    """PostgreSQL: the ids of the tables that grow without bound (``BIG_ID_TABLES``) and their sequences become
    BIGINT, as new databases make them. Nothing to do on SQLite, whose INTEGER PRIMARY KEY is 64-bit."""
    if conn.dialect.name != "postgresql":
        return
    for table in BIG_ID_TABLES:
        conn.execute(sa.text(f"ALTER TABLE {table} ALTER COLUMN id TYPE BIGINT"))
        sequence = conn.scalar(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table})
        if sequence:  # a SERIAL's sequence is INTEGER too: it would stop at 2^31 - 1 all the same
            conn.execute(sa.text(f"ALTER SEQUENCE {sequence} AS BIGINT"))


def _create_vector_extension(conn: Connection) -> None:
    if conn.scalar(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'vector'")):
        return
    if not conn.scalar(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")):
        raise InvalidRequest(
            "The PostgreSQL server lacks the pgvector extension that knowledge bases need: install it "
            "(e.g. the postgresql-NN-pgvector package) and start zaowu again.",
            param="database_url",
        )
    try:
        with conn.begin_nested():
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
    except sa.exc.DBAPIError as exc:
        raise InvalidRequest(
            "Could not create the pgvector extension; run 'CREATE EXTENSION vector;' in zaowu's database as a "
            f"superuser once, then start zaowu again ({exc.orig}).",
            param="database_url",
        ) from exc


def _m011_workers(conn: Connection) -> None:
    # workers on many hosts count the running jobs of one group inside every claim (jobs.py)
    conn.execute(sa.text('CREATE INDEX IF NOT EXISTS ix_jobs_state_group ON jobs (state, "group")'))


MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("001_generations", _m001_generations),
    ("002_user_models", _m002_user_models),
    ("003_jobs", _m003_jobs),
    ("004_artifacts", _m004_artifacts),
    ("005_keys_and_usage", _m005_keys_and_usage),
    ("006_workflows", _m006_workflows),
    ("007_sessions", _m007_sessions),
    ("008_knowledge", _m008_knowledge),
    ("009_safety", _m009_safety),
    ("010_postgres_search", _m010_postgres_search),
    ("011_workers", _m011_workers),
    ("012_assistants", _m012_assistants),
    ("013_labels_and_policies", _m013_labels_and_policies),
    ("014_bigint_ids", _m014_bigint_ids),
]

# any constant key: PostgreSQL's advisory lock that lets one process at a time migrate a database
_MIGRATION_LOCK = 0x7A616F77  # "zaow"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def open_database(url: str, *, pool_size: int = 10, max_overflow: int = 20) -> Engine:
    """Create the engine, the SQLite file's folder if needed, and apply pending migrations.

    A server database (PostgreSQL) gets a pool of ``pool_size`` connections (``max_overflow`` more at peaks),
    each checked before use so a restarted server or a dropped connection costs a reconnect, not an error."""
    kwargs: dict = {"json_serializer": lambda v: json.dumps(v, ensure_ascii=False)}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
    else:
        kwargs.update(pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow, pool_recycle=3600)
    engine = sa.create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    migrate(engine)
    return engine


def migrate(engine: Engine) -> list[str]:
    """Apply the migrations not yet recorded; return their names."""
    applied: list[str] = []
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # held to the end of this transaction
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
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


def check_fits(table: sa.Table, row: dict[str, Any], params: dict[str, str] | None = None) -> None:
    """Refuse a string longer than its column (InvalidRequest naming the field: ``params`` maps a column to
    the request field it comes from). PostgreSQL would fail the insert where SQLite stores it: both refuse
    it the same way, before anything is written."""
    for name, value in row.items():
        limit = getattr(table.c[name].type, "length", None)
        if limit and isinstance(value, str) and len(value) > limit:
            field = (params or {}).get(name, name)
            raise InvalidRequest(
                f"{field} is too long: {table.name}.{name} would be {len(value)} characters, at most {limit} fit.",
                param=field,
            )


def _insert(conn: Connection) -> Any:
    """The dialect's INSERT construct that has ``on_conflict_do_update`` (SQLite's and PostgreSQL's)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def put_row(conn: Connection, table: sa.Table, row: dict[str, Any], key: list[str]) -> None:
    """Insert ``row``, or replace the other columns of the row with the same ``key`` columns, in one statement:
    two writers of the same key never collide (under PostgreSQL's READ COMMITTED a delete-then-insert can)."""
    statement = _insert(conn)(table).values(**row)
    rest = {name: statement.excluded[name] for name in row if name not in key}
    conn.execute(statement.on_conflict_do_update(index_elements=key, set_=rest))


def add_to_counters(conn: Connection, table: sa.Table, key: dict[str, Any], amounts: dict[str, Any]) -> None:
    """Add ``amounts`` to a row's counter columns, creating the row (key + amounts) when it is missing, in one
    atomic statement (INSERT … ON CONFLICT DO UPDATE, on SQLite and PostgreSQL alike): concurrent callers
    never lose an increment nor collide on the insert."""
    statement = _insert(conn)(table).values(**key, **amounts)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=list(key), set_={name: table.c[name] + statement.excluded[name] for name in amounts}
        )
    )
