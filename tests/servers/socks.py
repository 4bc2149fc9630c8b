"""A small SOCKS proxy on 127.0.0.1 for client tests: SOCKS4, SOCKS4a and SOCKS5, CONNECT only.

* SOCKS5 offers "no authentication", or with `auth=(user, password)` only username/password
  (RFC 1929): wrong credentials get status 1 and the connection is closed;
* a granted CONNECT is relayed both ways to the target, which must be on this machine
  (`LOOPBACK`, after resolving a name the proxy was given): tests never leave it;
* `fault` makes the proxy misbehave, for the error paths: "refuse" (reply `reply_code` to
  the CONNECT), "stall" (read the greeting and never answer), "close" (close the connection
  after the greeting, mid-handshake), "garbage" (answer the greeting with bytes that are not
  SOCKS).

`proxy.seen` lists every CONNECT request the proxy parsed (`SocksRecord`: the protocol, the
address type and host as received, the port, the user); `proxy.connections_accepted` counts
client connections.
"""

from __future__ import annotations

import ipaddress
import socket
import socketserver
from dataclasses import dataclass

from tests.servers._relay import relay
from tests.servers._serving import ProxyBase

STALL_LIMIT = 30.0  # seconds a stalling proxy holds a connection at most
LOOPBACK = {"127.0.0.1", "::1"}
FAULTS = (None, "refuse", "stall", "close", "garbage")
GARBAGE = b"HTTP/1.1 400 Bad Request\r\n\r\n"


@dataclass
class SocksRecord:
    """One CONNECT request as the proxy received it."""

    version: str  # "socks4", "socks4a" or "socks5"
    address_type: str  # "ipv4", "ipv6" or "domain"
    host: str
    port: int
    user: str


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        piece = sock.recv(size - len(data))
        if not piece:
            raise ConnectionError("EOF in the middle of a SOCKS message")
        data += piece
    return data


def _recv_until_nul(sock: socket.socket, limit: int = 512) -> bytes:
    data = b""
    while not data.endswith(b"\0"):
        if len(data) > limit:
            raise ValueError("field too long")
        data += _recv_exact(sock, 1)
    return data[:-1]


class _Handler(socketserver.BaseRequestHandler):
    proxy: SocksServer

    def handle(self) -> None:
        client: socket.socket = self.request
        client.settimeout(10.0)
        # Relayed writes are small: no Nagle delay on either side of the relay.
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            version = _recv_exact(client, 1)[0]
            if version == 5:
                self._socks5(client)
            elif version == 4:
                self._socks4(client)
        except (OSError, ValueError):
            return

    def _misbehave(self, client: socket.socket) -> bool:
        """Act out a handshake fault right after the greeting: True when one was acted."""
        fault = self.proxy.fault
        if fault == "stall":
            self.proxy.stopping.wait(STALL_LIMIT)
            return True
        if fault == "close":
            return True
        if fault == "garbage":
            client.sendall(GARBAGE)
            return True
        return False

    # -- SOCKS5 -----------------------------------------------------------------------------

    def _socks5(self, client: socket.socket) -> None:
        count = _recv_exact(client, 1)[0]
        methods = _recv_exact(client, count)
        if self._misbehave(client):
            return
        user = ""
        if self.proxy.auth is None:
            if 0 not in methods:
                client.sendall(b"\x05\xff")
                return
            client.sendall(b"\x05\x00")
        else:
            if 2 not in methods:
                client.sendall(b"\x05\xff")
                return
            client.sendall(b"\x05\x02")
            _recv_exact(client, 1)  # the subnegotiation's version, 1
            user = _recv_exact(client, _recv_exact(client, 1)[0]).decode("latin-1")
            password = _recv_exact(client, _recv_exact(client, 1)[0]).decode("latin-1")
            if (user, password) != self.proxy.auth:
                client.sendall(b"\x01\x01")
                return
            client.sendall(b"\x01\x00")
        _, command, _, atyp = _recv_exact(client, 4)
        if atyp == 1:
            kind, host = "ipv4", socket.inet_ntop(socket.AF_INET, _recv_exact(client, 4))
        elif atyp == 4:
            kind, host = "ipv6", socket.inet_ntop(socket.AF_INET6, _recv_exact(client, 16))
        elif atyp == 3:
            kind = "domain"
            host = _recv_exact(client, _recv_exact(client, 1)[0]).decode("ascii")
        else:
            client.sendall(b"\x05\x08\x00\x01\0\0\0\0\0\0")
            return
        port = int.from_bytes(_recv_exact(client, 2), "big")
        self.proxy.seen.append(SocksRecord("socks5", kind, host, port, user))
        if command != 1:
            client.sendall(b"\x05\x07\x00\x01\0\0\0\0\0\0")
            return
        if self.proxy.fault == "refuse":
            client.sendall(bytes([5, self.proxy.reply_code, 0, 1, 0, 0, 0, 0, 0, 0]))
            return
        upstream = self._open(host, port)
        if upstream is None:
            client.sendall(b"\x05\x05\x00\x01\0\0\0\0\0\0")  # connection refused
            return
        with upstream:
            bound_host, bound_port = upstream.getsockname()[:2]
            bound = ipaddress.ip_address(bound_host)
            atyp_out = b"\x01" if bound.version == 4 else b"\x04"
            client.sendall(
                b"\x05\x00\x00" + atyp_out + bound.packed + bound_port.to_bytes(2, "big")
            )
            relay(client, upstream, self.proxy.stopping)

    # -- SOCKS4 and 4a ----------------------------------------------------------------------

    def _socks4(self, client: socket.socket) -> None:
        command = _recv_exact(client, 1)[0]
        port = int.from_bytes(_recv_exact(client, 2), "big")
        address = _recv_exact(client, 4)
        user = _recv_until_nul(client).decode("latin-1")
        if address[:3] == b"\0\0\0" and address[3] != 0:
            version, kind, host = "socks4a", "domain", _recv_until_nul(client).decode("ascii")
        else:
            version, kind, host = "socks4", "ipv4", socket.inet_ntoa(address)
        if self._misbehave(client):
            return
        self.proxy.seen.append(SocksRecord(version, kind, host, port, user))
        refused = bytes([0, 91]) + b"\0" * 6
        if command != 1:
            client.sendall(refused)
            return
        if self.proxy.auth is not None and user != self.proxy.auth[0]:
            client.sendall(bytes([0, 93]) + b"\0" * 6)
            return
        if self.proxy.fault == "refuse":
            client.sendall(bytes([0, self.proxy.reply_code]) + b"\0" * 6)
            return
        upstream = self._open(host, port)
        if upstream is None:
            client.sendall(refused)
            return
        with upstream:
            client.sendall(bytes([0, 90]) + b"\0" * 6)
            relay(client, upstream, self.proxy.stopping)

    def _open(self, host: str, port: int) -> socket.socket | None:
        """A connection to the target, which must resolve to this machine; None otherwise."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError:
            return None
        for family, kind, proto, _, address in infos:
            if address[0] not in LOOPBACK:
                continue
            sock = socket.socket(family, kind, proto)
            sock.settimeout(10)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                sock.connect(address)
            except OSError:
                sock.close()
                continue
            return sock
        return None


class SocksServer(ProxyBase):
    """The SOCKS proxy; a context manager, or `start()` / `stop()`."""

    def __init__(
        self,
        auth: tuple[str, str] | None = None,
        fault: str | None = None,
        reply_code: int = 2,
    ) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}")
        self.auth = auth
        self.fault = fault
        self.reply_code = reply_code
        self.seen: list[SocksRecord] = []
        super().__init__(_Handler)

    def url(self, scheme: str = "socks5", auth: tuple[str, str] | None = None) -> str:
        credentials = f"{auth[0]}:{auth[1]}@" if auth is not None else ""
        return f"{scheme}://{credentials}127.0.0.1:{self.port}"
