"""Knowledge answers: how good and how soon, against how many source tokens go in the prompt.

    PYTHONPATH=src:. .venv/bin/python bench/kb_answers.py --models-dir DIR [--context-tokens 300 200 120]
        [--max-tokens 80] [--json out.json]

The tests' mini knowledge base (tests/kb_docs.py: return policy, shipping, specs, opening hours; zh + en) is
ingested; each of its 30 paraphrased questions is answered through the streaming path with the default chat
model, once per ``kb_context_tokens`` value. An answer is right when it states the fact (a pattern per
question below: the number, the yes or no) and cites the file that holds it. Reported per value: right
answers, first-token wall time (p50, p95) and this process's CPU time to the first token, prompt tokens.
The first answer of each run loads nothing (the model is warmed before) but pays the whole prompt; the
instructions are the cached prefix of the next ones.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from pathlib import Path

from tests import kb_docs

from zaowu.settings import Settings
from zaowu.studio.engine import Studio
from zaowu.studio.knowledge import answer
from zaowu.types import Message, TextRequest

FACTS = [  # one per kb_docs.QUESTIONS entry, in order: what a right answer states
    r"30",
    r"\b(no|not|cannot|can't|unable)\b",
    r"5",
    r"发票",
    r"48",
    r"199",
    r"15",
    r"SF|顺丰",
    r"450",
    r"350",
    r"24",
    r"19",
    r"10(:00)?",
    r"\bno\b|closed|not open|7 days|seven days",
    r"400-800-1234",
    r"(two|2)[- ]year",
    r"5",
    r"yes|original packaging|packaging",
    r"不",
    r"48",
    r"10",
    r"15",
    r"Pro|600",
    r"129",
    r"8",
    r"29",
    r"21",
    r"22",
    r"不|闭店|休息|关闭|7天|七天",
    r"两年|2年|二年|两 年",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(
    models_dir: Path,
    context_tokens: int,
    max_tokens: int,
    questions: int = 30,
    threads: int | None = None,
    batch_threads: int | None = None,
    model: str | None = None,
    seed: int | None = 1,
) -> dict:
    tuned: dict = {"n_threads": threads} if threads else {}
    if model:
        tuned["default_chat_model"] = model
    if batch_threads:
        tuned["backend_options"] = {"llamacpp": {"n_threads_batch": batch_threads}}
    with (
        tempfile.TemporaryDirectory() as tmp,
        Studio(
            Settings(data_dir=Path(tmp), models_dir=models_dir, kb_context_tokens=context_tokens, **tuned)
        ) as studio,
    ):
        kb = studio.knowledge
        store = kb.create_store("shop")["id"]
        ids = [kb.add_file(blob, name)["id"] for name, blob in kb_docs.documents().items()]
        kb.attach(store, ids)
        kb.ingest(store, ids)
        for _ in studio.stream(TextRequest(messages=[Message(role="user", content="hi")], max_tokens=1)):
            pass  # the model is loaded before the first question
        rows = []
        for (question, filename, _), fact in list(zip(kb_docs.QUESTIONS, FACTS, strict=True))[:questions]:
            request = TextRequest(messages=[Message(role="user", content=question)], max_tokens=max_tokens, seed=seed)
            wall0, cpu0 = time.perf_counter(), time.process_time()
            prompt, sources, lang = answer.prepare(kb, request, [store])
            first = cpu_first = None
            used = 0
            text = answer.REFUSAL["en"]
            if prompt is not None:
                pieces = []
                for chunk in studio.stream(prompt):
                    if first is None and chunk.text:
                        first, cpu_first = time.perf_counter() - wall0, time.process_time() - cpu0
                    pieces.append(chunk.text)
                    used = chunk.usage.prompt_tokens if chunk.usage else used
                text = "".join(pieces)
            suffix, knowledge = (
                answer.finish(text, sources, question, lang) if prompt is not None else ("", answer.refused())
            )
            text += suffix  # what the asker reads: a repair (marker, quote) included
            cited = {c["filename"] for c in knowledge["citations"]}
            stated = re.search(fact, re.sub(r"\[\d+\]", "", text), re.IGNORECASE) is not None
            rows.append(
                {
                    "question": question,
                    "right": stated and filename in cited,
                    "stated": stated,
                    "cited": filename in cited,
                    "first_token_ms": None if first is None else round(first * 1000),
                    "cpu_first_token_ms": None if cpu_first is None else round(cpu_first * 1000),
                    "prompt_tokens": used,
                    "quoted": bool(knowledge.get("quoted")),
                    "answer": text.strip()[:200],
                }
            )
            print(
                f"  [{context_tokens}] {'ok ' if rows[-1]['right'] else 'BAD'} {rows[-1]['first_token_ms']} ms  "
                f"{question[:40]!r} -> {text.strip()[:80]!r}",
                flush=True,
            )
    firsts = [r["first_token_ms"] for r in rows[1:] if r["first_token_ms"] is not None]
    cpus = [r["cpu_first_token_ms"] for r in rows[1:] if r["cpu_first_token_ms"] is not None]
    return {
        "kb_context_tokens": context_tokens,
        "threads": threads,
        "right": sum(r["right"] for r in rows),
        "stated": sum(r["stated"] for r in rows),
        "cited": sum(r["cited"] for r in rows),
        "questions": len(rows),
        "quoted": sum(r["quoted"] for r in rows),
        "first_token_ms_p50": statistics.median(firsts) if firsts else None,
        "first_token_ms_p95": percentile(firsts, 0.95) if firsts else None,
        "cpu_first_token_ms_p50": statistics.median(cpus) if cpus else None,
        "prompt_tokens_mean": round(statistics.mean(r["prompt_tokens"] for r in rows), 1),
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-dir", type=Path, required=True, help="where the default chat model is")
    parser.add_argument("--context-tokens", type=int, nargs="+", default=[300, 200, 120])
    parser.add_argument("--max-tokens", type=int, default=80)
    parser.add_argument("--questions", type=int, default=30, help="the first N of the 30")
    parser.add_argument("--threads", type=int, help="llama.cpp threads (default: by load, as the server)")
    parser.add_argument("--batch-threads", type=int, help="llama.cpp threads reading the prompt (default: every core)")
    parser.add_argument("--model", help="the answering model (default: the default chat model)")
    parser.add_argument(
        "--no-seed",
        action="store_true",
        help="ask without a seed, as the chat widget does: llama.cpp then reuses the cached prompt start",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = [
        run(
            args.models_dir,
            k,
            args.max_tokens,
            args.questions,
            args.threads,
            args.batch_threads,
            args.model,
            None if args.no_seed else 1,
        )
        for k in args.context_tokens
    ]
    for r in results:
        print(
            f"kb_context_tokens={r['kb_context_tokens']}: {r['right']}/{r['questions']} right "
            f"(fact stated {r['stated']}, right file cited {r['cited']}); first token p50 {r['first_token_ms_p50']} ms, "
            f"p95 {r['first_token_ms_p95']} ms (CPU p50 {r['cpu_first_token_ms_p50']} ms); "
            f"~{r['prompt_tokens_mean']} prompt tokens"
        )
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
