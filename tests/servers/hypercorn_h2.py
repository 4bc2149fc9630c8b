"""A real HTTP/2 server for the client scenarios: an ASGI app served by hypercorn on 127.0.0.1
in a thread (its own asyncio loop), over TLS with a trustme certificate (ALPN offers h2 and
http/1.1) or in cleartext, where hypercorn answers h2c by prior knowledge (and HTTP/1.1 to
clients that speak it).

`with HypercornServer(tls_files) as server:` serves on `server.url` (https) until the block
ends (`alpn=("http/1.1",)`: a TLS server that never picks h2); `HypercornServer()` serves
http. The app's routes (any method):

* `/bytes/N`: 200 with `pattern(N)`, sent in 64 KiB pieces.
* `/echo`: 200 with the request body; `x-method` tells the method.
* `/headers`: 200, JSON: the request's fields as `[name, value]` pairs, in order.
* `/lines`: 200, `LINES` sent a few bytes per body message.
* `/redirect/N`: 302 to `/redirect/N-1`, and `/redirect/0` to `/bytes/3`.
* `/cookies/set?name=value`: 200 setting that cookie; `/cookies`: JSON of the Cookie field.
* `/status/N`: that status, empty body.
* `/slow/S`: 200 with the head at once, the body `b"late"` after S seconds.
* `/slow-head/S`: the head after S seconds.
* `/trailers`: 200, body `b"body"`, then trailing fields `x-checksum: abc` (HTTP/2 only:
  hypercorn sends trailers when the client's request says `TE: trailers`).
* `/hold/S`: 200, one byte, then the rest (`b"done"`) after S seconds.

It records the HTTP version of every request it served (`versions`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import typing
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import parse_qsl

from hypercorn.asyncio import serve
from hypercorn.config import Config

from tests.servers.h2_raw import LINES, pattern

if typing.TYPE_CHECKING:
    from tests.servers.tls import TLSFiles

__all__ = ["LINES", "HypercornServer", "pattern"]

Scope = dict[str, typing.Any]
Receive = typing.Callable[[], typing.Awaitable[dict[str, typing.Any]]]
Send = typing.Callable[[dict[str, typing.Any]], typing.Awaitable[None]]

_PIECE = 64 * 1024


async def _read_body(receive: Receive) -> bytes:
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    return bytes(body)


async def _respond(
    send: Send,
    status: int,
    body: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    fields = list(headers or [])
    fields.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": fields})
    await send({"type": "http.response.body", "body": body})


class HypercornServer:
    """hypercorn serving the app above on 127.0.0.1 in a thread; a context manager."""

    def __init__(
        self,
        tls_files: TLSFiles | None = None,
        directory: Path | None = None,
        alpn: Sequence[str] = ("h2", "http/1.1"),
    ) -> None:
        self.versions: list[str] = []
        self._config = Config()
        self._config.accesslog = None
        self._config.errorlog = logging.getLogger("tests.hypercorn")
        self._config.errorlog.disabled = True
        self._config.graceful_timeout = 0.1  # slow routes are cut short at the end
        self._config.keep_alive_timeout = 30.0
        sock = socket.create_server(("127.0.0.1", 0))
        sock.set_inheritable(True)
        self.port: int = sock.getsockname()[1]
        self._config.bind = [f"fd://{sock.detach()}"]
        scheme = "http"
        if tls_files is not None:
            assert directory is not None, "TLS needs a directory for the certificate files"
            pem = directory / "hypercorn-server.pem"
            cert = tls_files.ca.issue_cert("localhost", "127.0.0.1")
            cert.private_key_and_cert_chain_pem.write_to_path(str(pem))
            self._config.certfile = str(pem)
            self._config.keyfile = str(pem)
            self._config.alpn_protocols = list(alpn)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._main, daemon=True, name="hypercorn")
        self.error: BaseException | None = None

    def __enter__(self) -> HypercornServer:
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("hypercorn did not start")
        if self.error is not None:
            raise self.error
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        # Connections cut at shutdown (slow routes, keep-alive) are not errors of a test.
        loop.set_exception_handler(lambda loop, context: None)
        self._loop = loop

        async def main() -> None:
            self._stop = asyncio.Event()
            loop.call_soon(self._started.set)
            await serve(self.app, self._config, shutdown_trigger=self._stop.wait)  # type: ignore[arg-type]

        try:
            loop.run_until_complete(main())
        except BaseException as exc:  # reported by __enter__ when it fails early
            self.error = exc
        finally:
            self._started.set()
            loop.close()

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        self.versions.append(scope["http_version"])
        path: str = scope["path"]
        parts = path.strip("/").split("/")
        head, args = parts[0], parts[1:]
        body = await _read_body(receive)
        if head == "bytes":
            data = pattern(int(args[0]))
            fields = [(b"content-length", str(len(data)).encode())]
            await send({"type": "http.response.start", "status": 200, "headers": fields})
            for offset in range(0, len(data), _PIECE):
                piece = data[offset : offset + _PIECE]
                more = offset + _PIECE < len(data)
                await send({"type": "http.response.body", "body": piece, "more_body": more})
            if not data:
                await send({"type": "http.response.body", "body": b""})
        elif head == "echo":
            await _respond(send, 200, body, [(b"x-method", scope["method"].encode())])
        elif head == "headers":
            seen = [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]]
            await _respond(send, 200, json.dumps(seen).encode())
        elif head == "lines":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            for offset in range(0, len(LINES), 5):
                piece = LINES[offset : offset + 5]
                await send({"type": "http.response.body", "body": piece, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        elif head == "redirect":
            left = int(args[0])
            target = f"/redirect/{left - 1}" if left else "/bytes/3"
            await _respond(send, 302, b"", [(b"location", target.encode())])
        elif head == "cookies" and args[:1] == ["set"]:
            query = parse_qsl(scope["query_string"].decode())
            fields = [(b"set-cookie", f"{k}={v}; Path=/".encode()) for k, v in query]
            await _respond(send, 200, b"", fields)
        elif head == "cookies":
            cookie = dict(scope["headers"]).get(b"cookie", b"").decode()
            await _respond(send, 200, json.dumps({"cookie": cookie}).encode())
        elif head == "status":
            await _respond(send, int(args[0]))
        elif head == "slow":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await asyncio.sleep(float(args[0]))
            await send({"type": "http.response.body", "body": b"late"})
        elif head == "slow-head":
            await asyncio.sleep(float(args[0]))
            await _respond(send, 200, b"late")
        elif head == "hold":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"h", "more_body": True})
            await asyncio.sleep(float(args[0]))
            await send({"type": "http.response.body", "body": b"done"})
        elif head == "trailers":
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"trailer", b"x-checksum")],
                    "trailers": True,
                }
            )
            await send({"type": "http.response.body", "body": b"body"})
            await send(
                {
                    "type": "http.response.trailers",
                    "headers": [(b"x-checksum", b"abc")],
                    "more_trailers": False,
                }
            )
        else:
            await _respond(send, 404)
