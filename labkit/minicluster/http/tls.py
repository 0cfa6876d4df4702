"""A throwaway certificate authority and server certificate for the loopback API server.

kubectl and client-go only send a bearer token over TLS (never over plain HTTP), so the mini
API server speaks HTTPS with a certificate made on the spot: a fresh CA per server, valid for
127.0.0.1/localhost only, whose certificate goes into the kubeconfig
(``certificate-authority-data``) so clients verify the server properly. Keys never leave the
temporary directory, which is removed when the server stops.
"""
from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_certificates(hosts=("127.0.0.1", "localhost")):
    """Return (ca_pem, cert_pem, key_pem) for a server reachable at ``hosts``."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("labkit-ca")).issuer_name(_name("labkit-ca"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    sans = []
    for h in hosts:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(h)))
        except ValueError:
            sans.append(x509.DNSName(h))
    cert = (x509.CertificateBuilder().subject_name(_name("kube-apiserver")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = lambda c: c.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return pem(ca), pem(cert), key_pem


class ServerTLS:
    """Certificates on disk (for ssl's loaders) plus an SSLContext; ``cleanup()`` removes them."""

    def __init__(self, host="127.0.0.1"):
        hosts = tuple(dict.fromkeys((host, "127.0.0.1", "localhost")))
        self.ca_pem, cert_pem, key_pem = make_certificates(hosts)
        self.dir = tempfile.mkdtemp(prefix="labkit-tls-")
        self.cert_file = os.path.join(self.dir, "apiserver.crt")
        self.key_file = os.path.join(self.dir, "apiserver.key")
        self.ca_file = os.path.join(self.dir, "ca.crt")
        for path, data in ((self.cert_file, cert_pem), (self.key_file, key_pem), (self.ca_file, self.ca_pem)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(self.cert_file, self.key_file)

    def cleanup(self):
        for f in (self.cert_file, self.key_file, self.ca_file):
            try:
                os.remove(f)
            except OSError:
                pass
        try:
            os.rmdir(self.dir)
        except OSError:
            pass
