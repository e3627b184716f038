"""Scale-out benchmarks for jobs across hosts (issue 19), run by hand from the repository root:

    .venv/bin/python bench/scale.py            # everything below, as one JSON document
    .venv/bin/python bench/scale.py claims     # or one part: throughput, claims, recovery, kills, rss

- throughput: jobs/s run by 1, 2 and 4 ``zaowu worker`` processes (2 threads each) on PostgreSQL and on
  SQLite, for a queue of no-op jobs (tests/host_jobs.py's ``tick``) inserted at once;
- claims: the queue alone: 1, 2 and 4 processes claiming and finishing jobs in a loop, claims/s and the
  latency of one claim (p50/p95);
- recovery: seconds from SIGKILL of a worker on "another host" (so only its stale heartbeat tells) until
  its job has run again elsewhere, with a 10 s heartbeat timeout;
- kills: 20 SIGKILLs of random workers (each replaced) under a stream of jobs; counts lost jobs (never
  ending) and double completions (more than one 'succeeded' event);
- rss: the resident memory of an idle worker process.

PostgreSQL is the test suite's embedded server (tests/postgres.py), in a temporary folder.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

import sqlalchemy as sa  # noqa: E402

from zaowu.studio.db import job_events, jobs, open_database  # noqa: E402
from zaowu.studio.job_notify import QUEUE_CHANNEL, notify  # noqa: E402
from zaowu.studio.jobs import FINAL_STATES, JobKind, JobQueue  # noqa: E402

THROUGHPUT_JOBS = 200
CLAIM_JOBS = 400
GROUPS = 8  # jobs spread over this many concurrency groups (each claim locks its group)
KILLS = 20
KILL_JOBS = 150
RECOVERY_TIMEOUT = 10.0  # heartbeat timeout for the recovery run


def pg_url() -> str:
    from tests.postgres import new_database

    return new_database()


def pg_cpu_seconds() -> float:
    """CPU time used so far by this bench's PostgreSQL server: its postmaster and every backend."""
    import psutil
    import tests.postgres

    folder = tests.postgres.server_uri().rsplit("host=", 1)[-1]
    total = 0.0
    for proc in psutil.process_iter(["name", "cmdline"]):
        if proc.info["name"] == "postgres" and any(folder in part for part in proc.info["cmdline"] or []):
            for p in [proc, *proc.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    times = p.cpu_times()
                    total += times.user + times.system
    return total


class Worker:
    """A ``zaowu worker`` process."""

    def __init__(self, data: Path, url: str, *args: str, env: dict[str, str] | None = None):
        environ = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ZAOWU_")},
            "ZAOWU_CONFIG": str(data / "none.toml"),
            "ZAOWU_DATA_DIR": str(data),
            "ZAOWU_MODELS_DIR": str(data / "no-models"),
            "ZAOWU_DATABASE_URL": url,
            "ZAOWU_PLUGINS": '["tests.host_jobs"]',
            "ZAOWU_JOB_DEFAULT_CONCURRENCY": "1000",
            "ZAOWU_LOG_LEVEL": "error",
            **(env or {}),
        }
        self.log = data / f"worker-{time.monotonic_ns()}.log"
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "zaowu.cli.main", "worker", *args],
                env=environ,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def ready(self) -> Worker:
        while "Ctrl-C stops" not in self.log.read_text(errors="replace"):
            if self.proc.poll() is not None:
                raise RuntimeError(self.log.read_text())
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()


def insert_jobs(engine: sa.Engine, n: int, request: dict | None = None, kind: str = "tick") -> list[str]:
    """``n`` queued jobs in one transaction (one NOTIFY at commit)."""
    now = time.time()
    rows = [
        {
            "id": f"job_bench{now:.0f}{i:06d}{random.randrange(10**6):06d}",
            "kind": kind,
            "request": request or {},
            "state": "queued",
            "priority": 0,
            "group": f"g{i % GROUPS}",
            "created_at": now + i * 1e-6,
            "attempts": 0,
            "progress": 0.0,
            "cancel_requested": False,
        }
        for i in range(n)
    ]
    with engine.begin() as conn:
        conn.execute(jobs.insert(), rows)
        conn.execute(job_events.insert(), [{"job_id": r["id"], "at": now, "type": "state", "data": {}} for r in rows])
        if engine.dialect.name == "postgresql":
            notify(conn, QUEUE_CHANNEL, "work")
    return [r["id"] for r in rows]


def unfinished(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.select(sa.func.count()).where(jobs.c.state.not_in(FINAL_STATES)))


def wait_empty(engine: sa.Engine, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while unfinished(engine):
        if time.monotonic() > deadline:
            raise RuntimeError("jobs did not finish")
        time.sleep(0.02)


def throughput(url: str, data: Path, processes: int) -> float:
    engine = open_database(url)
    workers = [Worker(data, url, "--threads", "2") for _ in range(processes)]
    try:
        for w in workers:
            w.ready()
        t = time.perf_counter()
        insert_jobs(engine, THROUGHPUT_JOBS)
        wait_empty(engine)
        return round(THROUGHPUT_JOBS / (time.perf_counter() - t), 1)
    finally:
        for w in workers:
            w.stop()
        engine.dispose()


def _claim_loop(url: str, out: multiprocessing.Queue) -> None:
    engine = open_database(url)  # (SQLite: with its busy timeout)
    noop = JobKind(name="tick", run=lambda ctx, req: {})
    queue = JobQueue(engine, {"tick": noop}, default_concurrency=1000)
    latencies = []
    cpu = time.process_time()
    first = time.time()
    while True:
        t = time.perf_counter()
        job = queue.claim(f"bench:{os.getpid()}")
        latencies.append(time.perf_counter() - t)
        if job is None:
            break
        queue._finish(job, "succeeded", result={})
    out.put((first, time.time(), latencies[:-1], time.process_time() - cpu))


def claims(url: str, processes: int, async_commit: bool = False) -> dict:
    engine = open_database(url)
    if async_commit:  # for comparison: commits that do not wait for the disk (fsync) on this database
        with engine.begin() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{engine.url.database}" SET synchronous_commit = off'))
        engine.dispose()
    insert_jobs(engine, CLAIM_JOBS)
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_claim_loop, args=(url, out)) for _ in range(processes)]
    postgres = not url.startswith("sqlite")
    db_cpu = pg_cpu_seconds() if postgres else 0.0
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    db_cpu = pg_cpu_seconds() - db_cpu if postgres else 0.0
    latencies = sorted(x for _, _, lat, _ in results for x in lat)
    elapsed = max(r[1] for r in results) - min(r[0] for r in results)  # start-up excluded
    worker_cpu = sum(r[3] for r in results)
    for p in procs:
        p.join()
    with engine.connect() as conn:
        done = conn.scalar(sa.select(sa.func.count()).where(jobs.c.state == "succeeded"))
    engine.dispose()
    return {
        "claims_per_s": round(done / elapsed, 1),  # each claim followed by its finish
        "claim_p50_ms": round(statistics.median(latencies) * 1000, 2),
        "claim_p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 2),
        "claimed": done,
        # load-independent: claim+finish cycles per CPU second of the database server, and of the workers
        "claims_per_db_cpu_s": round(done / db_cpu, 1) if db_cpu else None,
        "claims_per_worker_cpu_s": round(done / worker_cpu, 1),
    }


def recovery(url: str, data: Path) -> dict:
    engine = open_database(url)
    env = {"ZAOWU_JOB_HEARTBEAT_SECONDS": "2", "ZAOWU_JOB_HEARTBEAT_TIMEOUT": str(RECOVERY_TIMEOUT)}
    doomed = Worker(data, url, "--name", "host-a:1", env=env).ready()
    [job_id] = insert_jobs(engine, 1, {"first_seconds": 600, "seconds": 0})
    while JobQueue(engine, {}).get(job_id)["state"] != "running":
        time.sleep(0.02)
    rescuer = Worker(data, url, "--name", "host-b:1", env=env).ready()
    os.kill(doomed.proc.pid, signal.SIGKILL)
    killed = time.perf_counter()
    wait_empty(engine)
    took = time.perf_counter() - killed
    job = JobQueue(engine, {}).get(job_id)
    rescuer.stop()
    engine.dispose()
    return {"heartbeat_timeout_s": RECOVERY_TIMEOUT, "rerun_after_kill_s": round(took, 1), "state": job["state"]}


def kills(url: str, data: Path) -> dict:
    engine = open_database(url)
    env = {"ZAOWU_JOB_HEARTBEAT_SECONDS": "0.5", "ZAOWU_JOB_HEARTBEAT_TIMEOUT": "3"}
    workers = [Worker(data, url, "--threads", "2", env=env).ready() for _ in range(4)]
    ids = insert_jobs(engine, KILL_JOBS, {"seconds": 0.5})
    for _ in range(KILLS):
        time.sleep(random.uniform(0.3, 1.5))
        victim = random.choice(workers)
        os.kill(victim.proc.pid, signal.SIGKILL)
        victim.proc.wait()
        workers[workers.index(victim)] = Worker(data, url, "--threads", "2", env=env)
    wait_empty(engine)
    queue = JobQueue(engine, {})
    rows = [queue.get(i) for i in ids]
    with engine.connect() as conn:
        finals = conn.execute(
            sa.select(job_events.c.job_id, job_events.c.data).where(job_events.c.job_id.in_(ids))
        ).all()
    succeeded = [job_id for job_id, d in finals if d.get("state") == "succeeded"]
    for w in workers:
        w.stop()
    engine.dispose()
    return {
        "kills": KILLS,
        "jobs": KILL_JOBS,
        "lost": sum(1 for r in rows if r["state"] not in FINAL_STATES),
        "double_completed": len(succeeded) - len(set(succeeded)),
        "succeeded": sum(1 for r in rows if r["state"] == "succeeded"),
        "failed_after_max_attempts": sum(1 for r in rows if r["state"] == "failed"),
        "re_run": sum(1 for r in rows if r["attempts"] > 1),
    }


def rss(url: str, data: Path) -> dict:
    import psutil

    worker = Worker(data, url).ready()
    time.sleep(3)
    mb = psutil.Process(worker.proc.pid).memory_info().rss / 2**20
    worker.stop()
    return {"idle_worker_rss_mb": round(mb, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "what", nargs="?", default="all", choices=["all", "throughput", "claims", "recovery", "kills", "rss"]
    )
    what = ap.parse_args().what
    report: dict = {"cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        if what in ("all", "throughput"):
            tp = {}
            for n in (1, 2, 4):
                sqlite = f"sqlite:///{data / f'tp{n}.db'}"
                tp[f"{n}_workers"] = {
                    "postgresql": throughput(pg_url(), data, n),
                    "sqlite": throughput(sqlite, data, n),
                }
            _section(report, "jobs_per_s", tp)
        if what in ("all", "claims"):
            qc = {f"{n}_processes": claims(pg_url(), n) for n in (1, 2, 4)}
            qc["4_processes_no_fsync_wait"] = claims(pg_url(), 4, async_commit=True)
            qc["4_processes_sqlite"] = claims(f"sqlite:///{data / 'claims.db'}", 4)
            _section(report, "queue_claims", qc)
        if what in ("all", "recovery"):
            _section(report, "recovery", recovery(pg_url(), data))
        if what in ("all", "kills"):
            _section(report, "random_kills", kills(pg_url(), data))
        if what in ("all", "rss"):
            _section(report, "rss", rss(pg_url(), data))
    print(json.dumps(report, indent=2))


def _section(report: dict, name: str, value: object) -> None:
    report[name] = value
    print(json.dumps({name: value}), file=sys.stderr, flush=True)  # as it goes: the whole run is long


if __name__ == "__main__":
    main()
