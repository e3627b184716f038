"""Where artifact bytes live: a local folder or an S3-compatible object store, addressed by sha256.

``BlobStore`` is the interface the artifact store writes and reads through: put bytes or a file under
their sha256, open a stream, read a byte range, exists, size, delete, list, and ``local_path`` for
callers that need a file on disk (ffmpeg, workflows). Two implementations:

- ``LocalBlobs``: the default, files at ``ROOT/<sha[:2]>/<sha>`` written atomically (temporary file
  in the same folder, fsync, rename); ``local_path`` is the file itself.
- ``S3Blobs``: objects at ``PREFIX<sha[:2]>/<sha>`` in a bucket, through boto3 (the ``zaowu[s3]``
  extra). Large files go up in multipart uploads, reads are streamed or ranged (``Range`` GET), and
  ``local_path`` downloads into a bounded local cache (least recently used files evicted). Objects
  are immutable (content-addressed), so a cached copy never goes stale. Credentials come from the
  standard AWS chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, ~/.aws, an
  instance role), never from zaowu's settings file.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..settings import Settings

log = logging.getLogger(__name__)

__all__ = ["artifact_blobs", "BlobStore", "LocalBlobs", "S3Blobs", "COPY_BLOCK", "MULTIPART_BYTES"]

COPY_BLOCK = 1 << 20  # bytes read at a time when a file is hashed, copied or streamed
MULTIPART_BYTES = 16 << 20  # files at least this large are uploaded in parts of this size (S3 multipart)
CACHE_FILL_FRACTION = 0.9  # the local cache of a remote store is trimmed to this share of its limit


def _shard(sha256: str) -> str:
    return f"{sha256[:2]}/{sha256}"


def _atomic_copy(write: Any, final: Path) -> None:
    """Write a file at ``final`` through ``write(fp)`` via a temporary in the same folder (fsync, rename)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=final.parent)
    try:
        with os.fdopen(fd, "wb") as fp:
            write(fp)
            fp.flush()
            os.fsync(fp.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, final)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _copy_from(path: str | os.PathLike[str]) -> Any:
    def write(dst: IO[bytes]) -> None:
        with open(path, "rb") as src:
            while block := src.read(COPY_BLOCK):
                dst.write(block)

    return write


class BlobStore:
    """Content-addressed bytes. ``remote``: reads leave the machine (``local_path`` downloads)."""

    remote = False
    where = ""  # a description for messages (a folder, s3://bucket/prefix)

    def check(self) -> None:
        """Raise RuntimeError when the store cannot be used (a folder always can)."""

    def put_bytes(self, sha256: str, data: bytes) -> None:
        raise NotImplementedError

    def put_file(self, sha256: str, path: str | os.PathLike[str], size: int, *, move: bool = False) -> None:
        """Store the file at ``path`` (``size`` bytes, hash ``sha256``); ``move``: it is the caller's to consume."""
        raise NotImplementedError

    def size(self, sha256: str) -> int | None:
        """The stored size, or None when absent."""
        raise NotImplementedError

    def exists(self, sha256: str) -> bool:
        return self.size(sha256) is not None

    def open(self, sha256: str) -> IO[bytes]:
        """A stream of the whole content (close it); FileNotFoundError when absent."""
        raise NotImplementedError

    def read(self, sha256: str) -> bytes:
        with self.open(sha256) as fp:
            return fp.read()

    def read_range(self, sha256: str, start: int, end: int) -> Iterator[bytes]:
        """Blocks of bytes ``start`` to ``end`` (both included). Opens at once (FileNotFoundError when absent,
        before any block), then reads as the iterator is consumed."""
        raise NotImplementedError

    def delete(self, sha256: str) -> bool:
        """Remove the content; True when something was removed."""
        raise NotImplementedError

    def list(self) -> Iterator[tuple[str, float]]:
        """(sha256, last modified as a UNIX time) of everything stored."""
        raise NotImplementedError

    def local_path(self, sha256: str) -> Path:
        """A file on this machine holding the content (for ffmpeg and the like; do not modify it)."""
        raise NotImplementedError

    def presigned_url(self, sha256: str, *, mime: str, disposition: str) -> str | None:
        """A time-limited URL a client can fetch the content from directly, or None (served by zaowu)."""
        return None


class LocalBlobs(BlobStore):
    """Files in a folder: ``ROOT/<sha[:2]>/<sha>``."""

    def __init__(self, root: Path):
        self.root = root
        self.where = str(root)

    def path_for(self, sha256: str) -> Path:
        return self.root / _shard(sha256)

    def size(self, sha256: str) -> int | None:
        path = self.path_for(sha256)
        return path.stat().st_size if path.is_file() else None

    def put_bytes(self, sha256: str, data: bytes) -> None:
        if self.size(sha256) != len(data):
            _atomic_copy(lambda fp: fp.write(data), self.path_for(sha256))

    def put_file(self, sha256: str, path: str | os.PathLike[str], size: int, *, move: bool = False) -> None:
        final = self.path_for(sha256)
        if self.size(sha256) == size:
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        if move:
            try:  # same file system: a rename, no copy
                os.chmod(path, 0o644)
                os.replace(path, final)
                return
            except OSError:
                pass
        _atomic_copy(_copy_from(path), final)

    def open(self, sha256: str) -> IO[bytes]:
        return open(self.path_for(sha256), "rb")

    def read_range(self, sha256: str, start: int, end: int) -> Iterator[bytes]:
        return self._blocks(self.open(sha256), start, end)

    @staticmethod
    def _blocks(fp: IO[bytes], start: int, end: int) -> Iterator[bytes]:
        with fp:
            fp.seek(start)
            left = end - start + 1
            while left > 0 and (block := fp.read(min(COPY_BLOCK, left))):
                left -= len(block)
                yield block

    def delete(self, sha256: str) -> bool:
        path = self.path_for(sha256)
        if not path.is_file():
            return False
        path.unlink(missing_ok=True)
        return True

    def list(self) -> Iterator[tuple[str, float]]:
        if not self.root.is_dir():
            return
        for shard in self.root.iterdir():
            if shard.is_dir() and len(shard.name) == 2:
                for path in shard.iterdir():
                    if path.name.startswith(shard.name) and not path.name.startswith("."):
                        yield path.name, path.stat().st_mtime

    def local_path(self, sha256: str) -> Path:
        path = self.path_for(sha256)
        if not path.is_file():
            raise FileNotFoundError(path)
        return path


class S3Blobs(BlobStore):
    """Objects in an S3-compatible bucket: ``PREFIX<sha[:2]>/<sha>``, with a bounded local cache for ``local_path``."""

    remote = True

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        cache_dir: Path,
        cache_bytes: int,
        presign_seconds: int | None = None,
    ):
        try:
            import boto3
            from boto3.s3.transfer import TransferConfig
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise RuntimeError("artifact_store = 's3' needs boto3: pip install 'zaowu[s3]'") from exc
        self.bucket = bucket
        self.prefix = prefix
        self.where = f"s3://{bucket}/{prefix}"
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)
        self.transfer = TransferConfig(multipart_threshold=MULTIPART_BYTES, multipart_chunksize=MULTIPART_BYTES)
        self.cache_dir = cache_dir
        self.cache_bytes = cache_bytes
        self.presign_seconds = presign_seconds

    def key(self, sha256: str) -> str:
        return self.prefix + _shard(sha256)

    def check(self) -> None:
        """The bucket exists and these credentials reach it (HEAD bucket); else a RuntimeError naming the
        setting to fix, so a server or worker stops at start instead of failing its first upload."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            why = {
                "404": "does not exist",
                "NoSuchBucket": "does not exist",
                "403": "is not readable with these credentials",
            }.get(code, f"answered {code or exc}")
            raise RuntimeError(
                f"The artifact bucket {self.where} {why}: create it or fix s3_bucket / the credentials."
            ) from None
        except BotoCoreError as exc:
            raise RuntimeError(
                f"The artifact bucket {self.where} cannot be reached ({exc}): check s3_endpoint_url."
            ) from None

    def _missing(self, exc: Exception) -> bool:
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
        return code in ("404", "NoSuchKey", "NotFound")

    def size(self, sha256: str) -> int | None:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except self.client.exceptions.ClientError as exc:
            if self._missing(exc):
                return None
            raise
        return int(head["ContentLength"])

    def put_bytes(self, sha256: str, data: bytes) -> None:
        if self.size(sha256) != len(data):
            self.client.put_object(Bucket=self.bucket, Key=self.key(sha256), Body=data)

    def put_file(self, sha256: str, path: str | os.PathLike[str], size: int, *, move: bool = False) -> None:
        if self.size(sha256) != size:  # multipart from MULTIPART_BYTES up
            self.client.upload_file(os.fspath(path), self.bucket, self.key(sha256), Config=self.transfer)
        if move:
            Path(path).unlink(missing_ok=True)

    def _get(self, sha256: str, **extra: Any) -> Any:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.key(sha256), **extra)["Body"]
        except self.client.exceptions.ClientError as exc:
            if self._missing(exc):
                raise FileNotFoundError(self.key(sha256)) from exc
            raise

    def open(self, sha256: str) -> IO[bytes]:
        body: IO[bytes] = self._get(sha256)
        return body

    def read_range(self, sha256: str, start: int, end: int) -> Iterator[bytes]:
        return self._chunks(self._get(sha256, Range=f"bytes={start}-{end}"))

    @staticmethod
    def _chunks(body: Any) -> Iterator[bytes]:
        try:
            yield from body.iter_chunks(COPY_BLOCK)
        finally:
            body.close()

    def delete(self, sha256: str) -> bool:
        (self.cache_dir / _shard(sha256)).unlink(missing_ok=True)
        if self.size(sha256) is None:
            return False
        self.client.delete_object(Bucket=self.bucket, Key=self.key(sha256))
        return True

    def list(self) -> Iterator[tuple[str, float]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            for obj in page.get("Contents", []):
                name = obj["Key"][len(self.prefix) :]
                if len(name) == 67 and name[2] == "/":  # <sha[:2]>/<sha>
                    yield name[3:], obj["LastModified"].timestamp()

    def local_path(self, sha256: str) -> Path:
        path = self.cache_dir / _shard(sha256)
        if path.is_file():
            os.utime(path)  # recently used: evicted last
            return path
        body = self._get(sha256)
        try:
            _atomic_copy(lambda fp: [fp.write(b) for b in body.iter_chunks(COPY_BLOCK)], path)
        finally:
            body.close()
        self._trim(keep=path)
        return path

    def _trim(self, keep: Path) -> None:
        """Evict least recently used cached files once the cache is over its limit (never ``keep``)."""
        files = [(p.stat().st_mtime, p.stat().st_size, p) for p in self.cache_dir.glob("??/*") if p.is_file()]
        total = sum(size for _, size, _ in files)
        if total <= self.cache_bytes:
            return
        for _, size, path in sorted(files):
            if total <= self.cache_bytes * CACHE_FILL_FRACTION:
                break
            if path != keep:
                path.unlink(missing_ok=True)
                total -= size
        log.info("artifact cache %s trimmed to %d bytes", self.cache_dir, total)

    def presigned_url(self, sha256: str, *, mime: str, disposition: str) -> str | None:
        if not self.presign_seconds:
            return None
        params = {
            "Bucket": self.bucket,
            "Key": self.key(sha256),
            "ResponseContentType": mime,
            "ResponseContentDisposition": disposition,
        }
        url: str = self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=self.presign_seconds)
        return url


def artifact_blobs(settings: Settings) -> BlobStore:
    """The store the settings name: the folder DATA_DIR/artifacts, or the S3 bucket (cache in DATA_DIR/artifact-cache)."""
    if settings.artifact_store != "s3":
        return LocalBlobs(settings.data_dir / "artifacts")
    assert settings.s3_bucket is not None  # checked by Settings
    return S3Blobs(
        settings.s3_bucket,
        prefix=settings.s3_prefix,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        cache_dir=settings.data_dir / "artifact-cache",
        cache_bytes=settings.artifact_cache_bytes,
        presign_seconds=settings.s3_presign_seconds if settings.s3_presign else None,
    )
