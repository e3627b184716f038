"""Artifacts on shared storage: the BlobStore contract held by the local folder and an S3-compatible bucket
(moto's server, started here on a free port), a real ``zaowu serve`` with ``artifact_store = "s3"`` generating
an image and serving it (whole, ranged, to its owner only, or by a 307 to a presigned URL), a video edit whose
input and output live in the bucket, and prune() deleting objects no artifact refers to."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import httpx
import pytest

from zaowu.settings import Settings
from zaowu.studio import artifacts as artifacts_module
from zaowu.studio.blobs import MULTIPART_BYTES, LocalBlobs, S3Blobs
from zaowu.studio.engine import Studio

from .conftest import Server, free_port
from .helpers import wait_jobs

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
TINY = {  # a two-scene storyboard given whole: no planner model needed
    "aspect": "9:16",
    "resolution": "360p",
    "fps": 24,
    "music": None,
    "scenes": [{"narration": "", "text": "One", "duration": 1.0}, {"narration": "", "text": "Two", "duration": 1.0}],
}
SPEC = {"kind": "poster", "headline": "春季新品上市", "subline": "全场八折", "brand": "山间茶舍", "language": "zh"}


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3-compatible server on a free port, with test credentials in this process's environment."""
    saved = {k: os.environ.get(k) for k in AWS_ENV}
    os.environ.update(AWS_ENV)
    port = free_port()
    srv = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    srv.start()
    yield f"http://127.0.0.1:{port}"
    srv.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def bucket(s3_endpoint):
    """A fresh bucket (each test its own) and a client to look into it."""
    name = f"zaowu-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=name)
    return name, client


def _keys(client, name: str) -> list[str]:
    return [o["Key"] for o in client.list_objects_v2(Bucket=name).get("Contents", [])]


def _s3_blobs(s3_endpoint, bucket, tmp_path, cache_bytes=1 << 30):
    return S3Blobs(
        bucket[0],
        prefix="art/",
        endpoint_url=s3_endpoint,
        region="us-east-1",
        cache_dir=tmp_path / "cache",
        cache_bytes=cache_bytes,
    )


@pytest.fixture(params=["local", "s3"])
def blobs(request, tmp_path):
    if request.param == "local":
        return LocalBlobs(tmp_path / "artifacts")
    return _s3_blobs(request.getfixturevalue("s3_endpoint"), request.getfixturevalue("bucket"), tmp_path)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_put_get_range_delete_round_trip(blobs, tmp_path):
    data = os.urandom(300_000)
    sha = _sha(data)
    assert not blobs.exists(sha) and blobs.size(sha) is None
    blobs.put_bytes(sha, data)
    blobs.put_bytes(sha, data)  # the same content again: still one copy
    assert blobs.exists(sha) and blobs.size(sha) == len(data)
    assert blobs.read(sha) == data
    with blobs.open(sha) as fp:
        assert fp.read(10) == data[:10]
    assert b"".join(blobs.read_range(sha, 1000, 1999)) == data[1000:2000]
    assert b"".join(blobs.read_range(sha, len(data) - 5, len(data) - 1)) == data[-5:]
    assert [s for s, _ in blobs.list()] == [sha]
    assert blobs.local_path(sha).read_bytes() == data
    source = tmp_path / "clip.bin"
    source.write_bytes(data[:1000])
    blobs.put_file(_sha(data[:1000]), source, 1000, move=True)
    assert not source.exists() and blobs.read(_sha(data[:1000])) == data[:1000]
    assert blobs.delete(sha) and not blobs.exists(sha) and not blobs.delete(sha)
    with pytest.raises(FileNotFoundError):
        blobs.read(sha)
    with pytest.raises(FileNotFoundError):
        blobs.local_path(sha)


def test_large_files_go_up_in_parts_and_come_back_whole(s3_endpoint, bucket, tmp_path):
    store = _s3_blobs(s3_endpoint, bucket, tmp_path)
    big = tmp_path / "big.bin"
    data = os.urandom(MULTIPART_BYTES + 4096)
    big.write_bytes(data)
    sha = _sha(data)
    store.put_file(sha, big, len(data))
    head = bucket[1].head_object(Bucket=bucket[0], Key=f"art/{sha[:2]}/{sha}")
    assert head["ETag"].strip('"').endswith("-2")  # a multipart upload of two parts
    digest = hashlib.sha256()
    for block in store.read_range(sha, 0, len(data) - 1):  # streamed in blocks, never whole in one read
        assert len(block) <= 1 << 20
        digest.update(block)
    assert digest.hexdigest() == sha and store.local_path(sha).stat().st_size == len(data)


def test_the_local_cache_stays_within_its_limit(s3_endpoint, bucket, tmp_path):
    store = _s3_blobs(s3_endpoint, bucket, tmp_path, cache_bytes=250_000)
    shas = []
    for _ in range(4):
        data = os.urandom(100_000)
        shas.append(_sha(data))
        store.put_bytes(shas[-1], data)
    for sha in shas:
        assert store.local_path(sha).stat().st_size == 100_000  # the file just fetched is always there
    cached = list((tmp_path / "cache").glob("??/*"))
    assert sum(p.stat().st_size for p in cached) <= 250_000
    assert (tmp_path / "cache" / shas[-1][:2] / shas[-1]) in cached
    assert not (tmp_path / "cache" / shas[0][:2] / shas[0]).exists()  # least recently used went first


def test_an_s3_store_needs_a_bucket(tmp_path):
    with pytest.raises(ValueError, match="s3_bucket"):
        Settings(data_dir=tmp_path, artifact_store="s3")


# ------------------------------------------------------------------------------------ the real server


def _s3_env(s3_endpoint: str, name: str, **extra: str) -> dict[str, str]:
    return {
        **AWS_ENV,
        "ZAOWU_ARTIFACT_STORE": "s3",
        "ZAOWU_S3_BUCKET": name,
        "ZAOWU_S3_ENDPOINT_URL": s3_endpoint,
        "ZAOWU_S3_REGION": "us-east-1",
        **extra,
    }


def _image(base: str, key: str | None = None) -> tuple[str, bytes]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body = {"prompt": "tea shop poster", "spec": SPEC, "size": "512x512", "seed": 2, "response_format": "b64_json"}
    r = httpx.post(f"{base}/v1/images/generations", json=body, headers=headers, timeout=300)
    assert r.status_code == 200, r.text
    import base64

    item = r.json()["data"][0]
    return item["artifact_id"], base64.b64decode(item["b64_json"])


def test_server_on_s3_serves_whole_ranged_and_only_to_the_owner(s3_endpoint, bucket, tmp_path, models_dir):
    name, client = bucket
    srv = Server(tmp_path / "srv", models_dir, _s3_env(s3_endpoint, name, ZAOWU_AUTH="required"))
    try:
        with Studio(Settings(data_dir=srv.data_dir)) as studio:  # keys live in the database, not the bucket
            painter = studio.keys.create("painter", ["image", "video"])[0]
            neighbour = studio.keys.create("neighbour", ["image"])[0]
        art_id, png = _image(srv.base_url, painter)
        sha = _sha(png)
        assert f"artifacts/{sha[:2]}/{sha}" in _keys(client, name)  # in the bucket, not on the server's disk
        assert not (srv.data_dir / "artifacts" / sha[:2] / sha).exists()
        auth = {"Authorization": f"Bearer {painter}"}
        url = f"{srv.base_url}/v1/artifacts/{art_id}"
        full = httpx.get(url, headers=auth)
        assert full.status_code == 200 and full.content == png
        assert full.headers["content-type"] == "image/png" and full.headers["etag"] == f'"{sha}"'
        assert (
            full.headers["x-content-type-options"] == "nosniff" and "sandbox" in full.headers["content-security-policy"]
        )
        assert full.headers["accept-ranges"] == "bytes"
        part = httpx.get(url, headers={**auth, "Range": "bytes=100-1099"})
        assert part.status_code == 206 and part.content == png[100:1100]
        assert part.headers["content-range"] == f"bytes 100-1099/{len(png)}"
        tail = httpx.get(url, headers={**auth, "Range": "bytes=-16"})
        assert tail.status_code == 206 and tail.content == png[-16:]
        past = httpx.get(url, headers={**auth, "Range": f"bytes={len(png)}-"})
        assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{len(png)}"
        other = httpx.get(url, headers={"Authorization": f"Bearer {neighbour}"})
        assert other.status_code == 404 and other.json()["error"]["param"] == "id"
        assert httpx.get(f"{srv.base_url}/v1/artifacts/art_nope", headers=auth).status_code == 404
        head = httpx.head(url, headers=auth)  # the headers alone, nothing read from the bucket
        assert head.status_code == 200 and head.content == b"" and head.headers["content-length"] == str(len(png))
        assert head.headers["etag"] == f'"{sha}"' and head.headers["content-type"] == "image/png"
        assert httpx.head(url, headers={"Authorization": f"Bearer {neighbour}"}).status_code == 404
        same = httpx.get(url, headers={**auth, "If-None-Match": f'"{sha}"'})
        assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == f'"{sha}"'
        assert httpx.get(url, headers={**auth, "If-None-Match": '"other"'}).content == png
        video = httpx.post(f"{srv.base_url}/v1/videos", json={"prompt": "x", "storyboard": TINY}, headers=auth)
        assert video.status_code == 200, video.text
        assert wait_jobs(srv.base_url, [video.json()["id"]], headers=auth)[0]["state"] == "succeeded"
        mp4 = httpx.get(f"{srv.base_url}/v1/videos/{video.json()['id']}/content", headers=auth)
        assert mp4.status_code == 200 and mp4.headers["content-type"] == "video/mp4" and mp4.content[4:8] == b"ftyp"
        seek = httpx.get(
            f"{srv.base_url}/v1/videos/{video.json()['id']}/content", headers={**auth, "Range": "bytes=4-7"}
        )
        assert seek.status_code == 206 and seek.content == b"ftyp"
        assert not list((srv.data_dir / "artifact-cache").glob("??/*"))  # relayed, never copied to the node
        client.delete_object(Bucket=name, Key=f"artifacts/{sha[:2]}/{sha}")  # lost from the bucket behind our back
        gone = httpx.get(url, headers=auth)
        assert gone.status_code == 404 and gone.json()["error"]["param"] == "id" and "missing" in gone.text
        assert httpx.get(f"{srv.base_url}/health").status_code == 200
    finally:
        srv.stop()


def test_a_missing_bucket_stops_the_server_and_a_worker_at_start(s3_endpoint, tmp_path, models_dir):
    """A bucket that does not exist: ``zaowu serve`` and ``zaowu worker`` exit at once with a message naming
    the bucket and the setting, instead of failing the first upload."""
    env = _s3_env(s3_endpoint, "no-such-bucket")
    with pytest.raises(RuntimeError, match=r"s3://no-such-bucket/.* does not exist"):
        Server(tmp_path / "srv", models_dir, env)
    import os
    import subprocess
    import sys

    worker = subprocess.run(
        [sys.executable, "-m", "zaowu.cli.main", "worker"],
        env={**os.environ, **env, "ZAOWU_DATA_DIR": str(tmp_path / "w"), "ZAOWU_CONFIG": str(tmp_path / "none.toml")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode != 0 and "no-such-bucket" in worker.stderr and "s3_bucket" in worker.stderr


def test_server_on_s3_redirects_to_a_presigned_url(s3_endpoint, bucket, tmp_path, models_dir):
    name, _ = bucket
    srv = Server(tmp_path / "srv", models_dir, _s3_env(s3_endpoint, name, ZAOWU_S3_PRESIGN="true"))
    try:
        art_id, png = _image(srv.base_url)
        url = f"{srv.base_url}/v1/artifacts/{art_id}"
        first = httpx.get(url)
        assert first.status_code == 307 and first.headers["location"].startswith(f"{s3_endpoint}/{name}/artifacts/")
        assert "Expires=" in first.headers["location"] or "X-Amz-Expires=" in first.headers["location"]
        followed = httpx.get(url, follow_redirects=True)
        assert followed.status_code == 200 and followed.content == png
        assert followed.headers["content-type"] == "image/png"  # the URL carries the type zaowu would send
        assert followed.headers["content-disposition"].startswith("inline")
        assert httpx.get(f"{srv.base_url}/v1/artifacts/art_nope").status_code == 404  # checked before redirecting
    finally:
        srv.stop()


# ------------------------------------------------------------------------------------ callers and prune


def _s3_settings(tmp_path: Path, s3_endpoint: str, name: str, **extra) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        models_dir=tmp_path / "no-models",
        artifact_store="s3",
        s3_bucket=name,
        s3_endpoint_url=s3_endpoint,
        s3_region="us-east-1",
        **extra,
    )


def test_a_video_edit_reads_its_input_from_the_bucket_and_stores_its_output_there(s3_endpoint, bucket, tmp_path):
    pytest.importorskip("av")
    pytest.importorskip("cv2")
    from .video_scenes import make_scene

    name, client = bucket
    clip = make_scene(tmp_path / "tone.mp4", seconds=1.0, fps=10, width=160, height=120).path
    with Studio(_s3_settings(tmp_path, s3_endpoint, name)) as studio:
        source = studio.artifacts.put_file(clip, "video/mp4", upload=True, name="tone.mp4")
        assert not (tmp_path / "data" / "artifact-cache").exists()  # nothing local until a tool needs a path
        result = studio.edit_video([source["id"]], {"operations": [{"op": "style", "prompt": "黑白复古"}]})
        row = studio.artifacts.get(result.artifact_id)
        assert row["mime"] == "video/mp4" and row["meta"]["video_edit"]
        assert f"artifacts/{row['sha256'][:2]}/{row['sha256']}" in _keys(client, name)
        assert studio.artifacts.verify(result.artifact_id)
        assert (tmp_path / "data" / "artifact-cache" / source["sha256"][:2] / source["sha256"]).is_file()
        assert not (tmp_path / "data" / "artifacts" / row["sha256"][:2] / row["sha256"]).exists()


@pytest.mark.parametrize("where", ["local", "s3"])
def test_prune_deletes_stored_files_no_artifact_refers_to(where, tmp_path, monkeypatch, request):
    if where == "s3":
        name, client = request.getfixturevalue("bucket")
        settings = _s3_settings(tmp_path, request.getfixturevalue("s3_endpoint"), name, artifact_retention_days=1)

        def stored() -> list[str]:
            return sorted(k.rsplit("/", 1)[1] for k in _keys(client, name))
    else:
        settings = Settings(data_dir=tmp_path / "data", models_dir=tmp_path / "no-models", artifact_retention_days=1)

        def stored() -> list[str]:
            return sorted(p.name for p in (tmp_path / "data" / "artifacts").glob("??/*"))

    with Studio(settings) as studio:
        old = studio.artifacts.put(b"old", "text/plain", upload=True)
        studio.artifacts.put(b"also old", "text/plain", upload=True)
        orphan = b"written before a crash, no row"
        studio.artifacts.blobs.put_bytes(_sha(orphan), orphan)
        assert studio.artifacts.prune() == (0, 0)  # nothing expired; a fresh orphan may be a put in flight
        assert len(stored()) == 3
        rows, files = studio.artifacts.prune(now=studio.artifacts.get(old["id"])["expires_at"] + 1)
        assert (rows, files) == (2, 2)
        assert stored() == [_sha(orphan)]
        monkeypatch.setattr(artifacts_module, "ORPHAN_GRACE_SECONDS", -60)  # the orphan is now old enough
        again = studio.artifacts.put(b"again", "text/plain", upload=True)
        assert studio.artifacts.prune() == (0, 1)
        assert stored() == [again["sha256"]]
        assert studio.artifacts.read(again["id"]) == b"again"
