"""Audio helpers shared by music and speech: level, fades, WAV, and encoding with ffmpeg.

Samples are numpy float32 arrays shaped (frames, channels) in [-1, 1]. WAV is
written with the standard library; FLAC, Ogg Vorbis, Opus and MP3 by the
ffmpeg command-line tool (Debian package ``ffmpeg``), run as a separate process.
numpy is imported inside the functions.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import BackendError, InvalidRequest

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

__all__ = ["MIME", "PEAK_LIMIT", "normalise", "fit_length", "to_wav", "read_wav", "encode", "decode"]

PEAK_LIMIT = 10 ** (-1 / 20)  # -1 dBFS
MIME = {
    "wav": "audio/wav",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
    "opus": "audio/ogg",
    "mp3": "audio/mpeg",
    "midi": "audio/midi",
}
_FFMPEG_ARGS = {
    "flac": ["-c:a", "flac", "-f", "flac"],
    "ogg": ["-c:a", "libvorbis", "-q:a", "5", "-f", "ogg"],
    "opus": ["-c:a", "libopus", "-b:a", "64k", "-ar", "48000", "-f", "ogg"],
    "mp3": ["-c:a", "libmp3lame", "-b:a", "192k", "-f", "mp3"],
}


def normalise(samples: np.ndarray, target_rms_db: float = -16.0) -> np.ndarray:
    """Bring the level towards ``target_rms_db`` without letting the peak pass -1 dBFS."""
    import numpy as np

    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    if peak < 1e-9:
        return samples.astype(np.float32)
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    gain = min(10 ** (target_rms_db / 20) / max(rms, 1e-9), PEAK_LIMIT / peak)
    return (samples * gain).astype(np.float32)


def fit_length(samples: np.ndarray, frames: int, sample_rate: int, fade_out: float) -> np.ndarray:
    """Trim or pad to exactly ``frames``, with a 10 ms fade-in and a cosine fade-out of ``fade_out`` s."""
    import numpy as np

    out = np.zeros((frames, samples.shape[1]), dtype=np.float32)
    n = min(frames, len(samples))
    out[:n] = samples[:n]
    fade_in = min(frames, int(0.01 * sample_rate))
    out[:fade_in] *= np.linspace(0.0, 1.0, fade_in, dtype=np.float32)[:, None]
    tail = min(frames, int(fade_out * sample_rate))
    if tail > 0:
        ramp = 0.5 * (1 + np.cos(np.linspace(0, np.pi, tail, dtype=np.float32)))
        out[frames - tail :] *= ramp[:, None]
    return out


def to_wav(samples: np.ndarray, sample_rate: int) -> bytes:
    """16-bit PCM WAV bytes (samples clipped to [-1, 1])."""
    import numpy as np

    pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(samples.shape[1])
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    """Samples and rate of 16-bit PCM WAV bytes."""
    import numpy as np

    try:
        with wave.open(io.BytesIO(data), "rb") as w:
            if w.getsampwidth() != 2:
                raise InvalidRequest("only 16-bit PCM WAV is read here", param="audio")
            raw = w.readframes(w.getnframes())
            channels, rate = w.getnchannels(), w.getframerate()
    except (wave.Error, EOFError) as exc:
        raise InvalidRequest(f"not a WAV file: {exc}", param="audio") from None
    return np.frombuffer(raw, dtype="<i2").reshape(-1, channels).astype(np.float32) / 32768.0, rate


def _ffmpeg() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        raise BackendError("ffmpeg is not installed; install it (Debian: apt-get install ffmpeg) or ask for wav.")
    return path


def encode(wav: bytes, fmt: str, timeout: float = 300) -> bytes:
    """Convert WAV bytes to ``fmt`` (wav, flac, ogg, opus or mp3)."""
    if fmt == "wav":
        return wav
    if fmt not in _FFMPEG_ARGS:
        raise InvalidRequest(f"unknown audio format '{fmt}'; use one of wav, {', '.join(_FFMPEG_ARGS)}", param="format")
    with tempfile.TemporaryDirectory(prefix="zaowu-audio-") as tmp:
        src, dst = Path(tmp) / "in.wav", Path(tmp) / f"out.{fmt}"
        src.write_bytes(wav)
        cmd = [
            _ffmpeg(),
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(src),
            *_FFMPEG_ARGS[fmt],
            str(dst),
        ]
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout)
        if proc.returncode != 0 or not dst.is_file():
            raise BackendError(f"ffmpeg could not encode {fmt}: {proc.stderr.decode(errors='replace')[-500:]}")
        return dst.read_bytes()


def decode(data: bytes, sample_rate: int = 16000, timeout: float = 300, param: str = "audio") -> np.ndarray:
    """Any audio ffmpeg reads, as mono float32 at ``sample_rate``; unreadable bytes are an InvalidRequest."""
    import numpy as np

    if not data:
        raise InvalidRequest("the audio is empty", param=param)
    with tempfile.TemporaryDirectory(prefix="zaowu-audio-") as tmp:
        src = Path(tmp) / "in"
        src.write_bytes(data)
        cmd = [
            _ffmpeg(),
            "-nostdin",
            "-hide_banner",
            "-loglevel",
            "error",
            "-i",
            str(src),
            "-ac",
            "1",
            "-ar",
            str(sample_rate),
            "-f",
            "f32le",
            "-",
        ]
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout)
    if proc.returncode != 0:
        reason = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["unknown reason"]
        raise InvalidRequest(
            f"the audio could not be decoded ({reason[0]}); send wav, mp3, flac, ogg or m4a", param=param
        )
    samples = np.frombuffer(proc.stdout, dtype="<f4").copy()
    if samples.size == 0:
        raise InvalidRequest("the audio holds no samples", param=param)
    return samples
