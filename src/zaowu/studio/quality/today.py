"""One source of "today": prompts state it and relative dates ("this Saturday", "下个月") resolve against it.

``today()`` is the local calendar date unless a caller pinned another one with ``pinned_today(date)``
(tests, or a run that must resolve dates as of the day it was requested).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["pinned_today", "today"]

_PINNED: ContextVar[dt.date | None] = ContextVar("zaowu_today", default=None)


def today() -> dt.date:
    """The pinned date, else the local calendar date."""
    return _PINNED.get() or dt.date.today()


@contextmanager
def pinned_today(day: dt.date | str) -> Iterator[dt.date]:
    """Within the block ``today()`` returns ``day`` (a date or an ISO string)."""
    value = dt.date.fromisoformat(day) if isinstance(day, str) else day
    token = _PINNED.set(value)
    try:
        yield value
    finally:
        _PINNED.reset(token)
