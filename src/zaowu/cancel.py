"""Stopping work whose caller went away.

An interface that notices its caller is gone (an HTTP client disconnected) cancels the
:class:`CancelToken` it ran the work under. The token travels with the work in a context
variable, so every layer below can look at it without new arguments: the Studio stops a
text generation at its next token, skips storing media nobody will read, and workflows stop
between steps; each logs the generation as ``cancelled`` with what was spent. Standard library
only, so backends may check it too (``cancel.check()``).

    token = CancelToken()
    with token.active():
        studio.generate_text(...)   # raises Cancelled soon after token.cancel() from another thread
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from .errors import Cancelled

__all__ = ["CancelToken", "current", "check", "cancelled"]

_CURRENT: ContextVar[CancelToken | None] = ContextVar("zaowu_cancel_token", default=None)


class CancelToken:
    def __init__(self, reason: str = "The client went away; the work was stopped.") -> None:
        self._event = threading.Event()
        self.reason = reason

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    @contextmanager
    def active(self) -> Iterator[CancelToken]:
        """Make this the current token of the calling thread/context for the block."""
        reset = _CURRENT.set(self)
        try:
            yield self
        finally:
            _CURRENT.reset(reset)

    def run(self, fn, *args, **kwargs):
        """Call ``fn`` with this token current (for handing work to a thread)."""
        with self.active():
            return fn(*args, **kwargs)


def current() -> CancelToken | None:
    return _CURRENT.get()


def cancelled() -> bool:
    token = _CURRENT.get()
    return token is not None and token.cancelled


def check() -> None:
    """Raise :class:`~zaowu.errors.Cancelled` when the current work has been cancelled."""
    token = _CURRENT.get()
    if token is not None and token.cancelled:
        raise Cancelled(token.reason)
