"""What reproducible seeds cost: time to first token of the design planner's request on a warm
llama.cpp server, with its prompt cache (the same prompt evaluated before, or another prompt sharing
the system prompt) versus the whole prompt evaluated afresh (what a seeded request does since issue 13).

    .venv/bin/python bench/seeded.py [--model ID] [--rounds 5] [--threads N]

Interleaved rounds; report the ratios with the machine's load (printed).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from zaowu.backends.llamacpp import default_threads
from zaowu.settings import Settings
from zaowu.studio.design import design_messages
from zaowu.studio.engine import Studio


def ttft_ms(server, messages: list[dict], cache: bool) -> tuple[float, int]:
    body = {"messages": messages, "max_tokens": 1, "seed": 1, "temperature": 0.7, "cache_prompt": cache}
    t = time.perf_counter()
    result = server.handle_chat_completions(body)
    return (time.perf_counter() - t) * 1000, result["usage"]["prompt_tokens"]


def main() -> None:
    import xllamacpp

    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="smollm2-135m-instruct")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None, help="llama.cpp threads (default: zaowu's default)")
    args = ap.parse_args()
    with Studio(Settings()) as studio:
        spec = studio.catalog.spec(args.model)
    p = xllamacpp.CommonParams()
    p.model.path = spec.path
    p.n_parallel = 1
    p.n_ctx = 4096
    p.n_batch = 512
    p.cpuparams.n_threads = p.cpuparams_batch.n_threads = args.threads or default_threads()
    p.warmup = False
    p.verbosity = -1
    server = xllamacpp.Server(p)
    poster = design_messages(
        "A poster for the spring tea sale at Leaf House, 20% off all green tea", "poster", "en", None
    )
    logo = design_messages("A logo for Bean There, a coffee shop", "logo", "en", None)
    rows: dict[str, list[float]] = {"same_prompt_cached": [], "shared_prefix_cached": [], "fresh": []}
    tokens = 0
    load = os.getloadavg()[0]
    for _ in range(args.rounds):
        ttft_ms(server, poster, True)
        rows["same_prompt_cached"].append(ttft_ms(server, poster, True)[0])
        ttft_ms(server, logo, True)
        rows["shared_prefix_cached"].append(ttft_ms(server, poster, True)[0])
        ms, tokens = ttft_ms(server, poster, False)
        rows["fresh"].append(ms)
    med = {k: round(statistics.median(v), 1) for k, v in rows.items()}
    print(
        json.dumps(
            {
                "model": spec.id,
                "threads": p.cpuparams.n_threads,
                "prompt_tokens": tokens,
                "load_1min_before": round(load, 2),
                "load_1min_after": round(os.getloadavg()[0], 2),
                "ttft_ms": med,
                "fresh_minus_same_prompt_ms": round(med["fresh"] - med["same_prompt_cached"], 1),
                "fresh_minus_shared_prefix_ms": round(med["fresh"] - med["shared_prefix_cached"], 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
