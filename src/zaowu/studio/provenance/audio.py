"""Labels on audio: the short-long-short-short cue and the implicit label (WAV chunk, MP3 ID3 TXXX).

The cue is four 880 Hz tones (short, long, short, short) put before the sound, as GB 45438-2025
allows for audio. WAV carries the label in a LIST/INFO chunk (``ICMT``, the comment) and in an
``AIGC`` chunk of its own; MP3 in an ID3v2 ``TXXX`` frame described ``AIGC``.
"""

from __future__ import annotations

import io
import math
import struct
import wave
from array import array

from .aigc import parse

__all__ = [
    "CUE",
    "CUE_SECONDS",
    "with_stream_cue",
    "label_wav",
    "read_wav_label",
    "detect_cue",
    "without_cue",
    "label_mp3",
    "read_mp3_label",
]

CUE_HZ = 880.0
CUE = ((0.12, True), (0.08, False), (0.36, True), (0.08, False), (0.12, True), (0.08, False), (0.12, True))
CUE_TAIL = 0.25  # silence between the cue and the sound
CUE_SECONDS = sum(seconds for seconds, _ in CUE) + CUE_TAIL  # what the cue adds before the sound
CUE_LEVEL = 0.3  # peak of the cue tones (full scale 1.0)
_FRAME = 0.01  # seconds per analysis frame (cue detection)
AIGC_CHUNK = b"AIGC"


def _cue_samples(rate: int, channels: int) -> array:
    samples = array("h")
    for seconds, on in (*CUE, (CUE_TAIL, False)):
        n = int(rate * seconds)
        fade = max(1, int(rate * 0.005))
        for i in range(n):
            env = min(1.0, i / fade, (n - i) / fade) if on else 0.0
            value = int(32767 * CUE_LEVEL * env * math.sin(2 * math.pi * CUE_HZ * i / rate))
            samples.extend([value] * channels)
    return samples


def with_stream_cue(first: bytes) -> bytes:
    """A streamed WAV's first block (its 44-byte header, perhaps with sound) with the cue after the
    header; other blocks (not a 16-bit PCM WAV header) are returned as they are."""
    if len(first) < 44 or first[:4] != b"RIFF" or first[36:40] != b"data" or first[34:36] != b"\x10\x00":
        return first
    channels = int.from_bytes(first[22:24], "little")
    rate = int.from_bytes(first[24:28], "little")
    if not (1 <= channels <= 8 and 1000 <= rate <= 384_000):
        return first
    return first[:44] + _cue_samples(rate, channels).tobytes() + first[44:]


def _chunk(cid: bytes, body: bytes) -> bytes:
    return cid + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def label_wav(data: bytes, label_json: str | None, *, cue: bool) -> bytes:
    """A 16-bit PCM WAV with the cue before its sound (when ``cue``) and the label chunks (when
    ``label_json``); other WAVs get only the chunks."""
    with wave.open(io.BytesIO(data)) as src:
        params = src.getparams()
        frames = src.readframes(params.nframes)
    if cue and params.sampwidth == 2 and not detect_cue(data):  # a stream that sent the cue already
        frames = _cue_samples(params.framerate, params.nchannels).tobytes() + frames
    out = io.BytesIO()
    with wave.open(out, "wb") as dst:
        dst.setparams(params)
        dst.writeframes(frames)
    body = out.getvalue()
    if label_json:
        comment = label_json.encode("ascii") + b"\0"
        extra = _chunk(b"LIST", b"INFO" + _chunk(b"ICMT", comment)) + _chunk(AIGC_CHUNK, label_json.encode("ascii"))
        body = body[:4] + struct.pack("<I", len(body) - 8 + len(extra)) + body[8:] + extra
    return body


def _riff_chunks(data: bytes):
    pos = 12
    while pos + 8 <= len(data):
        cid, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        yield cid, data[pos + 8 : pos + 8 + size]
        pos += 8 + size + (size % 2)


def read_wav_label(data: bytes) -> tuple[dict[str, str] | None, str | None]:
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None, None
    for cid, body in _riff_chunks(data):
        if cid == AIGC_CHUNK and (fields := parse(body.rstrip(b"\0"))):
            return fields, "RIFF AIGC chunk"
        if cid == b"LIST" and body[:4] == b"INFO":
            for sub, text in _riff_chunks(b"RIFF\0\0\0\0" + body):
                if sub in (b"ICMT", b"AIGC") and (fields := parse(text.rstrip(b"\0"))):
                    return fields, f"RIFF LIST/INFO {sub.decode()}"
    return None, None


def without_cue(data: bytes) -> bytes:
    """A labelled WAV's sound without the cue before it (for a render that puts the speech inside another
    output, which carries labels of its own); a WAV without the cue is returned as it is."""
    if not detect_cue(data):
        return data
    with wave.open(io.BytesIO(data)) as src:
        params = src.getparams()
        src.readframes(round(params.framerate * CUE_SECONDS))
        frames = src.readframes(params.nframes)
    out = io.BytesIO()
    with wave.open(out, "wb") as dst:
        dst.setparams(params)
        dst.writeframes(frames)
    return out.getvalue()


def detect_cue(data: bytes) -> bool:
    """Whether a WAV starts with the short-long-short-short cue (within its first two seconds)."""
    try:
        with wave.open(io.BytesIO(data)) as src:
            rate, channels, width = src.getframerate(), src.getnchannels(), src.getsampwidth()
            frames = src.readframes(rate * 2)
    except (wave.Error, EOFError):
        return False
    if width != 2:
        return False
    samples = array("h", frames[: len(frames) - len(frames) % 2])[::channels]
    step = max(1, int(rate * _FRAME))
    on = [
        max((abs(s) for s in samples[i : i + step]), default=0) > 32767 * CUE_LEVEL * 0.3
        for i in range(0, len(samples), step)
    ]
    runs: list[tuple[bool, int]] = []
    for flag in on:
        if runs and runs[-1][0] == flag:
            runs[-1] = (flag, runs[-1][1] + 1)
        else:
            runs.append((flag, 1))
    tones = [n * _FRAME for flag, n in runs if flag][:4]
    if len(tones) < 4:
        return False
    short, long_ = tones[0], tones[1]
    return long_ >= 2 * short and abs(tones[2] - short) <= 0.04 and abs(tones[3] - short) <= 0.04


def _syncsafe(n: int) -> bytes:
    return bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])


def _unsyncsafe(b: bytes) -> int:
    return (b[0] << 21) | (b[1] << 14) | (b[2] << 7) | b[3]


def label_mp3(data: bytes, label_json: str) -> bytes:
    """An MP3 with an ID3v2.3 TXXX frame ``AIGC`` holding the label (added to its tag, or a new tag)."""
    body = b"\0AIGC\0" + label_json.encode("ascii")
    frame = b"TXXX" + struct.pack(">I", len(body)) + b"\0\0" + body
    if data[:3] == b"ID3" and data[3] in (3, 4):
        size = _unsyncsafe(data[6:10])
        if data[3] == 4:  # v2.4 frame sizes are syncsafe
            frame = b"TXXX" + _syncsafe(len(body)) + b"\0\0" + body
        return data[:6] + _syncsafe(size + len(frame)) + frame + data[10:]
    return b"ID3\x03\x00\x00" + _syncsafe(len(frame)) + frame + data


def read_mp3_label(data: bytes) -> tuple[dict[str, str] | None, str | None]:
    if data[:3] != b"ID3":
        return None, None
    end = 10 + _unsyncsafe(data[6:10])
    pos = 10
    while pos + 10 <= end:
        fid = data[pos : pos + 4]
        raw = data[pos + 4 : pos + 8]
        size = _unsyncsafe(raw) if data[3] == 4 else struct.unpack(">I", raw)[0]
        if not fid.strip(b"\0") or size <= 0:
            break
        body = data[pos + 10 : pos + 10 + size]
        if fid == b"TXXX":
            desc, _, value = body[1:].partition(b"\0")
            if desc.upper() in (b"AIGC", b"AIGC_LABEL") and (fields := parse(value.rstrip(b"\0"))):
                return fields, "ID3 TXXX:AIGC"
        pos += 10 + size
    return None, None
