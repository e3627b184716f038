"""Meeting minutes from a transcript: structure carried by code, wording filled by the model.

1. Rules read candidates straight from the transcript: action items ("Alice will send the budget by
   Friday", "Action item for Tom: …", "由王芳负责…", "李明会在…前…"), decisions ("we decided / agreed …",
   "决定/确定/同意…"), open questions (a question mark, "still not sure", "待定/还不确定…") and attendees
   (speaker labels, "Attendees: …", "参会人员：…", "I'm …", "我是…").
2. The model reads the transcript a window at a time (``WINDOW_CHARS``) through a JSON schema and
   returns a summary and the items it sees (``ask`` is the caller's constrained-decoding call).
3. Code merges both, removes duplicates and checks every item against the transcript: its words must
   occur in one stretch of it (else the item is dropped), an owner must be a name spoken in the meeting
   (else the owner is removed and the item flagged), and a due date is only ever one stated in the
   item's own sentence, resolved against the meeting date (a date the model added is dropped and flagged).
   What failed is reported in ``checks``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import re
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field

from .meeting_audio import Line, Transcript
from .minutes_names import respell_names
from .quality import Check
from .quality.periods import find_periods

log = logging.getLogger(__name__)

__all__ = [
    "ActionItem",
    "Minutes",
    "Note",
    "Sentence",
    "build_minutes",
    "minutes_language",
    "rule_candidates",
    "sentences",
    "WINDOW_CHARS",
    "MAX_MODEL_WINDOWS",
]

WINDOW_CHARS = {"en": 2400, "zh": 500}  # transcript sent to the model at once (fits a 2k-token context)
MAX_MODEL_WINDOWS = 12  # windows the model reads; a longer meeting's later windows rely on the rules alone
SUPPORT_RATIO = 0.65  # share of an item's words that must occur in one transcript sentence
SAME_ITEM_RATIO = 0.6  # two items this similar (same owner) are one
MAX_ITEMS = 40  # per list in the minutes

Ask = Callable[[str, str, dict[str, Any], int], dict[str, Any] | None]


class Sentence(BaseModel):
    text: str
    at: float | None = None
    speaker: str | None = None
    core: str | None = None  # where a stretch of two sentences is mostly said


class Note(BaseModel):
    """A decision or an open question, with when it was said."""

    text: str
    at: float | None = None
    source: Literal["rules", "model", "both"] = "rules"


class ActionItem(BaseModel):
    owner: str | None = None
    task: str
    due: dt.date | None = None
    due_text: str | None = Field(None, description="the words the due date was resolved from")
    at: float | None = None
    source: Literal["rules", "model", "both"] = "rules"
    flags: list[str] = Field(default_factory=list, description="what failed its checks (kept, with the reason)")


class Minutes(BaseModel):
    language: Literal["zh", "en"]
    date: dt.date
    summary: str = ""
    attendees: list[str] = Field(default_factory=list)
    decisions: list[Note] = Field(default_factory=list)
    action_items: list[ActionItem] = Field(default_factory=list)
    open_questions: list[Note] = Field(default_factory=list)
    dropped: list[str] = Field(default_factory=list, description="model items with no support in the transcript")
    checks: list[Check] = Field(default_factory=list)


# ------------------------------------------------------------------ transcript text

_CJK = re.compile(r"[\u4e00-\u9fff]")
_SPLIT = re.compile(r"(?<=[.!?。！？；;])\s*|(?<=[\u4e00-\u9fff]),(?=[\u4e00-\u9fff])")
# Whisper joins Chinese clauses with ASCII commas (a person types '，'), so those split sentences too


def minutes_language(text: str) -> Literal["zh", "en"]:
    """'zh' when Chinese characters make up a fifth of the letters, else 'en'."""
    han = len(_CJK.findall(text))
    letters = sum(c.isalpha() for c in text)
    return "zh" if letters and han / letters >= 0.2 else "en"


_CLAUSE = re.compile(  # ", David will …" / "and Maria is going to …": Whisper runs sentences together
    r"(?:,\s+|\s+and\s+)(?=[A-Z][a-z]+(?:\s[A-Z][a-z]+)?,?\s+(?:will|'ll|is going to|needs to|has to|is to)\b)"
)


def sentences(transcript: Transcript) -> list[Sentence]:
    out = []
    for line in transcript.lines:
        for part in (clause for sentence in _SPLIT.split(line.text) for clause in _CLAUSE.split(sentence)):
            if part.strip():
                out.append(Sentence(text=part.strip(), at=line.start, speaker=line.speaker))
    return out


# ------------------------------------------------------------------ rules

_NOT_NAMES_TEXT = (
    "i we you he she it they this that there everyone everybody someone somebody nobody nothing what who "
    "which the our my your team and but so then also okay ok yes no well great good thanks next first "
    "finally all let let's if when now today tomorrow monday tuesday wednesday thursday friday saturday "
    "sunday"
)
_NOT_NAMES = set(_NOT_NAMES_TEXT.split())  # words a sentence may start with that are not names
_LEAD = r"(?i:(?:ok(?:ay)?|so|and|then|also|great|right|good|alright|fine|next|finally|first)[,\s]+)*"
_EN_OWNER = r"(?P<owner>[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)"
_EN_ACTION = re.compile(
    rf"^{_LEAD}{_EN_OWNER},?\s+(?i:will|'ll|is going to|is gonna|needs to|has to|agreed to|is to|to|takes care of|"
    r"will take care of|is responsible for|owns)\s+(?P<task>.+)"
)
_EN_ITEM = re.compile(rf"(?i:action items?)(?:\s+(?i:for)\s+{_EN_OWNER})?\s*[:,]?\s*(?P<task>.+)")
_EN_SELF = re.compile(rf"^{_LEAD}(?:I will|I'll|I am going to|I'm going to)\s+(?P<task>.+)", re.IGNORECASE)
_EN_DUE = re.compile(
    r"\s*,?\s*\b(?:by|before|until|no later than|due|on|at the end of|by the end of|end of)\b[^,;.]*$", re.IGNORECASE
)
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_ZH_NAME = rf"(?:[{_SURNAMES}][\u4e00-\u9fff]{{1,2}}?|[小老][{_SURNAMES}])"
_ZH_ACTION = [
    re.compile(rf"由(?P<owner>{_ZH_NAME})(?:来)?负责(?P<task>.+)"),
    re.compile(rf"(?P<owner>{_ZH_NAME})(?:来负责|负责|会在|将在|要在|需要|会|将|要|来|去)(?P<task>.+)"),
    re.compile(rf"行动项[:：]?\s*(?P<owner>{_ZH_NAME})[,，]?(?P<task>.+)"),
]
_DECISION = {
    "en": re.compile(
        r"\b(?:decided|decision|agreed|agree to|approved|we will go with|we're going with|we are going with|"
        r"settled on|final answer|confirmed that)\b",
        re.IGNORECASE,
    ),
    "zh": re.compile(r"决定|决议|确定|同意|通过了|敲定|定下来|一致认为"),
}
_QUESTION = {
    "en": re.compile(
        r"\?$|\b(?:open question|not sure|still (?:need to|have to) (?:decide|figure out|check)|to be decided|"
        r"unclear|we don't know|undecided|tbd)\b",
        re.IGNORECASE,
    ),
    "zh": re.compile(r"[?？]$|待定|还不确定|不确定|还没决定|还没有决定|悬而未决|有待|需要再讨论|再议"),
}
_QUESTION_CUE = {  # what a sentence the model reads as an open question must show
    "en": re.compile(
        _QUESTION["en"].pattern + r"|\b(?:whether|decide|figure out|check|discuss|how|who|when|which)\b",
        re.IGNORECASE,
    ),
    "zh": re.compile(_QUESTION["zh"].pattern + r"|是否|怎么|如何|谁|什么时候|哪|讨论|决定"),
}
_ATTENDEES = {
    "en": re.compile(
        r"\b(?:attendees|present|participants|in the meeting)\b(?:\s+\w+){0,2}?\s*(?:are|were|is|:)\s*(?P<names>.+)",
        re.IGNORECASE,
    ),
    "zh": re.compile(r"(?:参会人员|参会者|与会人员|出席)(?:有|是|[:：])\s*(?P<names>.+)"),
}
_INTRO = {
    "en": re.compile(r"\b(?:I'm|I am|this is|my name is)\s+(?P<name>[A-Z][a-z]+)\b"),
    "zh": re.compile(rf"我是(?P<name>{_ZH_NAME})|由(?P<chair>{_ZH_NAME})主持"),
}


def _clean_task(task: str, lang: str) -> str:
    task = task.strip(" ，,。.;；!！")
    if lang == "en":
        task = re.sub(r"^(?:please|also|then)\s+", "", task, flags=re.IGNORECASE)
    return task[:300]


def _due(sentence: str, meeting: dt.date) -> tuple[dt.date | None, str | None]:
    """The last date or period stated in ``sentence``, as the day it ends."""
    periods = [p for p in find_periods(sentence, meeting) if p.unit != "year"]
    if not periods:
        return None, None
    return periods[-1].end, periods[-1].text


def _strip_due(task: str, due_text: str | None, lang: str) -> str:
    if not due_text:
        return task
    if lang == "en":
        cut = _EN_DUE.sub("", task) if due_text in task else task
        if cut.rstrip(" .").endswith(due_text):  # "call the printer tomorrow"
            cut = cut.rstrip(" .")[: -len(due_text)].rstrip(" ,")
        return cut if len(cut) >= 4 else task
    head, _, tail = task.partition(due_text)
    head = re.sub(r"(?:在|于|到)$", "", head.strip())
    cut = (head + re.sub(r"^(?:之前|以前|前|为止|截止)[，,]?", "", tail)).strip(" ，,")
    return cut if len(cut) >= 2 else task


def _action(s: Sentence, lang: str, meeting: dt.date) -> ActionItem | None:
    owner, task = None, None
    if s.text.rstrip().endswith(("?", "？")):
        return None  # "Maria, will you call them?" asks; the answer is the item
    if lang == "en":
        if (m := _EN_ITEM.search(s.text)) or (m := _EN_ACTION.match(s.text)):
            owner, task = m["owner"], m["task"]
        elif (m := _EN_SELF.match(s.text)) and s.speaker:
            owner, task = s.speaker, m["task"]
        if (owner and owner.split()[0].lower() in _NOT_NAMES) or re.match(r"(?i)(?:be|have been|not)\b", task or ""):
            return None  # "Budget will be tight" states, it assigns nothing
    else:
        for pattern in _ZH_ACTION:
            if m := pattern.search(s.text):
                owner, task = m["owner"], m["task"]
                break
    if not task or (owner is None and lang == "zh"):
        return None
    due, due_text = _due(s.text, meeting)
    task = _clean_task(_strip_due(_clean_task(task, lang), due_text, lang), lang)
    if len(task) < 2:
        return None
    return ActionItem(owner=owner, task=task, due=due, due_text=due_text, at=s.at)


def _names(text: str, lang: str) -> list[str]:
    parts = re.split(r"\s*(?:,|，|、|\band\b|和|与|以及)\s*", text.strip(" .。"))
    limit = 24 if lang == "en" else 4
    return [p.strip() for p in parts if 1 < len(p.strip()) <= limit]


def rule_candidates(transcript: Transcript, meeting: dt.date) -> Minutes:
    """Everything the rules find in the transcript (every item is supported by construction)."""
    lang = transcript.language if transcript.language in ("zh", "en") else minutes_language(transcript.text)
    found = Minutes(language=lang, date=meeting)  # type: ignore[arg-type]
    attendees = [line.speaker for line in transcript.lines if line.speaker]
    for s in sentences(transcript):
        if (item := _action(s, lang, meeting)) is not None:
            found.action_items.append(item)
        elif _QUESTION[lang].search(s.text):
            found.open_questions.append(Note(text=s.text.strip(), at=s.at))
        elif _DECISION[lang].search(s.text):
            found.decisions.append(Note(text=_clean_task(s.text, lang), at=s.at))
        if m := _ATTENDEES[lang].search(s.text):
            attendees += _names(m["names"], lang)
        for m in _INTRO[lang].finditer(s.text):
            name = m["name"] or m.groupdict().get("chair")
            if name and name.lower() not in _NOT_NAMES:
                attendees.append(name)
    found.attendees = list(dict.fromkeys(attendees))
    return found


# ------------------------------------------------------------------ the model, a window at a time


def _schema(lang: str) -> dict[str, Any]:
    short = {"type": "string", "minLength": 2, "maxLength": 160 if lang == "en" else 60}
    item = {
        "type": "object",
        "properties": {
            "owner": {"type": "string", "maxLength": 30},
            "task": short,
            "due": {"type": "string", "maxLength": 30},
        },
        "required": ["owner", "task", "due"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "summary": {"type": "string", "minLength": 10, "maxLength": 400 if lang == "en" else 150},
            "decisions": {"type": "array", "items": short, "maxItems": 5},
            "action_items": {"type": "array", "items": item, "maxItems": 6},
            "open_questions": {"type": "array", "items": short, "maxItems": 4},
        },
        "required": ["summary", "decisions", "action_items", "open_questions"],
        "additionalProperties": False,
    }


_PROMPT = {
    "en": (
        "You take meeting minutes. From the transcript excerpt, write a two-sentence summary and list the "
        "decisions made, the action items (owner = the person who will do it, exactly as named; task; due = the "
        "deadline words as spoken, or empty) and the open questions. Only what the excerpt says. JSON only."
    ),
    "zh": (
        "你是会议记录员。根据会议记录片段，写两句话的摘要，并列出做出的决定、行动项（owner 为负责人姓名，与原文一致；task 为任务；"
        "due 为原文中的截止时间，没有则为空）和待解决的问题。只写片段中说过的内容。只输出 JSON。"
    ),
}


def _windows(lines: list[Line], size: int) -> list[str]:
    out, current = [], ""
    for line in lines:
        text = f"{line.speaker}: {line.text}" if line.speaker else line.text
        if current and len(current) + len(text) + 1 > size:
            out.append(current)
            current = ""
        current = f"{current}\n{text}".strip() if current else text[:size]
    if current:
        out.append(current)
    return out


def ask_model(transcript: Transcript, lang: str, meeting: dt.date, ask: Ask, progress=None) -> list[dict[str, Any]]:
    """The model's reading of each window (None-free; a window the model failed is skipped)."""
    windows = _windows(transcript.lines, WINDOW_CHARS[lang])[:MAX_MODEL_WINDOWS]
    out = []
    date_words = f"会议日期：{meeting.isoformat()}" if lang == "zh" else f"Meeting date: {meeting.isoformat()}"
    for i, window in enumerate(windows):
        if progress is not None:
            progress(i / max(len(windows), 1), f"reading part {i + 1} of {len(windows)}")
        budget = 700 if lang == "en" else 900
        answer = ask(f"{_PROMPT[lang]}\n{date_words}", window, _schema(lang), budget)
        if answer:
            out.append(answer)
    return out


# ------------------------------------------------------------------ support checks and merging


def _words(text: str, lang: str) -> set[str]:
    if lang == "zh" or _CJK.search(text):
        han = "".join(_CJK.findall(text))
        return {han[i : i + 2] for i in range(len(han) - 1)} | set(re.findall(r"[a-z0-9]{2,}", text.lower()))
    stop = _NOT_NAMES | {"a", "an", "to", "of", "for", "in", "on", "by", "with", "will", "be", "is", "are"}
    words = (w for w in re.findall(r"[a-z0-9']+", text.lower()) if w not in stop and len(w) > 1)
    return {w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words}  # calls → call


def _support(text: str, said: list[Sentence], lang: str) -> Sentence | None:
    """The transcript sentence (or two neighbours) holding at least SUPPORT_RATIO of ``text``'s words. For
    two neighbours, ``core`` is the one holding more of them (a due date is read from it alone)."""
    want = _words(text, lang)
    if not want:
        return None
    best, score = None, 0.0
    for i, s in enumerate(said):
        own = len(want & _words(s.text, lang)) / len(want)
        if own > score:
            best, score = s.model_copy(update={"core": s.text}), own
        if i + 1 < len(said):
            after = said[i + 1]
            pair = len(want & _words(f"{s.text} {after.text}", lang)) / len(want)
            if pair > score:
                core = s if own >= len(want & _words(after.text, lang)) / len(want) else after
                best = Sentence(text=f"{s.text} {after.text}", at=core.at, speaker=core.speaker, core=core.text)
                score = pair
    return best if score >= SUPPORT_RATIO else None


def _spoken(name: str, text: str, lang: str) -> bool:
    """``name`` is said in ``text`` as a name: exactly as written ("everyone" is no owner called Everyone)."""
    name = name.strip()
    if not name or name.split()[0].lower() in _NOT_NAMES:
        return False
    if lang == "zh" or _CJK.search(name):
        return name in text
    return re.search(rf"\b{re.escape(name)}\b", text) is not None


def _similar(a: str, b: str, lang: str) -> bool:
    wa, wb = _words(a, lang), _words(b, lang)
    overlap = len(wa & wb) / max(1, min(len(wa), len(wb)))
    return overlap >= SAME_ITEM_RATIO or difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio() >= SAME_ITEM_RATIO


def _same_owner(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a.lower() in b.lower() or b.lower() in a.lower()


def _model_item(raw: dict[str, Any], said: list[Sentence], text: str, minutes: Minutes) -> ActionItem | None:
    lang, task = minutes.language, _clean_task(str(raw.get("task") or ""), minutes.language)
    owner = str(raw.get("owner") or "").strip() or None
    where = _support(f"{owner or ''} {task}" if owner else task, said, lang) or _support(task, said, lang)
    if where is None:
        minutes.dropped.append(f"{owner or '?'}: {task}")
        return None
    item = ActionItem(owner=owner, task=task, at=where.at, source="model")
    if owner and not _spoken(owner, text, lang):
        item.flags.append(f"owner '{owner}' is not named in the transcript")
        item.owner = None
    elif owner and not (
        _spoken(owner, where.core or where.text, lang) or (where.speaker or "").lower() == owner.lower()
    ):
        item.flags.append(f"owner '{owner}' is not named where this is said")
        item.owner = None
    if item.owner is None and any(_similar(d.text, where.text, lang) for d in minutes.decisions):
        minutes.dropped.append(f"{owner or '?'}: {task} (a decision, with no owner stated)")
        return None
    item.due, item.due_text = _due(where.core or where.text, minutes.date)
    stated = str(raw.get("due") or "").strip()
    if stated and item.due is None:
        item.flags.append(f"due '{stated}' is not stated in the meeting")
    if item.owner is None:
        item.flags.append("no owner named")
    return item


def _merge_items(rules: list[ActionItem], model: list[ActionItem], lang: str) -> list[ActionItem]:
    merged = [r.model_copy(deep=True) for r in rules]
    for item in model:
        twin = next((m for m in merged if _same_owner(m.owner, item.owner) and _similar(m.task, item.task, lang)), None)
        if twin is None:
            if not any(_similar(m.task, item.task, lang) for m in merged):
                merged.append(item)
            continue
        twin.source = "both" if twin.source == "rules" else twin.source
        twin.owner = twin.owner or item.owner
        if twin.due is None and item.due is not None:
            twin.due, twin.due_text = item.due, item.due_text
    out: list[ActionItem] = []
    for item in merged:  # the rules can read one item twice (two sentences)
        if not any(_same_owner(o.owner, item.owner) and _similar(o.task, item.task, lang) for o in out):
            out.append(item)
    return out[:MAX_ITEMS]


def _merge_notes(
    rules: list[Note], model: list[str], said: list[Sentence], minutes: Minutes, cue: re.Pattern[str] | None = None
) -> list[Note]:
    """Rule notes plus the model's that the transcript supports (and, with ``cue``, where it is said so)."""
    lang = minutes.language
    notes = [n.model_copy() for n in rules]
    for text in model:
        text = _clean_task(text, lang)
        where = _support(text, said, lang)
        if where is None or (cue is not None and not cue.search(where.text)):
            minutes.dropped.append(text)
            continue
        if any(_similar(f"{i.owner or ''} {i.task} {i.due_text or ''}", text, lang) for i in minutes.action_items):
            continue  # an action item the model also listed here
        twin = next((n for n in notes if _similar(n.text, text, lang)), None)
        if twin is not None:
            twin.source = "both"
        else:
            notes.append(Note(text=text, at=where.at, source="model"))
    return notes[:MAX_ITEMS]


def _fallback_summary(m: Minutes) -> str:
    """A summary built from the checked items when the model's is unusable."""
    if m.language == "zh":
        head = f"本次会议（{m.date.isoformat()}）形成 {len(m.decisions)} 项决定、{len(m.action_items)} 项行动。"
        return head + "".join(f"{d.text.rstrip('。')}。" for d in m.decisions[:3])
    d, a = len(m.decisions), len(m.action_items)
    head = f"The meeting of {m.date.isoformat()} made {d} decision{'s' * (d != 1)} and {a} action item{'s' * (a != 1)}."
    return " ".join([head, *(d.text.rstrip(".") + "." for d in m.decisions[:3])])


def _summary_sentences(text: str, said_words: set[str], lang: str) -> list[str]:
    """The summary's sentences that are new (a small model repeats itself) and drawn from the transcript."""
    kept: list[str] = []
    for part in _SPLIT.split(text.strip()):
        part = part.strip()
        words = _words(part, lang)
        if len(part) < 4 or not words or any(_similar(part, k, lang) for k in kept):
            continue
        if len(words & said_words) / len(words) >= SUPPORT_RATIO and part[-1] in ".!?。！？":
            kept.append(part)
    return kept


def _summary(answers: list[dict[str, Any]], minutes: Minutes, transcript_text: str) -> tuple[str, bool]:
    lang, said = minutes.language, _words(transcript_text, minutes.language)
    kept = [p for a in answers for p in _summary_sentences(str(a.get("summary") or ""), said, lang)]
    text = (" " if lang == "en" else "").join(kept[:6])
    ok = bool(text) and minutes_language(text) == lang
    return (text if ok else _fallback_summary(minutes)), ok


def build_minutes(
    transcript: Transcript,
    meeting: dt.date,
    ask: Ask | None = None,
    progress: Callable[[float, str], None] | None = None,
    names: list[str] | None = None,
) -> Minutes:
    """The checked minutes of ``transcript`` (``ask``: the constrained model call; None: rules only).
    ``names``: the attendees the user listed; sound-alike spellings of them in the transcript are
    rewritten first (in place, so the transcript shown agrees with the minutes) and reported."""
    names = list(dict.fromkeys(names or []))
    respelled = respell_names(transcript, names) if names else []
    minutes = rule_candidates(transcript, meeting)
    lang, said, text = minutes.language, sentences(transcript), transcript.text
    answers = ask_model(transcript, lang, meeting, ask, progress) if ask is not None else []
    model_items = [
        item
        for a in answers
        for raw in a.get("action_items") or []
        if (item := _model_item(raw, said, text, minutes)) is not None
    ]
    rule_count = len(minutes.action_items)
    minutes.action_items = _merge_items(minutes.action_items, model_items, lang)
    minutes.decisions = _merge_notes(
        minutes.decisions, [d for a in answers for d in a.get("decisions") or []], said, minutes
    )
    questions = [q for a in answers for q in a.get("open_questions") or []]
    minutes.open_questions = _merge_notes(minutes.open_questions, questions, said, minutes, _QUESTION_CUE[lang])
    minutes.attendees = list(
        dict.fromkeys(
            names
            + [n for n in minutes.attendees if _spoken(n, text, lang) or n in {ln.speaker for ln in transcript.lines}]
        )
    )
    _flag_unknown_owners(minutes, said)
    minutes.dropped = list(dict.fromkeys(minutes.dropped))
    minutes.summary, summary_ok = _summary(answers, minutes, text)
    minutes.checks = _checks(minutes, rule_count, summary_ok, ask is not None)
    if respelled:
        detail = "names spelled as in the attendee list: " + "; ".join(respelled[:20])
        minutes.checks.append(Check(name="minutes.names", ok=True, detail=detail))
    return minutes


def _flag_unknown_owners(m: Minutes, said: list[Sentence]) -> None:
    """English rules read any capitalised first word as an owner: one never named elsewhere (mid-sentence,
    as a speaker or attendee) is flagged, as it may be a thing ("Budget will …") rather than a person."""
    if m.language != "en":
        return
    known = {n.lower() for n in m.attendees} | {s.speaker.lower() for s in said if s.speaker}
    for s in said:
        known |= {w.lower() for w in re.findall(r"(?<=[a-z,;]\s)([A-Z][a-z]+)", s.text)}
    for item in m.action_items:
        if item.owner and item.owner.split()[0].lower() not in known:
            item.flags.append(f"'{item.owner}' is not named elsewhere in the meeting; check it is a person")


def _checks(m: Minutes, rule_count: int, summary_ok: bool, asked: bool) -> list[Check]:
    flagged = [i for i in m.action_items if i.flags]
    owned = [i for i in m.action_items if i.owner]
    checks = [
        Check(
            name="minutes.owners",
            ok=len(owned) == len(m.action_items),
            detail=f"{len(owned)} of {len(m.action_items)} action items have an owner named in the transcript",
        ),
        Check(
            name="minutes.items_flagged",
            ok=not flagged,
            detail="; ".join(f"{i.task[:60]}: {', '.join(i.flags)}" for i in flagged) or "every action item passed",
        ),
        Check(
            name="minutes.unsupported",
            ok=not m.dropped,
            detail=(
                f"dropped {len(m.dropped)} model items the transcript does not support: " + "; ".join(m.dropped[:8])
            )
            if m.dropped
            else "every model item is supported by the transcript",
        ),
        Check(
            name="minutes.rules",
            ok=True,
            detail=f"{rule_count} action items read from the transcript by rule, {len(m.action_items)} after merging",
        ),
    ]
    if asked:
        checks.append(
            Check(
                name="minutes.summary",
                ok=summary_ok,
                detail="the model's summary"
                if summary_ok
                else "the model gave no usable summary; one built from the checked items is shown",
            )
        )
    return checks
