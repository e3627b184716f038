"""Meeting recordings → a timestamped transcript, a window at a time so memory stays flat.

``check_recording`` opens an upload with PyAV (m4a, mp3, wav, webm, ogg… anything FFmpeg decodes) and
refuses an empty, undecodable, silent-stream-less or too long recording with an InvalidRequest naming
the field. ``transcribe_recording`` decodes the audio as 16 kHz mono and cuts it into windows of about
``WINDOW_SECONDS`` (each cut placed at the quietest moment near the window's end, so no word is split);
each window goes through ``Studio.generate_media`` as its own transcription (logged and metered like any
other), and its segments are shifted by the window's start. Only one window of samples is held at once.
``parse_transcript`` reads a pasted transcript (lines, optionally ``[mm:ss]`` and ``Name:`` prefixed).
"""

from __future__ import annotations

import difflib
import io
import json
import logging
import re
import wave
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from ..errors import InvalidRequest
from ..types import LOCAL, Caller, TranscriptionRequest

if TYPE_CHECKING:
    import numpy as np

    from .engine import Studio

log = logging.getLogger(__name__)

__all__ = [
    "Line",
    "Transcript",
    "check_recording",
    "transcribe_recording",
    "parse_transcript",
    "stamp",
    "RATE",
    "WINDOW_SECONDS",
]

RATE = 16000  # Whisper's sample rate
WINDOW_SECONDS = 300.0  # audio sent to the recogniser at once: bounds the samples held in memory
CUT_SEARCH_SECONDS = 20.0  # a window ends at the quietest 100 ms within this much before its nominal end
MAX_CHARS_PER_SECOND = 30  # faster than anyone speaks (about 15 in English, 6 in Chinese): a hallucinated segment
REPEAT_RATIO = 0.85  # a segment this similar to one just before is Whisper looping, not speech
_FRAME = RATE // 10  # 100 ms, the unit the quiet-moment search works in


class Line(BaseModel):
    """One timestamped piece of the transcript (seconds from the start; None for a pasted line)."""

    start: float | None = None
    end: float | None = None
    speaker: str | None = None
    text: str


class Transcript(BaseModel):
    language: str
    duration: float | None = None
    lines: list[Line] = Field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def stamp(seconds: float | None) -> str:
    """'[mm:ss]' ('[h:mm:ss]' past an hour); '' for an unknown time."""
    if seconds is None:
        return ""
    s = int(seconds)
    h, rest = divmod(s, 3600)
    return f"[{h}:{rest // 60:02d}:{rest % 60:02d}]" if h else f"[{rest // 60:02d}:{rest % 60:02d}]"


def _open(data: bytes, param: str):
    import av

    if not data:
        raise InvalidRequest(f"'{param}' is empty. Upload a recording (m4a, mp3, wav, webm or ogg).", param=param)
    try:
        container = av.open(io.BytesIO(data), mode="r", metadata_errors="ignore")
    except (av.FFmpegError, OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequest(
            f"'{param}' is not a recording FFmpeg can read ({type(exc).__name__}). Upload m4a, mp3, wav, webm or ogg.",
            param=param,
        ) from None
    if not container.streams.audio:
        container.close()
        raise InvalidRequest(f"'{param}' holds no audio stream. Upload a recording with sound.", param=param)
    return container


def _samples(data: bytes, param: str) -> Iterator[np.ndarray]:
    """The recording as 16 kHz mono int16 blocks, decoded as it goes."""
    import av

    container = _open(data, param)
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    try:
        for frame in container.decode(container.streams.audio[0]):
            for chunk in resampler.resample(frame):
                yield chunk.to_ndarray().reshape(-1)
        for chunk in resampler.resample(None):
            yield chunk.to_ndarray().reshape(-1)
    except av.FFmpegError as exc:
        raise InvalidRequest(
            f"'{param}' could not be decoded ({type(exc).__name__}); the file may be cut short or damaged.",
            param=param,
        ) from None
    finally:
        container.close()


def check_recording(data: bytes, *, max_bytes: int, max_seconds: float, param: str = "file") -> float:
    """The recording's length in seconds, after checking it is within the limits and decodes to sound."""
    if len(data) > max_bytes:
        raise InvalidRequest(
            f"'{param}' is larger than {max_bytes >> 20} MB (setting minutes_max_upload_bytes). "
            "Send a shorter recording or compress it (e.g. m4a or mp3).",
            param=param,
        )
    seconds = 0.0
    for block in _samples(data, param):  # decoding is ~500x real time: a full pass proves the file is whole
        seconds += block.size / RATE
        if seconds > max_seconds:
            raise _too_long(param, max_seconds)
    if seconds <= 0:
        raise InvalidRequest(f"'{param}' decodes to no sound. Upload a recording with speech.", param=param)
    return seconds


def _too_long(param: str, max_seconds: float) -> InvalidRequest:
    return InvalidRequest(
        f"'{param}' is longer than {max_seconds / 60:.0f} minutes (setting minutes_max_seconds). "
        "Split the recording and send the parts.",
        param=param,
    )


def _quiet_cut(buffer: np.ndarray, nominal: int) -> int:
    """Index near ``nominal`` (searching back ``CUT_SEARCH_SECONDS``) at the quietest 100 ms."""
    import numpy as np

    lo = max(0, nominal - int(CUT_SEARCH_SECONDS * RATE))
    frames = (nominal - lo) // _FRAME
    if frames < 2:
        return nominal
    region = buffer[lo : lo + frames * _FRAME].astype(np.float32).reshape(frames, _FRAME)
    energy = (region**2).mean(axis=1)
    return lo + int(np.argmin(energy)) * _FRAME + _FRAME // 2


def windows(data: bytes, *, param: str = "file", max_seconds: float | None = None) -> Iterator[tuple[float, bytes]]:
    """(start seconds, 16 kHz mono WAV) for each window of the recording."""
    import numpy as np

    size = int(WINDOW_SECONDS * RATE)
    parts: list[np.ndarray] = []
    held, offset = 0, 0
    for block in _samples(data, param):
        parts.append(block)
        held += block.size
        if max_seconds is not None and (offset + held) / RATE > max_seconds:
            raise _too_long(param, max_seconds)
        if held >= size + int(CUT_SEARCH_SECONDS * RATE):
            buffer = np.concatenate(parts)
            cut = _quiet_cut(buffer, size)
            yield offset / RATE, _wav(buffer[:cut])
            parts, held, offset = [buffer[cut:]], buffer.size - cut, offset + cut
    if held:
        yield offset / RATE, _wav(np.concatenate(parts))


def _wav(samples: np.ndarray) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.astype("<i2").tobytes())
    return out.getvalue()


def _plausible(line: Line, before: list[Line]) -> bool:
    """False for what Whisper invents in silence: a segment spoken impossibly fast (more than
    ``MAX_CHARS_PER_SECOND``) or repeating one of the last few segments (nearly) word for word."""
    if not line.text:
        return False
    seconds = max((line.end or 0) - (line.start or 0), 0.0)
    if len(line.text) > 8 and len(line.text) > MAX_CHARS_PER_SECOND * seconds:
        return False
    return all(difflib.SequenceMatcher(None, line.text, b.text).ratio() < REPEAT_RATIO for b in before)


def transcribe_recording(
    studio: Studio,
    data: bytes,
    *,
    language: str | None = None,
    who: Caller = LOCAL,
    scope: str | None = None,
    progress: Callable[[float, str], None] | None = None,
    generation: Callable[[str | None], None] | None = None,
    max_seconds: float | None = None,
) -> Transcript:
    """The recording's transcript with timestamps, one recogniser call per window. The language the first
    window is heard in (unless ``language`` is given) is kept for the rest, so one meeting reads as one
    language. ``generation`` receives each transcription's generation id."""
    report = progress or (lambda fraction, message: None)
    lines: list[Line] = []
    detected, end = language, 0.0
    for start, wav in windows(data, max_seconds=max_seconds):
        request = TranscriptionRequest(audio=wav, language=detected, format="verbose_json")
        result = studio.generate_media(request, who=who, scope=scope)
        if generation is not None:
            generation(result.generation_id)
        body: dict[str, Any] = json.loads(result.media[0].data)
        detected = detected or body.get("language")
        end = start + float(body.get("duration") or 0)
        for s in body.get("segments") or []:
            line = Line(
                start=start + float(s["start"]), end=start + float(s["end"]), text=str(s.get("text") or "").strip()
            )
            if _plausible(line, lines[-3:]):
                lines.append(line)
        report(0.0, f"transcribed {stamp(end)}")
    language = "zh" if (detected or "").startswith(("zh", "yue")) else "en"
    return Transcript(language=language, duration=round(end, 3), lines=lines)


_STAMP = re.compile(r"^\s*\[?\(?(?:(\d{1,2}):)?(\d{1,2}):(\d{2})(?:[.,]\d+)?\]?\)?\s*(?:-->.*?\s)?")
_SPEAKER = re.compile(r"^\s*([^\s:：\[\]]{1,24}(?:\s[^\s:：\[\]]{1,24})?)\s*[:：]\s*(?=\S)")


def parse_transcript(text: str, language: str) -> Transcript:
    """A pasted transcript, one line a line: optional '[mm:ss]' (or 'h:mm:ss') and an optional 'Name:' prefix."""
    lines: list[Line] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        start = None
        if m := _STAMP.match(line):
            start = int(m[1] or 0) * 3600 + int(m[2]) * 60 + int(m[3])
            line = line[m.end() :].strip()
        speaker = None
        if (m := _SPEAKER.match(line)) and not m[1][-1:].isdigit():
            speaker, line = m[1], line[m.end() :].strip()
        if line:
            lines.append(Line(start=start, speaker=speaker, text=line))
    return Transcript(language=language, lines=lines)
