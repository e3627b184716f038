"""Run blocking work for a request and stop it when the client goes away.

Non-streaming endpoints wait for a whole generation before they answer. If the client
disconnects meanwhile, nobody will read the answer, so the work is cancelled through a
:class:`zaowu.cancel.CancelToken`: text generation stops at its next token, workflows before
their next step, and media is not stored; the generation log records it as cancelled with the
tokens spent. (Streaming endpoints stop the same way when their consumer goes.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from ..cancel import CancelToken
from ..errors import Cancelled

log = logging.getLogger(__name__)

__all__ = ["until_disconnected"]

T = TypeVar("T")
POLL_SECONDS = 0.25  # how often a waiting request looks at its connection


async def until_disconnected(request: Request, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` in the thread pool, cancelled if the client disconnects first."""
    token = CancelToken()
    task = asyncio.ensure_future(run_in_threadpool(token.run, fn, *args, **kwargs))
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=POLL_SECONDS)
            if done:
                return task.result()
            if await request.is_disconnected():
                break
    except asyncio.CancelledError:  # the server is shutting down or the task was cancelled
        token.cancel()
        raise
    token.cancel()
    task.add_done_callback(_consume)  # the work ends shortly; its outcome has no reader
    log.info("client left %s %s: work cancelled", request.method, request.url.path)
    raise Cancelled(token.reason)


def _consume(task: asyncio.Future) -> None:
    if not task.cancelled():
        task.exception()
