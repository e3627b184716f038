"""Jobs across hosts (issue 19, item 2): real ``zaowu worker`` processes sharing a real PostgreSQL database
claim with SKIP LOCKED, serve only their kinds and groups, keep group limits across processes, recover a
killed worker's job, complete each job once, and wake on NOTIFY (tests/host_jobs.py has the job kinds)."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from zaowu.settings import Settings
from zaowu.studio.engine import Studio
from zaowu.studio.jobs import FINAL_STATES

from .conftest import ROOT, Server
from .postgres import postgres_url  # noqa: F401  (the fixture)

PLUGINS = '["tests.host_jobs"]'
READY_TIMEOUT = 120  # a worker process imports zaowu and opens the database (slow on a busy machine)
DONE_TIMEOUT = 300  # generous: never a performance bound, only a guard against hanging forever


class Worker:
    """A real ``zaowu worker`` process on the test database."""

    def __init__(self, folder: Path, database_url: str, *args: str, env: dict[str, str] | None = None):
        self.name = args[args.index("--name") + 1] if "--name" in args else None
        folder.mkdir(parents=True, exist_ok=True)
        self.log_path = folder / f"worker-{time.monotonic_ns()}.log"
        environ = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ZAOWU_")},
            "ZAOWU_CONFIG": str(folder / "no-config.toml"),
            "ZAOWU_DATA_DIR": str(folder),
            "ZAOWU_MODELS_DIR": str(folder / "no-models"),
            "ZAOWU_DATABASE_URL": database_url,
            "ZAOWU_PLUGINS": PLUGINS,
            "ZAOWU_JOB_HEARTBEAT_SECONDS": "0.5",
            "ZAOWU_JOB_HEARTBEAT_TIMEOUT": "4",
            **(env or {}),
        }
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "zaowu.cli.main", "worker", *args],
            env=environ,
            cwd=ROOT,  # the test plugin imports as tests.host_jobs
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self) -> Worker:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if "Ctrl-C stops" in self.log():
                return self
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited: {self.log()}")
            time.sleep(0.1)
        raise AssertionError(f"worker not ready: {self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


@pytest.fixture
def pg(postgres_url, tmp_path):  # noqa: F811
    """A studio on a fresh PostgreSQL database (submits and reads; it runs no jobs itself), and a way to start
    worker processes on the same database, all stopped at the end."""
    settings = Settings(
        data_dir=tmp_path / "data",
        models_dir=tmp_path / "no-models",
        database_url=postgres_url,
        plugins=["tests.host_jobs"],
        job_workers=0,
    )
    workers: list[Worker] = []

    def start(*args: str, env: dict[str, str] | None = None, ready: bool = True) -> Worker:
        worker = Worker(tmp_path / "data", postgres_url, *args, env=env)
        workers.append(worker)
        return worker.wait_ready() if ready else worker

    with Studio(settings) as studio:
        studio.start_worker_process = start  # type: ignore[attr-defined]
        yield studio
        for w in workers:
            w.stop()


def wait_done(studio: Studio, ids: list[str], timeout: float = DONE_TIMEOUT) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = [studio.jobs.get(i) for i in ids]
        if all(j["state"] in FINAL_STATES for j in jobs):
            return jobs
        time.sleep(0.1)
    raise AssertionError(f"jobs not finished: {Counter(j['state'] for j in jobs)}")


def wait_state(studio: Studio, job_id: str, state: str, timeout: float = DONE_TIMEOUT) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = studio.jobs.get(job_id)
        if job["state"] == state:
            return job
        assert job["state"] not in FINAL_STATES, job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never became {state}")


def state_events(studio: Studio, job_id: str) -> list[str]:
    return [e["data"]["state"] for e in studio.jobs.events(job_id) if e["type"] == "state"]


def test_every_job_runs_exactly_once_across_three_worker_processes(pg):
    workers = [pg.start_worker_process("--threads", "2", "--name", f"host{i}:w") for i in range(3)]
    ids = [pg.jobs.submit("tick", {"seconds": 0.05, "group": f"g{i % 5}", "label": str(i)})["id"] for i in range(60)]
    jobs = wait_done(pg, ids)
    assert [j["state"] for j in jobs] == ["succeeded"] * 60
    assert [j["result"]["label"] for j in jobs] == [str(i) for i in range(60)]
    for j in jobs:  # claimed once, finished once: one attempt, one running and one succeeded event
        assert j["attempts"] == 1 and j["result"]["attempt"] == 1
        assert state_events(pg, j["id"]) == ["queued", "running", "succeeded"]
    assert {j["worker"] for j in jobs} <= {w.name for w in workers}
    assert len({j["result"]["pid"] for j in jobs}) >= 2  # more than one process took part


def test_workers_serve_only_their_kinds_and_groups(pg):
    tock_only = pg.start_worker_process("--kinds", "tock", "--name", "tock-box")
    fast_ticks = pg.start_worker_process("--kinds", "tick", "--groups", "fast", "--name", "tick-box")
    tocks = [pg.jobs.submit("tock", {"group": "fast"})["id"] for _ in range(5)]
    fast = [pg.jobs.submit("tick", {"group": "fast"})["id"] for _ in range(5)]
    family = [pg.jobs.submit("tick", {"group": "fast:gpu0"})["id"] for _ in range(3)]  # 'fast' serves fast:*
    others = [pg.jobs.submit("tick", {"group": "slow"})["id"] for _ in range(3)]
    unrelated = pg.jobs.submit("tick", {"group": "fastest"})["id"]  # a prefix of the name is not its family
    done = wait_done(pg, tocks + fast + family)
    assert all(j["state"] == "succeeded" for j in done)
    assert {j["worker"] for j in done if j["kind"] == "tock"} == {tock_only.name}
    assert {j["worker"] for j in done if j["kind"] == "tick"} == {fast_ticks.name}
    # after both workers went idle (and were woken by every finish), the jobs they do not serve still wait
    for job_id in [*others, unrelated]:
        assert pg.jobs.get(job_id)["state"] == "queued" and pg.jobs.get(job_id)["worker"] is None
    anyone = pg.start_worker_process("--name", "any-box")
    rest = wait_done(pg, [*others, unrelated])
    assert {j["worker"] for j in rest} == {anyone.name} and all(j["state"] == "succeeded" for j in rest)


def test_a_worker_asked_for_an_unknown_kind_says_which_kinds_exist(pg):
    worker = pg.start_worker_process("--kinds", "tick,imagex", ready=False)
    assert worker.proc.wait(timeout=READY_TIMEOUT) != 0
    out = worker.log()
    assert "imagex" in out and "kinds" in out and "tick" in out  # names the option, the bad kind, the known ones


def test_group_limit_of_one_holds_across_two_worker_processes(pg):
    env = {"ZAOWU_JOB_CONCURRENCY": json.dumps({"solo": 1})}
    # each process serves one kind, so both must run 'solo' jobs; each has threads to spare
    pg.start_worker_process("--threads", "3", "--kinds", "tick", "--name", "solo-tick:w", env=env)
    pg.start_worker_process("--threads", "3", "--kinds", "tock", "--name", "solo-tock:w", env=env)
    solo = [pg.jobs.submit(("tick", "tock")[i % 2], {"seconds": 0.3, "group": "solo"})["id"] for i in range(8)]
    free = [pg.jobs.submit("tick", {"seconds": 0.3, "group": "free"})["id"] for _ in range(4)]
    jobs = wait_done(pg, solo + free)
    assert all(j["state"] == "succeeded" for j in jobs)
    runs = sorted((j["started_at"], j["finished_at"], j["worker"]) for j in jobs if j["group"] == "solo")
    assert {w for _, _, w in runs} == {"solo-tick:w", "solo-tock:w"}
    for (_, end, _), (start, _, _) in itertools.pairwise(runs):
        assert start >= end, runs  # never two 'solo' jobs running at once, whichever process ran them


def test_a_killed_workers_jobs_are_rerun_or_failed_by_another(pg):
    doomed = pg.start_worker_process("--threads", "2", "--name", "gpu-host-1:99")  # another host: no pid check
    resumable = pg.jobs.submit("tick", {"first_seconds": 600, "seconds": 0.2, "label": "again"})["id"]
    one_shot = pg.jobs.submit("once", {"seconds": 600, "group": "once"})["id"]
    wait_state(pg, resumable, "running")
    wait_state(pg, one_shot, "running")
    doomed.proc.send_signal(signal.SIGKILL)
    doomed.proc.wait()
    assert pg.jobs.get(resumable)["worker"] == doomed.name  # nothing moved it yet
    rescuer = pg.start_worker_process("--name", "gpu-host-2:7")
    again, failed = wait_done(pg, [resumable, one_shot])
    assert again["state"] == "succeeded" and again["worker"] == rescuer.name
    assert again["attempts"] == 2 and again["result"] == {"label": "again", "pid": rescuer.proc.pid, "attempt": 2}
    assert state_events(pg, resumable) == ["queued", "running", "queued", "running", "succeeded"]
    assert failed["state"] == "failed" and "gpu-host-1:99" in failed["error"] and "cannot resume" in failed["error"]
    assert state_events(pg, one_shot) == ["queued", "running", "failed"]


def test_a_frozen_worker_that_comes_back_cannot_finish_a_job_taken_over(pg):
    frozen = pg.start_worker_process("--name", "laptop:1")
    job_id = pg.jobs.submit("tick", {"first_seconds": 8, "seconds": 6, "label": "once"})["id"]
    wait_state(pg, job_id, "running")
    frozen.proc.send_signal(signal.SIGSTOP)  # alive but silent: its heartbeat goes stale
    try:
        rescuer = pg.start_worker_process("--name", "desktop:2")
        deadline = time.monotonic() + DONE_TIMEOUT
        while (job := pg.jobs.get(job_id))["worker"] != rescuer.name:  # recovered, re-run by the rescuer
            assert time.monotonic() < deadline and job["state"] not in FINAL_STATES, job
            time.sleep(0.05)
    finally:
        frozen.proc.send_signal(signal.SIGCONT)  # back while the second attempt runs
    done = wait_done(pg, [job_id])[0]
    # the first attempt's progress and result were refused: it no longer held the job
    assert done["state"] == "succeeded" and done["worker"] == rescuer.name
    assert done["result"] == {"label": "once", "pid": rescuer.proc.pid, "attempt": 2}
    assert state_events(pg, job_id) == ["queued", "running", "queued", "running", "succeeded"]
    assert "no longer held" in frozen.log() or "was taken from this worker" in frozen.log()
    assert frozen.proc.poll() is None  # it stopped that job, not itself


def test_notify_wakes_an_idle_worker_with_a_long_fallback_poll(pg):
    sleepy = pg.start_worker_process("--name", "sleepy:1", env={"ZAOWU_JOB_POLL_SECONDS": "3600"})
    first = pg.jobs.submit("tick", {"label": "first"})["id"]
    assert wait_done(pg, [first])[0]["state"] == "succeeded"
    time.sleep(1)  # the worker is idle, waiting up to an hour unless NOTIFY wakes it
    second = pg.jobs.submit("tick", {"label": "second"})["id"]
    done = wait_done(pg, [second])[0]  # well before the hour: only a NOTIFY could have started it
    assert done["state"] == "succeeded" and done["worker"] == "sleepy:1"
    assert state_events(pg, second) == ["queued", "running", "succeeded"]
    assert "job listener lost" not in sleepy.log()  # (a reconnecting listener also wakes the workers)


def test_sse_job_events_are_driven_by_notify(pg, tmp_path, models_dir):
    """A server (no workers of its own) streams the events of a job a separate worker runs; with an hour's
    fallback poll, only NOTIFY can bring each event and the end."""
    env = {
        "ZAOWU_DATABASE_URL": str(pg.settings.database_url),
        "ZAOWU_PLUGINS": PLUGINS,
        "ZAOWU_JOB_WORKERS": "0",
        "ZAOWU_JOB_POLL_SECONDS": "3600",
    }
    server = Server(tmp_path / "server", models_dir, env)
    try:
        job = httpx.post(server.base_url + "/v1/jobs", json={"kind": "tick", "request": {"seconds": 0.5}}).json()
        seen: list[str] = []
        with httpx.stream("GET", f"{server.base_url}/v1/jobs/{job['id']}/events", timeout=DONE_TIMEOUT) as r:
            pg.start_worker_process("--name", "streamer:1", env={"ZAOWU_JOB_POLL_SECONDS": "3600"}, ready=False)
            for line in r.iter_lines():
                if line.startswith("event: "):
                    seen.append(line.removeprefix("event: "))
        assert seen[0] == "state" and "progress" in seen and seen[-1] == "end"
        assert pg.jobs.get(job["id"])["state"] == "succeeded"
    finally:
        server.stop()
