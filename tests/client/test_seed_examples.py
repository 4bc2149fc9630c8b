# mypy: allow-untyped-calls
"""Every example of shared/SEED-streaming-api.md, run unchanged against a loopback server.

The SEED's code blocks lost their indentation; each example below is that code with the
indentation restored, `httpx` being the fixture (faststream or real httpx) and only the URLs
(and file names, which live in a temporary directory) changed. The helpers the examples call
without defining (`process_chunk`, `process_item`) record what they get; their `print`s are
read back with `capsys`.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.servers.app import AppServer, Exchange, pattern
from tests.servers.routes import gzip_text

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def printed(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().out.splitlines()


# The `Usage:` block of `stream()`'s docstring ----------------------------------------------


def test_stream_docstring_usage(httpx: ModuleType, app_server: AppServer) -> None:
    url = f"{app_server.url}/bytes/5000"
    chunks: list[bytes] = []
    process_chunk = chunks.append

    with httpx.stream("GET", url) as response:
        for chunk in response.iter_bytes():
            process_chunk(chunk)

    assert b"".join(chunks) == pattern(5000)
    assert all(chunks)


# Basic Response Streaming ------------------------------------------------------------------


def test_basic_response_streaming(httpx: ModuleType, app_server: AppServer) -> None:
    # Stream large file download
    with httpx.stream("GET", f"{app_server.url}/bytes/300000") as response:
        with open("large-file.zip", "wb") as f:
            for chunk in response.iter_bytes():
                f.write(chunk)

    assert Path("large-file.zip").read_bytes() == pattern(300000)
    assert response.is_closed


# Streaming with Client ---------------------------------------------------------------------


def test_streaming_with_client(
    httpx: ModuleType, app_server: AppServer, capsys: pytest.CaptureFixture[str]
) -> None:
    with httpx.Client() as client:
        with client.stream("GET", f"{app_server.url}/bytes/100000") as response:
            print(f"Content-Length: {response.headers.get('content-length')}")

            total_size = 0
            with open("large-file.zip", "wb") as f:
                for chunk in response.iter_bytes(chunk_size=8192):
                    f.write(chunk)
                    total_size += len(chunk)
            print(f"Downloaded: {total_size} bytes")

    assert printed(capsys) == ["Content-Length: 100000", "Downloaded: 100000 bytes"]
    assert Path("large-file.zip").read_bytes() == pattern(100000)


# Text Streaming ----------------------------------------------------------------------------


def test_text_streaming(
    httpx: ModuleType, app_server: AppServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # The SEED defines process_line after the `with` block that calls it (a NameError when
    # run as written as a script); here the definition comes first.
    def process_line(line):
        # Process each line without loading entire file
        print(f"Line: {line}")

    # Stream text content line by line (the server sends it gzip-encoded)
    with httpx.stream("GET", f"{app_server.url}/gzip?n=50") as response:
        for line in response.iter_lines():
            process_line(line)

    expected = [f"Line: {text}" for text in gzip_text(50).decode().splitlines()]
    assert printed(capsys) == expected


# JSON Streaming ----------------------------------------------------------------------------


def test_json_streaming(
    httpx: ModuleType, app_server: AppServer, capsys: pytest.CaptureFixture[str]
) -> None:
    def process_json_object(obj):
        print(f"Processing: {obj}")

    # Stream and parse JSON objects line by line (JSONL format)
    with httpx.stream("GET", f"{app_server.url}/jsonl/25") as response:
        for line in response.iter_lines():
            if line.strip():  # Skip empty lines
                data = json.loads(line)
                process_json_object(data)

    assert printed(capsys) == [f"Processing: {{'i': {i}, 'name': 'item-{i}'}}" for i in range(25)]


# Async Response Streaming ------------------------------------------------------------------


def test_async_response_streaming(httpx: ModuleType, app_server: AppServer) -> None:
    url = f"{app_server.url}/chunked/200000?size=4096"

    async def download_file():
        async with httpx.AsyncClient() as client:
            async with client.stream("GET", url) as response:
                with open("large-file.zip", "wb") as f:
                    async for chunk in response.aiter_bytes():
                        f.write(chunk)

    asyncio.run(download_file())

    assert Path("large-file.zip").read_bytes() == pattern(200000)


# Streaming with Progress -------------------------------------------------------------------


def test_streaming_with_progress(
    httpx: ModuleType, app_server: AppServer, capsys: pytest.CaptureFixture[str]
) -> None:
    def download_with_progress(url, filename):
        with httpx.stream("GET", url) as response:
            total_size = int(response.headers.get("content-length", 0))
            downloaded = 0

            with open(filename, "wb") as f:
                for chunk in response.iter_bytes(chunk_size=8192):
                    f.write(chunk)
                    downloaded += len(chunk)

                    if total_size > 0:
                        percent = (downloaded / total_size) * 100
                        print(f"Progress: {percent:.1f}% ({downloaded}/{total_size} bytes)")

    download_with_progress(f"{app_server.url}/bytes/40000", "file.zip")

    lines = printed(capsys)
    # 8192-byte chunks: 4 full ones and the rest
    assert lines == [
        f"Progress: {d / 40000 * 100:.1f}% ({d}/40000 bytes)"
        for d in (8192, 16384, 24576, 32768, 40000)
    ]
    assert Path("file.zip").read_bytes() == pattern(40000)

    # Without Content-Length (chunked) the example prints nothing but still downloads.
    download_with_progress(f"{app_server.url}/chunked/40000", "file2.zip")
    assert printed(capsys) == []
    assert Path("file2.zip").read_bytes() == pattern(40000)


# Raw Content Streaming ---------------------------------------------------------------------


def test_raw_content_streaming(httpx: ModuleType, app_server: AppServer) -> None:
    # Stream raw content without decompression
    with httpx.stream("GET", f"{app_server.url}/gzip?n=2000") as response:
        with open("compressed-data.gz", "wb") as f:
            # iter_raw() preserves original compression
            for chunk in response.iter_raw():
                f.write(chunk)

    data = Path("compressed-data.gz").read_bytes()
    assert data == gzip.compress(gzip_text(2000), mtime=0)
    assert gzip.decompress(data) == gzip_text(2000)


# Conditional Streaming ---------------------------------------------------------------------


def smart_download_factory(httpx: ModuleType) -> Callable[[str, str], None]:
    def smart_download(url, filename):
        with httpx.stream("GET", url) as response:
            content_length = response.headers.get("content-length")

            if content_length and int(content_length) > 10_000_000:  # 10MB
                # Stream large files
                print("Large file detected, streaming...")
                with open(filename, "wb") as f:
                    for chunk in response.iter_bytes():
                        f.write(chunk)
            else:
                # Load small files normally
                print("Small file, loading into memory...")
                content = response.read()
                with open(filename, "wb") as f:
                    f.write(content)

    return smart_download


@pytest.mark.parametrize(
    ("path", "size", "message"),
    [
        ("/bytes/{n}", 10_000_001, "Large file detected, streaming..."),
        ("/bytes/{n}", 5000, "Small file, loading into memory..."),
        ("/chunked/{n}", 20000, "Small file, loading into memory..."),
    ],
    ids=["large", "small", "unknown-size"],
)
def test_conditional_streaming(
    httpx: ModuleType,
    app_server: AppServer,
    capsys: pytest.CaptureFixture[str],
    path: str,
    size: int,
    message: str,
) -> None:
    smart_download = smart_download_factory(httpx)
    smart_download(app_server.url + path.format(n=size), "file.dat")

    assert printed(capsys) == [message]
    assert Path("file.dat").read_bytes() == pattern(size)


# Streaming API Responses -------------------------------------------------------------------


def test_streaming_api_responses(httpx: ModuleType, app_server: AppServer) -> None:
    def stream_api_data(api_url):
        """Stream paginated API data."""
        page = 1

        with httpx.Client() as client:
            while True:
                with client.stream("GET", f"{api_url}?page={page}") as response:
                    # Check if we have data
                    if response.status_code != 200:
                        break

                    # Parse JSON response
                    data = json.loads(response.read())

                    if not data.get("items"):
                        break

                    # Process each item
                    for item in data["items"]:  # noqa: UP028
                        yield item

                page += 1

    seen: list[Any] = []
    process_item = seen.append

    # Usage
    for item in stream_api_data(f"{app_server.url}/items"):
        process_item(item)

    assert seen == [{"id": i, "page": i // 3 + 1} for i in range(9)]
    # one client: every page over one keep-alive connection
    assert app_server.connections_accepted == 1
    assert len(app_server.requests) == 4

    # a non-200 page ends the loop
    assert list(stream_api_data(f"{app_server.url}/status/500")) == []


# Server-Sent Events (SSE) Simulation -------------------------------------------------------


def test_sse_simulation(
    httpx: ModuleType, app_server: AppServer, capsys: pytest.CaptureFixture[str]
) -> None:
    def stream_events(url):
        """Stream server-sent events."""
        with httpx.stream("GET", url, headers={"Accept": "text/event-stream"}) as response:
            for line in response.iter_lines():
                if line.startswith("data: "):
                    event_data = line[6:]  # Remove 'data: ' prefix
                    yield event_data

    # Usage
    for event in stream_events(f"{app_server.url}/sse?n=4"):
        print(f"Event: {event}")

    assert printed(capsys) == [f"Event: event {i}" for i in range(4)]
    assert app_server.requests[-1].header("Accept") == "text/event-stream"


# Error Handling in Streaming ---------------------------------------------------------------


def safe_stream_download_factory(httpx: ModuleType) -> Callable[[str, str], None]:
    def safe_stream_download(url, filename):
        try:
            with httpx.stream("GET", url) as response:
                response.raise_for_status()  # Check status before streaming

                with open(filename, "wb") as f:
                    for chunk in response.iter_bytes():
                        f.write(chunk)

                print(f"Successfully downloaded {filename}")

        except httpx.HTTPStatusError as exc:
            print(f"HTTP error {exc.response.status_code}: {exc.response.text}")
        except httpx.RequestError as exc:
            print(f"Request error: {exc}")
        except OSError as exc:  # the SEED's `IOError`, an alias of OSError
            print(f"File error: {exc}")

    return safe_stream_download


def test_error_handling_success(
    httpx: ModuleType, app_server: AppServer, capsys: pytest.CaptureFixture[str]
) -> None:
    safe_stream_download = safe_stream_download_factory(httpx)
    safe_stream_download(f"{app_server.url}/bytes/3000", "file.zip")

    assert printed(capsys) == ["Successfully downloaded file.zip"]
    assert Path("file.zip").read_bytes() == pattern(3000)


def test_error_handling_http_status_error(
    httpx: ModuleType, app_server: AppServer, capsys: pytest.CaptureFixture[str]
) -> None:
    safe_stream_download = safe_stream_download_factory(httpx)
    # The example reads `exc.response.text` after the `with` block closed the unread streaming
    # response: httpx raises ResponseNotRead from inside the handler, and so must faststream.
    with pytest.raises(httpx.ResponseNotRead):
        safe_stream_download(f"{app_server.url}/status/404", "file.zip")
    assert printed(capsys) == []
    assert not Path("file.zip").exists()


def test_error_handling_request_error(
    httpx: ModuleType, closed_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    safe_stream_download = safe_stream_download_factory(httpx)
    safe_stream_download(f"http://127.0.0.1:{closed_port}/file.zip", "file.zip")

    [line] = printed(capsys)
    assert line.startswith("Request error: ")
    assert "refused" in line.lower()


def test_error_handling_file_error(
    httpx: ModuleType, app_server: AppServer, capsys: pytest.CaptureFixture[str]
) -> None:
    safe_stream_download = safe_stream_download_factory(httpx)
    safe_stream_download(f"{app_server.url}/bytes/3000", "no-such-dir/file.zip")

    [line] = printed(capsys)
    assert line.startswith("File error: [Errno 2] No such file or directory")


# Memory-Efficient JSON Processing ----------------------------------------------------------


def large_dataset(ex: Exchange) -> None:
    """JSON objects one per line, split across chunks mid-line, one malformed line, a blank line,
    and a last object without a newline."""
    lines = [json.dumps({"n": i, "text": "é" * (i % 5)}) for i in range(40)]
    lines[7] = "{not json"
    lines[20] = ""
    body = ("\n".join(lines)).encode()
    ex.send_head(200, [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")])
    for start in range(0, len(body), 37):
        ex.write_chunk(body[start : start + 37])
    ex.end_chunks()


def test_memory_efficient_json_processing(httpx: ModuleType, app_server: AppServer) -> None:
    app_server.add_route("/large-dataset", large_dataset)

    def process_large_json_array(url):
        """Process large JSON array without loading entire response."""
        with httpx.stream("GET", url) as response:
            # Assume response is JSON array with objects on separate lines
            buffer = ""

            for chunk in response.iter_text():
                buffer += chunk

                # Process complete JSON objects
                while "\n" in buffer:
                    line, buffer = buffer.split("\n", 1)
                    if line.strip():
                        try:
                            obj = json.loads(line)
                            yield obj
                        except json.JSONDecodeError:
                            continue

            # Process remaining buffer
            if buffer.strip():
                try:
                    obj = json.loads(buffer)
                    yield obj
                except json.JSONDecodeError:
                    pass

    seen: list[Any] = []
    process_item = seen.append

    # Usage
    for item in process_large_json_array(f"{app_server.url}/large-dataset"):
        process_item(item)

    expected = [{"n": i, "text": "é" * (i % 5)} for i in range(40) if i not in (7, 20)]
    assert seen == expected


# Resumable Downloads -----------------------------------------------------------------------


def resumable_download_factory(httpx: ModuleType) -> Callable[[str, str], None]:
    def resumable_download(url, filename):
        """Download file with resume capability."""
        # Check if partial file exists
        resume_pos = 0
        if os.path.exists(filename):
            resume_pos = os.path.getsize(filename)
            print(f"Resuming download from byte {resume_pos}")

        headers = {}
        if resume_pos > 0:
            headers["Range"] = f"bytes={resume_pos}-"

        mode = "ab" if resume_pos > 0 else "wb"

        with httpx.stream("GET", url, headers=headers) as response:
            if response.status_code in (200, 206):  # OK or Partial Content
                with open(filename, mode) as f:
                    for chunk in response.iter_bytes():
                        f.write(chunk)
                print(f"Download completed: {filename}")
            else:
                print(f"Download failed: {response.status_code}")

    return resumable_download


def test_resumable_download_fresh(
    httpx: ModuleType, app_server: AppServer, capsys: pytest.CaptureFixture[str]
) -> None:
    resumable_download = resumable_download_factory(httpx)
    resumable_download(f"{app_server.url}/range/70000", "large-file.zip")

    assert printed(capsys) == ["Download completed: large-file.zip"]
    assert Path("large-file.zip").read_bytes() == pattern(70000)
    assert app_server.requests[-1].header("Range") is None


def test_resumable_download_resumes(
    httpx: ModuleType, app_server: AppServer, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("large-file.zip").write_bytes(pattern(70000)[:12345])
    resumable_download = resumable_download_factory(httpx)
    resumable_download(f"{app_server.url}/range/70000", "large-file.zip")

    assert printed(capsys) == [
        "Resuming download from byte 12345",
        "Download completed: large-file.zip",
    ]
    assert Path("large-file.zip").read_bytes() == pattern(70000)
    assert app_server.requests[-1].header("Range") == "bytes=12345-"


def test_resumable_download_already_complete(
    httpx: ModuleType, app_server: AppServer, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("large-file.zip").write_bytes(pattern(70000))
    resumable_download = resumable_download_factory(httpx)
    resumable_download(f"{app_server.url}/range/70000", "large-file.zip")

    assert printed(capsys) == [
        "Resuming download from byte 70000",
        "Download failed: 416",
    ]
    assert Path("large-file.zip").read_bytes() == pattern(70000)


# The API section: `stream()`'s keyword arguments and the iterators' chunk sizes ------------


def test_stream_function_arguments(
    httpx: ModuleType, app_server: AppServer, proxy_server: Any
) -> None:
    with httpx.stream(
        "POST",
        f"{app_server.url}/redirect-to",
        params={"url": "/echo", "status": "307"},
        json={"a": 1},
        headers={"X-Test": "yes"},
        cookies={"c": "v"},
        auth=("user", "pass"),
        proxy=proxy_server.url,
        timeout=httpx.Timeout(10.0),
        follow_redirects=True,
        verify=True,
        trust_env=False,
    ) as response:
        assert not response.is_stream_consumed
        echo = json.loads(response.read())

    headers = {name.lower(): value for name, value in echo["headers"]}
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [307]
    assert echo["method"] == "POST"
    assert echo["body"] == '{"a":1}'
    assert headers["x-test"] == "yes"
    assert headers["cookie"] == "c=v"
    assert headers["authorization"] == "Basic dXNlcjpwYXNz"
    assert headers["content-type"] == "application/json"
    # both hops went through the proxy
    assert [r.method for r in proxy_server.seen] == ["POST", "POST"]


@pytest.mark.parametrize("method", ["iter_bytes", "iter_raw", "iter_text"])
def test_iterator_chunk_sizes(httpx: ModuleType, app_server: AppServer, method: str) -> None:
    with httpx.stream("GET", f"{app_server.url}/chunked/10000?size=777") as response:
        chunks = list(getattr(response, method)(chunk_size=1024))
    sizes = [len(chunk) for chunk in chunks]
    assert sizes == [1024] * 9 + [784]


@pytest.mark.parametrize("method", ["iter_bytes", "iter_raw", "iter_text", "iter_lines"])
def test_iterators_default_chunking_cover_the_body(
    httpx: ModuleType, app_server: AppServer, method: str
) -> None:
    with httpx.stream("GET", f"{app_server.url}/jsonl/300") as response:
        items = list(getattr(response, method)())
    joined = "\n".join(items) + "\n" if method == "iter_lines" else items[0][:0].join(items)
    expected = "".join(json.dumps({"i": i, "name": f"item-{i}"}) + "\n" for i in range(300))
    assert joined == (expected if isinstance(joined, str) else expected.encode())


def test_iter_text_decodes_with_the_response_charset(
    httpx: ModuleType, app_server: AppServer
) -> None:
    text = "naïve café – ünïcödé " * 200

    @app_server.route("/latin")
    def latin(ex: Exchange) -> None:
        ex.respond(200, text.encode("utf-16"), content_type="text/plain; charset=utf-16")

    with httpx.stream("GET", f"{app_server.url}/latin") as response:
        assert "".join(response.iter_text(chunk_size=7)) == text


def test_async_iterators(httpx: ModuleType, app_server: AppServer) -> None:

    async def main() -> tuple[bytes, bytes, str, list[str]]:
        async with httpx.AsyncClient(base_url=app_server.url) as client:
            async with client.stream("GET", "/gzip?n=300") as r:
                raw = b"".join([c async for c in r.aiter_raw(chunk_size=100)])
            async with client.stream("GET", "/gzip?n=300") as r:
                data = b"".join([c async for c in r.aiter_bytes(chunk_size=100)])
            async with client.stream("GET", "/gzip?n=300") as r:
                text = "".join([c async for c in r.aiter_text(chunk_size=100)])
            async with client.stream("GET", "/gzip?n=300") as r:
                lines = [line async for line in r.aiter_lines()]
        return raw, data, text, lines

    raw, data, text, lines = asyncio.run(main())
    assert raw == gzip.compress(gzip_text(300), mtime=0)
    assert data == gzip_text(300)
    assert text == gzip_text(300).decode()
    assert lines == gzip_text(300).decode().splitlines()
