"""The generation log: every generation through any interface, one row each.

A row is written when a generation starts (status ``running``) and completed
when it ends (``ok``, ``error``, ``cancelled``), so a process that dies leaves
evidence: rows still ``running`` whose worker process is gone are marked
``interrupted`` the next time a studio opens the database on that host.

Columns: id, created_at/finished_at (epoch seconds), interface (api, cli,
python), caller, worker, modality, model, model_sha256, backend, params
(JSON), seed, input (JSON), output (text), prompt_tokens, completion_tokens,
duration_ms, ttft_ms, status, error, key_id (the API key, when one was used).

Rows stay small whatever a request carried: an input or params value whose JSON is
larger than ``MAX_LOGGED_JSON_BYTES`` is stored as ``{"truncated": true, "excerpt":
the first bytes of its JSON, "sha256": of the whole JSON, "size_bytes": its size}``,
and an error message is cut at ``MAX_LOGGED_ERROR_CHARS``.

Every modality records through one path, ``GenerationLog.record``: it writes the row, and when
the block ends (or a stream calls ``end``) completes it with the outcome (``ok``; ``cancelled`` for
Cancelled or an abandoned generator; ``error`` with the message otherwise), the duration, and
charges the caller's key for what the generation used:

    with studio.log.record(who, modality="image", model=spec, params={}, seed=7, input={...}) as rec:
        result = backend.generate(...)
        rec.output, rec.media_seconds = "...", 3.5
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..errors import Cancelled, InvalidRequest, ZaowuError
from .db import check_fits, generations

if TYPE_CHECKING:
    from ..types import Caller, ModelSpec

__all__ = ["MAX_LOGGED_JSON_BYTES", "GenerationLog", "Recording", "bounded", "new_id", "outcome"]

Charge = Callable[..., None]  # keys.add_usage(key_id, prompt_tokens=, completion_tokens=, media_seconds=)

_WORKER = f"{socket.gethostname()}:{os.getpid()}"
MAX_LOGGED_JSON_BYTES = 64 * 1024  # an input or params value larger than this (as JSON) is logged as an excerpt
MAX_LOGGED_ERROR_CHARS = 8 * 1024  # a longer error message is cut


def bounded(value: Any) -> Any:
    """``value`` itself when its JSON fits ``MAX_LOGGED_JSON_BYTES``, else an excerpt with the
    sha256 and size of the whole JSON (UTF-8, as ``json.dumps(value, ensure_ascii=False)``)."""
    if value is None:
        return None
    data = json.dumps(value, ensure_ascii=False, default=str).encode("utf-8", "surrogatepass")
    if len(data) <= MAX_LOGGED_JSON_BYTES:
        return value
    excerpt = data[:MAX_LOGGED_JSON_BYTES].decode("utf-8", "ignore")  # never a cut character
    return {"truncated": True, "excerpt": excerpt, "sha256": hashlib.sha256(data).hexdigest(), "size_bytes": len(data)}


def _short_error(error: str | None) -> str | None:
    if error is None or len(error) <= MAX_LOGGED_ERROR_CHARS:
        return error
    return error[:MAX_LOGGED_ERROR_CHARS] + f" … ({len(error)} characters)"


def new_id(prefix: str) -> str:
    """Time-ordered unique id: prefix, 12 hex digits of milliseconds, 10 random hex digits."""
    return f"{prefix}_{int(time.time() * 1000):012x}{secrets.token_hex(5)}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds") if ts else None


def outcome(exc: BaseException) -> tuple[str, str | None]:
    """The status and error message a generation ending with ``exc`` is recorded with."""
    if isinstance(exc, Cancelled):
        return "cancelled", exc.message
    if isinstance(exc, GeneratorExit):  # a stream closed early by its consumer
        return "cancelled", None
    if isinstance(exc, ZaowuError):
        return "error", exc.message
    if not isinstance(exc, Exception):  # KeyboardInterrupt, SystemExit
        return "cancelled", type(exc).__name__
    return "error", f"{type(exc).__name__}: {exc}"


class Recording:
    """One generation being recorded. Set what it produced (``output``, token counts, ``ttft_ms``,
    ``media_seconds``; ``status``/``error`` for an outcome other than ok) and leave the ``with``
    block, or call ``end`` (streams): the row is completed and the key charged once."""

    def __init__(self, log: GenerationLog, who: Caller, gen_id: str):
        self.id = gen_id
        self.who = who
        self.status = "ok"
        self.error: str | None = None
        self.output: str | None = None
        self.prompt_tokens: int | None = None
        self.completion_tokens: int | None = None
        self.ttft_ms: float | None = None
        self.media_seconds = 0.0
        self._log = log
        self._started = time.perf_counter()
        self._ended = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.end(exc)

    @property
    def ended(self) -> bool:
        return self._ended

    def end(self, exc: BaseException | None = None) -> None:
        """Complete the row (status from ``exc`` when given) and charge the key; later calls do nothing."""
        if self._ended:
            return
        self._ended = True
        if exc is not None:
            self.status, self.error = outcome(exc)
        self._log.finish(
            self.id,
            status=self.status,
            output=self.output,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            ttft_ms=self.ttft_ms,
            error=self.error,
            duration_ms=(time.perf_counter() - self._started) * 1000,
        )
        if self._log.charge is not None:
            self._log.charge(
                self.who.key_id,
                prompt_tokens=self.prompt_tokens or 0,
                completion_tokens=self.completion_tokens or 0,
                media_seconds=self.media_seconds,
            )


class GenerationLog:
    def __init__(self, engine: Engine, charge: Charge | None = None):
        """``charge``: called with the key id and the usage of each recorded generation (the key store's
        ``add_usage``), so quotas see every generation."""
        self.engine = engine
        self.charge = charge
        self.mark_interrupted()

    def record(
        self, who: Caller, *, modality: str, model: ModelSpec, params: dict[str, Any], seed: int | None, input: Any
    ) -> Recording:
        """Start a row for ``who`` running ``model``; the returned Recording completes it (use it in ``with``)."""
        gen_id = self.start(
            interface=who.interface,
            caller=who.name,
            key_id=who.key_id,
            modality=modality,
            model=model.id,
            model_sha256=model.sha256,
            backend=model.backend,
            params=params,
            seed=seed,
            input=input,
        )
        return Recording(self, who, gen_id)

    def start(
        self,
        *,
        interface: str,
        caller: str | None,
        modality: str,
        key_id: str | None = None,
        model: str,
        model_sha256: str | None,
        backend: str,
        params: dict[str, Any],
        seed: int | None,
        input: Any,
    ) -> str:
        gen_id = new_id("gen")
        row = {
            "id": gen_id,
            "created_at": time.time(),
            "interface": interface,
            "caller": caller,
            "key_id": key_id,
            "worker": _WORKER,
            "modality": modality,
            "model": model,
            "model_sha256": model_sha256,
            "backend": backend,
            "params": bounded(params),
            "seed": seed,
            "input": bounded(input),
            "status": "running",
        }
        check_fits(generations, row)  # e.g. a remote server's model name, which any string may be
        with self.engine.begin() as conn:
            conn.execute(generations.insert().values(**row))
        return gen_id

    def finish(
        self,
        gen_id: str,
        *,
        status: str,
        output: str | None = None,
        prompt_tokens: int | None = None,
        completion_tokens: int | None = None,
        duration_ms: float | None = None,
        ttft_ms: float | None = None,
        error: str | None = None,
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                generations.update()
                .where(generations.c.id == gen_id)
                .values(
                    finished_at=time.time(),
                    status=status,
                    output=output,
                    prompt_tokens=prompt_tokens,
                    completion_tokens=completion_tokens,
                    duration_ms=duration_ms,
                    ttft_ms=ttft_ms,
                    error=_short_error(error),
                )
            )

    def mark_interrupted(self) -> int:
        """Close rows left ``running`` by processes on this host that no longer exist."""
        host = socket.gethostname()
        dead: list[str] = []
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(generations.c.id, generations.c.worker).where(generations.c.status == "running")
            )
            for gen_id, worker in rows:
                w_host, _, pid = (worker or "").rpartition(":")
                if w_host == host and pid.isdigit() and not _pid_alive(int(pid)):
                    dead.append(gen_id)
        if dead:
            with self.engine.begin() as conn:
                conn.execute(
                    generations.update()
                    .where(generations.c.id.in_(dead))
                    .values(
                        status="interrupted", error="the process running this generation ended", finished_at=time.time()
                    )
                )
        return len(dead)

    # -- reading ---------------------------------------------------------------
    @staticmethod
    def _row(row: sa.Row) -> dict[str, Any]:
        d = dict(row._mapping)
        d["created_at"] = _iso(d["created_at"])
        d["finished_at"] = _iso(d["finished_at"])
        return d

    def _query(self, *, model=None, status=None, interface=None, caller=None, since=None):
        q = sa.select(generations).order_by(generations.c.created_at.desc(), generations.c.id.desc())
        if model:
            q = q.where(generations.c.model == model)
        if status:
            q = q.where(generations.c.status == status)
        if interface:
            q = q.where(generations.c.interface == interface)
        if caller:
            q = q.where(generations.c.caller == caller)
        if since is not None:
            q = q.where(generations.c.created_at >= since)
        return q

    def list(self, limit: int = 20, **filters: Any) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [self._row(r) for r in conn.execute(self._query(**filters).limit(limit))]

    def get(self, gen_id: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(generations).where(generations.c.id == gen_id)).first()
        if row is None:
            raise InvalidRequest(f"No generation with id '{gen_id}'. List ids with 'zaowu logs list'.", param="id")
        return self._row(row)

    def recent_ids(self, modalities: Sequence[str], limit: int) -> Sequence[tuple[str, str | None]]:
        """(id, key id) of the newest ``limit`` generations of ``modalities`` (verify checks a watermark
        against them)."""
        q = (
            sa.select(generations.c.id, generations.c.key_id)
            .where(generations.c.modality.in_(list(modalities)))
            .order_by(generations.c.created_at.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [(row.id, row.key_id) for row in conn.execute(q)]

    def iter_all(self, **filters: Any) -> Iterator[dict[str, Any]]:
        with self.engine.connect() as conn:
            for row in conn.execution_options(stream_results=True).execute(self._query(**filters)):
                yield self._row(row)

    def prune(self, retention_days: float | None, now: float | None = None) -> int:
        """Delete finished rows older than ``retention_days`` (None: keep all); returns how many. The
        settings refuse a retention under MIN_LOG_RETENTION_DAYS unless the operator overrides it."""
        if retention_days is None:
            return 0
        cutoff = (now or time.time()) - retention_days * 86400
        with self.engine.begin() as conn:
            q = generations.delete().where(generations.c.created_at < cutoff, generations.c.status != "running")
            return int(conn.execute(q).rowcount or 0)

    def export_json(self, fp, **filters: Any) -> int:
        """Write the rows as one JSON array (streamed row by row); return the count."""
        n = 0
        fp.write("[")
        for row in self.iter_all(**filters):
            fp.write(",\n" if n else "\n")
            fp.write(json.dumps(row, ensure_ascii=False))
            n += 1
        fp.write("\n]\n" if n else "]\n")
        return n
