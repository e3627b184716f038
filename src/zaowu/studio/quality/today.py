"""One source of "today": prompts state it and relative dates ("this Saturday", "下个月") resolve against it.

``today(fixed)`` is the date a caller pinned with ``pinned_today(date)`` (tests, the bench, a run
that must resolve dates as of one day), else ``fixed`` (the ``today`` setting), else the local
calendar date. ``studio_today(studio)`` pins the studio's day for a block, so code that has no
studio at hand (an app building its workflow) sees the setting too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

__all__ = ["pinned_today", "today", "studio_today", "settings_today"]

_PINNED: ContextVar[dt.date | None] = ContextVar("zaowu_today", default=None)


def today(fixed: dt.date | None = None) -> dt.date:
    """The pinned date, else ``fixed`` (the ``today`` setting), else the local calendar date."""
    return _PINNED.get() or fixed or dt.date.today()


def settings_today(studio: Any) -> dt.date:
    """Today for a studio: the pinned date, else its ``today`` setting, else the local calendar date."""
    return today(getattr(getattr(studio, "settings", None), "today", None))


@contextmanager
def studio_today(studio: Any) -> Iterator[dt.date]:
    """Within the block ``today()`` returns the studio's day (``settings_today``)."""
    with pinned_today(settings_today(studio)) as day:
        yield day


@contextmanager
def pinned_today(day: dt.date | str) -> Iterator[dt.date]:
    """Within the block ``today()`` returns ``day`` (a date or an ISO string)."""
    value = dt.date.fromisoformat(day) if isinstance(day, str) else day
    token = _PINNED.set(value)
    try:
        yield value
    finally:
        _PINNED.reset(token)
