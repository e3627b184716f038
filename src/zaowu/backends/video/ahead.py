"""Frames made on one thread while the encoder consumes them on another.

A render is a chain of generators (pictures → captions → labels) read by the encoder. Run in one thread,
the picture work (NumPy and OpenCV, which release the GIL) and the encoder (libx264, also outside the
GIL) take turns, and on 2 cores one core mostly waits. ``ahead`` runs the chain on a producer thread a few
frames ahead of the encoder, so both cores work. The producer runs in a copy of the caller's context
(its cancel token and labels), exceptions it raises come out of the consumer's ``next``, and when the
consumer stops early (an error, a cancel) the producer stops at its next frame and closes the chain,
so nothing is left running or open after the render returns. Order and content are unchanged: the same
frames, one at a time, in order. Standard library only.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Iterator
from typing import Any, TypeVar

__all__ = ["DEPTH", "ahead"]

T = TypeVar("T")

DEPTH = 3
"""Frames the producer may be ahead of the consumer (a 1080p frame is 6 MB)."""
_END = object()


def ahead(items: Iterator[T], depth: int = DEPTH) -> Iterator[T]:
    """``items``, produced by a thread up to ``depth`` items before they are taken."""
    box: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                box.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((True, item)):
                    return
            put((True, _END))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            put((False, exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # the chain's own clean-up (open clips) runs now, on this thread

    thread = threading.Thread(target=contextvars.copy_context().run, args=(produce,), name="frames-ahead", daemon=True)
    thread.start()
    try:
        while True:
            ok, item = box.get()
            if not ok:
                raise item
            if item is _END:
                return
            yield item
    finally:
        stop.set()
        thread.join()
