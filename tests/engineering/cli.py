"""Running the real ``zaowu`` command in a subprocess for tests: one-shot commands and ``zaowu serve``,
with an environment holding only what the test gives (no developer config, no stray ZAOWU_*)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Self

import httpx

ZAOWU = [sys.executable, "-m", "zaowu.cli.main"]


def clean_env(config: Path, **env: str) -> dict[str, str]:
    """The process environment without ZAOWU_* variables, with ``config`` as the config file and ``env`` added."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("ZAOWU_")}
    return {**base, "ZAOWU_CONFIG": str(config), **env}


def zaowu(
    *args: str, env: dict[str, str], input: bytes | str | None = None, timeout: float = 600, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    """Run ``zaowu ARGS`` to the end; stdout and stderr captured as text (bytes when ``input`` is bytes)."""
    text = not isinstance(input, bytes)
    return subprocess.run(
        [*ZAOWU, *args], env=env, input=input, capture_output=True, text=text, timeout=timeout, cwd=cwd, check=False
    )


class Serve:
    """``zaowu serve ARGS`` in the background, ready once /health answers on ``port``."""

    def __init__(self, args: list[str], env: dict[str, str], port: int, log: Path, timeout: float = 120):
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.log_path = log
        self._log = open(log, "wb")
        self.proc = subprocess.Popen(
            [*ZAOWU, "serve", "--no-preload", "--log-level", "warning", *args],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"zaowu serve exited: {log.read_text()}")
            try:
                if httpx.get(self.base_url + "/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"zaowu serve did not answer on port {port}: {log.read_text()}")

    def stop(self) -> str:
        """Stop the server; its log."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()
        return self.log_path.read_text()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
