"""THREATS.md section D (faults users hit) that a sync client can show: F1, F2, F5, F9, F10.

Not here, because a sync client cannot exercise them: F6/F7/F8 (asyncio cancellation: once,
twice, and while connecting) need `AsyncClient`; F3 (slow trickle) and F4 (no default total
timeout) need the total-deadline / stall-guard feature that is planned, not built; F11 (decode
error closes the response) is covered by tests/models (no wire needed).
"""

from __future__ import annotations

from ._raw_server import Close, Recv, Reset, Script, Send, Sleep, chunked, response
from .corpus_model import Case, Expect, Ok, Raises, Req, Sent

SECOND = response(body=b"second")
FIRST = response(body=b"first")
DISCONNECTED = "Server disconnected without sending a response."
BIG_HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"
CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
RETRY = "DESIGN: reused keep-alive connection found dead before any response byte -> retried once"


def then_second(
    id: str, row: str, conn1: Script, first: Req, outcome: Raises | Ok, read_timeout: float = 3.0
) -> Case:
    """Request 1 meets the fault on connection 1; request 2 gets `second` on a new connection,
    so the faulty connection was not reused and the pool is still usable."""
    return Case(
        id,
        row,
        (conn1, (Recv(), Send(SECOND))),
        (first, Req(path="/second", read="read")),
        Expect((outcome, Ok(b"second")), connections=2),
        read_timeout=read_timeout,
    )


def dead_on_reuse(
    id: str, method: str, death: Script, fs_retries: bool, read: str = "read"
) -> Case:
    """Request 1 gets `first`; request 2 (`method`) is written on the pooled connection, which
    the server then closes (`death`) before any response byte. faststream retries an idempotent
    request once on a fresh connection; httpx never retries."""
    conn1: Script = (Recv(), Send(FIRST), Recv(), *death)
    scripts = (conn1, (Recv(), Send(SECOND)))
    requests = (Req(read="read"), Req(method=method, path="/second", read=read))
    failed = Raises("RemoteProtocolError", exact=DISCONNECTED)
    if isinstance(death[0], Reset):
        failed = Raises("ReadError")
    httpx = Expect((Ok(b"first"), failed), connections=1)
    if not fs_retries:
        return Case(id, "F10", scripts, requests, httpx)
    body = b"" if method == "HEAD" else b"second"
    fs = Expect(
        (Ok(b"first"), Ok(body, status=200)),
        connections=2,
        sent=(
            Sent(0, 1, starts=f"{method} /second ".encode()),
            Sent(0, 2, starts=f"{method} /second ".encode()),
        ),
    )
    return Case(id, "F10", scripts, requests, httpx, fs, deviation=RETRY)


def stall(id: str, reply: bytes, read: str = "iter_bytes") -> Case:
    return then_second(
        id,
        "F2",
        (Recv(), Send(reply), Sleep(10)),
        Req(read=read),
        Raises("ReadTimeout"),
        read_timeout=0.3,
    )


FAULT_CASES: list[Case] = [
    # -- F1: connection reset mid-body ---------------------------------------------------
    then_second(
        "F1-reset-mid-body",
        "F1",
        (Recv(), Send(BIG_HEAD + b"x" * 1000), Sleep(0.3), Reset()),
        Req(),
        Raises("ReadError"),
    ),
    then_second(
        "F1-reset-mid-body-read",
        "F1",
        (Recv(), Send(BIG_HEAD + b"x" * 1000), Sleep(0.3), Reset()),
        Req(read="read"),
        Raises("ReadError"),
    ),
    then_second(
        "F1-reset-mid-chunked",
        "F1",
        (Recv(), Send(CHUNKED_HEAD + b"5\r\nhello\r\n"), Sleep(0.3), Reset()),
        Req(read="iter_lines"),
        Raises("ReadError"),
    ),
    then_second(
        "F1-reset-before-response",
        "F1",
        (Recv(), Reset()),
        Req(),
        Raises("ReadError"),
    ),
    # -- F2: the server stalls: a per-read timeout fires ---------------------------------
    stall("F2-stall-before-head", b""),
    stall("F2-stall-after-head", BIG_HEAD),
    stall("F2-stall-mid-body", BIG_HEAD + b"x" * 1000, read="read"),
    stall("F2-stall-mid-lines", CHUNKED_HEAD + chunked(b"a\nb\n")[:-5], read="iter_lines"),
    # -- F5: every connection leased, a response never closed ----------------------------
    Case(
        "F5-pool-exhausted",
        "F5",
        ((Recv(), Send(BIG_HEAD + b"x" * 10), Sleep(10)),),
        (Req(read="hold"), Req(path="/second", read="read")),
        Expect((Ok(status=200), Raises("PoolTimeout", exact="")), connections=1),
        Expect((Ok(status=200), Raises("PoolTimeout", match=r"\S")), connections=1),
        deviation="DESIGN: PoolTimeout message -> pool size and connections in use",
        pool_timeout=0.3,
        max_connections=1,
    ),
    # -- F9: an exception (or break) inside `with client.stream(...)` -------------------
    then_second(
        "F9-exception-mid-body",
        "F9",
        (Recv(), Send(BIG_HEAD + b"x" * 1000), Sleep(10)),
        Req(read="raise"),
        Raises("Boom", "raised by the test"),
    ),
    then_second(
        "F9-keyboard-interrupt-mid-body",
        "F9",
        (Recv(), Send(BIG_HEAD + b"x" * 1000), Sleep(10)),
        Req(read="interrupt"),
        Raises("KeyboardInterrupt"),
    ),
    then_second(
        "F9-break-mid-body",
        "F9",
        (Recv(), Send(BIG_HEAD + b"x" * 1000), Sleep(10)),
        Req(read="break"),
        Ok(),
    ),
    then_second(
        "F9-exception-mid-chunked-body",
        "F9",
        (Recv(), Send(CHUNKED_HEAD + b"5\r\nhello\r\n"), Sleep(10)),
        Req(read="raise"),
        Raises("Boom"),
    ),
    # the whole body was read: the connection is clean and goes back to the pool
    Case(
        "F9-exception-after-whole-body",
        "F9",
        ((Recv(), Send(FIRST), Recv(), Send(SECOND)), (Recv(), Send(SECOND))),
        (Req(read="raise-after-body"), Req(path="/second", read="read")),
        Expect((Raises("Boom"), Ok(b"second")), connections=1),
    ),
    # -- F10: a pooled keep-alive connection is dead when reused -------------------------
    dead_on_reuse("F10-get-retried", "GET", (Close(),), fs_retries=True),
    dead_on_reuse("F10-get-stream-retried", "GET", (Close(),), fs_retries=True, read="iter_bytes"),
    dead_on_reuse("F10-head-retried", "HEAD", (Close(),), fs_retries=True),
    dead_on_reuse("F10-delete-retried", "DELETE", (Close(),), fs_retries=True),
    dead_on_reuse("F10-get-reset-retried", "GET", (Reset(),), fs_retries=True),
    dead_on_reuse("F10-post-not-retried", "POST", (Close(),), fs_retries=False),
    dead_on_reuse("F10-patch-not-retried", "PATCH", (Close(),), fs_retries=False),
    Case(
        "F10-get-retried-only-once",
        "F10",
        (
            (Recv(), Send(FIRST), Recv(), Close()),
            (Recv(), Close()),
            (Recv(), Send(SECOND)),
        ),
        (Req(read="read"), Req(path="/second", read="read")),
        Expect((Ok(b"first"), Raises("RemoteProtocolError", exact=DISCONNECTED)), connections=1),
        Expect((Ok(b"first"), Raises("RemoteProtocolError", exact=DISCONNECTED)), connections=2),
        deviation=RETRY,
    ),
    Case(
        "F10-fresh-connection-not-retried",
        "F10",
        ((Recv(), Close()), (Recv(), Send(SECOND))),
        (Req(read="read"),),
        Expect((Raises("RemoteProtocolError", exact=DISCONNECTED),), connections=1),
    ),
    # the server closed the idle connection before it was reused: both see it and reconnect
    Case(
        "F10-idle-close-seen-before-reuse",
        "F10",
        ((Recv(), Send(FIRST), Close()), (Recv(), Send(SECOND))),
        (Req(read="read"), Req(path="/second", read="read", wait_conn_done=0)),
        Expect((Ok(b"first"), Ok(b"second")), connections=2),
    ),
]
