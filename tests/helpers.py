"""Small helpers shared by the tests: word and character error rates, waiting for jobs over HTTP."""

from __future__ import annotations

import re
import time

import httpx

FINAL = ("succeeded", "failed", "cancelled")


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate: word-level edit distance over the reference length."""
    ref = re.findall(r"[a-z0-9']+", reference.lower())
    hyp = re.findall(r"[a-z0-9']+", hypothesis.lower())
    return _edit_distance(ref, hyp) / max(1, len(ref))


def _edit_distance(ref: list[str], hyp: list[str]) -> int:
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, h in enumerate(hyp, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
    return d[len(hyp)]


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate for Chinese: edit distance over the reference's characters, counting
    only letters and digits (punctuation and spaces dropped; numbers written as Chinese words
    on both sides, so "2024年" and "二零二四年" agree)."""
    from zaowu.backends.speech.zh_text import read_numbers

    ref, hyp = ([c for c in read_numbers(t).lower() if c.isalnum()] for t in (reference, hypothesis))
    return _edit_distance(ref, hyp) / max(1, len(ref))


def wait_jobs(base: str, ids: list[str], timeout: float = 180, headers=None) -> list[dict]:
    """Poll GET /v1/jobs/{id} until every job is final; fail the test if one is not in time."""
    deadline = time.monotonic() + timeout
    while True:
        jobs = [httpx.get(f"{base}/v1/jobs/{i}", headers=headers).json() for i in ids]
        if all(j["state"] in FINAL for j in jobs):
            return jobs
        if time.monotonic() > deadline:
            raise AssertionError(f"unfinished: {[(j['id'], j['state']) for j in jobs]}")
        time.sleep(0.2)
