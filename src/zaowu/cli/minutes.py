"""``zaowu app meeting-minutes RECORDING``: the meeting-minutes app from the command line.

    zaowu app meeting-minutes rec.m4a -o minutes.docx --date 2026-12-01
    zaowu app meeting-minutes --transcript notes.txt -o minutes.md

The minutes (Markdown) go to stdout, the checks and progress to stderr; ``-o`` writes the DOCX (a
``.docx`` path), the Markdown (``.md``) or every file into a folder (any other path).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from .output import _echo_checks, _echo_json, _save_artifacts
from .text import _user, _who

_SUFFIX_FILE = {".docx": "docx", ".md": "markdown_file"}


@click.command("meeting-minutes")
@click.argument("recording", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-t",
    "--transcript",
    type=click.File("r", encoding="utf-8"),
    help="a transcript file instead of a recording (- for stdin)",
)
@click.option(
    "-o", "--out", type=click.Path(path_type=Path), help="minutes.docx, minutes.md, or a folder for every file"
)
@click.option("--date", "date", type=click.DateTime(["%Y-%m-%d"]), help="meeting date; due dates resolve against it")
@click.option("-l", "--language", type=click.Choice(["zh", "en"]), help="default: detected")
@click.option(
    "-a",
    "--attendees",
    help="names of the people present ('刘洋、王强' or 'Alice, David'); misheard names are spelled so",
)
@click.option("-m", "--model", help="text model that reads the transcript")
@click.option("--seed", type=int)
@click.option("--json", "as_json", is_flag=True, help="print the whole result as JSON")
@click.pass_obj
def meeting_minutes(state, recording, transcript, out, date, language, attendees, model, seed, as_json) -> None:
    """Meeting minutes / 会议纪要: a recording (m4a, mp3, wav, webm…) or transcript → minutes, Markdown and DOCX."""
    from ..apps.base import run_app
    from ..apps.meeting_minutes import upload_recording

    if (recording is None) == (transcript is None):
        raise click.UsageError("give a RECORDING or --transcript FILE (one of them)")
    studio = state.studio()
    from ..studio.minutes_names import parse_names

    fields: dict[str, Any] = {"language": language, "attendees": parse_names(attendees) or None}
    if date is not None:
        fields["date"] = dt.date.isoformat(date.date())
    if recording is not None:
        upload = upload_recording(studio, recording.read_bytes(), name=recording.name, mime=None, who=_who())
        click.echo(f"{recording.name}: {upload['seconds']:.0f} s of audio", err=True)
        fields["audio"] = upload["id"]
    else:
        fields["transcript"] = transcript.read()
    result = run_app(
        studio,
        "meeting-minutes",
        {k: v for k, v in fields.items() if v is not None},
        model=model,
        seed=seed,
        job=_Progress(studio),
        who=_who(),
    )
    if as_json:
        _echo_json(result.to_dict())
    else:
        click.echo(result.result["markdown"])
    _echo_checks(result.result.get("checks") or [])
    click.echo(f"run {result.run_id} (seed {result.seed})", err=True)
    if out is not None:
        _write(studio, result.result, result.artifacts, out)


def _write(studio, result: dict[str, Any], artifacts: list[dict[str, Any]], out: Path) -> None:
    key = _SUFFIX_FILE.get(out.suffix.lower())
    if key is None:
        _save_artifacts(studio, artifacts, out)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(studio.artifacts.read(result[key]["id"]))
    click.echo(f"wrote {out}", err=True)


class _Progress:
    """Per-step progress on stderr (app runs report through a job-like object)."""

    job_id = None

    def __init__(self, studio) -> None:
        self.studio, self.last = studio, ""

    def check(self) -> None:
        pass

    def progress(self, fraction: float, message: str | None = None, **_: Any) -> None:
        if message and message != self.last:
            self.last = message
            click.echo(f"[{fraction:4.0%}] {message}", err=True)

    def artifact(self, data, mime, *, name=None, meta=None, generation_id=None):
        return self.studio.artifacts.put(data, mime, name=name, meta=meta, generation_id=generation_id, caller=_user())
