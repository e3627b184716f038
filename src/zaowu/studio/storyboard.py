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
from .storyboard_texts import settle_narration, tidy_narration

if TYPE_CHECKING:
    from .engine import Studio

log = logging.getLogger(__name__)

__all__ = [
    "STAGES",
    "stage_of",
    "board_size",
    "plan_storyboard",
    "repair_storyboard",
    "review_storyboard",
    "storyboard_schema",
]

SECONDS_PER_SCENE = 4.0
"""About how long one scene lasts: the scene count is the requested seconds over this."""
SPEAKING_RATE = {"zh": 4.5, "en": 2.6}
"""Characters (zh) or words (en) a voice says per second: a scene's narration is cut to fit its length."""
PLAN_MAX_TOKENS = 900
CAMERA_CYCLE = ("zoom_in", "pan_left", "zoom_out", "pan_right", "zoom_in_right", "pan_up")
TRANSITION_CYCLE = ("crossfade", "slide", "wipe", "crossfade")
STAGES = {
    "storyboard": (0.0, 0.1),
    "narration": (0.1, 0.3),
    "music": (0.29, 0.3),
    "scenes": (0.3, 0.95),
    "encode": (0.95, 1.0),
}
"""A video's stages and the share of its progress each spans; progress messages start with ``STAGE: ``."""
REFERENCE_EVERY = 2
"""With a product/hero image, every this many scenes (and the last) shows it cut out on a product card."""

SYSTEM_PROMPT = (
    "You write storyboards for short vertical videos (ads, explainers, announcements). "
    "Each scene has narration (one or two short spoken sentences), on-screen text (a few words) and a headline "
    "for the picture. Be concrete about the user's subject; make no claims of 'best', 'No. 1' or guarantees. "
    "Write in the language asked for. Answer with JSON only."
)


def stage_of(fraction: float, message: str) -> tuple[str, float, str]:
    """(stage, how far into it 0..1, what it says) of a video's progress report (``"scenes: rendered scene 2"``)."""
    name, sep, detail = message.partition(": ")
    if not sep or name not in STAGES:
        return "", fraction, message
    start, end = STAGES[name]
    done = 1.0 if end <= start else min(1.0, max(0.0, (fraction - start) / (end - start)))
    return name, done, detail


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


_CLAUSE_END = "，,、;；:："
_SENTENCE_END = "。！？.!?"


def _fit(text: str, seconds: float, language: str, *, hard: bool = False) -> str:
    """``text`` cut to what a voice says in ``seconds`` (at ``SPEAKING_RATE``), at the last sentence end that
    fits, else the last clause end (a comma), so nothing stops mid-phrase. With no such end the text is kept
    whole up to twice the length (the scene lengths are balanced when it is spoken), beyond that (or ``hard``:
    the speech must fit) cut at a word."""
    rate = SPEAKING_RATE[language]
    budget = max(1, int(seconds * rate))
    units = list(text) if language == "zh" else text.split()
    if len(units) <= budget:
        return text
    cut = "".join(units[:budget]) if language == "zh" else " ".join(units[:budget])
    end = max(cut.rfind(c) for c in _SENTENCE_END)
    if end > len(cut) // 3:
        return cut[: end + 1]
    clause = max(cut.rfind(c) for c in _CLAUSE_END)
    if clause > len(cut) // 3:
        return cut[:clause].rstrip() + ("。" if language == "zh" else ".")
    if len(units) <= 2 * budget and not hard:
        return text
    return tidy_narration(cut.rstrip("，,、;；"), language) if language != "zh" else cut.rstrip("，,、;；") + "。"


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
        # a fragment ("Our osmanthus oolong is available at") ends as a sentence or goes; the first scene
        # always says something (the request itself when the model gave nothing usable)
        narration = tidy_narration(" ".join(str(s.get("narration") or "").split()), language)
        narration = narration or (" ".join(request.prompt.split()) if i == 0 else "")
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


def _dated(language: str) -> str:
    """The first line of a planning prompt: today's date and the language to write in."""
    return (
        f"Today is {dt.date.today().isoformat()}. Language: {'Chinese (简体中文)' if language == 'zh' else 'English'}."
    )


def _texts_request(
    run: PlanRun, system: str, user: str, scenes: int, *, temperature: float, seed: int | None
) -> TextRequest:
    """The LLM call that writes a storyboard's texts (title; narration, text, headline per scene) by schema."""
    return TextRequest(
        model=run.model,
        messages=[Message(role="system", content=system), Message(role="user", content=user)],
        max_tokens=PLAN_MAX_TOKENS,
        temperature=temperature,
        seed=seed,
        response_format=ResponseFormat(
            type="json_schema",
            json_schema={"name": "storyboard", "schema": storyboard_schema(scenes), "strict": True},  # type: ignore[arg-type]
        ),
    )


def write_storyboard(studio: Studio, request: VideoRequest, seed: int, run: PlanRun) -> tuple[dict, list[str]]:
    """The LLM's storyboard for ``request`` (today's date and the language in the prompt), repaired."""
    scenes = max(1, min(40, round(request.duration / SECONDS_PER_SCENE)))
    language = _language(request)
    user = (
        f"{_dated(language)}\nVideo: {json.dumps(request.prompt, ensure_ascii=False)}\n"
        f"Length: {request.duration:g} seconds in {scenes} scenes."
    )
    text = _texts_request(run, SYSTEM_PROMPT, user, scenes, temperature=0.7, seed=seed)
    try:
        answer = plan_text(studio, text, who=run.who, scope="video").parsed
    except SchemaViolation as exc:  # cut off, usually: the prompt itself still makes a storyboard
        log.warning("the LLM's storyboard was unusable (%s); planning from the prompt", exc.message)
        answer = None
    board, repairs = repair_storyboard(answer, request, seed, scenes, _palette(request.prompt, seed))
    return board, repairs + settle_narration(board, request.prompt, _language(request))


def narrate(studio: Studio, board: dict, run: PlanRun) -> tuple[list[bytes | None], list[str]]:
    """One WAV per scene from the speech model (None: no narration, or no voice available: reported)."""
    clips: list[bytes | None] = []
    problems: list[str] = []
    for i, scene in enumerate(board["scenes"]):
        text = (scene.get("narration") or "").strip()
        if not text:
            clips.append(None)
            continue
        run.report(0.1 + 0.2 * i / len(board["scenes"]), f"narration: speaking scene {i + 1} of {len(board['scenes'])}")
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
    run.report(0.3, f"narration: {sum(c is not None for c in clips)} of {len(clips)} scenes spoken")
    return clips, problems


def _checks(repairs: list[str], problems: list[str]) -> list[dict[str, Any]]:
    checks = []
    if repairs:
        checks.append({"name": "storyboard.repaired", "ok": True, "detail": "; ".join(repairs)})
    if problems:
        checks.append({"name": "storyboard.narration", "ok": False, "detail": "; ".join(problems)})
    return checks


def apply_extras(board: dict[str, Any], request: VideoRequest) -> dict[str, Any]:
    """The request's own choices (voice, music on/off, subtitles) written over the storyboard's."""
    board = dict(board)
    if request.voice:
        board["voice"] = request.voice
    if request.music is False:
        board["music"] = None
    elif request.music and board.get("music") is None:
        board["music"] = {}
    if request.subtitles:
        board["subtitles"] = request.subtitles
    return board


CAMERA_ONLY_KINDS = ("logo",)
"""Design kinds shown whole under the camera move (a logo is one mark: its parts do not move apart)."""


def choose_animations(board: dict[str, Any]) -> dict[str, Any]:
    """Each scene's ``auto`` animation made explicit by its type: a design (poster, product card...) moves in
    layers, a picture, a clip or a logo under the camera alone. The stored storyboard records the choice."""
    scenes = []
    for scene in board["scenes"]:
        scene = dict(scene) if isinstance(scene, dict) else scene
        if isinstance(scene, dict) and scene.get("animation", "auto") == "auto":
            visual = scene.get("visual")
            whole = (scene.get("image") is not None and visual is None) or (
                isinstance(visual, dict) and visual.get("kind") in CAMERA_ONLY_KINDS
            )
            scene["animation"] = "camera" if whole else "layered"
        scenes.append(scene)
    return {**board, "scenes": scenes}


def feature_reference(board: dict[str, Any], artifact_id: str) -> dict[str, Any]:
    """The product/hero image on the storyboard's design scenes where it fits: the first, the last and every
    other one become product cards with the image cut out on them (scenes with their own image keep it)."""
    scenes = [dict(s) for s in board["scenes"]]
    for i, scene in enumerate(scenes):
        visual = scene.get("visual")
        if scene.get("image") is not None or not isinstance(visual, dict):
            continue
        if i % REFERENCE_EVERY == 0 or i == len(scenes) - 1:
            scene["visual"] = {**visual, "kind": "product_card"}
            scene["image"] = artifact_id
    return {**board, "scenes": scenes}


def scene_images(studio: Studio, board: dict[str, Any], who: Any) -> dict[str, str]:
    """The files of the images and video clips a storyboard's scenes name by artifact id (the caller's own, or
    404 naming the scene); an artifact that is neither, or a clip that cannot be read, is a 400."""
    files: dict[str, str] = {}
    for i, scene in enumerate(board["scenes"]):
        for key in ("image", "background"):
            _scene_file(studio, scene, i, key, files, who)
    return files


def _scene_file(studio: Studio, scene: dict[str, Any], i: int, key: str, files: dict[str, str], who: Any) -> None:
    """The file of the artifact a scene's ``image`` (a picture or a clip) or ``background`` (a picture) names,
    checked (404 or 400 naming the field), added to ``files``."""
    from ..errors import NotFound

    name = scene.get(key)
    if name is None or name in files:
        return
    param = f"storyboard.scenes.{i}.{key}"
    try:
        row, path = studio.artifacts.open_path(name, key_id=who.key_id)
    except NotFound:
        raise NotFound(f"No image artifact with id {name[:80]!r} (for '{param}').", param=param) from None
    mime = str(row["mime"])
    if mime.startswith("video/") and key == "image":
        if (scene.get("visual") or {}).get("kind") == "product_card":
            raise InvalidRequest(
                f"'{param}': a clip cannot be cut out on a product card; give an image, or drop the visual.",
                param=param,
            )
        studio.video_info(str(path), param=param)  # a readable video within the limits, or a 400 naming it
    elif not mime.startswith("image/"):
        raise InvalidRequest(
            f"'{param}': artifact {name} is {mime}, not an image; upload a PNG, JPEG or WebP"
            + (" (or an MP4 clip)." if key == "image" else "."),
            param=param,
        )
    files[name] = str(path)


def _prepared(studio: Studio, request: VideoRequest, board: dict[str, Any], run: PlanRun) -> dict[str, Any]:
    """The board with the request's extras and reference image, checked against the schema."""
    from ..backends.storyboard.spec import validate_storyboard

    board = apply_extras(board, request)
    if request.input_reference:
        board = feature_reference(board, request.input_reference)
    return validate_storyboard(choose_animations(board)).model_dump(mode="json")


def _finish(
    studio: Studio, request: VideoRequest, board: dict[str, Any], run: PlanRun, repairs: list[str], *, fit: bool = False
) -> Planned:
    """Resolve the board's images, narrate it (unless narration came with the request), check the quota.
    ``fit``: the board is the planner's, so a narration the voice says past its scene is cut to fit (a board
    the user wrote is spoken as written, and its scenes stretch to the speech)."""
    check_media_quota(studio, run.who, expected_seconds(request.duration, board))
    board = paint_scenes(studio, request, board, run)
    update: dict[str, Any] = {"storyboard": board, "images": scene_images(studio, board, run.who)}
    problems: list[str] = []
    if request.narration is None and fit:  # each scene's speech fits its length: the clip lasts what was asked
        update["storyboard"], update["narration"], fixes, problems = narrate_to_fit(studio, board, run)
        repairs = repairs + fixes
    elif request.narration is None:
        update["narration"], problems = narrate(studio, board, run)
    return Planned(request.model_copy(update=update), _checks(repairs, problems))


def plan_storyboard(studio: Studio, request: VideoRequest, run: PlanRun) -> Planned:
    """The storyboard backend's planner: the LLM's storyboard, repaired, then narrated."""
    board_size(request.size)  # a bad size fails before the LLM runs
    check_media_quota(studio, run.who, request.duration)
    run.report(0.0, "storyboard: writing it with the language model")
    seed = request.seed if request.seed is not None else 0
    board, repairs = write_storyboard(studio, request, seed, run)
    run.report(0.1, "storyboard: written")
    return _finish(studio, request, _prepared(studio, request, board, run), run, repairs, fit=True)


def review_storyboard(studio: Studio, request: VideoRequest, run: PlanRun) -> Planned:
    """A given storyboard: checked against its schema (400 naming the field), its texts rewritten for a
    remix's change, then narrated."""
    from ..backends.storyboard.spec import validate_storyboard

    board = validate_storyboard(request.storyboard or {}).model_dump(mode="json")
    repairs: list[str] = []
    if request.remix_prompt:
        check_media_quota(studio, run.who, expected_seconds(request.duration, board))
        board, repairs = rewrite_storyboard(studio, board, request, run)
    return _finish(studio, request, _prepared(studio, request, board, run), run, repairs)


# ------------------------------------------------------------------------------------------ remix

REMIX_SYSTEM_PROMPT = (
    "You revise the texts of a short video's storyboard. Apply the change the user asks for; copy every text "
    "the change does not touch exactly as it is. Keep the same number of scenes. Make no claims of 'best', "
    "'No. 1' or guarantees. Answer with JSON only."
)


def rewrite_storyboard(
    studio: Studio, board: dict[str, Any], request: VideoRequest, run: PlanRun
) -> tuple[dict[str, Any], list[str]]:
    """The board's title, narration and on-screen texts rewritten by the LLM for ``request.remix_prompt``;
    scenes, visuals (but their headline), timing hints, camera moves and transitions stay as they were."""
    scenes = board["scenes"]
    language = board.get("language") or "en"
    current = {
        "title": board.get("title") or "",
        "scenes": [
            {
                "narration": s.get("narration") or "",
                "text": s.get("text") or "",
                "headline": (s.get("visual") or {}).get("headline") or "",
            }
            for s in scenes
        ],
    }
    user = (
        f"{_dated(language)}\nStoryboard: {json.dumps(current, ensure_ascii=False)}\n"
        f"Change: {json.dumps(request.remix_prompt, ensure_ascii=False)}"
    )
    text = _texts_request(run, REMIX_SYSTEM_PROMPT, user, len(scenes), temperature=0.3, seed=request.seed)
    run.report(0.0, "storyboard: rewriting its texts for the remix")
    try:
        answer = plan_text(studio, text, who=run.who, scope="video").parsed
    except SchemaViolation as exc:
        log.warning("the LLM's remix was unusable (%s); the storyboard is kept as it was", exc.message)
        return board, ["remix: the language model's answer was unusable; texts kept"]
    return merge_texts(board, answer, request.remix_prompt or "")


def merge_texts(board: dict[str, Any], answer: Any, prompt: str) -> tuple[dict[str, Any], list[str]]:
    """``answer``'s texts (title, per scene narration / text / headline) over ``board``'s, each repaired (claims
    scrubbed, narration fitted to its scene); everything else in the board is kept. Returns the scenes changed."""
    from ..backends.storyboard.render import LEAD, TAIL
    from ..backends.storyboard.spec import MAX_TEXT_CHARS
    from .quality.claims import scrub_claims

    new = answer.get("scenes") if isinstance(answer, dict) else None
    new = new if isinstance(new, list) else []
    scenes, changed = [], []
    for i, old in enumerate(board["scenes"]):
        item = new[i] if i < len(new) and isinstance(new[i], dict) else {}
        scene = dict(old)
        language = scene.get("language") or board.get("language") or "en"
        narration = " ".join(str(item.get("narration") or "").split())
        if narration and narration != (old.get("narration") or ""):
            narration = scrub_claims(narration, prompt)[0]
            scene["narration"] = _fit(narration, max(0.5, float(old.get("duration") or 3.0) - LEAD - TAIL), language)
        words = scrub_claims(" ".join(str(item.get("text") or "").split())[:MAX_TEXT_CHARS], prompt)[0]
        if words and words != (old.get("text") or ""):
            scene["text"] = words
        visual = old.get("visual")
        if isinstance(visual, dict):
            visual = dict(visual)
            headline = scrub_claims(" ".join(str(item.get("headline") or "").split())[:40], prompt)[0]
            if headline:
                visual["headline"] = headline
            if visual.get("subline") is not None and old.get("text") and visual["subline"] == old["text"]:
                visual["subline"] = scene.get("text")
            scene["visual"] = visual
        if scene != old:
            changed.append(str(i))
        scenes.append(scene)
    title = " ".join(str((answer or {}).get("title") or "").split())[:120] if isinstance(answer, dict) else ""
    out = {**board, "title": title or board.get("title") or "", "scenes": scenes}
    return out, [f"remix: scenes {', '.join(changed)} rewritten" if changed else "remix: no text changed"]


# ------------------------------------------------------------------------------------------ quota


def expected_seconds(requested: float, board: dict[str, Any] | None) -> float:
    """How long a video will be before it is narrated: a given storyboard's duration hints, else the request's."""
    if board is None:
        return requested
    return float(sum(float(s.get("duration") or 0.0) for s in board["scenes"]))


def check_media_quota(studio: Studio, who: Any, seconds: float) -> None:
    """Refuse (429, insufficient_quota) a video longer than what the caller's key has left of its daily
    media seconds, before any work; a key without a media quota passes."""
    from ..errors import RateLimited
    from .keys import seconds_to_midnight

    key_id = getattr(who, "key_id", None)
    if key_id is None:
        return
    limit = studio.keys.principal(key_id).quota.media_seconds_per_day
    if not limit:
        return
    used = float(studio.keys.usage_for(key_id, days=1)[0]["media_seconds"])
    if used + seconds > limit:
        raise RateLimited(
            f"This {seconds:g} s video needs more than the key's daily media quota has left "
            f"({max(0.0, limit - used):.0f} of {limit:.0f} s); ask for a shorter video or wait until tomorrow.",
            retry_after=seconds_to_midnight(),
            code="insufficient_quota",
        )


MAX_SECONDS = 600.0
"""The longest video one request may ask for (VideoRequest's bound)."""


MUSIC_WORDS = {"true": True, "on": True, "1": True, "yes": True, "false": False, "off": False, "0": False, "no": False}
SUBTITLE_MODES = ("soft", "burned", "both", "none")


def check_image_model(studio: Studio, name: Any) -> str:
    """``image_model``: the id of a configured image model (diffusers, remote, ComfyUI, design), else a 400."""
    from ..types import Modality

    if not isinstance(name, str) or len(name) > 200:
        raise InvalidRequest("'image_model' must be the name of an image model.", param="image_model")
    try:
        entry = studio.catalog.get(name, Modality.image)
    except ZaowuError:
        raise InvalidRequest(
            f"'image_model' {name[:80]!r} is not an image model here; see GET /v1/models for the image models, "
            "or leave it out for the design engine.",
            param="image_model",
        ) from None
    remote = getattr(entry, "remote", None)
    if remote is not None and getattr(entry, "backend", None) == "openai-remote-images":
        # a remote accepts any name as a chat model; as a video's painter it must be one listed for images
        listed = studio.settings.remotes[remote].image_models
        if entry.remote_model not in listed:
            raise InvalidRequest(
                f"'image_model' {name[:80]!r}: remote '{remote}' lists no image model {entry.remote_model!r} "
                f"(its image_models: {', '.join(listed) or 'none'}); add it to the remote's image_models in the settings.",
                param="image_model",
            )
    return str(getattr(entry, "id", name))


def paint_scenes(studio: Studio, request: VideoRequest, board: dict[str, Any], run: PlanRun) -> dict[str, Any]:
    """With ``image_model``: each design scene without a picture gets one painted by that model from its
    ``image_prompt`` (written from the prompt and the scene's headline when absent), stored as the caller's
    artifact and named as the scene's ``background``; the design's text is laid over it when rendered. A scene
    that already has a background (a remix, an edited storyboard) keeps it, so a re-render is exact."""
    from ..backends.storyboard.spec import MAX_IMAGE_PROMPT_CHARS, output_size
    from ..types import ImageRequest

    if not request.image_model:
        return board
    width, height = output_size(board["aspect"], board["resolution"])
    seed = request.seed if request.seed is not None else 0
    scenes = [dict(s) for s in board["scenes"]]
    todo = [i for i, s in enumerate(scenes) if s.get("image") is None and s.get("background") is None]
    for n, i in enumerate(todo):
        scene = scenes[i]
        headline = (scene.get("visual") or {}).get("headline") or scene.get("text") or ""
        prompt = scene.get("image_prompt") or f"{request.prompt}. {headline}".strip()[:MAX_IMAGE_PROMPT_CHARS]
        run.report(0.05 + 0.05 * n / len(todo), f"pictures: painting scene {i + 1} with {request.image_model}")
        result = studio.generate_media(
            ImageRequest(model=request.image_model, prompt=prompt, size=f"{width}x{height}", seed=seed + i),
            who=run.who,
        )
        scene["image_prompt"], scene["background"] = prompt, result.media[0].meta["artifact_id"]
    return {**board, "scenes": scenes}


def _extras(studio: Studio, voice: Any, music: Any, subtitles: Any) -> dict[str, Any]:
    """The zaowu extras of a video request, loose (form fields are text), each bad one a 400 naming it;
    ``voice`` must be one the speech model has (``Studio.check_voice``), not a silent clip later."""
    out: dict[str, Any] = {}
    if voice not in (None, ""):
        if not isinstance(voice, str) or len(voice) > 64:
            raise InvalidRequest("'voice' must be a voice name of at most 64 characters.", param="voice")
        out["voice"] = studio.check_voice(voice)
    if music not in (None, ""):
        flag = music if isinstance(music, bool) else MUSIC_WORDS.get(str(music).strip().lower())
        if flag is None:
            raise InvalidRequest("'music' must be true (a music bed) or false (none).", param="music")
        out["music"] = flag
    if subtitles not in (None, ""):
        if subtitles not in SUBTITLE_MODES:
            raise InvalidRequest(f"'subtitles' must be one of {', '.join(SUBTITLE_MODES)}.", param="subtitles")
        out["subtitles"] = subtitles
    return out


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
    voice: Any = None,
    music: Any = None,
    subtitles: Any = None,
    input_reference: str | None = None,
    presenter: dict[str, Any] | None = None,
    audio: bytes | None = None,
    portrait: bytes | None = None,
    image_model: Any = None,
    who: Any = None,
) -> VideoRequest:
    """A VideoRequest from an interface's loose fields (OpenAI's videos API sends ``seconds`` as a string),
    every bad one a 400 naming it: ``seconds`` 0 or over the limit, a size that is not 9:16/16:9/1:1 at
    360/720/1080, a model that is not a video model, a storyboard failing its schema, extras (voice, music
    on/off, subtitles soft/burned/both/none) out of range, a voice the speech model lacks. ``who``: a key over
    its media quota is a 429 here. The ``presenter`` model takes the script as ``prompt``, the portrait as
    ``input_reference`` (an artifact id ``who`` may read) or, before an upload is stored, as ``portrait`` bytes:
    either is checked here, so a photo without a usable face is a 400 before anything is stored or queued; its
    options as ``presenter`` and, instead of speaking the script, a voice recording as ``audio`` (WAV)."""
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
    extras = _extras(studio, voice, music, subtitles)
    if image_model not in (None, ""):
        extras["image_model"] = check_image_model(studio, image_model)
    narration: list[bytes | None] | None = None
    if getattr(entry, "backend", None) == "presenter":
        if storyboard is not None:
            raise InvalidRequest("The presenter model takes no storyboard; leave it out.", param="storyboard")
        from .presenter import check_pictures, check_presenter
        from .reference import portrait_of

        if presenter is not None and not isinstance(presenter, dict):
            raise InvalidRequest("'presenter' must be a JSON object of options.", param="presenter")
        options = {k: extras[k] for k in ("voice", "subtitles") if k in extras} | (presenter or {})
        photo = portrait if portrait is not None else portrait_of(studio, input_reference, who)
        presenter, size, narration = check_presenter(prompt, photo, options, size, audio)
        check_pictures(studio, presenter, who)
    elif presenter is not None or audio is not None:
        field = "presenter" if presenter is not None else "audio"
        raise InvalidRequest(f"'{field}' is for the presenter model; use model 'presenter'.", param=field)
    if storyboard is not None:
        storyboard = validate_storyboard(storyboard).model_dump(mode="json")
    if seed not in (None, "") and not (isinstance(seed, int) or str(seed).isdigit()):
        raise InvalidRequest("'seed' must be a whole number.", param="seed")
    if who is not None:
        if storyboard is not None:
            scene_images(studio, storyboard, who)  # a scene's image is the caller's own image artifact
        check_media_quota(studio, who, expected_seconds(length, storyboard))
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
            **extras,
            presenter=presenter or None,
            narration=narration,
        )
    except ValueError as exc:
        raise InvalidRequest(f"Invalid video request: {exc}", param="language") from None


def remix_request(
    studio: Studio,
    source: dict[str, Any],
    *,
    prompt: Any,
    storyboard: Any = None,
    voice: Any = None,
    music: Any = None,
    subtitles: Any = None,
    who: Any = None,
) -> VideoRequest:
    """A remix of the finished video job ``source``: the same storyboard, seed, size and reference image, its
    texts rewritten for ``prompt`` by the language model (or ``storyboard``: an edited board, rendered exactly)."""
    req = source.get("request") or {}
    if req.get("presenter") is not None or _backend_of(studio, req.get("model")) == "presenter":
        return _remix_presenter(
            studio, source, prompt=prompt, storyboard=storyboard, voice=voice, subtitles=subtitles, who=who
        )
    if source.get("state") != "succeeded" or not (source.get("result") or {}).get("storyboard"):
        raise InvalidRequest(f"Video '{source['id']}' is not completed; remix a completed video.", param="video_id")
    result = source["result"]
    base = video_request(
        studio,
        prompt=prompt,
        model=req.get("model"),
        seconds=req.get("duration"),
        size=req.get("size"),
        seed=result.get("seed"),
        storyboard=storyboard if storyboard is not None else result["storyboard"],
        language=req.get("language"),
        voice=voice if voice is not None else req.get("voice"),
        music=music if music is not None else req.get("music"),
        subtitles=subtitles if subtitles is not None else req.get("subtitles"),
        input_reference=None,  # the source's board already shows its reference image
        who=who,
    )
    update = {"remixed_from": source["id"], "remix_prompt": None if storyboard is not None else base.prompt}
    return base.model_copy(update=update)


def _backend_of(studio: Studio, model: Any) -> str | None:
    from ..types import Modality

    try:
        return getattr(studio.catalog.get(str(model), Modality.video), "backend", None)
    except ZaowuError:
        return None


def _remix_presenter(
    studio: Studio, source: dict[str, Any], *, prompt: Any, storyboard: Any, voice: Any, subtitles: Any, who: Any
) -> VideoRequest:
    """A presenter video remixed: the same portrait, look (banner, background, panels), size and seed, speaking
    the new script in ``prompt`` (a recording the source spoke is not reused: the new script is synthesised)."""
    if source.get("state") != "succeeded":
        raise InvalidRequest(f"Video '{source['id']}' is not completed; remix a completed video.", param="video_id")
    if storyboard is not None:
        raise InvalidRequest(
            "A presenter video has no storyboard; send the new script as 'prompt'.", param="storyboard"
        )
    req = source.get("request") or {}
    options = dict(req.get("presenter") or {})
    options.pop("recording", None)  # the source's recording said the old script: the new one is spoken
    options.update({k: v for k, v in (("voice", voice), ("subtitles", subtitles)) if v is not None})
    base = video_request(
        studio,
        prompt=prompt,
        model="presenter",
        size=req.get("size"),
        seed=(source.get("result") or {}).get("seed", req.get("seed")),
        language=req.get("language"),
        input_reference=req.get("input_reference"),
        presenter=options,
        who=who,
    )
    return base.model_copy(update={"remixed_from": source["id"], "remix_prompt": None})


# ------------------------------------------------------------------------------------------ narration that fits

FIT_TRIES = 3
"""Times, per scene, a narration may be shortened and spoken again when the clip's speech runs too long."""
MIN_SCENE_SECONDS = 1.5
"""The shortest a scene becomes when the time is shared out by speech (a silent scene gets this)."""


def _spoken_seconds(wav: bytes) -> float:
    from ..backends.music.audio import read_wav

    samples, rate = read_wav(wav)
    return len(samples) / rate


def narrate_to_fit(
    studio: Studio, board: dict[str, Any], run: PlanRun
) -> tuple[dict[str, Any], list[bytes | None], list[str], list[str]]:
    """Narrate the board so that the clip lasts what its duration hints sum to: every scene gets its speech's
    length (plus lead and tail; a silent scene ``MIN_SCENE_SECONDS``) and the time left over is shared out in
    proportion. When the speech is longer than the clip, the longest narration is cut at a sentence or clause
    end and spoken again (up to ``FIT_TRIES`` times). Returns the board (narrations as spoken, durations
    balanced), one WAV per scene, what was shortened or moved, and what could not be spoken or fitted."""
    from ..backends.storyboard.render import LEAD, TAIL

    clips, problems = narrate(studio, board, run)
    scenes = [dict(s) for s in board["scenes"]]
    total = sum(float(s.get("duration") or 3.0) for s in scenes)
    fixes: list[str] = []

    def need_of(clip: bytes | None) -> float:
        return max(MIN_SCENE_SECONDS, _spoken_seconds(clip) + LEAD + TAIL) if clip is not None else MIN_SCENE_SECONDS

    need = [need_of(c) for c in clips]  # each WAV is read once, and again only when re-spoken
    tried: set[tuple[int, str]] = set()
    for _ in range(FIT_TRIES * len(scenes)):
        over = sum(need) - total
        if over <= 0.05:
            break
        cuttable = [i for i in range(len(scenes)) if clips[i] is not None and (i, scenes[i]["narration"]) not in tried]
        if not cuttable:
            break
        i = max(cuttable, key=lambda j: need[j])
        tried.add((i, scenes[i]["narration"]))
        language = scenes[i].get("language") or board.get("language") or "en"
        spoken = need[i] - LEAD - TAIL
        text = scenes[i]["narration"]
        units = len(text) if language == "zh" else len(text.split())
        # the words this voice says in the time left (its own pace, measured), as seconds at SPEAKING_RATE
        target = units * max(0.8, spoken - over) * 0.95 / max(spoken, 1e-6) / SPEAKING_RATE[language]
        shorter = _fit(text, target, language)
        if shorter == text:  # no sentence or clause end to cut at: the words that fit, as a last resort
            shorter = _fit(text, target, language, hard=True)
        if shorter == text or not shorter.strip():  # a scene is not cut to silence: the clip runs long instead
            continue
        scenes[i]["narration"] = shorter
        fixes.append(f"scene {i}: narration cut to a sentence or clause end ({spoken:.1f} s spoken)")
        clips[i] = narrate(studio, {**board, "scenes": [scenes[i]]}, run)[0][0]
        need[i] = need_of(clips[i])
    slack = total - sum(need)
    if slack < -0.05:
        problems.append(f"the narration needs {sum(need):.1f} s; the clip is that long instead of {total:.1f} s")
    # the hints sum to the asked time whenever the speech fits within the tolerance (a scene whose speech
    # runs a few hundredths over its hint is lengthened by the renderer); otherwise to what the speech needs
    share = (slack if slack >= -0.05 else 0.0) / max(sum(need), 1e-9)
    for scene, n in zip(scenes, need, strict=True):
        scene["duration"] = round(n * (1 + share), 3)
    return {**board, "scenes": scenes}, clips, fixes, problems
