"""A small forward proxy on 127.0.0.1 for client tests.

* absolute-form requests (`GET http://127.0.0.1:P/path HTTP/1.1`) are forwarded to the origin in
  origin-form, without `Proxy-Authorization` and the hop-by-hop headers, with `Connection: close`;
  the origin's response is relayed with its `Connection` header replaced by `Connection: close`,
  so each client connection carries one request;
* `CONNECT 127.0.0.1:P` opens a tunnel (`200 Connection established`) and relays bytes both ways;
* with `auth=(user, password)`, a request without the matching `Proxy-Authorization: Basic ...`
  gets `auth_status` (407 by default, with `Proxy-Authenticate`) and the connection is closed;
* only loopback targets are served (403 otherwise): tests never leave this machine;
* with `ssl_context` (a server context, e.g. `TLSFiles.server_context`), the proxy itself
  speaks TLS (an `https://` proxy): its clients' requests, and the tunnels' bytes, arrive
  inside that TLS session; a tunnel's bytes (an origin's own TLS, say) are relayed untouched.

`proxy.seen` lists every request head the proxy received (`ProxyRecord`); `proxy.alpn` the
protocol each of its TLS sessions agreed by ALPN (None: none);
`proxy.connections_accepted` counts client connections.
"""

from __future__ import annotations

import base64
import socket
import socketserver
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from tests.servers._relay import relay
from tests.servers._serving import ProxyBase

MAX_HEAD = 64 * 1024
HOP_HEADERS = {
    "connection",
    "keep-alive",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class ProxyRecord:
    method: str
    target: str
    headers: list[tuple[str, str]]

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    """Read up to the end of a message head; returns (head, bytes read past it)."""
    data = b""
    while b"\r\n\r\n" not in data:
        if len(data) > MAX_HEAD:
            raise ValueError("head too large")
        piece = sock.recv(65536)
        if not piece:
            raise ConnectionError("EOF before the end of the head")
        data += piece
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _parse_head(head: bytes) -> tuple[str, list[tuple[str, str]]]:
    lines = head.decode("latin-1").split("\r\n")
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return lines[0], headers


class _CloseRewrite:
    """The origin's side of a forwarded request: its response head gets `Connection: close`
    in place of its own Connection header (held back until the head is complete)."""

    def __init__(self) -> None:
        self._head: bytes | None = b""  # None once the head has gone out

    def feed(self, data: bytes) -> bytes:
        if self._head is None:
            return data
        self._head += data
        if b"\r\n\r\n" not in self._head:
            return b""
        head, _, rest = self._head.partition(b"\r\n\r\n")
        self._head = None
        kept = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
        return b"\r\n".join(kept) + b"\r\nConnection: close\r\n\r\n" + rest

    def flush(self) -> bytes:
        head, self._head = self._head, None
        return head or b""


class _Handler(socketserver.BaseRequestHandler):
    proxy: ProxyServer
    client: socket.socket  # the accepted socket, or the TLS session over it

    def handle(self) -> None:
        client: socket.socket = self.request
        client.settimeout(10.0)
        # Relayed writes are small (HTTP/2 frames in a tunnel): no Nagle delay on either side.
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        context = self.proxy.ssl_context
        if context is not None:
            # A failed handshake (the client rejected the certificate) ends the connection.
            client = context.wrap_socket(client, server_side=True)
            self.proxy.alpn.append(client.selected_alpn_protocol())
            with self.proxy._lock:  # the TLS socket now owns the descriptor: stop() shuts it
                self.proxy._open.discard(self.request)
                self.proxy._open.add(client)
        self.client = client
        try:
            self._serve(client)
        finally:
            if client is not self.request:
                with self.proxy._lock:
                    self.proxy._open.discard(client)
                client.close()

    def _serve(self, client: socket.socket) -> None:
        head, rest = _read_head(client)
        line, headers = _parse_head(head)
        method, target, _ = (line.split(" ", 2) + ["", ""])[:3]
        self.proxy.seen.append(ProxyRecord(method, target, headers))
        if not self.proxy._authorized(headers):
            self._reply(
                self.proxy.auth_status,
                "Proxy Authentication Required",
                [("Proxy-Authenticate", 'Basic realm="proxy"')],
            )
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            if host.strip("[]") not in LOOPBACK:
                self._reply(403, "Forbidden")
                return
            try:
                upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
            except OSError:
                self._reply(502, "Bad Gateway")
                return
            upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with upstream:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                if rest:
                    upstream.sendall(rest)
                relay(client, upstream, self.proxy.stopping)
            return
        url = urlsplit(target)
        if url.scheme != "http" or url.hostname not in LOOPBACK:
            self._reply(403, "Forbidden")
            return
        kept = [(k, v) for k, v in headers if k.lower() not in HOP_HEADERS]
        path = url.path or "/"
        if url.query:
            path += "?" + url.query
        out = f"{method} {path} HTTP/1.1\r\n"
        out += "".join(f"{k}: {v}\r\n" for k, v in kept) + "Connection: close\r\n\r\n"
        try:
            upstream = socket.create_connection((url.hostname, url.port or 80), timeout=10)
        except OSError:
            self._reply(502, "Bad Gateway")
            return
        with upstream:
            upstream.sendall(out.encode("latin-1") + rest)
            relay(client, upstream, self.proxy.stopping, from_b=_CloseRewrite())

    def _reply(self, status: int, reason: str, headers: Sequence[tuple[str, str]] = ()) -> None:
        body = f"{status} {reason}\n".encode()
        head = f"HTTP/1.1 {status} {reason}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers)
        head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        self.client.sendall(head.encode("latin-1") + body)


class ProxyServer(ProxyBase):
    """The forward proxy; a context manager, or `start()` / `stop()`."""

    def __init__(
        self,
        auth: tuple[str, str] | None = None,
        auth_status: int = 407,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.auth = auth
        self.auth_status = auth_status
        self.ssl_context = ssl_context
        self.scheme = "http" if ssl_context is None else "https"
        self.seen: list[ProxyRecord] = []
        self.alpn: list[str | None] = []  # the protocol each TLS session agreed by ALPN
        super().__init__(_Handler)
        self.url = f"{self.scheme}://127.0.0.1:{self.port}"

    def _authorized(self, headers: list[tuple[str, str]]) -> bool:
        if self.auth is None:
            return True
        token = base64.b64encode(f"{self.auth[0]}:{self.auth[1]}".encode()).decode()
        given = [v for k, v in headers if k.lower() == "proxy-authorization"]
        return given == [f"Basic {token}"]

    def url_with_auth(self, user: str, password: str) -> str:
        return f"{self.scheme}://{user}:{password}@127.0.0.1:{self.port}"
