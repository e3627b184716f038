"""Jobs, artifacts, keys and quotas over HTTP against real server processes,
including hard kills of the server in the middle of jobs."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import threading
import time

import httpx
import pytest

from zaowu.studio.engine import Studio

from .conftest import TEST_MODEL, Server
from .helpers import unlabelled_text, wait_jobs


@pytest.fixture(scope="module")
def jobs_server(tmp_path_factory, models_dir):
    srv = Server(
        tmp_path_factory.mktemp("jobs-server"),
        models_dir,
        {"ZAOWU_PLUGINS": '["tests.slow_jobs"]', "ZAOWU_JOB_WORKERS": "3"},
    )
    yield srv
    srv.stop()


def test_sse_events_arrive_in_order_until_the_end(jobs_server):
    base = jobs_server.base_url
    job = httpx.post(f"{base}/v1/jobs", json={"kind": "steps", "request": {"steps": 5, "step_seconds": 0.1}}).json()
    assert job["state"] == "queued"
    events = []
    with httpx.stream("GET", f"{base}/v1/jobs/{job['id']}/events", timeout=30) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        event = {}
        for line in r.iter_lines():
            if line.startswith("id: "):
                event["id"] = int(line[4:])
            elif line.startswith("event: "):
                event["type"] = line[7:]
            elif line.startswith("data: "):
                event["data"] = json.loads(line[6:])
            elif not line and event:
                events.append(event)
                event = {}
    types = [e["type"] for e in events]
    assert types[-1] == "end" and events[-1]["data"]["state"] == "succeeded"
    ids = [e["id"] for e in events if "id" in e]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    states = [e["data"]["state"] for e in events if e["type"] == "state"]
    assert states == ["queued", "running", "succeeded"]
    progress = [e["data"]["progress"] for e in events if e["type"] == "progress"]
    assert progress == sorted(progress) and len(progress) == 5
    # resuming after an event id replays only what came later
    last_progress = next(e["id"] for e in events if e["type"] == "progress")
    with httpx.stream("GET", f"{base}/v1/jobs/{job['id']}/events", headers={"Last-Event-ID": str(last_progress)}) as r:
        resumed = [ln for ln in r.iter_lines() if ln.startswith("id: ")]
    assert [int(x[4:]) for x in resumed] == [i for i in ids if i > last_progress]


def test_hundred_jobs_from_ten_clients_are_all_accounted_for(jobs_server):
    base = jobs_server.base_url
    ids: list[str] = []
    lock = threading.Lock()

    def client(c: int) -> None:
        with httpx.Client(base_url=base, timeout=60) as http:
            for i in range(10):
                body = (
                    {"kind": "embeddings", "request": {"input": [f"client {c} text {i}"]}}
                    if i % 2
                    else {
                        "kind": "steps",
                        "request": {"steps": 1, "step_seconds": 0, "group": f"g{c}", "label": f"{c}-{i}"},
                    }
                )
                r = http.post("/v1/jobs", json=body)
                assert r.status_code == 202, r.text
                with lock:
                    ids.append(r.json()["id"])

    threads = [threading.Thread(target=client, args=(c,)) for c in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ids) == 100 and len(set(ids)) == 100
    jobs = wait_jobs(base, ids)
    assert [j["state"] for j in jobs].count("succeeded") == 100
    listed = {j["id"] for j in httpx.get(f"{base}/v1/jobs", params={"limit": 1000}).json()["data"]}
    assert set(ids) <= listed


def test_async_chat_returns_a_job_with_an_artifact_served_with_ranges(jobs_server):
    base = jobs_server.base_url
    r = httpx.post(
        f"{base}/v1/chat/completions",
        json={
            "model": TEST_MODEL,
            "async": True,
            "max_tokens": 16,
            "seed": 1,
            "messages": [{"role": "user", "content": "Say hi"}],
        },
    )
    assert r.status_code == 202 and r.json()["object"] == "job"
    job = wait_jobs(base, [r.json()["id"]])[0]
    assert job["state"] == "succeeded"
    art_id = job["result"]["artifacts"][0]
    meta = httpx.get(f"{base}/v1/artifacts/{art_id}/meta").json()
    full = httpx.get(f"{base}/v1/artifacts/{art_id}")
    assert full.headers["content-type"].startswith("text/plain") and unlabelled_text(full.text) == job["result"]["text"]
    assert hashlib.sha256(full.content).hexdigest() == meta["sha256"]
    part = httpx.get(f"{base}/v1/artifacts/{art_id}", headers={"Range": "bytes=2-5"})
    assert part.status_code == 206 and part.content == full.content[2:6]
    assert part.headers["content-range"] == f"bytes 2-5/{len(full.content)}"
    assert httpx.get(f"{base}/v1/artifacts/art_nope").status_code == 404
    head = httpx.head(f"{base}/v1/artifacts/{art_id}")
    assert head.status_code == 200 and head.content == b"" and head.headers["content-length"] == str(len(full.content))
    cached = httpx.get(f"{base}/v1/artifacts/{art_id}", headers={"If-None-Match": full.headers["etag"]})
    assert cached.status_code == 304 and cached.content == b""


def test_cancel_over_http(jobs_server):
    base = jobs_server.base_url
    job = httpx.post(
        f"{base}/v1/jobs", json={"kind": "steps", "request": {"steps": 100, "step_seconds": 0.05, "group": "cancel"}}
    ).json()
    with httpx.stream("GET", f"{base}/v1/jobs/{job['id']}/events", timeout=60) as r:
        for line in r.iter_lines():  # until the job reports its first step: it is running
            if line == "event: progress":
                break
    assert httpx.get(f"{base}/v1/jobs/{job['id']}").json()["state"] == "running"
    assert httpx.delete(f"{base}/v1/jobs/{job['id']}").status_code == 200
    final = wait_jobs(base, [job["id"]], timeout=30)[0]
    assert final["state"] == "cancelled" and final["result"] is None
    assert 0 < final["progress"] < 0.5  # it had started, and stopped long before its 100 steps
    bad = httpx.post(f"{base}/v1/jobs", json={"kind": "steps", "request": {"steps": 0}})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "request.steps"


def test_jobs_survive_hard_kills(tmp_path, models_dir):
    """Kill the server with SIGKILL mid-work, twice; every job still ends, once, with intact artifacts."""
    env = {"ZAOWU_PLUGINS": '["tests.slow_jobs"]', "ZAOWU_JOB_WORKERS": "2"}
    srv = Server(tmp_path, models_dir, env)
    base = srv.base_url
    ids = []
    for i in range(4):
        body = {
            "model": TEST_MODEL,
            "messages": [{"role": "user", "content": f"Tell a story about {i}"}],
            "max_tokens": 60,
            "seed": i,
        }
        ids.append(httpx.post(f"{base}/v1/jobs", json={"kind": "text", "request": body}).json()["id"])
    for i in range(6):
        ids.append(
            httpx.post(
                f"{base}/v1/jobs",
                json={
                    "kind": "steps",
                    "request": {"steps": 10, "step_seconds": 0.1, "group": f"k{i}", "label": str(i)},
                },
            ).json()["id"]
        )
    for _round in range(2):
        for _ in range(100):  # until something is running
            if httpx.get(f"{base}/v1/jobs", params={"state": "running"}).json()["data"]:
                break
            time.sleep(0.05)
        os.kill(srv.proc.pid, signal.SIGKILL)
        srv.proc.wait()
        srv._log.close()
        srv = Server(tmp_path, models_dir, env, database_url=srv.database_url)
        base = srv.base_url
    try:
        jobs = wait_jobs(base, ids, timeout=300)
        assert [j["state"] for j in jobs] == ["succeeded"] * len(ids)
        for j in jobs:
            for art_id in j["result"]["artifacts"]:
                meta = httpx.get(f"{base}/v1/artifacts/{art_id}/meta").json()
                body = httpx.get(f"{base}/v1/artifacts/{art_id}").content
                assert hashlib.sha256(body).hexdigest() == meta["sha256"]
        text_jobs = jobs[:4]
        for j in text_jobs:
            stored = httpx.get(f"{base}/v1/artifacts/{j['result']['artifacts'][0]}").text
            assert unlabelled_text(stored) == j["result"]["text"]
        assert any(j["attempts"] > 1 for j in jobs)  # some ran again after a kill
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def keys(auth_server):
    from zaowu.studio.keys import Quota

    with Studio(auth_server.settings()) as studio:
        made = {
            "text": studio.keys.create("writer", ["text"])[0],
            "image": studio.keys.create("painter", ["image"])[0],
            "limited": studio.keys.create("limited", ["text"], Quota(requests_per_minute=3))[0],
            "frugal": studio.keys.create("frugal", ["text"], Quota(tokens_per_day=60))[0],
            "revoked": studio.keys.create("gone", ["text"])[0],
            "admin": studio.keys.create("boss", ["admin"])[0],
            "other": studio.keys.create("other", ["text"])[0],
        }
        studio.keys.revoke("gone")
    return made


def _chat(base, key=None, **extra):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body = {"model": TEST_MODEL, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8, **extra}
    return httpx.post(f"{base}/v1/chat/completions", json=body, headers=headers, timeout=60)


def test_auth_missing_invalid_revoked_wrong_scope(auth_server, keys):
    base = auth_server.base_url
    for key in (None, "zw-not-a-real-key", keys["revoked"]):
        r = _chat(base, key)
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
    assert "revoked" in _chat(base, keys["revoked"]).json()["error"]["message"]
    r = _chat(base, keys["image"])
    assert r.status_code == 403 and "lacks the 'text' scope" in r.json()["error"]["message"]
    assert _chat(base, keys["text"]).status_code == 200
    assert _chat(base, keys["admin"]).status_code == 200
    assert httpx.get(f"{base}/v1/models").status_code == 401


def test_rate_limit_and_daily_quota_give_429(auth_server, keys):
    base = auth_server.base_url
    codes = [_chat(base, keys["limited"]).status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    r = _chat(base, keys["limited"])
    assert r.status_code == 429 and r.json()["error"]["type"] == "rate_limit_error"
    assert 1 <= int(r.headers["retry-after"]) <= 60
    # the first chat is cut where the quota ends (prompt ~40 tokens + what is left of 60), the next is refused
    first = _chat(base, keys["frugal"], max_tokens=200)
    assert first.status_code == 200 and first.json()["usage"]["completion_tokens"] <= 20
    r = _chat(base, keys["frugal"])
    assert r.status_code == 429 and r.json()["error"]["code"] == "insufficient_quota"
    usage = httpx.get(f"{base}/v1/usage", headers={"Authorization": f"Bearer {keys['frugal']}"}).json()["data"][0]
    assert usage["key"] == "frugal" and 20 < usage["today"]["prompt_tokens"] + usage["today"]["completion_tokens"] <= 60
    assert usage["limits"]["tokens_per_day"] == 60


def test_keys_are_logged_and_see_only_their_own_jobs(auth_server, keys):
    base = auth_server.base_url
    h = {"Authorization": f"Bearer {keys['text']}"}
    r = _chat(base, keys["text"])
    gen_id = r.json()["zaowu"]["generation_id"]
    with Studio(auth_server.settings()) as studio:
        row = studio.log.get(gen_id)
        assert row["caller"] == "writer" and row["key_id"] == studio.keys.get("writer")["id"]
    job = httpx.post(f"{base}/v1/jobs", headers=h, json={"kind": "embeddings", "request": {"input": ["x"]}}).json()
    other = {"Authorization": f"Bearer {keys['other']}"}
    assert httpx.get(f"{base}/v1/jobs/{job['id']}", headers=other).status_code == 404
    admin = {"Authorization": f"Bearer {keys['admin']}"}
    assert httpx.get(f"{base}/v1/jobs/{job['id']}", headers=admin).status_code == 200
    assert job["id"] not in {j["id"] for j in httpx.get(f"{base}/v1/jobs", headers=other).json()["data"]}
    r = httpx.post(
        f"{base}/v1/jobs",
        headers={"Authorization": f"Bearer {keys['image']}"},
        json={"kind": "text", "request": {"messages": [{"role": "user", "content": "x"}]}},
    )
    assert r.status_code == 403
