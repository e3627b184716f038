"""Text benchmark: tokens/s and time to first token through zaowu's HTTP API
versus the same model called directly through xllamacpp in-process, in one run,
plus the memory-bandwidth bound for the model (weights bytes / measured bandwidth).

    .venv/bin/python bench/text.py [--model ID] [--rounds 5] [--max-tokens 128] [--threads N] [--busy N]

Run by hand on an otherwise idle machine; figures go in issue notes as ratios, with the load average
printed alongside. ``--busy N`` starts N CPU-burning processes beside the run (a busy machine);
``--threads`` sets llama.cpp's threads for both sides (default: zaowu's load-aware default).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from zaowu.settings import Settings
from zaowu.studio.engine import Studio

PROMPT = [{"role": "user", "content": "Write a short paragraph about the history of tea in China."}]


def bandwidth_gbs(size_mb: int = 1024, repeats: int = 5) -> float:
    """Read bandwidth: a BLAS dot product of two large float32 vectors streams both
    through memory once, on all cores, like llama.cpp's matrix-vector products."""
    a = np.ones(size_mb * 1024 * 1024 // 8, dtype=np.float32)
    b = np.ones_like(a)
    best = 0.0
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        best = max(best, 2 * a.nbytes / (time.perf_counter() - t) / 1e9)
    return best


def measure(stream_events, seed: int, max_tokens: int) -> dict:
    """stream_events yields (text) pieces; returns TTFT and decode tokens/s."""
    t0 = time.perf_counter()
    first = None
    n = 0
    for piece in stream_events(seed, max_tokens):
        if piece and first is None:
            first = time.perf_counter()
        n += 1 if piece else 0
    end = time.perf_counter()
    decode = (n - 1) / (end - first) if first and n > 1 else 0.0
    return {"ttft_ms": (first - t0) * 1000 if first else None, "tokens": n, "tok_s": decode, "total_s": end - t0}


def direct_runner(path: str, options: Any, n_ctx: int):
    import xllamacpp

    from zaowu.backends.llamacpp import server_params

    p = server_params(path, options, n_ctx)  # as the server loads it
    started = time.perf_counter()
    server = xllamacpp.Server(p)
    events_load_s = time.perf_counter() - started

    def events(seed: int, max_tokens: int):
        import queue
        import threading

        q: queue.SimpleQueue = queue.SimpleQueue()
        # a seeded request evaluates its whole prompt through zaowu (reproducible seeds): so here too
        body = {
            "messages": PROMPT,
            "max_tokens": max_tokens,
            "seed": seed,
            "temperature": 0.7,
            "stream": True,
            "repeat_penalty": 1.0,
            "cache_prompt": False,
        }
        threading.Thread(target=lambda: (server.handle_chat_completions(body, q.put), q.put(None)), daemon=True).start()
        while (item := q.get()) is not None:
            for c in item.get("choices") or ():
                yield (c.get("delta") or {}).get("content")

    events.load_s = events_load_s  # type: ignore[attr-defined]
    return server, events


def cli_first_output_s(model: str, env: dict[str, str]) -> float:
    """Seconds from starting `zaowu prompt` to its first byte of output (best of 2)."""
    best = float("inf")
    for _ in range(2):
        t = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "zaowu.cli.main", "prompt", "-m", model, "--max-tokens", "8", "Say hello."],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert proc.stdout is not None
        proc.stdout.read(1)
        best = min(best, time.perf_counter() - t)
        proc.wait()
    return best


def http_runner(base_url: str, model: str):
    client = httpx.Client(base_url=base_url, timeout=600)

    def events(seed: int, max_tokens: int):
        body = {
            "model": model,
            "messages": PROMPT,
            "max_tokens": max_tokens,
            "seed": seed,
            "temperature": 0.7,
            "repeat_penalty": 1.0,
            "stream": True,
        }
        with client.stream("POST", "/v1/chat/completions", json=body) as r:
            r.raise_for_status()
            for line in r.iter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    for c in json.loads(line[6:]).get("choices") or ():
                        yield (c.get("delta") or {}).get("content")

    return client, events


def summary(rows: list[dict]) -> dict:
    return {
        "tok_s": statistics.median(r["tok_s"] for r in rows),
        "ttft_ms": statistics.median(r["ttft_ms"] for r in rows),
        "tokens": [r["tokens"] for r in rows],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="smollm2-135m-instruct")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=None, help="llama.cpp threads (default: zaowu's default)")
    ap.add_argument("--busy", type=int, default=0, help="CPU-burning processes to run beside the benchmark")
    args = ap.parse_args()

    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        time.sleep(5 if burners else 0)  # let the load average see them
        run(args)
    finally:
        for burner in burners:
            burner.kill()


def run(args: argparse.Namespace) -> None:
    from zaowu.backends.llamacpp import default_threads

    load_before = os.getloadavg()[0]
    # one thread count for both sides, chosen once (the default follows the load, which moves)
    settings = Settings(n_parallel=1, n_threads=args.threads or default_threads())
    with Studio(settings) as studio:
        spec = studio.catalog.spec(args.model)
        options = studio.backend_options(spec)  # the options the server's backend loads with
    size = Path(spec.path).stat().st_size
    bw = bandwidth_gbs()
    print(f"model {spec.id}: {size / 1e6:.0f} MB; read bandwidth {bw:.1f} GB/s; bound {bw * 1e9 / size:.1f} tok/s")

    server, direct_events = direct_runner(spec.path, options, settings.n_ctx)
    port = 8799
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "ZAOWU_DATA_DIR": tmp,
            "ZAOWU_MODELS_DIR": str(settings.models_path),
            "ZAOWU_N_PARALLEL": "1",
            "ZAOWU_DEFAULT_CHAT_MODEL": spec.id,
            "ZAOWU_N_THREADS": str(settings.n_threads),
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "zaowu.cli.main", "serve", "--port", str(port), "--log-level", "warning"], env=env
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(600):
                try:
                    if httpx.get(base + "/health").json()["loaded_models"]:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            _client, api_events = http_runner(base, spec.id)
            # interleaved rounds (direct, api, direct, api...) so drift hits both alike
            measure(direct_events, 0, 8)
            measure(api_events, 0, 8)
            rows: dict[str, list[dict]] = {"direct": [], "api": []}
            for seed in range(1, args.rounds + 1):
                rows["direct"].append(measure(direct_events, seed, args.max_tokens))
                rows["api"].append(measure(api_events, seed, args.max_tokens))
        finally:
            proc.terminate()
            proc.wait()
        load_s = direct_events.load_s
        del server, direct_events
        cli_s = cli_first_output_s(spec.id, env)
    direct, api = summary(rows["direct"]), summary(rows["api"])

    result = {
        "model": spec.id,
        "threads": settings.n_threads,
        "busy_processes": args.busy,
        "load_1min_before": round(load_before, 2),
        "load_1min_after": round(os.getloadavg()[0], 2),
        "bandwidth_gbs": round(bw, 2),
        "bound_tok_s": round(bw * 1e9 / size, 1),
        "direct": direct,
        "api": api,
        "api_over_direct_tok_s": round(api["tok_s"] / direct["tok_s"], 3),
        "ttft_overhead_ms": round(api["ttft_ms"] - direct["ttft_ms"], 1),
        "load_s": round(load_s, 2),
        "cli_first_output_s": round(cli_s, 2),
        "cli_first_output_minus_load_s": round(cli_s - load_s, 2),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
