"""`Headers`: a case-insensitive multi-dict of HTTP header fields, as in httpx 0.28.1.

Every field is kept as raw bytes, in the order it was added and with the case it was given:
`raw` returns exactly what will be written on the wire. Lookups ignore case; reading a name
that occurs several times joins its values with `", "`.

Str names and values are encoded with the `encoding` given to the constructor, else ASCII.
Reading decodes with `encoding`: unless it was set, it is detected once (and then kept) from
the bytes held at that moment: ASCII if they all are, else UTF-8 if they all decode, else
ISO-8859-1. `headers["x"] = "..."` encodes with the encoding known at that moment, else UTF-8.
Those are httpx's rules, quirks included.

Hardening against header injection: httpx accepts any bytes here and only its transport (h11)
refuses, when the request is sent, a name that is not an RFC 9110 token or a value holding a
line break or NUL. faststream refuses them as soon as they enter a `Headers` -- the
constructor, `__setitem__`, `update()` -- with the same `LocalProtocolError` and message
("Illegal header name b'...'", "Illegal header value b'...'"), so no `Headers` object can
ever carry a header-injection payload to any serialisation path. Other value defects h11
refuses (leading or trailing whitespace, a vertical tab, a form feed) are kept here, as
httpx keeps them, and are refused when the request head is serialised for sending (with h11's
rules and message, `LocalProtocolError`).
"""

from __future__ import annotations

import re
import typing
from collections.abc import (
    ItemsView,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    MutableMapping,
    ValuesView,
)

from ._exceptions import LocalProtocolError

if typing.TYPE_CHECKING:
    from ._types import HeaderTypes

__all__ = ["SENSITIVE_HEADERS", "Headers"]

# Values shown as "[secure]" by `repr()`.
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization"})

# RFC 9110 section 5.6.2 token, the rule h11 applies to names it sends and receives.
_TOKEN = re.compile(rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+")
# Bytes that end a header line (or a C string) can never be part of a field value.
_LINE_BREAK_OR_NUL = re.compile(rb"[\r\n\x00]")

# One field: (name as given, lower-cased name, value).
_Field = tuple[bytes, bytes, bytes]

# Bits of `Headers._marks`, as `_cstream.ResponseHeadParser` reports them for a head's fields.
MARK_SET_COOKIE = 1  # a Set-Cookie or Set-Cookie2 field
MARK_CONTENT_ENCODING = 2  # a Content-Encoding field


def _encode_name(name: object, encoding: str | None) -> bytes:
    if isinstance(name, bytes):
        raw = name
    elif isinstance(name, str):
        raw = name.encode(encoding or "ascii")
    else:
        raise TypeError(f"Header name must be str or bytes, not {type(name)}")
    if _TOKEN.fullmatch(raw) is None:
        raise LocalProtocolError(f"Illegal header name {raw!r}")
    return raw


def _encode_value(value: object, encoding: str | None) -> bytes:
    if isinstance(value, bytes):
        raw = value
    elif isinstance(value, str):
        raw = value.encode(encoding or "ascii")
    else:
        raise TypeError(f"Header value must be str or bytes, not {type(value)}")
    if _LINE_BREAK_OR_NUL.search(raw) is not None:
        raise LocalProtocolError(f"Illegal header value {raw!r}")
    return raw


def _pairs(headers: object) -> Iterable[tuple[object, object]]:
    if isinstance(headers, Mapping):
        return typing.cast("Iterable[tuple[object, object]]", headers.items())
    return typing.cast("Iterable[tuple[object, object]]", headers)


def _detect_encoding(fields: list[_Field]) -> str:
    # Names are tokens (ASCII), so only the values decide.
    for field in fields:
        if not field[2].isascii():
            break
    else:
        return "ascii"
    try:
        for _, _, value in fields:
            value.decode("utf-8")
    except UnicodeDecodeError:
        return "iso-8859-1"
    return "utf-8"


class Headers(MutableMapping[str, str]):
    """HTTP headers: a case-insensitive, order-keeping multi-dict.

    ```
    h = Headers([("Accept", "text/html"), ("accept", "application/json")])
    h["ACCEPT"]             # 'text/html, application/json'
    h.get_list("accept")    # ['text/html', 'application/json']
    h.raw                   # [(b'Accept', b'text/html'), (b'accept', b'application/json')]
    len(h)                  # 2 -- the number of fields, not of distinct names
    ```
    """

    # The `MARK_*` names that may be present: exactly those present for fields as a head
    # parser reported them (`_from_parsed`), every bit (-1) for any other `Headers` and as
    # soon as the fields change, so a clear bit always means "no such field". A response's
    # per-request checks read it before scanning the fields.
    _marks = -1

    def __init__(self, headers: HeaderTypes | None = None, encoding: str | None = None) -> None:
        self._fields: list[_Field]
        # True when the encoding was chosen (argument or setter) rather than detected.
        self._chosen = encoding is not None
        if isinstance(headers, Headers):
            # Already validated: copy the fields; the encoding is detected anew.
            self._fields = list(headers._fields)
        else:
            self._fields = []
            if headers is not None:
                for name, value in _pairs(headers):
                    raw_name = _encode_name(name, encoding)
                    raw_value = _encode_value(value, encoding)
                    self._fields.append((raw_name, raw_name.lower(), raw_value))
        self._encoding = encoding

    @classmethod
    def _from_parsed(cls, fields: list[tuple[bytes, bytes, bytes]], marks: int = -1) -> Headers:
        """Headers from `(raw name, lowercased name, value)` triples a head parser has
        validated already, taken as they are; `marks`, the `MARK_*` names among them."""
        headers = cls.__new__(cls)
        headers._fields = fields
        headers._marks = marks
        headers._encoding = None
        headers._chosen = False
        return headers

    @property
    def encoding(self) -> str:
        """The text encoding of names and values (detected on first use, then kept)."""
        if self._encoding is None:
            self._encoding = _detect_encoding(self._fields)
        return self._encoding

    @encoding.setter
    def encoding(self, value: str) -> None:
        self._encoding = value
        self._chosen = True

    @property
    def raw(self) -> list[tuple[bytes, bytes]]:
        """The fields as `(name, value)` bytes, names in their original case."""
        return [(raw_name, value) for raw_name, _, value in self._fields]

    def _merged(self) -> dict[str, str]:
        encoding = self.encoding
        grouped: dict[str, list[str]] = {}
        for _, name, value in self._fields:
            grouped.setdefault(name.decode(encoding), []).append(value.decode(encoding))
        return {name: ", ".join(values) for name, values in grouped.items()}

    def keys(self) -> KeysView[str]:
        """The distinct names, lower-cased, in order of first appearance."""
        encoding = self.encoding
        return {name.decode(encoding): None for _, name, _ in self._fields}.keys()

    def values(self) -> ValuesView[str]:
        """One value per distinct name; repeated fields joined with `", "`."""
        return self._merged().values()

    def items(self) -> ItemsView[str, str]:
        """`(name, value)` per distinct name; repeated fields joined with `", "`."""
        return self._merged().items()

    def multi_items(self) -> list[tuple[str, str]]:
        """Every field as `(lower-cased name, value)`, repeated names kept apart."""
        encoding = self.encoding
        return [(name.decode(encoding), value.decode(encoding)) for _, name, value in self._fields]

    def _lookup(self, key: object) -> bytes | None:
        """The lower-cased wire form of `key`, or None if no field can have that name."""
        encoding = self.encoding
        if isinstance(key, str):
            try:
                return key.lower().encode(encoding)
            except UnicodeEncodeError:
                return None
        if isinstance(key, bytes):
            return key.lower()
        return None

    def get(self, key: str, default: typing.Any = None) -> typing.Any:
        """The value for `key` (case-insensitive, repeats joined), else `default`."""
        try:
            return self[key]
        except KeyError:
            return default

    def get_list(self, key: str, split_commas: bool = False) -> list[str]:
        """Every value of `key`, one per field; with `split_commas`, also split on commas
        and stripped (`"a, b"` -> `["a", "b"]`)."""
        target = self._lookup(key)
        encoding = self.encoding
        values = [value.decode(encoding) for _, name, value in self._fields if name == target]
        if not split_commas:
            return values
        return [part.strip() for value in values for part in value.split(",")]

    def update(self, headers: HeaderTypes | None = None) -> None:  # type: ignore[override]
        """Replace every name present in `headers`; its fields are appended at the end."""
        if headers is None:
            return
        incoming = Headers(headers)
        if not incoming._fields:
            return
        self.encoding  # noqa: B018 -- httpx settles the encoding here; keep its effects
        replaced = {name for _, name, _ in incoming._fields}
        self._marks = -1
        self._fields = [field for field in self._fields if field[1] not in replaced]
        self._fields.extend(incoming._fields)

    def copy(self) -> Headers:
        return Headers(self, encoding=self.encoding)

    def __getitem__(self, key: str) -> str:
        target = self._lookup(key)
        encoding = self.encoding
        values = [value.decode(encoding) for _, name, value in self._fields if name == target]
        if not values:
            raise KeyError(key)
        return ", ".join(values)

    def __setitem__(self, key: str, value: str) -> None:
        """Set one field for `key`: the first field of that name is replaced in place and
        any later ones are removed; a new name is appended."""
        encoding = self._encoding or "utf-8"
        raw_name = _encode_name(key, encoding)
        raw_value = _encode_value(value, encoding)
        name = raw_name.lower()
        fields: list[_Field] = []
        placed = False
        for field in self._fields:
            if field[1] != name:
                fields.append(field)
            elif not placed:
                fields.append((raw_name, name, raw_value))
                placed = True
        if not placed:
            fields.append((raw_name, name, raw_value))
        self._marks = -1
        self._fields = fields

    def __delitem__(self, key: str) -> None:
        target = self._lookup(key)
        kept = [field for field in self._fields if field[1] != target]
        if len(kept) == len(self._fields):
            raise KeyError(key)
        self._marks = -1
        self._fields = kept

    def _prepend(self, fields: list[tuple[bytes, bytes]]) -> None:
        """Put `fields` (validated `(name, value)` bytes) first, in order. The encoding is
        detected anew, as for `Headers(fields + self.raw)`."""
        self._marks = -1
        # A new list, as on every change after construction: a client keeps what it found in
        # its headers' fields per list (`BaseClient._scan_fields`), so a list is never edited.
        self._fields = [(name, name.lower(), value) for name, value in fields] + self._fields
        if not self._chosen:
            self._encoding = None

    def _has_any(self, names: frozenset[bytes]) -> bool:
        """Whether a field has one of `names` (lower-cased bytes)."""
        for field in self._fields:
            if field[1] in names:
                return True
        return False

    def __contains__(self, key: object) -> bool:
        target = self._lookup(key)
        for field in self._fields:
            if field[1] == target:
                return True
        return False

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._fields)

    def __eq__(self, other: object) -> bool:
        # Compared as multisets of (lower-cased name, value) bytes, so order and case of
        # names do not matter. Anything `Headers()` accepts can be compared; what it cannot
        # be turned into (or holds non-ASCII str) is unequal.
        mine = sorted((name, value) for _, name, value in self._fields)
        if isinstance(other, Headers):
            return mine == sorted((name, value) for _, name, value in other._fields)
        if other is None:
            return not mine
        try:
            theirs = sorted(_comparable(other))
        except (TypeError, ValueError, AttributeError):
            return False
        return mine == theirs

    def __repr__(self) -> str:
        encoding = self.encoding
        suffix = "" if encoding == "ascii" else f", encoding={encoding!r}"
        items = [
            (name, "[secure]" if name in SENSITIVE_HEADERS else value)
            for name, value in self.multi_items()
        ]
        as_dict = dict(items)
        shown: object = as_dict if len(as_dict) == len(items) else items
        return f"{type(self).__name__}({shown!r}{suffix})"


def _comparable(headers: object) -> list[tuple[bytes, bytes]]:
    """`headers` as (lower-cased name, value) bytes, without validation (for `==`)."""
    out = []
    for name, value in _pairs(headers):
        raw_name = name if isinstance(name, bytes) else typing.cast(str, name).encode("ascii")
        if not isinstance(value, (bytes, str)):
            raise TypeError(f"Header value must be str or bytes, not {type(value)}")
        raw_value = value if isinstance(value, bytes) else value.encode("ascii")
        out.append((raw_name.lower(), raw_value))
    return out
