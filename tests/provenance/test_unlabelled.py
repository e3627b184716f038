"""Issue 16, policy: unlabelled output only for a key holding the explicit 'unlabelled' permission
(never the local owner, never implied by admin), and every such output is logged as unlabelled.
Against a real ``zaowu serve`` with keys required."""

from __future__ import annotations

import base64

import httpx
import pytest

from tests.helpers import wait_jobs
from tests.security.keyed_server import keyed_server, make_keys
from zaowu.settings import Settings
from zaowu.studio.engine import Studio

SPEC = {"kind": "poster", "headline": "Spring tea sale"}  # a ready spec: the design engine needs no LLM
RAW = {"X-Zaowu-Unlabelled": "true"}

srv = keyed_server()


@pytest.fixture(scope="module")
def keys(srv):
    return make_keys(
        srv, painter=(["image", "audio"], None), boss=(["admin"], None), raw=(["image", "unlabelled"], None)
    )


def _image(srv, key, headers=None):
    return httpx.post(
        f"{srv.base_url}/v1/images/generations",
        headers={**key["h"], **(headers or {})},
        json={"prompt": "p", "spec": SPEC, "seed": 1, "size": "256x256", "response_format": "b64_json"},
        timeout=300,
    )


def _verify(srv, key, data: bytes) -> dict:
    r = httpx.post(f"{srv.base_url}/v1/provenance/verify", headers=key["h"], files={"file": ("x.png", data)})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_key_without_the_permission_cannot_get_unlabelled_output(srv, keys):
    with Studio(srv.settings()) as studio:
        before = len(studio.log.list(1000))
    for name in ("painter", "boss"):  # admin does not imply it
        r = _image(srv, keys[name], RAW)
        assert r.status_code == 403, r.text
        assert r.json()["error"]["param"] == "unlabelled" and "--scope unlabelled" in r.json()["error"]["message"]
    r = httpx.post(
        f"{srv.base_url}/v1/audio/speech", headers={**keys["painter"]["h"], **RAW}, json={"input": "hi"}, timeout=120
    )
    assert r.status_code == 403 and r.json()["error"]["param"] == "unlabelled"
    with Studio(srv.settings()) as studio:
        assert len(studio.log.list(1000)) == before  # refused before any work: nothing generated or stored
    bad = _image(srv, keys["painter"], {"X-Zaowu-Unlabelled": "maybe"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "unlabelled"
    plain = _image(srv, keys["painter"], {"X-Zaowu-Unlabelled": "false"})
    assert plain.status_code == 200
    assert _verify(srv, keys["painter"], base64.b64decode(plain.json()["data"][0]["b64_json"]))["implicit"]["found"]
    assert httpx.get(f"{srv.base_url}/health").status_code == 200


def test_a_permitted_key_gets_unlabelled_output_and_it_is_logged(srv, keys):
    r = _image(srv, keys["raw"], RAW)
    assert r.status_code == 200, r.text
    data = base64.b64decode(r.json()["data"][0]["b64_json"])
    report = _verify(srv, keys["raw"], data)
    assert not report["implicit"]["found"] and not report["explicit"]["found"]
    with Studio(srv.settings()) as studio:
        row = studio.log.get(r.json()["generation_id"])
        art = studio.artifacts.get(r.json()["data"][0]["artifact_id"])
    assert row["params"].get("unlabelled") is True and row["key_id"] == keys["raw"]["id"]
    assert art["meta"]["labels"] == {"unlabelled": True, "key_id": keys["raw"]["id"]}
    labelled = _image(srv, keys["raw"])  # the same key without the header still gets labels
    assert _verify(srv, keys["raw"], base64.b64decode(labelled.json()["data"][0]["b64_json"]))["implicit"]["found"]


def test_the_local_owner_cannot_skip_labels(tmp_path):
    from zaowu.errors import PermissionDenied
    from zaowu.types import Caller, ImageRequest

    with Studio(Settings(data_dir=tmp_path)) as studio:
        with pytest.raises(PermissionDenied) as e:
            studio.generate_media(ImageRequest(prompt="p", spec=SPEC, size="128x128"), who=Caller(unlabelled=True))
        assert e.value.param == "unlabelled"
        with pytest.raises(PermissionDenied):  # the store itself refuses, whatever path reaches it
            studio.artifacts.put(b"text", "text/plain", unlabelled=True)


def _image_job(srv, key, *, unlabelled=None, headers=None):
    body = {"kind": "image", "request": {"prompt": "p", "spec": SPEC, "seed": 1, "size": "256x256"}}
    if unlabelled is not None:
        body["unlabelled"] = unlabelled
    return httpx.post(f"{srv.base_url}/v1/jobs", headers={**key["h"], **(headers or {})}, json=body, timeout=60)


def _jobs_of(srv, key_id: str) -> int:
    with Studio(Settings(data_dir=srv.data_dir)) as studio:
        return len(studio.jobs.list(key_id=key_id, limit=1000))


def test_a_job_asking_for_unlabelled_output_needs_the_permission(srv, keys):
    """The job flag (and the header on a job route) is refused for a key without the permission, before
    anything is queued; a permitted key's job stores its output without labels, logged as unlabelled."""
    before = _jobs_of(srv, keys["painter"]["id"])
    for kwargs in ({"unlabelled": True}, {"headers": RAW}):
        r = _image_job(srv, keys["painter"], **kwargs)
        assert r.status_code == 403, r.text
        assert r.json()["error"]["param"] == "unlabelled" and "--scope unlabelled" in r.json()["error"]["message"]
    assert _jobs_of(srv, keys["painter"]["id"]) == before  # nothing queued
    r = _image_job(srv, keys["painter"], unlabelled="maybe")
    assert r.status_code in (400, 422) and "unlabelled" in r.text
    r = _image_job(srv, keys["raw"], unlabelled=True)
    assert r.status_code == 202 and r.json()["unlabelled"] is True, r.text
    (job,) = wait_jobs(srv.base_url, [r.json()["id"]], timeout=300, headers=keys["raw"]["h"])
    assert job["state"] == "succeeded", job
    art_id = job["result"]["artifacts"][0]
    data = httpx.get(f"{srv.base_url}/v1/artifacts/{art_id}", headers=keys["raw"]["h"], timeout=60).content
    report = _verify(srv, keys["raw"], data)
    assert not report["implicit"]["found"] and not report["explicit"]["found"] and not report["c2pa"]["found"]
    with Studio(Settings(data_dir=srv.data_dir)) as studio:
        row = studio.log.get(job["result"]["generation_id"])
        art = studio.artifacts.get(art_id)
    assert row["params"].get("unlabelled") is True and row["key_id"] == keys["raw"]["id"]
    assert art["meta"]["labels"] == {"unlabelled": True, "key_id": keys["raw"]["id"]}
    labelled = _image_job(srv, keys["raw"])  # the same key without the flag still gets labels
    (job,) = wait_jobs(srv.base_url, [labelled.json()["id"]], timeout=300, headers=keys["raw"]["h"])
    assert job["state"] == "succeeded" and labelled.json()["unlabelled"] is False
    data = httpx.get(f"{srv.base_url}/v1/artifacts/{job['result']['artifacts'][0]}", headers=keys["raw"]["h"]).content
    assert _verify(srv, keys["raw"], data)["implicit"]["found"]


def test_an_unlabelled_job_is_checked_again_when_it_runs(srv, keys):
    """A job queued unlabelled for a key that (no longer) holds the permission fails when it runs, naming
    the permission, and stores nothing; the server keeps serving."""
    with Studio(Settings(data_dir=srv.data_dir)) as studio:  # queued as if the key had the permission back then
        queued = studio.jobs.submit(
            "image",
            {"prompt": "p", "spec": SPEC, "seed": 2, "size": "256x256"},
            caller="painter",
            key_id=keys["painter"]["id"],
            unlabelled=True,
        )
    (job,) = wait_jobs(srv.base_url, [queued["id"]], timeout=300, headers=keys["painter"]["h"])
    assert job["state"] == "failed" and "--scope unlabelled" in job["error"], job
    assert job["result"] is None
    with Studio(Settings(data_dir=srv.data_dir)) as studio:
        assert studio.artifacts.list(job_id=queued["id"]) == []
    assert httpx.get(f"{srv.base_url}/health", timeout=10).status_code == 200
