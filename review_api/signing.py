"""The bureau's seal: signing keys, the demo CA, PAdES signing and validation (pyHanko).

An issued document is trusted because it carries a PAdES signature (ETSI EN 319 142, baseline
B-B: CMS with the signing certificate and its chain embedded) made with the bureau's key, and
because the signature is a *certification* signature that allows no later change: anybody with
the trust root can check it offline, and a single altered byte breaks it.

Keys come from settings (``LIANSHEN_SIGNING_*``). When none is configured, a demo CA and a
bureau certificate are created at first use under ``DATA_DIR/pki/`` (key files 0600), so the
embedded mode works out of the box; a production deployment points the settings at the keys
its certificate authority issued.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from pyhanko.sign.timestamps import TimeStamper

__all__ = [
    "BureauKey",
    "SealPlacement",
    "SignatureReport",
    "SigningError",
    "SigningSettings",
    "bureau_key",
    "ensure_demo_pki",
    "holder",
    "sign_pdf",
    "signing_settings",
    "validate_pdf",
]

FIELD_NAME = "BureauSeal"
DEMO_BUREAU = "行政审批服务局（演示）"


class SigningError(Exception):
    """Signing is impossible as configured; the message says what to fix."""


class SigningSettings(BaseSettings):
    """Where the bureau's key and certificates are, and the public address of the platform."""

    model_config = SettingsConfigDict(env_prefix="LIANSHEN_", extra="ignore")

    signing_key_file: Path | None = Field(
        None, description="PEM private key of the bureau; empty: a demo CA under DATA_DIR/pki."
    )
    signing_cert_file: Path | None = Field(None, description="PEM certificate of that key.")
    signing_chain_file: Path | None = Field(
        None, description="PEM bundle of the issuing CA certificates (embedded in signatures)."
    )
    signing_key_password: SecretStr | None = Field(
        None, description="Password of the key file, if it is encrypted."
    )
    signing_trust_root_file: Path | None = Field(
        None,
        description="PEM roots that verification trusts; empty: the self-signed certificates "
        "of the chain file (the demo CA in the demo).",
    )
    signing_tsa_url: str = Field(
        "",
        description="RFC 3161 time-stamp authority; set: signatures are PAdES B-T with a trusted "
        "time (its root must be among the trust roots); empty: B-B with the server's clock.",
    )
    document_font_file: Path | None = Field(
        None,
        description="TrueType/OpenType CJK font for issued documents; empty: Noto CJK SC "
        "(fonts-noto-cjk), else WenQuanYi Micro Hei (fonts-wqy-microhei).",
    )
    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="Public address of the platform; the QR code points at PUBLIC_URL/verify/CODE.",
    )


def signing_settings() -> SigningSettings:
    """The signing settings from the environment (read on each call: cheap, and testable)."""
    return SigningSettings()


@dataclass(frozen=True)
class BureauKey:
    """The bureau's signing key with its certificate, chain and the roots that verify it."""

    key_pem: bytes
    key_password: bytes | None
    cert: asn1_x509.Certificate
    chain: tuple[asn1_x509.Certificate, ...]
    trust_roots: tuple[asn1_x509.Certificate, ...]

    @property
    def subject(self) -> str:
        """The certificate holder as people read it."""
        return holder(self.cert)

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the certificate (DER), to identify the key in records."""
        return str(self.cert.sha256.hex())


@dataclass(frozen=True)
class SealPlacement:
    """Where the visible seal goes: page index (0-based) and box in PDF points from bottom-left."""

    page: int
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class SignatureReport:
    """What validation found; ``genuine`` only if every check holds."""

    signed: bool
    intact: bool
    valid: bool
    trusted: bool
    whole_file: bool
    signer: str | None
    signing_time: dt.datetime | None
    problem: str | None = None
    timestamped: bool = False  # the time is an RFC 3161 time stamp, not the signer's clock

    @property
    def genuine(self) -> bool:
        """Signed by a trusted key, unchanged since, and covering the whole file."""
        return self.signed and self.intact and self.valid and self.trusted and self.whole_file


# --- keys and certificates -------------------------------------------------------------------


def _name(common: str, org: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def _write_private(path: Path, data: bytes) -> None:
    """Write a key file readable by its owner only (0600 from creation, never wider)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(path, 0o600)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _certificate(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: rsa.RSAPublicKey,
    signing_key: rsa.RSAPrivateKey,
    *,
    ca: bool,
    years: int,
) -> x509.Certificate:
    """A certificate for a CA (cert signing) or for the bureau (document signing)."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca, content_commitment=not ca, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
    )
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
    return builder.sign(signing_key, hashes.SHA256())


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Serialise the creation of the demo PKI between processes sharing the data dir."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(folder / ".lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def ensure_demo_pki(data_dir: Path) -> tuple[Path, Path, Path]:
    """The demo CA and bureau key under ``data_dir/pki`` (created once): key, cert, chain.

    The CA key signs the bureau certificate and is kept only so the demo can be inspected; the
    bureau key signs documents. Both key files are 0600.
    """
    folder = data_dir / "pki"
    key, cert, chain = folder / "bureau.key", folder / "bureau.crt", folder / "ca.crt"
    if key.exists() and cert.exists() and chain.exists():
        return key, cert, chain
    with _locked(folder):
        if key.exists() and cert.exists() and chain.exists():
            return key, cert, chain
        ca_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        ca_name = _name("联审演示根证书 Lianshen Demo Root CA", "联审平台演示 Lianshen demo")
        ca_cert = _certificate(
            ca_name, ca_name, ca_key.public_key(), ca_key, ca=True, years=20
        )
        bureau_key_ = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        bureau_cert = _certificate(
            _name(DEMO_BUREAU, DEMO_BUREAU), ca_name, bureau_key_.public_key(), ca_key,
            ca=False, years=5,
        )
        _write_private(folder / "ca.key", _key_pem(ca_key))
        _write_private(key, _key_pem(bureau_key_))
        chain.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        cert.write_bytes(bureau_cert.public_bytes(serialization.Encoding.PEM))
    return key, cert, chain


def _pem_certs(path: Path) -> tuple[asn1_x509.Certificate, ...]:
    """Every certificate of a PEM (or single DER) file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningError(
            f"证书文件无法读取 / cannot read certificate file {path}: {exc.strerror}"
        ) from exc
    try:
        if b"-----BEGIN" in data:
            certs = x509.load_pem_x509_certificates(data)
        else:
            certs = [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise SigningError(
            f"证书文件格式无效 / {path} holds no valid PEM or DER certificate"
        ) from exc
    return tuple(
        asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in certs
    )


def holder(cert: asn1_x509.Certificate) -> str:
    """A certificate's holder as people read it: common name, and organisation if different."""
    native = cert.subject.native
    common = str(native.get("common_name", "")) or str(cert.subject.human_friendly)
    org = str(native.get("organization_name", ""))
    return f"{common}（{org}）" if org and org != common else common


def _self_signed(cert: asn1_x509.Certificate) -> bool:
    return bool(cert.self_signed in ("maybe", "yes"))


@lru_cache(maxsize=8)
def _load(
    key_file: Path, cert_file: Path, chain_file: Path | None, roots_file: Path | None,
    password: str | None, stamp: tuple[float, ...],
) -> BureauKey:
    """Read the files once per change (``stamp`` holds their modification times)."""
    try:
        key_pem = key_file.read_bytes()
    except OSError as exc:
        raise SigningError(
            f"签章私钥无法读取 / cannot read signing key {key_file}: {exc.strerror}"
        ) from exc
    secret = None if password is None else password.encode()
    try:
        serialization.load_pem_private_key(key_pem, password=secret)
    except (ValueError, TypeError) as exc:
        raise SigningError(
            "签章私钥无法打开：请检查文件与 LIANSHEN_SIGNING_KEY_PASSWORD / "
            f"cannot open signing key {key_file}: check the file and its password"
        ) from exc
    cert = _pem_certs(cert_file)[0]
    chain = _pem_certs(chain_file) if chain_file else ()
    roots = _pem_certs(roots_file) if roots_file else tuple(c for c in chain if _self_signed(c))
    if _self_signed(cert) and not roots:
        roots = (cert,)
    if not roots:
        raise SigningError(
            "没有可信根证书：请设置 LIANSHEN_SIGNING_TRUST_ROOT_FILE，或在证书链文件中包含根证书 / "
            "no trust root: set LIANSHEN_SIGNING_TRUST_ROOT_FILE or include the root in the chain"
        )
    return BureauKey(key_pem, secret, cert, chain, roots)


def bureau_key(data_dir: Path, config: SigningSettings | None = None) -> BureauKey:
    """The configured bureau key, or the demo one under ``data_dir/pki`` when none is set."""
    config = config or signing_settings()
    if config.signing_key_file is None:
        key, cert, chain = ensure_demo_pki(data_dir)
        return _load(key, cert, chain, None, None, _stamp(key, cert, chain))
    if config.signing_cert_file is None:
        raise SigningError(
            "已设置签章私钥但缺少证书：请设置 LIANSHEN_SIGNING_CERT_FILE / "
            "LIANSHEN_SIGNING_KEY_FILE is set but LIANSHEN_SIGNING_CERT_FILE is not"
        )
    key, cert = config.signing_key_file, config.signing_cert_file
    chain_opt, roots = config.signing_chain_file, config.signing_trust_root_file
    secret = config.signing_key_password
    password = secret.get_secret_value() if secret is not None else None
    return _load(key, cert, chain_opt, roots, password, _stamp(key, cert, chain_opt, roots))


def _stamp(*paths: Path | None) -> tuple[float, ...]:
    return tuple(p.stat().st_mtime if p is not None and p.exists() else 0.0 for p in paths)


# --- signing -----------------------------------------------------------------------------------


def _seal_style(seal_png: bytes | None) -> object:
    """The visible appearance: the seal picture, or pyHanko's text stamp without one."""
    from PIL import Image
    from pyhanko import stamp
    from pyhanko.pdf_utils.images import PdfImage

    if seal_png is None:
        return stamp.TextStampStyle(stamp_text="%(signer)s\n%(ts)s")
    image = Image.open(io.BytesIO(seal_png))
    image.load()
    return stamp.StaticStampStyle(
        background=PdfImage(image), border_width=0, background_opacity=1.0
    )


def sign_pdf(
    pdf: bytes,
    key: BureauKey,
    placement: SealPlacement,
    *,
    reason: str,
    seal_png: bytes | None = None,
    location: str = "",
    tsa_url: str = "",
) -> bytes:
    """``pdf`` signed as a PAdES certification signature that permits no later change;
    with ``tsa_url``, the signature carries that authority's time stamp (PAdES B-T)."""
    import aiohttp
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    try:
        signer = signers.SimpleSigner(
            signing_cert=key.cert,
            signing_key=_asn1_key(key),
            cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
                [key.cert, *key.chain]
            ),
        )
    except ValueError as exc:
        raise SigningError(f"签章私钥不可用 / the signing key cannot be used: {exc}") from exc
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    fields.append_signature_field(
        writer,
        fields.SigFieldSpec(FIELD_NAME, on_page=placement.page, box=placement.box),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location or None,
        certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
    )
    pdf_signer = signers.PdfSigner(
        meta, signer=signer, stamp_style=_seal_style(seal_png),  # type: ignore[arg-type]
        timestamper=_timestamper(tsa_url),
    )
    try:
        out = pdf_signer.sign_pdf(writer)
    except (OSError, TimeoutError, aiohttp.ClientError) as exc:  # TimestampRequestError: OSError
        raise SigningError(
            f"时间戳服务不可用 / the time-stamp authority {tsa_url} failed: {exc}"
        ) from exc
    assert isinstance(out, io.BytesIO)
    return out.getvalue()


def _timestamper(tsa_url: str) -> TimeStamper | None:
    """An RFC 3161 client for ``tsa_url``, or None without one."""
    if not tsa_url:
        return None
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return HTTPTimeStamper(tsa_url, timeout=20)


def _asn1_key(key: BureauKey) -> object:
    from pyhanko.keys import load_private_key_from_pemder_data

    return load_private_key_from_pemder_data(key.key_pem, passphrase=key.key_password)


# --- validation --------------------------------------------------------------------------------


def _failed(problem: str, *, signed: bool = False) -> SignatureReport:
    return SignatureReport(signed, False, False, False, False, None, None, problem)


def validate_pdf(pdf: bytes, trust_roots: tuple[asn1_x509.Certificate, ...]) -> SignatureReport:
    """Check the PDF's signature against ``trust_roots`` offline (no network is ever used)."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except (PdfError, ValueError, KeyError, TypeError, IndexError) as exc:
        return _failed(f"不是可读的 PDF / not a readable PDF: {exc}")
    if len(signatures) != 1:
        return _failed(f"应有一个签名，实有 {len(signatures)} / expected one signature")
    context = ValidationContext(trust_roots=list(trust_roots), allow_fetching=False)
    try:
        status = validate_pdf_signature(signatures[0], context)
    except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError) as exc:
        return _failed(f"签名无法验证 / the signature cannot be validated: {exc}", signed=True)
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    stamp = status.timestamp_validity
    signer = holder(status.signing_cert) if status.signing_cert is not None else None
    problem = None
    if not status.bottom_line or not whole:
        problem = "签名不成立或文件已被改动 / signature does not hold or the file was changed"
    return SignatureReport(
        signed=True,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        whole_file=whole,
        signer=signer,
        signing_time=stamp.timestamp if stamp is not None else status.signer_reported_dt,
        problem=problem,
        timestamped=stamp is not None and bool(stamp.trusted),
    )
