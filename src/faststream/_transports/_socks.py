"""The SOCKS5 handshake (`socks5` and `socks5h` proxies, CONNECT only), sans-I/O.

`SocksHandshake` says what to send (`data_to_send()`) and takes what the proxy answered
(`receive(data)`) until `done`; the transport moves the bytes on the connection to the proxy
before anything else is sent on it (TLS or HTTP). The messages are built and parsed by
`socksio`; this module only cuts the proxy's byte stream into whole replies first (socksio
parses one complete message at a time) and turns every failure into `ProxyError`.

Names: `socks5h` sends the host name to the proxy, which resolves it; `socks5` sends an
address (curl's meaning of the two schemes): the transport resolves the name itself first and
passes the address as `host` (`needs_address` says whether it must).
"""

from __future__ import annotations

import ipaddress
import typing

from .._exceptions import ProxyError

if typing.TYPE_CHECKING:
    from .._config import Proxy

__all__ = ["SOCKS_SCHEMES", "SocksHandshake", "import_socksio", "needs_address"]

SOCKS_SCHEMES = frozenset({"socks5", "socks5h"})
# What the proxy's answers mean (RFC 1928 and 1929), in the words of the errors httpx raises.
_METHODS = {
    b"\x00": "NO AUTHENTICATION REQUIRED",
    b"\x01": "GSSAPI",
    b"\x02": "USERNAME/PASSWORD",
    b"\xff": "NO ACCEPTABLE METHODS",
}
_REPLIES = {
    1: "General SOCKS server failure",
    2: "Connection not allowed by ruleset",
    3: "Network unreachable",
    4: "Host unreachable",
    5: "Connection refused",
    6: "TTL expired",
    7: "Command not supported",
    8: "Address type not supported",
}


def import_socksio() -> typing.Any:
    """The `socksio` module; `ImportError` saying how to install it when it is missing."""
    try:
        import socksio
    except ImportError:
        raise ImportError(
            "Using SOCKS proxy, but the 'socksio' package is not installed. "
            "Make sure to install faststream using `pip install faststream-http[socks]`."
        ) from None
    return socksio


def needs_address(scheme: str, host: str) -> bool:
    """Must `host` be resolved locally before the handshake (socks5 and a name)?"""
    if scheme != "socks5":
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return True
    return False


class SocksHandshake:
    """One CONNECT handshake with a SOCKS proxy, for `host:port` (an address for socks5, a
    name or an address for socks5h: see `needs_address`)."""

    def __init__(self, proxy: Proxy, host: str, port: int) -> None:
        socksio = import_socksio()
        self._s5 = socksio.socks5
        self.auth = proxy.raw_auth
        self.host = host
        self.port = port
        self.done = False
        self._buffer = b""
        s5 = self._s5
        self._conn = s5.SOCKS5Connection()
        self._method = (
            s5.SOCKS5AuthMethod.NO_AUTH_REQUIRED
            if self.auth is None
            else s5.SOCKS5AuthMethod.USERNAME_PASSWORD
        )
        self._conn.send(s5.SOCKS5AuthMethodsRequest([self._method]))
        self._step = "method"

    def data_to_send(self) -> bytes:
        return bytes(self._conn.data_to_send())

    def receive(self, data: bytes) -> None:
        """Bytes from the proxy (empty: it closed). `ProxyError` for a refusal, a close
        before the handshake is over, or a reply that is not SOCKS."""
        if not data:
            raise ProxyError(
                f"The SOCKS proxy closed the connection during the handshake ({self._step})."
            )
        self._buffer += data
        size = self._reply_size()
        if size is None or len(self._buffer) < size:
            return  # at most one reply (262 bytes or fewer) is ever buffered
        reply, self._buffer = self._buffer[:size], self._buffer[size:]
        self._handle(reply)
        if self._buffer:
            # The proxy speaks only when spoken to: bytes beyond one reply are not SOCKS, and
            # after the last reply they would be read as the origin's.
            raise ProxyError("The SOCKS proxy sent bytes after its reply.")

    def _reply_size(self) -> int | None:
        """The size of the reply being received, or None while too little came to know it."""
        buffer = self._buffer
        if self._step in ("method", "auth"):
            return 2
        # A SOCKS5 command reply: VER REP RSV ATYP ADDR PORT.
        if len(buffer) < 5:
            return None
        atyp = buffer[3]
        if atyp == 1:
            return 10
        if atyp == 4:
            return 22
        if atyp == 3:
            return 7 + buffer[4]
        raise ProxyError(f"The SOCKS proxy sent a malformed reply: address type {atyp}.")

    def _parse(self, reply: bytes) -> typing.Any:
        try:
            return self._conn.receive_data(reply)
        except Exception as exc:  # socksio raises ProtocolError, or ValueError for unknown codes
            raise ProxyError(
                f"The SOCKS proxy sent a malformed reply ({self._step}): {reply!r}"
            ) from exc

    def _handle(self, reply: bytes) -> None:
        s5 = self._s5
        if self._step == "method":
            answer = self._parse(reply)
            if answer.method != self._method:
                requested = _METHODS.get(self._method.value, "UNKNOWN")
                responded = _METHODS.get(answer.method.value, "UNKNOWN")
                raise ProxyError(f"Requested {requested} from proxy server, but got {responded}.")
            if answer.method == s5.SOCKS5AuthMethod.USERNAME_PASSWORD:
                assert self.auth is not None
                username, password = self.auth
                self._conn.send(s5.SOCKS5UsernamePasswordRequest(username, password))
                self._step = "auth"
            else:
                self._connect()
        elif self._step == "auth":
            answer = self._parse(reply)
            if not answer.success:
                raise ProxyError("Invalid username/password")
            self._connect()
        else:
            answer = self._parse(reply)
            if answer.reply_code != s5.SOCKS5ReplyCode.SUCCEEDED:
                reason = _REPLIES.get(reply[1], f"reply code {reply[1]}")
                raise ProxyError(f"Proxy Server could not connect: {reason}.")
            self.done = True

    def _connect(self) -> None:
        s5 = self._s5
        request = s5.SOCKS5CommandRequest.from_address(
            s5.SOCKS5Command.CONNECT, (self.host, self.port)
        )
        self._conn.send(request)
        self._step = "connect"
