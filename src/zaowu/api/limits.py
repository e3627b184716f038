"""Request limits, as pure ASGI middlewares in front of the whole app.

``RefuseWhenBusy``: an HTTP request for a model whose line is full gets 503 + Retry-After at once
instead of waiting (see zaowu.studio.admission); jobs, the CLI and Python callers wait their turn.

``BodyLimit``: a body larger than ``max_body_bytes`` (``max_upload_bytes`` for multipart uploads, or the limit
``upload_routes`` gives a path, e.g. video uploads: ``video_max_upload_bytes``) gets 413 in OpenAI's error
shape, naming the limit. A declared Content-Length is checked before anything is
read; a chunked body is counted as it arrives and refused as soon as it passes the limit, so no
more than the limit is ever handed to the app or held in memory. After refusing, up to
``DRAIN_BYTES`` more of the body are read and thrown away so that the client, still sending, gets
to read the answer instead of a reset connection.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from ..studio.admission import refusing

log = logging.getLogger(__name__)

__all__ = ["DRAIN_BYTES", "BodyLimit", "RefuseWhenBusy"]

DRAIN_BYTES = 64 << 20  # bytes of a refused body read and discarded before answering; more and we just close


class RefuseWhenBusy:
    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        with refusing():  # copied into the worker threads the request's work runs in
            await self.app(scope, receive, send)


class _TooLarge(Exception):
    """Raised into the app when a counted body passes its limit."""


def _size(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB" if n >= 1 << 20 else f"{n / 1024:.0f} KiB"


class BodyLimit:
    def __init__(
        self,
        app: Any,
        max_body_bytes: int,
        max_upload_bytes: int,
        upload_routes: dict[str, tuple[int, str, str]] | None = None,
    ):
        """``upload_routes``: path → (limit, setting name, the upload's form field) for multipart uploads to that
        path; the 413 names the field as ``param``."""
        self.app = app
        self.max_body = max_body_bytes
        self.max_upload = max_upload_bytes
        self.upload_routes = upload_routes or {}

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", ())}
        upload = headers.get(b"content-type", b"").lower().startswith(b"multipart/")
        param: str | None = None
        if upload:
            limit, setting, param = self.upload_routes.get(
                scope.get("path", ""), (self.max_upload, "max_upload_bytes", None)
            )
        else:
            limit, setting = self.max_body, "max_body_bytes"
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            drain = int(declared) <= DRAIN_BYTES and headers.get(b"expect", b"").lower() != b"100-continue"
            await _refuse(receive, send, limit, setting, int(declared), drain, param)
            return
        await _Counted(self.app, limit, setting, param)(scope, receive, send)


class _Counted:
    """One request whose body is counted on its way to the app."""

    def __init__(self, app: Any, limit: int, setting: str, param: str | None = None):
        self.app, self.limit, self.setting, self.param = app, limit, setting, param
        self.seen = 0
        self.exceeded = False
        self.answered = False

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        async def counted_receive() -> dict:
            message = await receive()
            if message["type"] == "http.request":
                self.seen += len(message.get("body", b""))
                if self.seen > self.limit:
                    self.exceeded = True
                    raise _TooLarge()
            return message

        async def guarded_send(message: dict) -> None:
            if self.exceeded:  # the app answered the failed read (400 or 500): answer 413 instead, once
                if not self.answered:
                    self.answered = True
                    await _refuse(receive, send, self.limit, self.setting, None, True, self.param)
                return
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except _TooLarge:
            if not self.answered:
                self.answered = True
                await _refuse(receive, send, self.limit, self.setting, None, True, self.param)


async def _refuse(
    receive: Any, send: Any, limit: int, setting: str, declared: int | None, drain: bool, param: str | None = None
) -> None:
    if drain:
        await _drain(receive)
    size = f"{_size(declared)}, " if declared is not None else ""
    message = (
        f"The request body ({size}more than the limit of {_size(limit)}, setting {setting} = {limit} bytes) "
        "is too large. Send a smaller body."
        if param is None
        else f"The upload '{param}' ({size}more than the limit of {_size(limit)}, setting {setting} = {limit} bytes) "
        "is too large. Send a smaller file, or raise the setting."
    )
    log.info("refused a request body over %s (%d bytes)", setting, limit)
    body = json.dumps(
        {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": "request_too_large"}}
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _drain(receive: Any) -> None:
    """Read and discard what the client is still sending, up to DRAIN_BYTES."""
    read = 0
    while read <= DRAIN_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            return
        read += len(message.get("body", b""))
        if not message.get("more_body", False):
            return
