"""The durable job queue: submit → id; queued/running/succeeded/failed/cancelled;
progress with messages and intermediate artifacts; cancel; priority;
per-group concurrency limits; state and events in the database.

Any process sharing the database can run jobs (``zaowu worker`` on any host, for
chosen kinds and groups): ``WorkerPool`` threads claim a queued job and beat a
heartbeat while running it. On SQLite a claim is a conditional UPDATE
(``... WHERE id = ? AND state = 'queued'``); on PostgreSQL it takes the row with
``SELECT … FOR UPDATE SKIP LOCKED`` and checks the job's group limit under a
transaction-level advisory lock on that group, so limits hold across hosts.
Finishing is conditional too (the job is still running, held by this worker, in
this attempt), so each job completes once. ``recover()`` (at start and
periodically) re-queues running jobs whose worker died — its process is gone on
this host, or its heartbeat is stale — when the kind is resumable, and fails them
with a reason otherwise: no job is silently lost. Every change is also an event
row (``job_events``) for SSE streams. On PostgreSQL, NOTIFY (job_notify.py) wakes
idle workers and SSE streams; SQLite workers poll.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from pydantic import BaseModel, ValidationError
from sqlalchemy.engine import Engine

from ..errors import InvalidRequest, NotFound, ZaowuError
from ..types import Caller
from .db import check_fits, job_events, jobs
from .genlog import _pid_alive, new_id
from .job_notify import EVENTS_CHANNEL, QUEUE_CHANNEL, Listener, notify

if TYPE_CHECKING:
    from .engine import Studio

log = logging.getLogger(__name__)

__all__ = [
    "JobKind",
    "JobContext",
    "JobCancelled",
    "JobInterrupted",
    "JobLost",
    "JobQueue",
    "WorkerPool",
    "FINAL_STATES",
]

FINAL_STATES = ("succeeded", "failed", "cancelled")
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"
SQLITE_POLL_SECONDS = 0.5  # SQLite has no NOTIFY: idle workers look for jobs this often
SQLITE_EVENT_POLL_SECONDS = 0.2  # ... and SSE streams for new events
CLAIM_TRIES = 5  # a claim re-reads this often when other workers take its candidates first
GROUP_LOCK_SPACE = 19_0019  # first key of the per-group advisory locks (the second is hashtext(group))


class JobCancelled(Exception):
    """Raised inside a job when it has been cancelled."""


class JobInterrupted(Exception):
    """Raised inside a job when its worker is shutting down; the job goes back to the queue."""


class JobLost(Exception):
    """Raised inside a job that its worker no longer holds (recovered as stale, or ended elsewhere)."""


@dataclass(frozen=True)
class JobKind:
    """A kind of job: how to validate its request and how to run it."""

    name: str
    run: Callable[[JobContext, Any], dict[str, Any]]  # returns the JSON result
    request_model: type[BaseModel] | None = None
    scope: str = "text"  # API key scope needed to submit it
    group: Callable[[Any], str] | None = None  # concurrency group of a request (default: the kind)
    resumable: bool = True  # may run again from the start after its worker died
    description: str = ""

    def parse(self, request: dict[str, Any]) -> Any:
        if self.request_model is None:
            return request
        try:
            return self.request_model.model_validate(request)
        except ValidationError as exc:
            raise InvalidRequest.from_validation(exc, "request") from None


class JobContext:
    """Handed to a running job: report progress, store artifacts, notice cancellation."""

    def __init__(self, queue: JobQueue, job: dict[str, Any], studio: Studio):
        self.queue = queue
        self.job = job
        self.job_id: str = job["id"]
        self.attempt: int = job["attempts"]  # 1 on the first run, 2 after one re-queue...
        self.caller: str | None = job["caller"]
        self.key_id: str | None = job["key_id"]
        # its generations' caller; ``unlabelled``: the submitter asked for outputs without labels (checked on run)
        self.who = Caller(
            interface="job",
            name=self.caller,
            key_id=self.key_id,
            job_id=self.job_id,
            unlabelled=bool(job.get("unlabelled")),
        )
        self.studio = studio
        self._cancel = threading.Event()
        self._interrupt = threading.Event()
        self._last_poll = 0.0
        self._last_progress = 0.0

    @property
    def cancelled(self) -> bool:
        """True when the job should stop: cancelled by a user, or its worker is shutting down."""
        if self._cancel.is_set() or self._interrupt.is_set():
            return True
        now = time.monotonic()
        if now - self._last_poll > 0.5:  # a cancel may come from another process
            self._last_poll = now
            if self.queue.cancel_requested(self.job_id):
                self._cancel.set()
        return self._cancel.is_set()

    def check(self) -> None:
        if self.cancelled:
            raise JobInterrupted() if self._interrupt.is_set() and not self._cancel.is_set() else JobCancelled()

    def progress(self, fraction: float, message: str | None = None, *, force: bool = False) -> None:
        """Record progress (at most 5 writes a second unless ``force``); raises JobCancelled when cancelled."""
        self.check()
        now = time.monotonic()
        if force or now - self._last_progress >= 0.2:
            self._last_progress = now
            if not self.queue._progress(self.job, max(0.0, min(1.0, fraction)), message):
                raise JobLost(f"job {self.job_id} is no longer held by this worker")

    def artifact(
        self,
        data: bytes,
        mime: str,
        *,
        name: str | None = None,
        meta: dict | None = None,
        generation_id: str | None = None,
    ) -> dict[str, Any]:
        row = self.studio.artifacts.put(
            data,
            mime,
            name=name,
            job_id=self.job_id,
            generation_id=generation_id,
            caller=self.caller,
            key_id=self.key_id,
            meta=meta,
            unlabelled=self.who.unlabelled,
        )
        self.queue._event(self.job_id, "artifact", {"artifact_id": row["id"], "mime": mime, "name": name})
        return row

    def read_artifact(self, artifact_id: str) -> bytes:
        """An artifact the job's key may read; another key's gives the same 404 as a missing id."""
        return self.studio.artifacts.read(artifact_id, key_id=self.key_id)


class JobQueue:
    def __init__(
        self,
        engine: Engine,
        kinds: dict[str, JobKind],
        concurrency: dict[str, int] | None = None,
        default_concurrency: int = 2,
        max_attempts: int = 3,
        stale_after: float = 60.0,
        poll_seconds: float = 5.0,
    ):
        self.engine = engine
        self.kinds = kinds
        self.concurrency = concurrency or {}
        self.default_concurrency = default_concurrency
        self.max_attempts = max_attempts
        self.stale_after = stale_after
        self.postgres = engine.dialect.name == "postgresql"
        # idle workers and SSE streams wait this long for a wake-up (PostgreSQL: NOTIFY; SQLite: a local submit)
        self.poll_seconds = poll_seconds if self.postgres else SQLITE_POLL_SECONDS
        self.event_poll_seconds = poll_seconds if self.postgres else SQLITE_EVENT_POLL_SECONDS
        self.wakeup = threading.Condition()
        self._wake_count = 0  # bumped on every wake-up, so a worker never sleeps through one
        self._running: dict[str, JobContext] = {}
        self._claim_lock = threading.Lock()
        self._watchers: dict[str, set[Callable[[], None]]] = {}
        self._watch_lock = threading.Lock()
        self._listener: Listener | None = None

    # -- notifications -------------------------------------------------------------
    def listen(self) -> Listener | None:
        """Start this process's LISTEN thread (PostgreSQL; None on SQLite). Idempotent."""
        if not self.postgres:
            return None
        with self._watch_lock:
            if self._listener is None:
                self._listener = Listener(self.engine, self._on_queue_note, self._on_event_note).start()
        return self._listener

    def close(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None

    def _notify(self, conn: Any, channel: str, payload: str) -> None:
        if self.postgres:
            notify(conn, channel, payload)

    def _on_queue_note(self, payload: str) -> None:
        if payload.startswith("cancel:"):
            ctx = self._running.get(payload.removeprefix("cancel:"))
            if ctx is not None:
                ctx._cancel.set()
            return
        self.wake()

    def _on_event_note(self, job_id: str) -> None:
        with self._watch_lock:
            callbacks = list(self._watchers.get(job_id, ()))
        for callback in callbacks:
            callback()

    def watch(self, job_id: str, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` (from another thread) when the job gets a new event; returns the unwatch function.
        Only on PostgreSQL: SQLite streams poll every ``event_poll_seconds``."""
        self.listen()
        with self._watch_lock:
            self._watchers.setdefault(job_id, set()).add(callback)

        def unwatch() -> None:
            with self._watch_lock:
                left = self._watchers.get(job_id, set())
                left.discard(callback)
                if not left:
                    self._watchers.pop(job_id, None)

        return unwatch

    def wake(self) -> None:
        """Wake this process's idle workers: there may be work."""
        with self.wakeup:
            self._wake_count += 1
            self.wakeup.notify_all()

    def wake_count(self) -> int:
        with self.wakeup:
            return self._wake_count

    def wait_for_work(self, seen: int, timeout: float) -> None:
        """Sleep until a wake-up after ``seen`` (a ``wake_count()``), or ``timeout`` seconds."""
        with self.wakeup:
            if self._wake_count == seen:
                self.wakeup.wait(timeout)

    # -- submitting and reading --------------------------------------------------
    def kind(self, name: str) -> JobKind:
        if name not in self.kinds:
            raise InvalidRequest(
                f"Unknown job kind '{name}'. Known kinds: {', '.join(sorted(self.kinds))}.", param="kind"
            )
        return self.kinds[name]

    def submit(
        self,
        kind: str,
        request: dict[str, Any],
        *,
        priority: int = 0,
        caller: str | None = None,
        key_id: str | None = None,
        unlabelled: bool = False,
    ) -> dict[str, Any]:
        """Queue a job of ``kind``; ``unlabelled``: its outputs are stored without labels, which the caller
        (``Studio.submit_job``) checks against the key's permission now and the run checks again."""
        job_kind = self.kind(kind)
        parsed = job_kind.parse(request)
        if not -100 <= priority <= 100:
            raise InvalidRequest("priority must be between -100 and 100 (higher runs first).", param="priority")
        # only what the caller set: a re-parse then knows which fields were given (a look from words keeps
        # the parameters a caller set) and still fills the defaults of today's code
        body = (
            parsed.model_dump(mode="json", exclude_unset=True, exclude_none=True)
            if isinstance(parsed, BaseModel)
            else request
        )
        row = {
            "id": new_id("job"),
            "kind": kind,
            "request": body,
            "state": "queued",
            "priority": priority,
            "group": job_kind.group(parsed) if job_kind.group else kind,
            "caller": caller,
            "key_id": key_id,
            "created_at": time.time(),
            "attempts": 0,
            "progress": 0.0,
            "cancel_requested": False,
            "unlabelled": unlabelled,
        }
        check_fits(jobs, row, {"group": "request.model"})  # the group holds the model's name
        with self.engine.begin() as conn:
            conn.execute(jobs.insert().values(**row))
            self._event(row["id"], "state", {"state": "queued"}, conn, at=row["created_at"])
            self._notify(conn, QUEUE_CHANNEL, "work")
        job = self.get(row["id"])  # read before waking a worker: the answer says "queued"
        self.wake()
        return job

    def get(self, job_id: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
        if row is None:
            raise NotFound(f"No job with id '{job_id}'.", param="id")
        return dict(row._mapping)

    def list(
        self,
        *,
        state: str | None = None,
        caller: str | None = None,
        key_id: str | None = None,
        kind: str | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        q = sa.select(jobs).order_by(jobs.c.created_at.desc()).limit(limit)
        for col, value in (
            (jobs.c.state, state),
            (jobs.c.caller, caller),
            (jobs.c.key_id, key_id),
            (jobs.c.kind, kind),
        ):
            if value is not None:
                q = q.where(col == value)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def events(self, job_id: str, after: int = 0) -> list[dict[str, Any]]:
        q = (
            sa.select(job_events)
            .where(job_events.c.job_id == job_id, job_events.c.id > after)
            .order_by(job_events.c.id)
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def cancel_requested(self, job_id: str) -> bool:
        with self.engine.connect() as conn:
            return bool(conn.scalar(sa.select(jobs.c.cancel_requested).where(jobs.c.id == job_id)))

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Queued jobs are cancelled at once; running ones stop at their next progress check."""
        now = time.time()
        with self.engine.begin() as conn:
            done = conn.execute(
                jobs.update()
                .where(jobs.c.id == job_id, jobs.c.state == "queued")
                .values(state="cancelled", finished_at=now, cancel_requested=True)
            ).rowcount
            if done:
                self._event(job_id, "state", {"state": "cancelled"}, conn, at=now)
            else:
                conn.execute(
                    jobs.update().where(jobs.c.id == job_id, jobs.c.state == "running").values(cancel_requested=True)
                )
                self._notify(conn, QUEUE_CHANNEL, f"cancel:{job_id}")  # its worker, on whichever host
        ctx = self._running.get(job_id)
        if ctx is not None:
            ctx._cancel.set()
        return self.get(job_id)

    def wait(self, job_id: str, timeout: float | None = None, poll: float = 0.2) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = self.get(job_id)
            if job["state"] in FINAL_STATES or (deadline is not None and time.monotonic() > deadline):
                return job
            time.sleep(poll)

    # -- state changes (workers) -------------------------------------------------
    def _event(self, job_id: str, type_: str, data: dict[str, Any], conn=None, at: float | None = None) -> None:
        stmt = job_events.insert().values(job_id=job_id, at=at or time.time(), type=type_, data=data)
        if conn is None:
            with self.engine.begin() as c:
                self._event(job_id, type_, data, c, at)
            return
        if self.postgres:  # one round trip: the insert and its NOTIFY
            inserted = stmt.returning(job_events.c.job_id).cte("inserted")
            conn.execute(sa.select(sa.func.pg_notify(EVENTS_CHANNEL, inserted.c.job_id)))
        else:
            conn.execute(stmt)

    @staticmethod
    def _held(job: dict[str, Any]) -> Any:
        """The condition that ``job`` (as claimed) is still running under the same worker and attempt."""
        return sa.and_(
            jobs.c.id == job["id"],
            jobs.c.state == "running",
            jobs.c.worker == job["worker"],
            jobs.c.attempts == job["attempts"],
        )

    def _progress(self, job: dict[str, Any], fraction: float, message: str | None) -> bool:
        """Record progress; False when this worker no longer holds the job."""
        with self.engine.begin() as conn:
            held = conn.execute(
                jobs.update()
                .where(self._held(job))
                .values(progress=fraction, message=message, heartbeat_at=time.time())
            ).rowcount
            if held:
                self._event(job["id"], "progress", {"progress": fraction, "message": message}, conn)
        return bool(held)

    def _limit(self, group: str) -> int:
        return self.concurrency.get(
            group, self.concurrency.get(group.split(":", maxsplit=1)[0], self.default_concurrency)
        )

    def _full_groups(self, conn: Any) -> list[str]:
        running = conn.execute(
            sa.select(jobs.c.group, sa.func.count()).where(jobs.c.state == "running").group_by(jobs.c.group)
        ).all()
        return [g for g, n in running if n >= self._limit(g)]

    def _claimable(self, kinds: list[str] | None, groups: list[str] | None, full: list[str]) -> Any:
        """Queued jobs this worker serves, not in the ``full`` groups, best first."""
        served = [k for k in self.kinds if kinds is None or k in kinds]
        q = sa.select(jobs.c.id, jobs.c.group).where(jobs.c.state == "queued", jobs.c.kind.in_(served))
        if full:
            q = q.where(jobs.c.group.not_in(full))
        if groups is not None:  # a group, or a group's family ('text' serves 'text:smollm2-135m-instruct')
            q = q.where(
                sa.or_(jobs.c.group.in_(groups), *(jobs.c.group.startswith(g + ":", autoescape=True) for g in groups))
            )
        return q.order_by(jobs.c.priority.desc(), jobs.c.created_at).limit(1)

    def _take(self, conn: Any, job_id: str, worker: str) -> dict[str, Any] | None:
        now = time.time()
        row = conn.execute(
            jobs.update()
            .where(jobs.c.id == job_id, jobs.c.state == "queued")
            .values(state="running", worker=worker, started_at=now, heartbeat_at=now, attempts=jobs.c.attempts + 1)
            .returning(*jobs.c)
        ).first()
        if row is None:
            return None
        self._event(job_id, "state", {"state": "running", "worker": worker}, conn)
        return dict(row._mapping)

    def claim(
        self, worker: str = WORKER_ID, *, kinds: list[str] | None = None, groups: list[str] | None = None
    ) -> dict[str, Any] | None:
        """Take the highest-priority queued job (of ``kinds`` and ``groups`` when given) whose group is under its
        limit, or None."""
        if self.postgres:
            return self._claim_locked(worker, kinds, groups)
        with self._claim_lock:  # SQLite: one writer at a time anyway; a lost race re-reads
            for _ in range(CLAIM_TRIES):
                with self.engine.begin() as conn:
                    candidate = conn.execute(self._claimable(kinds, groups, self._full_groups(conn))).first()
                    if candidate is None:
                        return None
                    job = self._take(conn, candidate.id, worker)
                if job is not None:
                    return job
        return None

    def _claim_locked(self, worker: str, kinds: list[str] | None, groups: list[str] | None) -> dict[str, Any] | None:
        """PostgreSQL: the best queued job's group is locked first (a transaction-level advisory lock, one per
        transaction, so no deadlock), then the group's running count is read and its best queued job taken with
        SKIP LOCKED, atomically across hosts. Locking the group before any row keeps a group's jobs in order:
        a claim that locked the first job's row before waiting for the group could otherwise be overtaken by
        one that skipped that row and took the second."""
        full: list[str] = []  # the first try reads no counts: a full group is found under its lock
        for attempt in range(CLAIM_TRIES):
            with self.engine.begin() as conn:
                if attempt:
                    full = sorted({*full, *self._full_groups(conn)})
                best = conn.execute(self._claimable(kinds, groups, full)).first()
                if best is None:
                    return None
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(GROUP_LOCK_SPACE, sa.func.hashtext(best.group))))
                running = conn.scalar(
                    sa.select(sa.func.count()).where(jobs.c.state == "running", jobs.c.group == best.group)
                )
                if running >= self._limit(best.group):
                    full.append(best.group)
                    continue  # look again, past the full groups
                q = self._claimable(kinds, groups, full).where(jobs.c.group == best.group)
                candidate = conn.execute(q.with_for_update(skip_locked=True)).first()
                if candidate is None:
                    continue  # taken or cancelled meanwhile: look again
                job = self._take(conn, candidate.id, worker)
            if job is not None:
                return job
        return None

    def _finish(self, job: dict[str, Any], state: str, *, result: dict | None = None, error: str | None = None) -> bool:
        """End a job this worker holds; False (and nothing written) when it no longer holds it."""
        now = time.time()
        values: dict[str, Any] = {"state": state, "finished_at": now, "result": result, "error": error}
        if state == "succeeded":
            values["progress"] = 1.0
        with self.engine.begin() as conn:
            held = conn.execute(jobs.update().where(self._held(job)).values(**values)).rowcount
            if held:
                self._event(job["id"], "state", {"state": state, **({"error": error} if error else {})}, conn)
                self._notify(conn, QUEUE_CHANNEL, "work")  # its group has a free slot
        if not held:
            log.warning("job %s was no longer held by %s; its %s outcome is dropped", job["id"], job["worker"], state)
        return bool(held)

    def _requeue(self, job: dict[str, Any], reason: str) -> None:
        kind = self.kinds.get(job["kind"])
        if kind is None or not kind.resumable:
            self._finish(job, "failed", error=f"{reason} and the job cannot resume")
            return
        with self.engine.begin() as conn:
            held = conn.execute(
                jobs.update()
                .where(self._held(job))
                .values(state="queued", worker=None, progress=0.0, message=f"re-queued: {reason}")
            ).rowcount
            if held:
                self._event(job["id"], "state", {"state": "queued", "reason": reason}, conn)
                self._notify(conn, QUEUE_CHANNEL, "work")

    def heartbeat(self, job_ids: list[str], worker: str = WORKER_ID) -> None:
        if job_ids:
            with self.engine.begin() as conn:
                conn.execute(
                    jobs.update()
                    .where(jobs.c.id.in_(job_ids), jobs.c.state == "running", jobs.c.worker == worker)
                    .values(heartbeat_at=time.time())
                )

    def _dead(self, job: Any, now: float) -> bool:
        """Its process is gone on this host, or its heartbeat is older than ``stale_after`` (any host)."""
        if job.id in self._running:
            return False
        w_host, _, pid = (job.worker or "").rpartition(":")
        if w_host == socket.gethostname() and pid.isdigit() and not _pid_alive(int(pid)):
            return True
        return (job.heartbeat_at or 0) < now - self.stale_after

    def recover(self) -> tuple[int, int]:
        """Re-queue (or fail) running jobs whose worker is gone. Returns (requeued, failed)."""
        now = time.time()
        requeued = failed = 0
        with self.engine.begin() as conn:
            q = sa.select(jobs).where(jobs.c.state == "running")
            if self.postgres:  # another host recovering at the same moment skips these rows
                q = q.with_for_update(skip_locked=True)
            for job in conn.execute(q).all():
                if not self._dead(job, now):
                    continue
                if self._recover_one(conn, job, now):
                    requeued += 1
                else:
                    failed += 1
        if requeued or failed:
            log.warning("recovered jobs: %d re-queued, %d ended", requeued, failed)
        return requeued, failed

    def _recover_one(self, conn: Any, job: Any, now: float) -> bool:
        """Re-queue one dead worker's job (True), or end it with the reason (False)."""
        kind = self.kinds.get(job.kind)
        held = self._held(dict(job._mapping))
        if kind is not None and kind.resumable and job.attempts < self.max_attempts and not job.cancel_requested:
            conn.execute(
                jobs.update()
                .where(held)
                .values(state="queued", worker=None, progress=0.0, message="re-queued: its worker stopped")
            )
            self._event(job.id, "state", {"state": "queued", "reason": "worker stopped; re-queued"}, conn)
            self._notify(conn, QUEUE_CHANNEL, "work")
            return True
        if job.cancel_requested:
            state, reason = "cancelled", "cancelled while its worker was stopped"
        elif kind is None or not kind.resumable:
            state, reason = "failed", f"its worker ({job.worker}) stopped and a '{job.kind}' job cannot resume"
        else:
            state, reason = "failed", f"its worker ({job.worker}) stopped during each of {job.attempts} attempts"
        conn.execute(jobs.update().where(held).values(state=state, finished_at=now, error=reason))
        self._event(job.id, "state", {"state": state, "error": reason}, conn)
        self._notify(conn, QUEUE_CHANNEL, "work")
        return False

    # -- running -------------------------------------------------------------------
    def run(self, job: dict[str, Any], studio: Studio) -> None:
        """Run one claimed job to a final state."""
        ctx = JobContext(self, job, studio)
        self._running[job["id"]] = ctx
        try:
            kind = self.kinds[job["kind"]]
            studio.keys.principal(ctx.key_id).require(kind.scope)  # the key may have changed since it was queued
            if ctx.who.unlabelled:  # so may its permission to get outputs without labels
                studio.check_labels(ctx.who)
                log.warning("job %s runs UNLABELLED for key %s (unlabelled permission)", ctx.job_id, ctx.key_id)
            result = kind.run(ctx, kind.parse(job["request"]))
            ctx.check()
            self._finish(job, "succeeded", result=result)
        except JobLost:
            log.warning("job %s was taken from this worker (%s); stopped it", job["id"], job["worker"])
        except JobCancelled:
            self._finish(job, "cancelled")
        except JobInterrupted:
            self._requeue(job, "its worker shut down")
        except ZaowuError as exc:
            if ctx._interrupt.is_set() and not ctx._cancel.is_set():
                self._requeue(job, "its worker shut down")
            else:
                self._finish(job, "cancelled" if ctx._cancel.is_set() else "failed", error=exc.message)
        except Exception as exc:  # a bug in a job must not kill the worker
            log.exception("job %s failed", job["id"])
            self._finish(job, "failed", error=f"{type(exc).__name__}: {exc}")
        finally:
            self._running.pop(job["id"], None)


class WorkerPool:
    """Threads that claim and run jobs (of chosen kinds and groups), plus one for heartbeats and recovery."""

    def __init__(
        self,
        queue: JobQueue,
        studio: Studio,
        threads: int = 2,
        heartbeat: float = 5.0,
        *,
        kinds: list[str] | None = None,
        groups: list[str] | None = None,
        name: str = WORKER_ID,
    ):
        self.queue = queue
        self.studio = studio
        self.threads = threads
        self.heartbeat_every = heartbeat
        self.kinds = kinds
        self.groups = groups
        self.name = name
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> WorkerPool:
        self.queue.recover()
        self.queue.listen()  # PostgreSQL: NOTIFY wakes the idle threads
        for i in range(self.threads):
            t = threading.Thread(target=self._work, name=f"zaowu-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        t = threading.Thread(target=self._maintain, name="zaowu-heartbeat", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def _work(self) -> None:
        while not self._stop.is_set():
            seen = self.queue.wake_count()
            try:
                job = self.queue.claim(self.name, kinds=self.kinds, groups=self.groups)
            except Exception:  # database busy or gone: back off, keep the worker alive
                log.exception("claiming a job failed")
                job = None
            if job is None:
                self.queue.wait_for_work(seen, self.queue.poll_seconds)
                continue
            self.queue.run(job, self.studio)

    def _maintain(self) -> None:
        last_recover = time.monotonic()
        while not self._stop.wait(self.heartbeat_every):
            try:
                self.queue.heartbeat(list(self.queue._running), self.name)
                if time.monotonic() - last_recover > self.queue.stale_after / 2:
                    self.queue.recover()
                    last_recover = time.monotonic()
            except Exception:
                log.exception("job heartbeat failed")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming; interrupt running jobs, which go back to the queue when resumable."""
        self._stop.set()
        self.queue.wake()
        for ctx in list(self.queue._running.values()):
            ctx._interrupt.set()
        for t in self._threads:
            t.join(timeout)
