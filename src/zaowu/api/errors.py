"""Error JSON in OpenAI's shape, registered once for the whole app:
``{"error": {"message", "type", "param", "code"}}`` with the right status."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import Overloaded, RateLimited, ZaowuError

log = logging.getLogger(__name__)


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
        message = (f"Invalid value for '{param}': at most {ctx['max_length']} items are allowed, "
                   f"got {ctx.get('actual_length')}; send fewer.")  # fmt: skip
    elif first.get("type") == "json_invalid":
        message = "The request body is not valid JSON."
        param = None
    else:
        message = f"Invalid value for '{param}': {first.get('msg')}." if param else str(first.get("msg"))
    more = len(errors) - 1
    if more:
        message += f" ({more} more problem{'s' if more > 1 else ''} in this request)"
    return error_body(message, "invalid_request_error", param, "invalid_value")


def install(app: FastAPI) -> None:
    @app.exception_handler(ZaowuError)
    async def _zaowu(_: Request, exc: ZaowuError):
        # a workflow step refused as busy (StepFailed) carries the Overloaded as its cause
        cause = exc if isinstance(exc, (RateLimited, Overloaded)) else getattr(exc, "cause", None)
        if isinstance(cause, Overloaded):  # expected under load: one line, not an error
            log.info("refused (busy): %s", exc.message)
        elif exc.status >= 500:
            log.error("%s: %s", type(exc).__name__, exc.message)
        headers = {"Retry-After": str(cause.retry_after)} if isinstance(cause, (RateLimited, Overloaded)) else None
        if exc.status == 401:
            headers = {"WWW-Authenticate": "Bearer"}
        return JSONResponse(exc.to_openai(), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _request_validation(_: Request, exc: RequestValidationError):
        return JSONResponse(_validation_body(list(exc.errors())), status_code=400)

    @app.exception_handler(ValidationError)
    async def _validation(_: Request, exc: ValidationError):
        return JSONResponse(_validation_body(exc.errors()), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException):
        type_ = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
        return JSONResponse(error_body(str(exc.detail), type_), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception):
        log.exception("unhandled error")
        return JSONResponse(error_body(f"Internal error: {type(exc).__name__}", "server_error"), status_code=500)
