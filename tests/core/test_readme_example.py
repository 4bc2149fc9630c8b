"""The README's main example runs as printed, against a loopback server, in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.servers.app import AppServer, Exchange

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "readme_example.py"

LOG_LINES = ["GET /index.html 200", "GET /missing 404", "POST /upload 201"]


def _log(ex: Exchange) -> None:
    # chunked, with one line split across chunks and mixed line endings: iter_lines rejoins them
    ex.send_head(200, [("Content-Type", "text/plain"), ("Transfer-Encoding", "chunked")])
    ex.write_chunk(b"GET /index.html 200\r\nGET /mis")
    ex.write_chunk(b"sing 404\nPOST /upload 201\n")
    ex.end_chunks()


def _status(ex: Exchange) -> None:
    ex.respond_json({"ok": True, "version": "1.0"})


def _print_example(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TOOL), *args], capture_output=True, text=True, timeout=60
    )


def test_readme_example_runs_against_a_loopback_server(tmp_path: Path) -> None:
    with AppServer({"/log": _log, "/status": _status}) as server:
        printed = _print_example(server.url)
        assert printed.returncode == 0, printed.stderr
        assert "example.org" not in printed.stdout
        assert "import faststream as httpx" in printed.stdout
        script = tmp_path / "example.py"
        script.write_text(printed.stdout, encoding="utf-8")
        # run from the temporary directory, so the example imports the installed faststream
        run = subprocess.run(
            [sys.executable, str(script)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        paths = [request.target for request in server.requests]
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [*LOG_LINES, "200 {'ok': True, 'version': '1.0'}"]
    assert paths == ["/log", "/status"]


def test_a_readme_without_the_placeholder_is_refused(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        "# x\n\n```python\nimport faststream\nfaststream.get('https://pypi.org')\n```\n",
        encoding="utf-8",
    )
    printed = _print_example("http://127.0.0.1:1", "--readme", str(readme))
    assert printed.returncode == 1
    assert printed.stdout == ""
    assert "https://example.org" in printed.stderr


def test_only_the_first_python_block_is_printed_with_the_origin_replaced(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        "```sh\npip install x\n```\n\n```python\nurl = 'https://example.org/a'\n```\n\n"
        "```python\nsecond = 'https://example.org/b'\n```\n",
        encoding="utf-8",
    )
    printed = _print_example("http://127.0.0.1:8000/", "--readme", str(readme))
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == "url = 'http://127.0.0.1:8000/a'\n"
