"""`URL` and `QueryParams`, with httpx 0.28.1's behaviour.

Both are immutable: every "change" returns a new object. Parsing and normalisation
live in `_urlparse`; this module is the public face (typed keyword components,
decoded properties, query-string handling).
"""

from __future__ import annotations

import functools
import typing
from collections.abc import ItemsView, KeysView, Mapping, Sequence, ValuesView
from urllib.parse import parse_qsl, unquote, urlencode, urljoin

import idna

from ._urlparse import URLParts, render, urlparse

# URLParts is immutable: a client sending to the same URL again skips the parse (which checks
# the host with `ipaddress`/`idna`). Failed parses raise and are not cached.
_parse_cached = functools.lru_cache(maxsize=512)(urlparse)

# Only the public names: `faststream/__init__.py` may star-import this module.
__all__ = ["URL", "QueryParams"]

# The keyword arguments `URL()` and `URL.copy_with()` accept, and their types.
_COMPONENT_TYPES: dict[str, type] = {
    "scheme": str,
    "username": str,
    "password": str,
    "userinfo": bytes,
    "host": str,
    "port": int,
    "netloc": bytes,
    "path": str,
    "query": bytes,
    "raw_path": bytes,
    "fragment": str,
    "params": object,
}


class URL:
    """A parsed, normalised URL.

    ```
    url = URL("https://user:pass@例え.jp:443/a/../b c?q=1#top")
    str(url)       # 'https://user:pass@xn--r8jz45g.jp/b%20c?q=1#top'
    url.host       # '例え.jp'          url.raw_host  b'xn--r8jz45g.jp'
    url.port       # None (443 is the default port for https)
    url.path       # '/b c'              url.raw_path  b'/b%20c?q=1'
    url.params     # QueryParams('q=1')
    ```

    Keyword arguments replace components: `scheme`, `host`, `path`, `fragment`,
    `username`, `password` (str); `port` (int); `userinfo`, `netloc`, `query`,
    `raw_path` (bytes); `params` (anything `QueryParams` accepts; replaces the query).
    """

    __slots__ = ("_parts", "_text")

    def __init__(self, url: URL | str = "", **kwargs: typing.Any) -> None:
        components: dict[str, str | None] = {}
        if kwargs:
            for key, value in kwargs.items():
                expected = _COMPONENT_TYPES.get(key)
                if expected is None:
                    raise TypeError(f"{key!r} is an invalid keyword argument for URL()")
                if value is not None and not isinstance(value, expected):
                    raise TypeError(
                        f"Argument {key!r} must be {expected.__name__} "
                        f"but got {type(value).__name__}"
                    )
                if key == "params":
                    continue
                if isinstance(value, bytes):
                    value = value.decode("ascii")
                elif isinstance(value, int):
                    # As in httpx, `port=True` passes the type check and then fails
                    # as "Invalid port: 'True'".
                    value = str(value)
                components[key] = value
            if "params" in kwargs:
                # `params` replaces the query, even one given as `query=`.
                params = kwargs["params"]
                components.pop("query", None)
                components["query"] = str(QueryParams(params)) if params else None

        if isinstance(url, str):
            self._parts: URLParts = (
                urlparse(url, **components) if components else _parse_cached(url)
            )
        elif isinstance(url, URL):
            self._parts = url._parts.copy_with(**components)
        else:
            # httpx's message, word for word (it names httpx.URL).
            raise TypeError(
                f"Invalid type for url.  Expected str or httpx.URL, got {type(url)}: {url!r}"
            )
        self._text: str | None = None

    @property
    def scheme(self) -> str:
        """The URL scheme, lower-cased: `"http"`, `"https"`, or `""` for a relative URL."""
        return self._parts.scheme

    @property
    def raw_scheme(self) -> bytes:
        return self._parts.scheme.encode("ascii")

    @property
    def userinfo(self) -> bytes:
        """The percent-encoded `user:password` part, as bytes (`b""` when absent)."""
        return self._parts.userinfo.encode("ascii")

    @property
    def username(self) -> str:
        """The user name, percent-decoded."""
        return unquote(self._parts.userinfo.partition(":")[0])

    @property
    def password(self) -> str:
        """The password, percent-decoded."""
        return unquote(self._parts.userinfo.partition(":")[2])

    @property
    def host(self) -> str:
        """The host, lower-cased, IDNA hosts decoded to unicode, IPv6 without brackets.

        `URL("https://例え.jp").host == "例え.jp"`; `URL("http://[::1]").host == "::1"`.
        """
        host = self._parts.host
        if host.startswith("xn--"):
            host = idna.decode(host)
        return host

    @property
    def raw_host(self) -> bytes:
        """The host as sent on the wire: IDNA hosts in punycode, as bytes."""
        return self._parts.host.encode("ascii")

    @property
    def port(self) -> int | None:
        """The port, or `None` when absent or the scheme's default (`http://a:80` -> `None`)."""
        return self._parts.port

    @property
    def netloc(self) -> bytes:
        """`host[:port]` as bytes, with IPv6 hosts in brackets; no userinfo."""
        return self._parts.netloc.encode("ascii")

    @property
    def path(self) -> str:
        """The path, percent-decoded; `"/"` when empty."""
        return unquote(self._parts.path or "/")

    @property
    def query(self) -> bytes:
        """The percent-encoded query string, without `?`, as bytes."""
        return (self._parts.query or "").encode("ascii")

    @property
    def params(self) -> QueryParams:
        """The query string parsed into a `QueryParams`."""
        return QueryParams(self._parts.query)

    @property
    def raw_path(self) -> bytes:
        """The percent-encoded path and query, as in an HTTP request line."""
        path = self._parts.path or "/"
        if self._parts.query is not None:
            path += "?" + self._parts.query
        return path.encode("ascii")

    @property
    def fragment(self) -> str:
        """The fragment, percent-decoded, without `#`."""
        return unquote(self._parts.fragment or "")

    @property
    def is_absolute_url(self) -> bool:
        """True when the URL has both a scheme and a host."""
        return bool(self._parts.scheme and self._parts.host)

    @property
    def is_relative_url(self) -> bool:
        return not self.is_absolute_url

    def copy_with(self, **kwargs: typing.Any) -> URL:
        """A copy with the given components replaced (the keywords of `URL()`)."""
        return URL(self, **kwargs)

    def copy_set_param(self, key: str, value: typing.Any = None) -> URL:
        return self.copy_with(params=self.params.set(key, value))

    def copy_add_param(self, key: str, value: typing.Any = None) -> URL:
        return self.copy_with(params=self.params.add(key, value))

    def copy_remove_param(self, key: str) -> URL:
        return self.copy_with(params=self.params.remove(key))

    def copy_merge_params(self, params: QueryParamTypes) -> URL:
        return self.copy_with(params=self.params.merge(params))

    def join(self, url: URL | str) -> URL:
        """Resolve `url` against this URL (`urllib.parse.urljoin` rules).

        `URL("https://a/b/c").join("../d") == "https://a/d"`
        """
        return URL(urljoin(str(self), str(URL(url))))

    def __hash__(self) -> int:
        return hash(str(self))

    def __eq__(self, other: typing.Any) -> bool:
        if isinstance(other, URL):
            return str(self) == str(other)
        return isinstance(other, str) and str(self) == str(URL(other))

    def __str__(self) -> str:
        if self._text is None:
            self._text = str(self._parts)
        return self._text

    def __repr__(self) -> str:
        userinfo = self._parts.userinfo
        if ":" in userinfo:
            userinfo = userinfo.partition(":")[0] + ":[secure]"
        return f"{self.__class__.__name__}({render(self._parts, userinfo)!r})"


class QueryParams(Mapping[str, str]):
    """An immutable multi-dict of query parameters.

    Built from a query string (`str` or ASCII `bytes`), a mapping (values may be lists),
    a list of pairs, another `QueryParams`, or keyword arguments. Values that are
    `True`, `False` or `None` become `"true"`, `"false"` and `""`; other values `str()`.
    Indexing, `get()` and `items()` give the first value of a key; `get_list()` and
    `multi_items()` give all of them.
    """

    __slots__ = ("_dict",)

    def __init__(self, *args: QueryParamTypes | None, **kwargs: typing.Any) -> None:
        if len(args) >= 2:
            raise AssertionError("Too many arguments.")
        if args and kwargs:
            raise AssertionError("Cannot mix named and unnamed arguments.")
        value: typing.Any = args[0] if args else kwargs

        self._dict: dict[str, list[str]] = {}
        if value is None or isinstance(value, (str, bytes)):
            text = value.decode("ascii") if isinstance(value, bytes) else value or ""
            for key, item in parse_qsl(text, keep_blank_values=True):
                self._dict.setdefault(key, []).append(item)
        elif isinstance(value, QueryParams):
            self._dict = {key: list(items) for key, items in value._dict.items()}
        else:
            grouped: dict[typing.Any, list[typing.Any]] = {}
            if isinstance(value, (list, tuple)):
                for pair in value:
                    grouped.setdefault(pair[0], []).append(pair[1])
            else:
                for key, items in value.items():
                    grouped[key] = list(items) if isinstance(items, (list, tuple)) else [items]
            self._dict = {
                str(key): [primitive_value_to_str(item) for item in items]
                for key, items in grouped.items()
            }

    def keys(self) -> KeysView[str]:
        """The distinct keys, in first-seen order."""
        return self._dict.keys()

    def values(self) -> ValuesView[str]:
        """The first value of each key."""
        return {key: items[0] for key, items in self._dict.items()}.values()

    def items(self) -> ItemsView[str, str]:
        """`(key, first value)` for each key."""
        return {key: items[0] for key, items in self._dict.items()}.items()

    def multi_items(self) -> list[tuple[str, str]]:
        """Every `(key, value)` pair, grouped by key in first-seen order."""
        return [(key, item) for key, items in self._dict.items() for item in items]

    def get(self, key: typing.Any, default: typing.Any = None) -> typing.Any:
        """The first value of `key`, or `default`."""
        if key in self._dict:
            return self._dict[key][0]
        return default

    def get_list(self, key: str) -> list[str]:
        """Every value of `key` (an empty list when absent)."""
        return list(self._dict.get(str(key), []))

    def set(self, key: str, value: typing.Any = None) -> QueryParams:
        """A copy where `key` has the single value `value`."""
        copy = QueryParams()
        copy._dict = dict(self._dict)
        copy._dict[str(key)] = [primitive_value_to_str(value)]
        return copy

    def add(self, key: str, value: typing.Any = None) -> QueryParams:
        """A copy with `value` appended to the values of `key`."""
        copy = QueryParams()
        copy._dict = dict(self._dict)
        copy._dict[str(key)] = self.get_list(key) + [primitive_value_to_str(value)]
        return copy

    def remove(self, key: str) -> QueryParams:
        """A copy without `key`."""
        copy = QueryParams()
        copy._dict = dict(self._dict)
        copy._dict.pop(str(key), None)
        return copy

    def merge(self, params: QueryParamTypes | None = None) -> QueryParams:
        """A copy where the keys of `params` replace those of this one.

        `QueryParams("a=1").merge({"b": 2}) == QueryParams("a=1&b=2")`
        """
        other = QueryParams(params)
        other._dict = {**self._dict, **other._dict}
        return other

    def __getitem__(self, key: typing.Any) -> str:
        return self._dict[key][0]

    def __contains__(self, key: typing.Any) -> bool:
        return key in self._dict

    def __iter__(self) -> typing.Iterator[typing.Any]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._dict)

    def __bool__(self) -> bool:
        return bool(self._dict)

    def __hash__(self) -> int:
        return hash(str(self))

    def __eq__(self, other: typing.Any) -> bool:
        if not isinstance(other, self.__class__):
            return False
        return sorted(self.multi_items()) == sorted(other.multi_items())

    def __str__(self) -> str:
        return urlencode(self.multi_items())

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({str(self)!r})"

    def update(self, params: QueryParamTypes | None = None) -> None:
        raise RuntimeError(
            "QueryParams are immutable since 0.18.0. "
            "Use `q = q.merge(...)` to create an updated copy."
        )

    def __setitem__(self, key: str, value: str) -> None:
        raise RuntimeError(
            "QueryParams are immutable since 0.18.0. "
            "Use `q = q.set(key, value)` to create an updated copy."
        )


PrimitiveData = str | int | float | bool | None

QueryParamTypes = (
    QueryParams
    | Mapping[str, PrimitiveData | Sequence[PrimitiveData]]
    | list[tuple[str, PrimitiveData]]
    | tuple[tuple[str, PrimitiveData], ...]
    | str
    | bytes
)


def primitive_value_to_str(value: PrimitiveData) -> str:
    """How a query value is written: `true`/`false` for booleans, `""` for None."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    return str(value)
