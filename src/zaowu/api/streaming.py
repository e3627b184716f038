"""Bridge a blocking iterator (a model's token stream) to the event loop.

One thread drives the iterator and hands items to the loop with
``call_soon_threadsafe``: cheaper per token than a thread-pool hop for every
item, which matters on a 2-core machine where every CPU cycle spent here is
taken from llama.cpp. When the consumer stops (client gone), the driving
thread notices at the next item and closes the iterator in its own thread,
which stops the generation.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
_END = object()


class ThreadedStream(Generic[T]):
    def __init__(self, iterator: Iterator[T]):
        self._iterator = iterator
        self._queue: asyncio.Queue = asyncio.Queue()
        self._stop = threading.Event()
        self._loop = asyncio.get_running_loop()
        threading.Thread(target=self._pump, name="zaowu-stream", daemon=True).start()

    def _pump(self) -> None:
        put = self._queue.put_nowait
        try:
            for item in self._iterator:
                self._loop.call_soon_threadsafe(put, item)
                if self._stop.is_set():
                    break
        except BaseException as exc:  # noqa: BLE001 - delivered to the consumer, raised there
            self._loop.call_soon_threadsafe(put, exc)
        finally:
            close = getattr(self._iterator, "close", None)
            if close is not None:
                close()
            try:
                self._loop.call_soon_threadsafe(put, _END)
            except RuntimeError:  # loop already closed at shutdown
                pass

    async def next(self) -> T | None:
        """The next item, None at the end; exceptions from the iterator are raised here."""
        item = await self._queue.get()
        if item is _END:
            self._queue.put_nowait(_END)  # stay at the end for later calls
            return None
        if isinstance(item, BaseException):
            raise item
        return item

    async def __aiter__(self) -> AsyncIterator[T]:
        while (item := await self.next()) is not None:
            yield item

    def stop(self) -> None:
        self._stop.set()
