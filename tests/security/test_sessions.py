"""The web studio's sign-in (issue 12, item 10) against a real ``zaowu serve``: the cookie
holds a random session id, never the API key; the database keeps only the id's sha256;
logging out and revoking the key end the session server-side, so a copied cookie stops
working; the cookie stays HttpOnly, SameSite=Strict, and Secure over https."""

from __future__ import annotations

import hashlib

import httpx
import sqlalchemy as sa

from .keyed import keyed_server  # noqa: F401 - the module's server fixture, "keyed"

COOKIE = "zaowu_session"


def _sessions(keyed) -> list[tuple]:
    engine = sa.create_engine(keyed.server.settings().db_url)  # SQLite or PostgreSQL, as the server runs
    try:
        with engine.connect() as conn:
            sql = "SELECT hash, key_id, expires_at - created_at, revoked_at FROM sessions"
            return [tuple(r) for r in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def _with_cookie(keyed, value: str) -> httpx.Response:
    return httpx.get(f"{keyed.base}/v1/generations", cookies={COOKIE: value}, timeout=30)


def _new_key(keyed, name: str) -> str:
    r = httpx.post(f"{keyed.base}/v1/keys", headers=keyed.headers(keyed.admin), json={"name": name, "scopes": ["text"]})
    assert r.status_code == 201, r.text
    return r.json()["key"]


def test_the_cookie_holds_a_session_id_not_the_key_and_logout_revokes_it(keyed):
    key = _new_key(keyed, "till")
    with httpx.Client(base_url=keyed.base, timeout=30) as browser:
        r = browser.post("/studio/login", json={"key": key})
        assert r.status_code == 200 and r.json()["signed_in"] and r.json()["name"] == "till"
        header = r.headers["set-cookie"].lower()
        assert "httponly" in header and "samesite=strict" in header and "secure" not in header  # plain http here
        session = browser.cookies[COOKIE]
        assert session != key and key not in session and session.startswith("zs-")
        stored = [row for row in _sessions(keyed) if row[0] == hashlib.sha256(session.encode()).hexdigest()]
        assert len(stored) == 1 and stored[0][2] > 3600 and stored[0][3] is None  # an expiry, not revoked
        assert all(key not in str(row) and session not in str(row) for row in _sessions(keyed))
        assert browser.get("/v1/generations").status_code == 200  # the cookie signs requests in
        assert browser.get("/studio/session").json()["name"] == "till"
        assert browser.post("/studio/logout").json()["signed_in"] is False
    # the old cookie value, replayed, no longer works: the session ended server-side
    r = _with_cookie(keyed, session)
    assert r.status_code == 401 and "session has ended" in r.json()["error"]["message"]
    stale = httpx.get(f"{keyed.base}/studio/session", cookies={COOKIE: session}, timeout=30)
    assert stale.json()["signed_in"] is False and f'{COOKIE}=""' in stale.headers["set-cookie"]
    # the key itself is not a session id either
    assert _with_cookie(keyed, key).status_code == 401


def test_revoking_the_key_ends_its_sessions(keyed):
    key = _new_key(keyed, "clerk")
    sessions = []
    for _ in range(2):  # two browsers signed in with the same key
        r = httpx.post(f"{keyed.base}/studio/login", json={"key": key}, timeout=30)
        sessions.append(r.cookies[COOKIE])
    assert sessions[0] != sessions[1] and all(_with_cookie(keyed, s).status_code == 200 for s in sessions)
    r = httpx.delete(f"{keyed.base}/v1/keys/clerk", headers=keyed.headers(keyed.admin), timeout=30)
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert all(_with_cookie(keyed, s).status_code == 401 for s in sessions)
    r = httpx.post(f"{keyed.base}/studio/login", json={"key": key}, timeout=30)  # nor can it sign in again
    assert r.status_code == 400 and r.json()["error"]["param"] == "key"


def test_the_cookie_is_secure_over_https(keyed):
    key = _new_key(keyed, "https-user")
    # uvicorn trusts X-Forwarded-Proto from loopback, as from a TLS-terminating proxy in front of the server
    r = httpx.post(f"{keyed.base}/studio/login", json={"key": key}, headers={"X-Forwarded-Proto": "https"}, timeout=30)
    header = r.headers["set-cookie"].lower()
    assert r.status_code == 200 and "secure" in header and "httponly" in header and "samesite=strict" in header


def test_a_wrong_key_opens_no_session(keyed):
    before = len(_sessions(keyed))
    r = httpx.post(f"{keyed.base}/studio/login", json={"key": "zw-wrong"}, timeout=30)
    assert r.status_code == 400 and r.json()["error"]["param"] == "key" and "set-cookie" not in r.headers
    assert len(_sessions(keyed)) == before
