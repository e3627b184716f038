"""Admission control: a bounded line in front of each model, so a flood of requests gets a quick
"busy, retry after N s" (Overloaded, 503) instead of an ever longer wait, and the server keeps
answering everyone else.

Each model has a Gate: ``slots`` generations run at once (``max_parallel`` of a remote server, else
what the backend declares with ``Backend.slots``, e.g. ``n_parallel`` for local llama.cpp models, else
``media_parallel``) and up to ``queue`` more wait for a slot (setting ``max_queue``, default twice the
slots). An HTTP request beyond that is refused at once, before any work or logging is done: the
HTTP app runs each request inside ``refusing()``. Other callers (jobs, which already wait in the
durable job queue, the CLI, Python code) wait for their turn instead.

    ticket = studio.admission.reserve(spec)   # a place in the line, or Overloaded
    with ticket:                              # waits for a slot; frees it at the end, however it ends
        ...generate...

Streams reserve when they are created and take their slot at the first item (``ticket.guard``);
closing or dropping them gives the place back. A thread that already holds a slot of a model passes
through that model's gate again (nested calls, or several streams read in turn by one thread), so it
can never wait for itself.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Self, TypeVar

from .. import cancel
from ..errors import Overloaded
from ..settings import Settings
from ..types import ModelSpec

__all__ = ["Admission", "Gate", "Ticket", "refusing"]

T = TypeVar("T")

RETRY_AFTER_MAX = 60  # seconds: the longest Retry-After ever suggested
_EMA_WEIGHT = 0.2  # weight of the newest run in the running mean of how long a slot is held

_refuse: ContextVar[bool] = ContextVar("zaowu_admission_refuse", default=False)


@contextmanager
def refusing():
    """Inside this block (and worker threads started from it with the context copied, as AnyIO
    does), a request for a model whose line is full raises Overloaded instead of waiting."""
    token = _refuse.set(True)
    try:
        yield
    finally:
        _refuse.reset(token)


class Ticket:
    """One admitted request: a place in its gate's line, then a slot. ``release`` is idempotent
    and may come from any thread; ``with ticket:`` takes the slot and always releases it."""

    def __init__(self, gate: Gate | None):
        self._gate = gate
        self._state = "waiting"  # -> running -> done, or waiting -> done
        self._started = 0.0
        self._thread = 0  # the thread that took the slot

    def start(self) -> None:
        """Wait for a free slot (the place in the line is already held)."""
        if self._gate is not None and self._state == "waiting":
            self._gate._start(self)

    def release(self) -> None:
        if self._gate is not None and self._state != "done":
            self._gate._release(self)

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.release()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def guard(self, iterator: Iterator[T]) -> Iterator[T]:
        """``iterator`` run in this ticket's slot: taken at the first item, freed when it ends or is closed."""
        try:
            self.start()
            yield from iterator
        finally:
            self.release()


class Gate:
    """The line in front of one model: ``slots`` running, at most ``queue`` waiting."""

    def __init__(self, name: str, slots: int, queue: int):
        self.name, self.slots, self.queue = name, slots, queue
        self.running = 0
        self.waiting = 0
        self.held_s = 0.0  # running mean of how long a slot is held, for Retry-After
        self._cond = threading.Condition()
        self._holders: Counter[int] = Counter()  # thread id -> slots it holds

    def reserve(self) -> Ticket:
        """A place in the line; Overloaded when ``slots + queue`` requests are already in (inside ``refusing()``)."""
        if self._holders.get(threading.get_ident()):
            return Ticket(None)  # nested in (or interleaved with) a generation of this model on this thread
        with self._cond:
            if self.running + self.waiting >= self.slots + self.queue and _refuse.get():
                raise self._overloaded()
            self.waiting += 1
        return Ticket(self)

    def retry_after(self) -> float:
        """Seconds until a place is likely free: one slot's mean hold time shared by the slots."""
        return min(RETRY_AFTER_MAX, max(1.0, self.held_s / self.slots))

    def snapshot(self) -> dict[str, int]:
        return {"running": self.running, "waiting": self.waiting, "slots": self.slots, "queue": self.queue}

    def _overloaded(self) -> Overloaded:
        wait = self.retry_after()
        return Overloaded(
            f"The model '{self.name}' is busy: {self.running} requests running and {self.waiting} waiting "
            f"({self.slots} slots, max_queue={self.queue}). Try again in {wait:.0f} s; the server's "
            "operator can raise max_queue or the model's parallel slots.",
            retry_after=wait,
        )

    def _start(self, ticket: Ticket) -> None:
        me = threading.get_ident()
        with self._cond:
            while self.running >= self.slots and not self._holders[me]:  # a holder never waits for itself
                self._cond.wait(timeout=0.5)
                cancel.check()  # the caller left while waiting: give the place back (the ticket's release)
            self.waiting -= 1
            self.running += 1
            self._holders[me] += 1
            ticket._state, ticket._started, ticket._thread = "running", time.monotonic(), me

    def _release(self, ticket: Ticket) -> None:
        with self._cond:
            if ticket._state == "running":
                self.running -= 1
                self._holders[ticket._thread] -= 1
                if not self._holders[ticket._thread]:
                    del self._holders[ticket._thread]
                held = time.monotonic() - ticket._started
                self.held_s = held if not self.held_s else (1 - _EMA_WEIGHT) * self.held_s + _EMA_WEIGHT * held
                self._cond.notify()
            elif ticket._state == "waiting":
                self.waiting -= 1
            ticket._state = "done"


class Admission:
    """The gates of one studio, made on first use for each resolved model (or remote server)."""

    def __init__(self, settings: Settings, slots: Callable[[ModelSpec], int | None] | None = None):
        """``slots``: the generations a model's backend declares it runs at once (None: undeclared)."""
        self.settings = settings
        self._declared = slots
        self._gates: dict[str, Gate] = {}
        self._lock = threading.Lock()

    def reserve(self, spec: ModelSpec) -> Ticket:
        return self.gate(spec).reserve()

    def precheck(self, model_id: str) -> None:
        """Overloaded at once when ``model_id``'s line is already full: a lock-free look at the
        counts, without resolving the model, for interfaces to call before handing a request to a
        worker thread. Advisory: ``reserve`` still decides."""
        gate = self._gates.get(model_id)
        if gate is None and "/" in model_id:
            gate = self._gates.get(f"remote:{model_id.partition('/')[0]}")
        if gate is not None and gate.running + gate.waiting >= gate.slots + gate.queue and _refuse.get():
            raise gate._overloaded()

    def gate(self, spec: ModelSpec) -> Gate:
        # remote models share their server's gate, so any number of names on a remote makes one gate
        name = f"remote:{spec.remote}" if spec.remote else spec.id
        with self._lock:
            gate = self._gates.get(name)
            if gate is None:
                slots = self.slots(spec)
                queue = self.settings.max_queue if self.settings.max_queue is not None else 2 * slots
                gate = self._gates[name] = Gate(name, slots, queue)
            return gate

    def slots(self, spec: ModelSpec) -> int:
        """Generations a model runs at once."""
        if spec.remote and spec.remote in self.settings.remotes:
            return self.settings.remotes[spec.remote].max_parallel
        declared = self._declared(spec) if self._declared is not None else None
        return declared or self.settings.media_parallel

    def snapshot(self) -> dict[str, dict[str, int]]:
        """Running and waiting requests per model (read without locks: a monitoring view)."""
        return {name: gate.snapshot() for name, gate in list(self._gates.items())}
