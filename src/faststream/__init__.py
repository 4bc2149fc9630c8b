"""faststream: an HTTP client with httpx's API and a compiled streaming core.

``import faststream as httpx`` is meant to keep code written for httpx 0.28 working. Every
submodule is private (underscored); this namespace is the public API, and `__all__` lists
exactly its public names.

PYTEST_DONT_REWRITE: faststream ships a pytest plugin, so pytest would rewrite this module's
asserts and add its helper names to this namespace, which must hold the public names only.
"""

# First, before anything else runs: importing _clash raises ImportError when FastStream (the
# messaging framework, same import name) is installed alongside.
from . import _clash  # noqa: F401  # isort: split

# isort: split
# Second: the finder that loads the .py sources of faststream's compiled modules when
# FASTSTREAM_NO_EXTENSIONS is set; it must be in place before any other submodule is imported.
from . import _purepy  # noqa: F401

# isort: split

# `request` is bound before `Request`, as in httpx: `__all__` is sorted with str.casefold and
# names equal under casefold keep the module's definition order (a stable sort of `vars()`).
from ._api import delete, get, head, options, patch, post, put, request, stream
from ._async_client import AsyncClient
from ._auth import Auth, BasicAuth, DigestAuth, NetRCAuth
from ._client import Client
from ._compiled import compiled
from ._config import USE_CLIENT_DEFAULT, Limits, Proxy, Timeout, create_ssl_context
from ._cookies import Cookies
from ._download_base import DownloadProgress, DownloadResult, download
from ._exceptions import (
    ChecksumMismatch,
    CloseError,
    ConnectError,
    ConnectTimeout,
    CookieConflict,
    DecodingError,
    HTTPError,
    HTTPStatusError,
    InvalidURL,
    LocalProtocolError,
    NetworkError,
    PoolTimeout,
    ProtocolError,
    ProxyError,
    ReadError,
    ReadTimeout,
    RemoteProtocolError,
    RequestError,
    RequestNotRead,
    ResponseNotRead,
    ResponseTooLarge,
    SSEError,
    StreamClosed,
    StreamConsumed,
    StreamError,
    TimeoutException,
    TooManyRedirects,
    TransportError,
    UnsupportedProtocol,
    WriteError,
    WriteTimeout,
)
from ._headers import Headers
from ._main import main
from ._models import Request, Response
from ._sse import EventSource, ServerSentEvent, aconnect_sse, connect_sse
from ._status_codes import codes
from ._streams import AsyncByteStream, ByteStream, SyncByteStream
from ._transports._asgi import ASGITransport
from ._transports._async_http11 import AsyncHTTPTransport
from ._transports._base import AsyncBaseTransport, BaseTransport
from ._transports._http11 import HTTPTransport
from ._transports._mock import MockTransport
from ._transports._wsgi import WSGITransport
from ._urls import URL, QueryParams
from ._version import __description__, __title__, __version__

__all__ = [
    "__description__",
    "__title__",
    "__version__",
    "aconnect_sse",
    "ASGITransport",
    "AsyncBaseTransport",
    "AsyncByteStream",
    "AsyncClient",
    "AsyncHTTPTransport",
    "Auth",
    "BaseTransport",
    "BasicAuth",
    "ByteStream",
    "ChecksumMismatch",
    "Client",
    "CloseError",
    "codes",
    "compiled",
    "connect_sse",
    "ConnectError",
    "ConnectTimeout",
    "CookieConflict",
    "Cookies",
    "create_ssl_context",
    "DecodingError",
    "delete",
    "DigestAuth",
    "download",
    "DownloadProgress",
    "DownloadResult",
    "EventSource",
    "get",
    "head",
    "Headers",
    "HTTPError",
    "HTTPStatusError",
    "HTTPTransport",
    "InvalidURL",
    "Limits",
    "LocalProtocolError",
    "main",
    "MockTransport",
    "NetRCAuth",
    "NetworkError",
    "options",
    "patch",
    "PoolTimeout",
    "post",
    "ProtocolError",
    "Proxy",
    "ProxyError",
    "put",
    "QueryParams",
    "ReadError",
    "ReadTimeout",
    "RemoteProtocolError",
    "request",
    "Request",
    "RequestError",
    "RequestNotRead",
    "Response",
    "ResponseNotRead",
    "ResponseTooLarge",
    "ServerSentEvent",
    "SSEError",
    "stream",
    "StreamClosed",
    "StreamConsumed",
    "StreamError",
    "SyncByteStream",
    "Timeout",
    "TimeoutException",
    "TooManyRedirects",
    "TransportError",
    "UnsupportedProtocol",
    "URL",
    "USE_CLIENT_DEFAULT",
    "WriteError",
    "WriteTimeout",
    "WSGITransport",
]

# As httpx does: exported objects report the package as their module (reprs, pickling paths).
_locals = locals()
for _name in __all__:
    if not _name.startswith("__"):
        _locals[_name].__module__ = "faststream"
del _locals, _name

# faststream as an httpx (or httpx2) transport, for code that requires an `httpx.Client` (or
# an `httpx2.Client`): imported on first use, because each imports its library, which
# faststream never depends on. Not in `__all__` (a star import must need neither) and not
# cached in the namespace, which holds exactly `__all__`'s names.
import typing as _typing  # noqa: E402

if _typing.TYPE_CHECKING:
    from ._httpx2_transport import (
        AsyncHTTPX2Transport as AsyncHTTPX2Transport,
        HTTPX2Transport as HTTPX2Transport,
    )
    from ._httpx_transport import (
        AsyncHTTPXTransport as AsyncHTTPXTransport,
        HTTPXTransport as HTTPXTransport,
    )
else:
    # lazy name: (the library it needs, faststream's module that binds it)
    _TRANSPORTS = {
        "HTTPXTransport": ("httpx", "_httpx_transport"),
        "AsyncHTTPXTransport": ("httpx", "_httpx_transport"),
        "HTTPX2Transport": ("httpx2", "_httpx2_transport"),
        "AsyncHTTPX2Transport": ("httpx2", "_httpx2_transport"),
    }

    def __getattr__(name: str) -> object:
        if name in _TRANSPORTS:
            import importlib

            library, module = _TRANSPORTS[name]
            try:
                importlib.import_module(library)
            except ImportError:
                raise ImportError(
                    f"faststream.{name} is faststream as an {library} transport and needs "
                    f"{library}: pip install {library}"
                ) from None
            return getattr(importlib.import_module(f".{module}", __name__), name)
        raise AttributeError(f"module 'faststream' has no attribute {name!r}")


del _typing
