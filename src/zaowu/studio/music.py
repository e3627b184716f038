"""Music in the middle layer: a prompt (Chinese or English) becomes a plan, the plan becomes music.

The LLM (the planner model: ``planner_model`` setting, or the run's own choice) writes the plan
through JSON-schema constrained decoding, so even a 135M-parameter model returns a valid plan by
construction; keywords the prompt names outright (genre, mood, tempo, mode) then win over the
model's guesses, anything unusable is filled from the seed (``plan_from_seed``), and the plan
sanity rules (``backends.music.sanity``) repair what is valid but wrong: instrument roles, numerals
outside the mode, a waltz nobody asked for, a tempo outside the genre, sections that miss the
duration. The checks travel with the result (each media's ``meta["checks"]``).

    plan, checks = plan_music(studio, "欢快的中国风音乐", duration=30, seed=7)
    result = studio.generate_media(MusicRequest(prompt="calm lo-fi for studying", duration=60, seed=7))

``Studio.generate_media`` runs ``plan_music_request`` (the planner registered for the composer in
``studio/planners.py``) when a music request carries no plan, and ``review_music_plan`` when it does.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from ..backends.music.plan import MusicPlan, plan_from_seed, plan_schema
from ..backends.music.sanity import check_plan
from ..errors import InvalidRequest, SchemaViolation
from ..types import LOCAL, Caller, Message, MusicRequest, ResponseFormat, TextRequest
from .planner import plan_text
from .planners import Planned, PlanRun
from .quality import Check, CheckList

if TYPE_CHECKING:
    from .engine import Studio

log = logging.getLogger(__name__)

__all__ = [
    "music_plan",
    "plan_music",
    "plan_checks",
    "plan_music_request",
    "review_music_plan",
    "validated",
    "PLAN_SYSTEM_PROMPT",
]

PLAN_SYSTEM_PROMPT = """\
# Role
You are a film and game music director who writes short arrangement plans for a composer.

# Task
Read the user's request (it may be in Chinese or English) and choose:
- genre and mood that match the request;
- key and mode (major for bright or happy music, minor for sad, dark or tense music);
- tempo in beats per minute (slow 60-80, medium 90-115, fast 120-160);
- time signature (4/4 unless a waltz is asked for, then 3/4; jazz swings in 4/4);
- General MIDI instruments: a melodic instrument for the melody, a chordal one (piano, guitar,
  strings) for the chords, and a bass instrument for the bass;
- 3 to 5 sections in order (start with intro, end with outro), each with bars and a chord
  progression in roman numerals of the chosen mode (major: I ii iii IV V vi; minor: i iv v VI III VII).

# Output
Only the JSON object described by the schema, nothing else.

# Example
Request: "upbeat pop for a product video"
{"genre": "pop", "mood": "happy", "key": "C", "mode": "major", "tempo": 116, "time_signature": "4/4",
 "instruments": {"melody": "electric_piano", "chords": "acoustic_grand_piano", "bass": "electric_bass_finger"},
 "sections": [{"name": "intro", "bars": 4, "chords": ["I", "IV"]},
              {"name": "verse", "bars": 8, "chords": ["I", "V", "vi", "IV"]},
              {"name": "chorus", "bars": 8, "chords": ["IV", "V", "iii", "vi"]},
              {"name": "outro", "bars": 4, "chords": ["IV", "V", "I"]}]}
"""


def validated(model: type[BaseModel], **fields: Any) -> Any:
    """Build a request model; a bad field becomes InvalidRequest naming it (the API maps that to 400)."""
    try:
        return model(**fields)
    except ValidationError as exc:
        raise InvalidRequest.from_validation(exc) from None


def plan_checks(plan: MusicPlan, prompt: str, duration: float, *, repair: bool = True) -> tuple[MusicPlan, CheckList]:
    """The plan sanity rules as ``Check`` records; ``repair`` false reports without changing the plan."""
    fixed, findings = check_plan(plan, prompt, duration, repair=repair)
    return fixed, CheckList(Check(**f) for f in findings)


def plan_music(
    studio: Studio,
    prompt: str,
    duration: float,
    seed: int,
    *,
    model: str | None = None,
    max_tokens: int = 700,
    who: Caller = LOCAL,
) -> tuple[MusicPlan, CheckList]:
    """The LLM's plan (``model``, else the planner model), filled from the seed, checked and repaired."""
    plan = music_plan(studio, prompt, duration, seed, model=model, max_tokens=max_tokens, who=who)
    plan, checks = plan_checks(plan, prompt, duration)
    log.info(
        "music plan after checks: %s (%s)", plan.model_dump_json(), "; ".join(f"{c.name}: {c.detail}" for c in checks)
    )
    return plan, checks


def music_plan(
    studio: Studio,
    prompt: str,
    duration: float,
    seed: int,
    *,
    model: str | None = None,
    max_tokens: int = 700,
    who: Caller = LOCAL,
) -> MusicPlan:
    """Ask the LLM for a plan through the plan's JSON schema; fill and correct it from the seed
    (the sanity rules are :func:`plan_music`'s)."""
    request = validated(MusicRequest, prompt=prompt, duration=duration, seed=seed)
    text = TextRequest(
        model=model,
        messages=[
            Message(role="system", content=PLAN_SYSTEM_PROMPT),
            Message(
                role="user",
                content=f"Request: {json.dumps(request.prompt, ensure_ascii=False)}\n"
                f"Length: {request.duration:g} seconds",
            ),
        ],
        max_tokens=max_tokens,
        temperature=0.7,
        seed=seed,
        response_format=ResponseFormat(
            type="json_schema", json_schema={"name": "music_plan", "schema": plan_schema(), "strict": True}
        ),
    )
    try:
        answer = plan_text(studio, text, who=who, scope="audio").parsed
    except SchemaViolation as exc:  # cut off by max_tokens, usually: the seed still makes a good plan
        log.warning("the LLM's music plan was unusable (%s); planning from the seed", exc.message)
        answer = None
    plan = plan_from_seed(seed, prompt=request.prompt, partial=answer if isinstance(answer, dict) else None)
    log.info("music plan: %s", plan.model_dump_json())
    return plan


def plan_music_request(studio: Studio, request: MusicRequest, run: PlanRun) -> Planned:
    """The composer's planner (run by ``Studio.generate_media`` for a request without a plan): the
    LLM's plan (``run.model``, else the planner model) for the prompt, duration and seed, checked and
    repaired; the checks are reported with the audio and the MIDI."""
    run.report(0.0, "planning the music with the language model")
    seed = request.seed if request.seed is not None else 0
    plan, checks = plan_music(studio, request.prompt, request.duration, seed, model=run.model, who=run.who)
    return Planned(request.model_copy(update={"plan": plan.model_dump(mode="json")}), checks.dump())


def review_music_plan(studio: Studio, request: MusicRequest, run: PlanRun) -> Planned:
    """A plan the request brings is checked and reported, not rewritten (a bad one is a 400 naming it)."""
    from ..backends.music.backend import validate_plan

    plan = validate_plan(request.plan)
    assert plan is not None
    plan, checks = plan_checks(plan, request.prompt, request.duration, repair=False)
    return Planned(request.model_copy(update={"plan": plan.model_dump(mode="json")}), checks.dump())
