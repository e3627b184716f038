"""MIDI to audio with FluidSynth and a General MIDI soundfont.

FluidSynth (LGPL-2.1, Debian ``fluidsynth``) runs as a separate process with
the ``fluid-soundfont-gm`` soundfont (MIT). It renders to raw 32-bit float, so
nothing clips inside the synthesiser; the result is trimmed to the exact
duration with a fade-out over the final chord's ring and normalised so its
peak stays at or below -1 dBFS.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import BackendError
from .audio import fit_length, normalise

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

__all__ = ["SOUNDFONTS", "find_soundfont", "render_midi"]

SOUNDFONTS = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/soundfonts/default.sf2",
)


def find_soundfont(preferred: str | None = None) -> Path:
    for candidate in ([preferred] if preferred else []) + list(SOUNDFONTS):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise BackendError(
        "No General MIDI soundfont found (looked for /usr/share/sounds/sf2/FluidR3_GM.sf2). "
        "Install one with: apt-get install fluid-soundfont-gm"
    )


def _fluidsynth() -> str:
    path = shutil.which("fluidsynth")
    if path is None:
        raise BackendError("FluidSynth is not installed. Install it with: apt-get install fluidsynth")
    return path


def render_midi(
    midi: bytes,
    duration: float,
    *,
    sample_rate: int = 44100,
    soundfont: str | None = None,
    gain: float = 0.4,
    fade_out: float | None = None,
) -> np.ndarray:
    """Render ``midi`` to stereo float32 samples lasting exactly ``duration`` seconds."""
    import numpy as np

    sf2 = find_soundfont(soundfont)
    with tempfile.TemporaryDirectory(prefix="zaowu-music-") as tmp:
        mid, raw = Path(tmp) / "in.mid", Path(tmp) / "out.raw"
        mid.write_bytes(midi)
        cmd = [
            _fluidsynth(),
            "-n",
            "-i",
            "-q",
            "-F",
            str(raw),
            "-T",
            "raw",
            "-O",
            "float",
            "-E",
            "little",
            "-r",
            str(sample_rate),
            "-g",
            str(gain),
            str(sf2),
            str(mid),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=60 + 2 * duration)
        except subprocess.TimeoutExpired:
            raise BackendError("FluidSynth did not finish rendering in time") from None
        if proc.returncode != 0 or not raw.is_file():
            raise BackendError(f"FluidSynth failed: {proc.stderr.decode(errors='replace')[-500:]}")
        samples = np.fromfile(raw, dtype="<f4")
    samples = samples[: len(samples) // 2 * 2].reshape(-1, 2)
    frames = round(duration * sample_rate)
    if fade_out is None:
        fade_out = min(2.0, 0.2 * duration)
    return normalise(fit_length(samples, frames, sample_rate, fade_out))
