"""Job queue benchmarks, run by hand from the repository root.

    .venv/bin/python bench/jobs.py latency   # submit → queued response; listing and state changes at 1,000 jobs
    .venv/bin/python bench/jobs.py soak      # 20 hard kills of a busy server; counts lost and duplicated jobs

Both start real ``zaowu serve`` processes on loopback with a fresh data folder.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def start_server(data: Path, port: int, workers: int) -> subprocess.Popen:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ZAOWU_")},
        "ZAOWU_DATA_DIR": str(data),
        "ZAOWU_PLUGINS": '["tests.slow_jobs"]',
        "ZAOWU_JOB_WORKERS": str(workers),
        "ZAOWU_CONFIG": str(data / "none.toml"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "zaowu.cli.main", "serve", "--port", str(port), "--no-preload", "--log-level", "error"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


def ms(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {
        "median_ms": round(statistics.median(values) * 1000, 2),
        "p95_ms": round(values[int(len(values) * 0.95) - 1] * 1000, 2),
    }


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def latency() -> dict:
    port = 8811
    with tempfile.TemporaryDirectory() as tmp:
        proc = start_server(Path(tmp), port, workers=0)  # nothing runs: the queue itself is measured
        try:
            http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
            body = {"kind": "steps", "request": {"steps": 1}}
            http.post("/v1/jobs", json=body)  # warm-up
            small = {"submit": ms(timed(lambda: http.post("/v1/jobs", json=body), 50))}
            small["list_50"] = ms(timed(lambda: http.get("/v1/jobs", params={"state": "queued"}), 30))
            for _ in range(1000 - 51):
                http.post("/v1/jobs", json=body)
            ids = [j["id"] for j in http.get("/v1/jobs", params={"limit": 1000}).json()["data"]]
            big = {"submit": ms(timed(lambda: http.post("/v1/jobs", json=body), 50))}
            big["list_50"] = ms(timed(lambda: http.get("/v1/jobs", params={"state": "queued"}), 30))
            big["list_1000"] = ms(timed(lambda: http.get("/v1/jobs", params={"state": "queued", "limit": 1000}), 10))
            victims = iter(ids)
            big["cancel"] = ms(timed(lambda: http.delete(f"/v1/jobs/{next(victims)}"), 50))
            big["get"] = ms(timed(lambda: http.get(f"/v1/jobs/{ids[500]}"), 50))
        finally:
            proc.terminate()
            proc.wait()
    return {
        "at_51_jobs": small,
        "at_1000_jobs": big,
        "submit_ratio_1000_vs_51": round(big["submit"]["median_ms"] / small["submit"]["median_ms"], 2),
    }


def soak(kills: int = 20, jobs: int = 200) -> dict:
    port = 8812
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        proc = start_server(data, port, workers=4)
        http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        ids = []
        for i in range(jobs):
            req = {"steps": 4, "step_seconds": 0.05, "group": f"g{i % 8}", "label": str(i)}
            ids.append(http.post("/v1/jobs", json={"kind": "steps", "request": req}).json()["id"])
        for _ in range(kills):
            time.sleep(random.uniform(0.3, 1.5))
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            proc = start_server(data, port, workers=4)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            states = [http.get(f"/v1/jobs/{i}").json()["state"] for i in ids]
            if all(s in ("succeeded", "failed", "cancelled") for s in states):
                break
            time.sleep(0.5)
        jobs_data = [http.get(f"/v1/jobs/{i}").json() for i in ids]
        proc.terminate()
        proc.wait()
        sys.path.insert(0, str(ROOT / "src"))
        from zaowu.settings import Settings
        from zaowu.studio.db import open_database
        from zaowu.studio.jobs import JobQueue

        queue = JobQueue(open_database(Settings(data_dir=data).db_url), {})
        finals = [sum(1 for e in queue.events(i) if e["data"].get("state") == "succeeded") for i in ids]
    listed = {j["id"] for j in jobs_data}
    return {
        "kills": kills,
        "jobs": jobs,
        "lost": sum(1 for j in jobs_data if j["state"] not in ("succeeded", "failed", "cancelled")),
        "failed": sum(1 for j in jobs_data if j["state"] == "failed"),
        "succeeded": sum(1 for j in jobs_data if j["state"] == "succeeded"),
        "duplicated": sum(1 for n in finals if n > 1) + (jobs - len(listed)),
        "re_run_after_kill": sum(1 for j in jobs_data if j["attempts"] > 1),
        "max_attempts": max(j["attempts"] for j in jobs_data),
    }


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["latency", "soak"])
    ap.add_argument("--kills", type=int, default=20)
    args = ap.parse_args()
    print(json.dumps(latency() if args.what == "latency" else soak(args.kills), indent=2))
