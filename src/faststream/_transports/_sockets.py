"""Opening sockets for the HTTP/1.1 transport: TCP (or a Unix socket), then TLS.

Everything here raises faststream's exceptions: a timeout while connecting or during the TLS
handshake is `ConnectTimeout`, any other OS or TLS failure `ConnectError` (a certificate that
does not verify included), as httpx does.
"""

from __future__ import annotations

import select
import socket
import ssl
import typing
from collections.abc import Iterable, Sequence

from .._exceptions import ConnectError, ConnectTimeout

__all__ = [
    "SocketOption",
    "first_address",
    "is_readable",
    "open_socket",
    "resolve_address",
    "socket_extra_info",
    "start_tls",
]

SocketOption: typing.TypeAlias = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)


def open_socket(
    host: str,
    port: int,
    *,
    timeout: float | None,
    local_address: str | None = None,
    socket_options: Iterable[SocketOption] | None = None,
    uds: str | None = None,
) -> socket.socket:
    """A connected TCP socket to `host:port` (or to the Unix socket `uds`), `TCP_NODELAY` set.

    Each address `getaddrinfo` gives is tried in turn; the last failure is raised.
    """
    try:
        if uds is not None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                _apply_options(sock, socket_options)
                sock.settimeout(timeout)
                sock.connect(uds)
            except BaseException:
                sock.close()
                raise
            return sock
        return _connect_tcp(host, port, timeout, local_address, socket_options)
    except TimeoutError as exc:
        raise ConnectTimeout(str(exc) or "timed out") from exc
    except OSError as exc:
        raise ConnectError(str(exc)) from exc


def _connect_tcp(
    host: str,
    port: int,
    timeout: float | None,
    local_address: str | None,
    socket_options: Iterable[SocketOption] | None,
) -> socket.socket:
    if socket_options is None and local_address is None:
        # The common case: the stdlib does the address loop.
        sock = socket.create_connection((host, port), timeout=timeout)
    else:
        options = list(socket_options or ())
        last_error: OSError | None = None
        for family, kind, proto, _, address in socket.getaddrinfo(
            host, port, 0, socket.SOCK_STREAM
        ):
            sock = socket.socket(family, kind, proto)
            try:
                _apply_options(sock, options)
                sock.settimeout(timeout)
                if local_address is not None:
                    sock.bind((local_address, 0))
                sock.connect(address)
                break
            except OSError as exc:
                sock.close()
                last_error = exc
        else:
            raise last_error or OSError(f"getaddrinfo returned nothing for {host!r}")
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError:  # pragma: no cover - not a TCP socket after all
        pass
    return sock


def _apply_options(sock: socket.socket, options: Iterable[SocketOption] | None) -> None:
    for option in options or ():
        sock.setsockopt(*option)


def start_tls(
    sock: socket.socket, context: ssl.SSLContext, server_hostname: str | None, timeout: float | None
) -> ssl.SSLSocket:
    """Wrap `sock` in TLS and complete the handshake (SNI and host name check per `context`).

    `sock` is closed when the handshake fails.
    """
    try:
        sock.settimeout(timeout)
        tls = context.wrap_socket(sock, server_hostname=server_hostname)
    except TimeoutError as exc:
        sock.close()
        raise ConnectTimeout(str(exc) or "timed out") from exc
    except (OSError, ssl.SSLError, ValueError) as exc:
        sock.close()
        raise ConnectError(str(exc)) from exc
    return tls


if hasattr(select, "poll"):

    def is_readable(sock: socket.socket) -> bool:
        """True when `sock` has data, EOF or an error pending (an idle connection must not)."""
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return True
        poller = select.poll()
        poller.register(sock, select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))

else:  # pragma: no cover - Windows

    def is_readable(sock: socket.socket) -> bool:
        """True when `sock` has data, EOF or an error pending (an idle connection must not)."""
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return True
        readable, _, errored = select.select([sock], [], [sock], 0)
        return bool(readable or errored)


def socket_extra_info(
    sock: typing.Any,
    info: str,
    ssl_object: typing.Callable[[], typing.Any],
    readable: typing.Callable[[], bool],
) -> typing.Any:
    """A `network_stream.get_extra_info(info)` answer for a connection on socket `sock`
    (a stdlib or trio socket): httpx's names, None for any other."""
    if info == "ssl_object":
        return ssl_object()
    if info == "client_addr":
        return sock.getsockname()
    if info == "server_addr":
        return sock.getpeername()
    if info == "socket":
        return sock
    if info == "is_readable":
        return readable()
    return None


def first_address(
    host: str, infos: Sequence[tuple[typing.Any, ...]], prefer: int = socket.AF_UNSPEC
) -> str:
    """The address of the first `getaddrinfo` result of family `prefer` when there is one,
    else of the first result (`ConnectError` when there is none)."""
    if not infos:
        raise ConnectError(f"getaddrinfo returned nothing for {host!r}")
    if prefer != socket.AF_UNSPEC:
        for info in infos:
            if info[0] == prefer:
                return str(info[4][0])
    return str(infos[0][4][0])


def resolve_address(host: str, port: int, prefer: int = socket.AF_UNSPEC) -> str:
    """The first address of `host` from the system resolver (of family `prefer` when it has
    one): `ConnectError`."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ConnectError(str(exc)) from exc
    return first_address(host, list(infos), prefer)
