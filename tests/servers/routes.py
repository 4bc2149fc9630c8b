"""The default routes of `AppServer` (tests/servers/app.py), httpbin-like.

| route | response |
|---|---|
| `/echo` (any method) | JSON: method, path, target, query and headers (lists of pairs), |
|  | body (utf-8, replace), body_length, connection (server-side id) |
| `/bytes/N` | N bytes of `pattern(N)`, Content-Length (`?type=` sets Content-Type) |
| `/chunked/N?size=` | the same bytes, chunked, `size` bytes per chunk (default 1000) |
| `/gzip?n=` | `pattern`-free text (n lines) gzip-compressed, `Content-Encoding: gzip` |
| `/jsonl/N` | N JSON objects `{"i": i, "name": "item-i"}`, one per line, one chunk each |
| `/sse?n=` | n server-sent events (`event:`, `id:`, `data:` lines, blank line between) |
| `/items?page=` | paginated JSON `{"page", "items"}`: 3 items on pages 1-3, none after |
| `/status/N` | status N, body `status N` |
| `/redirect/N` | 302 to `/redirect/N-1`, `/redirect/0` answers like `/echo` |
| `/redirect-to?url=&status=` | `status` (default 302) with `Location: url` |
| `/cookies/set?k=v` | `Set-Cookie: k=v; Path=/` for each pair, 302 to `/cookies` |
| `/cookies` | JSON `{"cookies": {name: value}}` of the Cookie header |
| `/basic-auth/USER/PASS` | 200 JSON `{"authenticated": true, "user"}`, or 401 + Basic challenge |
| `/digest-auth/QOP/USER/PASS[/ALG]` | digest (qop `auth` or `none`; MD5, SHA-256, SHA-512) |
| `/range/N` | `pattern(N)`; `Range: bytes=a-` / `a-b` -> 206 + Content-Range; else 416 |
| `/slow-headers?delay=` | waits `delay` s (default 5) before the head |
| `/slow-body?delay=&n=` | head + half the body, waits `delay` s, then the rest |
| `/drip?n=&delay=` | n chunks of `x`, `delay` s apart (chunked) |
| `/close` | a response with `Connection: close`, then the server closes |
| `/eof-body?n=` | n bytes, no Content-Length, no chunking: close-delimited |
| `/headers-flood?n=` | n response headers `X-Flood-i` |
| `/large-headers?size=` | one response header of `size` bytes |
| `/redirect-absolute?to=` | 302 to an absolute URL on this server's own host |
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
from collections.abc import Callable

from tests.servers.app import Exchange, pattern

Route = Callable[[Exchange], None]


def echo(ex: Exchange) -> None:
    ex.respond_json(
        {
            "method": ex.method,
            "path": ex.path,
            "target": ex.target,
            "query": [list(pair) for pair in ex.query],
            "headers": [list(pair) for pair in ex.headers],
            "body": ex.body.decode("utf-8", "replace"),
            "body_length": len(ex.body),
            "connection": ex.connection_id,
        }
    )


def _count(ex: Exchange, default: int) -> int:
    return int(ex.args[0]) if ex.args else default


def bytes_route(ex: Exchange) -> None:
    n = _count(ex, 1024)
    ex.respond(200, pattern(n), content_type=ex.param("type", "application/octet-stream"))


def chunked(ex: Exchange) -> None:
    n = _count(ex, 1024)
    size = max(1, ex.int_param("size", 1000))
    data = pattern(n)
    ex.send_head(
        200, [("Content-Type", "application/octet-stream"), ("Transfer-Encoding", "chunked")]
    )
    for start in range(0, n, size):
        ex.write_chunk(data[start : start + size])
    ex.end_chunks()


def gzip_text(n: int) -> bytes:
    return "".join(f"line {i}: the quick brown fox\n" for i in range(n)).encode()


def gzip_route(ex: Exchange) -> None:
    body = gzip.compress(gzip_text(ex.int_param("n", 100)), mtime=0)
    ex.respond(200, body, [("Content-Encoding", "gzip")], content_type="text/plain; charset=utf-8")


def jsonl(ex: Exchange) -> None:
    n = _count(ex, 10)
    ex.send_head(200, [("Content-Type", "application/x-ndjson"), ("Transfer-Encoding", "chunked")])
    for i in range(n):
        ex.write_chunk(json.dumps({"i": i, "name": f"item-{i}"}).encode() + b"\n")
    ex.end_chunks()


def sse(ex: Exchange) -> None:
    n = ex.int_param("n", 3)
    ex.send_head(
        200,
        [
            ("Content-Type", "text/event-stream"),
            ("Cache-Control", "no-cache"),
            ("Transfer-Encoding", "chunked"),
        ],
    )
    ex.write_chunk(b": a comment line\n\n")
    for i in range(n):
        ex.write_chunk(f"event: tick\nid: {i}\ndata: event {i}\n\n".encode())
    ex.end_chunks()


def items(ex: Exchange) -> None:
    page = ex.int_param("page", 1)
    found = [{"id": (page - 1) * 3 + k, "page": page} for k in range(3)] if page <= 3 else []
    ex.respond_json({"page": page, "items": found})


def status(ex: Exchange) -> None:
    code = _count(ex, 200)
    headers: list[tuple[str, str]] = []
    if 300 <= code < 400:
        headers.append(("Location", "/echo"))
    if code == 401:
        headers.append(("WWW-Authenticate", 'Basic realm="test"'))
    ex.respond(code, "" if code in (204, 304) else f"status {code}", headers)


def redirect(ex: Exchange) -> None:
    n = _count(ex, 1)
    if n <= 0:
        echo(ex)
    else:
        ex.respond(302, "", [("Location", f"/redirect/{n - 1}")])


def redirect_to(ex: Exchange) -> None:
    code = ex.int_param("status", 302)
    ex.respond(code, "", [("Location", ex.param("url", "/echo") or "/echo")])


def redirect_absolute(ex: Exchange) -> None:
    host = ex.header("Host", "127.0.0.1")
    to = ex.param("to", "/echo") or "/echo"
    ex.respond(302, "", [("Location", f"{ex.server.url.split(':')[0]}://{host}{to}")])


def cookies_set(ex: Exchange) -> None:
    headers = [("Set-Cookie", f"{k}={v}; Path=/") for k, v in ex.query]
    headers.append(("Location", "/cookies"))
    ex.respond(302, "", headers)


def cookies(ex: Exchange) -> None:
    jar: dict[str, str] = {}
    for part in (ex.header("Cookie") or "").split(";"):
        if "=" in part:
            name, _, value = part.strip().partition("=")
            jar[name] = value
    ex.respond_json({"cookies": jar})


def basic_auth(ex: Exchange) -> None:
    user, password = (ex.args + ["user", "pass"])[:2]
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    if ex.header("Authorization") == expected:
        ex.respond_json({"authenticated": True, "user": user})
    else:
        ex.respond(401, "", [("WWW-Authenticate", 'Basic realm="Fake Realm"')])


_HASHES: dict[str, Callable[[bytes], str]] = {
    "MD5": lambda b: hashlib.md5(b).hexdigest(),
    "SHA-256": lambda b: hashlib.sha256(b).hexdigest(),
    "SHA-512": lambda b: hashlib.sha512(b).hexdigest(),
}


def _digest_fields(value: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in value.split(","):
        name, _, raw = item.strip().partition("=")
        fields[name.strip().lower()] = raw.strip().strip('"')
    return fields


def digest_auth(ex: Exchange) -> None:
    given = ex.args[:4]
    qop, user, password, algorithm = given + ["auth", "user", "pass", "MD5"][len(given) :]
    algorithm = algorithm.upper()
    digest = _HASHES[algorithm]
    realm = "me@example.test"
    header = ex.header("Authorization") or ""
    if header.startswith("Digest "):
        f = _digest_fields(header[len("Digest ") :])
        ha1 = digest(f"{user}:{realm}:{password}".encode())
        ha2 = digest(f"{ex.method}:{f.get('uri', '')}".encode())
        if qop == "auth":
            expected = digest(
                f"{ha1}:{f.get('nonce')}:{f.get('nc')}:{f.get('cnonce')}:auth:{ha2}".encode()
            )
        else:
            expected = digest(f"{ha1}:{f.get('nonce')}:{ha2}".encode())
        if f.get("username") == user and f.get("response") == expected:
            ex.respond_json({"authenticated": True, "user": user})
            return
    nonce = os.urandom(16).hex()
    challenge = f'Digest realm="{realm}", nonce="{nonce}", opaque="{os.urandom(8).hex()}"'
    challenge += f", algorithm={algorithm}"
    if qop == "auth":
        challenge += ', qop="auth"'
    ex.respond(401, "", [("WWW-Authenticate", challenge)])


def range_route(ex: Exchange) -> None:
    n = _count(ex, 1024)
    data = pattern(n)
    spec = ex.header("Range")
    base = [("Accept-Ranges", "bytes"), ("ETag", f'"range-{n}"')]
    ctype = "application/octet-stream"
    if not spec:
        ex.respond(200, data, base, content_type=ctype)
        return
    unit, _, ranges = spec.partition("=")
    first, _, last = ranges.strip().partition("-")
    try:
        start = int(first) if first else n - int(last)
        end = int(last) if (first and last) else n - 1
    except ValueError:
        start, end = n, n
    end = min(end, n - 1)
    if unit.strip() != "bytes" or "," in ranges or start >= n or start > end or start < 0:
        ex.respond(416, "", base + [("Content-Range", f"bytes */{n}")])
        return
    ex.respond(
        206,
        data[start : end + 1],
        base + [("Content-Range", f"bytes {start}-{end}/{n}")],
        content_type=ctype,
    )


def slow_headers(ex: Exchange) -> None:
    if ex.wait(ex.float_param("delay", 5.0)):
        return
    ex.respond(200, "finally")


def slow_body(ex: Exchange) -> None:
    n = ex.int_param("n", 2000)
    data = pattern(n)
    ex.send_head(200, [("Content-Type", "application/octet-stream"), ("Content-Length", str(n))])
    ex.write(data[: n // 2])
    if ex.wait(ex.float_param("delay", 5.0)):
        return
    ex.write(data[n // 2 :])


def drip(ex: Exchange) -> None:
    n = ex.int_param("n", 5)
    delay = ex.float_param("delay", 0.05)
    ex.send_head(200, [("Content-Type", "text/plain"), ("Transfer-Encoding", "chunked")])
    for _ in range(n):
        ex.write_chunk(b"x")
        if ex.wait(delay):
            return
    ex.end_chunks()


def close(ex: Exchange) -> None:
    ex.keep_alive = False
    ex.respond(200, "closing", [("Connection", "close")])


def eof_body(ex: Exchange) -> None:
    n = ex.int_param("n", 1000)
    ex.keep_alive = False
    ex.send_head(200, [("Content-Type", "application/octet-stream"), ("Connection", "close")])
    ex.write(pattern(n))


def headers_flood(ex: Exchange) -> None:
    n = ex.int_param("n", 200)
    ex.respond(200, "flood", [(f"X-Flood-{i}", str(i)) for i in range(n)])


def large_headers(ex: Exchange) -> None:
    ex.respond(200, "large", [("X-Large", "a" * ex.int_param("size", 100_000))])


DEFAULT_ROUTES: dict[str, Route] = {
    "/echo": echo,
    "/bytes": bytes_route,
    "/chunked": chunked,
    "/gzip": gzip_route,
    "/jsonl": jsonl,
    "/sse": sse,
    "/items": items,
    "/status": status,
    "/redirect": redirect,
    "/redirect-to": redirect_to,
    "/redirect-absolute": redirect_absolute,
    "/cookies/set": cookies_set,
    "/cookies": cookies,
    "/basic-auth": basic_auth,
    "/digest-auth": digest_auth,
    "/range": range_route,
    "/slow-headers": slow_headers,
    "/slow-body": slow_body,
    "/drip": drip,
    "/close": close,
    "/eof-body": eof_body,
    "/headers-flood": headers_flood,
    "/large-headers": large_headers,
}
