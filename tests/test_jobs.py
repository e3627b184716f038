"""The job queue and artifact store through the Python API: states, priority,
concurrency limits, cancel, events, recovery, atomic artifact writes."""

from __future__ import annotations

import hashlib
import os
import threading
import time

import pytest

from zaowu.errors import InvalidRequest, NotFound
from zaowu.settings import Settings
from zaowu.studio.engine import Studio
from zaowu.studio.jobs import FINAL_STATES

from .conftest import TEST_MODEL, sqlite_only
from .helpers import unlabelled_text


def _jobs_studio(settings: Settings):
    s = settings.model_copy(update={"plugins": ["tests.slow_jobs"], "job_concurrency": {"steps": 1}})
    with Studio(s) as studio:
        yield studio


@pytest.fixture
def jstudio(bare_settings):
    """A studio with the test job kind and no model (the queue's own tests load none)."""
    yield from _jobs_studio(bare_settings)


@pytest.fixture
def text_jstudio(settings):
    """The same on the test models, for a text job."""
    yield from _jobs_studio(settings)


def wait_all(studio, ids, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = [studio.jobs.get(i) for i in ids]
        if all(j["state"] in FINAL_STATES for j in jobs):
            return jobs
        time.sleep(0.05)
    raise AssertionError(f"jobs not finished: {[(j['id'], j['state']) for j in jobs]}")


def test_text_job_runs_to_an_artifact_and_a_logged_generation(text_jstudio):
    jstudio = text_jstudio
    job = jstudio.jobs.submit(
        "text",
        {"model": TEST_MODEL, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 12, "seed": 3},
        caller="tester",
    )
    assert job["state"] == "queued" and job["group"] == f"text:{TEST_MODEL}"
    jstudio.start_workers(1)
    done = jstudio.jobs.wait(job["id"], timeout=60)
    assert done["state"] == "succeeded" and done["progress"] == 1.0
    result = done["result"]
    assert unlabelled_text(jstudio.artifacts.read(result["artifacts"][0]).decode()) == result["text"]
    row = jstudio.log.get(result["generation_id"])
    assert row["interface"] == "job" and row["caller"] == "tester" and row["seed"] == 3


def test_priority_order_and_group_concurrency_limit(jstudio):
    low = [jstudio.jobs.submit("steps", {"steps": 1, "label": f"low{i}"}, priority=-5)["id"] for i in range(3)]
    high = [jstudio.jobs.submit("steps", {"steps": 1, "label": f"high{i}"}, priority=50)["id"] for i in range(3)]
    seen_running: list[int] = []
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            seen_running.append(len(jstudio.jobs.list(state="running", kind="steps")))
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    jstudio.start_workers(3)  # three threads, but the 'steps' group allows one at a time
    jobs = wait_all(jstudio, low + high)
    stop.set()
    watcher.join()
    assert all(j["state"] == "succeeded" for j in jobs)
    assert max(seen_running) == 1
    order = sorted(jobs, key=lambda j: j["started_at"])
    assert [j["result"]["label"] for j in order] == ["high0", "high1", "high2", "low0", "low1", "low2"]


def wait_for_progress(studio, job_id: str, timeout: float = 60) -> list[dict]:
    """The job's events once one reports progress (the job is running its steps); fail if none comes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = studio.jobs.events(job_id)
        if any(e["type"] == "progress" for e in events):
            return events
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} reported no progress in {timeout} s: {studio.jobs.get(job_id)}")


def test_cancel_queued_and_running(jstudio):
    running = jstudio.jobs.submit("steps", {"steps": 200, "step_seconds": 0.05})
    queued = jstudio.jobs.submit("steps", {"steps": 1})  # same group, limit 1: waits behind the first
    jstudio.start_workers(2)
    wait_for_progress(jstudio, running["id"])  # it is running its steps
    assert jstudio.jobs.cancel(queued["id"])["state"] == "cancelled"
    assert jstudio.jobs.cancel(running["id"])["state"] == "running"  # asked to stop; it stops at its next step
    final = jstudio.jobs.wait(running["id"], timeout=30)
    assert final["state"] == "cancelled" and final["started_at"] is not None and final["result"] is None
    steps_done = [e for e in jstudio.jobs.events(running["id"]) if e["type"] == "progress"]
    assert 1 <= len(steps_done) < 100 and 0 < final["progress"] < 0.5  # stopped early, after it had started
    assert not any(a["name"] == "final.txt" for a in jstudio.artifacts.list(job_id=running["id"]))
    assert jstudio.jobs.get(queued["id"])["started_at"] is None  # never ran


def test_failure_is_reported_and_events_are_ordered(jstudio):
    ok = jstudio.jobs.submit("steps", {"steps": 4})
    bad = jstudio.jobs.submit("steps", {"steps": 4, "fail_at": 2})
    jstudio.start_workers(1)
    _ok_job, bad_job = wait_all(jstudio, [ok["id"], bad["id"]])
    assert bad_job["state"] == "failed" and "failed at step 2" in bad_job["error"]
    events = jstudio.jobs.events(ok["id"])
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    kinds = [(e["type"], e["data"].get("state")) for e in events]
    assert kinds[0] == ("state", "queued") and kinds[1] == ("state", "running") and kinds[-1] == ("state", "succeeded")
    progress = [e["data"]["progress"] for e in events if e["type"] == "progress"]
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert any(e["type"] == "artifact" for e in events)  # the intermediate artifact was announced
    assert len(jstudio.artifacts.list(job_id=ok["id"])) == 2


def test_bad_submissions_name_the_field(jstudio):
    with pytest.raises(InvalidRequest, match="Unknown job kind 'paint'") as info:
        jstudio.jobs.submit("paint", {})
    assert info.value.param == "kind"
    with pytest.raises(InvalidRequest) as info:
        jstudio.jobs.submit("text", {"messages": [{"role": "user", "content": "x"}], "max_tokens": -1})
    assert info.value.param == "request.max_tokens"
    with pytest.raises(InvalidRequest, match="priority"):
        jstudio.jobs.submit("steps", {}, priority=1000)
    with pytest.raises(NotFound):
        jstudio.jobs.get("job_missing")


def test_jobs_of_a_dead_worker_are_requeued_or_failed(jstudio):
    resumable = jstudio.jobs.submit("steps", {"steps": 1, "label": "again"})
    claimed = jstudio.jobs.claim(worker="otherhost:1")  # a worker on another host that then goes silent
    assert claimed["id"] == resumable["id"]
    import sqlalchemy as sa

    from zaowu.studio.db import jobs as jobs_table

    with jstudio.db.begin() as conn:  # its heartbeat is old
        conn.execute(sa.update(jobs_table).values(heartbeat_at=time.time() - 3600))
    assert jstudio.jobs.recover() == (1, 0)
    again = jstudio.jobs.get(resumable["id"])
    assert again["state"] == "queued" and again["attempts"] == 1
    jstudio.start_workers(1)
    assert jstudio.jobs.wait(resumable["id"], timeout=10)["state"] == "succeeded"
    assert jstudio.jobs.get(resumable["id"])["attempts"] == 2


def captured_selects(engine, action) -> list[tuple[str, tuple]]:
    """The SELECT statements (with their parameters) the code sends to the database while ``action`` runs."""
    import sqlalchemy as sa

    seen: list[tuple[str, tuple]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, tuple(parameters)))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return seen


def query_plan(engine, statement: str, parameters: tuple) -> str:
    with engine.connect() as conn:
        return " ".join(str(r) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))


@sqlite_only("reads SQLite's EXPLAIN QUERY PLAN")
def test_listing_1000_queued_jobs_uses_indexes(jstudio):
    for i in range(1000):
        jstudio.jobs.submit("steps", {"steps": 1, "label": str(i)}, caller=f"c{i % 10}")
    assert len(jstudio.jobs.list(state="queued", limit=1000)) == 1000
    # the queries the queue itself runs: the claim's pick of the next job, a caller's listing
    claims = captured_selects(jstudio.db, jstudio.jobs.claim)
    (pick,) = [(q, p) for q, p in claims if "ORDER BY jobs.priority DESC" in q]
    listing = captured_selects(jstudio.db, lambda: jstudio.jobs.list(caller="c3", limit=50))
    (by_caller,) = [(q, p) for q, p in listing if "FROM jobs" in q]
    plan, plan2 = query_plan(jstudio.db, *pick), query_plan(jstudio.db, *by_caller)
    assert "ix_jobs_claim" in plan and "SCAN jobs" not in plan and "TEMP B-TREE" not in plan, plan
    assert "ix_jobs_caller" in plan2 and "TEMP B-TREE" not in plan2, plan2


def test_artifact_writes_are_atomic(jstudio, monkeypatch):
    store = jstudio.artifacts
    data = os.urandom(1 << 20)
    sha = hashlib.sha256(data).hexdigest()

    def crash(*_):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        store.put(data, "application/octet-stream")
    monkeypatch.undo()
    folder = store.path_for(sha).parent
    assert not store.path_for(sha).exists()
    assert not folder.exists() or list(folder.iterdir()) == []  # no temp file left behind
    row = store.put(data, "application/octet-stream", name="blob.bin")
    assert store.read(row["id"]) == data and store.verify(row["id"])
    twin = store.put(data, "application/octet-stream", name="same.bin")  # same content: one file, two records
    assert twin["sha256"] == row["sha256"] and twin["id"] != row["id"]
    assert len(list(folder.iterdir())) == 1


def test_retention_prunes_expired_artifacts(tmp_path):
    with Studio(Settings(data_dir=tmp_path, artifact_retention_days=1)) as studio:
        old = studio.artifacts.put(b"old", "text/plain")
        keep = studio.artifacts.put(b"keep", "text/plain")
        rows, files = studio.artifacts.prune(now=time.time() + 2 * 86400)
        assert (rows, files) == (2, 2)
        with pytest.raises(NotFound):
            studio.artifacts.get(old["id"])
        assert not studio.artifacts.path_for(keep["sha256"]).exists()
    with Studio(Settings(data_dir=tmp_path / "forever")) as studio:
        row = studio.artifacts.put(b"x", "text/plain")
        assert row["expires_at"] is None and studio.artifacts.prune(now=time.time() + 10**9) == (0, 0)
