"""Bridge a blocking iterator (a model's token stream) to the event loop.

One thread drives the iterator and appends items to a deque; it wakes the loop
(``call_soon_threadsafe``, a write to the loop's self-pipe) only when the
consumer is waiting, so items that arrive while the loop is busy cost no
wake-up, and ``ready()`` hands them over in one go (the text route writes them
as one SSE body). This matters on a 2-core machine, where every CPU cycle spent
here is taken from llama.cpp. When the consumer stops (client gone), the
driving thread notices at the next item and closes the iterator in its own
thread, which stops the generation.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterator, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")
_END = object()


def _wake(waiter: asyncio.Future) -> None:
    if not waiter.done():  # a consumer cancelled while waiting leaves a cancelled future
        waiter.set_result(None)


class ThreadedStream(Generic[T]):
    def __init__(self, iterator: Iterator[T]):
        self._iterator = iterator
        self._items: deque[Any] = deque()
        self._lock = threading.Lock()
        self._waiter: asyncio.Future | None = None  # set while the consumer waits for an item
        self._stop = threading.Event()
        self._loop = asyncio.get_running_loop()
        threading.Thread(target=self._pump, name="zaowu-stream", daemon=True).start()

    def _put(self, item: Any) -> None:
        with self._lock:
            self._items.append(item)
            waiter, self._waiter = self._waiter, None
        if waiter is not None:
            self._loop.call_soon_threadsafe(_wake, waiter)

    def _pump(self) -> None:
        try:
            for item in self._iterator:
                self._put(item)
                if self._stop.is_set():
                    break
        except BaseException as exc:  # noqa: BLE001 - delivered to the consumer, raised there
            self._put(exc)
        finally:
            close = getattr(self._iterator, "close", None)
            if close is not None:
                close()
            try:
                self._put(_END)
            except RuntimeError:  # loop already closed at shutdown
                pass

    async def next(self) -> T | None:
        """The next item, None at the end; exceptions from the iterator are raised here."""
        while True:
            with self._lock:
                if self._items:
                    item = self._items.popleft()
                    if item is _END:
                        self._items.appendleft(_END)  # stay at the end for later calls
                    break
                waiter = self._waiter = self._loop.create_future()
            await waiter
        if item is _END:
            return None
        if isinstance(item, BaseException):
            raise item
        return item

    def ready(self) -> list[T]:
        """The items already waiting, without waiting for more; the end and errors are left for ``next()``."""
        out: list[T] = []
        with self._lock:
            while self._items and self._items[0] is not _END and not isinstance(self._items[0], BaseException):
                out.append(self._items.popleft())
        return out

    async def __aiter__(self) -> AsyncIterator[T]:
        while (item := await self.next()) is not None:
            yield item

    def stop(self) -> None:
        self._stop.set()
