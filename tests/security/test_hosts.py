"""Issue 12, item 4: no web page can drive a loopback server.

A DNS-rebinding page reaches the server under its own host name; a cross-site page can POST a
form or a no-cors fetch to localhost; and anonymous callers on loopback must not be admins.
"""

from __future__ import annotations

import json

import httpx
import pytest

from zaowu.api.guard import host_allowed

from ..conftest import TEST_MODEL, Server

CHAT = {"model": TEST_MODEL, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2, "seed": 1}


def test_rebinding_host_cannot_create_an_admin_key_or_run_work(server):
    base = server.base_url
    evil = {"Host": "rebind.attacker.example"}
    r = httpx.post(f"{base}/v1/keys", headers=evil, json={"name": "pwned", "scopes": ["admin"]})
    assert r.status_code == 421 and r.json()["error"]["code"] == "invalid_host"
    assert "allowed_hosts" in r.json()["error"]["message"]
    assert httpx.post(f"{base}/v1/chat/completions", headers=evil, json=CHAT).status_code == 421
    assert httpx.get(f"{base}/v1/generations", headers={"Host": "rebind.attacker.example:8000"}).status_code == 421
    assert httpx.get(f"{base}/", headers=evil).status_code == 421  # the studio page itself
    # the server's own names still work
    for host in (f"127.0.0.1:{server.port}", f"localhost:{server.port}", "localhost", "[::1]:1"):
        assert httpx.get(f"{base}/health", headers={"Host": host}).status_code == 200, host


def test_anonymous_loopback_caller_is_not_an_admin(server):
    base = server.base_url
    r = httpx.post(f"{base}/v1/keys", json={"name": "sneaky", "scopes": ["admin"]})
    assert r.status_code == 403 and "admin" in r.json()["error"]["message"]
    assert httpx.get(f"{base}/v1/keys").status_code == 403
    assert httpx.post(f"{base}/v1/models/pull", json={"model": "whisper-base"}).status_code == 403
    assert httpx.get(f"{base}/v1/usage").json()["data"] == []  # other keys' names and usage are admin business
    assert httpx.get(f"{base}/v1/usage?key=anyone").status_code == 403
    session = httpx.get(f"{base}/studio/session").json()
    assert session["admin"] is False and "admin" not in session["scopes"]
    # generating stays open to the local owner
    assert httpx.post(f"{base}/v1/chat/completions", json=CHAT, timeout=60).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},  # a fetch() or form from another site
        {"Origin": "null"},  # a sandboxed iframe or a file:// page
        {"Sec-Fetch-Site": "cross-site"},  # browsers that send no Origin on a form POST still send this
        {"Origin": "http://localhost:3000", "Sec-Fetch-Site": "same-site"},  # another local web app
    ],
)
def test_cross_site_requests_cannot_change_anything(server, headers):
    base = server.base_url
    form = httpx.post(
        f"{base}/v1/chat/completions", headers={**headers, "Content-Type": "text/plain"}, content=json.dumps(CHAT)
    )
    assert form.status_code == 403 and form.json()["error"]["code"] == "cross_site_request"
    r = httpx.post(f"{base}/v1/workflows/run", headers=headers, json={"workflow": {"nodes": {}}})
    assert r.status_code == 403
    r = httpx.delete(f"{base}/v1/jobs/job-x", headers=headers)
    assert r.status_code == 403
    # reading is not refused (browsers keep cross-site responses from the page without CORS)
    assert httpx.get(f"{base}/health", headers=headers).status_code == 200


def test_same_origin_studio_requests_still_work(server):
    base = server.base_url
    same = {"Origin": base, "Sec-Fetch-Site": "same-origin"}
    r = httpx.post(f"{base}/v1/chat/completions", headers=same, json=CHAT, timeout=60)
    assert r.status_code == 200, r.text
    typed = {"Sec-Fetch-Site": "none"}  # a URL typed by the user
    assert httpx.post(f"{base}/v1/chat/completions", headers=typed, json=CHAT, timeout=60).status_code == 200


def test_configured_public_names_and_origins(tmp_path, models_dir):
    env = {
        "ZAOWU_ALLOWED_HOSTS": '["studio.example.com", "*.lan"]',
        "ZAOWU_ALLOWED_ORIGINS": '["https://shop.example.com"]',
    }
    srv = Server(tmp_path / "srv", models_dir, extra_env=env)
    try:
        base = srv.base_url
        for host, status in (
            ("studio.example.com", 200),
            ("box.lan:8000", 200),
            ("other.example.com", 421),
            ("studio.example.com.evil.example", 421),
        ):
            assert httpx.get(f"{base}/health", headers={"Host": host}).status_code == status, host
        ok = {"Origin": "https://shop.example.com", "Sec-Fetch-Site": "cross-site"}
        r = httpx.post(f"{base}/v1/chat/completions", headers=ok, json=CHAT, timeout=60)
        assert r.status_code == 200, r.text
        bad = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
        assert httpx.post(f"{base}/v1/chat/completions", headers=bad, json=CHAT).status_code == 403
    finally:
        srv.stop()


def test_host_rule():
    assert host_allowed("127.0.0.2:9000", []) and host_allowed("[::1]:8000", []) and host_allowed("10.0.0.7", [])
    assert host_allowed("app.localhost", []) and host_allowed("LOCALHOST.", [])
    assert not host_allowed("", []) and not host_allowed("localhost.evil.example", [])
    assert not host_allowed("127.0.0.1.nip.io", [])  # a DNS name that resolves to loopback is still a name
    assert host_allowed("anything.example", ["*"])
