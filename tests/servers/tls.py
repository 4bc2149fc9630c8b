"""TLS for the app server: a trustme CA and a server certificate for localhost / 127.0.0.1.

`TLSFiles.create(directory)` makes a CA, a server certificate for the given names, the CA's PEM
file (what `verify=` / `SSL_CERT_FILE` take) and the server's `ssl.SSLContext`;
`AppServer(ssl_context=files.server_context)` then serves the same routes over https.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import trustme

from tests.servers.app import AppServer

DEFAULT_NAMES = ("localhost", "127.0.0.1")


@dataclass
class TLSFiles:
    ca: trustme.CA
    ca_file: str  # PEM of the CA certificate
    server_context: ssl.SSLContext
    names: tuple[str, ...]

    @classmethod
    def create(cls, directory: Path, names: Sequence[str] = DEFAULT_NAMES) -> TLSFiles:
        ca = trustme.CA()
        cert = ca.issue_cert(*names)
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(server_context)
        directory.mkdir(parents=True, exist_ok=True)
        ca_file = directory / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        return cls(ca, str(ca_file), server_context, tuple(names))

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this CA only (hostname checking on)."""
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context

    def server(self) -> AppServer:
        """An app server (not started) over TLS with this certificate."""
        return AppServer(ssl_context=self.server_context)
