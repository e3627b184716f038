"""Labels on FLAC, Ogg (Vorbis, Opus), MP3 (the cue) and MIDI files, and on CSV (which cannot hold one).

FLAC and Ogg: the file is decoded once (the ffmpeg command-line tool, a separate process, as the music backend
encodes), the short-long-short-short cue (``audio.py``) is put before the sound, and it is encoded again in the
same codec (FLAC losslessly; Vorbis and Opus at ``VORBIS_QUALITY`` / ``OPUS_BITRATE``) with the implicit label
as the Vorbis comments ``AIGC`` and ``comment``. Verify reads the comments with PyAV and listens for the cue in
the first seconds. An MP3 gets the cue the same way (at ``MP3_BITRATE``); its label stays the ID3 ``TXXX`` frame.

MIDI (no sound of its own to carry a cue): a ``marker`` meta event "AI-generated (AIGC)" at the start of the
first track, the notice DAWs and players show on the timeline (the explicit label), a ``copyright`` event
saying the same, and a ``text`` meta event ``AIGC=<label JSON>`` (the implicit label). Notes and timing are
untouched.

CSV: a comment line or an extra column breaks the readers CSV is made for (spreadsheets, pandas, databases), so
the file is stored as made and its label is kept in the artifact's record (``meta["labels"]["aigc"]``), where
``Studio.verify`` finds it by the file's hash.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path
from typing import Any

from .aigc import parse
from .audio import detect_cue, label_wav

__all__ = [
    "MIDI_MARKER",
    "detect_encoded_cue",
    "detect_midi_mark",
    "label_encoded",
    "label_midi",
    "ogg_codec",
    "read_encoded_label",
    "read_midi_label",
]

log = logging.getLogger(__name__)

OPUS_BITRATE = "96k"  # the labelled Opus file's bitrate (the music backend's own is 64k: no audible loss added)
MP3_BITRATE = "192k"  # the labelled MP3's bitrate (as the music backend encodes)
VORBIS_QUALITY = "5"  # libvorbis -q:a of the labelled Vorbis file (as the music backend encodes)
FFMPEG_TIMEOUT = 300.0  # seconds one decode or encode of a labelled audio file may take
CUE_READ_SECONDS = 2.0  # how much of the sound verify decodes to listen for the cue
MIDI_MARKER = "AI-generated (AIGC)"  # the marker and copyright text of a labelled MIDI file (ASCII: MIDI meta)
MIDI_LABEL_PREFIX = "AIGC="  # the text meta event holding the implicit label
_ENCODE_ARGS = {
    "flac": ["-c:a", "flac", "-f", "flac"],
    "vorbis": ["-c:a", "libvorbis", "-q:a", VORBIS_QUALITY, "-f", "ogg"],
    "opus": ["-c:a", "libopus", "-b:a", OPUS_BITRATE, "-f", "ogg"],
    "mp3": ["-c:a", "libmp3lame", "-b:a", MP3_BITRATE, "-f", "mp3"],
}


def ogg_codec(data: bytes) -> str | None:
    """The codec of an Ogg file's first stream from its first page (opus, vorbis), None if neither."""
    head = data[:512]
    if b"OpusHead" in head:
        return "opus"
    if b"\x01vorbis" in head:
        return "vorbis"
    return None


def _ffmpeg(args: list[str], what: str) -> None:
    path = shutil.which("ffmpeg")
    if path is None:
        raise RuntimeError(f"ffmpeg is not installed: cannot {what} (Debian: apt-get install ffmpeg)")
    cmd = [path, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args]
    proc = subprocess.run(cmd, capture_output=True, timeout=FFMPEG_TIMEOUT)
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg could not {what}: {proc.stderr.decode(errors='replace')[-300:]}")


def label_encoded(data: bytes, family: str, label_json: str | None) -> bytes:
    """A FLAC (``family`` "flac"), Ogg Vorbis/Opus ("ogg") or MP3 ("mp3") file with the cue before its sound and
    the label (when given) in its Vorbis comments, in the same codec (an MP3's label is ``audio.label_mp3``'s)."""
    codec = family if family in ("flac", "mp3") else ogg_codec(data)
    if codec is None:
        raise ValueError("an Ogg file whose stream is neither Vorbis nor Opus")
    with tempfile.TemporaryDirectory(prefix="zaowu-label-") as tmp:
        src, wav, out = Path(tmp) / "in", Path(tmp) / "sound.wav", Path(tmp) / "out"
        src.write_bytes(data)
        _ffmpeg(["-i", str(src), "-map", "0:a:0", "-c:a", "pcm_s16le", "-f", "wav", str(wav)], "decode it")
        wav.write_bytes(label_wav(wav.read_bytes(), None, cue=True))
        tags = ["-metadata", f"AIGC={label_json}", "-metadata", f"comment={label_json}"] if label_json else []
        _ffmpeg(["-i", str(wav), "-map_metadata", "-1", *tags, *_ENCODE_ARGS[codec], str(out)], f"encode {codec}")
        return out.read_bytes()


def _open(data: bytes) -> Any:
    import av

    return av.open(io.BytesIO(data))


def read_encoded_label(data: bytes) -> tuple[dict[str, str] | None, str | None]:
    """The AIGC label in a FLAC or Ogg file's Vorbis comments (container or stream tags)."""
    try:
        with _open(data) as container:
            tags = [dict(container.metadata)] + [dict(s.metadata) for s in container.streams.audio[:1]]
    except Exception:  # noqa: BLE001 - not a file PyAV reads: no label
        return None, None
    for found in tags:
        lowered = {k.lower(): v for k, v in found.items()}
        for key in ("aigc", "comment", "description"):
            if key in lowered and (fields := parse(lowered[key])):
                return fields, f"Vorbis comment {key.upper()}"
    return None, None


def detect_encoded_cue(data: bytes) -> bool:
    """Whether a FLAC or Ogg file's sound starts with the cue: its first ``CUE_READ_SECONDS`` decoded (PyAV) to
    16-bit mono and checked as ``audio.detect_cue`` checks a WAV."""
    import av
    import numpy as np

    rate = 16000
    resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
    chunks: list[Any] = []
    with _open(data) as container:
        for frame in container.decode(audio=0):
            chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
            if sum(len(c) for c in chunks) >= rate * CUE_READ_SECONDS:
                break
    if not chunks:
        return False
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.concatenate(chunks).astype("<i2").tobytes())
    return detect_cue(buf.getvalue())


def label_midi(data: bytes, label_json: str) -> bytes:
    """A MIDI file with the marker, copyright and ``AIGC=`` text meta events at the start of its first track."""
    import mido

    midi = mido.MidiFile(file=io.BytesIO(data))
    if not midi.tracks:
        midi.tracks.append(mido.MidiTrack())
    events = [
        mido.MetaMessage("marker", text=MIDI_MARKER, time=0),
        mido.MetaMessage("copyright", text=MIDI_MARKER, time=0),
        mido.MetaMessage("text", text=MIDI_LABEL_PREFIX + label_json, time=0),
    ]
    midi.tracks[0][0:0] = events  # at tick 0, before the first event (whose delta time is unchanged)
    out = io.BytesIO()
    midi.save(file=out)
    return out.getvalue()


def _midi_meta(data: bytes) -> list[Any]:
    import mido

    midi = mido.MidiFile(file=io.BytesIO(data))
    return [m for track in midi.tracks[:1] for m in track if m.is_meta and hasattr(m, "text")]


def read_midi_label(data: bytes) -> tuple[dict[str, str] | None, str | None]:
    """The AIGC label in a MIDI file's first-track text events (``AIGC=`` + JSON, or a bare label object)."""
    for message in _midi_meta(data):
        text = message.text.removeprefix(MIDI_LABEL_PREFIX)
        if message.type in ("text", "copyright") and (fields := parse(text)):
            return fields, f"MIDI {message.type} event AIGC"
    return None, None


def detect_midi_mark(data: bytes) -> bool:
    """Whether a MIDI file's first track shows an AI-generated marker."""
    return any(m.type == "marker" and "AI" in m.text and "generated" in m.text.lower() for m in _midi_meta(data))
