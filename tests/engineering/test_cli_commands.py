"""The ``zaowu`` commands a user runs in a terminal, as real subprocesses: jobs, worker, artifacts,
keys, speak, transcribe, music and workflow run/show/resume. Each test checks what the user sees
(output, exit status) and what was stored (the database, the files written)."""

from __future__ import annotations

import io
import json
import re
import shutil
import signal
import subprocess
import time
import wave

import pytest

from ..conftest import TEST_MODEL, TEST_THREADS
from ..helpers import content_of, unlabelled_text
from .cli import ZAOWU, clean_env, zaowu


@pytest.fixture
def env(tmp_path, models_dir):
    """A fresh data folder on the shared test models, with the test plugins (a job kind, workflow steps)."""
    return clean_env(
        tmp_path / "no-config.toml",
        ZAOWU_DATA_DIR=str(tmp_path / "data"),
        ZAOWU_MODELS_DIR=str(models_dir),
        ZAOWU_DEFAULT_CHAT_MODEL=TEST_MODEL,
        ZAOWU_N_CTX="2048",
        ZAOWU_PLUGINS='["tests.slow_jobs", "tests.workflow_steps"]',
        **({"ZAOWU_N_THREADS": str(TEST_THREADS)} if TEST_THREADS else {}),
    )


@pytest.fixture
def env_no_models(tmp_path):
    """Like ``env`` for commands that need no model: an empty models folder, nothing pulled."""
    return clean_env(
        tmp_path / "no-config.toml",
        ZAOWU_DATA_DIR=str(tmp_path / "data"),
        ZAOWU_MODELS_DIR=str(tmp_path / "models"),
        ZAOWU_PLUGINS='["tests.slow_jobs", "tests.workflow_steps"]',
    )


def ok(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr}"
    return done


def failed(done: subprocess.CompletedProcess) -> str:
    """The one-line error of a failed command."""
    last = done.stderr.rstrip("\n").rsplit("\n", 1)[-1]
    assert done.returncode == 1 and last.startswith("Error: ") and "Traceback" not in done.stderr, done.stderr
    return last


def show(job_id: str, env) -> dict:
    return json.loads(ok(zaowu("jobs", "show", job_id, "--events", env=env)).stdout)


# ---------------------------------------------------------------- jobs, worker, artifacts


def test_jobs_run_in_a_worker_process_and_leave_artifacts(env_no_models, tmp_path):
    env = env_no_models
    job_id = ok(
        zaowu("jobs", "submit", "steps", '{"steps": 3, "step_seconds": 0.01, "label": "parcel"}', env=env)
    ).stdout.strip()
    assert job_id.startswith("job_")
    listed = ok(zaowu("jobs", "list", env=env)).stdout
    assert re.search(rf"^{job_id} .* steps +queued ", listed, re.MULTILINE), listed  # no worker yet: it waits
    long_id = ok(
        zaowu(
            "jobs",
            "submit",
            "steps",
            "--priority",
            "-10",
            env=env,
            input='{"steps": 1000, "step_seconds": 0.05, "group": "long"}',
        )
    ).stdout.strip()

    worker = subprocess.Popen([*ZAOWU, "worker", "--threads", "2"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        done = ok(zaowu("jobs", "wait", job_id, "--quiet", env=env, timeout=120))
        assert json.loads(done.stdout)["label"] == "parcel"
        job = show(job_id, env)
        assert job["state"] == "succeeded" and job["worker"] and job["caller"]
        assert [e["data"]["state"] for e in job["events"] if e["type"] == "state"] == ["queued", "running", "succeeded"]

        deadline = time.monotonic() + 120
        while not any(e["type"] == "progress" for e in show(long_id, env)["events"]):  # the long job is running
            assert time.monotonic() < deadline, "the worker never started the long job"
            time.sleep(0.1)
        assert ok(zaowu("jobs", "cancel", long_id, env=env)).stdout.strip() == f"{long_id}: running (stopping)"
        assert f"job {long_id} cancelled" in failed(zaowu("jobs", "wait", long_id, "--quiet", env=env, timeout=120))
        assert 0 < show(long_id, env)["progress"] < 0.5
    finally:
        worker.send_signal(signal.SIGINT)
        _, err = worker.communicate(timeout=30)
    assert "running 2 thread(s)" in err and "stopping" in err

    # the job's files: listed, read to stdout and to a file
    arts = ok(zaowu("artifacts", "list", "--job", job_id, env=env)).stdout.splitlines()
    assert len(arts) == 2 and all("text/plain" in a for a in arts)
    final = next(a.split()[0] for a in arts if a.endswith("final.txt"))
    shown = zaowu("artifacts", "get", final, env=env).stdout
    assert unlabelled_text(shown) == "parcel done after 3 steps" and "AIGC" in shown  # stored with its labels
    out = tmp_path / "final.txt"
    size = len(shown.encode())
    assert f"wrote {size} bytes to {out}" in ok(zaowu("artifacts", "get", final, "-o", str(out), env=env)).stderr
    assert out.read_text() == shown
    assert ok(zaowu("artifacts", "prune", env=env)).stdout.startswith("pruned 0 artifact record(s)")  # no retention set

    assert "Unknown job kind 'paint'" in failed(zaowu("jobs", "submit", "paint", "{}", env=env))
    assert "not valid JSON" in failed(zaowu("jobs", "submit", "steps", "{steps", env=env))
    assert "No job with id" in failed(zaowu("jobs", "show", "job_nope", env=env))


def test_jobs_submit_wait_runs_here_without_a_worker(env_no_models):
    done = ok(
        zaowu(
            "jobs", "submit", "steps", '{"steps": 2, "step_seconds": 0, "label": "here"}', "--wait", env=env_no_models
        )
    )
    assert json.loads(done.stdout)["label"] == "here" and done.stderr.startswith("job_")


# ---------------------------------------------------------------- keys


def test_keys_create_list_revoke_usage(env_no_models, tmp_path):
    from zaowu.errors import AuthenticationError
    from zaowu.settings import Settings
    from zaowu.studio.db import open_database
    from zaowu.studio.keys import KeyStore

    env = env_no_models
    made = ok(zaowu("keys", "create", "shop", "--scope", "text", "--scope", "audio", "--rpm", "30", env=env))
    secret = made.stdout.strip()
    assert secret.startswith("zw-") and "store this secret now" in made.stderr and secret not in made.stderr
    line = ok(zaowu("keys", "list", env=env)).stdout
    assert re.search(r"^shop +zw-\S+… +active +text,audio +requests_per_minute=30", line, re.MULTILINE), line
    assert secret not in line  # only its prefix is shown

    db = open_database(Settings(data_dir=tmp_path / "data").db_url)
    try:
        store = KeyStore(db)
        assert store.authenticate(f"Bearer {secret}", True).name == "shop"  # the printed secret works
        assert ok(zaowu("keys", "usage", "shop", env=env)).stdout.startswith("shop:")
        assert ok(zaowu("keys", "revoke", "shop", env=env)).stdout.strip() == "revoked 'shop'"
        assert " revoked " in ok(zaowu("keys", "list", env=env)).stdout
        with pytest.raises(AuthenticationError):
            store.authenticate(f"Bearer {secret}", True)
    finally:
        db.dispose()
    assert "painting" in failed(zaowu("keys", "create", "bad", "--scope", "painting", env=env))


# ---------------------------------------------------------------- speak, transcribe, music


needs_speech = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg is not installed")


@needs_speech
@pytest.mark.slow
def test_speak_then_transcribe(env, tmp_path):
    wav = tmp_path / "hello.wav"
    said = ok(zaowu("speak", "The train to London leaves from platform nine.", "-o", str(wav), env=env))
    assert said.stdout.startswith(f"wrote {wav} (") and "s of speech" in said.stdout
    with wave.open(io.BytesIO(wav.read_bytes())) as w:
        assert w.getnframes() / w.getframerate() > 1.5
    heard = ok(zaowu("transcribe", str(wav), "-l", "en", env=env)).stdout.lower()
    assert "london" in heard and "platform" in heard, heard
    srt = tmp_path / "hello.srt"
    ok(zaowu("transcribe", str(wav), "-f", "srt", "-o", str(srt), env=env))
    assert srt.read_text().startswith("1\n00:00:0")
    mp3 = tmp_path / "stdin.mp3"
    ok(zaowu("speak", "-o", str(mp3), env=env, input="Read from the standard input."))
    assert mp3.read_bytes()[:3] in (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")
    assert "voice" in failed(zaowu("speak", "hi", "-v", "nobody", "-o", str(tmp_path / "x.wav"), env=env))
    assert not (tmp_path / "x.wav").exists()
    assert logged(tmp_path) == [
        ("speech", "ok"),
        ("transcription", "ok"),
        ("transcription", "ok"),
        ("speech", "ok"),
        ("speech", "error"),
    ]  # the refused voice is logged as an error


def logged(tmp_path) -> list[tuple[str, str]]:
    """(modality, status) of the CLI's generations in the data folder's log, oldest first."""
    from zaowu.settings import Settings
    from zaowu.studio.db import open_database
    from zaowu.studio.genlog import GenerationLog

    db = open_database(Settings(data_dir=tmp_path / "data").db_url)
    try:
        rows = GenerationLog(db).list(limit=100, interface="cli")
    finally:
        db.dispose()
    return [(r["modality"], r["status"]) for r in reversed(rows)]


@needs_speech
@pytest.mark.slow
def test_music_writes_audio_and_midi_and_says_the_plan(env, tmp_path):
    mido = pytest.importorskip("mido")
    out, midi = tmp_path / "calm.wav", tmp_path / "calm.mid"
    done = ok(
        zaowu(
            "music",
            "calm piano for a rainy evening",
            "-d",
            "8",
            "--seed",
            "4",
            "-o",
            str(out),
            "--midi",
            str(midi),
            env=env,
        )
    )
    said = re.match(
        rf"wrote {re.escape(str(out))} \(8 s, seed 4, (\w+) in ([A-G][b#]?) (major|minor) at (\d+) bpm\)", done.stdout
    )
    assert said, done.stdout
    with wave.open(str(out)) as w:
        assert abs(w.getnframes() / w.getframerate() - 8) < 1.5
    notes = [m for t in mido.MidiFile(str(midi)).tracks for m in t if m.type == "note_on"]
    assert notes
    assert logged(tmp_path) == [("text", "ok"), ("music", "ok")]  # the planner's answer, then the music
    assert "duration" in failed(zaowu("music", "x", "-d", "1", "-o", str(tmp_path / "short.wav"), env=env))


# ---------------------------------------------------------------- workflows


def test_workflow_run_show_and_resume(env_no_models, tmp_path):
    env = env_no_models
    counter, flag = tmp_path / "count", tmp_path / "flag"
    spec = {
        "id": "add-then-flaky",
        "inputs": {"x": {"type": "number"}},
        "nodes": {
            "first": {"step": "test.add", "with": {"a": "${inputs.x}", "b": 2, "counter": str(counter)}},
            "flaky": {
                "step": "test.flaky",
                "with": {"value": "${first.sum}", "flag": str(flag), "counter": str(counter)},
            },
        },
        "outputs": {"value": "${flaky.value}", "file": "${flaky.file}"},
    }
    path = tmp_path / "flow.json"
    path.write_text(json.dumps(spec))
    out = tmp_path / "files"
    run = json.loads(
        ok(zaowu("workflow", "run", str(path), "-i", "x=1", "--seed", "3", "-o", str(out), env=env)).stdout
    )
    assert run["status"] == "succeeded" and run["outputs"]["value"] == 30
    assert content_of((out / "value.txt").read_bytes()) == b"value=3"
    assert json.loads(ok(zaowu("workflow", "show", run["id"], env=env)).stdout)["outputs"] == run["outputs"]

    flag.write_text("broken")
    error = failed(zaowu("workflow", "run", str(path), "-i", "x=2", env=env))
    assert "Step 'flaky'" in error and "flag file exists" in error
    run_id = re.search(r"Resume the run with id '([^']+)'", error).group(1)
    shown = json.loads(ok(zaowu("workflow", "show", run_id, env=env)).stdout)
    assert shown["status"] == "failed" and shown["failed_step"] == "flaky"
    assert "flag file exists" in failed(zaowu("workflow", "resume", run_id, env=env))  # not fixed yet: fails again
    runs_of_first = counter.read_text().split().count("first")

    flag.unlink()
    resumed = json.loads(ok(zaowu("workflow", "resume", run_id, env=env)).stdout)
    assert resumed["id"] == run_id and resumed["status"] == "succeeded" and resumed["outputs"]["value"] == 40
    assert counter.read_text().split().count("first") == runs_of_first  # only the failed step ran again
    assert json.loads(ok(zaowu("workflow", "show", run_id, env=env)).stdout)["status"] == "succeeded"
    assert "x" in failed(zaowu("workflow", "run", str(path), env=env))  # a missing input is named
