"""C2PA content credentials: zaowu's signing chain, signing a file's bytes, and reading a file's manifest back.

Public API (c2pa-python, offline: no timestamp authority, no OCSP, no remote manifests):

    ManifestInfo(generation_id: str, model_id: str, title: str | None = None, producer: str = "zaowu",
                 parameters: dict[str, str] = {})
    sign(data: bytes, mime: str, manifest_info: ManifestInfo | Mapping[str, Any], *,
         credentials: Credentials | None = None) -> bytes
        # the same file with a signed manifest embedded: action c2pa.created, digitalSourceType
        # trainedAlgorithmicMedia, the model id and generation id. Raises UnsupportedFormat for a MIME type
        # c2pa cannot embed into (see SIGNABLE), InvalidRequest when the bytes are not a valid file of that type.
    read(data: bytes, mime: str, *, credentials: Credentials | None = None) -> C2paReport
        # (credentials: pass credentials(studio.settings); the default is Settings() from the environment)
        # .state: "missing" (no manifest, or a type c2pa cannot hold one in) | "invalid" (a manifest that fails
        #         validation, or bytes c2pa cannot parse) | "valid" (signature checks out, signer unknown) | "trusted"
        # .trust: "zaowu-local-root" | "configured-anchor" | None; .signer, .actions, .ingredients, .errors ...
        # .to_dict() gives JSON-ready fields for `zaowu verify` and the API.
    credentials(settings: Settings | None = None) -> Credentials
        # the chain that signs: settings.c2pa_cert/c2pa_key when set, else the local chain, created once in
        # DATA_DIR/provenance/c2pa (root CA + leaf signer; the keys are written with mode 0600) and reused.
    ensure_local_chain(directory: Path) -> Credentials   # the set-up step itself

A bare self-signed certificate is rejected by C2PA validators, so the set-up makes two: a root CA (basic
constraints CA, keyCertSign) and a leaf signer it issues (digitalSignature, EKU emailProtection + documentSigning,
not a CA). Readers trust the local root (and settings.c2pa_trust_anchors) explicitly; anyone else sees a valid
signature from an unknown signer, which is what a self-hosted producer is.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zaowu.errors import InvalidRequest

if TYPE_CHECKING:
    from zaowu.settings import Settings

__all__ = [
    "SIGNABLE",
    "TRAINED_ALGORITHMIC_MEDIA",
    "C2paReport",
    "Credentials",
    "ManifestInfo",
    "UnsupportedFormat",
    "credentials",
    "ensure_local_chain",
    "read",
    "sign",
    "sign_file",
]

log = logging.getLogger(__name__)

TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
# MIME types zaowu signs (each embeds the manifest in the file itself). c2pa-python 0.38 reads PDF but cannot sign
# it, and its ZIP reader lacks deflate, so DOCX/XLSX/PPTX cannot be signed either: those keep their implicit label
# only. read() accepts whatever c2pa-python reads.
SIGNABLE = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/gif",
        "image/svg+xml",
        "video/mp4",
        "audio/mp4",
        "audio/wav",
        "audio/x-wav",
        "audio/mpeg",
        "audio/flac",
    }
)
LOCAL_CHAIN_DIR = Path("provenance") / "c2pa"  # under the data dir
ROOT_DAYS = 3650  # validity of the local root CA
LEAF_DAYS = 730  # validity of the local signer; re-issued from the root when RENEW_DAYS or less are left
RENEW_DAYS = 30
KEY_MODE = 0o600
THUMBNAIL = False  # a claim thumbnail costs ~10 ms and ~30 KB per image; the asset is its own picture
_CERT, _KEY, _ROOT, _ROOT_KEY = "signer.pem", "signer.key", "root.pem", "root.key"
_EKU_DOCUMENT_SIGNING = "1.3.6.1.5.5.7.3.36"
_UNTRUSTED_CODES = frozenset({"signingCredential.untrusted"})


class UnsupportedFormat(InvalidRequest):
    """c2pa cannot embed a manifest in this MIME type (the caller skips C2PA for it)."""


@dataclass(frozen=True)
class Credentials:
    """A signing chain: PEM certificates (signer first), its PEM private key, and the roots readers trust."""

    chain_pem: bytes
    key_pem: bytes
    alg: str  # c2pa signing algorithm name: es256, es384, ps256, ed25519
    local_root_pem: bytes | None  # zaowu's own root (trusted as "zaowu-local-root")
    extra_anchors_pem: bytes | None = None  # settings.c2pa_trust_anchors (trusted as "configured-anchor")


@dataclass
class ManifestInfo:
    """What the manifest says about the output."""

    generation_id: str
    model_id: str
    title: str | None = None
    producer: str = "zaowu"
    parameters: dict[str, str] = field(default_factory=dict)


@dataclass
class C2paReport:
    """What read() found: state is "missing", "invalid", "valid" or "trusted"."""

    state: str
    trust: str | None = None
    signer: dict[str, str] = field(default_factory=dict)
    claim_generator: str | None = None
    actions: list[dict[str, Any]] = field(default_factory=list)
    ingredients: list[dict[str, Any]] = field(default_factory=list)
    generation_id: str | None = None
    model_id: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def present(self) -> bool:
        return self.state != "missing"

    @property
    def valid(self) -> bool:
        return self.state in ("valid", "trusted")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "present": self.present, "valid": self.valid}


# ---- the signing chain ----------------------------------------------------------------------------------------


def _name(common_name: str) -> Any:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "zaowu"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    )


def _key_usage(*, sign: bool, ca: bool) -> Any:
    from cryptography import x509

    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _make_root() -> tuple[Any, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("zaowu local root CA"))
        .issuer_name(_name("zaowu local root CA"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=ROOT_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(sign=False, ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _make_leaf(root: Any, root_key: Any) -> tuple[Any, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    eku = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, ObjectIdentifier(_EKU_DOCUMENT_SIGNING)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("zaowu content signer"))
        .issuer_name(root.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(min(now + dt.timedelta(days=LEAF_DAYS), root.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(sign=True, ca=False), critical=True)
        .add_extension(eku, critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    return cert, key


def _pem(obj: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    if hasattr(obj, "public_bytes") and not hasattr(obj, "private_bytes"):
        return bytes(obj.public_bytes(serialization.Encoding.PEM))
    return bytes(
        obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


def _write(path: Path, data: bytes, mode: int = 0o644) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, mode)  # the umask may have taken bits off; keys must be exactly 0600


def _write_leaf(directory: Path, root: Any, root_key: Any) -> None:
    leaf, leaf_key = _make_leaf(root, root_key)
    _write(directory / _KEY, _pem(leaf_key), KEY_MODE)
    _write(directory / _CERT, _pem(leaf) + _pem(root))


def _create_chain(directory: Path) -> None:
    """Create root + leaf in a private temporary directory, then move it into place in one rename, so two
    processes setting up at once never mix one's key with the other's certificate."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".c2pa-", dir=directory.parent))  # mode 0700
    try:
        root, root_key = _make_root()
        _write(tmp / _ROOT_KEY, _pem(root_key), KEY_MODE)
        _write(tmp / _ROOT, _pem(root))
        _write_leaf(tmp, root, root_key)
        try:
            tmp.rename(directory)
            log.info("c2pa: created a local signing chain in %s", directory)
        except OSError:  # another process won the race: use its chain
            shutil.rmtree(tmp, ignore_errors=True)
            if not (directory / _CERT).is_file():
                raise InvalidRequest(
                    f"c2pa: {directory} exists but holds no {_CERT}; move it away so zaowu can create its chain "
                    "there, or set c2pa_cert and c2pa_key",
                    param="c2pa_cert",
                ) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _renew_leaf_if_due(directory: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    leaf = x509.load_pem_x509_certificate((directory / _CERT).read_bytes())
    if leaf.not_valid_after_utc - dt.datetime.now(dt.UTC) > dt.timedelta(days=RENEW_DAYS):
        return
    root = x509.load_pem_x509_certificate((directory / _ROOT).read_bytes())
    root_key = serialization.load_pem_private_key((directory / _ROOT_KEY).read_bytes(), password=None)
    _write_leaf(directory, root, root_key)
    log.info("c2pa: renewed the local signer certificate in %s", directory)


def ensure_local_chain(directory: Path) -> Credentials:
    """zaowu's own chain in `directory`: created on first use, reused after (the leaf is renewed near expiry)."""
    if not (directory / _CERT).is_file():
        _create_chain(directory)
    _renew_leaf_if_due(directory)
    return Credentials(
        chain_pem=(directory / _CERT).read_bytes(),
        key_pem=(directory / _KEY).read_bytes(),
        alg="es256",
        local_root_pem=(directory / _ROOT).read_bytes(),
    )


def _alg_for(key_pem: bytes) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    key = serialization.load_pem_private_key(key_pem, password=None)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}.get(key.curve.name, "es256")
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(key, rsa.RSAPrivateKey):
        return "ps256"
    raise InvalidRequest("c2pa_key: use an EC (P-256/384/521), Ed25519 or RSA private key", param="c2pa_key")


def _configured(settings: Settings, local: Credentials) -> Credentials:
    if settings.c2pa_cert is None or settings.c2pa_key is None:
        raise InvalidRequest("set both c2pa_cert and c2pa_key, or neither", param="c2pa_cert")
    try:
        chain, key = settings.c2pa_cert.read_bytes(), settings.c2pa_key.read_bytes()
    except OSError as exc:
        raise InvalidRequest(f"c2pa_cert/c2pa_key: cannot read ({exc})", param="c2pa_cert") from exc
    return Credentials(chain, key, _alg_for(key), local.local_root_pem)


_cache: dict[tuple[str, ...], Credentials] = {}
_cache_lock = threading.Lock()


def credentials(settings: Settings | None = None) -> Credentials:
    """The chain that signs for these settings (the local one unless c2pa_cert/c2pa_key are set); cached."""
    if settings is None:
        from zaowu.settings import Settings

        settings = Settings()
    key = tuple(str(p) for p in (settings.data_dir, settings.c2pa_cert, settings.c2pa_key, settings.c2pa_trust_anchors))
    with _cache_lock:
        if key not in _cache:
            local = ensure_local_chain(settings.data_dir / LOCAL_CHAIN_DIR)
            creds = local if settings.c2pa_cert is None and settings.c2pa_key is None else _configured(settings, local)
            if settings.c2pa_trust_anchors is not None:
                creds = Credentials(**{**asdict(creds), "extra_anchors_pem": settings.c2pa_trust_anchors.read_bytes()})
            _cache[key] = creds
        return _cache[key]


# ---- signing -----------------------------------------------------------------------------------------------------


def _context(anchors: bytes | None) -> Any:
    import c2pa

    config: dict[str, Any] = {
        "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False, "verify_after_sign": False},
        "builder": {"thumbnail": {"enabled": THUMBNAIL}},
    }
    if anchors:
        config["verify"]["verify_trust"] = True
        config["trust"] = {"trust_anchors": anchors.decode()}
    else:
        config["verify"]["verify_trust"] = False
    return c2pa.Context.from_dict(config)


def _manifest(info: ManifestInfo, mime: str) -> dict[str, Any]:
    from zaowu import __version__

    parameters = {**info.parameters, "model_id": info.model_id, "generation_id": info.generation_id}
    action = {
        "action": "c2pa.created",
        "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
        "softwareAgent": {"name": info.producer, "version": __version__},
        "parameters": parameters,
    }
    return {
        "claim_generator_info": [{"name": "zaowu", "version": __version__}],
        "title": info.title or f"{info.generation_id}",
        "format": mime,
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [action]}}],
    }


def sign(
    data: bytes,
    mime: str,
    manifest_info: ManifestInfo | Mapping[str, Any],
    *,
    credentials: Credentials | None = None,
) -> bytes:
    """`data` (a whole file of type `mime`) with a signed C2PA manifest embedded; the last labelling step.

    `manifest_info` may be a ManifestInfo or a mapping of its fields. Pass `credentials=credentials(settings)`
    with the Studio's settings; without it the chain comes from Settings() read from the environment."""
    out = io.BytesIO()
    _sign_stream(io.BytesIO(data), out, mime, manifest_info, credentials)
    return out.getvalue()


def sign_file(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    mime: str,
    manifest_info: ManifestInfo | Mapping[str, Any],
    *,
    credentials: Credentials | None = None,
) -> None:
    """``sign`` from the file ``src`` into the file ``dst`` (a video: c2pa streams it, never all in memory)."""
    with open(src, "rb") as source, open(dst, "w+b") as dest:
        _sign_stream(source, dest, mime, manifest_info, credentials)


def _sign_stream(
    source: Any, dest: Any, mime: str, manifest_info: ManifestInfo | Mapping[str, Any], creds: Credentials | None
) -> None:
    import c2pa

    if not isinstance(manifest_info, ManifestInfo):
        manifest_info = ManifestInfo(**manifest_info)
    mime = mime.split(";", maxsplit=1)[0].strip().lower()
    if mime not in SIGNABLE:
        raise UnsupportedFormat(f"c2pa: cannot embed a manifest in {mime}; signable: {sorted(SIGNABLE)}", param="mime")
    creds = creds or _default_credentials()
    info = c2pa.C2paSignerInfo(creds.alg, creds.chain_pem, creds.key_pem, None)
    context = _context(None)
    try:
        signer = c2pa.Signer.from_info(info)
        builder = c2pa.Builder(_manifest(manifest_info, mime), context)
        builder.sign(signer, mime, source, dest)
    except c2pa.C2paError as exc:
        if "Signature" in type(exc).__name__:
            raise InvalidRequest(
                f"c2pa_cert: C2PA refuses this signing certificate ({exc}); use a chain whose signer is issued by "
                "a CA, with digitalSignature and the emailProtection or documentSigning extended key usage",
                param="c2pa_cert",
            ) from exc
        raise InvalidRequest(f"c2pa: cannot sign this {mime} file: {exc}", param="data") from exc
    finally:
        context.close()


def _default_credentials() -> Credentials:
    return credentials()


# ---- reading -----------------------------------------------------------------------------------------------------


def _reader_json(data: bytes, mime: str, anchors: bytes | None) -> dict[str, Any] | None:
    """The manifest store as JSON, or None when the file carries no manifest."""
    import c2pa

    context = _context(anchors)
    try:
        with c2pa.Reader(mime, io.BytesIO(data), context=context) as reader:
            return dict(json.loads(reader.json()))
    except c2pa.C2paError as exc:
        kind = type(exc).__name__
        if "ManifestNotFound" in kind or "ManifestNotFound" in str(exc):
            return None
        if "NotSupported" in kind:  # c2pa reads nothing in this type: there is no manifest to find
            return {"validation_state": "Missing", "_error": str(exc)}
        return {"validation_state": "Invalid", "_error": str(exc)}
    finally:
        context.close()


def _failures(store: dict[str, Any]) -> list[str]:
    errors = [store["_error"]] if "_error" in store else []
    results = store.get("validation_results") or {}
    active = results.get("activeManifest") or {}
    for item in active.get("failure", []):
        if item.get("code") not in _UNTRUSTED_CODES:
            errors.append(f"{item.get('code')}: {item.get('explanation', '')}".strip())
    for item in store.get("validation_status") or []:
        code = item.get("code")
        line = f"{code}: {item.get('explanation', '')}".strip()
        if code not in _UNTRUSTED_CODES and line not in errors and not code.endswith((".validated", ".match")):
            errors.append(line)
    return errors


def _fill(report: C2paReport, store: dict[str, Any]) -> None:
    manifest = (store.get("manifests") or {}).get(store.get("active_manifest") or "", {})
    sig = manifest.get("signature_info") or {}
    report.signer = {k: str(sig[k]) for k in ("issuer", "common_name", "alg") if k in sig}
    generator = manifest.get("claim_generator_info") or []
    report.claim_generator = generator[0].get("name") if generator else manifest.get("claim_generator")
    report.ingredients = [
        {k: v for k, v in ing.items() if k in ("title", "format", "relationship", "instance_id")}
        for ing in manifest.get("ingredients") or []
    ]
    for assertion in manifest.get("assertions") or []:
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            report.actions.extend((assertion.get("data") or {}).get("actions") or [])
    for action in report.actions:
        params = action.get("parameters") or {}
        report.generation_id = report.generation_id or params.get("generation_id")
        report.model_id = report.model_id or params.get("model_id")


def read(data: bytes, mime: str, *, credentials: Credentials | None = None) -> C2paReport:
    """What the file's C2PA manifest says and whether it holds up (see C2paReport)."""
    creds = credentials or _default_credentials()
    mime = mime.split(";", maxsplit=1)[0].strip().lower()
    store = _reader_json(data, mime, creds.local_root_pem)
    if store is None or store.get("validation_state") == "Missing":
        return C2paReport(state="missing", errors=[store["_error"]] if store else [])
    report = C2paReport(state="invalid", errors=_failures(store))
    _fill(report, store)
    state = str(store.get("validation_state", "Invalid")).lower()
    if state == "trusted":
        report.state, report.trust = "trusted", "zaowu-local-root"
    elif state == "valid" and not report.errors:
        report.state = "valid"
        if creds.extra_anchors_pem:
            again = _reader_json(data, mime, creds.extra_anchors_pem)
            if again is not None and str(again.get("validation_state", "")).lower() == "trusted":
                report.state, report.trust = "trusted", "configured-anchor"
    if report.state == "invalid" and not report.errors:
        report.errors.append(f"validation state {store.get('validation_state')}")
    return report
