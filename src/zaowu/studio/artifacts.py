"""The artifact store: every generated file, content-addressed.

Bytes live in a ``BlobStore`` (``blobs.py``): by default files at
``DATA_DIR/artifacts/<sha[:2]>/<sha>`` written atomically (temporary file in the same
folder, fsync, rename: a crash never leaves a partial file under a final name), or
objects in an S3-compatible bucket (``artifact_store = "s3"``); ``open_path`` gives a
file on this machine either way (a bounded local cache for the bucket). Each ``put`` adds a metadata row (its own id,
mime type, size, producing job and generation, caller) in ``artifacts``; rows
with the same content share one file. Retention: rows may carry an
``expires_at``; ``prune()`` deletes expired rows and files no row refers to (and
files left without a row, e.g. by a crash between the write and the row, once older
than ``ORPHAN_GRACE_SECONDS``).

Reading by id is owner-checked: ``get``/``open_path``/``read`` take the caller's
``key_id`` (None: the local owner, who sees all), and another key's artifact gives
the same 404 as a missing id, so ids of others are not revealed. Stored MIME types
and names are checked (no control characters: they would break response headers),
and ``delivery`` says how an artifact may be served: only media the server renders
inline, everything else (HTML, SVG, XML, scripts, text) as an attachment, always
with ``nosniff`` and a sandboxing Content-Security-Policy.

Labels: every generated file passes the store's labeller (``provenance/labels.py``: explicit and
implicit labels, watermark, C2PA) before it is hashed and written, so no interface can store an
unlabelled output. Only uploads (``upload=True``) are kept as sent, and ``unlabelled=True`` is
honoured only for a key holding the ``unlabelled`` permission; such outputs are logged as such.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..errors import InvalidRequest, NotFound, PermissionDenied
from .blobs import COPY_BLOCK, BlobStore, LocalBlobs
from .db import artifacts
from .genlog import new_id

log = logging.getLogger(__name__)

# (data, mime, produce id) -> (labelled data, report of the labels written)
Labeller = Callable[[bytes, str, str], tuple[bytes, dict[str, Any]]]
# (source path, destination path, mime, produce id) -> report; writes the labelled file at the destination
# (leaves it absent when nothing could be written: the source is stored as it is)
FileLabeller = Callable[[Path, Path, str, str], dict[str, Any]]
UNLABELLED_SCOPE = "unlabelled"  # the key permission to store outputs without labels

__all__ = ["ARTIFACT_CSP", "MAX_MIME_CHARS", "MAX_NAME_CHARS", "ArtifactStore", "check_mime", "delivery", "unprintable"]

# A stored file without a row is deleted by prune() only when older than this: a put writes the file before its row.
ORPHAN_GRACE_SECONDS = 3600
PRUNE_BATCH = 500  # stored files looked up in the table at once by prune()
MAX_NAME_CHARS = 255  # longest artifact (file) name stored
MAX_MIME_CHARS = 100  # longest MIME type stored, parameters included (the size of artifacts.mime)
# Sent with every artifact: a document opened from the studio's origin runs no script and loads nothing.
ARTIFACT_CSP = "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'"
# Media the server renders, safe to show inline (players, <img>); every other type is an attachment.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})
INLINE_PREFIXES = ("audio/", "video/")

_TOKEN = r"[A-Za-z0-9!#$&^_.+-]+"
_MIME = re.compile(rf'{_TOKEN}/{_TOKEN}(\s*;\s*{_TOKEN}=({_TOKEN}|"[^"\\\x00-\x1f\x7f]*"))*')
_UNPRINTABLE = {"Cc", "Cs", "Zl", "Zp"}  # controls (CR, LF, NUL, DEL, C1), lone surrogates, line separators


def unprintable(value: str) -> str | None:
    """The first character of ``value`` that may not be in a name or header (as ``U+XXXX``), or None."""
    for ch in value:
        if unicodedata.category(ch) in _UNPRINTABLE:
            return f"U+{ord(ch):04X}"
    return None


def check_mime(mime: Any, param: str = "mime") -> str:
    """``mime`` if it is a well-formed MIME type (``type/subtype; key=value``), else InvalidRequest naming ``param``."""
    if not isinstance(mime, str) or not mime.strip():
        raise InvalidRequest("A MIME type is required, e.g. 'text/plain'.", param=param)
    if (bad := unprintable(mime)) is not None:
        raise InvalidRequest(
            f"The MIME type contains a control character ({bad}); send a plain type such as "
            "'text/plain; charset=utf-8'.",
            param=param,
        )
    if len(mime) > MAX_MIME_CHARS or not _MIME.fullmatch(mime.strip()):
        raise InvalidRequest(
            f"'{mime[:80]}' is not a MIME type; use the form 'type/subtype' (e.g. 'text/plain'), "
            f"at most {MAX_MIME_CHARS} characters.",
            param=param,
        )
    return mime.strip()


def _check_name(name: Any, param: str = "name") -> None:
    if name is None:
        return
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARS:
        raise InvalidRequest(f"An artifact name has 1 to {MAX_NAME_CHARS} characters.", param=param)
    if (bad := unprintable(name)) is not None:
        raise InvalidRequest(
            f"The artifact name contains a control character ({bad}); use a plain file name.", param=param
        )


def delivery(row: dict[str, Any]) -> tuple[str, str, dict[str, str]]:
    """How to serve an artifact: (Content-Type, Content-Disposition type, extra headers).

    Only media the server renders are inline; anything a browser could run or render as a
    page (HTML, SVG, XML, JavaScript, text a user typed) is an attachment. A stored type that
    is not well formed (rows from before the checks) is served as application/octet-stream."""
    try:
        mime = check_mime(row["mime"])
    except InvalidRequest:
        mime = "application/octet-stream"
    base = mime.split(";")[0].strip().lower()
    inline = base in INLINE_TYPES or base.startswith(INLINE_PREFIXES)
    headers = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": ARTIFACT_CSP}
    return mime, "inline" if inline else "attachment", headers


class ArtifactStore:
    def __init__(
        self,
        engine: Engine,
        root: Path,
        retention_days: float | None = None,
        principal: Callable[[str | None], Any] | None = None,
        labeller: Labeller | None = None,
        file_labeller: FileLabeller | None = None,
        blobs: BlobStore | None = None,
    ):
        """``principal`` maps a key id to its Principal (KeyStore.principal) for owner checks;
        without it only the local owner (key_id None) and a row's own key may read it. ``labeller``
        labels every generated file before it is stored (None: a bare store, as in tools and tests);
        ``file_labeller`` does it for files stored from disk (``put_file``: videos), path to path.
        ``blobs``: where the bytes go (default: the folder ``root``; ``root`` also holds temporary files)."""
        self.engine = engine
        self.root = root
        self.blobs = blobs if blobs is not None else LocalBlobs(root)
        self.retention_days = retention_days
        self._principal = principal
        self.labeller = labeller
        self.file_labeller = file_labeller

    @property
    def remote(self) -> bool:
        """True when the bytes are in an object store (not a folder on this machine)."""
        return self.blobs.remote

    def path_for(self, sha256: str) -> Path:
        """Where the local folder store keeps ``sha256`` (only meaningful for it; others use ``open_path``)."""
        return self.root / sha256[:2] / sha256

    def put(
        self,
        data: bytes,
        mime: str,
        *,
        name: str | None = None,
        job_id: str | None = None,
        generation_id: str | None = None,
        caller: str | None = None,
        key_id: str | None = None,
        meta: dict[str, Any] | None = None,
        upload: bool = False,
        unlabelled: bool = False,
    ) -> dict[str, Any]:
        """Store ``data``; a generated file (not ``upload``) is labelled first, ``ProduceID`` its
        generation id (else the artifact's own id). ``unlabelled`` needs the key's permission."""
        mime = check_mime(mime)
        _check_name(name)
        art_id = new_id("art")
        if not upload and self.labeller is not None:
            data, meta = self._label(data, mime, generation_id or art_id, key_id, meta, unlabelled)
        sha = hashlib.sha256(data).hexdigest()
        self.blobs.put_bytes(sha, data)
        return self._insert(
            sha,
            mime,
            len(data),
            art_id=art_id,
            name=name,
            job_id=job_id,
            generation_id=generation_id,
            caller=caller,
            key_id=key_id,
            meta=meta,
        )

    def put_file(
        self,
        path: str | os.PathLike[str],
        mime: str,
        *,
        move: bool = False,
        upload: bool = False,
        unlabelled: bool = False,
        **fields: Any,
    ) -> dict[str, Any]:
        """Store the file at ``path`` (a video, too large to hold in memory) like ``put``: labelled on disk
        (not an ``upload``; ``unlabelled`` needs the key's permission), hashed and copied in blocks, written
        atomically; ``move``: the file is the caller's temporary, moved into the store when it is on the same
        disk (no copy). ``fields`` are those of ``put`` (name, job_id, generation_id, caller, key_id, meta...)."""
        mime = check_mime(mime)
        _check_name(fields.get("name"))
        fields.setdefault("art_id", new_id("art"))
        if upload or self.file_labeller is None:
            return self._put_path(path, mime, move, fields)
        produce_id = fields.get("generation_id") or fields["art_id"]
        if unlabelled:
            fields["meta"] = self._label(b"", mime, produce_id, fields.get("key_id"), fields.get("meta"), True)[1]
            return self._put_path(path, mime, move, fields)
        self.root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".label-", dir=self.root) as tmp:
            labelled = Path(tmp) / "labelled"
            report = self.file_labeller(Path(path), labelled, mime, produce_id)
            fields["meta"] = {**(fields.get("meta") or {}), "labels": report}
            if labelled.is_file():
                row = self._put_path(labelled, mime, True, fields)
                if move:
                    Path(path).unlink(missing_ok=True)
                return row
            return self._put_path(path, mime, move, fields)

    def _put_path(self, path: str | os.PathLike[str], mime: str, move: bool, fields: dict[str, Any]) -> dict[str, Any]:
        digest = hashlib.sha256()
        size = 0
        with open(path, "rb") as src:
            while block := src.read(COPY_BLOCK):
                digest.update(block)
                size += len(block)
        sha = digest.hexdigest()
        self.blobs.put_file(sha, path, size, move=move)
        return self._insert(sha, mime, size, **fields)

    def _insert(
        self,
        sha: str,
        mime: str,
        size: int,
        *,
        art_id: str | None = None,
        name: str | None = None,
        job_id: str | None = None,
        generation_id: str | None = None,
        caller: str | None = None,
        key_id: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        now = time.time()
        row = {
            "id": art_id or new_id("art"),
            "sha256": sha,
            "mime": mime,
            "size_bytes": size,
            "name": name,
            "created_at": now,
            "job_id": job_id,
            "generation_id": generation_id,
            "caller": caller,
            "key_id": key_id,
            "meta": meta or {},
            "expires_at": now + self.retention_days * 86400 if self.retention_days else None,
        }
        with self.engine.begin() as conn:
            conn.execute(artifacts.insert().values(**row))
        return row

    def stored_bytes(self, row: dict[str, Any], original: bytes) -> bytes:
        """The bytes stored for ``row`` (labelled), or ``original`` when the store kept them as sent."""
        if row["size_bytes"] == len(original) and hashlib.sha256(original).hexdigest() == row["sha256"]:
            return original
        return self.blobs.read(row["sha256"])

    def check_unlabelled(self, key_id: str | None) -> None:
        """Refuse (403) unlabelled output for a key without the explicit ``unlabelled`` permission
        (the local owner has none either: an operator makes a key for it)."""
        principal = self._principal(key_id) if self._principal is not None and key_id is not None else None
        if principal is None or UNLABELLED_SCOPE not in principal.scopes:
            who = f"The key '{principal.name}'" if principal is not None else "The local owner"
            raise PermissionDenied(
                f"{who} may not store outputs without labels (unlabelled): that needs a key created with "
                f"'zaowu keys create NAME --scope {UNLABELLED_SCOPE}'; leave out unlabelled to get labelled output.",
                param="unlabelled",
            )

    def _label(
        self,
        data: bytes,
        mime: str,
        produce_id: str,
        key_id: str | None,
        meta: dict[str, Any] | None,
        unlabelled: bool,
    ) -> tuple[bytes, dict[str, Any]]:
        if unlabelled:
            self.check_unlabelled(key_id)
            log.warning("output %s stored UNLABELLED for key %s (unlabelled permission)", produce_id, key_id)
            return data, {**(meta or {}), "labels": {"unlabelled": True, "key_id": key_id}}
        assert self.labeller is not None
        data, report = self.labeller(data, mime, produce_id)
        return data, {**(meta or {}), "labels": report}

    def get(self, artifact_id: str, *, key_id: str | None = None) -> dict[str, Any]:
        """The artifact's row, if the caller's key (``key_id``; None: the local owner) may see it.
        Another key's artifact raises the same NotFound as a missing id."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(artifacts).where(artifacts.c.id == str(artifact_id))).first()
        if row is None or not self._visible(key_id, row.key_id):
            raise NotFound(f"No artifact with id '{artifact_id}'.", param="id")
        return dict(row._mapping)

    def _visible(self, key_id: str | None, owner: str | None) -> bool:
        if key_id is None or key_id == owner:
            return True
        return self._principal is not None and self._principal(key_id).can_see(owner)

    def _missing(self, row: dict[str, Any]) -> NotFound:
        return NotFound(f"The file of artifact '{row['id']}' is missing from {self.blobs.where}.", param="id")

    def open_path(self, artifact_id: str, *, key_id: str | None = None) -> tuple[dict[str, Any], Path]:
        """The row and a file on this machine holding the artifact (for tools that need a path: ffmpeg,
        workflows); from an object store it is downloaded into the local cache. Do not modify the file."""
        row = self.get(artifact_id, key_id=key_id)
        try:
            return row, self.blobs.local_path(row["sha256"])
        except FileNotFoundError:
            raise self._missing(row) from None

    def read(self, artifact_id: str, *, key_id: str | None = None) -> bytes:
        row = self.get(artifact_id, key_id=key_id)
        try:
            return self.blobs.read(row["sha256"])
        except FileNotFoundError:
            raise self._missing(row) from None

    def read_range(self, row: dict[str, Any], start: int, end: int) -> Iterator[bytes]:
        """Bytes ``start`` to ``end`` (included) of an artifact whose row the caller already got (owner-checked);
        NotFound at once when its file is missing from the store."""
        try:
            return self.blobs.read_range(row["sha256"], start, end)
        except FileNotFoundError:
            raise self._missing(row) from None

    def presigned_url(self, row: dict[str, Any], mime: str, disposition: str) -> str | None:
        """A direct, time-limited URL to the stored object when the store offers them (s3_presign), else None."""
        return self.blobs.presigned_url(row["sha256"], mime=mime, disposition=disposition)

    def verify(self, artifact_id: str, *, key_id: str | None = None) -> bool:
        row = self.get(artifact_id, key_id=key_id)
        digest = hashlib.sha256()
        for block in self.read_range(row, 0, max(row["size_bytes"] - 1, 0)):
            digest.update(block)
        return digest.hexdigest() == row["sha256"]

    def recorded_label(self, data: bytes, *, key_id: str | None = None) -> dict[str, Any] | None:
        """The AIGC label the store recorded for a file that cannot hold one (CSV: ``meta["labels"]["aigc"]``),
        found by the file's hash among the artifacts ``key_id`` may see; None if there is none."""
        sha = hashlib.sha256(data).hexdigest()
        q = sa.select(artifacts).where(artifacts.c.sha256 == sha).order_by(artifacts.c.created_at.desc()).limit(20)
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(q)]
        for row in rows:
            aigc = ((row.get("meta") or {}).get("labels") or {}).get("aigc")
            if aigc and self._may_see(row, key_id):
                return {"artifact_id": row["id"], "fields": aigc}
        return None

    def _may_see(self, row: dict[str, Any], key_id: str | None) -> bool:
        try:
            self.get(row["id"], key_id=key_id)
        except NotFound:
            return False
        return True

    def list(self, *, job_id: str | None = None, caller: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        q = sa.select(artifacts).order_by(artifacts.c.created_at.desc()).limit(limit)
        if job_id:
            q = q.where(artifacts.c.job_id == job_id)
        if caller:
            q = q.where(artifacts.c.caller == caller)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def discard(self, artifact_ids: list[str]) -> int:
        """Delete the rows ``artifact_ids`` (work that stored them was then cancelled or failed) and the files
        no other row shares. Returns the rows deleted."""
        if not artifact_ids:
            return 0
        with self.engine.begin() as conn:
            shas = set(conn.scalars(sa.select(artifacts.c.sha256).where(artifacts.c.id.in_(artifact_ids))))
            rows = conn.execute(artifacts.delete().where(artifacts.c.id.in_(artifact_ids))).rowcount
            still = set(conn.scalars(sa.select(artifacts.c.sha256).where(artifacts.c.sha256.in_(shas))))
        for sha in shas - still:
            self.blobs.delete(sha)
        return rows

    def prune(self, now: float | None = None) -> tuple[int, int]:
        """Delete expired rows, then stored files that no row refers to (in the folder or the bucket):
        those of the expired rows, and any older than ORPHAN_GRACE_SECONDS without a row. Returns (rows, files)."""
        now = now or time.time()
        with self.engine.begin() as conn:
            expired = set(conn.scalars(sa.select(artifacts.c.sha256).where(artifacts.c.expires_at < now)))
            rows = conn.execute(artifacts.delete().where(artifacts.c.expires_at < now)).rowcount
            still = set(conn.scalars(sa.select(artifacts.c.sha256).where(artifacts.c.sha256.in_(expired))))
        files = sum(self.blobs.delete(sha) for sha in expired - still)
        return rows, files + self._prune_orphans()

    def _prune_orphans(self) -> int:
        cutoff = time.time() - ORPHAN_GRACE_SECONDS
        old = sorted(sha for sha, mtime in self.blobs.list() if mtime < cutoff)
        gone = 0
        for start in range(0, len(old), PRUNE_BATCH):
            batch = set(old[start : start + PRUNE_BATCH])
            with self.engine.connect() as conn:
                kept = set(conn.scalars(sa.select(artifacts.c.sha256).where(artifacts.c.sha256.in_(batch))))
            gone += sum(self.blobs.delete(sha) for sha in batch - kept)
        if gone:
            log.info("prune: deleted %d stored files no artifact refers to", gone)
        return gone
