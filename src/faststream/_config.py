"""Configuration objects: `Timeout`, `Limits`, `Proxy`, `create_ssl_context`, and the
defaults a client starts with. Behaviour, reprs and messages are httpx 0.28.1's, except
where a comment says otherwise.
"""

from __future__ import annotations

import os
import ssl
import typing
import warnings

from ._headers import SENSITIVE_HEADERS, Headers
from ._urls import URL

if typing.TYPE_CHECKING:
    from ._types import CertTypes, HeaderTypes, TimeoutTypes

__all__ = [
    "DEFAULT_LIMITS",
    "DEFAULT_MAX_REDIRECTS",
    "DEFAULT_TIMEOUT_CONFIG",
    "UNSET",
    "USE_CLIENT_DEFAULT",
    "Limits",
    "Proxy",
    "Timeout",
    "UnsetType",
    "UseClientDefault",
    "create_ssl_context",
]


class UnsetType:
    """The type of `UNSET`: "this argument was not given" where `None` is a valid value."""


UNSET = UnsetType()


class UseClientDefault:
    """The type of `USE_CLIENT_DEFAULT`: a per-request argument (`timeout=`, `auth=`,
    `follow_redirects=`) left at this value takes the client's setting; `None` would mean
    "none at all"."""


USE_CLIENT_DEFAULT = UseClientDefault()


class Timeout:
    """Timeouts in seconds for the four phases of a request; `None` means no limit.

    ```
    Timeout(5.0)                     # all four 5 s
    Timeout(None)                    # no timeouts
    Timeout(5.0, connect=10.0)       # a default, with connect overridden
    Timeout(connect=1, read=2, write=3, pool=4)   # without a default, all four
    Timeout((1, 2))                  # connect, read[, write[, pool]]; missing ones None
    Timeout(other_timeout)           # a copy
    Timeout(30.0, total=300.0, min_rate=(1024, 60))   # beyond httpx, see below
    ```

    Beyond httpx, two deadlines for a whole exchange (both None by default, and then repr,
    equality and `as_dict()` are httpx's own):

    - `total`: seconds from sending the request until its body has been read to the end,
      shared by the redirects that are followed and including pool and connect waits. Once
      it has passed, the next read (or any wait) raises `ReadTimeout` ("total deadline of
      N s exceeded") -- also while a `stream()` loop is still running, and also when a
      server drips bytes fast enough to keep every single read under the read timeout.
    - `min_rate=(bytes, seconds)`: `ReadTimeout` when fewer than `bytes` body bytes arrive
      in any window of `seconds` from the response head on (curl's `--speed-limit` /
      `--speed-time`). The window slides in steps of 1/32 of `seconds` (so it may reach
      back that much further, never less); time the caller spends between reads counts too.

    Both apply to the network transports (HTTP/1.1 and HTTP/2 bodies); the ASGI, WSGI and
    mock transports ignore them, as they ignore the other timeouts. Any timeout raised once
    the total deadline has passed (a pool or connect wait included) is that `ReadTimeout`.
    """

    connect: float | None
    read: float | None
    write: float | None
    pool: float | None
    total: float | None
    min_rate: tuple[int, float] | None

    def __init__(
        self,
        timeout: TimeoutTypes | UnsetType = UNSET,
        *,
        connect: float | None | UnsetType = UNSET,
        read: float | None | UnsetType = UNSET,
        write: float | None | UnsetType = UNSET,
        pool: float | None | UnsetType = UNSET,
        total: float | None = None,
        min_rate: tuple[int, float] | None = None,
    ) -> None:
        phases = (connect, read, write, pool)
        values: tuple[float | None, float | None, float | None, float | None]
        if isinstance(timeout, Timeout):
            if any(not isinstance(value, UnsetType) for value in phases):
                # httpx asserts here; the same exception type, raised even under -O.
                raise AssertionError("Timeout(<Timeout>) cannot be combined with keywords")
            values = (timeout.connect, timeout.read, timeout.write, timeout.pool)
            total = timeout.total if total is None else total
            min_rate = timeout.min_rate if min_rate is None else min_rate
        elif isinstance(timeout, tuple):
            # Keywords are ignored with a tuple, as in httpx. A 1-tuple is an IndexError.
            values = (
                timeout[0],
                timeout[1],
                timeout[2] if len(timeout) > 2 else None,
                timeout[3] if len(timeout) > 3 else None,
            )
        elif not any(isinstance(value, UnsetType) for value in phases):
            values = typing.cast(
                "tuple[float | None, float | None, float | None, float | None]", phases
            )
        elif isinstance(timeout, UnsetType):
            # The message names httpx: code written for httpx reads it (messages stay
            # byte-identical to httpx's, except where faststream deliberately differs).
            raise ValueError(
                "httpx.Timeout must either include a default, "
                "or set all four parameters explicitly."
            )
        else:
            default = timeout
            connect, read, write, pool = (
                default if isinstance(value, UnsetType) else value for value in phases
            )
            values = (connect, read, write, pool)
        self.connect, self.read, self.write, self.pool = values
        self.total = _check_total(total)
        self.min_rate = _check_min_rate(min_rate)

    def as_dict(self) -> dict[str, typing.Any]:
        # The request's "timeout" extension: httpx's four keys, plus the deadlines when set
        # (a transport that does not know them ignores them).
        timeouts: dict[str, typing.Any] = {
            "connect": self.connect,
            "read": self.read,
            "write": self.write,
            "pool": self.pool,
        }
        if self.total is not None:
            timeouts["total"] = self.total
        if self.min_rate is not None:
            timeouts["min_rate"] = self.min_rate
        return timeouts

    def __eq__(self, other: typing.Any) -> bool:
        return (
            isinstance(other, self.__class__)
            and self.connect == other.connect
            and self.read == other.read
            and self.write == other.write
            and self.pool == other.pool
            and self.total == other.total
            and self.min_rate == other.min_rate
        )

    def __repr__(self) -> str:
        name = type(self).__name__
        extra = ""
        if self.total is not None:
            extra += f", total={self.total}"
        if self.min_rate is not None:
            extra += f", min_rate={self.min_rate}"
        if len({self.connect, self.read, self.write, self.pool}) == 1:
            return f"{name}(timeout={self.connect}{extra})"
        return (
            f"{name}(connect={self.connect}, read={self.read}, "
            f"write={self.write}, pool={self.pool}{extra})"
        )


def _check_total(total: typing.Any) -> float | None:
    if total is None:
        return None
    if isinstance(total, bool) or not isinstance(total, (int, float)):
        raise TypeError(f"Timeout total must be a number of seconds or None, not {total!r}")
    if not total >= 0:  # also refuses NaN
        raise ValueError(f"Timeout total must be >= 0, not {total!r}")
    return total


def _check_min_rate(min_rate: typing.Any) -> tuple[int, float] | None:
    if min_rate is None:
        return None
    if (
        isinstance(min_rate, tuple)
        and len(min_rate) == 2
        and all(
            isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0
            for value in min_rate
        )
        and isinstance(min_rate[0], int)
    ):
        return (min_rate[0], min_rate[1])
    raise ValueError(
        "Timeout min_rate must be (bytes, seconds): a positive int and a positive number, "
        f"not {min_rate!r}"
    )


class Limits:
    """Connection pool limits.

    `max_connections`: connections open at once (None: no limit);
    `max_keepalive_connections`: idle connections kept for reuse (None: no limit);
    `keepalive_expiry`: seconds an idle connection is kept (None: forever).
    """

    def __init__(
        self,
        *,
        max_connections: int | None = None,
        max_keepalive_connections: int | None = None,
        keepalive_expiry: float | None = 5.0,
    ) -> None:
        self.max_connections = max_connections
        self.max_keepalive_connections = max_keepalive_connections
        self.keepalive_expiry = keepalive_expiry

    def __eq__(self, other: typing.Any) -> bool:
        return (
            isinstance(other, self.__class__)
            and self.max_connections == other.max_connections
            and self.max_keepalive_connections == other.max_keepalive_connections
            and self.keepalive_expiry == other.keepalive_expiry
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(max_connections={self.max_connections}, "
            f"max_keepalive_connections={self.max_keepalive_connections}, "
            f"keepalive_expiry={self.keepalive_expiry})"
        )


# httpx refuses socks4 and socks4a; faststream speaks them too (an addition, nothing removed).
_PROXY_SCHEMES = ("http", "https", "socks4", "socks4a", "socks5", "socks5h")


class Proxy:
    """A proxy server: its URL, credentials, extra headers and TLS context.

    Credentials in the URL (`http://user:pass@proxy:8080`) are moved to `auth` and removed
    from `url`; they win over an `auth=` argument. Only http, https, socks4, socks4a, socks5
    and socks5h proxies exist (`ValueError` otherwise).

    SOCKS proxies (the `socks` extra): `socks5h` and `socks4a` send the host name to the
    proxy, which resolves it; `socks5` and `socks4` resolve it locally and send an address.
    SOCKS4 connects to IPv4 addresses only (an IPv6 target is a `ProxyError`), and it has a
    user id but no password: the user name is sent as the user id, a password is ignored
    (as curl does).
    """

    def __init__(
        self,
        url: URL | str,
        *,
        ssl_context: ssl.SSLContext | None = None,
        auth: tuple[str, str] | None = None,
        headers: HeaderTypes | None = None,
    ) -> None:
        proxy_url = URL(url)
        proxy_headers = Headers(headers)
        if proxy_url.scheme not in _PROXY_SCHEMES:
            raise ValueError(f"Unknown scheme for proxy URL {proxy_url!r}")
        if proxy_url.username or proxy_url.password:
            auth = (proxy_url.username, proxy_url.password)
            proxy_url = proxy_url.copy_with(username=None, password=None)
        self.url = proxy_url
        self.auth = auth
        self.headers = proxy_headers
        self.ssl_context = ssl_context

    @property
    def raw_auth(self) -> tuple[bytes, bytes] | None:
        """`auth` as UTF-8 bytes, or None."""
        if self.auth is None:
            return None
        return (self.auth[0].encode("utf-8"), self.auth[1].encode("utf-8"))

    def __repr__(self) -> str:
        text = f"Proxy({str(self.url)!r}"
        if self.auth:
            text += f", auth={(self.auth[0], '********')!r}"
        if self.headers:
            # Deviation: httpx shows these values in clear; faststream masks the
            # credentials (Proxy-Authorization, Authorization) as the password is masked.
            shown = {
                name: "[secure]" if name in SENSITIVE_HEADERS else value
                for name, value in self.headers.items()
            }
            text += f", headers={shown!r}"
        return text + ")"


DEFAULT_TIMEOUT_CONFIG = Timeout(timeout=5.0)
DEFAULT_LIMITS = Limits(max_connections=100, max_keepalive_connections=20)
DEFAULT_MAX_REDIRECTS = 20

# Protocol versions below TLS 1.2 are broken; a context faststream creates never allows
# them, whatever the local OpenSSL configuration says.
_WEAK_TLS_VERSIONS = frozenset(
    {
        ssl.TLSVersion.MINIMUM_SUPPORTED,
        ssl.TLSVersion.SSLv3,
        ssl.TLSVersion.TLSv1,
        ssl.TLSVersion.TLSv1_1,
    }
)

_VERIFY_STR_DEPRECATED = (
    "`verify=<str>` is deprecated. Use `verify=ssl.create_default_context(cafile=...)` "
    "or `verify=ssl.create_default_context(capath=...)` instead."
)
# The missing space after "instead," is httpx's exact text.
_CERT_DEPRECATED = (
    "`cert=...` is deprecated. Use `verify=<ssl_context>` instead,"
    "with `.load_cert_chain()` to configure the certificate chain."
)


def create_ssl_context(
    verify: ssl.SSLContext | str | os.PathLike[str] | bool | None = True,
    cert: CertTypes | None = None,
    trust_env: bool = True,
) -> ssl.SSLContext:
    """The TLS context for `verify` (and the deprecated `cert`).

    * `True`: verify certificates and host names against the CA bundle named by the
      `SSL_CERT_FILE` environment variable, else the directory `SSL_CERT_DIR`, else
      certifi's -- the variables only when `trust_env`. `None` means the same (with httpx,
      `verify=None` ends up verifying against certifi in the transport).
    * `False`: no verification at all (`CERT_NONE`, no host name check).
    * a path to a CA file or directory (deprecated, `DeprecationWarning`).
    * an `ssl.SSLContext`: returned as it is (`cert`, if given, is loaded into it).

    Contexts created here refuse protocol versions older than TLS 1.2.
    """
    if verify is True or verify is None:
        if trust_env and os.environ.get("SSL_CERT_FILE"):
            context = ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
        elif trust_env and os.environ.get("SSL_CERT_DIR"):
            context = ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
        else:
            import certifi

            context = ssl.create_default_context(cafile=certifi.where())
        _require_modern_tls(context)
    elif verify is False:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        _require_modern_tls(context)
    elif isinstance(verify, (str, os.PathLike)):
        # httpx accepts `str` only (any other object is returned as the "context"); a
        # path-like object is treated the same way here.
        warnings.warn(_VERIFY_STR_DEPRECATED, DeprecationWarning, stacklevel=2)
        path = os.fspath(verify)
        if os.path.isdir(path):
            context = ssl.create_default_context(capath=path)
        else:
            context = ssl.create_default_context(cafile=path)
        _require_modern_tls(context)
    elif isinstance(verify, ssl.SSLContext):
        context = verify
    else:
        # httpx returns such an object unchanged, to fail later in the transport.
        raise TypeError(
            f"verify must be True, False, a path or an ssl.SSLContext, not {type(verify)}"
        )

    if cert:
        # httpx skips `cert` (silently) when `verify` is a path; faststream loads it
        # whatever `verify` is: a client certificate that was asked for is never dropped.
        warnings.warn(_CERT_DEPRECATED, DeprecationWarning, stacklevel=2)
        if isinstance(cert, str):
            context.load_cert_chain(cert)
        else:
            context.load_cert_chain(*cert)
    return context


def _require_modern_tls(context: ssl.SSLContext) -> None:
    if context.minimum_version in _WEAK_TLS_VERSIONS:
        context.minimum_version = ssl.TLSVersion.TLSv1_2
