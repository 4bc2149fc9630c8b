"""Generate the sync client and transport modules from their async sources.

Client and transport logic is written once, as async code; the sync twin of each source in
`PAIRS` is made from it by the token replacements below, so the two can never drift apart.

    python tools/unasync.py           # rewrite the generated modules
    python tools/unasync.py --check   # exit 1 (and say which) when a generated module is stale

Rules, applied line by line:

* `TOKENS` replaces whole words and phrases (`async def` -> `def`, `await ` -> ``,
  `AsyncClient` -> `Client`, `aclose` -> `close`, ...) and `SPECIAL` whole substrings
  (messages whose sync wording is not a word swap), in one pass over each line.
* A line ending in `# unasync: async-only` is left out of the sync module.
* A comment line `# unasync: sync-only: CODE` becomes `CODE` (same indentation) in the sync
  module, so the two can differ where they must (httpx orders a keyword differently).

Where sync and async genuinely differ (sockets or an event loop, threads or tasks), the
difference lives in the backend modules, never in the generated logic.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "faststream"

PAIRS = [
    (SRC / "_async_client.py", SRC / "_client.py"),
    (SRC / "_transports" / "_async_http11.py", SRC / "_transports" / "_http11.py"),
    (SRC / "_transports" / "_async_http2.py", SRC / "_transports" / "_http2.py"),
    (SRC / "_async_download.py", SRC / "_download.py"),
]

SPECIAL = {
    "Attempted to send an sync request with an AsyncClient instance.": (
        "Attempted to send an async request with a sync Client instance."
    ),
    "The transport returned a response with a sync stream.": (
        "The transport returned a response with an async stream."
    ),
    "typing.AsyncGenerator[bytes, None]": "typing.Generator[bytes, None, None]",
    "current_async_backend()": "SYNC_BACKEND",
    "contextlib.asynccontextmanager": "contextlib.contextmanager",
    "An asynchronous": "A synchronous",
    "an asynchronous": "a synchronous",
    "an async ": "a sync ",
}

TOKENS = {
    "async def": "def",
    "async for": "for",
    "async with": "with",
    "await ": "",
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "__aiter__": "__iter__",
    "__anext__": "__next__",
    "StopAsyncIteration": "StopIteration",
    "AsyncIterator": "Iterator",
    "AsyncIterable": "Iterable",
    "AsyncClient": "Client",
    "AsyncBaseTransport": "BaseTransport",
    "AsyncHTTPTransport": "HTTPTransport",
    "AsyncByteStream": "SyncByteStream",
    "AsyncConnectionPool": "ConnectionPool",
    "AsyncResponseStream": "ResponseStream",
    "AsyncConnection": "Connection",
    "AsyncBackend": "SyncBackend",
    "handle_async_request": "handle_request",
    "async_auth_flow": "sync_auth_flow",
    "asend": "send",
    "aclose": "close",
    "aread": "read",
    "aiter_raw": "iter_raw",
    "aiter_bytes": "iter_bytes",
    "aiter_text": "iter_text",
    "aiter_lines": "iter_lines",
    "_async_http11": "_http11",
    "_async_http2": "_http2",
    "AsyncHTTP2Connection": "HTTP2Connection",
    "AsyncHTTP2Routes": "HTTP2Routes",
    "AsyncHTTP2ResponseStream": "HTTP2ResponseStream",
    "_async_pool": "_pool",
    "_async_download": "_download",
    "_async_client": "_client",
    "current_async_backend": "SYNC_BACKEND",
    "asynchronous": "synchronous",
}

_REPLACEMENTS = {**TOKENS, **SPECIAL}
# One pass, so that no replacement is applied to another's output; at each position the
# longest candidate wins. Phrases are matched as written, names only as whole words.
_TOKEN_RE = re.compile(
    "|".join(
        re.escape(token) if not token.isidentifier() else r"\b" + re.escape(token) + r"\b"
        for token in sorted(_REPLACEMENTS, key=len, reverse=True)
    )
)
_SYNC_ONLY = re.compile(r"^(\s*)# unasync: sync-only: (.*)$")
_ASYNC_ONLY = "# unasync: async-only"


def header(source: Path) -> str:
    name = source.relative_to(ROOT).as_posix()
    return (
        f"# Generated from {name} by tools/unasync.py: edit that file, then run\n"
        "# `python tools/unasync.py`. CI fails when this file differs from what it generates.\n"
    )


def unasync_line(line: str) -> str | None:
    """The sync form of one line of async source (None: the line is left out)."""
    if line.rstrip().endswith(_ASYNC_ONLY):
        return None
    sync_only = _SYNC_ONLY.match(line)
    if sync_only is not None:
        return sync_only.group(1) + sync_only.group(2) + "\n"
    return _TOKEN_RE.sub(lambda match: _REPLACEMENTS[match.group(0)], line)


def generate(source: Path) -> str:
    lines = [header(source)]
    with source.open(encoding="utf-8") as f:
        for line in f:
            converted = unasync_line(line)
            if converted is not None:
                lines.append(converted)
    return "".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="report stale generated modules; write nothing"
    )
    args = parser.parse_args(argv)
    stale = 0
    for source, target in PAIRS:
        expected = generate(source)
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current == expected:
            continue
        if args.check:
            stale += 1
            print(f"{target.relative_to(ROOT)} is stale: run `python tools/unasync.py`")
            diff = difflib.unified_diff(
                current.splitlines(keepends=True),
                expected.splitlines(keepends=True),
                str(target.relative_to(ROOT)),
                "generated",
                n=1,
            )
            sys.stdout.writelines(list(diff)[:40])
        else:
            target.write_text(expected, encoding="utf-8")
            print(f"wrote {target.relative_to(ROOT)}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
