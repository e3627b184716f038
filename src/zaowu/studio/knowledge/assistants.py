"""Customer-service assistants: a shop's knowledge bases, policy and tone, answering its customers with
citations, keeping each conversation, and handing to a person what the documents do not answer.

An assistant owns a widget key (scope ``assistant``) that may call only its own chat, is rate-limited
(``assistant_requests_per_minute``) and is accepted only from the assistant's ``allowed_origins``
(checked by the HTTP layer). A reply is grounded or it is a hand-off:

- the customer's message is searched in the assistant's stores; nothing relevant → hand-off;
- the model answers from numbered sources; every [n] marker must name a source given to it (others are
  removed), and an answer that shares no words with the sources it cites is not supported → hand-off;
- a reply in the other language than the customer's (small models drift to English) is replaced by the
  best source's sentence nearest the question, quoted with its marker;
- a hand-off answers "I'll pass this to a person" in the customer's language and stores a record the
  shop lists (``handoffs``); asking for a person hands off at once.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ...errors import InvalidRequest, NotFound
from ...types import Caller, Message, TextRequest
from ..db import assistant_conversations, assistant_handoffs, assistant_messages, assistants
from ..genlog import new_id
from ..keys import ASSISTANT, OWNER, Principal, Quota
from . import segment
from .answer import (
    SENTENCE,
    SOURCES,
    TEMPERATURE,
    citation,
    language,
    numbered_sources,
    quote_answer,
    relevant_sources,
    says_nothing,
)

if TYPE_CHECKING:
    from .store import Hit, KnowledgeBase

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 1000  # longest customer message
MAX_POLICY_CHARS = 4000  # longest shop policy text
MAX_ORIGINS = 20  # sites one assistant's widget may be embedded on
HANDOFF_STATES = ("open", "closed")
REPLY_TOKENS = 160  # longest reply, in tokens
MARKER = re.compile(r"\s?\[(\d{1,3})\]")
ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(:\d{1,5})?$")
ASKS_FOR_PERSON = re.compile(
    r"人工|真人|客服人员|转接|\b(human|person|agent|representative|real people)\b", re.IGNORECASE
)

HANDOFF = {
    "zh": "抱歉，我们的资料中没有这个问题的答案。我将为您转接人工客服，请稍候。",
    "en": "Sorry, our documents do not answer that. I'll pass this to a person, who will get back to you.",
}
ASKED_FOR_PERSON = {
    "zh": "好的，我将为您转接人工客服，请稍候。",
    "en": "Of course. I'll pass this to a person, who will get back to you.",
}
INSTRUCTIONS = {
    "zh": "你是{name}的客服助手。语气：{tone}。只根据下面编号的资料和店铺政策，用中文简短回答顾客。"
    "先写答案，再在句末写出所用资料的编号，例如：……[2]。资料中没有的内容不要编造。",
    "en": "You are {name}'s customer-service assistant. Tone: {tone}. Answer the customer briefly, in English, only "
    "from the numbered sources and the shop policy below. Write the answer first and end each sentence with the "
    "number of the source it uses, like: ... [2]. Never make up what the sources do not say.",
}
POLICY_HEADING = {"zh": "店铺政策", "en": "Shop policy"}


def _check_origins(origins: list[str]) -> list[str]:
    if len(origins) > MAX_ORIGINS:
        raise InvalidRequest(f"allowed_origins holds at most {MAX_ORIGINS} sites.", param="allowed_origins")
    clean = []
    for origin in origins:
        value = origin.strip().rstrip("/").lower()
        if not ORIGIN.match(value):
            raise InvalidRequest(
                f"allowed_origins: '{origin[:100]}' is not an origin; write scheme and host, like https://shop.example.",
                param="allowed_origins",
            )
        clean.append(value)
    return list(dict.fromkeys(clean))


def _content_words(text: str) -> set[str]:
    return {w for w in segment.words(MARKER.sub(" ", text)) if w not in segment.STOPWORDS and len(w) > 1}


def check_markers(text: str, sources: list[Hit]) -> tuple[str, list[int], bool]:
    """(text with only markers that name a given source, the source numbers it cites, whether it is supported).

    A reply without a valid marker cites the source that shares the most words with it; a reply that shares
    no word with the sources it cites is not supported."""
    valid = range(1, len(sources) + 1)
    cleaned = MARKER.sub(lambda m: m.group(0) if int(m.group(1)) in valid else "", text).strip()
    used = sorted({int(n) for n in re.findall(r"\[(\d{1,3})\]", cleaned)})
    words = _content_words(cleaned)
    if not used:
        overlap = [
            (len(words & _content_words(h.text + " " + " ".join(h.heading_path))), n) for n, h in enumerate(sources, 1)
        ]
        best, number = max(overlap, default=(0, 0))
        if not best:
            return cleaned, [], False
        return f"{cleaned} [{number}]", [number], True
    cited = set().union(
        *(_content_words(sources[n - 1].text + " " + " ".join(sources[n - 1].heading_path)) for n in used)
    )
    return cleaned, used, bool(words & cited)


def without_repeats(text: str) -> str:
    """The reply with each sentence kept once (small models loop on a sentence until max_tokens)."""
    seen: set[str] = set()
    kept = []
    for sentence in (x.strip() for x in SENTENCE.split(text)):
        key = MARKER.sub("", sentence).strip().lower()
        if sentence and key not in seen:
            seen.add(key)
            kept.append(sentence)
    return "".join(x + ("" if x.endswith(("。", "！", "？", "；")) else " ") for x in kept).strip()


def checked_reply(
    reply: str, sources: list[Hit], message: str, lang: str
) -> tuple[str, list[dict[str, Any]], str | None]:
    """(the text the customer gets, its citations, the hand-off reason or None) for the model's ``reply``. A reply
    of nothing but markers, or in the other language than the customer's, becomes the best source's sentence
    nearest the message, quoted; one that shares no word with the sources it cites is handed off."""
    if says_nothing(reply) or language(MARKER.sub("", reply)) != lang:
        log.info("assistant reply empty or in the other language; answered with its best source's words")
        return quote_answer(sources[0], message, lang, 1), [citation(1, sources[0])], None
    text, used, supported = check_markers(without_repeats(reply), sources)
    if not supported:
        log.info("assistant reply not supported by its sources; handed off")
        return HANDOFF[lang], [], "unsupported"
    return text, [citation(n, sources[n - 1]) for n in used], None


class Assistants:
    """Customer-service assistants over a KnowledgeBase: create, list, remove, reply, hand-offs."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb
        self.studio = kb.studio
        self.db = kb.db

    # -- managing ----------------------------------------------------------------
    def create(
        self,
        name: str,
        store_ids: list[str],
        *,
        policy: str = "",
        tone: str = "",
        allowed_origins: list[str] | None = None,
        requests_per_minute: int | None = None,
        viewer: Principal = OWNER,
    ) -> tuple[dict[str, Any], str]:
        """A new assistant and its widget key (shown once)."""
        if not name.strip() or len(name) > 100:
            raise InvalidRequest("name needs 1 to 100 characters.", param="name")
        if not store_ids:
            raise InvalidRequest("knowledge_bases needs at least one vector store id.", param="knowledge_bases")
        for store_id in store_ids:
            self.kb.store(store_id, viewer)
        if len(policy) > MAX_POLICY_CHARS:
            raise InvalidRequest(f"policy is at most {MAX_POLICY_CHARS} characters.", param="policy")
        if len(tone) > 200:
            raise InvalidRequest("tone is at most 200 characters.", param="tone")
        assistant_id = new_id("asst")
        rpm = requests_per_minute or self.studio.settings.assistant_requests_per_minute
        secret, key = self.studio.keys.create(f"widget:{assistant_id}", [ASSISTANT], Quota(requests_per_minute=rpm))
        row = {
            "id": assistant_id,
            "name": name.strip(),
            "store_ids": list(dict.fromkeys(store_ids)),
            "policy": policy.strip(),
            "tone": tone.strip(),
            "allowed_origins": _check_origins(allowed_origins or []),
            "widget_key_id": key["id"],
            "created_at": time.time(),
            "key_id": viewer.key_id,
        }
        with self.db.begin() as conn:
            conn.execute(assistants.insert().values(**row))
        return row, secret

    def get(self, assistant_id: str, viewer: Principal = OWNER) -> dict[str, Any]:
        with self.db.connect() as conn:
            row = conn.execute(sa.select(assistants).where(assistants.c.id == assistant_id)).mappings().first()
        if row is None or not (viewer.widget or viewer.can_see(row["key_id"])):
            raise NotFound(f"No assistant '{assistant_id}'.", param="assistant_id")
        if viewer.widget and row["widget_key_id"] != viewer.key_id:
            raise NotFound(f"No assistant '{assistant_id}'.", param="assistant_id")
        return dict(row)

    def list(self, viewer: Principal = OWNER) -> list[dict[str, Any]]:
        query = sa.select(assistants).order_by(assistants.c.created_at.desc())
        if not (viewer.anonymous or viewer.is_admin):
            query = query.where(assistants.c.key_id == viewer.key_id)
        with self.db.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def delete(self, assistant_id: str, viewer: Principal = OWNER) -> None:
        """Remove the assistant; its widget key is revoked, its conversations and hand-offs go too."""
        row = self.get(assistant_id, viewer)
        with self.db.begin() as conn:
            conversations = sa.select(assistant_conversations.c.id).where(
                assistant_conversations.c.assistant_id == assistant_id
            )
            conn.execute(assistant_messages.delete().where(assistant_messages.c.conversation_id.in_(conversations)))
            conn.execute(assistant_conversations.delete().where(assistant_conversations.c.assistant_id == assistant_id))
            conn.execute(assistant_handoffs.delete().where(assistant_handoffs.c.assistant_id == assistant_id))
            conn.execute(assistants.delete().where(assistants.c.id == assistant_id))
        if row["widget_key_id"]:
            self.studio.keys.revoke(row["widget_key_id"])

    def handoffs(self, assistant_id: str, viewer: Principal = OWNER, status: str | None = None) -> list[dict]:
        self.get(assistant_id, viewer)
        query = (
            sa.select(assistant_handoffs)
            .where(assistant_handoffs.c.assistant_id == assistant_id)
            .order_by(assistant_handoffs.c.created_at.desc())
        )
        if status:
            query = query.where(assistant_handoffs.c.status == status)
        with self.db.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    def set_handoff(self, assistant_id: str, handoff_id: str, status: str, viewer: Principal = OWNER) -> dict:
        """Mark a hand-off ``open`` or ``closed`` (a person took it)."""
        self.get(assistant_id, viewer)
        if status not in HANDOFF_STATES:
            raise InvalidRequest(f"status is one of {', '.join(HANDOFF_STATES)}.", param="status")
        where = (assistant_handoffs.c.id == handoff_id, assistant_handoffs.c.assistant_id == assistant_id)
        with self.db.begin() as conn:
            if not conn.execute(assistant_handoffs.update().where(*where).values(status=status)).rowcount:
                raise NotFound(f"No hand-off '{handoff_id}'.", param="handoff_id")
            return dict(conn.execute(sa.select(assistant_handoffs).where(*where)).mappings().one())

    def conversation(self, assistant_id: str, conversation_id: str, viewer: Principal = OWNER) -> dict[str, Any]:
        """The conversation and its messages, oldest first."""
        self.get(assistant_id, viewer)
        with self.db.connect() as conn:
            row = (
                conn.execute(sa.select(assistant_conversations).where(assistant_conversations.c.id == conversation_id))
                .mappings()
                .first()
            )
            if row is None or row["assistant_id"] != assistant_id:
                raise NotFound(f"No conversation '{conversation_id}'.", param="conversation_id")
            messages = conn.execute(
                sa.select(assistant_messages)
                .where(assistant_messages.c.conversation_id == conversation_id)
                .order_by(assistant_messages.c.id)
            ).mappings()
            return {**dict(row), "messages": [dict(m) for m in messages]}

    # -- replying ----------------------------------------------------------------
    def reply(
        self,
        assistant_id: str,
        message: str,
        *,
        conversation_id: str | None = None,
        viewer: Principal = OWNER,
        who: Caller | None = None,
        model: str | None = None,
        seed: int | None = None,
    ) -> dict[str, Any]:
        """Answer the customer's ``message`` in the conversation (a new one without ``conversation_id``)."""
        row = self.get(assistant_id, viewer)
        if not message.strip() or len(message) > MAX_MESSAGE_CHARS:
            raise InvalidRequest(f"message needs 1 to {MAX_MESSAGE_CHARS} characters.", param="message")
        lang = language(message)
        history = self._history(assistant_id, conversation_id, viewer) if conversation_id else []
        owner = Caller(interface="api", name=f"assistant:{assistant_id}", key_id=row["key_id"])
        who = who or owner
        if ASKS_FOR_PERSON.search(message):
            text, citations, handoff = ASKED_FOR_PERSON[lang], [], "asked_for_person"
        else:
            text, citations, handoff = self._grounded(row, message, history, lang, owner, who, model, seed)
        conversation_id = self._store(assistant_id, conversation_id, lang, message, text, citations, handoff)
        handoff_id = self._hand_off(assistant_id, conversation_id, message, handoff, lang) if handoff else None
        return {
            "object": "assistant.reply",
            "assistant_id": assistant_id,
            "conversation_id": conversation_id,
            "language": lang,
            "message": text,
            "citations": citations,
            "sources": [
                {"index": c["index"], "filename": c["filename"], "page": c["page"], "sheet": c["sheet"]}
                for c in citations
            ],
            "handed_off": handoff is not None,
            "handoff_id": handoff_id,
            "handoff_reason": handoff,
        }

    def _grounded(self, row, message, history, lang, owner, who, model, seed):
        store_ids = row["store_ids"]
        reader = self.studio.keys.principal(row["key_id"])  # the stores are read as the assistant's owner
        hits = self.kb.search(store_ids, message, max_results=SOURCES, viewer=reader, who=owner)
        sources = relevant_sources(self.kb, hits, message, store_ids)
        if not sources:
            return HANDOFF[lang], [], "out_of_scope"
        system = INSTRUCTIONS[lang].format(
            name=row["name"], tone=row["tone"] or ("亲切" if lang == "zh" else "friendly")
        )
        if row["policy"]:
            system += f"\n\n{POLICY_HEADING[lang]}:\n{row['policy']}"
        numbered, sources = numbered_sources(sources, self.studio.settings.kb_context_tokens)
        system += "\n\n" + numbered
        request = TextRequest(
            model=model,
            messages=[Message(role="system", content=system), *history, Message(role="user", content=message)],
            max_tokens=REPLY_TOKENS,
            seed=seed,
            temperature=TEMPERATURE,
        )
        result = self.studio.generate_text(request, who=who, scope=ASSISTANT)
        return checked_reply(result.text, sources, message, lang)

    def _history(self, assistant_id: str, conversation_id: str, viewer: Principal) -> list[Message]:
        turns = self.studio.settings.assistant_history_turns
        messages = self.conversation(assistant_id, conversation_id, viewer)["messages"]
        return [Message(role=m["role"], content=m["content"]) for m in messages[-turns:]] if turns else []

    def _store(self, assistant_id, conversation_id, lang, question, answer, citations, handoff) -> str:
        now = time.time()
        with self.db.begin() as conn:
            if conversation_id is None:
                conversation_id = "conv_" + secrets.token_urlsafe(18)
                conn.execute(
                    assistant_conversations.insert().values(
                        id=conversation_id, assistant_id=assistant_id, language=lang, created_at=now, updated_at=now
                    )
                )
            else:
                conn.execute(
                    assistant_conversations.update()
                    .where(assistant_conversations.c.id == conversation_id)
                    .values(updated_at=now)
                )
            conn.execute(
                assistant_messages.insert(),
                [
                    {
                        "conversation_id": conversation_id,
                        "role": "user",
                        "content": question,
                        "citations": None,
                        "refused": False,
                        "created_at": now,
                    },
                    {
                        "conversation_id": conversation_id,
                        "role": "assistant",
                        "content": answer,
                        "citations": citations,
                        "refused": handoff is not None,
                        "created_at": now,
                    },
                ],
            )
        return conversation_id

    def _hand_off(self, assistant_id: str, conversation_id: str, question: str, reason: str, lang: str) -> str:
        handoff_id = new_id("handoff")
        with self.db.begin() as conn:
            conn.execute(
                assistant_handoffs.insert().values(
                    id=handoff_id,
                    assistant_id=assistant_id,
                    conversation_id=conversation_id,
                    question=question,
                    reason=reason,
                    language=lang,
                    status="open",
                    created_at=time.time(),
                )
            )
        return handoff_id


def widget_snippet(base_url: str, assistant_id: str, widget_key: str) -> str:
    """The one script tag a shop pastes into its pages."""
    return (
        f'<script src="{base_url.rstrip("/")}/widget.js" data-assistant="{assistant_id}" '
        f'data-key="{widget_key}" async></script>'
    )
