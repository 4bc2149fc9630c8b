"""The `faststream` command line client: httpx 0.28's command line, options and output.

click, rich and pygments come with the `cli` extra. They are imported only when the command
runs, so `import faststream` never pays for them; without them `main()` prints how to install
them and exits with status 1.

What the command prints (rich renders it; on a terminal it is highlighted, otherwise plain):

* with `--verbose`, for every request sent (redirects included): a `* Connecting to` /
  `* Connected to` pair when a new connection was opened for it, the request head, then the
  response head;
* without it, the heads of the redirect responses followed, then the final response head;
* then the body: JSON pretty-printed with an indent of 4, other text as it is (both highlighted
  by the pygments lexer for the media type), `<N bytes of binary data>` for a media type no
  lexer knows;
* with `--download FILE`, the body goes to FILE instead (through `Client.download`: a
  `.part` renamed over FILE once complete; FILE may be a directory, then the name comes from
  the response), with a progress bar (bytes, rate, time left) when stdout is a terminal; an
  error status writes its body to FILE, as httpx does. faststream's additions, not in the
  option table (which stays httpx's): `--resume` continues a `.part` left by an earlier run
  (with `Range` and `If-Range`), `--segments N` fetches N ranges on N connections; both ask
  for the body without a content coding, so the file holds what a resume can address.

The exit status is 0 for a 2xx final response and 1 otherwise; a transport error prints
`ExceptionName: message` and exits with 1.
"""

from __future__ import annotations

import dataclasses
import functools
import sys
import typing

if typing.TYPE_CHECKING:
    import click
    import rich.console

    from ._client import Client
    from ._models import Request, Response

__all__ = ["main"]

INSTALL_HINT = (
    "The faststream command line client could not run because the required dependencies "
    "were not installed.\nMake sure you've installed everything with: "
    "pip install 'faststream-http[cli]'"
)

_HELP_TITLE = "faststream"
_HELP_TAGLINE = "An HTTP client with httpx's API and a compiled streaming core."

_OPTION_HELP: list[tuple[str, str]] = [
    (
        "-m, --method METHOD",
        "Request method, such as GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD.\n"
        "[Default: GET, or POST if a request body is included]",
    ),
    ("-p, --params <NAME VALUE> ...", "Query parameters to include in the request URL."),
    ("-c, --content TEXT", "Byte content to include in the request body."),
    ("-d, --data <NAME VALUE> ...", "Form data to include in the request body."),
    ("-f, --files <NAME FILENAME> ...", "Form files to include in the request body."),
    ("-j, --json TEXT", "JSON data to include in the request body."),
    ("-h, --headers <NAME VALUE> ...", "Include additional HTTP headers in the request."),
    ("--cookies <NAME VALUE> ...", "Cookies to include in the request."),
    (
        "--auth <USER PASS>",
        "Username and password to include in the request. Specify '-' for the password to "
        "use a password prompt. Note that using --verbose/-v will expose the Authorization "
        "header, including the password encoding in a trivially reversible format.",
    ),
    (
        "--proxy URL",
        "Send the request via a proxy. Should be the URL giving the proxy address.",
    ),
    (
        "--timeout FLOAT",
        "Timeout value to use for network operations, such as establishing the connection, "
        "reading some data, etc... [Default: 5.0]",
    ),
    ("--follow-redirects", "Automatically follow redirects."),
    ("--no-verify", "Disable SSL verification."),
    (
        "--http2",
        # faststream speaks HTTP/1.1 only: like httpx without h2, the option raises ImportError.
        "Send the request using HTTP/2, if the remote server supports it.",
    ),
    (
        "--download FILE",
        "Save the response content as a file, rather than displaying it.",
    ),
    ("-v, --verbose", "Verbose output. Show request as well as response."),
    ("--help", "Show this message and exit."),
]


def main() -> None:
    """Run the command line client on `sys.argv` (the `faststream` console script)."""
    try:
        cli = command()
    except ImportError:
        print(INSTALL_HINT)
        sys.exit(1)
    cli.main(prog_name="faststream")


@functools.cache
def command() -> click.Command:
    """The click command (importing click, rich and pygments: `ImportError` without them)."""
    import click
    import pygments  # noqa: F401  (rich's highlighting needs it; fail here, not mid-output)
    import rich.console  # noqa: F401

    def show_help(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        if not value or ctx.resilient_parsing:
            return
        _print_help()
        ctx.exit()

    def check_pairs(
        ctx: click.Context, param: click.Parameter, value: list[tuple[str, str]]
    ) -> list[tuple[str, str]]:
        return list(value)

    def read_auth(
        ctx: click.Context, param: click.Parameter, value: tuple[str, str] | None
    ) -> tuple[str, str] | None:
        if value is None:
            return None
        username, password = value
        if password == "-":
            password = click.prompt("Password", hide_input=True)
        return (username, password)

    pair = click.Tuple([str, str])

    @click.command(name="faststream", add_help_option=False)
    @click.argument("url", type=str)
    @click.option("--method", "-m", "method", type=str)
    @click.option("--params", "-p", "params", type=pair, multiple=True, callback=check_pairs)
    @click.option("--content", "-c", "content", type=str)
    @click.option("--data", "-d", "data", type=pair, multiple=True, callback=check_pairs)
    @click.option(
        "--files",
        "-f",
        "files",
        type=click.Tuple([str, click.File(mode="rb")]),
        multiple=True,
    )
    @click.option("--json", "-j", "json_text", type=str)
    @click.option("--headers", "-h", "headers", type=pair, multiple=True, callback=check_pairs)
    @click.option("--cookies", "cookies", type=pair, multiple=True, callback=check_pairs)
    @click.option("--auth", "auth", type=pair, default=None, callback=read_auth)
    @click.option("--proxy", "proxy", type=str, default=None)
    @click.option("--timeout", "timeout", type=float, default=5.0)
    @click.option("--follow-redirects", "follow_redirects", is_flag=True, default=False)
    @click.option("--no-verify", "verify", is_flag=True, default=True, flag_value=False)
    @click.option("--http2", "http2", is_flag=True, default=False)
    @click.option("--download", "download", type=click.Path(), default=None)
    @click.option("--resume", "resume", is_flag=True, default=False)
    @click.option("--segments", "segments", type=click.IntRange(min=1), default=1)
    @click.option("--verbose", "-v", "verbose", is_flag=True, default=False)
    @click.option(
        "--help",
        is_flag=True,
        is_eager=True,
        expose_value=False,
        callback=show_help,
        help="Show this message and exit.",
    )
    def cli(**options: typing.Any) -> None:
        """An HTTP client with httpx's API and a compiled streaming core."""
        _run(_Options(**options))

    return cli


def _print_help() -> None:
    import rich.console
    import rich.table
    import rich.text

    console = rich.console.Console()
    console.print(f"[bold]{_HELP_TITLE}[/bold]", justify="center")
    console.print()
    console.print(_HELP_TAGLINE, justify="center")
    console.print()
    console.print("Usage: [bold]faststream[/bold] [cyan]<URL> [OPTIONS][/cyan]", justify="left")
    console.print()
    table = rich.table.Table.grid(padding=1, pad_edge=True)
    table.add_column("Parameter", no_wrap=True, justify="left", style="bold")
    table.add_column("Description")
    for option, text in _OPTION_HELP:
        table.add_row(option, rich.text.Text(text))
    console.print(table)


@dataclasses.dataclass(frozen=True)
class _Options:
    """The command line as click parsed it: one field per option, named as in `command()`."""

    url: str
    method: str | None
    params: list[tuple[str, str]]
    content: str | None
    data: list[tuple[str, str]]
    files: tuple[tuple[str, typing.BinaryIO], ...]
    json_text: str | None
    headers: list[tuple[str, str]]
    cookies: list[tuple[str, str]]
    auth: tuple[str, str] | None
    proxy: str | None
    timeout: float
    follow_redirects: bool
    verify: bool
    http2: bool
    download: str | None
    resume: bool
    segments: int
    verbose: bool


def _run(options: _Options) -> None:
    import rich.console
    import rich.text

    from ._client import Client
    from ._exceptions import RequestError

    console = rich.console.Console()
    method = options.method
    if method is None:
        has_body = bool(options.content or options.data or options.files or options.json_text)
        method = "POST" if has_body else "GET"
    trace = _Trace(console, options.proxy) if options.verbose else None
    hooks: dict[str, list[typing.Callable[[typing.Any], None]]] = {}
    if trace is not None:
        hooks = {"request": [trace.on_request], "response": [trace.on_response]}
    heads = _DownloadHeads(console, trace is None, options.follow_redirects)
    if options.download is not None and _downloadable(options, method):
        hooks.setdefault("response", []).append(heads.on_response)
    try:
        with Client(
            proxy=options.proxy,
            timeout=options.timeout,
            verify=options.verify,
            http2=options.http2,
            event_hooks=hooks,
        ) as client:
            if options.download is not None and _downloadable(options, method):
                status_ok = _download_file(client, console, options, options.download)
            else:
                status_ok = _send(client, console, options, method, trace)
    except RequestError as exc:
        if trace is not None:
            trace.on_error(exc)
        # A Text, not markup: messages hold brackets ("[Errno 111]") that markup would eat.
        console.print(rich.text.Text.assemble((type(exc).__name__, "red"), f": {exc}"))
        sys.exit(1)
    sys.exit(0 if status_ok else 1)


def _send(
    client: Client,
    console: rich.console.Console,
    options: _Options,
    method: str,
    trace: _Trace | None,
) -> bool:
    import json

    from ._urls import QueryParams

    with client.stream(
        method,
        options.url,
        params=QueryParams(tuple(options.params)),
        content=options.content,
        data=dict(options.data) or None,
        files=list(options.files) or None,
        json=json.loads(options.json_text) if options.json_text else None,
        headers=options.headers,
        cookies=dict(options.cookies),
        auth=options.auth,
        follow_redirects=options.follow_redirects,
    ) as response:
        if trace is None:
            # The redirects followed, then the final response (--verbose printed them already).
            for earlier in response.history:
                _print_response_head(console, earlier)
            _print_response_head(console, response)
        if options.download is not None:
            with open(options.download, "wb") as file:
                _download(console, response, file)
        else:
            response.read()
            _print_body(console, response)
        return response.is_success


class _Trace:
    """`--verbose`: prints each exchange once its response head has arrived.

    A connection counts as new when the response's `network_stream` has not been seen
    before in this run; that is when the connect lines are printed, ahead of the request.
    """

    def __init__(self, console: rich.console.Console, proxy: str | None) -> None:
        from ._urls import URL

        self.console = console
        # Through a proxy, the connection made is to the proxy.
        self.proxy = URL(proxy) if proxy is not None else None
        self.streams: list[object] = []  # kept alive, so their ids are never reused
        self.origins: set[tuple[str, int | None]] = set()
        self.pending: Request | None = None

    def on_request(self, request: Request) -> None:
        self.pending = request

    def on_response(self, response: Response) -> None:
        request = response.request
        stream = response.extensions.get("network_stream")
        if stream is None or all(stream is not seen for seen in self.streams):
            if stream is not None:
                self.streams.append(stream)
            self._print_connected(request)
            if stream is not None:
                self._print_tls(stream)
        self.pending = None
        _print_request_head(self.console, request, absolute=self._absolute_form(request))
        _print_response_head(self.console, response)

    def on_error(self, exc: Exception) -> None:
        from ._exceptions import ConnectError, ConnectTimeout, ProxyError

        request = self.pending
        if request is None:
            return
        if isinstance(exc, ConnectError | ConnectTimeout | ProxyError):
            self.console.print(f"* Connecting to {_quote(self._host(request))}")
            return
        if self._origin(request) not in self.origins:
            self._print_connected(request)
        _print_request_head(self.console, request, absolute=self._absolute_form(request))

    def _print_connected(self, request: Request) -> None:
        self.origins.add(self._origin(request))
        host = _quote(self._host(request))
        self.console.print(f"* Connecting to {host}")
        self.console.print(f"* Connected to {host} on port {self._port(request)}")

    def _print_tls(self, stream: typing.Any) -> None:
        ssl_object = stream.get_extra_info("ssl_object")
        if ssl_object is None:
            return
        out = self.console.print
        cipher = ssl_object.cipher()
        out(f"* SSL established using {ssl_object.version()!r} / {cipher[0]!r}")
        out(f"* Selected ALPN protocol: {ssl_object.selected_alpn_protocol()!r}")
        out("* Server certificate:")
        for key, value in (ssl_object.getpeercert() or {}).items():
            if key in ("subject", "issuer"):
                out(f"*   {key}:")
                for rdn in value:
                    for name, text in rdn:
                        out(f"*     {name}: {text!r}")
            elif key == "subjectAltName":
                out(f"*   {key}:")
                for kind, text in value:
                    out(f"*     {kind}: {text!r}")
            elif isinstance(value, str):
                out(f"*   {key}: {value!r}")
            else:
                out(f"*   {key}: {value}")

    def _absolute_form(self, request: Request) -> bool:
        # An http request through a proxy names the whole URL; https goes through a tunnel.
        return self.proxy is not None and request.url.scheme == "http"

    def _host(self, request: Request) -> str:
        return (self.proxy or request.url).host

    def _port(self, request: Request) -> int:
        url = self.proxy or request.url
        if url.port is not None:
            return url.port
        return 443 if url.scheme == "https" else 80

    def _origin(self, request: Request) -> tuple[str, int | None]:
        return (self._host(request), self._port(request))


def _quote(text: str) -> str:
    return repr(text)


def _http_syntax(console: rich.console.Console, lines: list[str]) -> None:
    import rich.syntax

    console.print(rich.syntax.Syntax("\n".join(lines), "http", theme="ansi_dark", word_wrap=True))


def _print_request_head(
    console: rich.console.Console, request: Request, *, absolute: bool = False
) -> None:
    target = str(request.url) if absolute else request.url.raw_path.decode("ascii")
    lines = [f"{request.method} {target} HTTP/1.1"]
    lines += [
        f"{name.decode('ascii')}: {value.decode('latin-1')}" for name, value in request.headers.raw
    ]
    _http_syntax(console, lines)
    console.print()


def _print_response_head(console: rich.console.Console, response: Response) -> None:
    lines = [f"{response.http_version} {response.status_code} {response.reason_phrase}"]
    lines += [
        f"{name.decode('ascii')}: {value.decode('latin-1')}" for name, value in response.headers.raw
    ]
    _http_syntax(console, lines)
    console.print()


def _lexer_name(response: Response) -> str | None:
    """The pygments lexer for the response's media type; None when there is none."""
    import pygments.lexers
    import pygments.util

    media_type = response.headers.get("Content-Type", "").partition(";")[0].strip()
    try:
        lexer = pygments.lexers.get_lexer_for_mimetype(media_type)
    except pygments.util.ClassNotFound:
        return None
    name: str = lexer.name
    return name


def _print_body(console: rich.console.Console, response: Response) -> None:
    import rich.syntax

    if not response.content:
        return
    lexer = _lexer_name(response)
    if lexer is None:
        console.print(f"<{len(response.content)} bytes of binary data>")
        return
    text = response.text
    if lexer.lower() == "json":
        import json

        try:
            text = json.dumps(response.json(), indent=4)
        except ValueError:
            pass
    console.print(rich.syntax.Syntax(text, lexer, theme="ansi_dark", word_wrap=True))


def _downloadable(options: _Options, method: str) -> bool:
    """`--download` goes through `Client.download` for a GET without a body."""
    has_body = options.content or options.data or options.files or options.json_text
    return method.upper() == "GET" and not has_body


class _DownloadHeads:
    """The response heads of a `--download` run, printed as the exchange prints them (the
    redirects followed, then the final response), once: a resume or a segment sends further
    requests whose heads are not the user's. An error response's body is read here, so that
    it can be written to the file afterwards as httpx does."""

    def __init__(self, console: rich.console.Console, print_heads: bool, follow: bool) -> None:
        self.console = console
        self.print_heads = print_heads
        self.follow = follow  # a response with a Location is followed: another head comes
        self.done = False

    def on_response(self, response: Response) -> None:
        if self.done:
            return
        if self.print_heads:
            _print_response_head(self.console, response)
        self.done = not (self.follow and response.has_redirect_location)
        if not response.is_success:
            response.read()


def _download_file(
    client: Client, console: rich.console.Console, options: _Options, path: str
) -> bool:
    """`--download` of a GET: `Client.download`, with a rich bar on a terminal."""
    from ._download_base import DownloadProgress
    from ._exceptions import HTTPStatusError
    from ._urls import QueryParams

    coded = not (options.resume or options.segments > 1)
    progress: typing.Callable[[DownloadProgress], None] | None = None
    bar: typing.Any = None
    if console.is_terminal:
        import rich.progress

        columns = (
            rich.progress.TextColumn("Downloading [bold]{task.description}"),
            rich.progress.BarColumn(),
            rich.progress.DownloadColumn(),
            rich.progress.TransferSpeedColumn(),
            rich.progress.TimeRemainingColumn(),
        )
        bar = rich.progress.Progress(*columns, console=console)
        task = bar.add_task(path, total=None)

        def progress(p: DownloadProgress) -> None:
            bar.update(task, completed=p.downloaded, total=p.total)

    try:
        if bar is not None:
            bar.start()
        try:
            result = client.download(
                options.url,
                path,
                resume=options.resume,
                segments=options.segments,
                decode=coded,
                progress=progress,
                params=QueryParams(tuple(options.params)),
                headers=options.headers,
                cookies=dict(options.cookies),
                auth=options.auth,
                follow_redirects=options.follow_redirects,
            )
        finally:
            if bar is not None:
                bar.stop()
    except HTTPStatusError as exc:
        # As httpx's command does: the error page goes to the file; the status says failure.
        with open(path, "wb") as file:
            file.write(exc.response.content)
        return False
    return 200 <= result.status_code < 300 or result.status_code == 416


def _download(console: rich.console.Console, response: Response, file: typing.BinaryIO) -> None:
    """Write the decoded body to `file`; a progress bar on a terminal, nothing otherwise."""
    if not console.is_terminal:
        for chunk in response.iter_bytes():
            file.write(chunk)
        return

    import rich.progress

    length = response.headers.get("Content-Length")
    total = int(length) if length is not None and length.isdigit() else None
    columns = (
        rich.progress.TextColumn("Downloading [bold]{task.description}"),
        rich.progress.BarColumn(),
        rich.progress.DownloadColumn(),
        rich.progress.TransferSpeedColumn(),
        rich.progress.TimeRemainingColumn(),
    )
    with rich.progress.Progress(*columns, console=console) as progress:
        task = progress.add_task(file.name, total=total)
        for chunk in response.iter_bytes():
            file.write(chunk)
            # Progress counts bytes received, which is what Content-Length measures.
            progress.update(task, completed=response.num_bytes_downloaded)
