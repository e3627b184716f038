"""Channel format rules enforced in code, and text fitted to a limit without cutting a word.

A prompt asks for short Xiaohongshu paragraphs with emoji, hashtags in the platform's form and a
hook for a Douyin title; a small model often ignores it. These functions make the text follow the
rules (or say that it does not), so the result never depends on the model having listened:

- ``normalize_hashtags`` / ``extract_hashtags`` / ``format_hashtags``: no '#' in the stored tag, no
  spaces, no duplicates (case-insensitive), a bounded length; shown as ``#话题#`` on Weibo and
  ``#tag`` elsewhere;
- ``short_paragraphs`` and ``add_emoji_markers``: paragraphs split at sentence ends, an emoji marker
  at each paragraph start when the model wrote none; ``short_lines``: at least ``MIN_LINES`` lines,
  split at sentence (else clause) ends, each led by an emoji like the others;
- ``is_hook``: a title that makes a viewer stop (a question, an exclamation, a number, "you", a
  twist word);
- ``fit_text``: text trimmed to a limit at a sentence, clause or word boundary, and whether the
  end is a clean boundary (the schema gives the model slack; code trims to the channel's limit).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .text import CJK, similarity, trim_to_boundary

__all__ = [
    "EMOJI",
    "EMOJI_MARKERS",
    "has_emoji",
    "normalize_hashtags",
    "extract_hashtags",
    "format_hashtags",
    "restyle_hashtags",
    "short_lines",
    "short_paragraphs",
    "add_emoji_markers",
    "is_hook",
    "Fit",
    "fit_text",
    "HASHTAG_MAX_CHARS",
    "drop_echoes",
    "drop_repeats",
    "ECHO_SIMILARITY",
]

EMOJI = re.compile(
    "[\U0001f300-\U0001faff\U0001f000-\U0001f2ff\u2600-\u27bf\u2b50\u2b55\u2b06\u2194-\u21aa"
    "\u203c\u2049\u3030\u303d\u2122\u2139\u24c2\u3297\u3299]"
)
EMOJI_MARKERS = ("✨", "🌿", "📌", "💡", "🌟", "✅", "👉", "🫶")  # markers for paragraph starts, in turn
HASHTAG_MAX_CHARS = 20  # a longer tag is a sentence, not a topic
ECHO_SIMILARITY = 0.5  # a sentence this similar to a line of the prompt's instructions repeats the prompt
_INLINE_TAG = re.compile(r"#([^#\s，。！？,.!?;；:：、]{1,30})#?")
_SENTENCE_END = re.compile(r"(?<=[。！？!?…])|(?<=[.;；])(?=\s)")
_HOOK_WORDS = re.compile(
    r"你|您|竟然|居然|原来|别再|千万|谁懂|救命|终于|为什么|为啥|怎么|如何|秘密|真相|后悔|绝了|挑战|才知道|没想到|一定要"
    r"|\b(?:you|your|why|how|what|stop|secret|never|don'?t|finally|wait|this|these|here'?s|meet|try|guess|ever)\b",
    re.IGNORECASE,
)
_PUNCT_EDGE = re.compile(r"^[\W_]+|[\W_]+$")
_WORD_CHAR = re.compile(r"[\w\u3400-\u9fff]")


def has_emoji(text: str) -> bool:
    return bool(EMOJI.search(text or ""))


def normalize_hashtags(
    tags: Iterable[str], *, max_count: int | None = None, max_chars: int = HASHTAG_MAX_CHARS
) -> list[str]:
    """Tags of letters and digits only (no '#', spaces, punctuation or emoji), deduplicated
    case-insensitively, at most ``max_chars`` each; an entry holding several tags ('#a #b') is split,
    links and bare numbers are dropped."""
    out: list[str] = []
    seen: set[str] = set()
    for raw in tags:
        for part in re.split(r"\s*#\s*|[,，、]", str(raw or "")):
            if re.search(r"https?:|www\.|\.com\b|/", part, re.IGNORECASE):
                continue
            tag = re.sub(r"[\W_]+", "", part)
            if not tag or tag.isdigit() or len(tag) > max_chars or tag.casefold() in seen:
                continue
            seen.add(tag.casefold())
            out.append(tag)
    return out[:max_count] if max_count is not None else out


def extract_hashtags(text: str) -> tuple[str, list[str]]:
    """``text`` without its inline hashtags (``#tag`` or ``#话题#``), and the tags found."""
    tags = [m.group(1) for m in _INLINE_TAG.finditer(text or "")]
    if not tags:
        return text, []
    cleaned = _INLINE_TAG.sub("", text)
    cleaned = re.sub(r"[ \t]+\n", "\n", re.sub(r"[ \t]{2,}", " ", cleaned))
    return cleaned.strip(), normalize_hashtags(tags)


def restyle_hashtags(text: str, style: str) -> str:
    """Inline hashtags in running text rewritten to the platform's form (``#话题#`` on Weibo, ``#tag``
    elsewhere), each tag once per line."""
    return "\n".join(_restyle_line(line, style) for line in (text or "").split("\n"))


def _restyle_line(line: str, style: str) -> str:
    seen: set[str] = set()

    def one(m: re.Match[str]) -> str:
        tag = m.group(1)
        if tag.casefold() in seen:
            return ""
        seen.add(tag.casefold())
        return f"#{tag}#" if style == "weibo" else f"#{tag}"

    return re.sub(r"[ \t]{2,}", " ", _INLINE_TAG.sub(one, line)).rstrip()


def format_hashtags(tags: Sequence[str], style: str) -> str:
    """``#话题#`` for Weibo (``style="weibo"``), ``#tag`` otherwise."""
    return " ".join(f"#{t}#" if style == "weibo" else f"#{t}" for t in tags)


def _join(parts: Sequence[str]) -> str:
    """Sentences joined back: a space only between two Latin-script sides ("Hi. There"), none after
    Chinese punctuation or before Chinese text."""
    out = ""
    for part in parts:
        part = part.strip()
        if not part:
            continue
        latin = out and not CJK.search(out[-1]) and out[-1] not in "。！？；：，、…）」』" and not CJK.search(part[0])
        out = f"{out} {part}" if latin else out + part
    return out


def _split_sentences(paragraph: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(paragraph) if s.strip()]


def short_paragraphs(text: str, max_chars: int) -> str:
    """Paragraphs longer than ``max_chars`` split at sentence ends (a single long sentence stays);
    blank lines between paragraphs collapse to one line break."""
    paragraphs = []
    for para in (p.strip() for p in re.split(r"\n+", text or "")):
        if not para:
            continue
        current = ""
        for sentence in _split_sentences(para):
            if current and len(current) + 1 + len(sentence) > max_chars:
                paragraphs.append(current)
                current = sentence
            else:
                current = _join([current, sentence])
        if current:
            paragraphs.append(current)
    return "\n".join(paragraphs)


MIN_LINES = 3  # a Xiaohongshu-style body reads as at least this many short lines
_CLAUSE_END = re.compile(r"(?<=[，；,;：:])")


def _halves(line: str) -> tuple[str, str] | None:
    """``line`` split at the sentence end nearest its middle, else at a clause end; None when it has neither."""
    for pattern in (_SENTENCE_END, _CLAUSE_END):
        cuts = [m.start() for m in pattern.finditer(line) if 0 < m.start() < len(line.rstrip())]
        cuts = [c for c in cuts if line[:c].strip() and line[c:].strip()]
        if cuts:
            cut = min(cuts, key=lambda c: abs(c - len(line) / 2))
            return line[:cut].rstrip(), line[cut:].strip()
    return None


def _lead(lines: list[str], at: int, offset: int, markers: Sequence[str]) -> str:
    """An emoji marker (and its space) no other line starts with, picked in turn from ``at``."""
    used = {line[:1] for line in lines}
    picks = [markers[(offset + at + k) % len(markers)] for k in range(len(markers))]
    return next((m for m in picks if m not in used), picks[0]) + " "


def short_lines(
    text: str, *, min_lines: int = MIN_LINES, offset: int = 0, markers: Sequence[str] = EMOJI_MARKERS
) -> str:
    """``text`` with its longest lines split at sentence (else clause) ends until it has ``min_lines``
    lines; a new line gets an emoji lead when the line it came from had one."""
    lines = [line for line in (text or "").split("\n") if line.strip()]
    if any(EMOJI.match(line) for line in lines):  # every line led like the others
        lines = [line if EMOJI.match(line) else _lead(lines, i, offset, markers) + line for i, line in enumerate(lines)]
    while 0 < len(lines) < min_lines:
        order = sorted(range(len(lines)), key=lambda i: -len(lines[i]))
        split = next(((i, h) for i in order if (h := _halves(lines[i])) is not None), None)
        if split is None:
            break
        i, (first, second) = split
        if EMOJI.match(lines[i]):
            second = _lead(lines, i + 1, offset, markers) + second
        lines[i : i + 1] = [first, second]
    return "\n".join(lines) if lines else text


def add_emoji_markers(text: str, *, offset: int = 0, markers: Sequence[str] = EMOJI_MARKERS) -> str:
    """An emoji marker at the start of each paragraph, when the text has no emoji at all."""
    if has_emoji(text) or not text.strip():
        return text
    lines = text.split("\n")
    return "\n".join(
        f"{markers[(offset + i) % len(markers)]} {line}" if line.strip() else line for i, line in enumerate(lines)
    )


def drop_echoes(text: str, instructions: Sequence[str], threshold: float = ECHO_SIMILARITY) -> tuple[str, list[str]]:
    """``text`` without the sentences that repeat a line of the prompt's instructions (a small model
    copies "Scene: open with one concrete moment of use" into the copy), and those sentences."""
    kept, dropped = [], []
    for line in (text or "").split("\n"):
        parts = []
        for sentence in _split_sentences(line) or [line]:
            core = sentence.strip(" .。!！?？;；:：")
            if core and any(similarity(core, i) >= threshold for i in instructions if i):
                dropped.append(sentence.strip())
            else:
                parts.append(sentence)
        joined = _join(parts)
        if joined or not dropped:
            kept.append(joined)
    return "\n".join(kept).strip(), dropped


def drop_repeats(text: str) -> str:
    """``text`` without sentences that repeat an earlier one (a small model loops: "It is small-batch.
    It is small-batch. It is …"); a sentence cut off by the loop goes too."""
    seen: list[str] = []
    lines = []
    for line in (text or "").split("\n"):
        parts = []
        for sentence in _split_sentences(line) or [line]:
            core = _PUNCT_EDGE.sub("", sentence).lower()
            if core and any(core == s or (len(core) >= 4 and s.startswith(core)) for s in seen):
                continue
            seen.append(core)
            parts.append(sentence)
        lines.append(_join(parts))
    return "\n".join(line for line in lines if line).strip()


def is_hook(title: str) -> bool:
    """A title that stops a scrolling viewer: a question or exclamation, a number, a direct "you",
    or a twist word (竟然, 原来, "why", "stop" …)."""
    title = (title or "").strip()
    return bool(title) and bool(re.search(r"[?？!！]|\d", title) or _HOOK_WORDS.search(title))


@dataclass(frozen=True)
class Fit:
    text: str
    trimmed: bool  # the text was longer than the limit
    boundary: bool  # it ends where a sentence, clause or word ends (always true when not trimmed)

    def describe(self, limit: int, original: int) -> str:
        if not self.trimmed:
            return f"{len(self.text)}/{limit}"
        where = "at a boundary" if self.boundary else "mid-word"
        return f"{original} → {len(self.text)}/{limit}, cut {where}"


def fit_text(text: str, limit: int) -> Fit:
    """``text`` trimmed to ``limit`` characters at the last sentence, clause or word boundary; for
    Chinese without punctuation, at the last space or emoji, else where the limit falls (reported)."""
    text = (text or "").strip()
    if len(text) <= limit:
        return Fit(text, False, True)
    cut = trim_to_boundary(text, limit)
    if not _clean_end(text, cut):  # no boundary late enough: an earlier one beats a cut word
        head = text[:limit]
        marks = [
            m.end()
            for m in re.finditer(rf"[\s。！？!?…；;，,、：:]|{EMOJI.pattern}", head)
            if m.end() >= max(2, limit // 4)
        ]
        if marks:
            cut = head[: marks[-1]].rstrip(" ，,、：:；;")
    if not _clean_end(text, cut) and CJK.search(text):  # Chinese without a mark: end where a word ends
        ended = _han_word_end(text, limit, max(2, limit // 2))
        if ended is not None:
            return Fit(ended, True, True)
    return Fit(cut, True, _clean_end(text, cut))


def _han_word_end(text: str, limit: int, floor: int) -> str | None:
    """``text`` up to the last end of a word (jieba's dictionary segmentation) within ``limit`` characters
    and at least ``floor`` long ("杭州西湖边的独立书店咖啡馆" at 12 → "杭州西湖边的独立书店"), or None."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    best, pos = None, 0
    for word in jieba.cut(text, HMM=False):
        pos += len(word)
        if pos > limit:
            break
        if pos >= floor:
            best = pos
    return text[:best].rstrip(" ，,、：:；;") if best else None


def _clean_end(original: str, cut: str) -> bool:
    if not cut:
        return False
    if not _WORD_CHAR.match(cut[-1]):
        return True
    nxt = original[len(cut) : len(cut) + 1] if original.startswith(cut) else ""
    return not nxt or not _WORD_CHAR.match(nxt)
