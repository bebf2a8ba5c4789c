"""A throwaway PKI for OCSP tests, made with the openssl CLI, and a real responder.

``MiniCA`` is an ``openssl ca`` directory (key, certificate, ``index.txt``): it issues
leaves with whatever extensions a test needs (an AIA pointing at a chosen port, the
OCSPSigning EKU of a delegated responder) and revokes them in its index.
``Responder`` runs ``openssl ocsp`` over that index as a subprocess with its own PID:
it is ready when it prints its ``ACCEPT`` line (an event, not a sleep), it counts the
requests it received from its log, and it is stopped by its PID.  ``respond`` answers
one request offline (``-reqin``), for tests that need a response but no server.

Every openssl invocation is bounded by a timeout.  Nothing here is committed: the
certificates live in pytest's tmp dirs and expire in two days.
"""

from __future__ import annotations

import selectors
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.openssl import OPENSSL, openssl
from tests.support.procs import stop_popen


def leaf_extensions(ocsp_url: str | None) -> str:
    lines = [
        "basicConstraints = critical,CA:FALSE",
        "keyUsage = critical,digitalSignature",
        "extendedKeyUsage = serverAuth",
        "subjectAltName = DNS:localhost,IP:127.0.0.1",
    ]
    if ocsp_url is not None:
        lines.append(f"authorityInfoAccess = OCSP;URI:{ocsp_url}")
    return "\n".join(lines)


RESPONDER_EXTENSIONS = "\n".join([
    "basicConstraints = critical,CA:FALSE",
    "keyUsage = critical,digitalSignature",
    "extendedKeyUsage = OCSPSigning",
])
CA_EXTENSIONS = "\n".join([
    "basicConstraints = critical,CA:TRUE",
    "keyUsage = critical,keyCertSign,cRLSign,digitalSignature",
    "subjectKeyIdentifier = hash",
    "authorityKeyIdentifier = keyid:always",
])


@dataclass(frozen=True)
class Leaf:
    name: str
    cert: Path
    key: Path

    @property
    def pem(self) -> bytes:
        return self.cert.read_bytes()


_CONFIG = """
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = {name}
[ ca ]
default_ca = this_ca
[ this_ca ]
dir = {dir}
database = {dir}/index.txt
new_certs_dir = {dir}/issued
serial = {dir}/serial
default_md = sha256
default_days = 2
policy = policy_any
unique_subject = no
copy_extensions = none
[ policy_any ]
commonName = supplied
[ ca_ext ]
{ca_ext}
"""


class MiniCA:
    """One CA directory; a root if ``parent`` is None, else an intermediate under it."""

    def __init__(self, root: Path, name: str, parent: MiniCA | None = None) -> None:
        self.name = name
        self.dir = root / name
        (self.dir / "issued").mkdir(parents=True)
        (self.dir / "index.txt").write_text("")
        (self.dir / "serial").write_text("1000\n")
        self.config = self.dir / "ca.cnf"
        self.config.write_text(_CONFIG.format(name=name, dir=self.dir, ca_ext=CA_EXTENSIONS))
        self.key = self.dir / "ca.key"
        self.cert = self.dir / "ca.crt"
        if parent is None:
            # An RSA root, so both RSA and ECDSA response signatures get exercised.
            openssl("req", "-config", self.config, "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", self.key, "-out", self.cert, "-days", "2",
                    "-extensions", "ca_ext")
        else:
            issued = parent.issue(name, CA_EXTENSIONS, key_dir=self.dir)
            issued.key.rename(self.key)
            issued.cert.rename(self.cert)

    @property
    def index(self) -> Path:
        return self.dir / "index.txt"

    @property
    def pem(self) -> bytes:
        return self.cert.read_bytes()

    def issue(self, name: str, extensions: str, *, key_dir: Path | None = None) -> Leaf:
        out = key_dir or self.dir
        key, csr, crt = out / f"{name}.key", out / f"{name}.csr", out / f"{name}.crt"
        ext = out / f"{name}.ext"
        ext.write_text(f"[ ext ]\n{extensions}\n")
        req_config = out / f"{name}.req.cnf"
        req_config.write_text(
            f"[ req ]\ndistinguished_name = dn\nprompt = no\n[ dn ]\nCN = {name}\n"
        )
        openssl("req", "-config", req_config, "-new", "-newkey", "ec",
                "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr)
        openssl("ca", "-batch", "-config", self.config, "-cert", self.cert, "-keyfile", self.key,
                "-extfile", ext, "-extensions", "ext", "-notext", "-in", csr, "-out", crt)
        return Leaf(name, crt, key)

    def revoke(self, leaf: Leaf, reason: str = "keyCompromise") -> None:
        openssl("ca", "-config", self.config, "-cert", self.cert, "-keyfile", self.key,
                "-revoke", leaf.cert, "-crl_reason", reason)


def respond(
    ca: MiniCA, leaf: Leaf, work: Path, *, signer: Path | None = None,
    signer_key: Path | None = None, validity: tuple[str, ...] = ("-nmin", "5"),
    extra: tuple[str, ...] = (),
) -> bytes:
    """The DER response ``openssl ocsp`` gives offline for ``leaf`` (signed by the CA)."""
    req, resp = work / f"{leaf.name}.req.der", work / f"{leaf.name}.resp.der"
    openssl("ocsp", "-issuer", ca.cert, "-cert", leaf.cert, "-no_nonce", "-reqout", req)
    openssl("ocsp", "-index", ca.index, "-CA", ca.cert, "-rsigner", signer or ca.cert,
            "-rkey", signer_key or ca.key, "-reqin", req, "-respout", resp, *validity, *extra)
    return resp.read_bytes()


def openssl_check(ca: MiniCA, leaf: Leaf, der: bytes, work: Path) -> str:
    """What an OpenSSL client makes of a (stapled) response: ``openssl ocsp -respin``."""
    path = work / f"check-{leaf.name}.der"
    path.write_bytes(der)
    return openssl("ocsp", "-respin", path, "-CAfile", ca.cert, "-issuer", ca.cert,
                   "-cert", leaf.cert, check=False)


class Responder:
    """``openssl ocsp`` serving ``ca``'s index on ``port``; a context manager."""

    def __init__(self, ca: MiniCA, port: int, *, validity: tuple[str, ...] = ("-nmin", "1")):
        self.ca, self.port, self.validity = ca, port, validity
        self.log = ca.dir / f"responder-{port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Responder:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout: float = 10.0) -> None:
        # 3.0's -port takes a number only, so the responder listens on every address.
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [OPENSSL, "ocsp", "-index", str(self.ca.index), "-port", str(self.port),
                 "-rsigner", str(self.ca.cert), "-rkey", str(self.ca.key),
                 "-CA", str(self.ca.cert), "-ignore_err", *self.validity],
                stdout=subprocess.PIPE, stderr=log,
            )
        try:
            self._await_accept_line(timeout)
        except BaseException:
            self.stop()
            raise

    def _await_accept_line(self, timeout: float) -> None:
        """Ready once it prints ``ACCEPT [::]:<port> PID=<pid>``, i.e. after bind+listen."""
        assert self.proc is not None and self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            while (left := deadline - time.monotonic()) > 0:
                if not sel.select(left):
                    break
                line = self.proc.stdout.readline()
                if line.startswith(b"ACCEPT"):
                    return
                if not line:  # exited
                    break
        raise RuntimeError(f"openssl ocsp did not start:\n{self.log.read_text()}")

    def requests(self) -> int:
        """How many requests it has received (its stderr log has one line per request)."""
        return self.log.read_text().count("Received request")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        stop_popen(proc, grace=5, sig=signal.SIGTERM)
