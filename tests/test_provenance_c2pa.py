"""C2PA content credentials (studio.provenance.c2pa): the set-up makes a root CA + signer chain once and reuses it,
signed files of each format read back trusted with the generation's facts, one flipped byte makes them invalid,
an unsigned file reads as missing, and other signers are reported valid but not ours."""

from __future__ import annotations

import datetime as dt
import io
import stat
import wave

import numpy as np
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image

from zaowu.errors import InvalidRequest
from zaowu.settings import Settings
from zaowu.studio.provenance import c2pa

INFO = c2pa.ManifestInfo(generation_id="gen_01JDX4Y8T0C2PA", model_id="design-engine", title="poster.png")


def picture(fmt: str) -> bytes:
    pixels = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, fmt)
    return buf.getvalue()


def wav() -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes((np.sin(np.arange(8000) / 5) * 8000).astype("<i2").tobytes())
    return buf.getvalue()


def media(fmt: str, codec: str, kind: str) -> bytes:
    """A short real MP4 (video) or MP3 (audio) written with PyAV."""
    av = pytest.importorskip("av")
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as container:
        if kind == "video":
            stream = container.add_stream(codec, rate=10)
            stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
            frames = [
                av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 40, np.uint8), format="rgb24") for i in range(5)
            ]
        else:
            stream = container.add_stream(codec, rate=16000, layout="mono")
            tone = (np.sin(np.arange(16000) / 7) * 0.3).astype(np.float32)[None, :]
            frames = [av.AudioFrame.from_ndarray(tone, format="flt", layout="mono")]
            frames[0].sample_rate = 16000
        for frame in frames:
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return buf.getvalue()


FILES = {
    "image/png": lambda: picture("PNG"),
    "image/jpeg": lambda: picture("JPEG"),
    "image/webp": lambda: picture("WEBP"),
    "audio/wav": wav,
    "video/mp4": lambda: media("mp4", "mpeg4", "video"),
    "audio/mpeg": lambda: media("mp3", "libmp3lame", "audio"),
}


@pytest.fixture(scope="module")
def creds(tmp_path_factory) -> c2pa.Credentials:
    return c2pa.ensure_local_chain(tmp_path_factory.mktemp("data") / "c2pa")


def test_setup_creates_a_ca_chain_once_and_reuses_it(tmp_path):
    directory = tmp_path / "provenance" / "c2pa"
    first = c2pa.ensure_local_chain(directory)
    mtimes = {p.name: p.stat().st_mtime_ns for p in directory.iterdir()}
    second = c2pa.ensure_local_chain(directory)
    assert second == first
    assert {p.name: p.stat().st_mtime_ns for p in directory.iterdir()} == mtimes  # nothing rewritten
    for key in ("signer.key", "root.key"):
        assert stat.S_IMODE((directory / key).stat().st_mode) == 0o600
    leaf, root = x509.load_pem_x509_certificates(first.chain_pem)
    assert root.public_bytes(serialization.Encoding.PEM) == first.local_root_pem
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert leaf.issuer == root.subject and leaf.issuer != leaf.subject  # not a bare self-signed leaf
    assert leaf.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    leaf.verify_directly_issued_by(root)


def test_settings_place_the_chain_in_the_data_dir(tmp_path):
    settings = Settings(data_dir=tmp_path)
    creds = c2pa.credentials(settings)
    assert (tmp_path / "provenance" / "c2pa" / "signer.pem").read_bytes() == creds.chain_pem
    assert c2pa.credentials(settings) is creds


def test_a_signer_due_for_renewal_is_reissued_by_the_same_root(tmp_path, monkeypatch):
    directory = tmp_path / "c2pa"
    first = c2pa.ensure_local_chain(directory)
    monkeypatch.setattr(c2pa, "RENEW_DAYS", c2pa.LEAF_DAYS + 1)
    renewed = c2pa.ensure_local_chain(directory)
    assert renewed.local_root_pem == first.local_root_pem
    assert renewed.chain_pem != first.chain_pem and renewed.key_pem != first.key_pem
    monkeypatch.undo()
    signed = c2pa.sign(picture("PNG"), "image/png", INFO, credentials=renewed)
    assert c2pa.read(signed, "image/png", credentials=renewed).state == "trusted"


@pytest.mark.parametrize("mime", list(FILES))
def test_sign_then_read_round_trip(creds, mime):
    original = FILES[mime]()
    signed = c2pa.sign(original, mime, INFO, credentials=creds)
    assert signed != original
    report = c2pa.read(signed, mime, credentials=creds)
    assert report.state == "trusted", report.errors
    assert report.trust == "zaowu-local-root"
    assert report.valid and report.present and not report.errors
    assert report.generation_id == INFO.generation_id and report.model_id == INFO.model_id
    assert report.signer["common_name"] == "zaowu content signer"
    (action,) = report.actions
    assert action["action"] == "c2pa.created"
    assert action["digitalSourceType"] == c2pa.TRAINED_ALGORITHMIC_MEDIA
    assert report.to_dict()["valid"] is True


@pytest.mark.parametrize("mime", list(FILES))
def test_an_unsigned_file_reads_as_missing(creds, mime):
    report = c2pa.read(FILES[mime](), mime, credentials=creds)
    assert report.state == "missing" and not report.present and not report.valid


@pytest.mark.parametrize(("mime", "marker", "skip"), [("image/png", b"IDAT", 8), ("image/jpeg", b"\xff\xda", 20)])
def test_one_flipped_byte_in_the_picture_is_invalid(creds, mime, marker, skip):
    signed = bytearray(c2pa.sign(FILES[mime](), mime, INFO, credentials=creds))
    at = signed.rindex(marker) + skip  # inside the compressed pixels, outside the manifest
    signed[at] ^= 0x01
    report = c2pa.read(bytes(signed), mime, credentials=creds)
    assert report.state == "invalid" and not report.valid
    assert any("mismatch" in error for error in report.errors), report.errors


def test_a_flipped_byte_in_wav_samples_is_invalid(creds):
    signed = bytearray(c2pa.sign(wav(), "audio/wav", INFO, credentials=creds))
    signed[signed.index(b"data") + 100] ^= 0x01
    assert c2pa.read(bytes(signed), "audio/wav", credentials=creds).state == "invalid"


def test_another_producers_chain_is_valid_but_not_ours(tmp_path, creds):
    """A configured chain signs; our reader calls it valid and untrusted until its root is configured as an anchor."""
    theirs = c2pa.ensure_local_chain(tmp_path / "theirs")
    (tmp_path / "theirs-root.pem").write_bytes(theirs.local_root_pem or b"")
    settings = Settings(
        data_dir=tmp_path / "data",
        c2pa_cert=tmp_path / "theirs" / "signer.pem",
        c2pa_key=tmp_path / "theirs" / "signer.key",
    )
    signed = c2pa.sign(picture("PNG"), "image/png", INFO, credentials=c2pa.credentials(settings))
    report = c2pa.read(signed, "image/png", credentials=creds)
    assert report.state == "valid" and report.trust is None and not report.errors
    anchored = Settings(data_dir=tmp_path / "data", c2pa_trust_anchors=tmp_path / "theirs-root.pem")
    report = c2pa.read(signed, "image/png", credentials=c2pa.credentials(anchored))
    assert report.state == "trusted" and report.trust == "configured-anchor"


def test_a_bare_self_signed_certificate_is_refused_with_the_setting_named():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bare")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .sign(key, hashes.SHA256())
    )
    bare = c2pa.Credentials(
        cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        "es256",
        None,
    )
    with pytest.raises(InvalidRequest, match="c2pa_cert") as caught:
        c2pa.sign(picture("PNG"), "image/png", INFO, credentials=bare)
    assert caught.value.param == "c2pa_cert"


@pytest.mark.parametrize("mime", ["text/markdown", "application/pdf"])
def test_formats_c2pa_cannot_embed_in_are_refused(creds, mime):
    with pytest.raises(c2pa.UnsupportedFormat, match=mime):
        c2pa.sign(picture("PDF") if mime == "application/pdf" else b"# hello", mime, INFO, credentials=creds)


def test_garbage_declared_as_png_is_an_invalid_request(creds):
    with pytest.raises(InvalidRequest, match="image/png"):
        c2pa.sign(b"not a png at all", "image/png", INFO, credentials=creds)


@pytest.mark.parametrize(
    ("data", "mime", "state"),
    [(b"hello", "text/plain", "missing"), (b"\x89PNG\r\n\x1a\n" + bytes(30), "image/png", "invalid")],
    ids=["text", "broken-png"],
)
def test_read_of_files_c2pa_cannot_parse(creds, data, mime, state):
    """verify gets a report, never an exception: a type without C2PA is missing, broken bytes are invalid."""
    report = c2pa.read(data, mime, credentials=creds)
    assert report.state == state and report.errors and not report.valid


def test_manifest_info_may_be_a_mapping(creds):
    fields = {"generation_id": "gen_map", "model_id": "tts-1", "parameters": {"voice": "joe"}}
    signed = c2pa.sign(wav(), "audio/wav", fields, credentials=creds)
    report = c2pa.read(signed, "audio/wav", credentials=creds)
    assert (report.generation_id, report.model_id) == ("gen_map", "tts-1")
    assert report.actions[0]["parameters"]["voice"] == "joe"


def test_a_chain_folder_without_a_certificate_is_named_in_the_error(tmp_path):
    directory = tmp_path / "c2pa"
    directory.mkdir()
    (directory / "notes.txt").write_text("someone else's folder")
    with pytest.raises(InvalidRequest, match="signer.pem"):
        c2pa.ensure_local_chain(directory)
    assert [p.name for p in tmp_path.iterdir()] == ["c2pa"]  # the attempt left nothing behind
