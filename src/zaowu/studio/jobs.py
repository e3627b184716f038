"""The durable job queue: submit → id; queued/running/succeeded/failed/cancelled;
progress with messages and intermediate artifacts; cancel; priority;
per-group concurrency limits; state and events in the database.

Any process sharing the database can run jobs: ``WorkerPool`` threads claim a
queued job with a conditional UPDATE (``... WHERE id = ? AND state = 'queued'``),
so two workers never run the same job, and beat a heartbeat while running.
``recover()`` (at start and periodically) re-queues running jobs whose worker
died — its process is gone on this host, or its heartbeat is stale — when the
kind is resumable, and fails them with a reason otherwise: no job is silently
lost. Every change is also an event row (``job_events``) for SSE streams.
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

if TYPE_CHECKING:
    from .engine import Studio

log = logging.getLogger(__name__)

__all__ = ["JobKind", "JobContext", "JobCancelled", "JobInterrupted", "JobQueue", "WorkerPool", "FINAL_STATES"]

FINAL_STATES = ("succeeded", "failed", "cancelled")
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


class JobCancelled(Exception):
    """Raised inside a job when it has been cancelled."""


class JobInterrupted(Exception):
    """Raised inside a job when its worker is shutting down; the job goes back to the queue."""


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
        self.job_id: str = job["id"]
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
            self.queue._progress(self.job_id, max(0.0, min(1.0, fraction)), message)

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
    ):
        self.engine = engine
        self.kinds = kinds
        self.concurrency = concurrency or {}
        self.default_concurrency = default_concurrency
        self.max_attempts = max_attempts
        self.stale_after = stale_after
        self.wakeup = threading.Condition()
        self._running: dict[str, JobContext] = {}
        self._claim_lock = threading.Lock()

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
            conn.execute(
                job_events.insert().values(
                    job_id=row["id"], at=row["created_at"], type="state", data={"state": "queued"}
                )
            )
        job = self.get(row["id"])  # read before waking a worker: the answer says "queued"
        with self.wakeup:
            self.wakeup.notify()
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
                conn.execute(
                    job_events.insert().values(job_id=job_id, at=now, type="state", data={"state": "cancelled"})
                )
            else:
                conn.execute(
                    jobs.update().where(jobs.c.id == job_id, jobs.c.state == "running").values(cancel_requested=True)
                )
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
    def _event(self, job_id: str, type_: str, data: dict[str, Any], conn=None) -> None:
        stmt = job_events.insert().values(job_id=job_id, at=time.time(), type=type_, data=data)
        if conn is not None:
            conn.execute(stmt)
            return
        with self.engine.begin() as c:
            c.execute(stmt)

    def _progress(self, job_id: str, fraction: float, message: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                jobs.update()
                .where(jobs.c.id == job_id)
                .values(progress=fraction, message=message, heartbeat_at=time.time())
            )
            self._event(job_id, "progress", {"progress": fraction, "message": message}, conn)

    def _limit(self, group: str) -> int:
        return self.concurrency.get(
            group, self.concurrency.get(group.split(":", maxsplit=1)[0], self.default_concurrency)
        )

    def claim(self, worker: str = WORKER_ID) -> dict[str, Any] | None:
        """Take the highest-priority queued job whose group is under its limit, or None."""
        with self._claim_lock:
            for _ in range(5):
                with self.engine.begin() as conn:
                    running = conn.execute(
                        sa.select(jobs.c.group, sa.func.count()).where(jobs.c.state == "running").group_by(jobs.c.group)
                    ).all()
                    full = [g for g, n in running if n >= self._limit(g)]
                    q = sa.select(jobs.c.id).where(jobs.c.state == "queued", jobs.c.kind.in_(list(self.kinds)))
                    if full:
                        q = q.where(jobs.c.group.not_in(full))
                    job_id = conn.scalar(q.order_by(jobs.c.priority.desc(), jobs.c.created_at).limit(1))
                    if job_id is None:
                        return None
                    now = time.time()
                    won = conn.execute(
                        jobs.update()
                        .where(jobs.c.id == job_id, jobs.c.state == "queued")
                        .values(
                            state="running",
                            worker=worker,
                            started_at=now,
                            heartbeat_at=now,
                            attempts=jobs.c.attempts + 1,
                        )
                    ).rowcount
                    if won:
                        self._event(job_id, "state", {"state": "running", "worker": worker}, conn)
                if won:
                    return self.get(job_id)
        return None

    def _finish(self, job_id: str, state: str, *, result: dict | None = None, error: str | None = None) -> None:
        now = time.time()
        values: dict[str, Any] = {"state": state, "finished_at": now, "result": result, "error": error}
        if state == "succeeded":
            values["progress"] = 1.0
        with self.engine.begin() as conn:
            conn.execute(jobs.update().where(jobs.c.id == job_id, jobs.c.state == "running").values(**values))
            self._event(job_id, "state", {"state": state, **({"error": error} if error else {})}, conn)

    def _requeue(self, job: dict[str, Any], reason: str) -> None:
        kind = self.kinds.get(job["kind"])
        if kind is None or not kind.resumable:
            self._finish(job["id"], "failed", error=f"{reason} and the job cannot resume")
            return
        with self.engine.begin() as conn:
            conn.execute(
                jobs.update()
                .where(jobs.c.id == job["id"], jobs.c.state == "running")
                .values(state="queued", worker=None, progress=0.0, message=f"re-queued: {reason}")
            )
            self._event(job["id"], "state", {"state": "queued", "reason": reason}, conn)

    def heartbeat(self, job_ids: list[str]) -> None:
        if job_ids:
            with self.engine.begin() as conn:
                conn.execute(jobs.update().where(jobs.c.id.in_(job_ids)).values(heartbeat_at=time.time()))

    def recover(self) -> tuple[int, int]:
        """Re-queue (or fail) running jobs whose worker is gone. Returns (requeued, failed)."""
        host = socket.gethostname()
        now = time.time()
        requeued = failed = 0
        with self.engine.begin() as conn:
            for job in conn.execute(sa.select(jobs).where(jobs.c.state == "running")).all():
                w_host, _, pid = (job.worker or "").rpartition(":")
                dead = (w_host == host and pid.isdigit() and not _pid_alive(int(pid))) or (
                    (job.heartbeat_at or 0) < now - self.stale_after
                )
                if not dead or (job.worker == WORKER_ID and job.id in self._running):
                    continue
                kind = self.kinds.get(job.kind)
                if (
                    kind is not None
                    and kind.resumable
                    and job.attempts < self.max_attempts
                    and not job.cancel_requested
                ):
                    conn.execute(
                        jobs.update()
                        .where(jobs.c.id == job.id, jobs.c.state == "running")
                        .values(state="queued", worker=None, progress=0.0, message="re-queued: its worker stopped")
                    )
                    self._event(job.id, "state", {"state": "queued", "reason": "worker stopped; re-queued"}, conn)
                    requeued += 1
                else:
                    reason = (
                        "cancelled while its worker was stopped"
                        if job.cancel_requested
                        else f"its worker stopped after {job.attempts} attempt(s) and the job cannot resume"
                    )
                    state = "cancelled" if job.cancel_requested else "failed"
                    conn.execute(
                        jobs.update()
                        .where(jobs.c.id == job.id, jobs.c.state == "running")
                        .values(state=state, finished_at=now, error=reason)
                    )
                    self._event(job.id, "state", {"state": state, "error": reason}, conn)
                    failed += 1
        if requeued or failed:
            log.warning("recovered jobs: %d re-queued, %d ended", requeued, failed)
        return requeued, failed

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
            self._finish(job["id"], "succeeded", result=result)
        except JobCancelled:
            self._finish(job["id"], "cancelled")
        except JobInterrupted:
            self._requeue(job, "its worker shut down")
        except ZaowuError as exc:
            if ctx._interrupt.is_set() and not ctx._cancel.is_set():
                self._requeue(job, "its worker shut down")
            else:
                self._finish(job["id"], "cancelled" if ctx._cancel.is_set() else "failed", error=exc.message)
        except Exception as exc:  # a bug in a job must not kill the worker
            log.exception("job %s failed", job["id"])
            self._finish(job["id"], "failed", error=f"{type(exc).__name__}: {exc}")
        finally:
            self._running.pop(job["id"], None)


class WorkerPool:
    """Threads that claim and run jobs, plus one thread for heartbeats and recovery."""

    def __init__(self, queue: JobQueue, studio: Studio, threads: int = 2, heartbeat: float = 5.0):
        self.queue = queue
        self.studio = studio
        self.threads = threads
        self.heartbeat_every = heartbeat
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> WorkerPool:
        self.queue.recover()
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
            try:
                job = self.queue.claim()
            except Exception:  # database busy or gone: back off, keep the worker alive
                log.exception("claiming a job failed")
                job = None
            if job is None:
                with self.queue.wakeup:
                    self.queue.wakeup.wait(0.5)  # woken by local submits; polls for other processes
                continue
            self.queue.run(job, self.studio)

    def _maintain(self) -> None:
        last_recover = time.monotonic()
        while not self._stop.wait(self.heartbeat_every):
            try:
                self.queue.heartbeat(list(self.queue._running))
                if time.monotonic() - last_recover > self.queue.stale_after / 2:
                    self.queue.recover()
                    last_recover = time.monotonic()
            except Exception:
                log.exception("job heartbeat failed")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming; interrupt running jobs, which go back to the queue when resumable."""
        self._stop.set()
        with self.queue.wakeup:
            self.queue.wakeup.notify_all()
        for ctx in list(self.queue._running.values()):
            ctx._interrupt.set()
        for t in self._threads:
            t.join(timeout)
