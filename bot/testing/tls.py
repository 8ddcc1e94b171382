"""Slack's Web API over TLS, as the bot reaches the real one: a certificate
authority of the stand-in's own, and a certificate from it for 127.0.0.1.

The bot trusts it as it trusts Slack's: through the default context's CA file,
``SSL_CERT_FILE``, here the system's CA certificates with this authority's
added (:attr:`StandInAuthority.bundle`), so a client pays the same to load them.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


class StandInAuthority:
    """A CA and a server certificate for 127.0.0.1 and localhost, in ``directory``."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        now = datetime.datetime.now(datetime.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hostnet test CA")])
        ca = (
            _builder(ca_name, ca_name, ca_key.public_key(), now)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        leaf = (
            _builder(
                x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]),
                ca_name,
                key.public_key(),
                now,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        pem = serialization.Encoding.PEM
        self.ca = directory / "ca.pem"
        self.ca.write_bytes(ca.public_bytes(pem))
        self.certificate = directory / "server.pem"
        self.certificate.write_bytes(leaf.public_bytes(pem))
        self.key = directory / "server.key"
        self.key.write_bytes(
            key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        )
        self.bundle = directory / "bundle.pem"  # for SSL_CERT_FILE
        system = Path(ssl.get_default_verify_paths().cafile or "/nonexistent")
        self.bundle.write_bytes(
            (system.read_bytes() if system.is_file() else b"") + self.ca.read_bytes()
        )

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certificate, self.key)
        return context


def _builder(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePublicKey, now: datetime.datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
    )
