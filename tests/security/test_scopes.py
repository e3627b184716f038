"""Issue 12, item 5: scope escapes. A key may run only the modalities its scopes allow and read only
its own artifacts, whether the work runs in a route, a job, a workflow step or an app; and every step
of a workflow counts against the key's request limits.

Each test attacks a real ``zaowu serve`` with keys required; the keys are created on the server's
own database."""

from __future__ import annotations

import io
import zipfile

import httpx
import pytest

from tests.helpers import wait_jobs
from tests.security.keyed_server import keyed_server, make_keys
from zaowu.studio.engine import Studio

SPEC = {"kind": "poster", "headline": "Spring tea sale"}  # a ready spec: the design engine needs no LLM


srv = keyed_server()


@pytest.fixture(scope="module")
def keys(srv):
    from zaowu.studio.keys import Quota

    return make_keys(
        srv,
        writer=(["text"], None),
        painter=(["text", "image"], None),
        voice=(["text", "audio"], None),
        listener=(["text", "audio"], None),
        limited=(["text"], Quota(requests_per_minute=3)),
    )


def _studio(srv) -> Studio:
    return Studio(srv.settings())


def _stored_by(srv, key_id: str) -> list[dict]:
    with _studio(srv) as studio:
        return [a for a in studio.artifacts.list(limit=1000) if a["key_id"] == key_id]


def _flow(nodes: dict, outputs: dict | None = None) -> dict:
    return {"id": "attack", "nodes": nodes, "outputs": outputs or {}}


def _run(srv, key: dict, flow: dict, **extra) -> httpx.Response:
    return httpx.post(
        f"{srv.base_url}/v1/workflows/run", headers=key["h"], json={"workflow": flow, **extra}, timeout=300
    )


def _png(colour: str) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buf, "PNG")
    return buf.getvalue()


# ---------------------------------------------------------------- modality scopes


def test_text_key_cannot_make_an_image_through_a_workflow(srv, keys):
    writer = keys["writer"]
    flow = _flow(
        {"poster": {"step": "image.design", "with": {"prompt": "tea", "spec": SPEC, "size": "1:1"}}},
        {"images": "${poster.images}"},
    )
    r = _run(srv, writer, flow, seed=1)
    assert r.status_code == 403, r.text
    err = r.json()["error"]
    assert err["code"] == "insufficient_scope" and err["param"] == "nodes.poster"
    assert "lacks the 'image' scope" in err["message"]
    r = _run(srv, writer, flow, seed=1, **{"async": True})  # queued runs are refused up front too
    assert r.status_code == 403 and r.json()["error"]["param"] == "nodes.poster"
    # the generic job route takes a workflow with a text key: the job fails with the same refusal
    r = httpx.post(
        f"{srv.base_url}/v1/jobs", headers=writer["h"], json={"kind": "workflow", "request": {"workflow": flow}}
    )
    assert r.status_code == 202, r.text
    job = wait_jobs(srv.base_url, [r.json()["id"]], headers=writer["h"])[0]
    assert job["state"] == "failed" and "lacks the 'image' scope" in job["error"]
    assert _stored_by(srv, writer["id"]) == []  # no image (nor anything else) was stored for the key
    # the same workflow with a key that has the scope renders the image: the refusal is the scope's
    ok = _run(srv, keys["painter"], flow, seed=1)
    assert ok.status_code == 200 and ok.json()["outputs"]["images"][0]["mime"] == "image/png"


def test_the_engine_refuses_a_modality_whatever_path_calls_it(srv, keys):
    """The check lives where work runs (Studio entry points), so a step or job that forgets it still cannot escape."""
    from zaowu.errors import PermissionDenied
    from zaowu.types import Caller, EmbeddingRequest, ImageRequest, MusicRequest, SpeechRequest, TextRequest

    writer, painter = Caller(key_id=keys["writer"]["id"]), Caller(key_id=keys["painter"]["id"])
    with Studio(srv.settings(models_dir=srv.data_dir / "none")) as studio:
        before = len(studio.log.list(limit=1000))
        attempts = [
            lambda: studio.generate_media(ImageRequest(prompt="x", spec=SPEC), who=writer),
            lambda: studio.generate_media(ImageRequest(prompt="a poster for my tea shop"), who=writer),  # planner
            lambda: studio.generate_media(MusicRequest(prompt="calm piano"), who=painter),  # its planner spends nothing
            lambda: studio.cutout(b"not even a photo", who=writer),
            lambda: studio.generate_media(SpeechRequest(input="hello"), who=painter),
            lambda: studio.stream_media(SpeechRequest(input="hello"), who=writer),
        ]
        for attempt in attempts:
            with pytest.raises(PermissionDenied, match="lacks the '(image|audio)' scope"):
                attempt()
        image_only = Caller(key_id=studio.keys.create("image-only", ["image"])[1]["id"])
        for attempt in (
            lambda: studio.generate_text(TextRequest(prompt="hi"), who=image_only),
            lambda: studio.stream(TextRequest(prompt="hi"), who=image_only),
            lambda: studio.embed(EmbeddingRequest(input=["hi"]), who=image_only),
        ):
            with pytest.raises(PermissionDenied, match="lacks the 'text' scope"):
                attempt()
        assert len(studio.log.list(limit=1000)) == before  # refused before anything was logged or loaded


def test_store_kit_with_a_text_key_is_refused_before_the_llm_runs(srv, keys):
    writer = keys["writer"]
    body = {"input": {"idea": "A small online shop for hand-made tea cups", "products": 1}}
    r = httpx.post(f"{srv.base_url}/v1/apps/store-kit", headers=writer["h"], json=body, timeout=300)
    assert r.status_code == 403, r.text
    err = r.json()["error"]
    assert "lacks the 'image' scope" in err["message"] and err["param"] == "nodes.logo"
    r = httpx.post(f"{srv.base_url}/v1/apps/store-kit", headers=writer["h"], json={**body, "async": True})
    assert r.status_code == 403
    r = httpx.post(
        f"{srv.base_url}/v1/jobs", headers=writer["h"], json={"kind": "app", "request": {"app": "store-kit", **body}}
    )
    job = wait_jobs(srv.base_url, [r.json()["id"]], headers=writer["h"])[0]
    assert job["state"] == "failed" and "lacks the 'image' scope" in job["error"]
    generations = httpx.get(f"{srv.base_url}/v1/generations", headers=writer["h"]).json()["data"]
    assert generations == []  # refused up front: not even the brand plan was generated
    assert _stored_by(srv, writer["id"]) == []


# ---------------------------------------------------------------- other keys' artifacts


def test_transcription_job_cannot_read_another_keys_upload(srv, keys):
    base, voice, listener = srv.base_url, keys["voice"], keys["listener"]
    speech = httpx.post(
        f"{base}/v1/audio/speech",
        headers=voice["h"],
        timeout=120,
        json={"input": "Please leave your order at the front desk."},
    ).content
    r = httpx.post(
        f"{base}/v1/audio/transcriptions",
        headers=voice["h"],
        timeout=60,
        files={"file": ("memo.wav", speech, "audio/wav")},
        data={"async": "true", "response_format": "text"},
    )
    assert r.status_code == 202, r.text
    own = wait_jobs(base, [r.json()["id"]], timeout=300, headers=voice["h"])[0]
    assert own["state"] == "succeeded", own  # the owner's own upload works
    upload = next(
        a for a in httpx.get(f"{base}/v1/artifacts", headers=voice["h"]).json()["data"] if a["name"] == "memo.wav"
    )

    def transcribe(artifact_id: str) -> dict:
        r = httpx.post(
            f"{base}/v1/jobs",
            headers=listener["h"],
            json={"kind": "transcription", "request": {"artifact_id": artifact_id}},
        )
        assert r.status_code == 202, r.text
        return wait_jobs(base, [r.json()["id"]], timeout=300, headers=listener["h"])[0]

    stolen, missing = transcribe(upload["id"]), transcribe("art_00000000000000000000ff")
    assert stolen["state"] == missing["state"] == "failed"
    assert stolen["result"] is None and not _stored_by(srv, listener["id"])
    # the same answer as for an id that does not exist, and as the direct endpoint's: existence is not revealed
    assert stolen["error"].replace(upload["id"], "ID") == missing["error"].replace("art_00000000000000000000ff", "ID")
    direct = httpx.get(f"{base}/v1/artifacts/{upload['id']}", headers=listener["h"])
    assert direct.status_code == 404 and direct.json()["error"]["message"] == stolen["error"]


def test_workflow_step_cannot_pack_another_keys_artifact(srv, keys):
    base, painter, writer = srv.base_url, keys["painter"], keys["writer"]
    with _studio(srv) as studio:
        art = studio.artifacts.put(_png("red"), "image/png", name="secret.png", key_id=painter["id"], upload=True)

    def site(card_id: str) -> dict:
        brand = {
            "name": "Cups",
            "tagline": "t",
            "about": "a",
            "products": [{"name": "Cup", "price": 3, "description": "d"}],
        }
        return _flow(
            {
                "site": {
                    "step": "storekit.site",
                    "with": {
                        "brand": brand,
                        "texts": {},
                        "cards": [{"id": card_id, "mime": "image/png"}],
                        "language": "en",
                    },
                }
            },
            {"zip": "${site.site_zip}"},
        )

    mine = _run(srv, painter, site(art["id"]), seed=3)  # the owner packs its own image
    assert mine.status_code == 200, mine.text
    data = httpx.get(f"{base}/v1/artifacts/{mine.json()['outputs']['zip']['id']}", headers=painter["h"]).content
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert _png("red") in [zf.read(n) for n in zf.namelist()]
    # the same inputs and seed from another key: neither the step cache nor the step hands it over
    stolen = _run(srv, writer, site(art["id"]), seed=3)
    missing = _run(srv, writer, site("art_00000000000000000000ff"), seed=3)
    assert stolen.status_code == missing.status_code == 404, stolen.text
    assert stolen.json()["error"]["param"] == "nodes.site"
    assert f"No artifact with id '{art['id']}'." in stolen.json()["error"]["message"]
    assert "No artifact with id 'art_00000000000000000000ff'." in missing.json()["error"]["message"]
    assert all(a["mime"] != "application/zip" for a in _stored_by(srv, writer["id"]))


# ---------------------------------------------------------------- steps count against quotas


def test_each_workflow_step_counts_against_the_keys_rate_limit(srv, keys):
    limited = keys["limited"]  # 3 requests per minute: the run's request and two steps
    nodes = {f"n{i}": {"step": "file.text", "with": {"text": f"part {i}", "name": f"part-{i}.txt"}} for i in range(5)}
    r = _run(srv, limited, _flow(nodes), seed=4)
    assert r.status_code == 429, r.text
    assert r.json()["error"]["type"] == "rate_limit_error" and "3 requests per minute" in r.json()["error"]["message"]
    assert 1 <= int(r.headers["retry-after"]) <= 60
    with _studio(srv) as studio:
        from zaowu.studio.workflows import list_runs

        run = next(run for run in list_runs(studio, caller=limited["name"]))
        statuses = sorted(s["status"] for s in run.steps.values())
        assert run.status == "failed" and statuses == ["done", "done", "failed", "pending", "pending"]
        assert len(_stored_by(srv, limited["id"])) == 2  # the steps that ran, and no more
        assert studio.keys.usage_for(limited["id"], 1)[0]["requests"] == 3
    assert httpx.get(f"{srv.base_url}/health").status_code == 200
