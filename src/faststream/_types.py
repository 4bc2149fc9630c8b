"""Type aliases for the arguments the public API accepts (httpx 0.28.1's names).

Only aliases live here; the classes they name are imported for type checking only, so
importing this module never imports the models (and cannot create an import cycle).
`QueryParamTypes` and `PrimitiveData` live in `_urls`, next to `QueryParams`.
"""

from __future__ import annotations

import typing
from collections.abc import AsyncIterable, Iterable, Mapping, Sequence
from http.cookiejar import CookieJar
from typing import IO, Any, Optional, Union

if typing.TYPE_CHECKING:
    from ._config import Proxy, Timeout
    from ._cookies import Cookies
    from ._headers import Headers
    from ._urls import URL

__all__ = [
    "CertTypes",
    "CookieTypes",
    "FileContent",
    "FileTypes",
    "HeaderTypes",
    "ProxyTypes",
    "RequestContent",
    "RequestData",
    "RequestExtensions",
    "RequestFiles",
    "ResponseContent",
    "ResponseExtensions",
    "TimeoutTypes",
    "URLTypes",
]

# The aliases are evaluated at run time, where `"Headers" | str` is not valid, so they
# are spelled with `Union`/`Optional` rather than with `|`.
# ruff: noqa: UP007, UP045

URLTypes = Union["URL", str]

HeaderTypes = Union[
    "Headers",
    Mapping[str, str],
    Mapping[bytes, bytes],
    Sequence[tuple[str, str]],
    Sequence[tuple[bytes, bytes]],
]

CookieTypes = Union["Cookies", CookieJar, Mapping[str, str], Sequence[tuple[str, str]]]

# `Timeout((connect, read))` and `Timeout((connect, read, write))` are accepted too: the
# missing values are `None` (no timeout).
TimeoutTypes = Union[
    Optional[float],
    tuple[Optional[float], Optional[float]],
    tuple[Optional[float], Optional[float], Optional[float]],
    tuple[Optional[float], Optional[float], Optional[float], Optional[float]],
    "Timeout",
]

ProxyTypes = Union["URL", str, "Proxy"]

# Deprecated in httpx 0.28 (`cert=`): a certificate file, (certfile, keyfile) or
# (certfile, keyfile, password).
CertTypes = Union[str, tuple[str, str], tuple[str, str, str]]

RequestContent = Union[str, bytes, Iterable[bytes], AsyncIterable[bytes]]
ResponseContent = Union[str, bytes, Iterable[bytes], AsyncIterable[bytes]]

RequestData = Mapping[str, Any]

FileContent = Union[IO[bytes], bytes, str]
FileTypes = Union[
    # file (or bytes)
    FileContent,
    # (filename, file (or bytes))
    tuple[Optional[str], FileContent],
    # (filename, file (or bytes), content_type)
    tuple[Optional[str], FileContent, Optional[str]],
    # (filename, file (or bytes), content_type, headers)
    tuple[Optional[str], FileContent, Optional[str], Mapping[str, str]],
]
RequestFiles = Union[Mapping[str, FileTypes], Sequence[tuple[str, FileTypes]]]

RequestExtensions = Mapping[str, Any]
ResponseExtensions = Mapping[str, Any]
