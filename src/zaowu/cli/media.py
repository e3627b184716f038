"""``zaowu speak``, ``zaowu transcribe`` and ``zaowu music``: files out, every run logged."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..types import MusicRequest, SpeechRequest, TranscriptionRequest
from .text import _user


def _progress(fraction: float, message: str) -> None:
    click.echo(f"\r[{'#' * int(fraction * 30):<30}] {fraction:4.0%} {message[:50]:<50}", nl=False, err=True)


def _suffix(path: Path, default: str) -> str:
    return path.suffix.lstrip(".").lower() or default


@click.command()
@click.argument("text", required=False)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="audio file; its extension picks the format (wav, mp3, opus, flac)")  # fmt: skip
@click.option("-v", "--voice", help="joe (English), espeak-zh, espeak-yue, ... (default: by language)")
@click.option("-l", "--language", help="en, zh, yue ... (default: detected per sentence)")
@click.option("--speed", type=float, default=1.0, show_default=True)
@click.option("-m", "--model")
@click.pass_obj
def speak(state, text, output, voice, language, speed, model) -> None:
    """Speak TEXT (or stdin) into an audio file."""
    text = text if text not in (None, "-") else ("" if sys.stdin.isatty() else sys.stdin.read())
    req = SpeechRequest(model=model, input=text, voice=voice, language=language, speed=speed,
                        format=_suffix(output, "wav"))  # fmt: skip
    result = state.studio().generate_media(req, interface="cli", caller=_user(), progress=_progress)
    output.write_bytes(result.media[0].data)
    click.echo("", err=True)
    click.echo(f"wrote {output} ({result.usage.get('media_seconds', 0):.1f} s of speech)")


@click.command()
@click.argument("audio", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "srt", "vtt", "json", "verbose_json"]),
              default="text", show_default=True)  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="file (default: stdout)")
@click.option("-l", "--language", help="ISO code such as en or zh (default: detected)")
@click.option("-m", "--model")
@click.pass_obj
def transcribe(state, audio, fmt, output, language, model) -> None:
    """Transcribe an AUDIO file to text or subtitles (Chinese in Simplified characters)."""
    req = TranscriptionRequest(model=model, audio=audio.read_bytes(), language=language, format=fmt)
    result = state.studio().generate_media(req, interface="cli", caller=_user())
    data = result.media[0].data
    if output is None:
        click.echo(data.decode("utf-8").rstrip("\n"))
    else:
        output.write_bytes(data)
        click.echo(f"wrote {output}", err=True)


@click.command()
@click.argument("prompt")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="audio file; its extension picks the format (wav, mp3, flac, ogg)")  # fmt: skip
@click.option("-d", "--duration", type=float, default=30, show_default=True, help="seconds, 5 to 300")
@click.option("--seed", type=int, help="same seed, same music")
@click.option("--midi", type=click.Path(dir_okay=False, path_type=Path), help="also write the MIDI here")
@click.pass_obj
def music(state, prompt, output, duration, seed, midi) -> None:
    """Compose music from a PROMPT in Chinese or English."""
    from ..studio.music import compose_music

    req = MusicRequest(prompt=prompt, duration=duration, seed=seed, format=_suffix(output, "wav"))
    result = compose_music(state.studio(), req, interface="cli", caller=_user(), progress=_progress)
    click.echo("", err=True)
    output.write_bytes(result.media[0].data)
    if midi is not None:
        midi.write_bytes(result.media[1].data)
    plan = result.media[0].meta.get("plan") or {}
    click.echo(f"wrote {output} ({duration:g} s, seed {result.seed}, {plan.get('genre')} in {plan.get('key')} "
               f"{plan.get('mode')} at {plan.get('tempo')} bpm)")  # fmt: skip
