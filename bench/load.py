"""Load benchmark: N concurrent clients mixing chat, images and jobs against one `zaowu serve`,
while /health and the studio page are sampled and the server's memory is watched.

    .venv/bin/python bench/load.py [--clients 100] [--duration 60] [--model ID] [--base-url URL --pid PID]

Without --base-url it starts its own server on a fresh data folder (models from ZAOWU_MODELS_DIR, or
the settings' models folder), waits for the chat model to load, and stops it at the end; extra server
settings go in with --env KEY=VALUE (e.g. --env ZAOWU_MAX_QUEUE=4).

The mix (--mix chat=70,image=15,job=15 by default):
  chat   non-streaming chat completions with a small max_tokens;
  image  the design engine rendering a given spec (no LLM call), so images load the renderer's own
         queue instead of competing with chat for the same LLM slots;
  job    a text job submitted with POST /v1/jobs (202); the jobs' end-to-end times are read back at the end.
A refused request (429/503) makes its client wait Retry-After (capped by --max-backoff) and go on.

Reported: p50/p95 latency and status counts per kind; how fast refusals come back, as the loaded
clients see it ("refused", which includes their own event loop's lag, also reported) and as a
separate probe process sees it ("probe_refused": one more chat every 0.25 s); /health and studio-page
latency sampled by that probe process during the load; jobs finished; and the server's RSS over
time (VmRSS from /proc/PID/status). Figures depend on the machine; compare runs on the same one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PROMPTS = [
    "Give me one tip for a small tea shop.",
    "Name a colour for a bakery logo.",
    "Say hello in French.",
    "Write a five-word slogan for fresh bread.",
    "What is 2 + 3?",
    "Suggest a name for a cat cafe.",
]
SPEC = {
    "kind": "poster",
    "headline": "Spring tea sale",
    "subline": "New leaves every week",
    "call_to_action": "Order now",
    "brand": "Leaf & Cup",
}


@dataclass
class Record:
    kind: str
    status: int  # 0: transport error or timeout
    seconds: float
    at: float


@dataclass
class Results:
    records: list[Record] = field(default_factory=list)
    probes: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    rss_mb: list[tuple[float, float]] = field(default_factory=list)
    job_ids: list[str] = field(default_factory=list)
    loop_lag: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


# ---------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(args, data_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZAOWU_") or k == "ZAOWU_MODELS_DIR"}
    env.update(
        {
            "ZAOWU_DATA_DIR": str(data_dir),
            "ZAOWU_CONFIG": str(data_dir / "no-config.toml"),
            "ZAOWU_DEFAULT_CHAT_MODEL": args.model,
        }
    )
    env.update(dict(kv.split("=", 1) for kv in args.env))
    with open(data_dir / "server.log", "wb") as log:  # the server keeps its own copy of the file
        proc = subprocess.Popen(
            [sys.executable, "-m", "zaowu.cli.main", "serve", "--port", str(port), "--log-level", "warning"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited: {(data_dir / 'server.log').read_text()}")
        try:
            if args.model in httpx.get(base + "/health", timeout=2).json().get("loaded_models", []):
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not load the model in 300 s")


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


# ---------------------------------------------------------------- clients and samplers


def request_for(kind: str, args, rng: random.Random) -> tuple[str, dict]:
    if kind == "chat":
        return "/v1/chat/completions", {
            "model": args.model,
            "max_tokens": args.max_tokens,
            "seed": rng.randrange(1000),
            "messages": [{"role": "user", "content": rng.choice(PROMPTS)}],
        }
    if kind == "image":
        return "/v1/images/generations", {
            "model": "design",
            "prompt": SPEC["headline"],
            "spec": SPEC,
            "size": "512x512",
            "seed": rng.randrange(1000),
        }
    return "/v1/jobs", {
        "kind": "text",
        "request": {
            "model": args.model,
            "max_tokens": args.max_tokens,
            "messages": [{"role": "user", "content": rng.choice(PROMPTS)}],
        },
    }


async def client(
    http: httpx.AsyncClient, args, kinds: list[str], weights: list[int], deadline: float, res: Results, seed: int
) -> None:
    rng = random.Random(seed)
    await asyncio.sleep(rng.random() * args.ramp)
    while time.monotonic() < deadline:
        kind = rng.choices(kinds, weights)[0]
        path, body = request_for(kind, args, rng)
        t0 = time.monotonic()
        try:
            r = await http.post(path, json=body)
            status = r.status_code
        except httpx.HTTPError as exc:
            status, r = 0, None
            res.errors[type(exc).__name__] += 1
        res.records.append(Record(kind, status, time.monotonic() - t0, t0))
        if status == 202 and r is not None:
            res.job_ids.append(r.json()["id"])
        if status in (429, 503) and r is not None:
            await asyncio.sleep(min(float(r.headers.get("retry-after") or 1), args.max_backoff) * rng.uniform(0.5, 1))
        elif status not in (200, 202):
            await asyncio.sleep(0.5)


async def sample(
    http: httpx.AsyncClient, path: str, every: float, stop, out: list[tuple[int, float]], body: dict | None = None
) -> None:
    """Open-loop probes: one request every ``every`` seconds whether or not the last one answered,
    so a stalled server shows up as slow samples rather than as fewer samples. ``out`` gets
    (status, seconds); status 0 is a transport error or timeout."""

    async def probe() -> None:
        t0 = time.monotonic()
        try:
            r = await (http.post(path, json=body, timeout=600) if body else http.get(path, timeout=60))
            status = r.status_code
        except httpx.HTTPError:
            status = 0
        out.append((status, time.monotonic() - t0))

    pending: set[asyncio.Task] = set()
    while not stop.is_set():
        task = asyncio.create_task(probe())
        pending.add(task)
        task.add_done_callback(pending.discard)
        await asyncio.sleep(every)
    if pending:
        await asyncio.wait(pending)


async def watch_rss(pid: int | None, stop, out: list[tuple[float, float]], started: float) -> None:
    while pid and not stop.is_set():
        if (mb := rss_mb(pid)) is not None:
            out.append((round(time.monotonic() - started, 1), round(mb, 1)))
        await asyncio.sleep(1.0)


class Done:
    """A stop event that is already set."""

    @staticmethod
    def is_set() -> bool:
        return True


def probe_process(base: str, model: str | None, pid: int | None, stop, conn) -> None:
    """Runs in its own process, so the clients' busy event loop does not delay the probes: /health
    every 0.1 s, the studio page every 0.5 s, one more chat every 0.25 s (how fast a refusal comes
    back, seen by an unhurried client; left out when ``model`` is None), and the server's RSS every second."""
    chat = {"model": model, "max_tokens": 8, "messages": [{"role": "user", "content": "Say hi."}]}

    async def main() -> dict:
        found: dict[str, list] = {"health": [], "studio": [], "chat": [], "rss_mb": []}
        started = time.monotonic()
        async with httpx.AsyncClient(base_url=base, limits=httpx.Limits(max_connections=1000)) as http:
            await asyncio.gather(
                sample(http, "/health", 0.1, stop, found["health"]),
                sample(http, "/", 0.5, stop, found["studio"]),
                sample(http, "/v1/chat/completions", 0.25, stop if model else Done(), found["chat"], chat),
                watch_rss(pid, stop, found["rss_mb"], started),
            )
        return found

    conn.send(asyncio.run(main()))


async def loop_lag(stop: asyncio.Event, out: list[float]) -> None:
    """How late this process's event loop wakes up: the clients' own share of measured latency."""
    while not stop.is_set():
        t0 = time.monotonic()
        await asyncio.sleep(0.05)
        out.append(time.monotonic() - t0 - 0.05)


async def finished_jobs(base: str, ids: list[str], wait: float) -> dict:
    """States of the submitted jobs after waiting up to ``wait`` seconds for them to end."""
    deadline = time.monotonic() + wait
    wanted = set(ids)
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        while True:
            listed = (await http.get("/v1/jobs", params={"kind": "text", "limit": 1000})).json()["data"]
            rows = [r for r in listed if r["id"] in wanted]
            states = Counter(r["state"] for r in rows)
            if not (states["queued"] or states["running"]) or time.monotonic() > deadline:
                break
            await asyncio.sleep(2)
    took = [r["finished_at"] - r["created_at"] for r in rows if r["state"] == "succeeded"]
    return {"submitted": len(ids), "states": dict(states), "p50_s": pct(took, 0.5), "p95_s": pct(took, 0.95)}


async def run_load(args, base: str, pid: int | None) -> dict:
    mix = dict(kv.split("=") for kv in args.mix.split(","))
    kinds, weights = list(mix), [int(w) for w in mix.values()]
    res = Results()
    ctx = multiprocessing.get_context("spawn")
    probes_stop, (receiver, sender) = ctx.Event(), ctx.Pipe(duplex=False)
    chat_probe = args.model if args.probe_chat else None
    probes = ctx.Process(target=probe_process, args=(base, chat_probe, pid, probes_stop, sender), daemon=True)
    probes.start()
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=args.clients + 10, max_keepalive_connections=args.clients + 10)
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=base, timeout=args.timeout, limits=limits) as http:
        lag = asyncio.create_task(loop_lag(stop, res.loop_lag))
        deadline = started + args.duration
        await asyncio.gather(*(client(http, args, kinds, weights, deadline, res, i) for i in range(args.clients)))
        load_s = time.monotonic() - started
        stop.set()
        await lag
    probes_stop.set()
    sampled = await asyncio.to_thread(receiver.recv)
    probes.join(30)
    res.probes, res.rss_mb = sampled, sampled["rss_mb"]
    if args.dump:
        with args.dump.open("w") as f:
            f.writelines(json.dumps({**r.__dict__, "at": round(r.at - started, 3)}) + "\n" for r in res.records)
    jobs = await finished_jobs(base, res.job_ids, args.job_wait) if res.job_ids else None
    return report(res, load_s, jobs)


def spread(values: list[float]) -> dict:
    """Count and p50/p95/max in milliseconds."""
    return {
        "samples": len(values),
        "p50_ms": ms(pct(values, 0.5)),
        "p95_ms": ms(pct(values, 0.95)),
        "max_ms": ms(max(values) if values else None),
    }


def probed(samples: list[tuple[int, float]], wanted: tuple[int, ...]) -> dict:
    """Latency of the probe answers with a wanted status; the others counted by status."""
    return {
        **spread([t for status, t in samples if status in wanted]),
        "other": dict(Counter(status for status, _ in samples if status not in wanted)),
    }


def report(res: Results, load_s: float, jobs: dict | None) -> dict:
    by_kind: dict[str, list[Record]] = defaultdict(list)
    for r in res.records:
        by_kind[r.kind].append(r)
    kinds = {}
    for kind, rows in sorted(by_kind.items()):
        ok = spread([r.seconds for r in rows if r.status in (200, 202)])
        kinds[kind] = {
            "requests": len(rows),
            "status": dict(Counter(r.status for r in rows)),
            "ok_p50_ms": ok["p50_ms"],
            "ok_p95_ms": ok["p95_ms"],
        }
    rss = [mb for _, mb in res.rss_mb]
    memory = {
        "start": rss[0] if rss else None,
        "max": max(rss) if rss else None,
        "end": rss[-1] if rss else None,
        "median": statistics.median(rss) if rss else None,
        "series": res.rss_mb[:: max(1, len(res.rss_mb) // 30)],
    }
    return {
        "load_seconds": round(load_s, 1),
        "kinds": kinds,
        "status_total": dict(Counter(r.status for r in res.records)),
        "transport_errors": dict(res.errors),
        "refused": spread([r.seconds for r in res.records if r.status in (429, 503)]),
        "probe_refused": probed(res.probes["chat"], (429, 503)),
        "health": probed(res.probes["health"], (200,)),
        "studio_page": probed(res.probes["studio"], (200,)),
        "jobs": jobs,
        "client_loop_lag_ms": {"p50": ms(pct(res.loop_lag, 0.5)), "p95": ms(pct(res.loop_lag, 0.95))},
        "rss_mb": memory,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base-url", help="an already running server (default: start one)")
    ap.add_argument("--pid", type=int, help="the running server's process id, for its RSS")
    ap.add_argument("--model", default="smollm2-135m-instruct")
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds during which clients send requests")
    ap.add_argument("--ramp", type=float, default=1.0, help="clients start spread over this many seconds")
    ap.add_argument("--mix", default="chat=70,image=15,job=15")
    ap.add_argument("--max-tokens", type=int, default=32)
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds a client waits for one answer")
    ap.add_argument("--max-backoff", type=float, default=2.0, help="cap on the Retry-After a client honours")
    ap.add_argument("--job-wait", type=float, default=60.0, help="seconds to wait for submitted jobs at the end")
    ap.add_argument(
        "--no-probe-chat",
        dest="probe_chat",
        action="store_false",
        help="no extra chat probe (on a server without back-pressure it only adds to the pile)",
    )
    ap.add_argument("--dump", type=Path, help="write every request as a JSON line (kind, status, seconds, at)")
    ap.add_argument("--env", action="append", default=[], help="KEY=VALUE for the started server")
    args = ap.parse_args()

    if args.base_url:
        show(asyncio.run(run_load(args, args.base_url, args.pid)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        proc, base = start_server(args, Path(tmp))
        try:
            result = asyncio.run(run_load(args, base, proc.pid))
        finally:
            proc.terminate()
            proc.wait(30)
    show(result)


def show(result: dict) -> None:
    series = result["rss_mb"].pop("series")
    text = json.dumps(result, indent=2)
    print(text[:-2] + ',\n  "rss_series_s_mb": ' + json.dumps(series) + "\n}")


if __name__ == "__main__":
    main()
