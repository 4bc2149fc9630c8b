"""respx intercepts faststream in a plain Python process too (no pytest plugin involved)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.servers.app import AppServer

# The README's example, then an unmatched request to a live loopback server.
_SCRIPT = """
import faststream as httpx
import respx

@respx.mock
def test_user():
    route = respx.get("https://api.example.com/users/1").mock(
        return_value=httpx.Response(200, json={{"id": 1}})
    )
    assert httpx.Client().get("https://api.example.com/users/1").json() == {{"id": 1}}
    assert route.called

test_user()

with respx.mock:
    try:
        httpx.get("{url}/echo")
    except AssertionError as exc:
        print("refused:", exc)
print("done")
"""


def test_plain_process() -> None:
    with AppServer() as server:
        result = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(_SCRIPT.format(url=server.url))],
            capture_output=True,
            text=True,
            timeout=60,
        )
        accepted = server.connections_accepted
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"refused: RESPX: <Request('GET', '{server.url}/echo')> not mocked!",
        "done",
    ]
    assert accepted == 0
