"""Preparing a video edit with the Studio's models before the engine runs it.

``prepare_edit(studio, edit, inputs, who)`` returns the edit with what the engine cannot decide itself:

- ``subtitles`` without segments: the audio of the stream at that operation is transcribed with Whisper
  (``studio.generate_media(TranscriptionRequest)``); with ``translate_to`` the lines are translated by
  the LLM through a JSON schema holding exactly one line per segment, so the count and the timings are
  kept by construction; the translation's language is checked (``quality.check_language``).
- ``style`` with a ``prompt``: a bilingual keyword table decides what it can (黑白 / black and white,
  复古 / vintage, 卡通 / cartoon, 素描 / pencil, 油画 / oil ...); when words are left that the table does
  not know, the LLM fills the parameters still open through a JSON schema (enums and bounded numbers);
  out-of-range or contradictory values are clamped or repaired. Parameters the caller set are kept.
- ``matte`` with a ``scene`` background (a prompt or a design spec): the design engine renders it at the
  stream's size at that operation (``studio.generate_media(ImageRequest(model="design"))``; a prompt is
  planned into a spec by the LLM, a spec is rendered as given); the picture is stored as an artifact and
  handed to the engine as the asset ``_scene.<index>``.

What was decided, repaired or still falls short is reported in ``edit.checks``. The models run as part
of the edit: under its ``video`` scope (a key with only ``video`` may subtitle), logged and charged to
``who``'s key.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..backends.video.ops import (
    MAX_SEGMENT_CHARS,
    MAX_SEGMENTS,
    TIME_OPS,
    EditCheck,
    MatteOp,
    StyleOp,
    SubtitleSegment,
    SubtitlesOp,
    VideoEdit,
    parse_edit,
)
from ..errors import InvalidRequest, SchemaViolation
from ..types import Caller, ImageRequest, Message, ResponseFormat, TextRequest, TranscriptionRequest
from .planner import plan_text
from .quality.checks import CheckList, check_language

if TYPE_CHECKING:
    from .engine import Studio

__all__ = ["STYLE_KEYWORDS", "TRANSLATE_BATCH", "keyword_style", "prepare_edit", "repair_style"]

log = logging.getLogger(__name__)

TRANSLATE_BATCH = 8
"""Subtitle lines translated per LLM call (bounds the prompt and the answer)."""
TRANSLATE_TOKENS_PER_LINE = 90
"""Answer tokens allowed per translated line."""
STYLE_TOKENS = 220
"""Answer tokens for the style parameters."""
WHISPER_RATE = 16_000
"""Sample rate of the audio handed to Whisper."""
SILENCE_PEAK = 100
"""Peak sample (of 32767) below which the sound counts as silent: nothing is transcribed (Whisper would
invent words for silence)."""
NO_SPEECH = (0.6, -1.0)
"""Whisper's own rule: a segment with no_speech_prob above the first and avg_logprob below the second is
not speech (dropped)."""

# ------------------------------------------------------------------------------------------ style

STYLE_KEYWORDS: list[tuple[str, dict[str, Any]]] = [
    (r"black[ -]and[ -]white|b&w|monochrome|gr[ae]yscale|黑白|单色", {"black_and_white": True}),
    (r"sepia|棕褐|怀旧", {"sepia": 0.7}),
    (r"vintage|retro|old film|复古|老电影|年代感", {"sepia": 0.35, "grain": 0.3, "vignette": 0.4, "saturation": 0.8}),
    (r"\bfilm\b|cinematic|胶片|电影感", {"grain": 0.25, "vignette": 0.3, "contrast": 1.1}),
    (r"colou?red pencil|彩铅", {"preset": "pencil_color"}),
    (r"cartoon|anime|comic|卡通|动漫|漫画", {"preset": "cartoon"}),
    (r"pencil|sketch|drawing|素描|铅笔|速写", {"preset": "pencil"}),
    (r"oil(?: paint(?:ing)?)?|油画", {"preset": "oil"}),
    (r"watercolou?r|painterly|styli[sz]ed?|水彩|艺术", {"preset": "stylize"}),
    (r"warm|golden|sunset|暖|金色|夕阳", {"temperature": 0.4}),
    (r"cool|cold|blue|icy|冷|蓝调|清冷", {"temperature": -0.4}),
    (r"bright|airy|明亮|清新", {"brightness": 0.15}),
    (r"dark|moody|noir|暗|阴郁", {"brightness": -0.15, "contrast": 1.2}),
    (r"vivid|vibrant|saturated|鲜艳|浓郁", {"saturation": 1.4}),
    (r"faded|muted|desaturated|washed|褪色|淡雅|低饱和", {"saturation": 0.6, "contrast": 0.85}),
    (r"high[ -]contrast|dramatic|punchy|高对比|强烈", {"contrast": 1.4}),
    (r"vignette|暗角", {"vignette": 0.5}),
    (r"grain|grainy|noise|颗粒|噪点", {"grain": 0.4}),
]
"""Words (English or Chinese, a regular expression) and the parameters they decide; the first rule to set a
parameter wins, so put the more specific phrase first (coloured pencil before pencil)."""

_FILLER = (
    r"\b(a|an|the|with|and|look|looks|style|styled|effect|filter|grade|grading|like|feel|vibe|tone|toned|please|"
    r"make|it|some|bit|little|more|very|slightly|light|lightly|strong|video|clip|of|in|to|at|on|for|but)\b|"
    r"风格|效果|滤镜|色调|质感|感觉|一点|一些|有点|更|很|的|和|加|带|给|视频|画面|调色|请|让|变成|[\s,.;:!?，。；：！？、]"
)
"""Words that say nothing about the look (what is left after keywords and these goes to the LLM)."""

STYLE_LIMITS: dict[str, tuple[float, float]] = {
    "brightness": (-0.5, 0.5),
    "contrast": (0.5, 2.0),
    "saturation": (0.0, 2.0),
    "temperature": (-1.0, 1.0),
    "tint": (-1.0, 1.0),
    "gamma": (0.5, 2.0),
    "sepia": (0.0, 1.0),
    "vignette": (0.0, 0.8),
    "grain": (0.0, 0.6),
}
"""Ranges a look from words is kept in (narrower than StyleOp's own: a prompt's look stays watchable)."""
STYLE_LEVELS: dict[str, list[float]] = {
    "brightness": [0.0, -0.3, -0.15, 0.15, 0.3],
    "contrast": [1.0, 0.8, 0.9, 1.15, 1.3],
    "saturation": [1.0, 0.5, 0.8, 1.2, 1.4],
    "temperature": [0.0, -0.5, -0.25, 0.25, 0.5],
    "tint": [0.0, -0.2, -0.1, 0.1, 0.2],
    "gamma": [1.0, 0.8, 0.9, 1.1, 1.25],
    "sepia": [0.0, 0.2, 0.4, 0.6],
    "vignette": [0.0, 0.2, 0.4, 0.6],
    "grain": [0.0, 0.2, 0.4, 0.6],
}
"""The values the LLM chooses from for each number (neutral first): a small model picks a level reliably,
and a grammar enforces an enum where it does not enforce a numeric range."""
_PRESETS = ["none", "cartoon", "pencil", "pencil_color", "oil", "stylize"]
_NEUTRAL = {name: StyleOp.model_fields[name].default for name in (*STYLE_LIMITS, "preset", "black_and_white")}

STYLE_SYSTEM_PROMPT = (
    "You are a film colourist. Turn the user's description of a video look into grading parameters. "
    "brightness: 0 neutral, below 0 darker, above 0 brighter; contrast, saturation and gamma: 1 neutral; "
    "temperature: below 0 cooler (blue), above 0 warmer (orange); tint: below 0 greener, above 0 more magenta; "
    "sepia, vignette and grain: 0 none; preset: a painterly filter, or none; black_and_white: true only for a "
    "monochrome look. Change only what the description asks for."
)


def _contradicts(key: str, old: Any, new: Any) -> bool:
    """Two keywords asking opposite things of one parameter (warm and cool; cartoon and oil)."""
    if key == "preset":
        return {old, new} != {"pencil", "pencil_color"} and old != new
    if isinstance(old, bool) or key not in _NEUTRAL:
        return False
    neutral = _NEUTRAL[key]
    return (old - neutral) * (new - neutral) < 0


def keyword_style(prompt: str) -> tuple[dict[str, Any], list[str], str, list[str]]:
    """(parameters the keyword table decides, the keywords found, the words left that it does not know,
    the parameters asked for both ways, which are left neutral, or for a preset, the first one kept)."""
    decided: dict[str, Any] = {}
    found: list[str] = []
    conflicts: list[str] = []
    rest = prompt.lower()
    for pattern, params in STYLE_KEYWORDS:
        matches = [m.group(0) for m in re.finditer(pattern, rest)]
        if not matches:
            continue
        found.extend(matches)
        for key, value in params.items():
            if key in decided and _contradicts(key, decided[key], value) and key not in conflicts:
                conflicts.append(key)
            decided.setdefault(key, value)
        rest = re.sub(pattern, " ", rest)
    for key in conflicts:
        if key != "preset":
            decided.pop(key)
    if decided.get("black_and_white"):
        decided.pop("saturation", None)
    left = re.sub(_FILLER, " ", rest)
    return decided, found, " ".join(left.split()), conflicts


def _style_schema(fields: Sequence[str]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for name in fields:
        if name == "preset":
            props[name] = {"type": "string", "enum": _PRESETS}
        elif name == "black_and_white":
            props[name] = {"type": "boolean"}
        else:
            props[name] = {"type": "number", "enum": STYLE_LEVELS[name]}
    return {"type": "object", "properties": props, "required": list(fields), "additionalProperties": False}


def repair_style(params: dict[str, Any], checks: CheckList, param: str) -> dict[str, Any]:
    """Parameters of the right type, clamped to :data:`STYLE_LIMITS`, without contradictions; each repair
    is a failed check (what came out of the model was not usable as it was)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key == "preset":
            if value in _PRESETS:
                out[key] = value
            else:
                checks.add(f"style.{param}.preset", False, f"unknown preset {value!r} replaced by none")
        elif key == "black_and_white":
            out[key] = bool(value)
        elif key in STYLE_LIMITS and isinstance(value, (int, float)) and value == value:
            lo, hi = STYLE_LIMITS[key]
            if not lo <= value <= hi:
                checks.add(f"style.{param}.{key}", False, f"{value:g} is outside {lo:g}..{hi:g}; clamped")
            out[key] = min(hi, max(lo, float(value)))
        elif key in STYLE_LIMITS:
            checks.add(f"style.{param}.{key}", False, f"{value!r} is not a number; left neutral")
    if out.get("black_and_white") and out.get("saturation", 1.0) != 1.0:
        checks.add(f"style.{param}.saturation", False, "saturation means nothing in black and white; reset to 1")
        out["saturation"] = 1.0
    return out


def _llm_style(studio: Studio, prompt: str, fields: list[str], who: Caller) -> dict[str, Any] | None:
    request = TextRequest(
        messages=[
            Message(role="system", content=STYLE_SYSTEM_PROMPT),
            Message(role="user", content=f"Look: {json.dumps(prompt, ensure_ascii=False)}"),
        ],
        max_tokens=STYLE_TOKENS,
        temperature=0.2,
        seed=0,
        response_format=ResponseFormat(
            type="json_schema", json_schema={"name": "video_style", "schema": _style_schema(fields), "strict": True}
        ),
    )
    try:
        parsed = plan_text(studio, request, who=who, scope="video").parsed
    except SchemaViolation as exc:
        log.warning("the LLM's style parameters were unusable (%s)", exc.message)
        return None
    return parsed if isinstance(parsed, dict) else None


def _prepare_style(studio: Studio, op: StyleOp, param: str, who: Caller, checks: CheckList) -> StyleOp:
    assert op.prompt is not None
    decided, found, left, conflicts = keyword_style(op.prompt)
    if conflicts:
        checks.add(f"style.{param}.contradiction", False, f"{op.prompt!r} asks both ways for {', '.join(conflicts)}")
    decided = {k: v for k, v in decided.items() if k not in op.explicit}
    open_fields = [k for k in _NEUTRAL if k not in op.explicit and k not in decided]
    if found:
        checks.add(f"style.{param}.keywords", True, f"decided by keywords ({', '.join(found)}): {decided}")
    params = repair_style(decided, checks, param)
    if left and open_fields:
        answer = _llm_style(studio, op.prompt, open_fields, who)
        if answer is None:
            checks.add(f"style.{param}.llm", False, "the language model gave no usable look; keywords only")
        else:
            if answer.pop("black_and_white", False):  # too drastic to take from a small model's guess
                checks.add(
                    f"style.{param}.black_and_white",
                    False,
                    "the language model asked for black and white; only words decide that (黑白, monochrome)",
                )
            filled = repair_style({k: v for k, v in answer.items() if k in open_fields}, checks, param)
            filled = {k: v for k, v in filled.items() if v != _NEUTRAL[k]}
            checks.add(f"style.{param}.llm", True, f"the language model filled {filled or 'nothing'} for {left!r}")
            params = repair_style({**params, **filled}, checks, param)
    look = StyleOp.model_validate(op.model_dump() | params)
    changed = {k: getattr(look, k) for k in _NEUTRAL if getattr(look, k) != _NEUTRAL[k]}
    checks.add(
        f"style.{param}.look",
        bool(changed),
        f"look for {op.prompt!r}: {changed}" if changed else f"nothing in {op.prompt!r} changes the picture",
    )
    return look


# ------------------------------------------------------------------------------------------ subtitles


def _write_wav(source: Path, target: Path) -> float:
    """The first audio stream of ``source`` as 16 kHz mono 16-bit WAV; returns its seconds (0: no audio, or
    only silence)."""
    import av

    with av.open(str(source)) as container, wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(WHISPER_RATE)
        if not container.streams.audio:
            return 0.0
        resampler = av.AudioResampler(format="s16", layout="mono", rate=WHISPER_RATE)
        samples, peak = 0, 0
        for frame in container.decode(container.streams.audio[0]):
            for chunk in resampler.resample(frame):
                data = chunk.to_ndarray()
                out.writeframes(data.tobytes())
                samples += data.size
                peak = max(peak, int(abs(data.astype("int32")).max(initial=0)))
        for chunk in resampler.resample(None):
            out.writeframes(chunk.to_ndarray().tobytes())
        return samples / WHISPER_RATE if peak >= SILENCE_PEAK else 0.0


def _audio_at(
    studio: Studio, edit: VideoEdit, index: int, inputs: list[Path], assets: dict[str, Any] | None, work: Path
) -> tuple[Path, float]:
    """The sound of the stream as the subtitles operation at ``index`` sees it, as WAV, and its length
    (the inputs are probed against the Studio's video limits first)."""
    from ..backends.video import VideoLimits, edit_video, probe_video

    limits = VideoLimits.from_settings(studio.settings)

    before = [op for op in edit.operations[:index] if op.op in (*TIME_OPS, "concat", "mute", "audio")]
    if not inputs:
        raise InvalidRequest("Give the video whose speech the subtitles transcribe.", param="video")
    source = inputs[0]
    if before or len(inputs) > 1:  # trims, speed changes, joins or a new soundtrack: render that sound first
        tiny = {"op": "resize", "width": 32, "height": 32, "fit": "stretch"}
        ops = [op.model_dump() for op in before] + [tiny]
        rendered = edit_video(
            inputs,
            {"operations": ops, "crf": 51, "preset": "ultrafast"},
            work / "audio.mp4",
            assets=assets,
            limits=limits,
        )
        source = rendered.path
    duration = probe_video(source, limits).duration
    wav = work / "audio.wav"
    return wav, min(_write_wav(source, wav), duration)  # the sound may outlast the pictures by a frame


def _transcribe(
    studio: Studio, wav: Path, seconds: float, op: SubtitlesOp, who: Caller, stored: list[str]
) -> tuple[list[SubtitleSegment], str]:
    result = studio.generate_media(
        TranscriptionRequest(audio=wav.read_bytes(), language=op.language, format="verbose_json"),
        who=who,
        scope="video",
    )
    stored.extend(m.meta["artifact_id"] for m in result.media if "artifact_id" in m.meta)
    body = json.loads(result.media[0].data)
    segments = []
    for s in body.get("segments", [])[:MAX_SEGMENTS]:
        if s.get("no_speech_prob", 0) > NO_SPEECH[0] and s.get("avg_logprob", 0) < NO_SPEECH[1]:
            continue
        start, end, text = float(s["start"]), min(float(s["end"]), seconds), " ".join(str(s["text"]).split())
        if text and start < end:
            segments.append(SubtitleSegment(start=start, end=end, text=text[:MAX_SEGMENT_CHARS]))
    return segments, str(body.get("language") or op.language or "")


_LANGUAGE_NAMES = {"zh": "Simplified Chinese (简体中文)", "en": "English"}


def _translate(
    studio: Studio, segments: list[SubtitleSegment], source: str, target: str, who: Caller
) -> list[SubtitleSegment]:
    """Each segment's text in ``target``; the schema holds exactly one line per segment."""
    out: list[SubtitleSegment] = []
    for i in range(0, len(segments), TRANSLATE_BATCH):
        batch = segments[i : i + TRANSLATE_BATCH]
        n = len(batch)
        line = {"type": "string", "minLength": 1, "maxLength": MAX_SEGMENT_CHARS}
        schema = {
            "type": "object",
            "properties": {"lines": {"type": "array", "items": line, "minItems": n, "maxItems": n}},
            "required": ["lines"],
            "additionalProperties": False,
        }
        request = TextRequest(
            messages=[
                Message(
                    role="system",
                    content=f"Translate each subtitle line from {_LANGUAGE_NAMES.get(source, 'its language')} into "
                    f"{_LANGUAGE_NAMES[target]}. Answer with JSON: "
                    f'{{"lines": [...]}}, one translation per input line, in the same order.',
                ),
                Message(role="user", content=json.dumps([s.text for s in batch], ensure_ascii=False)),
            ],
            max_tokens=TRANSLATE_TOKENS_PER_LINE * n + 20,
            temperature=0.2,
            seed=0,
            response_format=ResponseFormat(
                type="json_schema", json_schema={"name": "subtitles", "schema": schema, "strict": True}
            ),
        )
        try:
            lines = plan_text(studio, request, who=who, scope="video").parsed["lines"]
        except (SchemaViolation, KeyError, TypeError) as exc:
            log.warning("subtitle translation failed (%s); keeping the original lines", exc)
            lines = [s.text for s in batch]
        for seg, text in zip(batch, list(lines)[:n] + [s.text for s in batch][len(lines) :], strict=True):
            text = " ".join(str(text).split())[:MAX_SEGMENT_CHARS] or seg.text
            out.append(seg.model_copy(update={"text": text}))
    return out


def _checked_translation(
    studio: Studio,
    segments: list[SubtitleSegment],
    source: str,
    target: str,
    param: str,
    who: Caller,
    checks: CheckList,
) -> tuple[list[SubtitleSegment], str]:
    """The translation, line by line checked for its language: a line not in ``target`` keeps its original
    text (a wrong-language "translation" would mislead); the checks say how many lines were translated."""
    translated = _translate(studio, segments, source, target, who)
    same = len(translated) == len(segments) and all(
        (a.start, a.end) == (b.start, b.end) for a, b in zip(segments, translated, strict=True)
    )
    checks.add(f"subtitles.{param}.timing", same, f"{len(translated)} of {len(segments)} segments, same times")
    out, good = [], 0
    for original, line in zip(segments, translated, strict=True):
        if check_language("line", line.text, target).ok and line.text != original.text:
            out.append(line)
            good += 1
        else:
            out.append(original)
    check = check_language(f"subtitles.{param}", " ".join(s.text for s in translated), target)
    check.detail = f"{good} of {len(segments)} lines translated into {target} ({check.detail})" + (
        f"; the others keep the {source or 'original'} text" if good < len(segments) else ""
    )
    check.ok = good == len(segments)
    checks.append(check)
    return out, (target if good * 2 > len(segments) else source)


def _prepare_subtitles(
    studio: Studio,
    edit: VideoEdit,
    index: int,
    inputs: list[Path],
    assets: dict[str, Any] | None,
    who: Caller,
    checks: CheckList,
    stored: list[str],
) -> SubtitlesOp:
    from .video_work import WORK_PREFIX, work_dir

    op = edit.operations[index]
    assert isinstance(op, SubtitlesOp)
    param = f"operations.{index}"
    with tempfile.TemporaryDirectory(prefix=f"{WORK_PREFIX}subs-", dir=work_dir(studio)) as tmp:
        wav, seconds = _audio_at(studio, edit, index, inputs, assets, Path(tmp))
        if seconds <= 0:
            raise InvalidRequest(
                f"'{param}.segments' is empty and the video has no sound to transcribe (or only silence). "
                "Give the captions.",
                param=f"{param}.segments",
            )
        segments, language = _transcribe(studio, wav, seconds, op, who, stored)
    if not segments:
        raise InvalidRequest(
            f"'{param}.segments' is empty and no speech was found in the sound. Give the captions.",
            param=f"{param}.segments",
        )
    heard = " ".join(s.text for s in segments)
    checks.add(
        f"subtitles.{param}.transcribed",
        True,
        f"{len(segments)} segments in {language or 'an unknown language'}: {heard[:200]}",
    )
    if op.translate_to and op.translate_to != language:
        segments, language = _checked_translation(studio, segments, language, op.translate_to, param, who, checks)
    return op.model_copy(update={"segments": segments, "language": op.language or language or None})


# ------------------------------------------------------------------------------------------ matte scenes

SCENE_MODEL = "design"
"""The model a matte's scene background is rendered with (the design engine)."""
SCENE_SIDES = (64, 4096)
"""Smallest and largest side the design engine renders; a video outside them gets a scene scaled to fit."""


def _scene_size(width: int, height: int) -> str:
    low, high = SCENE_SIDES
    scale = max(1.0, low / min(width, height))
    scale = min(scale, high / max(width, height))
    return f"{max(low, round(width * scale))}x{max(low, round(height * scale))}"


def _prepare_scene(
    studio: Studio,
    edit: VideoEdit,
    ops: list[Any],
    index: int,
    inputs: list[Path],
    who: Caller,
    assets: dict[str, Any],
    checks: CheckList,
    stored: list[str],
) -> MatteOp:
    """The matte at ``index`` with its scene rendered by the design engine at the stream's size there, the
    picture stored (its id in ``stored``) and added to ``assets`` under the name the operation now gives."""
    from ..backends.video import VideoLimits
    from ..backends.video.pipeline import check_edit

    op, param = ops[index], f"operations.{index}"
    if not inputs:
        raise InvalidRequest("Give the video whose background the scene replaces.", param="video")
    before = edit.model_copy(update={"operations": ops[:index]})
    state = check_edit(inputs, before, assets=assets, limits=VideoLimits.from_settings(studio.settings))
    size = _scene_size(state.width, state.height)
    spec = op.scene if isinstance(op.scene, dict) else None
    prompt = op.scene if isinstance(op.scene, str) else str(spec.get("headline") or "scene")
    request = ImageRequest(model=SCENE_MODEL, prompt=prompt, size=size, spec=spec, format="png")
    try:
        media = studio.generate_media(request, who=who, scope="video").media[0]
    except InvalidRequest as exc:  # a bad design spec: name the operation's field
        raise InvalidRequest(f"'{param}.scene': {exc.message}", param=f"{param}.scene") from None
    artifact = media.meta["artifact_id"]
    stored.append(artifact)
    _, path = studio.artifacts.open_path(artifact, key_id=who.key_id)
    name = f"_scene.{index}"
    assets[name] = path
    checks.add(f"matte.{param}.scene", True, f"design engine scene {size} stored as {artifact}")
    return op.model_copy(update={"asset": name})


# ------------------------------------------------------------------------------------------ entry point


def prepare_edit(
    studio: Studio,
    edit: VideoEdit | dict | list,
    inputs: Sequence[str | os.PathLike],
    who: Caller,
    *,
    assets: dict[str, Any] | None = None,
    stored: list[str] | None = None,
) -> VideoEdit:
    """``edit`` with the parts only models can fill (subtitles from speech, a look from words) filled in,
    and what was decided or repaired in ``checks``; an edit needing nothing is returned unchanged.
    ``assets``: the files the operations name (a soundtrack before the subtitles is transcribed with the
    rest); it receives the pictures rendered for matte scenes, under the names the operations now give.
    ``stored`` receives the ids of artifacts the preparation stored (Whisper's transcript, scenes)."""
    stored = [] if stored is None else stored
    edit = parse_edit(edit)
    paths = [Path(p) for p in inputs]
    checks = CheckList()
    ops = list(edit.operations)
    for i, op in enumerate(ops):
        if isinstance(op, StyleOp) and op.prompt:
            ops[i] = _prepare_style(studio, op, f"operations.{i}", who, checks)
        elif isinstance(op, SubtitlesOp) and not op.segments:
            ops[i] = _prepare_subtitles(studio, edit, i, paths, assets, who, checks, stored)
        elif isinstance(op, MatteOp) and op.background == "scene" and op.asset is None:
            assets = {} if assets is None else assets
            ops[i] = _prepare_scene(studio, edit, ops, i, paths, who, assets, checks, stored)
    if not checks:
        return edit
    for check in checks:
        log.info("video edit check %s: %s (%s)", check.name, "ok" if check.ok else "FAILED", check.detail)
    prepared = edit.model_dump(mode="json") | {
        "operations": [op.model_dump(mode="json") for op in ops],
        "checks": [*(c.model_dump() for c in edit.checks), *(EditCheck(**c.model_dump()).model_dump() for c in checks)],
    }
    return parse_edit(prepared)
