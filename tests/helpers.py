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


def wait_video(base: str, video_id: str, timeout: float = 300, headers=None) -> dict:
    """Poll GET /v1/videos/{id} until the video is completed or failed (or the time is up); the video object."""
    deadline = time.monotonic() + timeout
    while True:
        video = httpx.get(f"{base}/v1/videos/{video_id}", headers=headers, timeout=30).json()
        if video["status"] in ("completed", "failed") or time.monotonic() > deadline:
            return video
        time.sleep(0.5)


def content_of(data: bytes) -> bytes:
    """What a stored output holds without its labels' per-generation metadata, for "same seed, same
    output" checks: an image's pixels, a WAV's samples, a text's body; other files as they are.
    (Every output carries its own generation id in its implicit label, so the bytes always differ; an
    image's pixels also carry its own watermark: compare pictures with ``same_picture``.)"""
    import io
    import wave

    from zaowu.studio.provenance.labels import sniff_mime

    mime = sniff_mime(data) or ""
    if mime.startswith("image/"):
        from PIL import Image

        im = Image.open(io.BytesIO(data))
        return f"{im.size}{im.mode}".encode() + im.tobytes()
    if mime == "audio/wav":
        with wave.open(io.BytesIO(data)) as w:
            return w.readframes(w.getnframes())
    if mime.startswith("text/") or mime == "application/json":
        return unlabelled_text(data.decode("utf-8")).encode("utf-8")
    if mime == "audio/midi":  # every event but the label's marker, copyright and AIGC text
        import mido

        midi = mido.MidiFile(file=io.BytesIO(data))
        return repr(
            [[m for m in t if not (m.is_meta and m.type in ("marker", "copyright", "text"))] for t in midi.tracks]
        ).encode()
    return data


# most two generations' own invisible watermarks can set one pixel apart: each moves a pixel by at most
# rint(MAX_PUSH * max|pattern| / 2) = rint(84 * 0.319 / 2) = 13 (studio/provenance/watermark.py), so 26
WATERMARK_MAX_CHANGE = 26


def same_picture(a: bytes, b: bytes) -> bool:
    """Whether two stored images hold the same picture: each carries the watermark of its own generation, so
    their pixels differ by that faint mark only (every value within WATERMARK_MAX_CHANGE, on average < 3)."""
    import io

    import numpy as np
    from PIL import Image

    first, second = (Image.open(io.BytesIO(x)) for x in (a, b))
    if first.size != second.size or first.mode != second.mode:
        return False
    diff = np.abs(np.asarray(first, dtype=np.int16) - np.asarray(second, dtype=np.int16))
    # on average: < 3 (a small image has few blocks, so one block the picture fights weighs more)
    return int(diff.max()) <= WATERMARK_MAX_CHANGE and float(diff.mean()) < 3.0


def unlabelled_text(text: str) -> str:
    """A labelled text file's own words: without the AIGC front matter and the notice line."""
    from zaowu.studio.provenance.text import NOTICE_EN, NOTICE_ZH

    if text.startswith("---\nAIGC: "):
        text = text.split("\n---\n", 1)[1]
    for notice in (NOTICE_ZH, NOTICE_EN):
        if text.startswith(notice + "\n\n"):
            return text[len(notice) + 2 :]
    return text


def same_apart_from_mark(ours: bytes, theirs: bytes, tolerance: int = 12) -> bool:
    """Whether a labelled image is ``theirs`` with only the labels added: same size, and outside the mark's
    plate the same pixels within ``tolerance`` (a re-encoded JPEG) plus the invisible watermark's faint change."""
    import io

    import numpy as np
    from PIL import Image

    from zaowu.studio.provenance.image import plate_box

    a, b = (Image.open(io.BytesIO(d)).convert("RGB") for d in (ours, theirs))
    if a.size != b.size:
        return False
    x0, y0, x1, y1 = plate_box(*a.size).box
    diff = np.abs(np.asarray(a, np.int16) - np.asarray(b, np.int16)).max(axis=2)
    diff[max(0, y0) : y1 + 1, max(0, x0) : x1 + 1] = 0  # the plate, its last row and column included
    return int(diff.max()) <= tolerance + WATERMARK_MAX_CHANGE and float(diff.mean()) < 2.0


def job_request(server, job_id: str) -> dict:
    """The request a job was queued with, as stored (the API does not show it): read from the server's database."""
    import json

    import sqlalchemy as sa

    from zaowu.studio.db import jobs, open_database

    engine = open_database(server.database_url or f"sqlite:///{server.data_dir / 'zaowu.db'}")
    try:
        with engine.connect() as conn:
            request = conn.execute(sa.select(jobs.c.request).where(jobs.c.id == job_id)).scalar_one()
    finally:
        engine.dispose()
    return json.loads(request) if isinstance(request, str) else request
