"""Knowledge bases: uploaded files, vector stores holding them, ingest (parse → chunk → embed → index)
and hybrid retrieval (full-text over segmented words, and cosine over the multilingual embeddings, fused by
reciprocal rank), with filters over each file's attributes. SQLite: FTS5 and numpy over the stored vectors;
PostgreSQL: a tsvector and pgvector (search.py).

Files and stores belong to the key that made them; another key gets NotFound, as if they did not exist.
A store keys its files by name: adding a file whose name the store already holds replaces that file's
chunks and nothing else; removing a file removes its chunks."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa

from ...errors import InvalidRequest, NotFound
from ...types import Caller, EmbeddingRequest
from ..db import kb_chunks, kb_files, kb_store_files, kb_stores
from ..genlog import new_id
from ..jobs import JobCancelled
from ..keys import OWNER, Principal
from . import search as pg
from . import segment
from .parse import DocumentError, Limits, chunk
from .segment import context

if TYPE_CHECKING:
    from ..engine import Studio

log = logging.getLogger(__name__)

PURPOSES = ("assistants", "user_data")
EMBED_BATCH = 256  # chunks embedded in one call (one generation record each; the model packs its own micro-batches)
QUERY_CACHE = 512  # query embeddings kept (most recently used): a repeated question is not embedded again
RRF_K = 60  # reciprocal rank fusion constant (Cormack et al.)
CANDIDATES = 50  # results taken from each retriever before fusing
MAX_RESULTS = 50  # most results one search returns
MAX_QUERY_CHARS = 2000
MAX_STORES_PER_SEARCH = 16
MAX_SHARE_TERMS = 32  # query terms whose share of chunks is looked up for the relevance check
FILTER_OPS = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a is not None and a > b,
    "gte": lambda a, b: a is not None and a >= b,
    "lt": lambda a, b: a is not None and a < b,
    "lte": lambda a, b: a is not None and a <= b,
    "in": lambda a, b: a in b,
    "nin": lambda a, b: a not in b,
}


# a query's embedding runs here while the search's thread asks the full-text index (numpy and SQLite release the GIL)
_QUERY_THREADS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="kb-query")
_FTS_DELETE = sa.text("DELETE FROM kb_chunks_fts WHERE rowid IN :ids").bindparams(sa.bindparam("ids", expanding=True))
_FTS_INSERT = sa.text("INSERT INTO kb_chunks_fts (rowid, tokens) VALUES (:id, :tokens)")
# CROSS JOIN keeps the full-text index as the outer loop: SQLite would otherwise scan the store's chunks and
# test MATCH on each (seconds at 10k chunks for a common word).
_FTS_RANKED = sa.text(
    "SELECT c.id, c.store_id, c.file_id FROM kb_chunks_fts f CROSS JOIN kb_chunks c ON c.id = f.rowid "
    "WHERE kb_chunks_fts MATCH :match AND c.store_id IN :stores ORDER BY bm25(kb_chunks_fts) LIMIT :limit"
).bindparams(sa.bindparam("stores", expanding=True))
_FTS_COUNT = sa.text(
    "SELECT count(*) FROM kb_chunks_fts f CROSS JOIN kb_chunks c ON c.id = f.rowid "
    "WHERE kb_chunks_fts MATCH :match AND c.store_id IN :stores"
).bindparams(sa.bindparam("stores", expanding=True))
# what a hit needs of its chunk (not the vector)
_HIT_COLUMNS = [
    kb_chunks.c.id,
    kb_chunks.c.store_id,
    kb_chunks.c.file_id,
    kb_chunks.c.text,
    kb_chunks.c.page,
    kb_chunks.c.sheet,
    kb_chunks.c.heading_path,
    kb_chunks.c.start,
    kb_chunks.c.end,
]


@dataclass
class Hit:
    chunk_id: int
    store_id: str
    file_id: str
    filename: str
    score: float
    text: str
    page: int | None
    sheet: str | None
    heading_path: list[str]
    start: int
    end: int
    attributes: dict[str, Any]
    similarity: float = 0.0  # cosine between the query's and the chunk's embeddings (-1 to 1)


MAX_FILTER_DEPTH = 4  # nested and/or levels in one filter


def check_filters(flt: Any, depth: int = 0) -> None:
    """Refuse a malformed filter before searching (an empty store would otherwise hide the mistake)."""
    if not isinstance(flt, dict):
        raise InvalidRequest("Each filter is an object with 'type'.", param="filters")
    kind = flt.get("type")
    if kind in ("and", "or"):
        parts = flt.get("filters")
        if depth >= MAX_FILTER_DEPTH or not isinstance(parts, list) or not 1 <= len(parts) <= 32:
            raise InvalidRequest(
                f"'{kind}' takes 'filters': a list of 1 to 32 filters, nested at most {MAX_FILTER_DEPTH} deep.",
                param="filters",
            )
        for part in parts:
            check_filters(part, depth + 1)
        return
    if kind not in FILTER_OPS:
        raise InvalidRequest(
            f"Unknown filter type '{kind}'; use one of {', '.join([*FILTER_OPS, 'and', 'or'])}.", param="filters"
        )
    if not isinstance(flt.get("key"), str) or "value" not in flt:
        raise InvalidRequest(f"A '{kind}' filter needs 'key' (a string) and 'value'.", param="filters")


def _matches(flt: dict[str, Any], attrs: dict[str, Any]) -> bool:
    kind = flt.get("type")
    if kind in ("and", "or"):
        results = [_matches(f, attrs) for f in flt.get("filters") or []]
        return all(results) if kind == "and" else any(results)
    try:
        return bool(FILTER_OPS[kind](attrs.get(flt.get("key", "")), flt.get("value")))
    except TypeError:
        return False  # comparing a number with a string: not a match


class KnowledgeBase:
    """Files, vector stores, ingest and search, over the studio's database and embeddings."""

    def __init__(self, studio: Studio):
        self.studio = studio
        self.db = studio.db
        self.folder = studio.settings.data_dir / "knowledge" / "files"
        self.folder.mkdir(parents=True, exist_ok=True)
        self._vectors: dict[str, tuple[tuple[int, int], np.ndarray, tuple[list[str], np.ndarray], np.ndarray]] = {}
        self._lock = threading.Lock()
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()  # query text → unit vector (QUERY_CACHE)
        self.fts = self.db.dialect.name == "sqlite"  # FTS5 table and in-process vectors
        self.postgres = self.db.dialect.name == "postgresql"  # tsvector and pgvector columns (search.py)

    @property
    def limits(self) -> Limits:
        s = self.studio.settings
        return Limits(max_pages=s.kb_max_pages, max_chunks=s.kb_max_chunks_per_file, chunk_chars=s.kb_chunk_chars)

    # -- files -------------------------------------------------------------------
    def add_file(self, data: bytes, filename: str, *, purpose: str = "assistants", who: Caller | None = None) -> dict:
        """Keep an uploaded file (not yet in any store). Its bytes are never served back as content."""
        if purpose not in PURPOSES:
            raise InvalidRequest(f"purpose must be one of {', '.join(PURPOSES)}.", param="purpose")
        name = PurePath(filename.replace("\\", "/")).name.strip()
        if not name or len(name) > 255:
            raise InvalidRequest("The file needs a name of 1 to 255 characters.", param="file")
        limit = self.studio.settings.kb_max_file_bytes
        if len(data) > limit:
            raise InvalidRequest(
                f"The file is {len(data)} bytes; the limit is kb_max_file_bytes={limit}.", param="file"
            )
        row = {
            "id": new_id("file"),
            "filename": name,
            "purpose": purpose,
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "created_at": time.time(),
            "key_id": who.key_id if who else None,
        }
        (self.folder / row["id"]).write_bytes(data)
        with self.db.begin() as conn:
            conn.execute(kb_files.insert().values(**row))
        return row

    def file(self, file_id: str, viewer: Principal = OWNER) -> dict:
        with self.db.connect() as conn:
            row = conn.execute(sa.select(kb_files).where(kb_files.c.id == file_id)).mappings().first()
        if row is None or not viewer.can_see(row["key_id"]):
            raise NotFound(f"No file '{file_id}'.", param="file_id")
        return dict(row)

    def files(self, viewer: Principal = OWNER, limit: int = 10_000) -> list[dict]:
        query = sa.select(kb_files).order_by(kb_files.c.created_at.desc()).limit(limit)
        if not (viewer.anonymous or viewer.is_admin):
            query = query.where(kb_files.c.key_id == viewer.key_id)
        with self.db.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def delete_file(self, file_id: str, viewer: Principal = OWNER) -> None:
        """Remove the file, and its chunks from every store."""
        self.file(file_id, viewer)
        with self.db.begin() as conn:
            stores = list(conn.scalars(sa.select(kb_store_files.c.store_id).where(kb_store_files.c.file_id == file_id)))
            for store_id in stores:
                self._drop_chunks(conn, store_id, file_id)
            conn.execute(kb_store_files.delete().where(kb_store_files.c.file_id == file_id))
            conn.execute(kb_files.delete().where(kb_files.c.id == file_id))
        (self.folder / file_id).unlink(missing_ok=True)

    # -- stores ------------------------------------------------------------------
    def create_store(self, name: str | None = None, metadata: dict | None = None, who: Caller | None = None) -> dict:
        if name is not None and len(name) > 255:
            raise InvalidRequest("name is at most 255 characters.", param="name")
        row = {
            "id": new_id("vs"),
            "name": name,
            "metadata": metadata or {},
            "created_at": time.time(),
            "last_active_at": time.time(),
            "key_id": who.key_id if who else None,
        }
        with self.db.begin() as conn:
            conn.execute(kb_stores.insert().values(**row))
        return row

    def store(self, store_id: str, viewer: Principal = OWNER) -> dict:
        with self.db.connect() as conn:
            row = conn.execute(sa.select(kb_stores).where(kb_stores.c.id == store_id)).mappings().first()
        if row is None or not viewer.can_see(row["key_id"]):
            raise NotFound(f"No vector store '{store_id}'.", param="vector_store_id")
        return dict(row)

    def stores(self, viewer: Principal = OWNER) -> list[dict]:
        query = sa.select(kb_stores).order_by(kb_stores.c.created_at.desc())
        if not (viewer.anonymous or viewer.is_admin):
            query = query.where(kb_stores.c.key_id == viewer.key_id)
        with self.db.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def delete_store(self, store_id: str, viewer: Principal = OWNER) -> None:
        self.store(store_id, viewer)
        with self.db.begin() as conn:
            for file_id in list(
                conn.scalars(sa.select(kb_store_files.c.file_id).where(kb_store_files.c.store_id == store_id))
            ):
                self._drop_chunks(conn, store_id, file_id)
            conn.execute(kb_store_files.delete().where(kb_store_files.c.store_id == store_id))
            conn.execute(kb_stores.delete().where(kb_stores.c.id == store_id))
        self._vectors.pop(store_id, None)

    def store_files(self, store_id: str, viewer: Principal = OWNER, status: str | None = None) -> list[dict]:
        self.store(store_id, viewer)
        query = sa.select(kb_store_files).where(kb_store_files.c.store_id == store_id)
        if status:
            query = query.where(kb_store_files.c.status == status)
        with self.db.connect() as conn:
            return [dict(r) for r in conn.execute(query.order_by(kb_store_files.c.created_at)).mappings()]

    def store_file(self, store_id: str, file_id: str, viewer: Principal = OWNER) -> dict:
        self.store(store_id, viewer)
        with self.db.connect() as conn:
            row = (
                conn.execute(
                    sa.select(kb_store_files).where(
                        kb_store_files.c.store_id == store_id, kb_store_files.c.file_id == file_id
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            raise NotFound(f"The vector store '{store_id}' holds no file '{file_id}'.", param="file_id")
        return dict(row)

    def remove_from_store(self, store_id: str, file_id: str, viewer: Principal = OWNER) -> None:
        self.store_file(store_id, file_id, viewer)
        with self.db.begin() as conn:
            self._drop_chunks(conn, store_id, file_id)
            conn.execute(
                kb_store_files.delete().where(
                    kb_store_files.c.store_id == store_id, kb_store_files.c.file_id == file_id
                )
            )

    def counts(self, store_id: str) -> dict[str, int]:
        with self.db.connect() as conn:
            rows = conn.execute(
                sa.select(kb_store_files.c.status, sa.func.count(), sa.func.sum(kb_store_files.c.usage_bytes))
                .where(kb_store_files.c.store_id == store_id)
                .group_by(kb_store_files.c.status)
            ).all()
        counts = {"in_progress": 0, "completed": 0, "failed": 0, "cancelled": 0, "total": 0, "usage_bytes": 0}
        for status, n, used in rows:
            counts[status] = counts.get(status, 0) + n
            counts["total"] += n
            counts["usage_bytes"] += int(used or 0)
        return counts

    # -- adding files to a store ------------------------------------------------------
    def attach(
        self,
        store_id: str,
        file_ids: list[str],
        *,
        attributes: dict[str, Any] | None = None,
        viewer: Principal = OWNER,
        batch_id: str | None = None,
    ) -> list[dict]:
        """Mark files as being added to a store (status in_progress); ``ingest`` then reads them."""
        self.store(store_id, viewer)
        if not file_ids:
            raise InvalidRequest("Name at least one file.", param="file_ids")
        _check_attributes(attributes)
        files = [self.file(f, viewer) for f in dict.fromkeys(file_ids)]
        now = time.time()
        with self.db.begin() as conn:
            for f in files:
                conn.execute(
                    kb_store_files.delete().where(
                        kb_store_files.c.store_id == store_id, kb_store_files.c.file_id == f["id"]
                    )
                )
                conn.execute(
                    kb_store_files.insert().values(
                        store_id=store_id,
                        file_id=f["id"],
                        filename=f["filename"],
                        sha256=f["sha256"],
                        status="in_progress",
                        attributes=attributes or {},
                        chunks=0,
                        pages=0,
                        usage_bytes=0,
                        batch_id=batch_id,
                        created_at=now,
                    )
                )
        return [self.store_file(store_id, f["id"], viewer) for f in files]

    def chunks(self, store_id: str, file_id: str, viewer: Principal = OWNER, limit: int = 100) -> list[dict]:
        """The file's first ``limit`` chunks in the store, in order: text, page, sheet, heading path, offsets."""
        self.store(store_id, viewer)
        query = (
            sa.select(
                kb_chunks.c.text,
                kb_chunks.c.page,
                kb_chunks.c.sheet,
                kb_chunks.c.heading_path,
                kb_chunks.c.start,
                kb_chunks.c.end,
            )
            .where(kb_chunks.c.store_id == store_id, kb_chunks.c.file_id == file_id)
            .order_by(kb_chunks.c.ord)
            .limit(limit)
        )
        with self.db.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def set_batch(self, store_id: str, file_ids: list[str], batch_id: str) -> None:
        """Record the ingest job (the file batch) that adds these files."""
        with self.db.begin() as conn:
            conn.execute(
                kb_store_files.update()
                .where(kb_store_files.c.store_id == store_id, kb_store_files.c.file_id.in_(file_ids))
                .values(batch_id=batch_id)
            )

    def ingest(
        self,
        store_id: str,
        file_ids: list[str],
        *,
        who: Caller | None = None,
        progress: Callable[[float, str], None] | None = None,
    ) -> dict[str, Any]:
        """Parse, chunk, embed and index each file; a file that fails is marked failed with its reason and
        the others go on. Returns per-file outcomes."""
        outcomes: dict[str, Any] = {}
        try:
            for i, file_id in enumerate(file_ids):
                if progress:
                    progress(i / max(1, len(file_ids)), f"file {i + 1} of {len(file_ids)}")
                outcomes[file_id] = self._ingest_one(store_id, file_id, who)
        except JobCancelled:
            for file_id in file_ids:
                if file_id not in outcomes:
                    self._finish(store_id, file_id, "cancelled")
            raise
        if progress:
            progress(1.0, "done")
        return {"files": outcomes}

    def _ingest_one(self, store_id: str, file_id: str, who: Caller | None) -> dict[str, Any]:
        try:
            f = self.file(file_id)
            data = (self.folder / file_id).read_bytes()
            chunks, pages = chunk(f["filename"], data, self.limits)
            vectors = self._embed([context(c.heading_path, c.text) for c in chunks], who)
        except DocumentError as exc:
            self._finish(store_id, file_id, "failed", error=(exc.code, exc.message))
            return {"status": "failed", "code": exc.code, "error": exc.message}
        except FileNotFoundError:
            self._finish(store_id, file_id, "failed", error=("invalid_file", "The file was deleted."))
            return {"status": "failed", "code": "invalid_file", "error": "The file was deleted."}
        with self.db.begin() as conn:
            # a file of the same name already in the store is replaced by this one
            stale = list(
                conn.scalars(
                    sa.select(kb_store_files.c.file_id).where(
                        kb_store_files.c.store_id == store_id,
                        kb_store_files.c.filename == f["filename"],
                        kb_store_files.c.file_id != file_id,
                    )
                )
            )
            for old in [*stale, file_id]:
                self._drop_chunks(conn, store_id, old)
            if stale:
                conn.execute(
                    kb_store_files.delete().where(
                        kb_store_files.c.store_id == store_id, kb_store_files.c.file_id.in_(stale)
                    )
                )
            self._insert_chunks(conn, store_id, file_id, chunks, vectors)
            used = sum(len(c.text.encode()) for c in chunks)
            self._finish(store_id, file_id, "completed", chunks=len(chunks), pages=pages, usage=used, conn=conn)
        return {"status": "completed", "chunks": len(chunks), "pages": pages}

    def _insert_chunks(self, conn, store_id: str, file_id: str, chunks: list, vectors: list[np.ndarray]) -> None:
        """All of a file's chunks in one statement (executemany), then their full-text rows likewise."""
        if not chunks:
            return
        rows = [
            {
                "store_id": store_id,
                "file_id": file_id,
                "ord": n,
                "text": c.text,
                "page": c.page,
                "sheet": c.sheet,
                "heading_path": c.heading_path,
                "start": c.start,
                "end": c.end,
                "vector": np.asarray(vector, dtype=np.float32).tobytes(),
            }
            for n, (c, vector) in enumerate(zip(chunks, vectors, strict=True))
        ]
        conn.execute(kb_chunks.insert(), rows)
        if not (self.fts or self.postgres):
            return
        ids = conn.execute(
            sa.select(kb_chunks.c.id)
            .where(kb_chunks.c.store_id == store_id, kb_chunks.c.file_id == file_id)
            .order_by(kb_chunks.c.ord)
        ).scalars()
        words = [segment.words(context(c.heading_path, c.text)) for c in chunks]
        if self.postgres:  # tsvector and pgvector columns of each row (search.py)
            for chunk_id, chunk_words, vector in zip(ids, words, vectors, strict=True):
                pg.index_chunk(conn, chunk_id, chunk_words, vector)
            return
        conn.execute(_FTS_INSERT, [{"id": i, "tokens": " ".join(w)} for i, w in zip(ids, words, strict=True)])

    def _finish(self, store_id, file_id, status, *, error=None, chunks=0, pages=0, usage=0, conn=None) -> None:
        values = {
            "status": status,
            "error_code": error[0] if error else None,
            "error": error[1] if error else None,
            "chunks": chunks,
            "pages": pages,
            "usage_bytes": usage,
        }
        statement = (
            kb_store_files.update()
            .where(kb_store_files.c.store_id == store_id, kb_store_files.c.file_id == file_id)
            .values(**values)
        )
        if conn is not None:
            conn.execute(statement)
        else:
            with self.db.begin() as c:
                c.execute(statement)

    def _drop_chunks(self, conn, store_id: str, file_id: str) -> None:
        where = (kb_chunks.c.store_id == store_id, kb_chunks.c.file_id == file_id)
        if self.fts:
            ids = list(conn.scalars(sa.select(kb_chunks.c.id).where(*where)))
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500]
                conn.execute(_FTS_DELETE, {"ids": part})
        conn.execute(kb_chunks.delete().where(*where))

    def _query_vector(self, query: str, who: Caller | None) -> np.ndarray:
        """The query's unit vector, from the cache of recent queries (``QUERY_CACHE``) or embedded now."""
        key = f"{self.studio.settings.default_embedding_model}\n{query}"
        with self._lock:
            cached = self._queries.get(key)
            if cached is not None:
                self._queries.move_to_end(key)
                return cached
        vector = self._embed([query], who)[0]
        vector.setflags(write=False)
        with self._lock:
            self._queries[key] = vector
            while len(self._queries) > QUERY_CACHE:
                self._queries.popitem(last=False)
        return vector

    def _embed(self, texts: list[str], who: Caller | None) -> list[np.ndarray]:
        out: list[np.ndarray] = []
        for start in range(0, len(texts), EMBED_BATCH):
            request = EmbeddingRequest(input=texts[start : start + EMBED_BATCH])
            result = self.studio.embed(request, who=who or Caller(interface="python", name="knowledge"))
            matrix = np.asarray(result.vectors, dtype=np.float32)
            matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)
            out.extend(matrix)
        return out

    # -- answers -----------------------------------------------------------------
    @property
    def assistants(self):
        """Customer-service assistants over these stores (assistants.py)."""
        from .assistants import Assistants

        return Assistants(self)

    def answer(self, request, store_ids: list[str], *, viewer: Principal = OWNER, who: Caller | None = None):
        """A chat answer from the stores with citations, or a refusal when they hold nothing relevant
        (see answer.py): (TextResult, {"citations", "refused", "markers_added"})."""
        from .answer import answer

        return answer(self, request, store_ids, viewer=viewer, who=who)

    # -- search ------------------------------------------------------------------
    def search(
        self,
        store_ids: Iterable[str],
        query: str,
        *,
        max_results: int = 10,
        filters: dict[str, Any] | None = None,
        viewer: Principal = OWNER,
        who: Caller | None = None,
    ) -> list[Hit]:
        """The chunks best matching ``query`` in the stores, by reciprocal-rank fusion of full-text and
        vector ranks; ``filters`` (OpenAI's comparison/compound filters) select files by attribute."""
        store_ids = list(dict.fromkeys(store_ids))
        if not store_ids or len(store_ids) > MAX_STORES_PER_SEARCH:
            raise InvalidRequest(f"Search 1 to {MAX_STORES_PER_SEARCH} vector stores.", param="vector_store_ids")
        if not query.strip() or len(query) > MAX_QUERY_CHARS:
            raise InvalidRequest(f"query needs 1 to {MAX_QUERY_CHARS} characters.", param="query")
        if not 1 <= max_results <= MAX_RESULTS:
            raise InvalidRequest(f"max_num_results must be between 1 and {MAX_RESULTS}.", param="max_num_results")
        if filters is not None:
            check_filters(filters)
        for store_id in store_ids:
            self.store(store_id, viewer)
        files = self._searchable_files(store_ids, filters)
        if not files:
            return []
        ranks: dict[int, float] = {}
        pending = _QUERY_THREADS.submit(self._query_vector, query, who)  # embedded while the full-text index answers
        text_ranks = self._text_ranks(store_ids, query, files)
        similarity: dict[int, float] = {}
        vector_ranks = self._vector_ranks(store_ids, pending.result(), files, similarity)
        for ranking in (vector_ranks, text_ranks):
            for rank, chunk_id in enumerate(ranking[:CANDIDATES]):
                ranks[chunk_id] = ranks.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
        best = sorted(ranks, key=lambda c: -ranks[c])[:max_results]
        with self.db.connect() as conn:
            rows = {
                r["id"]: r for r in conn.execute(sa.select(*_HIT_COLUMNS).where(kb_chunks.c.id.in_(best))).mappings()
            }
        top = 2.0 / (RRF_K + 1)  # first in both rankings
        return [
            Hit(
                chunk_id=c,
                store_id=rows[c]["store_id"],
                file_id=rows[c]["file_id"],
                filename=files[(rows[c]["store_id"], rows[c]["file_id"])]["filename"],
                score=round(ranks[c] / top, 4),
                text=rows[c]["text"],
                page=rows[c]["page"],
                sheet=rows[c]["sheet"],
                heading_path=list(rows[c]["heading_path"] or []),
                start=rows[c]["start"],
                end=rows[c]["end"],
                attributes=dict(files[(rows[c]["store_id"], rows[c]["file_id"])]["attributes"] or {}),
                similarity=round(similarity.get(c, 0.0), 4),
            )
            for c in best
            if c in rows
        ]

    def _searchable_files(self, store_ids: list[str], filters: dict[str, Any] | None) -> dict[tuple[str, str], dict]:
        with self.db.connect() as conn:
            rows = conn.execute(
                sa.select(kb_store_files).where(
                    kb_store_files.c.store_id.in_(store_ids), kb_store_files.c.status == "completed"
                )
            ).mappings()
            files = {(r["store_id"], r["file_id"]): dict(r) for r in rows}
        if filters:
            files = {
                k: f
                for k, f in files.items()
                if _matches(filters, {"filename": f["filename"], **(f["attributes"] or {})})
            }
        return files

    def _store_vectors(self, store_id: str) -> tuple[np.ndarray, tuple[list[str], np.ndarray], np.ndarray]:
        """(chunk ids, (distinct file ids, each chunk's index into them), unit vectors) of a store, cached
        until its chunks change."""
        with self.db.connect() as conn:
            version = tuple(
                conn.execute(
                    sa.select(sa.func.count(), sa.func.coalesce(sa.func.max(kb_chunks.c.id), 0)).where(
                        kb_chunks.c.store_id == store_id
                    )
                ).one()
            )
            cached = self._vectors.get(store_id)
            if cached and cached[0] == version:
                return cached[1], cached[2], cached[3]
            rows = conn.execute(
                sa.select(kb_chunks.c.id, kb_chunks.c.file_id, kb_chunks.c.vector).where(
                    kb_chunks.c.store_id == store_id
                )
            ).all()
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        names, codes = np.unique(np.array([r[1] for r in rows], dtype=object), return_inverse=True)
        file_ids = (list(names), codes)
        dims = len(rows[0][2]) // 4 if rows else 0
        matrix = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.float32).reshape(len(rows), dims)
        with self._lock:
            self._vectors[store_id] = (version, ids, file_ids, matrix)  # type: ignore[assignment]
        return ids, file_ids, matrix

    def _vector_ranks(self, store_ids: list[str], q: np.ndarray, files: dict, similarity: dict) -> list[int]:
        """Chunk ids by cosine to ``q``, best first; fills ``similarity`` (chunk id → cosine)."""
        if self.postgres:
            with self.db.connect() as conn:
                rows = pg.vector_ranks(conn, store_ids, sorted({f for _, f in files}), q, CANDIDATES)
            kept = [(c, sim) for c, store, file, sim in rows if (store, file) in files]
            similarity.update(kept)
            return [c for c, _ in kept]
        scored: list[tuple[float, int]] = []
        for store_id in store_ids:
            ids, file_ids, matrix = self._store_vectors(store_id)
            if not len(ids):
                continue
            # file_ids holds each chunk's file as an index into the store's distinct files
            names, codes = file_ids
            sims = matrix @ q
            allowed = np.fromiter(((store_id, f) in files for f in names), dtype=bool, count=len(names))
            if not allowed.all():  # filtered out, or not completed: never ranked
                sims[~allowed[codes]] = -np.inf
            count = min(CANDIDATES, len(sims))
            top = np.argpartition(-sims, count - 1)[:count]
            top = top[np.argsort(-sims[top])]
            scored.extend((float(sims[i]), int(ids[i])) for i in top if np.isfinite(sims[i]))
        similarity.update((c, sim) for sim, c in scored)
        return [c for _, c in sorted(scored, reverse=True)]

    def term_shares(self, store_ids: list[str], terms: Iterable[str]) -> dict[str, float]:
        """The share of the stores' chunks that hold each term (0 to 1), from the full-text index (FTS5 on
        SQLite, the tsvector column on PostgreSQL); empty where there is none, so that every shared word counts."""
        terms = list(dict.fromkeys(terms))[:MAX_SHARE_TERMS]
        if not (self.fts or self.postgres) or not terms or not store_ids:
            return {}
        with self.db.connect() as conn:
            total = conn.scalar(sa.select(sa.func.count()).where(kb_chunks.c.store_id.in_(store_ids))) or 0
            if not total:
                return {}
            if self.postgres:
                return {t: (pg.term_count(conn, store_ids, t) or 0) / total for t in terms}
            return {
                t: (conn.scalar(_FTS_COUNT, {"match": '"' + t.replace('"', '""') + '"', "stores": store_ids}) or 0)
                / total
                for t in terms
            }

    def _text_ranks(self, store_ids: list[str], query: str, files: dict) -> list[int]:
        terms = segment.query_terms(query)
        if not terms:
            return []
        if self.postgres:
            with self.db.connect() as conn:
                rows = pg.text_ranks(conn, store_ids, terms, CANDIDATES * 4)
            return [c for c, store, file in rows if (store, file) in files]
        if not self.fts:
            return []
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        with self.db.connect() as conn:
            rows = conn.execute(_FTS_RANKED, {"match": match, "stores": store_ids, "limit": CANDIDATES * 4}).all()
        return [r[0] for r in rows if (r[1], r[2]) in files]


def _check_attributes(attributes: dict[str, Any] | None) -> None:
    if not attributes:
        return
    if len(attributes) > 16:
        raise InvalidRequest("attributes holds at most 16 keys.", param="attributes")
    for key, value in attributes.items():
        if len(key) > 64 or not isinstance(value, str | int | float | bool) or len(str(value)) > 512:
            raise InvalidRequest(
                f"Attribute '{key[:64]}': keys up to 64 characters, values a string (≤ 512), number or boolean.",
                param="attributes",
            )


def stored_path(kb: KnowledgeBase, file_id: str) -> Path:
    return kb.folder / file_id
