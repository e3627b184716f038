"""The storyboard planner: the LLM writes a short video's scenes through a JSON schema, code repairs them,
and the speech backend narrates them; ``Studio.generate_media(VideoRequest(...))`` then renders the
storyboard with the ``storyboard`` backend (registered in ``builtin_planners.py``).

Repairs by code: the scene count follows the requested seconds, the scene durations sum to them, each
narration is cut to what a voice says in its scene at a speaking rate, absolute claims are scrubbed
(``quality/claims.py``), every scene gets a design spec (one palette for the whole clip, chosen from the
prompt's theme) and a camera move and transition from the seed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import re
from typing import TYPE_CHECKING, Any

from ..errors import Cancelled, InvalidRequest, SchemaViolation, ZaowuError
from ..types import Message, ResponseFormat, SpeechRequest, TextRequest, VideoRequest
from .planner import plan_text
from .planners import Planned, PlanRun

if TYPE_CHECKING:
    from .engine import Studio

log = logging.getLogger(__name__)

__all__ = ["board_size", "plan_storyboard", "repair_storyboard", "review_storyboard", "storyboard_schema"]

SECONDS_PER_SCENE = 4.0
"""About how long one scene lasts: the scene count is the requested seconds over this."""
SPEAKING_RATE = {"zh": 4.5, "en": 2.6}
"""Characters (zh) or words (en) a voice says per second: a scene's narration is cut to fit its length."""
PLAN_MAX_TOKENS = 900
CAMERA_CYCLE = ("zoom_in", "pan_left", "zoom_out", "pan_right", "zoom_in_right", "pan_up")
TRANSITION_CYCLE = ("crossfade", "slide", "wipe", "crossfade")

SYSTEM_PROMPT = (
    "You write storyboards for short vertical videos (ads, explainers, announcements). "
    "Each scene has narration (one or two short spoken sentences), on-screen text (a few words) and a headline "
    "for the picture. Be concrete about the user's subject; make no claims of 'best', 'No. 1' or guarantees. "
    "Write in the language asked for. Answer with JSON only."
)


def storyboard_schema(scenes: int) -> dict[str, Any]:
    """What the LLM fills: a title and exactly ``scenes`` scenes of short texts (code adds the rest)."""
    scene = {
        "type": "object",
        "properties": {
            "narration": {"type": "string", "maxLength": 160},
            "text": {"type": "string", "maxLength": 40},
            "headline": {"type": "string", "maxLength": 40},
        },
        "required": ["narration", "text", "headline"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "title": {"type": "string", "maxLength": 80},
            "scenes": {"type": "array", "items": scene, "minItems": scenes, "maxItems": scenes},
        },
        "required": ["title", "scenes"],
        "additionalProperties": False,
    }


def board_size(size: str) -> tuple[str, str]:
    """(aspect, resolution) of a ``WIDTHxHEIGHT`` size (1280x720, 720x1280, 1024x1792...)."""
    from ..backends.storyboard.spec import RESOLUTIONS

    m = re.fullmatch(r"\s*(\d{2,5})\s*[xX×]\s*(\d{2,5})\s*", size or "")
    if not m:
        raise InvalidRequest(f"'size' {size!r} is not WIDTHxHEIGHT (e.g. 720x1280 or 1280x720).", param="size")
    w, h = int(m[1]), int(m[2])
    ratio = w / h
    aspects = {"9:16": 9 / 16, "16:9": 16 / 9, "1:1": 1.0}
    aspect = min(aspects, key=lambda a: abs(aspects[a] - ratio))
    if abs(aspects[aspect] - ratio) > 0.1 * aspects[aspect]:
        raise InvalidRequest(
            f"'size' {size} is not 9:16, 16:9 or 1:1; use 720x1280, 1280x720, 720x720 or the 1080 sizes.", param="size"
        )
    short = min(w, h)
    resolution = min(RESOLUTIONS, key=lambda r: abs(RESOLUTIONS[r] - short))
    if abs(RESOLUTIONS[resolution] - short) > 0.25 * RESOLUTIONS[resolution]:
        raise InvalidRequest(f"'size' {size}: the short side must be about 360, 720 or 1080 pixels.", param="size")
    return aspect, resolution


def _language(request: VideoRequest) -> str:
    from ..backends.design.spec import is_cjk

    return request.language or ("zh" if is_cjk(request.prompt) else "en")


def _fit(text: str, seconds: float, language: str) -> str:
    """``text`` cut at a sentence (else a word or character) to what a voice says in ``seconds``."""
    rate = SPEAKING_RATE[language]
    budget = max(1, int(seconds * rate))
    units = list(text) if language == "zh" else text.split()
    if len(units) <= budget:
        return text
    cut = "".join(units[:budget]) if language == "zh" else " ".join(units[:budget])
    end = max(cut.rfind(c) for c in "。！？.!?")
    return cut[: end + 1] if end > len(cut) // 3 else cut.rstrip("，,、;；") + ("。" if language == "zh" else ".")


def repair_storyboard(
    data: Any, request: VideoRequest, seed: int, scenes: int, palette: str | None
) -> tuple[dict[str, Any], list[str]]:
    """The LLM's answer made into a valid storyboard for ``request``; returns it and what was repaired."""
    from ..backends.storyboard.render import LEAD, TAIL
    from .quality.claims import scrub_claims

    language = _language(request)
    aspect, resolution = board_size(request.size)
    rng = random.Random(f"zaowu-storyboard:{seed}")
    repairs: list[str] = []
    raw = data.get("scenes") if isinstance(data, dict) else None
    raw = [s for s in raw if isinstance(s, dict)] if isinstance(raw, list) else []
    if len(raw) != scenes:
        repairs.append(f"{len(raw)} scenes written for {scenes}")
    hint = request.duration / scenes
    offset = rng.randrange(len(CAMERA_CYCLE))
    out = []
    for i in range(scenes):
        s = raw[i] if i < len(raw) else {}
        narration = " ".join(str(s.get("narration") or "").split()) or (request.prompt if i == 0 else "")
        narration, claims = scrub_claims(narration, request.prompt)
        if claims:
            repairs.append(f"scene {i}: claims removed")
        fitted = _fit(narration, max(0.5, hint - LEAD - TAIL), language)
        if fitted != narration:
            repairs.append(f"scene {i}: narration shortened to fit {hint:.1f} s")
        text = scrub_claims(" ".join(str(s.get("text") or "").split())[:40], request.prompt)[0] or None
        headline = scrub_claims(" ".join(str(s.get("headline") or "").split())[:40], request.prompt)[0]
        visual: dict[str, Any] = {"kind": "poster", "headline": headline or text or request.prompt[:40]}
        if palette:
            visual["palette"] = palette
        if text and text != visual["headline"]:
            visual["subline"] = text
        out.append(
            {
                "narration": fitted,
                "text": text,
                "visual": visual,
                "duration": round(hint, 3),
                "camera": CAMERA_CYCLE[(offset + i) % len(CAMERA_CYCLE)],
                "transition": TRANSITION_CYCLE[i % len(TRANSITION_CYCLE)],
            }
        )
    title = " ".join(str((data or {}).get("title") or "").split())[:120] if isinstance(data, dict) else ""
    board = {
        "title": title or request.prompt[:120],
        "aspect": aspect,
        "resolution": resolution,
        "fps": 30,
        "language": language,
        "music": {},
        "subtitles": "soft",
        "scenes": out,
    }
    return board, repairs


def _palette(prompt: str, seed: int) -> str | None:
    from ..backends.design.categories import detect_theme

    options = detect_theme(prompt).palettes()
    return random.Random(f"zaowu-storyboard-palette:{seed}").choice(options) if options else None


def write_storyboard(studio: Studio, request: VideoRequest, seed: int, run: PlanRun) -> tuple[dict, list[str]]:
    """The LLM's storyboard for ``request`` (today's date and the language in the prompt), repaired."""
    scenes = max(1, min(40, round(request.duration / SECONDS_PER_SCENE)))
    language = _language(request)
    user = (
        f"Today is {dt.date.today().isoformat()}. Language: {'Chinese (简体中文)' if language == 'zh' else 'English'}.\n"
        f"Video: {json.dumps(request.prompt, ensure_ascii=False)}\n"
        f"Length: {request.duration:g} seconds in {scenes} scenes."
    )
    text = TextRequest(
        model=run.model,
        messages=[Message(role="system", content=SYSTEM_PROMPT), Message(role="user", content=user)],
        max_tokens=PLAN_MAX_TOKENS,
        temperature=0.7,
        seed=seed,
        response_format=ResponseFormat(
            type="json_schema",
            json_schema={"name": "storyboard", "schema": storyboard_schema(scenes), "strict": True},  # type: ignore[arg-type]
        ),
    )
    try:
        answer = plan_text(studio, text, who=run.who, scope="video").parsed
    except SchemaViolation as exc:  # cut off, usually: the prompt itself still makes a storyboard
        log.warning("the LLM's storyboard was unusable (%s); planning from the prompt", exc.message)
        answer = None
    return repair_storyboard(answer, request, seed, scenes, _palette(request.prompt, seed))


def narrate(studio: Studio, board: dict, run: PlanRun) -> tuple[list[bytes | None], list[str]]:
    """One WAV per scene from the speech model (None: no narration, or no voice available: reported)."""
    clips: list[bytes | None] = []
    problems: list[str] = []
    for i, scene in enumerate(board["scenes"]):
        text = (scene.get("narration") or "").strip()
        if not text:
            clips.append(None)
            continue
        run.report(0.1 + 0.2 * i / len(board["scenes"]), f"narrating scene {i + 1}")
        try:
            result = studio.generate_media(
                SpeechRequest(
                    input=text, language=scene.get("language") or board.get("language"), voice=board.get("voice")
                ),
                who=run.who,
            )
            clips.append(result.media[0].data)
        except Cancelled:
            raise
        except ZaowuError as exc:
            problems.append(f"scene {i}: no narration ({exc})")
            clips.append(None)
    return clips, problems


def _checks(repairs: list[str], problems: list[str]) -> list[dict[str, Any]]:
    checks = []
    if repairs:
        checks.append({"name": "storyboard.repaired", "ok": True, "detail": "; ".join(repairs)})
    if problems:
        checks.append({"name": "storyboard.narration", "ok": False, "detail": "; ".join(problems)})
    return checks


def plan_storyboard(studio: Studio, request: VideoRequest, run: PlanRun) -> Planned:
    """The storyboard backend's planner: the LLM's storyboard, repaired, then narrated."""
    board_size(request.size)  # a bad size fails before the LLM runs
    run.report(0.0, "writing the storyboard with the language model")
    seed = request.seed if request.seed is not None else 0
    board, repairs = write_storyboard(studio, request, seed, run)
    clips, problems = narrate(studio, board, run) if request.narration is None else (request.narration, [])
    return Planned(request.model_copy(update={"storyboard": board, "narration": clips}), _checks(repairs, problems))


def review_storyboard(studio: Studio, request: VideoRequest, run: PlanRun) -> Planned:
    """A given storyboard: checked against its schema (400 naming the field), then narrated."""
    from ..backends.storyboard.spec import validate_storyboard

    board = validate_storyboard(request.storyboard or {}).model_dump(mode="json")
    if request.narration is not None:
        return Planned(request.model_copy(update={"storyboard": board}))
    clips, problems = narrate(studio, board, run)
    return Planned(request.model_copy(update={"storyboard": board, "narration": clips}), _checks([], problems))


MAX_SECONDS = 600.0
"""The longest video one request may ask for (VideoRequest's bound)."""


def video_request(
    studio: Studio,
    *,
    prompt: str | None,
    model: str | None = None,
    seconds: Any = None,
    size: str | None = None,
    seed: Any = None,
    storyboard: Any = None,
    language: str | None = None,
    input_reference: bytes | None = None,
    presenter: dict[str, Any] | None = None,
    audio: bytes | None = None,
) -> VideoRequest:
    """A VideoRequest from an interface's loose fields (OpenAI's videos API sends ``seconds`` as a string),
    every bad one a 400 naming it: ``seconds`` 0 or over the limit, a size that is not 9:16/16:9/1:1 at
    360/720/1080, a model that is not a video model, a storyboard failing its schema. The ``presenter``
    model takes the script as ``prompt``, a portrait as ``input_reference`` (checked here: a photo without a
    usable face is a 400 before anything is queued), its options as ``presenter`` and, instead of speaking
    the script, a voice recording as ``audio`` (WAV)."""
    from ..backends.storyboard.spec import validate_storyboard
    from ..types import Modality

    if not isinstance(prompt, str) or not prompt.strip():
        raise InvalidRequest("'prompt' is required: say what the video is about.", param="prompt")
    try:
        length = float(seconds) if seconds not in (None, "") else 8.0
    except (TypeError, ValueError):
        raise InvalidRequest(f"'seconds' must be a number of seconds, not {seconds!r}.", param="seconds") from None
    if not 0 < length <= MAX_SECONDS:
        raise InvalidRequest(
            f"'seconds' must be more than 0 and at most {MAX_SECONDS:g}, got {length:g}.", param="seconds"
        )
    size = size or "720x1280"
    board_size(size)
    model = model or studio.default_model(Modality.video)
    try:
        entry = studio.catalog.get(model, Modality.video)
    except ZaowuError:
        raise InvalidRequest(
            f"'model' {model!r} is not a video model here; use 'storyboard' or 'presenter'.", param="model"
        ) from None
    if getattr(entry, "backend", None) == "presenter":
        if storyboard is not None:
            raise InvalidRequest("The presenter model takes no storyboard; leave it out.", param="storyboard")
        from .presenter import check_presenter

        presenter, size, narration = check_presenter(prompt, input_reference, presenter, size, audio)
    elif input_reference is not None or presenter is not None or audio is not None:
        field = next(
            k for k, v in (("input_reference", input_reference), ("presenter", presenter), ("audio", audio)) if v
        )
        raise InvalidRequest(f"'{field}' is for the presenter model; use model 'presenter'.", param=field)
    else:
        narration = None
    if storyboard is not None:
        storyboard = validate_storyboard(storyboard).model_dump(mode="json")
    if seed not in (None, "") and not (isinstance(seed, int) or str(seed).isdigit()):
        raise InvalidRequest("'seed' must be a whole number.", param="seed")
    try:
        return VideoRequest(
            prompt=prompt,
            model=getattr(entry, "id", model),
            duration=length,
            size=size,
            seed=int(seed) if seed not in (None, "") else None,
            storyboard=storyboard,
            language=language,  # type: ignore[arg-type]
            input_reference=input_reference,
            presenter=presenter or None,
            narration=narration,
        )
    except ValueError as exc:
        raise InvalidRequest(f"Invalid video request: {exc}", param="language") from None
