"""Video edits run through the studio: uploads checked and stored, the edit run, its outputs stored and logged.

The editing itself is backend code (``backends/video``: ``edit_video``); here it becomes a generation
like any other. Inputs are artifacts the caller owns (an upload is stored as one first, after its
container and codecs are probed) or, for Python and CLI callers, files on this machine. Before the
pass ``video_prepare.prepare_edit`` may fill in operations (subtitles from speech, styles from text),
reporting what it decided in the edit's ``checks`` (only the Studio fills them: a caller's are dropped).
That work (Whisper, the LLM) runs under the edit's ``video`` scope and is charged to the caller's key.
The output video is stored as an artifact, with the tracks as a JSON artifact, subtitles as SRT and VTT
and Whisper's transcript beside it, recorded in the generation log (modality ``video``, model
``video-edit``) and charged by the seconds of video made. A failed or cancelled edit stores nothing: the
pass writes to a temporary folder (``data_dir/tmp/video-edit-*``; what a killed process left there is
removed when a Studio starts) and the artifacts are stored only once it is complete.

    result = studio.edit_video([Path("in.mp4")], {"operations": [{"op": "trim", "start": 1, "end": 3}]})
    result.artifact_id, result.attachments, result.checks, result.duration
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidRequest, NotFound
from ..types import Caller, Modality, ModelSpec
from .planner import planner_model
from .video_work import WORK_PREFIX, work_dir

if TYPE_CHECKING:
    from ..backends.video.ops import VideoEdit
    from ..backends.video.pipeline import EditProgress
    from ..backends.video.probe import VideoInfo, VideoLimits
    from .engine import Studio

__all__ = [
    "ASSET_NAME",
    "MAX_ASSET_BYTES",
    "STALE_WORK_SECONDS",
    "VIDEO_EDIT_MODEL",
    "VideoEditResult",
    "VideoInput",
    "check_video_edit",
    "run_video_edit",
    "store_asset",
    "store_video",
    "sweep_work_dir",
    "video_limits",
    "work_dir",
]

VIDEO_EDIT_MODEL = ModelSpec(
    id="video-edit",
    modality=Modality.video,
    backend="video",
    name="video editor",
    licence="LGPL-2.1+ (FFmpeg via PyAV), Apache-2.0 (OpenCV; mediapipe for people)",
)
MAX_ASSET_BYTES = 64 << 20  # largest asset (a mask, a background picture, a soundtrack) an edit accepts
ASSET_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")  # the names operations use for assets (ops.AssetName)
MIME = {"mp4": "video/mp4", "webm": "video/webm"}
STALE_WORK_SECONDS = 3600
"""A temporary folder of an edit in which nothing changed for this long was left by a killed process: a
running pass writes its output continuously, so a Studio starting removes such folders."""
SUBTITLE_MIMES = (("srt", "application/x-subrip; charset=utf-8"), ("vtt", "text/vtt; charset=utf-8"))

log = logging.getLogger(__name__)

VideoInput = str | os.PathLike[str]
"""An input: a ``str`` is an artifact id the caller owns; a path is a file on this machine (Python, CLI)."""


@dataclass(frozen=True)
class VideoEditResult:
    """A stored edit: the video artifact, what it is, its attachments (tracks JSON, SRT, VTT, transcript),
    its log row, the checks the Studio ran preparing it, and per subtitles operation what was captioned."""

    artifact_id: str
    generation_id: str
    mime: str
    width: int
    height: int
    fps: float
    duration: float
    frames: int
    audio: bool
    copied: bool
    tracks: dict[str, list[dict]] = field(default_factory=dict)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    checks: list[dict[str, Any]] = field(default_factory=list)
    subtitles: list[dict[str, Any]] = field(default_factory=list)

    @property
    def artifacts(self) -> list[str]:
        return [self.artifact_id, *(a["artifact_id"] for a in self.attachments)]

    def as_dict(self) -> dict[str, Any]:
        return {
            "artifact_id": self.artifact_id,
            "url": f"/v1/artifacts/{self.artifact_id}",
            "generation_id": self.generation_id,
            "mime": self.mime,
            "width": self.width,
            "height": self.height,
            "fps": round(self.fps, 3),
            "duration": round(self.duration, 3),
            "frames": self.frames,
            "audio": self.audio,
            "copied": self.copied,
            "attachments": self.attachments,
            "artifacts": self.artifacts,
            "checks": self.checks,
            "subtitles": self.subtitles,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


def video_limits(studio: Studio) -> VideoLimits:
    from ..backends.video.probe import VideoLimits

    return VideoLimits.from_settings(studio.settings)


def _info_meta(info: VideoInfo) -> dict[str, Any]:
    return {k: v for k, v in info.as_dict().items() if k != "path"}


def store_video(
    studio: Studio, path: str | os.PathLike[str], who: Caller, *, name: str | None, param: str, move: bool = False
) -> dict:
    """Probe an uploaded video (400 naming ``param`` for a corrupt or non-video file, or one beyond the
    limits) and store it as an artifact owned by ``who`` (``move``: the file is a temporary to move into
    the store); returns its row."""
    from ..backends.video.probe import probe_video

    info = probe_video(path, video_limits(studio), param)
    return studio.artifacts.put_file(
        path,
        _upload_mime(info.container),
        move=move,
        name=_safe_name(name, "video"),
        job_id=who.job_id,
        caller=who.name,
        key_id=who.key_id,
        meta={"video": _info_meta(info), "upload": True},
        upload=True,
    )


def store_asset(studio: Studio, path: str | os.PathLike[str], who: Caller, *, name: str) -> dict:
    """Store a file an operation names (``name``) as an artifact owned by ``who``; served only as an attachment."""
    if not ASSET_NAME.match(name):
        raise InvalidRequest(
            f"The asset name {name[:80]!r} is not valid: use 1-64 letters, digits, '_', '.' or '-' "
            "(the name the operations give in 'asset' or 'mask').",
            param="assets",
        )
    size = os.path.getsize(path)
    if size > MAX_ASSET_BYTES:
        raise InvalidRequest(
            f"The asset '{name}' is {size >> 20} MiB; the limit is {MAX_ASSET_BYTES >> 20} MiB. Send a smaller file.",
            param=f"assets.{name}",
        )
    return studio.artifacts.put_file(
        path,
        "application/octet-stream",
        name=name,
        job_id=who.job_id,
        caller=who.name,
        key_id=who.key_id,
        meta={"asset": name, "upload": True},
        upload=True,
    )


def _upload_mime(container: str) -> str:
    """The type an upload is stored as: a video type only for containers players open, else a download."""
    if "webm" in container:
        return "video/webm"
    if "mp4" in container or "mov" in container:
        return "video/mp4"
    return "application/octet-stream"


def _safe_name(name: str | None, default: str) -> str:
    base = os.path.basename(name or "")[:120]
    return base if base and base.isprintable() else default


def _resolve(studio: Studio, item: VideoInput, who: Caller, param: str) -> tuple[Path, dict[str, Any]]:
    """The local file of an input and how the log shows it; another key's artifact is a 404 like a missing one."""
    if isinstance(item, str):
        try:
            row, path = studio.artifacts.open_path(item, key_id=who.key_id)
        except NotFound:
            raise NotFound(f"No artifact with id '{item[:80]}' (for '{param}').", param=param) from None
        return path, {"artifact_id": row["id"], "sha256": row["sha256"], "bytes": row["size_bytes"]}
    path = Path(item)
    if not path.is_file():
        raise InvalidRequest(f"'{param}': no file at {str(path)[:200]}.", param=param)
    return path, {"file": path.name, "bytes": path.stat().st_size}


def _resolve_all(
    studio: Studio, inputs: Sequence[VideoInput], assets: Mapping[str, VideoInput] | None, who: Caller
) -> tuple[list[Path], dict[str, Path], dict[str, Any]]:
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    if not inputs:
        raise InvalidRequest("Give at least one video to edit.", param="video")
    limits = video_limits(studio)
    if len(inputs) > limits.max_inputs:
        raise InvalidRequest(
            f"{len(inputs)} videos given; the limit (video_max_inputs) is {limits.max_inputs}.",
            param="video_max_inputs",
        )
    paths, shown = [], []
    for i, item in enumerate(inputs):
        path, desc = _resolve(studio, item, who, "video" if len(inputs) == 1 else f"video.{i}")
        paths.append(path)
        shown.append(desc)
    asset_paths, asset_shown = {}, {}
    for name, item in (assets or {}).items():
        path, desc = _resolve(studio, item, who, f"assets.{name}")
        asset_paths[name] = path
        asset_shown[name] = desc
    return paths, asset_paths, {"inputs": shown, "assets": asset_shown}


def check_video_edit(
    studio: Studio,
    inputs: Sequence[VideoInput],
    edit: VideoEdit | dict | list,
    who: Caller,
    *,
    assets: Mapping[str, VideoInput] | None = None,
) -> VideoEdit:
    """Refuse a bad edit before any work: the operations parsed, the inputs probed and the edit planned
    against them (400 naming the field or the limit), and what the Studio's preparation needs is there
    (sound for subtitles from speech, the models it runs). Returns the parsed edit, without checks."""
    from ..backends.video.ops import parse_edit
    from ..backends.video.pipeline import check_edit

    parsed = _without_checks(parse_edit(edit))
    paths, asset_paths, _ = _resolve_all(studio, inputs, assets, who)
    limits = video_limits(studio)
    planned = _with_placeholders(parsed)
    check_edit(paths, planned, assets=asset_paths, limits=limits)
    for i in _to_transcribe(parsed):
        before = planned.model_copy(update={"operations": planned.operations[:i]})
        if not check_edit(paths, before, assets=asset_paths, limits=limits).audio:
            raise InvalidRequest(
                f"'operations.{i}.segments' is empty and the video has no sound at that point to transcribe. "
                "Give the captions as segments.",
                param=f"operations.{i}.segments",
            )
    _check_models(studio, parsed)
    return parsed


def _without_checks(edit: VideoEdit) -> VideoEdit:
    """The edit with the caller's ``checks`` dropped: only the Studio's preparation reports checks."""
    return edit.model_copy(update={"checks": []}) if edit.checks else edit


def _to_transcribe(edit: VideoEdit) -> list[int]:
    """Indexes of the subtitles operations whose captions the Studio transcribes."""
    return [i for i, op in enumerate(edit.operations) if op.op == "subtitles" and not op.segments]


def _with_placeholders(edit: VideoEdit) -> VideoEdit:
    """The edit as the engine can plan it before preparation: subtitles to transcribe get one placeholder
    caption (their real ones come from the sound), a matte's scene to render a plain colour."""
    from ..backends.video.ops import SubtitleSegment

    todo = _to_transcribe(edit)
    scenes = _scenes(edit)
    if not todo and not scenes:
        return edit
    caption = [SubtitleSegment(start=0.0, end=0.04, text="…")]
    ops = [
        op.model_copy(update={"segments": caption})
        if i in todo
        else op.model_copy(update={"background": "color"})
        if i in scenes
        else op
        for i, op in enumerate(edit.operations)
    ]
    return edit.model_copy(update={"operations": ops})


def _scenes(edit: VideoEdit) -> list[int]:
    """Indexes of the matte operations whose scene the Studio renders."""
    return [i for i, op in enumerate(edit.operations) if op.op == "matte" and op.background == "scene" and not op.asset]


def _check_models(studio: Studio, edit: VideoEdit) -> None:
    """The models preparing ``edit`` will run are installed (ModelNotInstalled, as the job would fail, but now)."""
    from .video_prepare import keyword_style

    todo = _to_transcribe(edit)
    if todo:
        studio.catalog.spec(studio.default_model(Modality.transcription), Modality.transcription)
    words = [op.prompt for op in edit.operations if op.op == "style" and op.prompt]
    translate = any(edit.operations[i].translate_to for i in todo)
    prompts = any(isinstance(edit.operations[i].scene, str) for i in _scenes(edit))  # planned by the LLM
    if translate or prompts or any(keyword_style(w)[2] for w in words):  # words the keyword table does not know
        studio.catalog.spec(planner_model(studio), Modality.text)
    if _scenes(edit):
        from .video_prepare import SCENE_MODEL

        studio.catalog.spec(SCENE_MODEL, Modality.image)


def run_video_edit(
    studio: Studio,
    inputs: Sequence[VideoInput],
    edit: VideoEdit | dict | list,
    who: Caller,
    *,
    assets: Mapping[str, VideoInput] | None = None,
    progress: Callable[[EditProgress], None] | None = None,
) -> VideoEditResult:
    """Run ``edit`` on ``inputs`` for ``who`` and store the outputs (see the module docstring)."""
    from ..backends.video.ops import parse_edit
    from .video_prepare import prepare_edit

    parsed = _without_checks(parse_edit(edit))
    paths, asset_paths, shown = _resolve_all(studio, inputs, assets, who)
    made: list[str] = []  # artifacts the preparation stored (Whisper's transcript): dropped if the edit fails
    try:
        parsed = prepare_edit(studio, parsed, paths, who, assets=asset_paths, stored=made)
        return _run_pass(studio, parsed, paths, asset_paths, shown, who, made, progress)
    except BaseException:
        studio.artifacts.discard(made)
        raise


def _run_pass(
    studio: Studio,
    edit: VideoEdit,
    paths: list[Path],
    asset_paths: dict[str, Path],
    shown: dict[str, Any],
    who: Caller,
    made: list[str],
    progress: Callable[[EditProgress], None] | None,
) -> VideoEditResult:
    """The pass itself, logged as one generation, and its outputs stored."""
    from ..backends.video.pipeline import edit_video

    params = edit.model_dump(mode="json", exclude_none=True)
    with (
        tempfile.TemporaryDirectory(prefix=WORK_PREFIX, dir=work_dir(studio)) as tmp,
        studio.log.record(
            who, modality=Modality.video.value, model=VIDEO_EDIT_MODEL, params=params, seed=None, input=shown
        ) as rec,
    ):
        out = Path(tmp) / f"edit.{edit.format}"
        done = edit_video(
            paths,
            edit,
            out,
            assets=asset_paths,
            limits=video_limits(studio),
            progress=progress,
            frame_label=studio.frame_label(rec.id, who),
        )
        result = _store(studio, done, edit, rec.id, who, made)
        rec.media_seconds = result.duration
        rec.output = json.dumps(
            {
                "artifacts": [{"id": a, "role": r} for a, r in _roles(result)],
                "media_seconds": round(result.duration, 3),
                "checks_failed": [c["name"] for c in result.checks if not c["ok"]],
            }
        )
    return result


def sweep_work_dir(data_dir: str | os.PathLike[str], *, now: float | None = None) -> int:
    """Remove the temporary folders of edits in ``data_dir/tmp`` in which nothing changed for
    :data:`STALE_WORK_SECONDS` (a process killed mid-edit left them); returns how many were removed."""
    root = Path(data_dir) / "tmp"
    if not root.is_dir():
        return 0
    cutoff = (now or time.time()) - STALE_WORK_SECONDS
    removed = 0
    for folder in root.glob(f"{WORK_PREFIX}*"):
        try:
            if folder.is_symlink() or not folder.is_dir() or _last_change(folder) > cutoff:
                continue
            shutil.rmtree(folder)
        except OSError as exc:  # gone meanwhile, or not ours to remove: leave it
            log.warning("could not remove the stale edit folder %s (%s)", folder, exc)
            continue
        removed += 1
    if removed:
        log.info("removed %d temporary folder(s) of interrupted video edits from %s", removed, root)
    return removed


def _last_change(folder: Path) -> float:
    """The newest modification time of ``folder`` and everything in it."""
    newest = folder.lstat().st_mtime
    for path in folder.rglob("*"):
        newest = max(newest, path.lstat().st_mtime)
    return newest


def _roles(result: VideoEditResult) -> list[tuple[str, str]]:
    return [(result.artifact_id, "video"), *((a["artifact_id"], a["role"]) for a in result.attachments)]


def _store(
    studio: Studio, done: Any, edit: VideoEdit, generation_id: str, who: Caller, made: list[str]
) -> VideoEditResult:
    """Store the finished video and its attachments; if any of it fails, none of it stays. ``made``: artifacts
    the preparation stored (Whisper's transcript), listed as attachments."""
    from .. import cancel

    cancel.check()  # cancelled while the pass ended: store nothing
    fmt = edit.format
    common = {"generation_id": generation_id, "job_id": who.job_id, "caller": who.name, "key_id": who.key_id}
    summary = {k: v for k, v in done.as_dict().items() if k not in ("path", "tracks", "inputs", "subtitles")}
    summary["subtitles"] = [_subtitle_summary(entry) for entry in done.subtitles]
    stored: list[str] = []
    try:
        row = studio.artifacts.put_file(
            done.path,
            MIME[fmt],
            move=True,
            name=f"edit.{fmt}",
            meta={"video_edit": summary},
            unlabelled=who.unlabelled,
            **common,
        )
        stored.append(row["id"])
        attachments = []
        if done.tracks:
            data = json.dumps({"tracks": done.tracks}, ensure_ascii=False).encode("utf-8")
            att = studio.artifacts.put(data, "application/json", name="tracks.json", **common)
            stored.append(att["id"])
            attachments.append({"artifact_id": att["id"], "role": "tracks", "mime": "application/json"})
        subtitles = []
        for entry in done.subtitles:
            files = {}
            for fmt_name, mime, name, text in _subtitle_files(entry, len(done.subtitles) > 1):
                att = studio.artifacts.put(text.encode("utf-8"), mime, name=name, **common)
                stored.append(att["id"])
                files[fmt_name] = att["id"]
                attachments.append(
                    {"artifact_id": att["id"], "role": fmt_name, "mime": mime, "operation": entry["operation"]}
                )
            subtitles.append({**_subtitle_summary(entry), **files})
        attachments.extend({"artifact_id": a, "role": "transcript", "mime": "application/json"} for a in made)
    except BaseException:
        studio.artifacts.discard(stored)
        raise
    return VideoEditResult(
        artifact_id=row["id"],
        generation_id=generation_id,
        mime=MIME[fmt],
        width=done.width,
        height=done.height,
        fps=done.fps,
        duration=done.duration,
        frames=done.frames,
        audio=done.audio,
        copied=done.copied,
        tracks=done.tracks,
        attachments=attachments,
        timings=done.timings,
        checks=[c.model_dump() for c in edit.checks],
        subtitles=subtitles,
    )


def _subtitle_summary(entry: dict[str, Any]) -> dict[str, Any]:
    """What a subtitles operation captioned (operation, language, segments, track, burned), without file paths."""
    return {k: v for k, v in entry.items() if k not in ("srt", "vtt")}


def _subtitle_files(entry: dict[str, Any], several: bool) -> list[tuple[str, str, str, str]]:
    """(format, mime, name, text) of the SRT and VTT files a subtitles operation wrote beside the output."""
    suffix = f".{entry['operation']}" if several else ""
    files = []
    for fmt, mime in SUBTITLE_MIMES:
        path = entry.get(fmt)
        if path and Path(path).is_file():
            files.append((fmt, mime, f"subtitles{suffix}.{fmt}", Path(path).read_text(encoding="utf-8")))
    return files
