"""Words for full-text search: FTS5's tokenizer cannot split Chinese, so text is split here (jieba for
runs of Han characters, lower-cased words otherwise) and stored space-separated. jieba and its
dictionary load on the first call, never at import."""

from __future__ import annotations

import re
import threading

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[^\W_]+", re.UNICODE)
_lock = threading.Lock()
_jieba = None

# words too common to rank by (the query side only; the index keeps everything)
STOPWORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "to",
        "in",
        "on",
        "for",
        "is",
        "are",
        "was",
        "be",
        "do",
        "does",
        "did",
        "what",
        "which",
        "how",
        "when",
        "where",
        "who",
        "can",
        "i",
        "you",
        "we",
        "my",
        "our",
        "your",
        "it",
        "and",
        "or",
        "with",
        "at",
        "by",
        "from",
        "this",
        "that",
        "there",
        "any",
        "me",
        "please",
        "的",
        "了",
        "是",
        "吗",
        "呢",
        "么",
        "吧",
        "啊",
        "我",
        "你",
        "我们",
        "什么",
        "怎么",
        "多少",
        "几",
        "哪",
        "哪些",
        "有",
        "在",
        "和",
        "与",
        "可以",
        "能",
        "请问",
        "一下",
        "如何",
        "需要",
        "要",
    ]
)


def _segmenter():
    global _jieba
    if _jieba is None:
        with _lock:
            if _jieba is None:
                import logging

                import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba = jieba
    return _jieba


def words(text: str) -> list[str]:
    """The search words of ``text``, in order."""
    out: list[str] = []
    for match in _WORD.finditer(text.lower()):
        token = match.group(0)
        if _HAN.fullmatch(token):
            out.extend(w for w in _segmenter().cut_for_search(token) if w.strip())
        else:
            out.append(token)
    return out


def query_terms(text: str) -> list[str]:
    """Distinct words of a query, stop words left out (all of them when nothing else is left)."""
    terms = list(dict.fromkeys(words(text)))
    kept = [t for t in terms if t not in STOPWORDS]
    return kept or terms


def context(headings: list[str], text: str) -> str:
    """What is embedded and indexed for a chunk: its heading path, then its text."""
    path = " > ".join(h for h in headings if h and h != text)
    return f"{path}\n{text}" if path else text
