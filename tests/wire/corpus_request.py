"""THREATS.md section C (request side), the wire-level rows T25-T28, as wire corpus cases.

T25-T27: a bad header or URL supplied by the caller raises before a byte is written; the server
checks that it received nothing. T28: what a followed redirect sends to the next hop; the second
server (`{origin2}`, another port, so another origin) records it.
"""

from __future__ import annotations

from ._raw_server import Recv, Script, Send, response
from .corpus_model import Case, Expect, Ok, Raises, Req, Sent

_ANSWER: Script = (Recv(), Send(response(body=b"answer")))


def refused(id: str, row: str, req: Req, exc: str, match: str | None) -> Case:
    """`req` raises `exc` and the server receives no byte (a connection may have been opened)."""
    return Case(id, row, (_ANSWER,), (req,), Expect((Raises(exc, match),), nothing_sent=True))


def redirect(location: str, status: str = "302 Found") -> bytes:
    return response(status, (("Location", location),))


SECRETS = (
    ("Authorization", "Bearer secret-token"),
    ("Cookie", "session=caller-cookie"),
)

REQUEST_CASES: list[Case] = [
    # -- T25: CR / LF / NUL in a header value, or in the method ---------------------------
    *[
        refused(
            f"T25-{name}-in-header-value",
            "T25",
            Req(headers=(("X-Test", value),)),
            "LocalProtocolError",
            "Illegal header value",
        )
        for name, value in [
            ("crlf", "a\r\nInjected: 1"),
            ("lf", "a\nInjected: 1"),
            ("cr", "a\rInjected: 1"),
            ("nul", "a\x00b"),
        ]
    ],
    refused(
        "T25-crlf-in-method",
        "T25",
        Req(method="GET / HTTP/1.1\r\nInjected: 1\r\nX-Y:"),
        "LocalProtocolError",
        "Illegal method",
    ),
    # -- T26: space, control character or colon in a header name -------------------------
    *[
        refused(
            f"T26-header-name-{name}",
            "T26",
            Req(headers=((header, "v"),)),
            "LocalProtocolError",
            "Illegal header name",
        )
        for name, header in [
            ("space", "Bad Name"),
            ("control", "X\x01Y"),
            ("colon", "X:Y"),
            ("crlf", "X\r\nInjected"),
            ("empty", ""),
        ]
    ],
    # -- T27: CR / LF / NUL in the URL ------------------------------------------------------
    *[
        Case(
            f"T27-{name}-in-url",
            "T27",
            (_ANSWER,),
            (Req(url="{url}" + tail),),
            Expect(
                (Raises("InvalidURL", "Invalid non-printable ASCII character in URL"),),
                connections=0,
                nothing_sent=True,
            ),
        )
        for name, tail in [
            ("crlf-path", "/a\r\nInjected: 1"),
            ("lf-path", "/a\nb"),
            ("nul-path", "/a\x00b"),
            ("crlf-query", "/?q=a\r\nInjected: 1"),
            ("tab-query", "/?q=a\tb"),
        ]
    ],
    Case(
        "T27-url-too-long",
        "T27",
        (_ANSWER,),
        (Req(url="{url}/" + "a" * 70_000),),
        Expect((Raises("InvalidURL", "URL too long"),), connections=0, nothing_sent=True),
    ),
    # -- T28: what a followed redirect forwards --------------------------------------------
    Case(
        "T28-cross-origin-strips-credentials",
        "T28",
        ((Recv(), Send(redirect("{origin2}/next"))),),
        (Req(headers=SECRETS, follow_redirects=True, read="read"),),
        Expect(
            (Ok(b"done", status=200),),
            connections=1,
            sent=(
                Sent(0, 0, has=(b"authorization: bearer secret-token", b"cookie: session=")),
                Sent(1, 0, starts=b"GET /next ", lacks=(b"authorization", b"cookie")),
            ),
        ),
        scripts2=((Recv(), Send(response(body=b"done"))),),
    ),
    Case(
        "T28-same-origin-keeps-authorization",
        "T28",
        ((Recv(), Send(redirect("/next")), Recv(), Send(response(body=b"done"))),),
        (Req(headers=SECRETS, follow_redirects=True, read="read"),),
        Expect(
            (Ok(b"done", status=200),),
            connections=1,
            sent=(
                Sent(
                    0,
                    1,
                    starts=b"GET /next ",
                    has=(b"authorization: bearer secret-token",),
                    lacks=(b"cookie",),  # a caller-set Cookie header is rebuilt from the jar
                ),
            ),
        ),
    ),
    Case(
        "T28-303-post-becomes-get-without-body",
        "T28",
        ((Recv(), Send(redirect("{origin2}/next", "303 See Other"))),),
        (Req(method="POST", content=b"payload-bytes", follow_redirects=True, read="read"),),
        Expect(
            (Ok(b"done"),),
            sent=(
                Sent(0, 0, starts=b"POST / ", has=(b"payload-bytes", b"content-length: 13")),
                Sent(
                    1,
                    0,
                    starts=b"GET /next ",
                    lacks=(b"payload-bytes", b"content-length", b"transfer-encoding"),
                ),
            ),
        ),
        scripts2=((Recv(), Send(response(body=b"done"))),),
    ),
    Case(
        "T28-307-post-keeps-body",
        "T28",
        ((Recv(), Send(redirect("{origin2}/next", "307 Temporary Redirect"))),),
        (Req(method="POST", content=b"payload-bytes", follow_redirects=True, read="read"),),
        Expect(
            (Ok(b"done"),),
            sent=(Sent(1, 0, starts=b"POST /next ", has=(b"payload-bytes",)),),
        ),
        scripts2=((Recv(), Send(response(body=b"done"))),),
    ),
    Case(
        "T28-cross-origin-proxy-authorization",
        "T28",
        ((Recv(), Send(redirect("{origin2}/next"))),),
        (
            Req(
                headers=(("Proxy-Authorization", "Basic cHJveHk6c2VjcmV0"),),
                follow_redirects=True,
                read="read",
            ),
        ),
        Expect(
            (Ok(b"done"),),
            sent=(Sent(1, 0, has=(b"proxy-authorization: basic",)),),
        ),
        Expect(
            (Ok(b"done"),),
            sent=(Sent(1, 0, starts=b"GET /next ", lacks=(b"proxy-authorization",)),),
        ),
        deviation="DESIGN: caller-set Proxy-Authorization on a cross-origin redirect -> stripped",
        scripts2=((Recv(), Send(response(body=b"done"))),),
    ),
]
