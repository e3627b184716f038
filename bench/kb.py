"""Knowledge bases: ingest speed and retrieval latency, in one process through the Studio.

    PYTHONPATH=src .venv/bin/python bench/kb.py [--pages 100] [--chunks 1000 10000] [--queries 100]

1. Ingest: a PDF of ``--pages`` pages (a few paragraphs each, written by tests/kb_docs.py's PDF writer),
   parsed, chunked, embedded and indexed: pages per second, embeddings included.
2. Retrieval: stores of each ``--chunks`` size (synthetic zh/en paragraphs added as TXT files), then
   ``--queries`` hybrid searches (FTS5 + vectors, fused): p50 and p95 in ms, the first (cold: vectors
   loaded from the database) reported apart; and the process's memory growth for the loaded store.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from tests import kb_docs

from zaowu.settings import Settings
from zaowu.studio.engine import Studio

PRODUCTS = ["保温杯", "thermos", "backpack", "背包", "lamp", "台灯", "kettle", "电水壶", "tent", "帐篷"]
FACTS = [
    "{p} 型号 {n} 重量 {w} 克，容量 {c} 毫升，保修 {y} 年。",
    "The {p} model {n} weighs {w} g, holds {c} ml and carries a {y}-year warranty.",
    "{p} {n} 下单后 {y} 天内发货，满 {c} 元包邮。",
    "Returns for {p} {n} are accepted within {y} weeks if the packaging is intact; refunds take {w} hours.",
]
CHUNK_CHARS = 120  # small chunks: a store of N chunks holds about N paragraphs
QUERIES = ["保温杯多重", "how long is the warranty on the lamp", "背包多久发货", "can I return a tent", "电水壶容量"]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def paragraph(rng: random.Random) -> str:
    template = rng.choice(FACTS)
    return template.format(
        p=rng.choice(PRODUCTS),
        n=rng.randint(100, 999),
        w=rng.randint(50, 900),
        c=rng.randint(100, 999),
        y=rng.randint(1, 5),
    )


def bench_ingest(studio: Studio, pages: int) -> None:
    rng = random.Random(1)
    doc = kb_docs.pdf(
        [[paragraph(rng).encode("ascii", "ignore").decode() or "x" for _ in range(6)] for _ in range(pages)]
    )
    kb = studio.knowledge
    store = kb.create_store("ingest")["id"]
    file_id = kb.add_file(doc, "bench.pdf")["id"]
    kb.attach(store, [file_id])
    started = time.perf_counter()
    outcome = kb.ingest(store, [file_id])["files"][file_id]
    seconds = time.perf_counter() - started
    print(f"ingest: {pages} PDF pages, {outcome['chunks']} chunks in {seconds:.1f} s = {pages / seconds:.1f} pages/s")


def bench_search(studio: Studio, chunks: int, queries: int) -> None:
    rng = random.Random(chunks)
    kb = studio.knowledge
    store = kb.create_store(f"search-{chunks}")["id"]
    per_file = 200  # paragraphs per file; with chunks of CHUNK_CHARS, about one paragraph a chunk
    ids: list[str] = []
    total = 0
    started = time.perf_counter()
    while total < chunks:  # add files until the store holds the chunks asked for
        text = "\n\n".join(paragraph(rng) for _ in range(per_file))
        file_id = kb.add_file(text.encode(), f"part{len(ids)}.txt")["id"]
        ids.append(file_id)
        kb.attach(store, [file_id])
        total += kb.ingest(store, [file_id])["files"][file_id].get("chunks", 0)
    built = time.perf_counter() - started
    before = rss_mb()
    cold_started = time.perf_counter()
    kb.search([store], QUERIES[0])
    cold = (time.perf_counter() - cold_started) * 1000
    grown = rss_mb() - before
    times = []
    for i in range(queries):
        t0 = time.perf_counter()
        kb.search([store], QUERIES[i % len(QUERIES)] + f" {i % 7}", max_results=5)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    embed = []
    for i in range(min(queries, 20)):
        t0 = time.perf_counter()
        kb._embed([QUERIES[i % len(QUERIES)]], None)
        embed.append((time.perf_counter() - t0) * 1000)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    print(
        f"search @ {total} chunks (built in {built:.0f} s): cold {cold:.0f} ms, "
        f"p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms (of which the query's embedding: "
        f"p50 {statistics.median(embed):.1f} ms); memory +{grown:.0f} MB for the loaded store"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--chunks", type=int, nargs="+", default=[1000])
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        Studio(Settings(data_dir=Path(tmp), kb_chunk_chars=CHUNK_CHARS)) as studio,
    ):
        print(f"memory at start: {rss_mb():.0f} MB")
        bench_ingest(studio, args.pages)
        for size in args.chunks:
            bench_search(studio, size, args.queries)
        print(f"memory at end: {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
