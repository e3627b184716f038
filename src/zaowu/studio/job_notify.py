"""LISTEN/NOTIFY for the job queue on PostgreSQL.

Writers call ``notify`` inside their transaction (PostgreSQL delivers it at commit, and drops it on
rollback): on ``QUEUE_CHANNEL`` when work may be claimable (a submit, a re-queue, a finished job that
frees a group slot) or a job is cancelled, on ``EVENTS_CHANNEL`` with the job id for every job event.
One ``Listener`` thread per process holds a dedicated connection that LISTENs on both and hands each
notification to callbacks: the worker threads wake up instead of polling, SSE streams send new events
at once. A lost connection is re-opened, and callers keep a slow fallback poll for anything missed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

QUEUE_CHANNEL = "zaowu_jobs"  # payload: "work" or "cancel:<job id>"
EVENTS_CHANNEL = "zaowu_job_events"  # payload: the job id
RECONNECT_SECONDS = 2.0  # wait before re-opening a lost listening connection
STOP_CHECK_SECONDS = 1.0  # how often the listening thread looks whether it should stop


def notify(conn: Connection, channel: str, payload: str) -> None:
    """Queue a notification in ``conn``'s transaction (PostgreSQL only)."""
    conn.execute(sa.text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": payload})


class Listener:
    """A thread LISTENing on the queue and events channels of ``engine``'s database."""

    def __init__(self, engine: Engine, on_queue: Callable[[str], None], on_event: Callable[[str], None]):
        self.engine = engine
        self.on_queue = on_queue
        self.on_event = on_event
        self.ready = threading.Event()  # set while LISTENing (tests and callers may wait on it)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Listener:
        self._thread = threading.Thread(target=self._run, name="zaowu-job-listener", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except Exception:  # the database went away: wake everyone (they re-read), then reconnect
                log.warning("job listener lost its database connection; reconnecting", exc_info=True)
            self.ready.clear()
            self.on_queue("work")
            self._stop.wait(RECONNECT_SECONDS)

    def _listen(self) -> None:
        raw = self.engine.raw_connection()
        conn = raw.driver_connection
        raw.detach()  # a long-lived connection of its own, never handed back to the pool
        try:
            conn.autocommit = True
            conn.execute(f"LISTEN {QUEUE_CHANNEL}")
            conn.execute(f"LISTEN {EVENTS_CHANNEL}")
            self.ready.set()
            self.on_queue("work")  # anything submitted before this LISTEN began is looked for now
            while not self._stop.is_set():
                for note in conn.notifies(timeout=STOP_CHECK_SECONDS):
                    self._dispatch(note.channel, note.payload)
        finally:
            raw.close()

    def _dispatch(self, channel: str, payload: str) -> None:
        try:
            if channel == QUEUE_CHANNEL:
                self.on_queue(payload)
            elif channel == EVENTS_CHANNEL:
                self.on_event(payload)
        except Exception:  # a failing callback must not stop the listener
            log.exception("handling a job notification failed")
