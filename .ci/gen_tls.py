"""Generates the TLS material for the nginx interop tests into DIR:
a CA, a server certificate for 127.0.0.1 and localhost, an expired one,
and a client certificate with its key plain and encrypted (PKCS#8, password
"ci-pass"). Uses the `cryptography` package (pip)."""
import datetime
import ipaddress
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
now = datetime.datetime.now(datetime.timezone.utc)


def key():
    return ec.generate_private_key(ec.SECP256R1())


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def write_key(k, path, password=None):
    enc = (
        serialization.BestAvailableEncryption(password.encode())
        if password
        else serialization.NoEncryption()
    )
    path.write_bytes(
        k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)
    )


def write_cert(c, path):
    path.write_bytes(c.public_bytes(serialization.Encoding.PEM))


ca_key = key()
ca = (
    x509.CertificateBuilder()
    .subject_name(name("ferrohttp CI CA"))
    .issuer_name(name("ferrohttp CI CA"))
    .public_key(ca_key.public_key())
    .serial_number(x509.random_serial_number())
    .not_valid_before(now - datetime.timedelta(days=1))
    .not_valid_after(now + datetime.timedelta(days=30))
    .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    .add_extension(
        x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
    )
    .sign(ca_key, hashes.SHA256())
)
write_cert(ca, out / "ca.pem")


def leaf(cn, sans, not_before, not_after, client=False):
    k = key()
    b = (
        x509.CertificateBuilder()
        .subject_name(name(cn))
        .issuer_name(ca.subject)
        .public_key(k.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(
            x509.ExtendedKeyUsage(
                [x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH if client else x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]
            ),
            critical=False,
        )
    )
    return k, b.sign(ca_key, hashes.SHA256())


server_sans = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
k, c = leaf("localhost", server_sans, now - datetime.timedelta(days=1), now + datetime.timedelta(days=30))
write_key(k, out / "server.key")
write_cert(c, out / "server.pem")

old = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
k, c = leaf("localhost", server_sans, old, old + datetime.timedelta(days=150))
write_key(k, out / "expired.key")
write_cert(c, out / "expired.pem")

k, c = leaf("client", [x509.DNSName("client.test")], now - datetime.timedelta(days=1), now + datetime.timedelta(days=30), client=True)
write_key(k, out / "client.key")
write_key(k, out / "client-encrypted.key", password="ci-pass")
write_cert(c, out / "client.pem")
print(f"TLS material in {out}")
