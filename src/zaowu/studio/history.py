"""The generation history as one caller may see it: rows of the generation log
filtered by modality, model, status or text, scoped to one API key unless the
caller is an admin or the local owner, each with the artifacts it produced.

Used by the web studio's History page through GET /v1/generations.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..errors import NotFound
from .db import artifacts, generations

__all__ = ["History"]

_ARTIFACT_FIELDS = ("id", "mime", "name", "size_bytes", "created_at", "meta")


class History:
    def __init__(self, engine: Engine, log):
        self.engine = engine
        self.log = log  # the GenerationLog, for its row shape

    def list(
        self,
        *,
        key_id: str | None = None,
        modality: str | None = None,
        model: str | None = None,
        status: str | None = None,
        q: str | None = None,
        before: str | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        """Newest first; ``key_id`` limits to one key's rows; ``before`` pages by id; ``q`` searches inputs."""
        g = generations.c
        query = self.log._query(model=model, status=status)
        if key_id is not None:
            query = query.where(g.key_id == key_id)
        if modality:
            query = query.where(g.modality == modality)
        if before:
            query = query.where(g.id < before)
        if q:
            # case-insensitive on SQLite and PostgreSQL alike; q's own % and _ match themselves
            pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(sa.cast(g.input, sa.Text).ilike(pattern, escape="\\"))
        with self.engine.connect() as conn:
            rows = [self.log._row(r) for r in conn.execute(query.limit(max(1, min(limit, 500))))]
        by_gen = self._artifacts([r["id"] for r in rows])
        for row in rows:
            row["artifacts"] = by_gen.get(row["id"], [])
        return rows

    def get(self, gen_id: str, *, key_id: str | None = None) -> dict[str, Any]:
        row = self.log.get(gen_id)
        if key_id is not None and row["key_id"] != key_id:
            raise NotFound(f"No generation with id '{gen_id}'.", param="id")
        row["artifacts"] = self._artifacts([gen_id]).get(gen_id, [])
        return row

    def _artifacts(self, gen_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        if not gen_ids:
            return {}
        a = artifacts.c
        query = sa.select(artifacts).where(a.generation_id.in_(gen_ids)).order_by(a.created_at)
        out: dict[str, list[dict[str, Any]]] = {}
        with self.engine.connect() as conn:
            for r in conn.execute(query):
                item = {k: r._mapping[k] for k in _ARTIFACT_FIELDS}
                item["url"] = f"/v1/artifacts/{r.id}"
                out.setdefault(r.generation_id, []).append(item)
        return out
