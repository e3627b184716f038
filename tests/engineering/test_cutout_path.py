"""Cut-outs go through the Studio like every image: over HTTP each one is a row in the generation log
(model ``cutout``, the upload by its hash, the stored PNG as its output) charged to the key, and a key
without the 'image' scope is refused before anything runs or is logged, over HTTP and from Python."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest

from zaowu.errors import PermissionDenied
from zaowu.settings import Settings
from zaowu.studio.db import open_database
from zaowu.studio.engine import Studio
from zaowu.studio.genlog import GenerationLog
from zaowu.studio.keys import KeyStore
from zaowu.types import Caller

from ..security.keyed import keyed_server  # noqa: F401

pytest.importorskip("cv2")


def _photo() -> bytes:
    from ..test_cutout import product_photo

    return product_photo(0)[0]


def _post(keyed, key: str, data: bytes):
    return httpx.post(
        keyed.base + "/v1/images/cutout",
        files={"image": ("p.jpg", data, "image/jpeg")},
        data={"response_format": "b64_json"},
        headers=keyed.headers(key),
        timeout=300,
    )


def test_a_cutout_is_recorded_in_the_generation_log_and_charged_to_the_key(keyed):
    photo = _photo()
    r = _post(keyed, keyed.user, photo)
    assert r.status_code == 200, r.text
    body = r.json()
    engine = open_database(keyed.server.settings().db_url)
    try:
        row = GenerationLog(engine).get(body["generation_id"])
        shop = next(k for k in KeyStore(engine).list() if k["name"] == "shop")
    finally:
        engine.dispose()
    assert (row["status"], row["modality"], row["model"], row["interface"]) == ("ok", "image", "cutout", "api")
    assert row["key_id"] == shop["id"] and row["caller"] == "shop"
    assert row["input"]["image_sha256"] == hashlib.sha256(photo).hexdigest() and row["params"] == {"kind": "auto"}
    assert json.loads(row["output"])["artifacts"][0]["id"] == body["artifact_id"]
    art = httpx.get(keyed.base + body["url"], headers=keyed.headers(), timeout=30)
    assert art.status_code == 200 and art.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_cutout_without_the_image_scope_is_refused_and_not_logged(keyed):
    engine = open_database(keyed.server.settings().db_url)
    try:
        writer = KeyStore(engine).create("writer-only", ["text"])[0]
        before = len(GenerationLog(engine).list(1000))
        r = _post(keyed, writer, _photo())
        assert r.status_code == 403 and "image" in r.json()["error"]["message"]
        assert len(GenerationLog(engine).list(1000)) == before
    finally:
        engine.dispose()
    assert httpx.get(keyed.base + "/health", timeout=30).status_code == 200  # still serving


def test_studio_cutout_checks_the_scope_before_any_work(tmp_path):
    with Studio(Settings(data_dir=tmp_path / "data", models_dir=tmp_path / "none")) as studio:
        writer = Caller(key_id=studio.keys.create("writer", ["text"])[1]["id"])
        with pytest.raises(PermissionDenied, match="'image' scope"):
            studio.cutout(_photo(), who=writer)
        assert studio.log.list(10) == []
        result = studio.cutout(_photo(), "object")  # the local owner
        assert studio.log.get(result.generation_id)["status"] == "ok" and result.kind == "object"
