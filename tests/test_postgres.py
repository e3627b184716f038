"""zaowu's state on a real PostgreSQL server (issue 19, item 1): a Studio whose ``database_url`` names a
fresh PostgreSQL database round-trips every store (generation log, job queue, artifacts, keys and usage
counters under concurrent increments, workflow runs, knowledge bases with tsvector + pgvector search),
and the same named migrations apply once, idempotently, from concurrent processes, and one by one on a
database upgraded from each earlier version. (`make test-postgres` runs the storage and API suites on
PostgreSQL too; this file runs in the normal suite.)"""

from __future__ import annotations

import threading
import time
import warnings
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pytest
import sqlalchemy as sa

from tests import kb_docs
from tests.postgres import new_database, postgres_url  # noqa: F401 - the fixture
from zaowu.errors import InvalidRequest
from zaowu.studio import db
from zaowu.studio.engine import Studio
from zaowu.studio.history import History
from zaowu.studio.workflows import get_run, load_workflow, run_workflow

THREADS = 8
INCREMENTS = 40  # usage increments per thread


@pytest.fixture
def pg_studio(bare_settings, postgres_url):  # noqa: F811 - the fixture imported above
    plugins = ["tests.slow_jobs", "tests.workflow_steps"]
    update = {"database_url": postgres_url, "plugins": plugins, "job_concurrency": {"steps": 1}}
    with Studio(bare_settings.model_copy(update=update)) as studio:
        assert studio.db.dialect.name == "postgresql"
        yield studio


def test_generation_log_round_trips_json_bigints_and_searches_case_insensitively(pg_studio):
    log = pg_studio.log
    seed = 2**40 + 3  # past 32 bits: a BIGINT column
    gen_id = log.start(
        interface="python",
        caller="tester",
        modality="text",
        model="m1",
        model_sha256=None,
        backend="llama",
        params={"temperature": 0.25, "stop": ["。"]},
        seed=seed,
        input={"messages": [{"role": "user", "content": "Name a Tea 100% 茶"}]},
    )
    log.finish(gen_id, status="ok", output="乌龙", prompt_tokens=7, completion_tokens=2, duration_ms=12.5)
    row = log.get(gen_id)
    assert row["seed"] == seed and row["params"] == {"temperature": 0.25, "stop": ["。"]}
    assert row["input"]["messages"][0]["content"] == "Name a Tea 100% 茶" and row["output"] == "乌龙"
    assert row["status"] == "ok" and row["duration_ms"] == 12.5 and row["finished_at"] >= row["created_at"]
    assert [r["id"] for r in log.list(model="m1")] == [gen_id]
    history = History(pg_studio.db, log)
    for q in ("name a tea", "茶", "100%"):  # ILIKE on both databases; % in the query matches itself
        assert [r["id"] for r in history.list(q=q)] == [gen_id], q
    assert history.list(q="tea 100 %") == []


def test_jobs_are_claimed_by_priority_run_once_and_leave_ordered_events(pg_studio):
    jobs = pg_studio.jobs
    low = jobs.submit("steps", {"steps": 2, "step_seconds": 0, "label": "low"}, caller="c")
    high = jobs.submit("steps", {"steps": 2, "step_seconds": 0, "label": "high"}, priority=5, caller="c")
    first = jobs.claim("host-a:1")
    assert first["id"] == high["id"] and first["state"] == "running" and first["attempts"] == 1
    assert jobs.claim("host-b:2") is None  # the 'steps' group allows one running job
    jobs.run(first, pg_studio)
    second = jobs.claim("host-b:2")
    assert second["id"] == low["id"]
    jobs.run(second, pg_studio)
    assert jobs.claim() is None
    for job_id, label in ((high["id"], "high"), (low["id"], "low")):
        done = jobs.get(job_id)
        assert done["state"] == "succeeded" and done["progress"] == 1.0 and done["result"]["label"] == label
        events = jobs.events(job_id)
        assert [e["id"] for e in events] == sorted(e["id"] for e in events)  # autoincrement ids, in order
        states = [e["data"]["state"] for e in events if e["type"] == "state"]
        assert states == ["queued", "running", "succeeded"]
        arts = pg_studio.artifacts.list(job_id=job_id)
        assert {a["name"] for a in arts} == {"step1.txt", "final.txt"}
    assert jobs.get(high["id"])["worker"] == "host-a:1"
    assert sorted(j["state"] for j in jobs.list(caller="c")) == ["succeeded", "succeeded"]


def test_artifact_rows_keep_sizes_meta_and_expiry(pg_studio):
    store = pg_studio.artifacts
    data = b"x" * 3000
    row = store.put(data, "application/octet-stream", name="说明.bin")
    got = store.get(row["id"])
    assert got["size_bytes"] == 3000 and got["name"] == "说明.bin" and got["sha256"] == row["sha256"]
    assert store.read(row["id"]) == data and store.verify(row["id"])
    assert row["id"] in {a["id"] for a in store.list(limit=10)}
    assert store.discard([row["id"]]) == 1 and store.list(limit=10) == []


def test_usage_counters_add_up_under_concurrent_increments(pg_studio):
    keys = pg_studio.keys
    _, key = keys.create("busy", ["text"])
    start = threading.Barrier(THREADS)

    def spend() -> None:
        start.wait()  # all threads race for the day's first row together
        for _ in range(INCREMENTS):
            keys.add_usage(key["id"], requests=1, prompt_tokens=3, completion_tokens=2, media_seconds=0.5)

    with ThreadPoolExecutor(THREADS) as pool:
        for future in [pool.submit(spend) for _ in range(THREADS)]:
            future.result()  # a thread's error fails the test
    n = THREADS * INCREMENTS
    today = keys.usage_for(key["id"], days=1)[0]
    assert today["requests"] == n and today["prompt_tokens"] == 3 * n and today["completion_tokens"] == 2 * n
    assert today["media_seconds"] == pytest.approx(0.5 * n)
    with pg_studio.db.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(db.usage)) == 1  # one row for the day
    assert keys.get("busy")["last_used_at"] is not None


def test_workflow_runs_are_stored_cached_and_read_back(pg_studio, tmp_path):
    spec = load_workflow(
        {
            "id": "add-twice",
            "inputs": {"x": {"type": "number"}},
            "nodes": {
                "first": {"step": "test.add", "with": {"a": "${inputs.x}", "b": 2}},
                "second": {"step": "test.add", "with": {"a": "${first.sum}", "b": 10}},
            },
            "outputs": {"total": "${second.sum}", "text": "第一步 ${first.label}"},
        }
    )
    run = run_workflow(pg_studio, spec, {"x": 1}, seed=2**35)
    assert run.status == "succeeded" and run.outputs == {"total": 13, "text": "第一步 1+2"}
    stored = get_run(pg_studio, run.id)
    assert stored.outputs == run.outputs and stored.seed == 2**35 and stored.status == "succeeded"
    again = run_workflow(pg_studio, spec, {"x": 1}, seed=2**35)  # the step cache, keyed by input hash
    assert again.id != run.id and {s["status"] for s in again.steps.values()} == {"cached"}


def test_knowledge_base_ingests_and_finds_by_words_and_vectors(pg_studio):
    kb = pg_studio.knowledge
    store = kb.create_store("shop")["id"]
    docs = kb_docs.documents()
    ids = {name: kb.add_file(blob, name)["id"] for name, blob in docs.items()}
    kb.attach(store, list(ids.values()), attributes={"lang": "zh"})
    outcome = kb.ingest(store, list(ids.values()))
    assert all(o["status"] == "completed" for o in outcome["files"].values()), outcome
    with pg_studio.db.connect() as conn:
        filled = conn.execute(
            sa.text("SELECT count(*), count(tokens), min(vector_dims(embedding)) FROM kb_chunks WHERE store_id = :s"),
            {"s": store},
        ).one()
    assert filled[0] > 0 and filled[1] == filled[0] and filled[2] > 100  # every chunk indexed both ways
    found = 0
    for question, filename, needle in kb_docs.QUESTIONS:
        hits = kb.search([store], question, max_results=5)
        found += any(h.filename == filename and needle in h.text for h in hits)
    assert found >= len(kb_docs.QUESTIONS) - 2  # the same bar as the SQLite suite (test_knowledge.py)
    # full text alone: the exact segmented word ranks its chunk, fused with the vector ranking
    text_only = kb._text_ranks([store], "顺丰", kb._searchable_files([store], None))
    assert text_only, "no full-text match on a word the shipping document holds"
    top = kb.search([store], "顺丰", max_results=1)[0]
    assert top.filename == "shipping.docx" and "顺丰" in top.text and top.attributes == {"lang": "zh"}
    assert kb.search([store], "顺丰", filters={"type": "eq", "key": "lang", "value": "en"}) == []
    kb.remove_from_store(store, ids["shipping.docx"])
    assert all(h.filename != "shipping.docx" for h in kb.search([store], "顺丰", max_results=10))


def test_migrations_apply_once_and_a_second_open_changes_nothing(postgres_url):  # noqa: F811
    with ThreadPoolExecutor(4) as pool:  # processes starting together: one migrates, the others wait
        engines = [f.result() for f in [pool.submit(db.open_database, postgres_url) for _ in range(4)]]
    assert db.migrate(engines[0]) == []  # a second open applies nothing
    with engines[0].connect() as conn:
        names = list(conn.scalars(sa.text("SELECT name FROM zaowu_migrations ORDER BY name")))
        extension = conn.scalar(sa.text("SELECT extname FROM pg_extension WHERE extname = 'vector'"))
    assert names == [name for name, _ in db.MIGRATIONS] and extension == "vector"
    for engine in engines:
        engine.dispose()


def _schema(engine: sa.Engine) -> dict[str, list[tuple[str, str]]]:
    inspector = sa.inspect(engine)
    with warnings.catch_warnings():  # SQLAlchemy does not know pgvector's type: both sides read it as NULL
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        return {
            table: sorted((c["name"], str(c["type"])) for c in inspector.get_columns(table))
            for table in sorted(inspector.get_table_names())
        }


def _indexes(engine: sa.Engine) -> dict[str, list[str]]:
    inspector = sa.inspect(engine)
    return {table: sorted(i["name"] for i in inspector.get_indexes(table)) for table in inspector.get_table_names()}


def _sequences(engine: sa.Engine) -> dict[str, str]:
    """PostgreSQL: each sequence's integer type (a SERIAL's is INTEGER and stops at 2^31 - 1)."""
    if engine.dialect.name != "postgresql":
        return {}
    with engine.connect() as conn:
        return dict(conn.execute(sa.text("SELECT sequencename, data_type::text FROM pg_sequences")).all())


def _rows_past_2_31(engine: sa.Engine) -> dict[str, int]:
    """The id each BIG_ID table gives a new row once its sequence is past 2^31 (PostgreSQL)."""
    rows = {
        "job_events": {"job_id": "job_x", "at": 1.0, "type": "state", "data": {}},
        "safety_events": {"at": 1.0, "action": "logged", "category": "c", "term": "t"},
        "kb_chunks": {"store_id": "vs_x", "file_id": "file_x", "ord": 0, "text": "t", "heading_path": []},
    }
    rows["kb_chunks"].update(start=0, end=1)
    ids = {}
    with engine.begin() as conn:
        for name in db.BIG_ID_TABLES:
            conn.execute(sa.text("SELECT setval(pg_get_serial_sequence(:t, 'id'), 2147483650)"), {"t": name})
            table = db.metadata.tables[name]
            ids[name] = conn.execute(table.insert().values(**rows[name]).returning(table.c.id)).scalar_one()
    return ids


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_a_database_upgraded_migration_by_migration_matches_a_new_one(dialect, tmp_path, monkeypatch):
    """Each migration applied in turn, by the code as it shipped (before 014_bigint_ids the ids of
    ``BIG_ID_TABLES`` were INTEGER: 32-bit SERIALs on PostgreSQL), gives the schema of a new database:
    on PostgreSQL those ids and their sequences are BIGINT, and rows get ids past 2^31."""
    url = new_database() if dialect == "postgresql" else f"sqlite:///{tmp_path / 'old.db'}"
    fresh_url = new_database() if dialect == "postgresql" else f"sqlite:///{tmp_path / 'new.db'}"
    engine = sa.create_engine(url)
    every = list(db.MIGRATIONS)
    ids = [db.metadata.tables[name].c.id for name in db.BIG_ID_TABLES]
    for n, (name, _) in enumerate(every, start=1):
        monkeypatch.setattr(db, "MIGRATIONS", every[:n])  # the code as it shipped with n migrations
        for column in ids:
            monkeypatch.setattr(column, "type", sa.Integer() if name < "014" else db.BIG_ID)
        assert db.migrate(engine) == [name]
        if dialect == "postgresql" and name == "013_labels_and_policies":  # the old schema really was 32-bit
            assert dict(_schema(engine)["job_events"])["id"] == "INTEGER"
            assert _sequences(engine)["job_events_id_seq"] == "integer"
    monkeypatch.setattr(db, "MIGRATIONS", every)
    fresh = db.open_database(fresh_url)
    assert _schema(engine) == _schema(fresh) and _indexes(engine) == _indexes(fresh)
    assert _sequences(engine) == _sequences(fresh)
    if dialect == "postgresql":
        for name in db.BIG_ID_TABLES:
            assert dict(_schema(engine)[name])["id"] == "BIGINT", name
            assert _sequences(engine)[f"{name}_id_seq"] == "bigint", name
        assert _rows_past_2_31(engine) == dict.fromkeys(db.BIG_ID_TABLES, 2147483651)
        assert _rows_past_2_31(fresh) == dict.fromkeys(db.BIG_ID_TABLES, 2147483651)
    else:
        assert {dict(_schema(engine)[name])["id"] for name in db.BIG_ID_TABLES} == {"INTEGER"}  # the rowid
    engine.dispose()
    fresh.dispose()


def test_chunks_stored_before_postgres_search_are_indexed_by_its_migration(bare_settings, monkeypatch):
    url = new_database()
    before = [m for m in db.MIGRATIONS if m[0] != "010_postgres_search"]
    monkeypatch.setattr(db, "MIGRATIONS", before)
    engine = db.open_database(url)
    vector = np.zeros(8, dtype=np.float32)
    vector[3] = 1.0
    now = time.time()
    with engine.begin() as conn:  # a store as a version without 010 left it: no tokens, no pgvector column
        conn.execute(db.kb_stores.insert().values(id="vs_old", name="old", metadata={}, created_at=now))
        conn.execute(
            db.kb_files.insert().values(
                id="file_old", filename="faq.md", purpose="assistants", bytes=10, sha256="0" * 64, created_at=now
            )
        )
        conn.execute(
            db.kb_store_files.insert().values(
                store_id="vs_old",
                file_id="file_old",
                filename="faq.md",
                sha256="0" * 64,
                status="completed",
                attributes={},
                chunks=1,
                created_at=now,
            )
        )
        conn.execute(
            db.kb_chunks.insert().values(
                store_id="vs_old",
                file_id="file_old",
                ord=0,
                text="退货请联系客服，七天无理由。",
                heading_path=["售后"],
                start=0,
                end=14,
                vector=vector.tobytes(),
            )
        )
    engine.dispose()
    monkeypatch.setattr(db, "MIGRATIONS", before + [("010_postgres_search", db._m010_postgres_search)])
    with Studio(bare_settings.model_copy(update={"database_url": url})) as studio:
        with studio.db.connect() as conn:
            tokens, same = conn.execute(
                sa.text("SELECT CAST(tokens AS text), embedding <=> CAST(:v AS vector) FROM kb_chunks"),
                {"v": "[" + ",".join(str(float(x)) for x in vector) + "]"},
            ).one()
        assert "'退货'" in tokens and "'售后'" in tokens and same == pytest.approx(0.0)
        hits = studio.knowledge.search(["vs_old"], "怎么退货", max_results=3)
        assert [h.filename for h in hits] == ["faq.md"]  # found by its words (its 8-dim vector is not comparable)


def _second_writer_after_first_commits(engine: sa.Engine, first, second) -> Future:
    """Run ``first(conn)`` in an open transaction, start ``second()`` in a thread, wait until PostgreSQL shows
    it blocked behind that transaction's row, then commit: the interleaving READ COMMITTED allows and SQLite's
    single writer never does. Returns the second writer's future."""
    waiting = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    with engine.connect() as conn, ThreadPoolExecutor(1) as pool:
        tx = conn.begin()
        first(conn)
        future = pool.submit(second)
        with engine.connect() as watch:
            # each look in its own transaction: PostgreSQL keeps one snapshot of pg_stat_activity per transaction
            while not watch.scalar(waiting):
                watch.rollback()
                assert not future.done(), f"the second writer did not wait for the first: {future.result()}"
                time.sleep(0.01)
        tx.commit()
        future.exception()  # wait for it
    return future


def test_step_cache_writers_of_the_same_key_do_not_collide(pg_studio):
    def row(value: int) -> dict:
        return {"key": "k" * 64, "step": "test.add", "outputs": {"outputs": {"sum": value}}, "created_at": time.time()}

    def second() -> None:
        with pg_studio.db.begin() as conn:
            db.put_row(conn, db.step_cache, row(2), ["key"])

    future = _second_writer_after_first_commits(
        pg_studio.db, lambda conn: db.put_row(conn, db.step_cache, row(1), ["key"]), second
    )
    assert future.exception() is None
    with pg_studio.db.connect() as conn:
        assert conn.scalar(sa.select(db.step_cache.c.outputs)) == {"outputs": {"sum": 2}}  # the last write wins


def test_two_keys_of_one_name_created_at_once_give_one_key_and_a_400(pg_studio):
    keys = pg_studio.keys
    row = {"id": "key_first", "name": "shop", "prefix": "zw-abcd", "hash": "0" * 64, "scopes": ["text"], "quota": {}}

    future = _second_writer_after_first_commits(
        pg_studio.db,
        lambda conn: conn.execute(db.api_keys.insert().values(**row, created_at=time.time())),
        lambda: keys.create("shop", ["text"]),
    )
    error = future.exception()
    assert isinstance(error, InvalidRequest) and error.param == "name" and "exists" in str(error)
    assert [k["id"] for k in keys.list()] == ["key_first"]


def test_strings_longer_than_their_column_are_a_400_naming_the_field(pg_studio):
    """PostgreSQL enforces VARCHAR sizes that SQLite ignores: a long remote model name or caller is refused
    before anything is written, on both databases alike, instead of failing the insert with a 500."""
    chat = {"messages": [{"role": "user", "content": "hi"}]}
    with pytest.raises(InvalidRequest) as e:
        pg_studio.jobs.submit("text", {**chat, "model": "ollama/" + "m" * 300})
    assert e.value.param == "request.model" and "at most 100" in str(e.value)
    with pytest.raises(InvalidRequest) as e:
        pg_studio.jobs.submit("text", chat, caller="c" * 201)
    assert e.value.param == "caller"
    with pytest.raises(InvalidRequest) as e:
        pg_studio.artifacts.put(b"x", "application/" + "x" * 100, upload=True)
    assert e.value.param == "mime"
    assert pg_studio.jobs.list() == [] and pg_studio.artifacts.list() == []
    assert pg_studio.jobs.submit("text", chat, caller="c" * 200)["caller"] == "c" * 200  # the limit itself fits
