"""Error JSON in OpenAI's shape, registered once for the whole app:
``{"error": {"message", "type", "param", "code"}}`` with the right status.

The handlers never fail themselves: an exception's text may hold anything a request
carried (a lone surrogate, a value JSON cannot encode), so every error body is rendered
by ``ErrorResponse``, which falls back to a printable copy of the body, and a handler
that still raises answers a plain 500.
"""

from __future__ import annotations

import functools
import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import Overloaded, RateLimited, ZaowuError

log = logging.getLogger(__name__)


def printable(value: Any) -> Any:
    """A copy of a JSON-like value that UTF-8 JSON can always encode: lone surrogates are
    backslash-escaped, non-finite numbers become null, unknown objects their ``str``."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {printable(str(k)): printable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [printable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return printable(str(value))


class ErrorResponse(JSONResponse):
    """A JSONResponse that renders any body: on an encoding error it renders ``printable(body)``."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except (UnicodeEncodeError, TypeError, ValueError):
            return super().render(printable(content))


def error_body(message: str, type_: str, param: str | None = None, code: str | None = None) -> dict:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def _validation_body(errors: list[dict]) -> dict:
    first = errors[0]
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
    # drop pydantic's union-branch markers such as 'str' or 'list[...]'
    loc = [p for p in loc if not (p in ("str", "int", "float", "bool") or p.startswith(("list[", "function-")))]
    param = ".".join(loc) or None
    if first.get("type") == "extra_forbidden":
        message = f"Unrecognized request argument supplied: {param}"
    elif first.get("type") == "missing":
        message = f"Missing required parameter: '{param}'."
    elif first.get("type") == "too_long" and "max_length" in (ctx := first.get("ctx") or {}):
        message = (
            f"Invalid value for '{param}': at most {ctx['max_length']} items are allowed, "
            f"got {ctx.get('actual_length')}; send fewer."
        )
    elif first.get("type") == "json_invalid":
        message = "The request body is not valid JSON."
        param = None
    else:
        message = f"Invalid value for '{param}': {first.get('msg')}." if param else str(first.get("msg"))
    more = len(errors) - 1
    if more:
        message += f" ({more} more problem{'s' if more > 1 else ''} in this request)"
    return error_body(message, "invalid_request_error", param, "invalid_value")


def _never_fails(handler):
    """Wrap an exception handler so that a failure inside it still answers (a plain 500)."""

    @functools.wraps(handler)
    async def wrapper(request: Request, exc: Exception):
        try:
            return await handler(request, exc)
        except Exception:  # the last line of defence must answer
            log.exception("the error handler for %s failed", type(exc).__name__)
            return ErrorResponse(error_body(f"Internal error: {type(exc).__name__}", "server_error"), status_code=500)

    return wrapper


async def _widget_cors(request: Request) -> dict[str, str]:
    """The chat widget's CORS headers for its allowed origins (routes_assistants.py), so it can read the error;
    the assistant is looked up off the event loop, and only for a chat path from a page."""
    if "origin" not in request.headers or not request.url.path.endswith("/chat"):
        return {}
    from starlette.concurrency import run_in_threadpool

    from .routes_assistants import error_cors_headers

    return await run_in_threadpool(error_cors_headers, request)


def install(app: FastAPI) -> None:
    @app.exception_handler(ZaowuError)
    @_never_fails
    async def _zaowu(request: Request, exc: ZaowuError):
        # a workflow step refused as busy (StepFailed) carries the Overloaded as its cause
        cause = exc if isinstance(exc, (RateLimited, Overloaded)) else getattr(exc, "cause", None)
        if isinstance(cause, Overloaded):  # expected under load: one line, not an error
            log.info("refused (busy): %s", printable(exc.message))
        elif exc.status >= 500:
            log.error("%s: %s", type(exc).__name__, printable(exc.message))
        retry_after = getattr(cause, "retry_after", None) or getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after else None
        if exc.status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        headers = {**(headers or {}), **(await _widget_cors(request))}
        return ErrorResponse(exc.to_openai(), status_code=exc.status, headers=headers or None)

    @app.exception_handler(RequestValidationError)
    @_never_fails
    async def _request_validation(request: Request, exc: RequestValidationError):
        return ErrorResponse(
            _validation_body(list(exc.errors())), status_code=400, headers=(await _widget_cors(request)) or None
        )

    @app.exception_handler(ValidationError)
    @_never_fails
    async def _validation(_: Request, exc: ValidationError):
        return ErrorResponse(_validation_body(exc.errors()), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    @_never_fails
    async def _http(_: Request, exc: StarletteHTTPException):
        type_ = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
        return ErrorResponse(error_body(str(exc.detail), type_), status_code=exc.status_code)

    @app.exception_handler(Exception)
    @_never_fails
    async def _unexpected(_: Request, exc: Exception):
        log.error("unhandled error", exc_info=exc)
        return ErrorResponse(error_body(f"Internal error: {type(exc).__name__}", "server_error"), status_code=500)
