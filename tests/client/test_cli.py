"""The `faststream` command line client against httpx 0.28.1's, option by option.

Each scenario runs both commands (click's CliRunner, so stdout is not a terminal and rich
prints plain text) against a fresh loopback server each, and compares exit status and output.
Normalised, because it must differ: the port (one server per run), the `Date` header, the
User-Agent (`python-faststream/V`), the `Content-Length` of bodies that echo the User-Agent
back, and random multipart boundaries.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import typing
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

import faststream
from faststream import _main
from tests.servers.app import AppServer, pattern
from tests.servers.proxy import ProxyServer
from tests.servers.tls import TLSFiles

Args = Callable[[str], list[str]]


def normalise(text: str) -> str:
    text = re.sub(r"Date: [^\n]*", "Date: <date>", text)
    text = re.sub(r"python-(httpx|faststream)/[0-9A-Za-z.]+", "<user-agent>", text)
    text = re.sub(r"Content-Length: \d+", "Content-Length: <n>", text)
    text = re.sub(r"[0-9a-f]{32}", "<boundary>", text)
    return re.sub(r"127\.0\.0\.1:\d+|port \d+", "<address>", text)


def invoke(command: typing.Any, args: list[str], input: str | None = None) -> Result:
    # One program name for both, as the console scripts' differ (`httpx`, `faststream`).
    return CliRunner().invoke(command, args, input=input, prog_name="PROG")


def run_both(
    args: Args, *, server: Callable[[], AppServer] = AppServer, input: str | None = None
) -> tuple[Result, Result]:
    """httpx's and faststream's command on the same arguments, each against its own server."""
    results = []
    for command in (httpx.main, _main.command()):
        with server() as app:
            results.append(invoke(command, args(app.url), input=input))
    return results[0], results[1]


def assert_same(args: Args, **kwargs: typing.Any) -> Result:
    theirs, ours = run_both(args, **kwargs)
    assert ours.exit_code == theirs.exit_code
    assert normalise(ours.output) == normalise(theirs.output)
    return ours


@pytest.fixture
def upload(tmp_path: Path) -> str:
    path = tmp_path / "upload.txt"
    path.write_bytes(b"file content\n")
    return str(path)


# One scenario per option (and per outcome that changes the output or the exit status).
SCENARIOS: dict[str, Args] = {
    "get": lambda url: [f"{url}/echo"],
    "verbose": lambda url: [f"{url}/echo", "-v"],
    "method": lambda url: [f"{url}/echo", "--method", "PUT", "-v"],
    "params": lambda url: [f"{url}/echo?x=1", "-p", "a", "1", "--params", "b", "two words"],
    "content": lambda url: [f"{url}/echo", "-c", "some bytes", "-v"],
    "data": lambda url: [f"{url}/echo", "-d", "a", "1", "--data", "b", "2", "-v"],
    "json": lambda url: [f"{url}/echo", "-j", '{"a": [1, 2], "b": null}', "-v"],
    "json-and-method": lambda url: [f"{url}/echo", "-m", "PATCH", "--json", "[]"],
    "headers": lambda url: [f"{url}/echo", "-h", "X-One", "1", "--headers", "Accept", "a/b", "-v"],
    "cookies": lambda url: [f"{url}/cookies", "--cookies", "k", "v", "--cookies", "x", "y", "-v"],
    "auth": lambda url: [f"{url}/basic-auth/u/p", "--auth", "u", "p", "-v"],
    "auth-refused": lambda url: [f"{url}/basic-auth/u/p", "--auth", "u", "wrong"],
    "timeout": lambda url: [f"{url}/slow-headers?delay=3", "--timeout", "0.2"],
    "timeout-verbose": lambda url: [f"{url}/slow-headers?delay=3", "--timeout", "0.2", "-v"],
    "redirect-not-followed": lambda url: [f"{url}/redirect/2"],
    "follow-redirects": lambda url: [f"{url}/redirect/2", "--follow-redirects"],
    "follow-redirects-verbose": lambda url: [f"{url}/redirect/2", "--follow-redirects", "-v"],
    "status-404": lambda url: [f"{url}/status/404"],
    "status-204-verbose": lambda url: [f"{url}/status/204", "-v"],
    "binary-body": lambda url: [f"{url}/bytes/3000"],
    "text-body": lambda url: [f"{url}/bytes/300?type=text/plain"],
    "html-body": lambda url: [f"{url}/bytes/300?type=text/html"],
    "gzip-body": lambda url: [f"{url}/gzip"],
    "jsonl-chunked-body": lambda url: [f"{url}/jsonl"],
    "connect-error": lambda url: ["http://127.0.0.1:9/"],
    "connect-error-verbose": lambda url: ["http://127.0.0.1:9/", "-v"],
    "no-scheme": lambda url: ["127.0.0.1/echo"],
    "bad-option-pair": lambda url: [f"{url}/echo", "-p", "only-one"],
    "no-url": lambda url: [],
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_output_and_status_match_httpx(name: str) -> None:
    assert_same(SCENARIOS[name])


def test_files(upload: str) -> None:
    ours = assert_same(lambda url: [f"{url}/echo", "-f", "up", upload, "-d", "a", "b", "-v"])
    assert 'filename=\\"upload.txt\\"' in ours.output


def test_auth_password_prompt() -> None:
    ours = assert_same(lambda url: [f"{url}/basic-auth/u/pw", "--auth", "u", "-"], input="pw\n")
    assert ours.output.startswith("Password: \nHTTP/1.1 200 OK\n")


def test_proxy(proxy_server: ProxyServer) -> None:
    args: Args = lambda url: [f"{url}/echo", "--proxy", proxy_server.url]  # noqa: E731
    assert_same(args)
    # With --verbose, the connection shown is the proxy's and the target is absolute.
    ours = assert_same(lambda url: [*args(url), "-v"])
    assert f"* Connected to '127.0.0.1' on port {proxy_server.port}\nGET http://" in ours.output


def test_verbose_https_shows_the_tls_session(
    tls_files: TLSFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both honour SSL_CERT_FILE, the only way to give httpx's command a CA.
    monkeypatch.setenv("SSL_CERT_FILE", tls_files.ca_file)
    ours = assert_same(lambda url: [f"{url}/status/204", "-v"], server=tls_files.server)
    assert "* SSL established using 'TLSv1." in ours.output
    assert "*   subjectAltName:\n*     DNS: 'localhost'\n" in ours.output


def test_https_without_a_trusted_ca_fails_like_httpx(tls_files: TLSFiles) -> None:
    ours = assert_same(lambda url: [f"{url}/echo"], server=tls_files.server)
    assert ours.output.startswith("ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED]")


def test_no_verify_skips_certificate_checks(tls_files: TLSFiles) -> None:
    # httpx 0.28.1's --no-verify still verifies (it fails with CERTIFICATE_VERIFY_FAILED);
    # faststream's does what the help says.
    with tls_files.server() as server:
        ours = invoke(_main.command(), [f"{server.url}/status/204", "--no-verify"])
    assert ours.exit_code == 0
    assert ours.output.startswith("HTTP/1.1 204 No Content\n")


def test_http2_fails_as_httpx_does_without_h2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "h2", None)
    theirs, ours = run_both(lambda url: [f"{url}/echo", "--http2"])
    for result in (theirs, ours):
        assert result.exit_code == 1
        assert isinstance(result.exception, ImportError)
    assert "'h2' package is not installed" in str(ours.exception)


def test_help_lists_httpx_options_with_httpx_text() -> None:
    theirs = invoke(httpx.main, ["--help"])
    ours = invoke(_main.command(), ["--help"])
    assert ours.exit_code == theirs.exit_code == 0
    # The banner (title, tagline, usage) names the program; the option table is the same.
    their_lines, our_lines = theirs.output.splitlines(), ours.output.splitlines()
    assert our_lines[0].strip() == "faststream"
    assert our_lines[4].strip() == "Usage: faststream <URL> [OPTIONS]"
    assert our_lines[5:] == their_lines[5:]


# --- --download ---------------------------------------------------------------------------------


@pytest.fixture
def downloads(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path


def test_download_writes_the_body(downloads: Path) -> None:
    theirs_file, ours_file = downloads / "theirs.bin", downloads / "ours.bin"
    with AppServer() as server:
        theirs = invoke(httpx.main, [f"{server.url}/bytes/50000", "--download", str(theirs_file)])
        ours = invoke(_main.command(), [f"{server.url}/bytes/50000", "--download", str(ours_file)])
    assert ours.exit_code == theirs.exit_code == 0
    assert ours_file.read_bytes() == theirs_file.read_bytes() == pattern(50000)
    # Not a terminal: the head as httpx prints it, but no progress bar (httpx prints its
    # bar's last frame even into a pipe).
    their_head = theirs.output.partition("\nDownloading ")[0]
    assert normalise(ours.output) == normalise(their_head)
    assert "Downloading" not in ours.output


def test_download_decodes_like_iter_bytes(downloads: Path) -> None:
    target = downloads / "body.txt"
    with AppServer() as server:
        ours = invoke(_main.command(), [f"{server.url}/gzip", "--download", str(target)])
        expected = faststream.get(f"{server.url}/gzip").content
    assert ours.exit_code == 0
    assert target.read_bytes() == expected


def test_download_shows_progress_on_a_terminal(
    downloads: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # FORCE_COLOR makes rich treat the output as a terminal.
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    target = downloads / "body.bin"
    with AppServer() as server:
        ours = invoke(_main.command(), [f"{server.url}/bytes/20000", "--download", str(target)])
    assert ours.exit_code == 0
    assert target.read_bytes() == pattern(20000)
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", ours.output)
    final = plain.rstrip("\n").rpartition("\r")[2]
    assert final.startswith(f"Downloading {target}")
    assert "20.0/20.0 kB" in final  # bytes received of Content-Length
    assert "0:00:00" in final  # time left


def test_download_of_an_error_status_exits_1(downloads: Path) -> None:
    target = downloads / "error.txt"
    with AppServer() as server:
        ours = invoke(_main.command(), [f"{server.url}/status/500", "--download", str(target)])
    assert ours.exit_code == 1
    assert target.read_bytes() == b"status 500"


# --- the entry point and the `cli` extra --------------------------------------------------------

MISSING_CLI_DEPS = """
import sys
sys.modules["click"] = None  # as if the `cli` extra were not installed
import {module}
{module}.main()
"""


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )


def test_without_the_cli_extra_main_prints_the_install_hint() -> None:
    theirs = run_python(MISSING_CLI_DEPS.format(module="httpx"), "http://127.0.0.1:9/")
    ours = run_python(MISSING_CLI_DEPS.format(module="faststream"), "http://127.0.0.1:9/")
    assert ours.returncode == theirs.returncode == 1
    assert ours.stdout == theirs.stdout.replace("httpx[cli]", "faststream-http[cli]").replace(
        "The httpx command", "The faststream command"
    )
    assert "pip install 'faststream-http[cli]'" in ours.stdout


def test_main_is_the_console_script_entry_point() -> None:
    with AppServer() as server:
        done = run_python("import faststream; faststream.main()", f"{server.url}/status/201")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("HTTP/1.1 201 Created\n")
