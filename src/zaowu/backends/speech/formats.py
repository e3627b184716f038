"""Transcription output formats: json, text, srt, vtt and verbose_json (OpenAI's shapes).

Standard library only.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

__all__ = ["Segment", "Transcript", "format_transcript", "MIME"]

MIME = {
    "json": "application/json",
    "verbose_json": "application/json",
    "text": "text/plain; charset=utf-8",
    "srt": "application/x-subrip",
    "vtt": "text/vtt",
}


@dataclass
class Segment:
    id: int
    start: float
    end: float
    text: str
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 0.0
    temperature: float = 0.0
    tokens: list[int] = field(default_factory=list)
    seek: int = 0


@dataclass
class Transcript:
    language: str
    duration: float
    segments: list[Segment]

    @property
    def text(self) -> str:
        joiner = "" if self.language in ("zh", "ja", "yue") else " "
        return joiner.join(s.text.strip() for s in self.segments).strip()


def _clock(seconds: float, sep: str) -> str:
    ms = max(0, round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def to_srt(t: Transcript) -> str:
    blocks = [
        f"{i}\n{_clock(s.start, ',')} --> {_clock(s.end, ',')}\n{s.text.strip()}\n"
        for i, s in enumerate(t.segments, start=1)
    ]
    return "\n".join(blocks)


def to_vtt(t: Transcript) -> str:
    blocks = [f"{_clock(s.start, '.')} --> {_clock(s.end, '.')}\n{s.text.strip()}\n" for s in t.segments]
    return "WEBVTT\n\n" + "\n".join(blocks)


def format_transcript(t: Transcript, fmt: str) -> str:
    if fmt == "text":
        return t.text + "\n"
    if fmt == "srt":
        return to_srt(t)
    if fmt == "vtt":
        return to_vtt(t)
    if fmt == "verbose_json":
        body = {
            "task": "transcribe",
            "language": t.language,
            "duration": round(t.duration, 3),
            "text": t.text,
            "segments": [asdict(s) | {"start": round(s.start, 3), "end": round(s.end, 3)} for s in t.segments],
        }
        return json.dumps(body, ensure_ascii=False)
    if fmt == "json":
        return json.dumps({"text": t.text}, ensure_ascii=False)
    raise ValueError(f"unknown transcript format '{fmt}'")
