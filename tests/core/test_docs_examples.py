"""Every python example in README.md and docs/ runs, against loopback servers only.

The examples name one placeholder origin, `https://example.org` (and `http://proxy.internal:3128`
or a SOCKS URL for a proxy); each is run with those replaced by local servers that serve what
the examples ask for, so an example that uses an API that does not exist, or uses one wrongly,
fails here. Examples that define pytest tests (the mocking ones) run under pytest in a child.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import re
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers.app import AppServer, Exchange, Route
from tests.servers.proxy import ProxyServer
from tests.servers.ranges import RangeServer
from tests.servers.socks import SocksServer

ROOT = Path(__file__).resolve().parents[2]
_PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_CHECKSUM_PLACEHOLDER = re.compile(r"sha256:[0-9a-f]*\.\.\.")

ISO = bytes(range(256)) * 4096  # 1 MiB behind /big.iso, with ranges
BIG = b"0123456789abcdef" * 65536  # 1 MiB behind /big.bin
SOCKS_AUTH = ("user", "secret")


@dataclass(frozen=True)
class Example:
    path: Path
    index: int  # 1-based, among the file's python blocks
    code: str

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT).as_posix()}#{self.index}"


def _examples() -> list[Example]:
    # docs/recipes/ runs whole programs (a Dask cluster); their tests live with examples/
    pages = [p for p in (ROOT / "docs").rglob("*.md") if "recipes" not in p.parts]
    files = [ROOT / "README.md", *sorted(pages)]
    found = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        for index, match in enumerate(_PYTHON_BLOCK.finditer(text), start=1):
            found.append(Example(path, index, match.group(1)))
    return found


EXAMPLES = _examples()
SCRIPTS = [e for e in EXAMPLES if "def main" in e.code or "def test_" not in e.code]
TEST_EXAMPLES = [e for e in EXAMPLES if "def test_" in e.code]


# -- what the examples fetch ------------------------------------------------------------------


def _log(ex: Exchange) -> None:
    ex.respond(200, "GET /index.html 200\nGET /missing 404\n")


def _status(ex: Exchange) -> None:
    ex.respond_json({"ok": True})


def _events(ex: Exchange) -> None:
    if ex.header("last-event-id") is not None:
        ex.respond(204, b"", content_type=None)  # a reconnection: no more events
        return
    body = b'retry: 10\nid: 1\ndata: {"n": 1}\n\n: keep-alive\n\nevent: done\nid: 2\ndata: {}\n\n'
    ex.respond(200, body, content_type="text/event-stream")


def _records(ex: Exchange) -> None:
    body = b"".join(json.dumps({"id": i, "name": f"r{i}"}).encode() + b"\n" for i in range(5))
    ex.respond(200, body, content_type="application/x-ndjson")


def _big(ex: Exchange) -> None:
    ex.respond(200, BIG, content_type="application/octet-stream")


def _bomb(ex: Exchange) -> None:
    body = gzip.compress(bytes(20_000_000), mtime=0)
    ex.respond(200, body, [("Content-Encoding", "gzip")], content_type="application/octet-stream")


def _config(ex: Exchange) -> None:
    ex.respond_json({"debug": False, "workers": 4})


def _tarball(ex: Exchange) -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as archive:
        data = b"a,b\n1,2\n"
        info = tarfile.TarInfo("table.csv")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    ex.respond(200, raw.getvalue(), content_type="application/gzip")


def _export(ex: Exchange) -> None:
    ex.send_head(
        200,
        [("Content-Type", "text/csv"), ("Transfer-Encoding", "chunked"), ("Trailer", "X-Checksum")],
    )
    ex.write_chunk(b"a,b\n1,2\n")
    ex.end_chunks([("X-Checksum", "sha256:abc")])


ROUTES: dict[str, Route] = {
    "/log": _log,
    "/status": _status,
    "/events": _events,
    "/records.jsonl": _records,
    "/big.bin": _big,
    "/bomb.gz": _bomb,
    "/config.json": _config,
    "/data.tar.gz": _tarball,
    "/export": _export,
}


@dataclass
class Servers:
    app: AppServer
    ranges: RangeServer
    proxy: ProxyServer
    socks: SocksServer

    def requests_seen(self) -> int:
        return sum(
            len(seen)
            for seen in (self.app.requests, self.ranges.requests, self.proxy.seen, self.socks.seen)
        )

    def localised(self, code: str) -> str:
        code = code.replace("https://example.org/big.iso", f"{self.ranges.url}/big.iso")
        code = code.replace("https://example.org", self.app.url)
        code = code.replace("http://proxy.internal:3128", self.proxy.url)
        code = code.replace(
            "socks5h://user:secret@127.0.0.1:1080", self.socks.url("socks5h", SOCKS_AUTH)
        )
        digest = hashlib.sha256(ISO).hexdigest()
        code = _CHECKSUM_PLACEHOLDER.sub(f"sha256:{digest}", code)
        # nothing may be left that would leave this machine
        assert "example.org" not in code and "proxy.internal" not in code, code
        assert ":1080" not in code, code
        return code


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    with contextlib.ExitStack() as stack:
        yield Servers(
            app=stack.enter_context(AppServer(ROUTES)),
            ranges=stack.enter_context(RangeServer(ISO)),
            proxy=stack.enter_context(ProxyServer()),
            socks=stack.enter_context(SocksServer(auth=SOCKS_AUTH)),
        )


def _needs(code: str) -> None:
    modules = ("anthropic", "openai", "httpx", "respx", "pytest_httpx", "trio", "socksio", "h2")
    for module in modules:
        if re.search(rf"^(import|from) {module}\b", code, re.MULTILINE) or (
            module == "socksio" and "socks5" in code
        ):
            pytest.importorskip(module, reason=f"the example needs {module}")


def test_no_page_holds_an_unfilled_placeholder() -> None:
    pages = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"^[A-Z][A-Z0-9]*_[A-Z0-9_]+$", text, re.MULTILINE), page


def test_there_are_examples() -> None:
    assert len(SCRIPTS) >= 20
    assert len(TEST_EXAMPLES) >= 3


@pytest.mark.parametrize("example", SCRIPTS, ids=lambda e: e.id)
def test_example_runs(
    example: Example, servers: Servers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _needs(example.code)
    code = servers.localised(example.code)
    monkeypatch.chdir(tmp_path)
    for key in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY"):  # the SDK examples build clients only
        monkeypatch.setenv(key, "test-key")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    (tmp_path / "downloads").mkdir()
    requests_before = servers.requests_seen()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, example.id, "exec"), {"__name__": "__example__"})
    if "example.org" in example.code and "HTTPXTransport()" not in code:
        # (the SDK example only constructs clients)
        assert servers.requests_seen() > requests_before, "the example made no request"
    if "print(" in code:
        assert out.getvalue(), "the example printed nothing"


def test_test_examples_pass_under_pytest(servers: Servers, tmp_path: Path) -> None:
    for module in ("respx", "pytest_httpx"):
        pytest.importorskip(module, reason=f"the mocking examples need {module}")
    for example in TEST_EXAMPLES:
        name = re.sub(r"\W", "_", example.id)
        (tmp_path / f"test_{name}.py").write_text(servers.localised(example.code))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{len(TEST_EXAMPLES)} passed" in run.stdout, run.stdout
    # the mocks answered: nothing reached the loopback server
    assert not [r for r in servers.app.requests if r.target.startswith("/users")]
