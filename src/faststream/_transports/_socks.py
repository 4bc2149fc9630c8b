"""The SOCKS handshakes (`socks4`, `socks4a`, `socks5` and `socks5h` proxies, CONNECT only),
sans-I/O.

`SocksHandshake` says what to send (`data_to_send()`) and takes what the proxy answered
(`receive(data)`) until `done`; the transport moves the bytes on the connection to the proxy
before anything else is sent on it (TLS or HTTP). The SOCKS5 messages are built and parsed
by `socksio`; this module only cuts the proxy's byte stream into whole replies first (socksio
parses one complete message at a time) and turns every failure into `ProxyError`. The SOCKS4
request and its 8-byte reply are built and checked here.

Names: `socks5h` and `socks4a` send the host name to the proxy, which resolves it; `socks5`
and `socks4` send an address (curl's meaning of the schemes): the transport resolves the name
itself first and passes the address as `host` (`needs_address` says whether it must). A
name goes to the proxy in its IDNA (ASCII) form, as in the `Host` header. SOCKS4 knows IPv4
addresses only: an IPv6 address (a literal, or what a `socks4` name resolved to) is a
`ProxyError` before anything is sent; `socks4a` sends an IPv4 literal as an address.

SOCKS4 has a user id and no password: the user id is the proxy's user name (empty without
credentials), and a password is not sent anywhere (curl does the same).
"""

from __future__ import annotations

import ipaddress
import socket
import typing

import idna

from .._exceptions import ProxyError

if typing.TYPE_CHECKING:
    from .._config import Proxy

__all__ = [
    "SOCKS_SCHEMES",
    "SocksHandshake",
    "address_family",
    "import_socksio",
    "needs_address",
]

SOCKS_SCHEMES = frozenset({"socks4", "socks4a", "socks5", "socks5h"})
_ADDRESS_ONLY = frozenset({"socks4", "socks5"})  # the proxy gets an address, never a name
_SOCKS4_SCHEMES = frozenset({"socks4", "socks4a"})
_SOCKS4_REPLY_SIZE = 8  # VN CD DSTPORT DSTIP
_SOCKS4_GRANTED = 0x5A
_MAX_SOCKS5_NAME = 255  # one length byte
# What a SOCKS4 proxy's refusals mean (the SOCKS4 protocol description's words).
_SOCKS4_REPLIES = {
    0x5B: "Request rejected or failed",
    0x5C: "Request rejected because the proxy cannot connect to identd on the client",
    0x5D: "Request rejected because identd on the client reported a different user id",
}
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
    """Must `host` be resolved locally before the handshake (socks5 or socks4, and a name)?"""
    return scheme in _ADDRESS_ONLY and _ip_address(host) is None


def address_family(scheme: str) -> int:
    """The address family to prefer when resolving a name for the proxy: SOCKS4 carries IPv4
    addresses only, so a name with both kinds of address is sent its IPv4 one."""
    return socket.AF_INET if scheme == "socks4" else socket.AF_UNSPEC


def _ip_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _wire_name(host: str) -> str:
    """The name as the proxy must get it: ASCII, international names in their IDNA form."""
    if host.isascii():
        name = host
    else:
        try:
            name = idna.encode(host).decode("ascii")
        except idna.IDNAError as exc:
            raise ProxyError(f"Invalid IDNA hostname for the SOCKS proxy: {host!r}") from exc
    if "\0" in name:
        # A NUL would end the name early in SOCKS4a and change what the proxy reads next.
        raise ProxyError(f"A host name with a NUL byte cannot go to a SOCKS proxy: {host!r}")
    return name


class SocksHandshake:
    """One CONNECT handshake with a SOCKS proxy, for `host:port` (an address for socks5 and
    socks4, a name or an address for socks5h and socks4a: see `needs_address`).

    `ProxyError` at once when the request cannot be expressed: an IPv6 address for SOCKS4,
    a name that has no IDNA form, a NUL byte in a SOCKS4 user id."""

    def __init__(self, proxy: Proxy, host: str, port: int) -> None:
        socksio = import_socksio()
        self._s5 = socksio.socks5
        self.auth = proxy.raw_auth
        self.host = host
        self.port = port
        self.done = False
        self._buffer = b""
        self._socks4 = proxy.url.scheme in _SOCKS4_SCHEMES
        if self._socks4:
            self._start_socks4(proxy.url.scheme)
            return
        self._target = host if _ip_address(host) is not None else _wire_name(host)
        if len(self._target) > _MAX_SOCKS5_NAME:
            raise ProxyError("A host name longer than 255 bytes cannot go to a SOCKS5 proxy.")
        s5 = self._s5
        self._conn = s5.SOCKS5Connection()
        self._method = (
            s5.SOCKS5AuthMethod.NO_AUTH_REQUIRED
            if self.auth is None
            else s5.SOCKS5AuthMethod.USERNAME_PASSWORD
        )
        self._conn.send(s5.SOCKS5AuthMethodsRequest([self._method]))
        self._step = "method"

    def _start_socks4(self, scheme: str) -> None:
        """The SOCKS4 or SOCKS4a request: the whole handshake is one request, one reply.

        VN=4 CD=1 (CONNECT) DSTPORT DSTIP USERID NUL, and for a SOCKS4a name DSTIP 0.0.0.1
        followed by NAME NUL. (socksio refuses an empty user id and sends an address given
        to SOCKS4a as if it were a name, so these few bytes are built here.)"""
        user_id = b"" if self.auth is None else self.auth[0]
        if b"\0" in user_id:
            # The user id ends at a NUL: what follows would be read as the next field.
            raise ProxyError("A SOCKS4 user id cannot contain a NUL byte.")
        head = b"\x04\x01" + self.port.to_bytes(2, "big")
        address = _ip_address(self.host)
        if address is None:
            if scheme == "socks4":
                # The name must never reach a proxy that was asked to get addresses only.
                raise ProxyError(f"socks4:// sends addresses only: {self.host!r} is a name.")
            name = _wire_name(self.host).encode("ascii")
            self._to_send = head + b"\0\0\0\x01" + user_id + b"\0" + name + b"\0"
        elif address.version == 4:
            self._to_send = head + address.packed + user_id + b"\0"
        else:
            raise ProxyError(
                f"A SOCKS4 proxy can only connect to IPv4 addresses, not {address}: "
                "use a SOCKS5 proxy for IPv6."
            )
        self._step = "connect"

    def data_to_send(self) -> bytes:
        if self._socks4:
            data, self._to_send = self._to_send, b""
            return data
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
        if self._socks4:
            return _SOCKS4_REPLY_SIZE
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
        if self._socks4:
            # VN CD DSTPORT DSTIP: VN is 0, CD 0x5A (granted) or one of the refusals.
            code = reply[1]
            if reply[0] != 0 or (code != _SOCKS4_GRANTED and code not in _SOCKS4_REPLIES):
                raise ProxyError(f"The SOCKS proxy sent a malformed reply (connect): {reply!r}")
            if code != _SOCKS4_GRANTED:
                raise ProxyError(f"Proxy Server could not connect: {_SOCKS4_REPLIES[code]}.")
            self.done = True
        elif self._step == "method":
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
            s5.SOCKS5Command.CONNECT, (self._target, self.port)
        )
        self._conn.send(request)
        self._step = "connect"
