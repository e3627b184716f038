"""The music backend: plan -> zaowu's composer -> MIDI -> FluidSynth -> audio.

No neural model is involved: the composer is code that follows music theory,
and the sound comes from FluidSynth with the General MIDI soundfont. The result
holds the audio and the MIDI it was rendered from; the same plan, duration and
seed give byte-identical MIDI.
"""

from __future__ import annotations

import logging
import random
import time
from typing import Any, ClassVar

from pydantic import BaseModel, Field, ValidationError

from ...errors import InvalidRequest
from ...types import Media, MediaResult, Modality, MusicRequest
from ..base import BackendOptions, MediaBackend, Progress
from ..hookspecs import hookimpl
from .plan import MusicPlan, plan_from_seed

log = logging.getLogger(__name__)

__all__ = ["MusicBackend", "MusicOptions", "validate_plan"]

MIN_DURATION, MAX_DURATION = 5.0, 300.0


class MusicOptions(BackendOptions):
    soundfont: str | None = Field(None, description="a .sf2 General MIDI soundfont (default: FluidR3_GM)")
    sample_rate: int = Field(44100, ge=8000, le=96000)
    gain: float = Field(0.4, gt=0, le=2, description="FluidSynth master gain before normalisation")


def validate_plan(plan: MusicPlan | dict[str, Any] | None) -> MusicPlan | None:
    """A MusicPlan from a plan or its dict form; mistakes are InvalidRequest naming the field."""
    if plan is None or isinstance(plan, MusicPlan):
        return plan
    try:
        return MusicPlan.model_validate(plan)
    except ValidationError as exc:
        raise InvalidRequest.from_validation(exc, "plan") from None


class MusicBackend(MediaBackend):
    id = "composer"
    modality = Modality.music
    description = "zaowu's music-theory composer, rendered by FluidSynth with the General MIDI soundfont"
    licence = "Apache-2.0 (FluidSynth, LGPL-2.1, runs as a separate process)"
    formats: ClassVar[tuple[str, ...]] = ("wav", "flac", "ogg", "mp3")
    Options = MusicOptions

    def generate(
        self,
        request: BaseModel,
        seed: int | None,
        progress: Progress | None = None,
        *,
        plan: MusicPlan | dict[str, Any] | None = None,
    ) -> MediaResult:
        from .audio import MIME, encode, to_wav
        from .composer import compose
        from .render import render_midi

        report = progress or (lambda fraction, message: None)
        # 1. check inputs
        if not isinstance(request, MusicRequest):
            raise InvalidRequest(f"the music backend takes a MusicRequest, not {type(request).__name__}")
        if not MIN_DURATION <= request.duration <= MAX_DURATION:
            raise InvalidRequest(
                f"duration must be between {MIN_DURATION:g} and {MAX_DURATION:g} seconds, got {request.duration:g}",
                param="duration",
            )
        if request.format not in self.formats:
            raise InvalidRequest(f"format must be one of {', '.join(self.formats)}", param="format")
        seed = seed if seed is not None else random.randrange(2**31)
        # 2. the plan: given, carried by the request, or made from the seed and the prompt's keywords
        plan = validate_plan(plan if plan is not None else getattr(request, "plan", None))
        if plan is None:
            plan = plan_from_seed(seed, prompt=request.prompt)
        report(0.05, f"planned {plan.genre.value} in {plan.key} {plan.mode} at {plan.tempo} bpm")
        # 3. compose
        started = time.perf_counter()
        piece = compose(plan, request.duration, seed)
        report(0.15, f"composed {piece.bars} bars ({', '.join(f'{n} {b}' for n, b in piece.sections)})")
        # 4. render and encode
        opts: MusicOptions = self.options  # type: ignore[assignment]
        samples = render_midi(
            piece.midi, request.duration, sample_rate=opts.sample_rate, soundfont=opts.soundfont, gain=opts.gain
        )
        report(0.85, "rendered with FluidSynth")
        audio = encode(to_wav(samples, opts.sample_rate), request.format)
        elapsed = time.perf_counter() - started
        report(1.0, f"{request.duration:g} s of music in {elapsed:.1f} s")
        meta = {
            "duration": request.duration,
            "tempo": round(piece.tempo, 3),
            "bars": piece.bars,
            "sections": piece.sections,
            "plan": plan.model_dump(mode="json"),
        }
        return MediaResult(
            media=[
                Media(
                    data=audio,
                    mime=MIME[request.format],
                    meta={**meta, "format": request.format, "sample_rate": opts.sample_rate, "channels": 2},
                ),
                Media(data=piece.midi, mime=MIME["midi"], meta={**meta, "format": "midi"}),
            ],
            model=self.model.id,
            seed=seed,
            usage={"media_seconds": float(request.duration), "processing_seconds": round(elapsed, 3)},
        )


@hookimpl
def register_backends(register):
    register(MusicBackend)
