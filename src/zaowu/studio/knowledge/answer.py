"""Answers from a knowledge base: the last user message is searched in the chosen stores, the chunks
that are relevant become numbered sources in the prompt, and the answer comes back with ``citations``
(source number → file, page or sheet, heading path, quote) and [n] markers in its text.

When nothing relevant is found the model is not asked at all: the answer says that the documents do
not say (in the question's language), so a small model cannot make an answer up. Relevant means the
query's embedding is near the chunk's (``MIN_SIMILARITY``), or nearer than ``MIN_SIMILARITY_WITH_WORDS``
while sharing words with it. A small model often leaves out the markers: the answer then gets the
marker of its best source appended (a repair, reported as ``markers_added``). Streamed answers
(``prepare``, then the model's stream, then ``finish``) end with that marker and the citations."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ...types import Caller, Message, Modality, TextRequest, TextResult, Usage
from ..keys import OWNER, Principal
from . import segment

if TYPE_CHECKING:
    from .store import Hit, KnowledgeBase

SOURCES = 4  # chunks put in the prompt
MIN_SIMILARITY = 0.2  # cosine (multilingual embeddings) that alone makes a chunk relevant
MIN_SIMILARITY_WITH_WORDS = 0.12  # cosine enough when the chunk also shares a distinctive word with the question
COMMON_TERM_SHARE = 0.25  # a word held by more than this share of the chunks is not distinctive
QUOTE_CHARS = 300  # longest quote in a citation
TEMPERATURE = 0.2  # answers sample close to their sources unless the caller sets a temperature
MIN_SOURCE_TOKENS = 40  # a source cut to fit the context budget keeps at least this much, or is left out
CHARS_PER_TOKEN = 4  # non-Han text, for the token estimate (a Han character counts as one token)
_HAN = re.compile(r"[\u3400-\u9fff]")
_MARKER = re.compile(r"\[(\d{1,2})\]")
_WORD = re.compile(r"\w")
SENTENCE = re.compile(r"(?<=[。！？!?；;])|(?<=\.)\s+|\n+")
QUOTE_LEAD = {"zh": "根据资料：", "en": "Our documents say: "}

REFUSAL = {
    "zh": "抱歉，知识库中的文档没有提到这个问题，我无法根据资料回答。",
    "en": "Sorry, the documents in the knowledge base do not say; I cannot answer this from them.",
}
INSTRUCTIONS = {
    "zh": "只根据下面编号的资料，用中文一两句话回答用户的问题。先写答案，再在句末写出所用资料的编号，"
    "例如：……[2]。资料中没有的内容，回答“文档中没有提到”。",
    "en": "Answer the user's question in one or two sentences, only from the numbered sources below. Write the "
    "answer first and end each sentence with the number of the source it uses, like: ... [2]. If the sources do "
    "not say, answer that the documents do not say.",
}


def language(text: str) -> str:
    """zh when a quarter or more of the question's characters are Han, else en."""
    han = len(_HAN.findall(text))
    return "zh" if han and han * 4 >= len(text.replace(" ", "")) else "en"


def relevant(hits: list[Hit], question: str, shares: dict[str, float] | None = None) -> list[Hit]:
    """The hits near enough to the question to answer from: ``MIN_SIMILARITY`` alone, or
    ``MIN_SIMILARITY_WITH_WORDS`` with a distinctive word of the question in the chunk. A word is distinctive
    when at most ``COMMON_TERM_SHARE`` of the stores' chunks hold it (``shares``: term → share, from
    ``KnowledgeBase.term_shares``), so a word every row repeats ("price") lets no stray question in."""
    shares = shares or {}
    terms = {stem(t) for t in segment.query_terms(question) if shares.get(t, 0.0) <= COMMON_TERM_SHARE}
    kept = []
    for hit in hits:
        shared = bool(terms & {stem(w) for w in segment.words(hit.text + " " + " ".join(hit.heading_path))})
        if hit.similarity >= MIN_SIMILARITY or (shared and hit.similarity >= MIN_SIMILARITY_WITH_WORDS):
            kept.append(hit)
    return kept


_SUFFIXES = (("ies", "y"), ("sses", "ss"), ("ches", "ch"), ("shes", "sh"), ("xes", "x"), ("s", ""))


def stem(word: str) -> str:
    """An English word without its plural or third-person -s ("keeps" → "keep", "boxes" → "box"), so a question
    and a chunk that say a word in different forms share it; other words as they are."""
    if len(word) <= 3 or not word.isascii() or not word.isalpha() or word.endswith(("ss", "us", "is")):
        return word
    for end, repl in _SUFFIXES:
        if word.endswith(end):
            return word[: -len(end)] + repl
    return word


def relevant_sources(kb: KnowledgeBase, hits: list[Hit], question: str, store_ids: list[str]) -> list[Hit]:
    """``relevant`` with the shares of the question's words in the stores."""
    if not hits:
        return []
    return relevant(hits, question, kb.term_shares(store_ids, segment.query_terms(question)))


def estimate_tokens(text: str) -> int:
    """Tokens ``text`` takes in a prompt, estimated: one per Han character, one per 4 other characters."""
    han = len(_HAN.findall(text))
    return han + (len(text) - han + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def _cut(text: str, tokens: int) -> str:
    """The start of ``text`` that takes about ``tokens`` tokens."""
    kept, used = [], 0.0
    for ch in text:
        used += 1.0 if _HAN.match(ch) else 1.0 / CHARS_PER_TOKEN
        if used > tokens:
            break
        kept.append(ch)
    return "".join(kept).rstrip() + "…"


def numbered_sources(sources: list[Hit], budget: int) -> tuple[str, list[Hit]]:
    """The sources as the prompt's numbered block, best first, within ``budget`` tokens (``kb_context_tokens``):
    the source that overflows is cut (the first always keeps ``budget`` tokens; later ones are left out when
    under ``MIN_SOURCE_TOKENS`` remain). Returns (the block, the sources it holds, in their numbering)."""
    parts: list[str] = []
    kept: list[Hit] = []
    left = budget
    for hit in sources:
        header = f"[{len(kept) + 1}] ({where(hit)})\n"
        room = left - estimate_tokens(header)
        if kept and room < MIN_SOURCE_TOKENS:
            break
        overflows = estimate_tokens(hit.text) > room
        parts.append(header + (_cut(hit.text, max(room, MIN_SOURCE_TOKENS)) if overflows else hit.text))
        kept.append(hit)
        left -= estimate_tokens(parts[-1])
        if overflows:
            break
    return "\n\n".join(parts), kept


def citation(number: int, hit: Hit) -> dict[str, Any]:
    return {
        "index": number,
        "marker": f"[{number}]",
        "file_id": hit.file_id,
        "filename": hit.filename,
        "vector_store_id": hit.store_id,
        "page": hit.page,
        "sheet": hit.sheet,
        "heading_path": hit.heading_path,
        "quote": hit.text[:QUOTE_CHARS],
        "start": hit.start,
        "end": hit.end,
        "score": hit.score,
    }


def prepare(
    kb: KnowledgeBase,
    request: TextRequest,
    store_ids: list[str],
    *,
    viewer: Principal = OWNER,
    who: Caller | None = None,
) -> tuple[TextRequest | None, list[Hit], str]:
    """(the request with the numbered sources as its system message, the sources, the question's language);
    the request is None when no chunk is relevant (the answer is then ``REFUSAL[language]``)."""
    messages = list(request.messages or [])
    question = question_of(request)
    lang = language(question)
    hits = kb.search(store_ids, question, max_results=SOURCES, viewer=viewer, who=who) if question.strip() else []
    sources = relevant_sources(kb, hits, question, store_ids)
    if not sources:
        return None, [], lang
    numbered, sources = numbered_sources(sources, kb.studio.settings.kb_context_tokens)
    system = Message(role="system", content=f"{INSTRUCTIONS[lang]}\n\n{numbered}")
    update: dict[str, Any] = {"messages": [system, *[m for m in messages if m.role != "system"]]}
    if request.temperature is None:
        update["temperature"] = TEMPERATURE
    return (
        request.model_copy(update=update),
        sources,
        lang,
    )


def question_of(request: TextRequest) -> str:
    """The question a chat request asks: its last user message."""
    return next((m.content for m in reversed(request.messages or []) if m.role == "user"), "")


def quote_answer(source: Hit, question: str, lang: str, number: int) -> str:
    """The source's sentence that shares most words with the question, quoted as the answer: grounded by
    construction, used when the model's reply is empty or in another language than the question's."""
    terms = set(segment.query_terms(question))
    sentences = [x.strip() for x in SENTENCE.split(source.text) if x.strip()] or [source.text.strip()]
    best = max(sentences, key=lambda x: (len(terms & set(segment.words(x))), (language(x) == lang)))
    return f"{QUOTE_LEAD[lang]}{best} [{number}]"


def says_nothing(text: str) -> bool:
    """Whether a reply holds nothing but source markers (a small model sampling cold writes "[1]" and stops)."""
    return not _WORD.search(_MARKER.sub("", text))


def knowledge_block(knowledge: dict[str, Any]) -> dict[str, Any]:
    """The ``zaowu.knowledge`` block of a response: what was refused or repaired."""
    return {k: knowledge[k] for k in ("refused", "markers_added", "quoted")}


def finish(text: str, sources: list[Hit], question: str, lang: str) -> tuple[str, dict[str, Any]]:
    """(text to append to the answer, the knowledge block: ``citations``, ``refused``, ``markers_added``,
    ``quoted``). An answer without markers gets the marker of its best source, which it was grounded on.
    An answer with nothing but markers (``says_nothing``) gets the best source's sentence nearest the question
    quoted after it (``quoted``)."""
    if says_nothing(text):
        lead = " " if text.strip() else ""
        knowledge = {"citations": [citation(1, sources[0])], "refused": False, "markers_added": False, "quoted": True}
        return lead + quote_answer(sources[0], question, lang, 1), knowledge
    used = {int(n) for n in _MARKER.findall(text) if 1 <= int(n) <= len(sources)}
    added = not used
    if added:
        used = {1}
    citations = [citation(n, h) for n, h in enumerate(sources, start=1) if n in used]
    knowledge = {"citations": citations, "refused": False, "markers_added": added, "quoted": False}
    return (" [1]" if added else ""), knowledge


def refused() -> dict[str, Any]:
    return {"citations": [], "refused": True, "markers_added": False, "quoted": False}


def answer(
    kb: KnowledgeBase,
    request: TextRequest,
    store_ids: list[str],
    *,
    viewer: Principal = OWNER,
    who: Caller | None = None,
) -> tuple[TextResult, dict[str, Any]]:
    """The answer to the chat ``request`` from the stores, and the knowledge block of the response:
    ``citations``, ``refused`` and ``markers_added``."""
    prompt, sources, lang = prepare(kb, request, store_ids, viewer=viewer, who=who)
    if prompt is None:
        model = request.model or kb.studio.default_model(Modality.text)
        result = TextResult(text=REFUSAL[lang], finish_reason="stop", usage=Usage(), model=model, seed=request.seed)
        return result, refused()
    result = kb.studio.generate_text(prompt, who=who or Caller(interface="python", name="knowledge"))
    suffix, knowledge = finish(result.text, sources, question_of(request), lang)
    if suffix:
        result = result.model_copy(update={"text": result.text.rstrip() + suffix})
    return result, knowledge


def where(hit: Hit) -> str:
    parts = [hit.filename]
    if hit.page:
        parts.append(f"p. {hit.page}")
    if hit.sheet:
        parts.append(f"sheet {hit.sheet}")
    if hit.heading_path:
        parts.append(" > ".join(hit.heading_path))
    return ", ".join(parts)
