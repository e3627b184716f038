"""Knowledge bases: ingest speed and retrieval latency, in one process through the Studio.

    PYTHONPATH=src:. .venv/bin/python bench/kb.py [--pages 100] [--chunks 1000 10000] [--queries 100]
        [--random-vectors] [--models-dir DIR [--answers 4]]

1. Ingest: a PDF of ``--pages`` pages (a few paragraphs each, written by tests/kb_docs.py's PDF writer),
   parsed, chunked, embedded and indexed: pages per second, embeddings included.
2. Retrieval: stores of each ``--chunks`` size (synthetic zh/en paragraphs added as TXT files), then
   ``--queries`` hybrid searches (FTS5 + vectors, fused): p50 and p95 in ms, the first (cold: vectors
   loaded from the database) reported apart; new questions (embedded) and repeated ones (their embedding
   cached) apart; and the process's memory growth for the loaded store. ``--random-vectors`` builds the
   stores with random unit vectors instead of embedding every chunk (minutes at 10k chunks on 2 cores):
   the cost of a search does not depend on the vectors' values, and the query is still embedded.
3. First answer token (``--models-dir`` holding the default chat model): ``--answers`` questions answered
   from a small store (200 paragraphs, embedded for real) through the streaming path, the time to the first token of each; the first pays
   the whole prompt, the next reuse the cached prefix (the instructions).

Every figure is given as wall time and as this process's CPU time: on a shared machine the wall time
mostly measures the other processes.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Self

import numpy as np
from tests import kb_docs

from zaowu.settings import Settings
from zaowu.studio.engine import Studio
from zaowu.studio.knowledge import answer
from zaowu.types import Message, TextRequest

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


class Clock:
    """Wall and CPU (this process, all threads) milliseconds of one block."""

    def __enter__(self) -> Self:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = (time.perf_counter() - self.wall) * 1000
        self.cpu = (time.process_time() - self.cpu) * 1000


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def spread(name: str, clocks: list[Clock]) -> str:
    wall, cpu = [c.wall for c in clocks], [c.cpu for c in clocks]
    return (
        f"{name}: wall p50 {statistics.median(wall):.1f} p95 {pct(wall, 0.95):.1f} ms, "
        f"CPU p50 {statistics.median(cpu):.1f} p95 {pct(cpu, 0.95):.1f} ms"
    )


def random_vectors(kb) -> None:
    """Chunks get random unit vectors (fast to build); single texts (queries) are still embedded."""
    real = kb._embed
    rng = np.random.default_rng(0)

    def embed(texts, who):
        if len(texts) == 1:
            return real(texts, who)
        matrix = rng.standard_normal((len(texts), 512)).astype(np.float32)
        return list(matrix / np.linalg.norm(matrix, axis=1, keepdims=True))

    kb._embed = embed


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
    chunk(kb_docs.pdf([["warm up"]]))  # the PDF reader's import is not the ingest's cost
    kb._embed(["warm up"], None)
    with Clock() as clock:
        outcome = kb.ingest(store, [file_id])["files"][file_id]
    print(
        f"ingest: {pages} PDF pages, {outcome['chunks']} chunks: wall {clock.wall / 1000:.1f} s = "
        f"{pages * 1000 / clock.wall:.1f} pages/s, CPU {clock.cpu / 1000:.1f} s = {pages * 1000 / clock.cpu:.1f} pages/s"
    )


def chunk(doc: bytes) -> None:
    from zaowu.studio.knowledge.parse import Limits
    from zaowu.studio.knowledge.parse import chunk as parse

    parse("warm.pdf", doc, Limits(max_pages=10, max_chunks=1000, chunk_chars=CHUNK_CHARS))


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
    with Clock() as cold:
        kb.search([store], QUERIES[0])
    grown = rss_mb() - before
    new, repeated, embed = [], [], []
    for i in range(queries):
        with Clock() as clock:
            kb.search([store], QUERIES[i % len(QUERIES)] + f" {i}", max_results=5)  # a new question each time
        new.append(clock)
    for i in range(queries):
        with Clock() as clock:
            kb.search([store], QUERIES[i % len(QUERIES)] + f" {i}", max_results=5)  # asked before
        repeated.append(clock)
    for i in range(min(queries, 20)):
        with Clock() as clock:
            kb._embed([QUERIES[i % len(QUERIES)] + f" {i}"], None)
        embed.append(clock)
    print(f"search @ {total} chunks (built in {built:.0f} s): cold wall {cold.wall:.0f} ms, CPU {cold.cpu:.0f} ms")
    print("  " + spread("new questions", new))
    print("  " + spread("repeated questions", repeated))
    print("  " + spread("of which the query's embedding", embed))
    print(f"  memory +{grown:.0f} MB for the loaded store")


def answer_store(studio: Studio) -> str:
    """A small store embedded for real (200 paragraphs), so that the questions find relevant sources."""
    kb = studio.knowledge
    rng = random.Random(7)
    store = kb.create_store("answers")["id"]
    file_id = kb.add_file("\n\n".join(paragraph(rng) for _ in range(200)).encode(), "catalogue.txt")["id"]
    kb.attach(store, [file_id])
    kb.ingest(store, [file_id])
    return store


def bench_answer(studio: Studio, store: str, answers: int) -> None:
    """Time to the first token of answers streamed from the store with the default chat model."""
    kb = studio.knowledge
    warm = studio.stream(TextRequest(messages=[Message(role="user", content="hi")], max_tokens=1))
    for _ in warm:  # the model is loaded before the first question
        pass
    questions = [
        "保温杯的保修期是多久？",
        "How much does the lamp weigh?",
        "背包下单后多久发货？",
        "Can I return a tent?",
    ]
    clocks = []
    for i in range(answers):
        request = TextRequest(messages=[Message(role="user", content=questions[i % len(questions)])], max_tokens=16)
        with Clock() as clock:
            prompt, sources, _ = answer.prepare(kb, request, [store])
            if prompt is not None:
                stream = studio.stream(prompt)
                next(iter(stream), None)
                stream.close()
        clocks.append(clock)
        print(
            f"  answer {i + 1}: {len(sources)} sources, first token: wall {clock.wall:.0f} ms, CPU {clock.cpu:.0f} ms"
        )
    settings = studio.settings
    name = f"first answer token ({settings.default_chat_model}, kb_context_tokens={settings.kb_context_tokens})"
    print(spread(name, clocks[1:] or clocks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--chunks", type=int, nargs="+", default=[1000])
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--random-vectors", action="store_true", help="build the search stores without embedding")
    parser.add_argument("--models-dir", type=Path, help="where the default chat model is, for the first answer token")
    parser.add_argument("--answers", type=int, default=4)
    parser.add_argument("--context-tokens", type=int, help="kb_context_tokens for the answers (default: the setting's)")
    args = parser.parse_args()
    tuned = {"kb_context_tokens": args.context_tokens} if args.context_tokens else {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        Studio(Settings(data_dir=Path(tmp), kb_chunk_chars=CHUNK_CHARS, models_dir=args.models_dir, **tuned)) as studio,
    ):
        print(f"memory at start: {rss_mb():.0f} MB; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        bench_ingest(studio, args.pages)
        answers_from = answer_store(studio) if args.models_dir else None
        if args.random_vectors:
            random_vectors(studio.knowledge)
        for size in args.chunks:
            bench_search(studio, size, args.queries)
        if answers_from:
            bench_answer(studio, answers_from, args.answers)
        print(f"memory at end: {rss_mb():.0f} MB; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
