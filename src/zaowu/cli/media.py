"""``zaowu speak``, ``zaowu transcribe`` and ``zaowu music``: files out, every run logged."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..types import ImageRequest, MusicRequest, SpeechRequest, TranscriptionRequest
from .text import _who


def _progress(fraction: float, message: str) -> None:
    click.echo(f"\r[{'#' * int(fraction * 30):<30}] {fraction:4.0%} {message[:50]:<50}", nl=False, err=True)


def _suffix(path: Path, default: str) -> str:
    return path.suffix.lstrip(".").lower() or default


@click.command()
@click.argument("text", required=False)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="audio file; its extension picks the format (wav, mp3, opus, flac)",
)
@click.option("-v", "--voice", help="joe (English), espeak-zh, espeak-yue, ... (default: by language)")
@click.option("-l", "--language", help="en, zh, yue ... (default: detected per sentence)")
@click.option("--speed", type=float, default=1.0, show_default=True)
@click.option("-m", "--model")
@click.pass_obj
def speak(state, text, output, voice, language, speed, model) -> None:
    """Speak TEXT (or stdin) into an audio file."""
    text = text if text not in (None, "-") else ("" if sys.stdin.isatty() else sys.stdin.read())
    req = SpeechRequest(
        model=model, input=text, voice=voice, language=language, speed=speed, format=_suffix(output, "wav")
    )
    result = state.studio().generate_media(req, who=_who(), progress=_progress)
    output.write_bytes(result.media[0].data)
    click.echo("", err=True)
    click.echo(f"wrote {output} ({result.usage.get('media_seconds', 0):.1f} s of speech)")


@click.command()
@click.argument("audio", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(["text", "srt", "vtt", "json", "verbose_json"]),
    default="text",
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="file (default: stdout)")
@click.option("-l", "--language", help="ISO code such as en or zh (default: detected)")
@click.option("-m", "--model")
@click.pass_obj
def transcribe(state, audio, fmt, output, language, model) -> None:
    """Transcribe an AUDIO file to text or subtitles (Chinese in Simplified characters)."""
    req = TranscriptionRequest(model=model, audio=audio.read_bytes(), language=language, format=fmt)
    result = state.studio().generate_media(req, who=_who())
    data = result.media[0].data
    if output is None:
        click.echo(data.decode("utf-8").rstrip("\n"))
    else:
        output.write_bytes(data)
        click.echo(f"wrote {output}", err=True)


@click.command()
@click.argument("prompt")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="image file; its extension picks the format (png, webp, jpeg, svg); with -n, numbered",
)
@click.option("-k", "--kind", help="poster, logo, banner, social_post, product_card, storefront_header")
@click.option("-s", "--size", default="1024x1024", show_default=True, help="WxH or 1:1, 3:4, 9:16, 16:9, logo")
@click.option("--seed", type=int, help="same seed, same design")
@click.option("-n", "count", type=int, default=1, show_default=True, help="variants")
@click.option("-m", "--model")
@click.option(
    "--image",
    "source",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="source image: image-to-image, or inpainting with --mask (diffusers or remote models)",
)
@click.option(
    "--mask",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="where to repaint: white (or transparent) areas of this image",
)
@click.pass_obj
def image(state, prompt, output, kind, size, seed, count, model, source, mask) -> None:
    """Design a poster, logo, banner or card from a PROMPT in Chinese or English,
    or draw/edit an image with a diffusion or remote model (-m)."""
    fmt = {"jpg": "jpeg"}.get(_suffix(output, "png"), _suffix(output, "png"))
    req = ImageRequest(
        model=model,
        prompt=prompt,
        kind=kind,
        size=size,
        seed=seed,
        n=count,
        format=fmt,
        image=source.read_bytes() if source else None,
        mask=mask.read_bytes() if mask else None,
    )
    result = state.studio().generate_media(req, who=_who(), progress=_progress)
    click.echo("", err=True)
    for i, media in enumerate(result.media):
        path = output if count == 1 else output.with_name(f"{output.stem}-{i + 1}{output.suffix}")
        path.write_bytes(media.data)
        click.echo(f"wrote {path} ({media.meta.get('size')}, seed {media.meta.get('seed')})")


@click.command()
@click.argument("prompt")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="audio file; its extension picks the format (wav, mp3, flac, ogg)",
)
@click.option("-d", "--duration", type=float, default=30, show_default=True, help="seconds, 5 to 300")
@click.option("--seed", type=int, help="same seed, same music")
@click.option("--midi", type=click.Path(dir_okay=False, path_type=Path), help="also write the MIDI here")
@click.pass_obj
def music(state, prompt, output, duration, seed, midi) -> None:
    """Compose music from a PROMPT in Chinese or English."""
    req = MusicRequest(prompt=prompt, duration=duration, seed=seed, format=_suffix(output, "wav"))
    result = state.studio().generate_media(req, who=_who(), progress=_progress)
    click.echo("", err=True)
    output.write_bytes(result.media[0].data)
    if midi is not None:
        midi.write_bytes(result.media[1].data)
    plan = result.media[0].meta.get("plan") or {}
    click.echo(
        f"wrote {output} ({duration:g} s, seed {result.seed}, {plan.get('genre')} in {plan.get('key')} "
        f"{plan.get('mode')} at {plan.get('tempo')} bpm)"
    )
    for check in result.media[0].meta.get("checks", []):
        if not check["ok"] or check["detail"].startswith("repaired"):
            click.echo(f"  {check['name']}: {'ok' if check['ok'] else 'FAILED'}, {check['detail']}", err=True)
