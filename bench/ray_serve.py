"""Ray Serve benchmark: requests/s of the design engine in the studio's own process, then as a Ray Serve
deployment with 1 and with 2 replicas, and what a retry costs when a replica is killed mid-call.

    .venv/bin/python bench/ray_serve.py [--requests 24] [--concurrency 4] [--size 768x768] [--cpus 2]

It starts a local Ray cluster (``--cpus`` CPUs, a 200 MB object store, no dashboard), runs a Studio in this
process on a fresh data folder with ``[ray.deployments.design]`` set, and sends ``--requests`` image requests
(each with its own design spec: only the render runs, no LLM) from ``--concurrency`` threads.

Reported per setup: wall time, requests/s, p50/p95 latency. The retry run sends the same load to 2
replicas (each runs 2 requests at once), kills (ray.kill) the first replica seen running 2, and reports
the latency of the requests that were retried (attempts >= 2) against the others: the difference is the
retry overhead (the time already spent on the dead replica, the retry pause, and the new render).
Figures depend on the machine and on what else runs on it; compare runs on the same one.

Measured on the project's 2-core machine while other work kept it busy (load average 11-14), 768x768
posters, 24-32 requests from 4-6 threads: in-process 3.2-3.7 requests/s, 1 replica 3.6-3.9, 2 replicas
3.9-5.4 (p95 1.0-1.7 s against 1.7-8 s with 1 replica); retry overhead about 0.9-1.8 s per retried request.
On 2 cores two replicas share the same CPUs: the gain comes with more nodes or cores.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import ray

from zaowu.settings import RayConfig, RayDeployment, Settings
from zaowu.studio.engine import Studio
from zaowu.types import ImageRequest

OBJECT_STORE_BYTES = 200 << 20


def _request(i: int, size: str) -> ImageRequest:
    spec = {"kind": "poster", "headline": f"Spring Tea No. {i}", "subline": "Fresh leaves every morning"}
    return ImageRequest(model="design", prompt="tea poster", size=size, seed=i, spec=spec)


def _timed(studio: Studio, i: int, size: str) -> dict[str, Any]:
    started = time.perf_counter()
    result = studio.generate_media(_request(i, size))
    where = result.media[0].meta.get("ray", {})
    return {"seconds": time.perf_counter() - started, "pid": where.get("pid"), "attempts": where.get("attempts", 1)}


def _load(studio: Studio, args: argparse.Namespace, offset: int, kill: bool = False) -> dict[str, Any]:
    studio.generate_media(_request(offset, args.size))  # deployed and warm before the clock starts
    started = time.perf_counter()
    with cf.ThreadPoolExecutor(args.concurrency) as pool:
        futures = [pool.submit(_timed, studio, offset + 1 + i, args.size) for i in range(args.requests)]
        if kill:
            _kill_a_busy_replica()
        runs = [f.result() for f in futures]
    wall = time.perf_counter() - started
    latencies = sorted(r["seconds"] for r in runs)
    report: dict[str, Any] = {
        "wall_s": round(wall, 2),
        "requests_per_s": round(len(runs) / wall, 2),
        "p50_s": round(statistics.median(latencies), 3),
        "p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 3),
        "replicas_used": len({r["pid"] for r in runs}),
    }
    if kill:
        retried = [r["seconds"] for r in runs if r["attempts"] >= 2]
        others = [r["seconds"] for r in runs if r["attempts"] < 2]
        report["retried"] = len(retried)
        if retried:
            report["retried_p50_s"] = round(statistics.median(retried), 3)
            report["retry_overhead_s"] = round(statistics.median(retried) - statistics.median(others), 3)
    return report


def _kill_a_busy_replica() -> None:
    """ray.kill the first replica of the design deployment seen running 2 requests (its renders are lost)."""
    prefix = "SERVE_REPLICA::zaowu-design#zaowu-design#"
    names = [a["name"] for a in ray.util.list_named_actors(all_namespaces=True) if a["name"].startswith(prefix)]
    actors = [ray.get_actor(name, namespace="serve") for name in names]
    while True:
        for actor in actors:
            if ray.get(actor.get_num_ongoing_requests.remote(), timeout=30) >= 2:
                ray.kill(actor, no_restart=True)
                return


def _studio(data: Path, address: str, replicas: int | None) -> Studio:
    deployments = (
        {} if replicas is None else {"design": RayDeployment(replicas=replicas, num_cpus=0.5, max_ongoing_requests=2)}
    )
    return Studio(Settings(data_dir=data, ray=RayConfig(address=address, deployments=deployments)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=24)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--size", default="768x768")
    parser.add_argument("--cpus", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    ray.init(num_cpus=args.cpus, object_store_memory=OBJECT_STORE_BYTES, include_dashboard=False, log_to_driver=False)
    address = ray.get_runtime_context().gcs_address
    from ray import serve

    results: dict[str, Any] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for name, replicas, kill in (
                ("in_process", None, False),
                ("ray_1_replica", 1, False),
                ("ray_2_replicas", 2, False),
                ("ray_2_replicas_one_killed", 2, True),
            ):
                with _studio(Path(tmp) / name, address, replicas) as studio:
                    results[name] = _load(studio, args, 1000 * len(results), kill)
                if replicas is not None:
                    serve.delete("zaowu-design")  # the next setup deploys its own replica count
                print(name, json.dumps(results[name]), flush=True)
    finally:
        serve.shutdown()
        ray.shutdown()
    print(json.dumps({"requests": args.requests, "concurrency": args.concurrency, "size": args.size, **results}))


if __name__ == "__main__":
    main()
