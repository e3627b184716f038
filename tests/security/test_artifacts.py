"""Issue 12, item 6: artifacts as a script host. Stored HTML or SVG served inline from the studio's
origin would run script there (and could call /v1/keys as whoever opens it). Against a real server:
the file.text step refuses active types, every artifact is served with nosniff and a sandboxing CSP,
active and user-typed content only as an attachment, and control characters in a MIME type or name
are a 400 that leaves the server serving."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import unlabelled_text
from tests.security.keyed_server import keyed_server, make_keys
from zaowu.studio.engine import Studio

SPEC = {"kind": "logo", "headline": "Cups"}  # a ready design spec: no LLM needed
BRAND = {"name": "Cups", "tagline": "t", "about": "a", "products": [{"name": "Cup", "price": 3, "description": "d"}]}
ACTIVE = (
    "text/html",
    "text/html; charset=utf-8",
    "image/svg+xml",
    "application/xhtml+xml",
    "application/xml",
    "text/xml",
    "text/javascript",
    "application/javascript",
)


srv = keyed_server()


@pytest.fixture(scope="module")
def key(srv):
    return make_keys(srv, shop=(["text", "image"], None))["shop"]


def _run(srv, key, nodes: dict, outputs: dict | None = None) -> httpx.Response:
    flow = {"id": "files", "nodes": nodes, "outputs": outputs or {}}
    return httpx.post(
        f"{srv.base_url}/v1/workflows/run", headers=key["h"], json={"workflow": flow, "seed": 1}, timeout=120
    )


def _save(text: str, name: str, mime: str) -> dict:
    return {"save": {"step": "file.text", "with": {"text": text, "name": name, "mime": mime}}}


def _names(srv, key) -> set[str]:
    return {a["name"] for a in httpx.get(f"{srv.base_url}/v1/artifacts?limit=1000", headers=key["h"]).json()["data"]}


def test_file_step_refuses_active_mime_types(srv, key):
    page = "<html><body><script>fetch('/v1/keys').then(r => r.text()).then(alert)</script></body></html>"
    for mime in ACTIVE:
        r = _run(srv, key, _save(page, "page.html", mime))
        assert r.status_code == 400, (mime, r.text)
        err = r.json()["error"]
        assert err["param"] == "nodes.save.with.mime" and "text/plain" in err["message"], err
    assert "page.html" not in _names(srv, key)
    for mime in ("text/plain", "text/markdown; charset=utf-8", "text/csv", "application/json"):
        r = _run(srv, key, _save("a,b", f"ok-{mime.split(';')[0].replace('/', '-')}", mime), {"f": "${save.file}"})
        assert r.status_code == 200, (mime, r.text)


def test_control_characters_in_mime_or_name_are_a_400_and_the_server_keeps_serving(srv, key):
    r = _run(srv, key, _save("x", "notes.txt", "text/plain\r\nSet-Cookie: zaowu_session=stolen"))
    assert r.status_code == 400 and r.json()["error"]["param"] == "nodes.save.with.mime"
    for name in ("notes\r\n.txt", "notes\x00.txt", "notes\x1b.txt"):
        r = _run(srv, key, _save("x", name, "text/plain"))
        assert r.status_code == 400 and r.json()["error"]["param"] == "nodes.save.with.name", r.text
    # a step whose name reaches the artifact store without its own check: the store refuses it, naming the input
    plan = {"title": "T", "sheets": [{"name": "S", "columns": [{"header": "a"}], "rows": [["1"]]}]}
    r = _run(srv, key, {"doc": {"step": "office.render", "with": {"format": "xlsx", "plan": plan, "name": "q\r\n1"}}})
    assert r.status_code == 400 and r.json()["error"]["param"] == "nodes.doc.with.name", r.text
    assert "control character" in r.json()["error"]["message"]
    # a row stored before these checks (or by a buggy plugin) is served inert, not as a broken response
    ok = _run(srv, key, _save("still here", "kept.txt", "text/plain"), {"f": "${save.file}"}).json()["outputs"]["f"]
    with Studio(srv.settings()) as studio:
        from zaowu.studio.db import artifacts

        with studio.db.begin() as conn:
            conn.execute(artifacts.update().where(artifacts.c.id == ok["id"]).values(mime="text/html\r\nX-Injected: 1"))
    r = httpx.get(f"{srv.base_url}/v1/artifacts/{ok['id']}", headers=key["h"])
    assert r.status_code == 200 and unlabelled_text(r.text) == "still here"
    assert r.headers["content-type"] == "application/octet-stream" and "x-injected" not in r.headers
    assert r.headers["content-disposition"].startswith("attachment")
    assert httpx.get(f"{srv.base_url}/health").status_code == 200


def _get(srv, key, ref: dict) -> httpx.Response:
    r = httpx.get(f"{srv.base_url}/v1/artifacts/{ref['id']}", headers=key["h"])
    assert r.status_code == 200, r.text
    assert r.headers["x-content-type-options"] == "nosniff"
    csp = r.headers["content-security-policy"]
    assert csp.startswith("sandbox") and "default-src 'none'" in csp and "script-src" not in csp
    return r


def test_every_artifact_is_sandboxed_and_active_ones_are_attachments(srv, key):
    nodes = {
        "png": {"step": "image.design", "with": {"prompt": "cups", "spec": SPEC, "size": "logo"}},
        "svg": {"step": "image.design", "with": {"prompt": "cups", "spec": SPEC, "size": "logo", "format": "svg"}},
        "site": {"step": "storekit.site", "with": {"brand": BRAND, "texts": {}, "language": "en"}},
        "note": {"step": "file.text", "with": {"text": "# hi", "name": "note.md", "mime": "text/markdown"}},
    }
    outputs = {
        "png": "${png.images}",
        "svg": "${svg.images}",
        "preview": "${site.preview}",
        "zip": "${site.site_zip}",
        "note": "${note.file}",
    }
    r = _run(srv, key, nodes, outputs)
    assert r.status_code == 200, r.text
    out = r.json()["outputs"]
    png, svg = _get(srv, key, out["png"][0]), _get(srv, key, out["svg"][0])
    assert png.headers["content-type"] == "image/png" and png.headers["content-disposition"].startswith("inline")
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content
    assert svg.headers["content-disposition"].startswith("attachment")  # still downloadable, never inline
    preview = _get(srv, key, out["preview"])
    assert preview.headers["content-type"].startswith("text/html") and "<h1" in preview.text
    assert preview.headers["content-disposition"].startswith("attachment")
    for ref in (out["zip"], out["note"]):
        assert _get(srv, key, ref).headers["content-disposition"].startswith("attachment")
    # a browser-uploaded file keeps its type but is never shown inline either
    with Studio(srv.settings()) as studio:
        up = studio.artifacts.put(
            b"<svg onload='alert(1)' xmlns='http://www.w3.org/2000/svg'/>",
            "image/svg+xml",
            name="upload.svg",
            key_id=key["id"],
        )
    assert _get(srv, key, up).headers["content-disposition"].startswith("attachment")
