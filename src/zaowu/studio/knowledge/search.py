"""Knowledge-base retrieval on PostgreSQL: full-text over a ``tsvector`` of each chunk's segmented words
(the same jieba words SQLite's FTS5 index gets, parsed by the 'simple' configuration, GIN-indexed) and
exact cosine search over its pgvector ``embedding``. Both give ranked chunk ids that store.py fuses by
reciprocal rank, exactly as it fuses FTS5's and numpy's on SQLite. The columns and index come from the
migration 010_postgres_search (studio/db.py), which also fills them for chunks stored before it."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import segment

log = logging.getLogger(__name__)

# the text search configuration is 'simple' (no stemming nor stop words): the words are segmented and lowercased
# in Python already (segment.py), so PostgreSQL's parser only splits them as FTS5's unicode61 tokenizer does
BACKFILL_BATCH = 500  # chunks read at a time when the migration fills the new columns

_INDEX = sa.text(
    "UPDATE kb_chunks SET tokens = to_tsvector('simple', :tokens), embedding = CAST(:embedding AS vector) "
    "WHERE id = :id"
)


def vector_literal(vector: np.ndarray) -> str:
    """pgvector's text form of a vector: '[0.1,0.2,…]' (float32 values, repr'd exactly)."""
    return "[" + ",".join(repr(float(x)) for x in np.asarray(vector, dtype=np.float32)) + "]"


def index_chunk(conn: Connection, chunk_id: int, words: Sequence[str], vector: np.ndarray) -> None:
    """Fill a stored chunk's ``tokens`` and ``embedding``."""
    conn.execute(_INDEX, {"id": chunk_id, "tokens": " ".join(words), "embedding": vector_literal(vector)})


def vector_ranks(
    conn: Connection, store_ids: list[str], file_ids: list[str], q: np.ndarray, limit: int
) -> list[tuple[int, str, str, float]]:
    """(chunk id, store id, file id, cosine) of the ``limit`` chunks nearest ``q``, best first; only chunks
    whose vector has q's size (an embedding model change leaves older chunks out, as on SQLite)."""
    sql = sa.text(
        "SELECT id, store_id, file_id, 1 - (embedding <=> CAST(:q AS vector)) AS similarity FROM kb_chunks "
        "WHERE store_id IN :stores AND file_id IN :files AND vector_dims(embedding) = :dims "
        "ORDER BY embedding <=> CAST(:q AS vector), id LIMIT :limit"
    ).bindparams(sa.bindparam("stores", expanding=True), sa.bindparam("files", expanding=True))
    params = {"q": vector_literal(q), "stores": store_ids, "files": file_ids, "dims": len(q), "limit": limit}
    return [(r[0], r[1], r[2], float(r[3])) for r in conn.execute(sql, params)]


def text_ranks(conn: Connection, store_ids: list[str], terms: list[str], limit: int) -> list[tuple[int, str, str]]:
    """(chunk id, store id, file id) of chunks holding any of ``terms``, best ``ts_rank`` first. Each term is
    a phrase (a term the parser splits, like 'e-mail', must appear whole), as FTS5's quoted terms are."""
    sql = sa.text(
        "WITH q AS (SELECT CAST(string_agg('(' || CAST(phraseto_tsquery('simple', t) AS text) || ')', ' | ') "
        "AS tsquery) AS query FROM unnest(CAST(:terms AS text[])) AS t "
        "WHERE numnode(phraseto_tsquery('simple', t)) > 0) "
        "SELECT c.id, c.store_id, c.file_id FROM kb_chunks c, q "
        "WHERE c.tokens @@ q.query AND c.store_id IN :stores "
        "ORDER BY ts_rank(c.tokens, q.query, 1) DESC, c.id LIMIT :limit"
    ).bindparams(sa.bindparam("stores", expanding=True))
    params = {"terms": list(terms), "stores": store_ids, "limit": limit}
    return [(r[0], r[1], r[2]) for r in conn.execute(sql, params)]


def backfill_postgres(conn: Connection) -> None:
    """Fill ``tokens`` and ``embedding`` of chunks stored before 010_postgres_search (from their text, heading
    path and stored float32 vector)."""
    done = 0
    while True:
        rows = conn.execute(
            sa.text(
                "SELECT id, text, heading_path, vector FROM kb_chunks WHERE tokens IS NULL AND vector IS NOT NULL "
                "ORDER BY id LIMIT :n"
            ),
            {"n": BACKFILL_BATCH},
        ).all()
        if not rows:
            break
        for chunk_id, text, headings, blob in rows:
            words = segment.words(segment.context(list(headings or []), text))
            index_chunk(conn, chunk_id, words, np.frombuffer(bytes(blob), dtype=np.float32))
        done += len(rows)
    if done:
        log.info("indexed %d knowledge-base chunks for PostgreSQL search", done)


def term_count(conn: Connection, store_ids: Sequence[str], term: str) -> int:
    """How many of the stores' chunks hold ``term`` (a segmented word, matched as a phrase) in ``tokens``."""
    sql = sa.text(
        "SELECT count(*) FROM kb_chunks WHERE store_id IN :stores AND tokens @@ phraseto_tsquery('simple', :term)"
    ).bindparams(sa.bindparam("stores", expanding=True))
    return int(conn.scalar(sql, {"stores": list(store_ids), "term": term}) or 0)
