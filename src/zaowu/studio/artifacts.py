"""The artifact store: every generated file, content-addressed.

Files live at ``DATA_DIR/artifacts/<sha[:2]>/<sha>`` and are written atomically
(temporary file in the same folder, fsync, rename): a crash never leaves a
partial file under a final name. Each ``put`` adds a metadata row (its own id,
mime type, size, producing job and generation, caller) in ``artifacts``; rows
with the same content share one file. Retention: rows may carry an
``expires_at``; ``prune()`` deletes expired rows and files no row refers to.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..errors import NotFound
from .db import artifacts
from .genlog import new_id

__all__ = ["ArtifactStore"]


class ArtifactStore:
    def __init__(self, engine: Engine, root: Path, retention_days: float | None = None):
        self.engine = engine
        self.root = root
        self.retention_days = retention_days

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def _write(self, data: bytes, sha256: str) -> Path:
        final = self.path_for(sha256)
        if final.is_file() and final.stat().st_size == len(data):
            return final  # same content already stored
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=final.parent)
        try:
            with os.fdopen(fd, "wb") as fp:
                fp.write(data)
                fp.flush()
                os.fsync(fp.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, final)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return final

    def put(
        self,
        data: bytes,
        mime: str,
        *,
        name: str | None = None,
        job_id: str | None = None,
        generation_id: str | None = None,
        caller: str | None = None,
        key_id: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        sha = hashlib.sha256(data).hexdigest()
        self._write(data, sha)
        now = time.time()
        row = {
            "id": new_id("art"), "sha256": sha, "mime": mime, "size_bytes": len(data), "name": name,
            "created_at": now, "job_id": job_id, "generation_id": generation_id, "caller": caller,
            "key_id": key_id, "meta": meta or {},
            "expires_at": now + self.retention_days * 86400 if self.retention_days else None,
        }  # fmt: skip
        with self.engine.begin() as conn:
            conn.execute(artifacts.insert().values(**row))
        return row

    def get(self, artifact_id: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(artifacts).where(artifacts.c.id == artifact_id)).first()
        if row is None:
            raise NotFound(f"No artifact with id '{artifact_id}'.", param="id")
        return dict(row._mapping)

    def open_path(self, artifact_id: str) -> tuple[dict[str, Any], Path]:
        row = self.get(artifact_id)
        path = self.path_for(row["sha256"])
        if not path.is_file():
            raise NotFound(f"The file of artifact '{artifact_id}' is missing from {self.root}.", param="id")
        return row, path

    def read(self, artifact_id: str) -> bytes:
        return self.open_path(artifact_id)[1].read_bytes()

    def verify(self, artifact_id: str) -> bool:
        row, path = self.open_path(artifact_id)
        return hashlib.sha256(path.read_bytes()).hexdigest() == row["sha256"]

    def list(self, *, job_id: str | None = None, caller: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        q = sa.select(artifacts).order_by(artifacts.c.created_at.desc()).limit(limit)
        if job_id:
            q = q.where(artifacts.c.job_id == job_id)
        if caller:
            q = q.where(artifacts.c.caller == caller)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def prune(self, now: float | None = None) -> tuple[int, int]:
        """Delete expired rows, then files that no row refers to. Returns (rows, files)."""
        now = now or time.time()
        with self.engine.begin() as conn:
            expired = list(conn.scalars(sa.select(artifacts.c.sha256).where(artifacts.c.expires_at < now)))
            rows = conn.execute(artifacts.delete().where(artifacts.c.expires_at < now)).rowcount
            still = set(conn.scalars(sa.select(artifacts.c.sha256).where(artifacts.c.sha256.in_(set(expired)))))
        files = 0
        for sha in set(expired) - still:
            path = self.path_for(sha)
            if path.is_file():
                path.unlink()
                files += 1
        return rows, files
