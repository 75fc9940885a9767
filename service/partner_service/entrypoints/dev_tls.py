"""``serve --dev``: a private CA and a localhost certificate, made on first start.

Kept under ``$PARTNER_DATA_DIR/dev-tls`` (never in the repository) and reused until a month
before they expire. Clients trust ``ca.pem`` (e.g. requests' ``verify=``); the CA's key is
thrown away once the certificate is signed, so nothing else can ever be signed with it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = dt.timedelta(days=365)
RENEW_BEFORE = dt.timedelta(days=30)


@dataclass(frozen=True)
class DevCertificate:
    ca_file: Path
    cert_file: Path
    key_file: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "partner-service --dev"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _usable(paths: DevCertificate, now: dt.datetime) -> bool:
    if not all(p.exists() for p in (paths.ca_file, paths.cert_file, paths.key_file)):
        return False
    cert = x509.load_pem_x509_certificate(paths.cert_file.read_bytes())
    return cert.not_valid_after_utc - RENEW_BEFORE > now


def _write(path: Path, data: bytes, private: bool = False) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def ensure_dev_certificate(data_dir: Path, now: dt.datetime | None = None) -> DevCertificate:
    directory = Path(data_dir) / "dev-tls"
    paths = DevCertificate(directory / "ca.pem", directory / "cert.pem", directory / "key.pem")
    now = now or dt.datetime.now(dt.UTC)
    if _usable(paths, now):
        return paths
    directory.mkdir(parents=True, exist_ok=True)
    start, end = now - dt.timedelta(minutes=5), now + VALIDITY

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("partner-service dev CA")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder().subject_name(_name("localhost")).issuer_name(ca_name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    pem = serialization.Encoding.PEM
    _write(paths.key_file, key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()), private=True)
    _write(paths.cert_file, cert.public_bytes(pem))
    _write(paths.ca_file, ca_cert.public_bytes(pem))
    return paths
