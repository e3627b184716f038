"""Checks every JSON request body passes before a route sees it.

A JSON string may spell a lone UTF-16 surrogate (``"\\ud800"``): Python decodes it into a
``str`` that no UTF-8 encoder accepts, so it would fail later, deep in the database or a
model, as a 500. ``valid_unicode`` (an app-wide dependency) refuses such a body with a
400 naming the field (``messages.0.content``). The scan costs one regex pass over the
body; the body is parsed again only when an escaped surrogate appears at all.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import Request

from ..errors import InvalidRequest

__all__ = ["lone_surrogate_path", "valid_unicode"]

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")  # \uD800-\uDFFF: paired (fine) or lone


def _has_lone_surrogate(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _printable(part: Any) -> str:
    return str(part).encode("utf-8", "backslashreplace").decode("utf-8")


def lone_surrogate_path(value: Any) -> str | None:
    """The dotted path of the first string (or object key) holding a lone surrogate; None when all are valid."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if _has_lone_surrogate(item):
                return ".".join(_printable(p) for p in path) or "body"
        elif isinstance(item, dict):
            for key, child in item.items():
                if _has_lone_surrogate(key):
                    return ".".join(_printable(p) for p in (*path, key))
                stack.append((child, (*path, key)))
        elif isinstance(item, list):
            stack.extend((child, (*path, i)) for i, child in reversed(list(enumerate(item))))
    return None


async def valid_unicode(request: Request) -> None:
    """App-wide dependency: a JSON body holding a lone surrogate is a 400 naming the field."""
    if "json" not in request.headers.get("content-type", ""):
        return
    body = await request.body()  # already read (and cached) by FastAPI for routes with a body
    if not _SURROGATE_ESCAPE.search(body):
        return
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return  # not JSON: the route's own validation says so
    path = lone_surrogate_path(data)
    if path is not None:
        raise InvalidRequest(
            f"'{path}' contains a lone UTF-16 surrogate (an escape such as \\ud800 without its pair), which is not "
            "valid Unicode text. Send the text as UTF-8, or escape a character outside the BMP as a surrogate pair.",
            param=path,
        )
