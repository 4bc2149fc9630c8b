"""Plays a corpus case against a library (faststream or httpx) and checks its expected outcome."""

from __future__ import annotations

import builtins
import re
from contextlib import ExitStack
from dataclasses import replace
from typing import Any

from tests.client._helpers import Lib

from ._raw_server import RawServer, Script, Send
from .corpus_model import Boom, Case, Expect, Ok, Outcome, Raises, Req


def substitute(scripts: tuple[Script, ...], origin2: str) -> list[Script]:
    """Replace `{origin2}` in every reply by the second server's URL."""
    token = b"{origin2}"
    return [
        tuple(
            replace(s, data=s.data.replace(token, origin2.encode())) if isinstance(s, Send) else s
            for s in script
        )
        for script in scripts
    ]


def exception_class(lib: Lib, name: str) -> type[BaseException]:
    if name == "Boom":
        return Boom
    found = getattr(lib, name, None) or getattr(builtins, name)
    assert isinstance(found, type) and issubclass(found, BaseException), name
    return found


def _url(req: Req, server: RawServer) -> str:
    if req.url is not None:
        return req.url.replace("{url}", server.url)
    return server.url + req.path


def perform(client: Any, req: Req, server: RawServer, held: ExitStack, box: list[Any]) -> Any:
    """Make one request and read its body as `req.read` says; returns what is compared with
    `Ok.body` (bytes, or a tuple of lines), and the response (also put in `box` as soon as it
    exists, for the modes that leave by an exception)."""
    url = _url(req, server)
    kwargs: dict[str, Any] = {"headers": list(req.headers), "content": req.content}
    if req.follow_redirects:
        kwargs["follow_redirects"] = True
    if req.read == "read":
        response = client.request(req.method, url, **kwargs)
        return response.content, response
    if req.read == "hold":
        response = client.send(client.build_request(req.method, url, **kwargs), stream=True)
        held.callback(response.close)
        return None, response
    with client.stream(req.method, url, **kwargs) as response:
        box.append(response)
        if req.read == "iter_bytes":
            return b"".join(response.iter_bytes()), response
        if req.read == "iter_raw":
            return b"".join(response.iter_raw()), response
        if req.read == "iter_lines":
            return tuple(response.iter_lines()), response
        if req.read == "raise-after-body":
            b"".join(response.iter_bytes())
            raise Boom("raised by the test after the whole body, inside the stream block")
        for _ in response.iter_bytes():
            if req.read == "raise":
                raise Boom("raised by the test inside the stream block")
            if req.read == "interrupt":
                raise KeyboardInterrupt
            if req.read == "break":
                break
        assert req.read == "break", req.read
        return None, response


def check_outcome(
    lib: Lib, expected: Outcome, got: Any, response: Any, error: BaseException | None
) -> None:
    if isinstance(expected, Raises):
        cls = exception_class(lib, expected.exc)
        assert error is not None, f"expected {expected.exc}, got a response: {got!r:.200}"
        assert type(error) is cls, f"expected {expected.exc}, got {type(error).__name__}: {error}"
        if expected.match is not None:
            assert re.search(expected.match, str(error)), f"message {str(error)!r}"
        if expected.exact is not None:
            assert str(error) == expected.exact, f"message {str(error)!r}"
        return
    assert error is None, f"expected a response, got {type(error).__name__}: {error}"
    assert isinstance(expected, Ok)
    if expected.body is not None:
        assert got == expected.body, f"body {got!r:.300}"
    if expected.status is not None:
        assert response.status_code == expected.status
    for name, value in expected.headers:
        assert response.headers.get(name) == value, f"{name}: {response.headers.get(name)!r}"
    for name in expected.absent:
        assert name not in response.headers, f"{name} is in response.headers"


def check_sent(expect: Expect, servers: list[RawServer]) -> None:
    if expect.connections is not None:
        assert servers[0].accepted == expect.connections, (
            f"server accepted {servers[0].accepted} connections, expected {expect.connections}"
        )
    if expect.nothing_sent:
        assert servers[0].received == b"", f"the server received {servers[0].received!r}"
    for sent in expect.sent:
        requests = servers[sent.server].requests
        assert len(requests) > sent.index, f"server {sent.server} got {len(requests)} requests"
        raw = requests[sent.index]
        low = raw.lower()
        if sent.starts is not None:
            assert raw.startswith(sent.starts), raw
        for needle in sent.has:
            assert needle in low, f"{needle!r} not in {raw!r}"
        for needle in sent.lacks:
            assert needle not in low, f"{needle!r} in {raw!r}"


def run_case(lib: Lib, library: str, case: Case, start_server: Any) -> None:
    """Start the case's server(s), make its requests with a fresh `lib.Client`, check everything."""
    expect = case.expect(library)
    servers: list[RawServer] = []
    if case.scripts2:
        second = start_server(*case.scripts2)
        servers.append(second)
        servers.insert(0, start_server(*substitute(case.scripts, second.url)))
    else:
        servers.append(start_server(*case.scripts))
    assert len(expect.outcomes) == len(case.requests)

    timeout = lib.Timeout(3.0, read=case.read_timeout, pool=case.pool_timeout)
    client_kwargs: dict[str, Any] = {"timeout": timeout}
    if case.max_connections is not None:
        client_kwargs["limits"] = lib.Limits(max_connections=case.max_connections)
    with lib.Client(**client_kwargs) as client, ExitStack() as held:
        for req, expected in zip(case.requests, expect.outcomes, strict=True):
            if req.wait_conn_done is not None:
                assert servers[0].wait_done(req.wait_conn_done), "the server script did not end"
            got: Any = None
            response: Any = None
            error: BaseException | None = None
            box: list[Any] = []
            try:
                got, response = perform(client, req, servers[0], held, box)
            except (Exception, KeyboardInterrupt) as exc:
                error = exc
            check_outcome(lib, expected, got, response, error)
            if req.read in ("raise", "interrupt", "break", "raise-after-body"):
                # F9: leaving the block closed the response (and so its connection)
                assert box and box[0].is_closed, "the response was not closed"
    check_sent(expect, servers)
