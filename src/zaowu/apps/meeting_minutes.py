"""Meeting minutes: a recording (or a pasted transcript) → a timestamped transcript → checked minutes.

Steps: ``minutes.transcribe`` (only for a recording: the uploaded audio is decoded window by window and
transcribed with the Studio's speech recogniser, ``studio.meeting_audio``), ``minutes.extract`` (rules
and the model read the transcript, code merges and checks every item against it, ``studio.minutes``)
and ``minutes.files`` (Markdown and DOCX with the minutes and the transcript). Dates are resolved
against the meeting date (``date``; today when left out). The result reports every check.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from ..errors import InvalidRequest, SchemaViolation
from ..studio.meeting_audio import Transcript, check_recording, parse_transcript, stamp, transcribe_recording
from ..studio.minutes import ActionItem, Minutes, Note, build_minutes, minutes_language
from ..studio.minutes_names import MAX_NAME_CHARS, MAX_NAMES
from ..studio.quality import Check
from ..studio.templates import Localized
from ..studio.workflows import ArtifactRef, Step, StepContext, WorkflowRun, WorkflowSpec
from .base import LANGUAGE_FIELD, App, AppInput, input_field

log = logging.getLogger(__name__)

MAX_TRANSCRIPT_CHARS = 200_000  # a pasted transcript (about three hours of talk)
MAX_DOCX_PARAGRAPHS = 50  # the transcript section of the DOCX: lines are grouped into at most this many paragraphs
_DOCX_PARAGRAPH_CHARS = 7000


class MeetingMinutesInput(AppInput):
    audio: str | None = input_field(
        None,
        en="Recording",
        zh="会议录音",
        help_en="Artifact id of an uploaded recording (POST /v1/apps/meeting-minutes/recording uploads one)",
        help_zh="已上传录音的 artifact id（POST /v1/apps/meeting-minutes/recording 可直接上传）",
        max_length=64,
    )
    transcript: str | None = input_field(
        None,
        en="Transcript",
        zh="会议文字记录",
        help_en="Paste the transcript instead of a recording; lines may start with [mm:ss] and 'Name:'",
        help_zh="也可粘贴文字记录；每行可以 [mm:ss] 和「姓名：」开头",
        min_length=10,
        max_length=MAX_TRANSCRIPT_CHARS,
    )
    date: dt.date | None = input_field(
        None, en="Meeting date", zh="会议日期", help_en="Due dates resolve against it (default: today)"
    )
    language: Literal["zh", "en"] | None = input_field(None, **LANGUAGE_FIELD)
    attendees: list[
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME_CHARS)]
    ] = input_field(
        [],
        en="Attendees",
        zh="参会人员",
        help_en="Names of the people present: names the recogniser mishears are spelled as listed",
        help_zh="参会人姓名：识别有误的同音姓名按此处写法更正",
        max_length=MAX_NAMES,
    )

    @model_validator(mode="after")
    def _one_source(self) -> MeetingMinutesInput:
        if (self.audio is None) == (self.transcript is None):
            raise InvalidRequest(
                "Give 'audio' (an uploaded recording's id) or 'transcript' (text): exactly one of them.",
                param="input.audio",
            )
        return self


class MeetingMinutesResult(BaseModel):
    language: str
    date: dt.date
    summary: str
    attendees: list[str]
    decisions: list[Note]
    action_items: list[ActionItem]
    open_questions: list[Note]
    transcript: list[dict[str, Any]]
    duration: float | None = None
    markdown: str
    markdown_file: ArtifactRef
    docx: ArtifactRef
    checks: list[Check] = Field(default_factory=list)


class TranscribeMeeting(Step):
    id = "minutes.transcribe"
    title = "A meeting recording → a transcript with timestamps (window by window)"
    scope = "audio"

    class Inputs(BaseModel):
        audio: str
        language: Literal["zh", "en"] | None = None

    class Outputs(BaseModel):
        transcript: dict[str, Any]

    def execute(self, ctx: StepContext, inputs: Inputs) -> Outputs:
        settings = ctx.studio.settings
        data = ctx.read_artifact(inputs.audio)
        if len(data) > settings.minutes_max_upload_bytes:
            raise InvalidRequest(
                f"The recording is larger than {settings.minutes_max_upload_bytes >> 20} MB.", param="audio"
            )
        transcript = transcribe_recording(
            ctx.studio,
            data,
            language=inputs.language,
            who=ctx.run_caller,
            scope="audio",
            progress=ctx.progress,
            generation=ctx.generation,
            max_seconds=settings.minutes_max_seconds,
        )
        return self.Outputs(transcript=transcript.model_dump(mode="json"))


class ExtractMinutes(Step):
    id = "minutes.extract"
    title = "A transcript → minutes: rules and the model read it, code merges and checks every item"
    scope = "text"

    class Inputs(BaseModel):
        transcript: dict[str, Any] | None = None
        text: str | None = None
        date: dt.date
        language: Literal["zh", "en"] | None = None
        attendees: list[str] = Field(default_factory=list, max_length=MAX_NAMES)

    class Outputs(BaseModel):
        minutes: dict[str, Any]
        transcript: dict[str, Any]

    def execute(self, ctx: StepContext, inputs: Inputs) -> Outputs:
        if inputs.transcript is not None:
            transcript = Transcript.model_validate(inputs.transcript)
            if inputs.language:
                transcript.language = inputs.language
        else:
            text = inputs.text or ""
            transcript = parse_transcript(text, inputs.language or minutes_language(text))
        if not transcript.lines:
            where = "audio" if inputs.transcript is not None else "transcript"
            raise InvalidRequest(f"The {where} holds no speech to take minutes of.", param=where)

        def ask(system: str, prompt: str, schema: dict[str, Any], max_tokens: int) -> dict[str, Any] | None:
            from ..studio.steps import llm_request

            request = llm_request(ctx, system, prompt, schema=schema, max_tokens=max_tokens, temperature=0.2)
            try:
                result = ctx.studio.generate_text(request, who=ctx.run_caller)
            except SchemaViolation as exc:
                log.info("a minutes window gave no valid JSON: %s", exc)
                return None
            ctx.generation(result.generation_id)
            return result.parsed if isinstance(result.parsed, dict) else None

        minutes = build_minutes(transcript, inputs.date, ask, progress=ctx.progress, names=inputs.attendees)
        return self.Outputs(minutes=minutes.model_dump(mode="json"), transcript=transcript.model_dump(mode="json"))


_WORDS = {
    "zh": {
        "title": "会议纪要",
        "date": "日期",
        "summary": "摘要",
        "attendees": "参会人员",
        "decisions": "决定",
        "actions": "行动项",
        "questions": "待解决问题",
        "transcript": "文字记录",
        "owner": "负责人",
        "task": "任务",
        "due": "截止日期",
        "time": "时间",
        "none": "无",
        "flag": "需核实",
    },
    "en": {
        "title": "Meeting minutes",
        "date": "Date",
        "summary": "Summary",
        "attendees": "Attendees",
        "decisions": "Decisions",
        "actions": "Action items",
        "questions": "Open questions",
        "transcript": "Transcript",
        "owner": "Owner",
        "task": "Task",
        "due": "Due",
        "time": "Time",
        "none": "None",
        "flag": "check",
    },
}


def _item_row(item: ActionItem, w: dict[str, str]) -> list[str]:
    task = item.task + (f" ({w['flag']}: {'; '.join(item.flags)})" if item.flags else "")
    due = item.due.isoformat() if item.due else "—"
    return [item.owner or "—", task, due, stamp(item.at)]


def _transcript_lines(transcript: Transcript) -> list[str]:
    return [
        " ".join(x for x in (stamp(line.start), f"{line.speaker}:" if line.speaker else "", line.text) if x)
        for line in transcript.lines
    ]


def minutes_markdown(m: Minutes, transcript: Transcript) -> str:
    w = _WORDS[m.language]
    cell = lambda s: s.replace("|", "/").replace("\n", " ")  # noqa: E731
    out = [f"# {w['title']}", "", f"**{w['date']}:** {m.date.isoformat()}", "", f"## {w['summary']}", "", m.summary, ""]
    if m.attendees:
        out += [f"**{w['attendees']}:** {'、'.join(m.attendees) if m.language == 'zh' else ', '.join(m.attendees)}", ""]
    out += [f"## {w['decisions']}", ""]
    out += [f"- {stamp(d.at)} {d.text}".replace("-  ", "- ") for d in m.decisions] or [f"- {w['none']}"]
    out += ["", f"## {w['actions']}", ""]
    if m.action_items:
        out += [f"| {w['owner']} | {w['task']} | {w['due']} | {w['time']} |", "|---|---|---|---|"]
        out += ["| " + " | ".join(cell(c) for c in _item_row(i, w)) + " |" for i in m.action_items]
    else:
        out.append(f"- {w['none']}")
    out += ["", f"## {w['questions']}", ""]
    out += [f"- {stamp(q.at)} {q.text}".replace("-  ", "- ") for q in m.open_questions] or [f"- {w['none']}"]
    out += ["", f"## {w['transcript']}", ""]
    out += [line + "  " for line in _transcript_lines(transcript)]
    return "\n".join(out) + "\n"


def _paragraphs(lines: list[str]) -> list[str]:
    groups: list[str] = []
    per = max(1, -(-len(lines) // MAX_DOCX_PARAGRAPHS))
    for i in range(0, len(lines), per):
        groups.append("\n".join(lines[i : i + per])[:_DOCX_PARAGRAPH_CHARS])
    return groups[:MAX_DOCX_PARAGRAPHS]


def minutes_document(m: Minutes, transcript: Transcript) -> dict[str, Any]:
    w = _WORDS[m.language]
    none = [w["none"]]
    sections: list[dict[str, Any]] = [
        {"heading": w["summary"], "paragraphs": [m.summary or w["none"]]},
    ]
    if m.attendees:
        sections.append({"heading": w["attendees"], "bullets": m.attendees[:50]})
    sections.append(
        {"heading": w["decisions"], "bullets": [f"{stamp(d.at)} {d.text}".strip() for d in m.decisions][:50] or none}
    )
    actions: dict[str, Any] = {"heading": w["actions"]}
    if m.action_items:
        actions["table"] = {
            "headers": [w["owner"], w["task"], w["due"], w["time"]],
            "rows": [_item_row(i, w) for i in m.action_items],
        }
    else:
        actions["bullets"] = none
    sections.append(actions)
    sections.append(
        {
            "heading": w["questions"],
            "bullets": [f"{stamp(q.at)} {q.text}".strip() for q in m.open_questions][:50] or none,
        }
    )
    if transcript.lines:
        sections.append({"heading": w["transcript"], "paragraphs": _paragraphs(_transcript_lines(transcript))})
    return {"title": w["title"], "subtitle": m.date.isoformat(), "language": m.language, "sections": sections}


class MinutesFiles(Step):
    id = "minutes.files"
    title = "Minutes → Markdown and DOCX"

    class Inputs(BaseModel):
        minutes: dict[str, Any]
        transcript: dict[str, Any]

    class Outputs(BaseModel):
        markdown: str
        markdown_file: ArtifactRef
        docx: ArtifactRef

    def execute(self, ctx: StepContext, inputs: Inputs) -> Outputs:
        from ..studio import office
        from ..studio.steps import OFFICE_MIME

        minutes = Minutes.model_validate(inputs.minutes)
        transcript = Transcript.model_validate(inputs.transcript)
        markdown = minutes_markdown(minutes, transcript)
        stem = ("会议纪要-" if minutes.language == "zh" else "minutes-") + minutes.date.isoformat()
        md = ctx.artifact(markdown.encode("utf-8"), "text/markdown; charset=utf-8", f"{stem}.md")
        ctx.progress(0.5, "docx")
        docx = office.render_docx(office.parse_plan("docx", minutes_document(minutes, transcript)))
        return self.Outputs(
            markdown=markdown, markdown_file=md, docx=ctx.artifact(docx, OFFICE_MIME["docx"], f"{stem}.docx")
        )


class MeetingMinutes(App):
    id = "meeting-minutes"
    title = Localized(zh="会议纪要", en="Meeting minutes")
    description = Localized(
        zh="上传会议录音或粘贴文字记录，得到带时间戳的文字记录和会议纪要：摘要、决定、行动项（负责人、截止日期）、待解决问题，导出 Markdown 和 Word。",
        en="A meeting recording or transcript → a timestamped transcript and minutes: summary, decisions, "
        "action items (owner, due date) and open questions, as Markdown and Word.",
    )
    Input = MeetingMinutesInput
    Result = MeetingMinutesResult
    examples = [
        {
            "transcript": "[00:05] Alice: We decided to launch the new menu in January.\n"
            "[00:12] David will send the supplier quotes by Friday.\n[00:20] Who books the photographer?",
            "date": "2026-12-01",
        },
        {
            "transcript": "[00:03] 王芳：我们决定下个月上线新菜单。\n[00:10] 由李明负责在下周五之前完成报价单。",
            "date": "2026-12-01",
        },
    ]

    def workflow(self, input: MeetingMinutesInput) -> WorkflowSpec:
        from ..studio.quality.today import today

        day = (input.date or today()).isoformat()
        nodes: dict[str, Any] = {}
        extract: dict[str, Any] = {"date": day, **({"language": input.language} if input.language else {})}
        if input.attendees:
            extract["attendees"] = "${inputs.input.attendees}"
        if input.audio is not None:
            nodes["transcribe"] = {
                "step": "minutes.transcribe",
                "with": {"audio": "${inputs.input.audio}", **({"language": input.language} if input.language else {})},
            }
            extract["transcript"] = "${transcribe.transcript}"
        else:
            extract["text"] = "${inputs.input.transcript}"
        nodes["extract"] = {"step": "minutes.extract", "with": extract}
        nodes["files"] = {
            "step": "minutes.files",
            "with": {"minutes": "${extract.minutes}", "transcript": "${extract.transcript}"},
        }
        return WorkflowSpec.model_validate(
            {
                "id": "meeting-minutes",
                "inputs": {"input": {"type": "object"}},
                "nodes": nodes,
                "outputs": {
                    "minutes": "${extract.minutes}",
                    "transcript": "${extract.transcript}",
                    **{k: f"${{files.{k}}}" for k in MinutesFiles.Outputs.model_fields},
                },
            }
        )

    def result(self, run: WorkflowRun, input: MeetingMinutesInput) -> MeetingMinutesResult:
        out = run.outputs or {}
        m = Minutes.model_validate(out["minutes"])
        transcript = Transcript.model_validate(out["transcript"])
        return MeetingMinutesResult(
            language=m.language,
            date=m.date,
            summary=m.summary,
            attendees=m.attendees,
            decisions=m.decisions,
            action_items=m.action_items,
            open_questions=m.open_questions,
            transcript=[{**line.model_dump(), "stamp": stamp(line.start)} for line in transcript.lines],
            duration=transcript.duration,
            markdown=out["markdown"],
            markdown_file=out["markdown_file"],
            docx=out["docx"],
            checks=m.checks,
        )


def upload_recording(
    studio: Any, data: bytes, *, name: str | None, mime: str | None, who: Any, param: str = "file"
) -> dict[str, Any]:
    """Check a recording against the limits (settings ``minutes_max_upload_bytes``, ``minutes_max_seconds``)
    and store it as the caller's upload; returns the artifact row and ``seconds``. For the HTTP route and CLI."""
    settings = studio.settings
    seconds = check_recording(
        data, max_bytes=settings.minutes_max_upload_bytes, max_seconds=settings.minutes_max_seconds, param=param
    )
    row = studio.artifacts.put(
        data,
        mime or "application/octet-stream",
        name=name or "recording",
        caller=who.name,
        key_id=who.key_id,
        upload=True,  # the user's own audio: stored as sent, not labelled
    )
    return {**row, "seconds": seconds}
