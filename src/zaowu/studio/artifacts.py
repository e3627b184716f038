"""The artifact store: every generated file, content-addressed.

Files live at ``DATA_DIR/artifacts/<sha[:2]>/<sha>`` and are written atomically
(temporary file in the same folder, fsync, rename): a crash never leaves a
partial file under a final name. Each ``put`` adds a metadata row (its own id,
mime type, size, producing job and generation, caller) in ``artifacts``; rows
with the same content share one file. Retention: rows may carry an
``expires_at``; ``prune()`` deletes expired rows and files no row refers to.

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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..errors import InvalidRequest, NotFound, PermissionDenied
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

COPY_BLOCK = 1 << 20  # bytes read at a time when a file is hashed and copied into the store
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


def _moved(path: str | os.PathLike[str], final: Path) -> bool:
    """Move ``path`` to ``final`` when both are on one file system (a rename); False when they are not."""
    try:
        os.chmod(path, 0o644)
        os.replace(path, final)
    except OSError:
        return False
    return True


class ArtifactStore:
    def __init__(
        self,
        engine: Engine,
        root: Path,
        retention_days: float | None = None,
        principal: Callable[[str | None], Any] | None = None,
        labeller: Labeller | None = None,
        file_labeller: FileLabeller | None = None,
    ):
        """``principal`` maps a key id to its Principal (KeyStore.principal) for owner checks;
        without it only the local owner (key_id None) and a row's own key may read it. ``labeller``
        labels every generated file before it is stored (None: a bare store, as in tools and tests);
        ``file_labeller`` does it for files stored from disk (``put_file``: videos), path to path."""
        self.engine = engine
        self.root = root
        self.retention_days = retention_days
        self._principal = principal
        self.labeller = labeller
        self.file_labeller = file_labeller

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def _write(self, data: bytes, sha256: str) -> Path:
        final = self.path_for(sha256)
        if final.is_file() and final.stat().st_size == len(data):
            return final  # same content already stored
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=final.parent)
        try:
            with os.fdopen(fd, "wb") as fp:
                fp.write(data)
                fp.flush()
                os.fsync(fp.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, final)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return final

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
        self._write(data, sha)
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
        final = self.path_for(sha)
        if not (final.is_file() and final.stat().st_size == size):
            final.parent.mkdir(parents=True, exist_ok=True)
            if move and _moved(path, final):
                return self._insert(sha, mime, size, **fields)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=final.parent)
            try:
                with os.fdopen(fd, "wb") as dst, open(path, "rb") as src:
                    while block := src.read(COPY_BLOCK):
                        dst.write(block)
                    dst.flush()
                    os.fsync(dst.fileno())
                os.chmod(tmp, 0o644)
                os.replace(tmp, final)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
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
        return self.path_for(row["sha256"]).read_bytes()

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

    def open_path(self, artifact_id: str, *, key_id: str | None = None) -> tuple[dict[str, Any], Path]:
        row = self.get(artifact_id, key_id=key_id)
        path = self.path_for(row["sha256"])
        if not path.is_file():
            raise NotFound(f"The file of artifact '{artifact_id}' is missing from {self.root}.", param="id")
        return row, path

    def read(self, artifact_id: str, *, key_id: str | None = None) -> bytes:
        return self.open_path(artifact_id, key_id=key_id)[1].read_bytes()

    def verify(self, artifact_id: str, *, key_id: str | None = None) -> bool:
        row, path = self.open_path(artifact_id, key_id=key_id)
        return hashlib.sha256(path.read_bytes()).hexdigest() == row["sha256"]

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
            self.path_for(sha).unlink(missing_ok=True)
        return rows

    def prune(self, now: float | None = None) -> tuple[int, int]:
        """Delete expired rows, then files that no row refers to. Returns (rows, files)."""
        now = now or time.time()
        with self.engine.begin() as conn:
            expired = list(conn.scalars(sa.select(artifacts.c.sha256).where(artifacts.c.expires_at < now)))
            rows = conn.execute(artifacts.delete().where(artifacts.c.expires_at < now)).rowcount
            still = set(conn.scalars(sa.select(artifacts.c.sha256).where(artifacts.c.sha256.in_(set(expired)))))
        files = 0
        for sha in set(expired) - still:
            path = self.path_for(sha)
            if path.is_file():
                path.unlink()
                files += 1
        return rows, files
