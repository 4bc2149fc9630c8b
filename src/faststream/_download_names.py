"""File names and the response headers a download reads.

A name taken from a response (``Content-Disposition``, else the URL's last path segment) is
reduced by `safe_filename` so that it can only ever name a file inside the directory the
caller gave; ``Content-Range``, the validator (strong ETag, else Last-Modified) and the
`checksum` argument are parsed here, and malformed values come back as None.
"""

from __future__ import annotations

import hashlib
import re
import typing
import unicodedata
from urllib.parse import unquote, unquote_to_bytes

if typing.TYPE_CHECKING:
    from ._response import Response

__all__ = [
    "filename_from_disposition",
    "parse_checksum",
    "parse_content_range",
    "safe_filename",
    "target_name",
    "validator_of",
]

MAX_NAME_BYTES = 200  # well under every common file system's 255-byte name limit


# -- names ---------------------------------------------------------------------------------

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.IGNORECASE)


def safe_filename(name: str | None) -> str | None:
    """`name` reduced to a plain file name, or None when nothing usable is left.

    Percent-escapes are decoded first (so ``%2e%2e%2f`` is seen as ``../``); only the last
    component after any ``/`` or ``\\`` is kept; control characters, a drive prefix and
    characters Windows refuses become ``_``; leading dots and trailing dots and spaces go; the
    result is at most `MAX_NAME_BYTES` UTF-8 bytes, with its extension kept when it can be.
    """
    if not name:
        return None
    name = unquote(name)
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[/\\]", name)[-1]
    if len(name) >= 2 and name[1] == ":" and name[0].isalpha():
        name = name[2:]  # a drive: C:x
    name = _UNSAFE.sub("_", name)
    name = name.lstrip(". ").rstrip(". ")
    if not name.strip("_") or name in (".", ".."):
        return None
    if _WINDOWS_RESERVED.match(name):
        name = "_" + name
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        stem, dot, ext = name.rpartition(".")
        if not dot or len(ext.encode("utf-8")) > 16:
            stem, ext = name, ""
        ext = "." + ext if ext else ""
        room = MAX_NAME_BYTES - len(ext.encode("utf-8"))
        stem = stem.encode("utf-8")[:room].decode("utf-8", "ignore")
        name = stem + ext
    return name


def _disposition_params(value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for match in re.finditer(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)', value):
        key, raw = match.group(1).lower(), match.group(2).strip()
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params.setdefault(key, raw)
    return params


def filename_from_disposition(value: str | None) -> str | None:
    """The file name a ``Content-Disposition`` value offers: ``filename*`` (RFC 8187
    ``charset'lang'pct-encoded``) first, then ``filename``; not yet made safe."""
    if not value:
        return None
    params = _disposition_params(value)
    extended = params.get("filename*")
    if extended:
        charset, _, rest = extended.partition("'")
        _, _, encoded = rest.partition("'")
        try:
            return unquote_to_bytes(encoded).decode(charset or "utf-8")
        except (LookupError, UnicodeDecodeError):
            pass
    plain = params.get("filename")
    if plain is not None:
        return plain
    return None


def target_name(response: Response) -> str:
    """The file name to store `response` under, inside a directory the caller gave."""
    for candidate in (
        filename_from_disposition(response.headers.get("content-disposition")),
        response.url.path.rsplit("/", 1)[-1],
    ):
        name = safe_filename(candidate)
        if name is not None:
            return name
    return "download"


# -- headers -------------------------------------------------------------------------------

_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)
UNSATISFIED_RANGE = re.compile(r"^\s*bytes\s+\*/(\d+)\s*$", re.IGNORECASE)


def parse_content_range(value: str | None) -> tuple[int, int, int | None] | None:
    """(first, last, total or None) of ``bytes first-last/total``; None when malformed."""
    match = _CONTENT_RANGE.match(value or "")
    if match is None:
        return None
    first, last = int(match.group(1)), int(match.group(2))
    total = None if match.group(3) == "*" else int(match.group(3))
    if last < first or (total is not None and last >= total):
        return None
    return first, last, total


def validator_of(response: Response) -> tuple[str, str] | None:
    """("If-Range" value, kind): a strong ETag, else Last-Modified, else None."""
    etag = response.headers.get("etag")
    if etag and not etag.startswith("W/"):
        return etag, "etag"
    modified = response.headers.get("last-modified")
    if modified:
        return modified, "last-modified"
    return None


def is_coded(response: Response) -> bool:
    """Whether the body is content-coded: its bytes on the wire are not the stored bytes."""
    return response.headers.get("content-encoding", "identity").strip().lower() not in (
        "",
        "identity",
    )


def parse_checksum(checksum: str | None) -> tuple[str, str] | None:
    """(algorithm, hex digest) of ``<algorithm>:<hex digest>``; ValueError when malformed."""
    if checksum is None:
        return None
    algorithm, sep, digest = checksum.partition(":")
    if not sep or not digest:
        raise ValueError(f"checksum must be '<algorithm>:<hex digest>', not {checksum!r}")
    algorithm = algorithm.strip().lower()
    try:
        hashlib.new(algorithm)
    except ValueError:
        raise ValueError(f"unknown checksum algorithm {algorithm!r}") from None
    return algorithm, digest.strip().lower()
