"""Disk full (a file-size limit, in a child process) and unwritable targets: a clear `OSError`,
the `.part` kept for the next call, the target untouched (E17)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.download.conftest import fetch, sha256
from tests.servers.ranges import RangeServer

resource = pytest.importorskip("resource", reason="file-size limits are a POSIX feature")

LIMIT = 600_000

CHILD = """
import json, resource, signal, sys
from tests.download.conftest import fetch
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[4]), resource.RLIM_INFINITY))
try:
    fetch(sys.argv[1], sys.argv[2], sys.argv[3], **json.loads(sys.argv[5]))
except OSError as exc:
    print(json.dumps([type(exc).__name__, exc.errno, str(exc)]))
else:
    print(json.dumps(None))
"""


def run_limited(mode: str, url: str, target: Path, **kwargs: object) -> list[object] | None:
    root = Path(__file__).resolve().parents[2]
    child = subprocess.run(
        [sys.executable, "-c", CHILD, mode, url, str(target), str(LIMIT), json.dumps(kwargs)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: list[object] | None = json.loads(child.stdout)
    return result


@pytest.mark.parametrize("segments", [1, 4])
def test_disk_full_keeps_the_part_and_the_target(
    mode: str, server: RangeServer, body: bytes, tmp_path: Path, segments: int
) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"the previous version")
    error = run_limited(mode, server.url + "/f", target, segments=segments)
    assert error is not None
    name, errno, message = error
    assert name == "OSError" and errno == 27  # EFBIG: File too large
    assert "too large" in str(message)
    assert "out.bin.part" in str(message)  # which file, and that it is kept
    assert target.read_bytes() == b"the previous version"
    part = tmp_path / "out.bin.part"
    assert part.exists()
    # with room again, the next call finishes the same part
    result = fetch(mode, server.url + "/f", target, segments=segments)
    assert result.sha256 == sha256(body)
    assert target.read_bytes() == body
    if segments == 1:
        assert 0 < result.resumed_from <= LIMIT
