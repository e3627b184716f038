"""One exception tree for zaowu, translated once per interface.

    ZaowuError                      base; ``status`` is the HTTP status the API uses
    ├── InvalidRequest              400: a field is wrong; ``param`` names it
    │   ├── ContextLengthExceeded   400: prompt + max_tokens do not fit the context
    │   ├── ContentPolicyViolation  400: a prompt or output matched the safety filter; ``param`` names the
    │   │                                field, the message the category and term (studio.safety)
    │   ├── PlanError               400: an office plan's fields disagree (a chart naming a missing
    │   │                                column); ``param`` is the field path (studio.office.plans)
    │   └── UnsupportedFormat       400: C2PA cannot embed a manifest in this MIME type; the labelling step
    │                                    skips C2PA for it (studio.provenance.c2pa)
    ├── ModelNotFound               404: unknown model id; the message lists known ids
    ├── ModelNotInstalled           404: in the catalog but not pulled yet
    ├── SchemaViolation             422: model output does not match the requested schema
    ├── NotFound                    404: no job, artifact, key... with that id
    ├── AuthenticationError         401: missing, unknown or revoked API key
    ├── PermissionDenied            403: the key lacks the scope the route needs
    ├── RateLimited                 429: requests per minute or a daily quota used up;
    │                                    ``retry_after`` seconds go in the Retry-After header
    ├── Cancelled                   499: the caller went away; the work was stopped
    ├── Overloaded                  503: a model's queue is full; ``retry_after`` seconds as for RateLimited
    ├── StepFailed                  a workflow step failed: ``node`` and ``run_id`` (to resume) are set,
    │                               the status is its cause's (500 when the cause is not a ZaowuError)
    │                               (studio.workflows)
    ├── IntegrityError              500: downloaded weights failed their sha256 check
    ├── RemoteError                 502: a remote backend failed or answered with an error
    ├── BackendError                500: a local backend failed
    └── BackendUnavailable          503: no replica of a backend's Ray Serve deployment answered after
                                         the retries (backends.ray_serve)

Private subclasses stay inside their module (a template that fails to load, a speech worker
process that died and is restarted); they are never seen outside it.
The HTTP layer turns these into OpenAI's error JSON; the CLI prints one line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import ValidationError

__all__ = [
    "ZaowuError",
    "InvalidRequest",
    "ContextLengthExceeded",
    "ContentPolicyViolation",
    "ModelNotFound",
    "ModelNotInstalled",
    "SchemaViolation",
    "Cancelled",
    "IntegrityError",
    "NotFound",
    "AuthenticationError",
    "PermissionDenied",
    "RateLimited",
    "Overloaded",
    "RemoteError",
    "BackendError",
    "BackendUnavailable",
]


class ZaowuError(Exception):
    status: int = 500
    type: str = "server_error"
    code: str | None = None

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code

    def to_openai(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


class InvalidRequest(ZaowuError):
    status = 400
    type = "invalid_request_error"
    code = "invalid_value"

    @classmethod
    def from_validation(cls, exc: ValidationError, prefix: str | None = None) -> InvalidRequest:
        """The first problem of a pydantic ValidationError, naming its field (under ``prefix``)."""
        err = exc.errors()[0]
        param = ".".join(str(p) for p in ((prefix,) if prefix else ()) + tuple(err["loc"])) or None
        message = f"Invalid value for '{param}': {err['msg']}." if param else f"{err['msg']}."
        return cls(message, param=param)


class ContextLengthExceeded(InvalidRequest):
    code = "context_length_exceeded"


class ContentPolicyViolation(InvalidRequest):
    code = "content_policy_violation"


class ModelNotFound(ZaowuError):
    status = 404
    type = "invalid_request_error"
    code = "model_not_found"

    def __init__(self, model: str, known: list[str]):
        listing = ", ".join(known) if known else "(none)"
        super().__init__(
            f"The model '{model}' does not exist. Known models: {listing}. "
            "Add a local GGUF with 'zaowu models add PATH' or configure a remote backend.",
            param="model",
        )
        self.known = known


class ModelNotInstalled(ZaowuError):
    status = 404
    type = "invalid_request_error"
    code = "model_not_installed"

    def __init__(self, model: str):
        super().__init__(
            f"The model '{model}' is in the catalog but not installed. Install it with 'zaowu models pull {model}'.",
            param="model",
        )


class NotFound(ZaowuError):
    status = 404
    type = "invalid_request_error"
    code = "not_found"


class AuthenticationError(ZaowuError):
    status = 401
    type = "invalid_request_error"
    code = "invalid_api_key"


class PermissionDenied(ZaowuError):
    status = 403
    type = "invalid_request_error"
    code = "insufficient_scope"


class RateLimited(ZaowuError):
    status = 429
    type = "rate_limit_error"
    code = "rate_limit_exceeded"

    def __init__(self, message: str, *, retry_after: float, code: str | None = None):
        super().__init__(message, code=code)
        self.retry_after = max(1, int(retry_after + 0.999))


class Cancelled(ZaowuError):
    """The caller went away (or cancelled) and the work was stopped; nobody reads this answer."""

    status = 499
    type = "cancelled"
    code = "client_closed_request"


class Overloaded(ZaowuError):
    """Too many requests for one model already running or waiting: try again after ``retry_after`` seconds."""

    status = 503
    type = "server_error"
    code = "server_busy"

    def __init__(self, message: str, *, retry_after: float):
        super().__init__(message)
        self.retry_after = max(1, int(retry_after + 0.999))


class SchemaViolation(ZaowuError):
    status = 422
    type = "invalid_response_error"
    code = "schema_violation"


class IntegrityError(ZaowuError):
    status = 500
    code = "integrity_error"


class RemoteError(ZaowuError):
    status = 502
    type = "remote_error"
    code = "remote_error"

    def __init__(self, message: str, *, remote_status: int | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.remote_status = remote_status


class BackendError(ZaowuError):
    status = 500
    code = "backend_error"


class BackendUnavailable(ZaowuError):
    """A backend running elsewhere (a Ray Serve deployment) lost every replica it tried; retry later."""

    status = 503
    type = "server_error"
    code = "backend_unavailable"
