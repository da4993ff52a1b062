"""TLS for the harness proxy, as a Redshift endpoint offers it (redshift_connector refuses IAM without SSL).

server_context() makes a throwaway CA and a server certificate for 127.0.0.1/localhost signed by it, writes
only the CA's certificate, and keeps the private keys in memory (the session's secret scan would rightly flag a
key file). The client trusts the CA through SSL_CERT_FILE, which OpenSSL's default verify paths read; that is what
redshift_connector's `ssl_context.load_default_certs()` loads (sslmode verify-ca, and verify-full: the
certificate names 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
import ssl
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path


def server_context(ca_path: Path) -> ssl.SSLContext:
    """A TLS server context for the proxy; the CA that signed its certificate goes to ca_path (valid a day)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC)

    def certificate(subject: str, key, issuer: str, issuer_key, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
        else:
            names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = certificate("sparkify harness test CA", ca_key, "sparkify harness test CA", ca_key, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = certificate("127.0.0.1", server_key, "sparkify harness test CA", ca_key, ca=False)

    ca_path.parent.mkdir(parents=True, exist_ok=True)
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # load_cert_chain reads files only: the key lives in a private temporary folder for that one call.
    with tempfile.TemporaryDirectory() as private:
        chain, key = Path(private, "server.pem"), Path(private, "server.key")
        chain.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
        key.write_bytes(
            server_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        context.load_cert_chain(chain, key)
    return context
