"""The data model of the wire corpus (corpus.py): `Case`, the requests a case makes (`Req`), the
outcome expected of each (`Ok` / `Raises`), and checks on what the server received (`Sent`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ._raw_server import Script


class Boom(Exception):
    """Raised by the test inside `with client.stream(...)` (F9)."""


@dataclass(frozen=True)
class Req:
    """One request of a case, and how its body is read.

    read: `iter_bytes` / `iter_raw` / `iter_lines` (inside `client.stream`), `read` (a plain
    `client.request`), `raise` / `interrupt` / `break` (leave the `with client.stream` block after
    the first chunk by `Boom`, `KeyboardInterrupt`, or `break`), `raise-after-body` (read the
    whole body, then raise `Boom` inside the block), `hold` (`client.send(...,
    stream=True)`, kept open until the end of the case).
    """

    method: str = "GET"
    path: str = "/"
    read: str = "iter_bytes"
    headers: tuple[tuple[str, str], ...] = ()
    content: bytes | None = None
    follow_redirects: bool = False
    url: str | None = None  # a full URL instead of server URL + path ("{url}" is replaced)
    wait_conn_done: int | None = None  # first wait until the server ended connection N (0-based)


@dataclass(frozen=True)
class Ok:
    body: bytes | tuple[str, ...] | None = None  # None: not checked
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()  # each must be present with this value
    absent: tuple[str, ...] = ()  # header names that must not be in `response.headers`


@dataclass(frozen=True)
class Raises:
    exc: str  # a name in the library's namespace, or Boom / KeyboardInterrupt
    match: str | None = None  # regex searched in str(exception)
    exact: str | None = None  # the whole message


Outcome = Ok | Raises


@dataclass(frozen=True)
class Sent:
    """A check on what server `server` (0 or 1) received as its request number `index`."""

    server: int
    index: int
    has: tuple[bytes, ...] = ()  # lower-cased substrings that must be in the request
    lacks: tuple[bytes, ...] = ()  # lower-cased substrings that must not be
    starts: bytes | None = None


@dataclass(frozen=True)
class Expect:
    outcomes: tuple[Outcome, ...]
    connections: int | None = None  # connections server 0 accepted over the whole case
    nothing_sent: bool = False  # server 0 received no byte at all
    sent: tuple[Sent, ...] = ()


@dataclass(frozen=True)
class Case:
    id: str
    row: str  # THREATS.md row
    scripts: tuple[Script, ...]
    requests: tuple[Req, ...]
    httpx: Expect
    faststream: Expect | None = None  # None: the same as httpx
    deviation: str = ""  # the DESIGN.md / THREATS §4 decision behind a difference
    scripts2: tuple[Script, ...] = ()  # a second server (another origin), when needed
    read_timeout: float = 3.0
    pool_timeout: float = 3.0
    max_connections: int | None = None
    tags: tuple[str, ...] = field(default=())

    def expect(self, library: str) -> Expect:
        if library == "faststream" and self.faststream is not None:
            return self.faststream
        return self.httpx
