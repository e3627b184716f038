"""Who may talk to the server at all: Host names and cross-site requests (a pure ASGI middleware).

Two browser attacks reach a server that listens on loopback:

- DNS rebinding: a page on ``rebind.attacker.example`` re-points its own name at 127.0.0.1, and
  the browser then sends the page's requests to this server as same-origin. Such requests carry
  the attacker's name in ``Host``, so only expected names are accepted: loopback names
  (``localhost``, ``*.localhost``, ``127.x.x.x``, ``::1``), IP literals (a rebinding page always
  uses a DNS name), the address the server binds, and the names in the ``allowed_hosts``
  setting (``*`` turns the check off, e.g. behind a proxy that checks names itself).
- Cross-site requests: any page can make the browser POST a form or a ``fetch(..., {mode:
  "no-cors"})`` to localhost. State-changing methods are refused when the browser says the
  request is not same-origin (``Sec-Fetch-Site``) or names another ``Origin``, unless that origin
  is in ``allowed_origins``. Clients that are not browsers (the SDKs, curl) send neither header
  and pass.

Paths in ``self_checked`` (a customer-service assistant's chat, called by its widget on a shop's own site) are
left to their route, which accepts only the origins that assistant allows (and answers CORS for them alone).

Refusals use OpenAI's error JSON: 421 for a foreign Host, 403 for a cross-site request.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

__all__ = ["RequestGuard", "host_allowed"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SAME = frozenset({"same-origin", "none"})  # Sec-Fetch-Site values of the studio itself / a typed URL
SELF_CHECKED = re.compile(r"^/v1/assistants/[A-Za-z0-9_-]{1,40}/chat$")  # routes that check Origin themselves


def _hostname(host: str) -> str:
    """The name part of a Host header value (port and IPv6 brackets removed), lower-cased."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    name, _, port = host.rpartition(":")
    return name if name and port.isdigit() else host


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    """Whether a Host header names this server (see the module docstring for the rule)."""
    name = _hostname(host).rstrip(".")
    if not name:
        return False
    if name == "localhost" or name.endswith(".localhost") or _is_ip(name):
        return True
    for pattern in allowed:
        pattern = pattern.lower()
        if pattern == "*" or pattern == name or (pattern.startswith("*.") and name.endswith(pattern[1:])):
            return True
    return False


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class RequestGuard:
    """ASGI middleware applying the Host and cross-site rules to every HTTP request."""

    def __init__(self, app, *, allowed_hosts: Iterable[str] = (), allowed_origins: Iterable[str] = ()):
        self.app = app
        self.allowed_hosts = tuple(h.strip().lower() for h in allowed_hosts if h.strip())
        self.allowed_origins = frozenset(_origin_of(o) if "://" in o else o.lower() for o in allowed_origins)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {}
        for key, value in scope.get("headers") or ():
            headers.setdefault(key.decode("latin-1"), value.decode("latin-1"))
        host = headers.get("host", "")
        if not host_allowed(host, self.allowed_hosts):
            log.warning("refused a request for Host %r", host[:100])
            return await _refuse(
                send,
                421,
                "misdirected_request",
                "invalid_host",
                f"This server does not answer to the host name '{host[:100]}'. If it is one of its "
                "names, add it to the 'allowed_hosts' setting (ZAOWU_ALLOWED_HOSTS).",
            )
        checks_itself = SELF_CHECKED.match(scope.get("path") or "") is not None
        if scope["method"] not in SAFE_METHODS and not checks_itself and self._cross_site(headers, host):
            log.warning("refused a cross-site %s %s from %r", scope["method"], scope.get("path"), headers.get("origin"))
            return await _refuse(
                send,
                403,
                "permission_error",
                "cross_site_request",
                "Cross-site requests cannot change anything on this server. Use the studio's own "
                "pages or an API client; to allow a web app, add its origin to 'allowed_origins'.",
            )
        return await self.app(scope, receive, send)

    def _cross_site(self, headers: dict[str, str], host: str) -> bool:
        origin = headers.get("origin")
        if origin is not None:
            origin = origin.strip().lower()
            if origin in self.allowed_origins:
                return False
            if origin == "null" or urlsplit(origin).netloc != host.strip().lower():
                return True
        fetch_site = headers.get("sec-fetch-site")
        return fetch_site is not None and fetch_site.lower() not in _SAME and origin not in self.allowed_origins


async def _refuse(send, status: int, type_: str, code: str, message: str) -> None:
    body = json.dumps({"error": {"message": message, "type": type_, "param": None, "code": code}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
