"""``zaowu video``: generate a video from a prompt (``zaowu video "…" -s 9:16 -d 30 -o ad.mp4``, an alias of
``zaowu video generate``, with a progress bar per stage; ``--reference product.jpg`` puts a product image on
the design scenes, ``--voice`` picks the narration voice), ``zaowu video edit``: a video edit from flags
(or a JSON file of operations), or ``zaowu video presenter``: a portrait speaking a script; each run by the Studio.

    zaowu video edit in.mp4 --trim 1,4 --track 120,80,40,40@0 --remove --style "warm film look" -o out.mp4
    zaowu video edit talk.mp4 --subtitles --burn --translate zh --srt talk.srt -o out.mp4
    zaowu video edit a.mp4 b.mp4 --ops edit.json -o out.mp4
    zaowu video presenter --portrait face.jpg --script "大家好，欢迎光临。" --name 小李 -o host.mp4

The flags only spell operations (in the order trim, track, remove, style, matte, subtitles, mute); the
edit is stored and logged like every generation, and the result is copied to ``-o``. Progress and the
checks the Studio ran preparing the edit (a look from words, the transcription) go to stderr.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import click

from ..errors import InvalidRequest
from .text import _who

STYLE_PRESETS = ("cartoon", "pencil", "pencil_color", "oil", "stylize")  # StyleOp.preset; other text is a prompt
MATTE_KEYS = {"bg": "background", "background": "background", "color": "color", "blur": "blur", "asset": "asset"}


def _numbers(value: str, count: int, flag: str) -> list[float]:
    parts = value.split(",")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) != count:
        raise click.BadParameter(f"expected {count} comma-separated numbers, got {value!r}", param_hint=flag)
    return numbers


def _target(value: str, fps: float) -> dict[str, Any]:
    """``X,Y,W,H[@FRAME]`` → box and time (the frame counted in the stream as it is after --trim)."""
    spec, _, frame = value.partition("@")
    box = [round(n) for n in _numbers(spec, 4, "--track")]
    at = 0.0
    if frame:
        if not frame.isdigit():
            raise click.BadParameter(f"the frame after @ must be a whole number, got {frame!r}", param_hint="--track")
        at = int(frame) / fps
    return {"box": box, "at": round(at, 4)}


def _matte(value: str) -> dict[str, Any]:
    op: dict[str, Any] = {"op": "matte"}
    for part in filter(None, value.split(",")):
        key, _, val = part.partition("=")
        if key not in MATTE_KEYS or not val:
            raise click.BadParameter(
                f"use bg=color|image|blur|transparent, color=#rrggbb, blur=N, asset=NAME; got {part!r}",
                param_hint="--matte",
            )
        op[MATTE_KEYS[key]] = int(val) if key == "blur" and val.isdigit() else val
    return op


def _subtitles(burn: bool, translate: str | None) -> dict[str, Any]:
    """``--subtitles``: captions transcribed from the sound, a soft track (``--burn``: drawn into the pictures)."""
    op: dict[str, Any] = {"op": "subtitles", "mode": "burn" if burn else "soft"}
    if translate:
        op["translate_to"] = translate
    return op


def _flag_ops(studio, first: Path, trim, track, remove, style, matte, subs, mute) -> list[dict[str, Any]]:
    ops: list[dict[str, Any]] = []
    if trim:
        start, end = _numbers(trim, 2, "--trim")
        ops.append({"op": "trim", "start": start, "end": end})
    target = _target(track, studio.video_info(str(first))["fps"]) if track else None
    if target:
        ops.append({"op": "track", **target})
    if remove:
        if target is None:
            raise click.BadParameter("--remove removes the object given by --track X,Y,W,H", param_hint="--remove")
        ops.append({"op": "remove", **target})
    if style:
        ops.append({"op": "style", "preset": style} if style in STYLE_PRESETS else {"op": "style", "prompt": style})
    if matte:
        ops.append(_matte(matte))
    if subs:
        ops.append(subs)
    if mute:
        ops.append({"op": "mute"})
    return ops


def _progress(p) -> None:
    ops = " ".join(f"{name}:{done}" for name, done in p.operations)
    line = f"\r[{'#' * int(p.fraction * 30):<30}] {p.fraction:4.0%} frame {p.frame}/{p.total} {ops}"
    click.echo(f"{line[:110]:<110}", nl=False, err=True)


class _VideoGroup(click.Group):
    """``zaowu video "PROMPT" ...`` is ``zaowu video generate "PROMPT" ...``: a first argument that is not
    a subcommand (nor an option) is a prompt."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["generate", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_VideoGroup)
def video() -> None:
    """Make and edit videos: zaowu video "PROMPT" -s 9:16 -d 30 -o ad.mp4 (same as generate); edit: trim,
    track, remove objects, matte, restyle, subtitles."""


@video.command("edit")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="MP4 (or WebM)")
@click.option("--ops", "ops_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="edit JSON")
@click.option("--trim", help="START,END in seconds")
@click.option("--track", help="X,Y,W,H[@FRAME]: the object's box (on frame FRAME, default 0)")
@click.option("--remove", is_flag=True, help="make the --track object disappear")
@click.option("--style", help=f"a preset ({', '.join(STYLE_PRESETS)}) or a look in words")
@click.option("--matte", help="people cut out: bg=color|image|blur|transparent[,color=#rrggbb][,blur=N]")
@click.option("--subtitles", "subtitle", is_flag=True, help="captions from the speech (Whisper), as a soft track")
@click.option("--burn", is_flag=True, help="with --subtitles: draw the captions into the pictures")
@click.option("--translate", type=click.Choice(["zh", "en"]), help="with --subtitles: translate the captions")
@click.option("--srt", "srt_out", type=click.Path(dir_okay=False, path_type=Path), help="write the subtitles (SRT)")
@click.option("--mute", is_flag=True, help="drop the sound (after the subtitles are transcribed)")
@click.option("--asset", "assets", multiple=True, help="NAME=PATH: a file the operations name (mask, background)")
@click.option("--tracks", "tracks_out", type=click.Path(dir_okay=False, path_type=Path), help="write the tracks JSON")
@click.pass_obj
def edit(
    state,
    inputs,
    output,
    ops_file,
    trim,
    track,
    remove,
    style,
    matte,
    subtitle,
    burn,
    translate,
    srt_out,
    mute,
    assets,
    tracks_out,
) -> None:
    """Edit INPUTS (concatenated in order) into OUTPUT."""
    if (burn or translate) and not subtitle:
        raise click.BadParameter("--burn and --translate go with --subtitles", param_hint="--subtitles")
    studio = state.studio()
    if ops_file:
        try:
            edit_spec: Any = json.loads(ops_file.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise click.BadParameter(f"{ops_file} is not JSON: {exc}", param_hint="--ops") from None
    else:
        subs = _subtitles(burn, translate) if subtitle else None
        edit_spec = {"operations": _flag_ops(studio, inputs[0], trim, track, remove, style, matte, subs, mute)}
    if isinstance(edit_spec, dict) and output.suffix.lower() == ".webm":
        edit_spec.setdefault("format", "webm")
    named = {}
    for item in assets:
        name, _, path = item.partition("=")
        if not name or not Path(path).is_file():
            raise click.BadParameter(f"expected NAME=PATH of an existing file, got {item!r}", param_hint="--asset")
        named[name] = Path(path)
    result = studio.edit_video(list(inputs), edit_spec, assets=named, who=_who(), progress=_progress)
    click.echo("", err=True)
    _, path = studio.artifacts.open_path(result.artifact_id)
    output.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, output)
    for role, target in (("tracks", tracks_out), ("srt", srt_out)):
        first = next((a for a in result.attachments if a["role"] == role), None)  # the first subtitles operation's
        if target and first:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(studio.artifacts.open_path(first["artifact_id"])[1], target)
    for check in result.checks:
        click.echo(f"{'ok  ' if check['ok'] else 'FAIL'} {check['name']}: {check['detail']}", err=True)
    click.echo(
        f"wrote {output} ({result.width}x{result.height}, {result.duration:.2f} s, {result.frames} frames; "
        f"artifact {result.artifact_id})"
    )


ASPECT_SIZES = {"9:16": "720x1280", "16:9": "1280x720", "1:1": "720x720"}


def _reference(studio, path: Path) -> str:
    """The ``--reference`` image stored as the local user's upload (a 400-style error naming the flag); its id."""
    from ..studio.reference import store_reference

    try:
        return store_reference(studio, path.read_bytes(), _who(), name=path.name)
    except InvalidRequest as exc:
        raise click.BadParameter(f"{path}: {exc.message}", param_hint="--reference") from None


class _StageBars:
    """One progress bar per stage of a video (storyboard, narration, music, scenes, encode) on stderr: a
    stage's bar is redrawn in place and left complete on its own line when the next stage starts."""

    WIDTH = 24

    def __init__(self) -> None:
        self.stage = ""

    def __call__(self, fraction: float, message: str) -> None:
        from ..studio.storyboard import stage_of

        stage, done, detail = stage_of(fraction, message)
        if stage != self.stage and self.stage:
            click.echo("", err=True)
        self.stage = stage or self.stage
        shown = stage or "video"
        bar = "#" * round(done * self.WIDTH)
        line = f"{shown:<10} [{bar:<{self.WIDTH}}] {round(100 * done):3d}% {detail}"
        click.echo(f"\r{line[:110]:<110}", nl=False, err=True)

    def close(self) -> None:
        if self.stage:
            click.echo("", err=True)


GENERATE_HELP = "A short video from PROMPT: storyboard → narration → music → subtitles → MP4 (+ .srt, cover PNG)."


@video.command("generate", help=GENERATE_HELP)
@click.argument("prompt")
@click.option("-s", "--size", default="9:16", help="9:16, 16:9, 1:1 (720p) or WIDTHxHEIGHT (e.g. 1080x1920)")
@click.option("-d", "--duration", type=float, default=15.0, show_default=True, help="seconds")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="MP4 file")
@click.option("--seed", type=int, help="same prompt + seed: the same storyboard and video")
@click.option("--language", type=click.Choice(["zh", "en"]), help="narration language (default: the prompt's)")
@click.option("--storyboard", "board_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="JSON")
@click.option("--model", help="video model (default: storyboard)")
@click.option(
    "--reference",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="product/hero image (PNG, JPEG, WebP) cut out on the first, last and every other design scene",
)
@click.option("--voice", help="narration voice (see GET /v1/audio/voices; default: the language's)")
@click.option("--image-model", help="paint the design scenes' pictures with this image model (default: none)")
@click.pass_obj
def generate(state, prompt, size, duration, output, seed, language, board_file, model, reference, voice, image_model):
    from ..studio.storyboard import video_request

    studio = state.studio()
    board = None
    if board_file:
        try:
            board = json.loads(board_file.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise click.BadParameter(f"{board_file} is not JSON: {exc}", param_hint="--storyboard") from None
    fields = {"prompt": prompt, "model": model, "seconds": duration, "size": ASPECT_SIZES.get(size, size)}
    fields.update(seed=seed, storyboard=board, language=language, voice=voice, image_model=image_model)
    request = video_request(studio, **fields)  # every field checked before the reference is stored
    if reference is not None:
        request = request.model_copy(update={"input_reference": _reference(studio, reference)})
    result, meta = _render_to(studio, request, _who(), output)
    click.echo(
        f"wrote {output} ({meta['width']}x{meta['height']}, {meta['duration']:.2f} s, seed {result.seed}; "
        f"artifact {meta['artifact_id']})"
    )


@video.command("presenter")
@click.option(
    "--portrait",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="a photo with one face (head and shoulders); or give --avatar",
)
@click.option(
    "--avatar", help="instead of a photo, a designed host drawn from this description ('短发女主播，藏青色西装')"
)
@click.option("--script", required=True, help="what the host says (Chinese, English or both); '-' reads stdin")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="MP4 file")
@click.option("-s", "--size", default="9:16", help="9:16, 16:9, 1:1 (720p) or WIDTHxHEIGHT (e.g. 1080x1920)")
@click.option("--name", default="", help="the lower-third banner's name (empty: no banner)")
@click.option("--title", default="", help="the banner's second line (a role, a shop)")
@click.option("--voice", help="the voice speaking the script (default: by each sentence's language)")
@click.option("--language", type=click.Choice(["zh", "en"]), help="the script's language (default: per sentence)")
@click.option(
    "--audio",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="a WAV recording to speak instead of synthesising the script",
)
@click.option(
    "--background",
    default="blur",
    help="'blur' (the photo's own scene), a colour #rrggbb, a picture file, 'scene' or 'scene:PALETTE' (a designed scene)",
)
@click.option(
    "--slide",
    "slides",
    multiple=True,
    help="a panel beside the host for the next paragraph (line) of the script: 'Title: point; point' ('-': none)",
)
@click.option(
    "--slide-image",
    "slide_images",
    multiple=True,
    help="N=picture.png: a picture on slide N (from 1)",
)
@click.option("--subtitles", type=click.Choice(["both", "soft", "burned", "none"]), default="both", show_default=True)
@click.option("--seed", type=int, help="same inputs + seed: the same blinks and motion")
@click.pass_obj
def presenter(
    state,
    portrait,
    avatar,
    script,
    output,
    size,
    name,
    title,
    voice,
    language,
    audio,
    background,
    slides,
    slide_images,
    subtitles,
    seed,
) -> None:
    """A talking host: a PORTRAIT photo (or a designed --avatar) speaks SCRIPT (lips, blinks, head motion, banner,
    subtitles) → MP4 (+ .srt, cover)."""
    from ..studio.reference import store_reference
    from ..studio.storyboard import video_request

    if script == "-":
        script = click.get_text_stream("stdin").read()
    from ..backends.presenter.spec import panel_from_line

    if (portrait is None) == (avatar is None):
        raise click.UsageError("give --portrait PHOTO or --avatar DESCRIPTION (one of them)")
    options: dict[str, Any] = {"name": name, "title": title, "voice": voice, "subtitles": subtitles, "avatar": avatar}
    studio = state.studio()
    photo, who = (portrait.read_bytes() if portrait else None), _who()
    if background.startswith("#"):
        options.update(background="colour", background_colour=background)
    elif background == "scene" or background.startswith("scene:"):
        palette = background.partition(":")[2]
        options.update(background="scene", scene={"palette": palette} if palette else {})
    elif background != "blur":
        picture = Path(background)
        if not picture.is_file():
            raise click.BadParameter(
                f"{background!r} is not 'blur', a #rrggbb colour, 'scene[:PALETTE]' or a picture",
                param_hint="--background",
            )
        stored_bg = store_reference(studio, picture.read_bytes(), who, picture.name, param="presenter.background_image")
        options.update(background="image", background_image=stored_bg)
    panels: list[dict[str, Any] | None] = [panel_from_line(line) for line in slides]
    for item in slide_images:
        number, _, path = item.partition("=")
        if not number.isdigit() or not 1 <= int(number) <= len(panels) or not Path(path).is_file():
            raise click.BadParameter(
                f"{item!r} is not N=FILE for one of the {len(panels)} --slide", param_hint="--slide-image"
            )
        i = int(number) - 1
        image_id = store_reference(
            studio, Path(path).read_bytes(), who, Path(path).name, param=f"presenter.panels.{i}.image"
        )
        panels[i] = {**(panels[i] or {"title": ""}), "image": image_id}
    if panels:
        options["panels"] = panels
    request = video_request(
        studio,
        prompt=script,
        model="presenter",
        size=ASPECT_SIZES.get(size, size),
        seed=seed,
        language=language,
        portrait=photo,  # checked (a usable face) before it is stored
        presenter={k: v for k, v in options.items() if v not in (None, "")},
        audio=audio.read_bytes() if audio else None,
        who=who,
    )
    if photo is not None:
        request = request.model_copy(update={"input_reference": store_reference(studio, photo, who, portrait.name)})
    _, meta = _render_to(studio, request, who, output)
    click.echo(
        f"wrote {output} ({meta['width']}x{meta['height']}, {meta['duration']:.2f} s, mouth from {meta['mouth']}; "
        f"artifact {meta['artifact_id']})"
    )


def _render_to(studio, request, who, output: Path):
    """Render ``request`` with stage progress bars and copy the MP4 to ``output`` (its SRT and cover beside
    it); returns the result and the video's meta."""
    bars = _StageBars()
    try:
        result = studio.generate_media(request, who=who, progress=bars)
    finally:
        bars.close()
    meta = result.media[0].meta
    output.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(studio.artifacts.open_path(meta["artifact_id"])[1], output)
    for key, suffix in (("srt", ".srt"), ("thumbnail", ".cover.png")):
        artifact_id = meta.get(f"{key}_artifact_id")
        if artifact_id:
            shutil.copyfile(studio.artifacts.open_path(artifact_id)[1], output.with_suffix(suffix))
    return result, meta
