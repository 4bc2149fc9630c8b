"""A `.part`'s sidecar is a file anyone could have edited: whatever it holds, the download
either resumes a consistent plan or starts over, and the stored file is always right."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import pytest

import faststream
from faststream import _download_base
from tests.download.conftest import fetch, leftovers, sha256
from tests.servers.ranges import RangeServer


@pytest.fixture(autouse=True)
def _fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_download_base, "BACKOFF_BASE", 0.01)


def interrupted(server: RangeServer, target: Path, segments: int = 1) -> dict[str, typing.Any]:
    """Leave a `.part` and its sidecar; the sidecar's content."""
    server.drop_every = 40_000 if segments > 1 else 200_000  # inside a 64 KiB piece
    with pytest.raises(faststream.RemoteProtocolError):
        fetch("sync", server.url + "/f", target, retries=0, segments=segments)
    server.drop_every = None
    meta: dict[str, typing.Any] = json.loads(
        target.with_name(target.name + ".part.json").read_text()
    )
    return meta


EDITS: list[tuple[str, typing.Callable[[dict[str, typing.Any]], object]]] = [
    ("garbage", lambda meta: "{not json"),
    ("a list", lambda meta: []),
    ("no validator", lambda meta: {**meta, "validator": None}),
    ("validator not text", lambda meta: {**meta, "validator": 7}),
    ("other url", lambda meta: {**meta, "url": "http://elsewhere/"}),
    ("total negative", lambda meta: {**meta, "total": -1}),
    ("total text", lambda meta: {**meta, "total": "1500000"}),
    ("total smaller than the part", lambda meta: {**meta, "total": 10}),
]


@pytest.mark.parametrize("edit", [e for _, e in EDITS], ids=[name for name, _ in EDITS])
def test_untrusted_sidecar_starts_over(
    server: RangeServer,
    body: bytes,
    tmp_path: Path,
    edit: typing.Callable[[dict[str, typing.Any]], object],
) -> None:
    target = tmp_path / "out.bin"
    meta = interrupted(server, target)
    edited = edit(meta)
    sidecar = tmp_path / "out.bin.part.json"
    sidecar.write_text(edited if isinstance(edited, str) else json.dumps(edited))
    seen = len(server.requests)
    result = fetch("sync", server.url + "/f", target)
    assert "range" not in server.requests[seen].headers
    assert result.resumed_from == 0
    assert result.sha256 == sha256(body)
    assert leftovers(tmp_path) == ["out.bin"]


SEGMENT_EDITS: list[tuple[str, typing.Callable[[dict[str, typing.Any]], object]]] = [
    ("no starts", lambda meta: {k: v for k, v in meta.items() if k != "starts"}),
    ("starts too short", lambda meta: {**meta, "starts": meta["starts"][:-1]}),
    ("a gap", lambda meta: {**meta, "starts": [0, 1, *meta["starts"][2:]]}),
    ("next past end", lambda meta: {**meta, "segments": [[10**9, 5], *meta["segments"][1:]]}),
    ("segment not a pair", lambda meta: {**meta, "segments": [[0], *meta["segments"][1:]]}),
    ("segments not a list", lambda meta: {**meta, "segments": "all"}),
    ("short of the total", lambda meta: {**meta, "total": meta["total"] + 1}),
]


@pytest.mark.parametrize(
    "edit", [e for _, e in SEGMENT_EDITS], ids=[name for name, _ in SEGMENT_EDITS]
)
def test_untrusted_segment_plan_starts_over(
    server: RangeServer,
    body: bytes,
    tmp_path: Path,
    edit: typing.Callable[[dict[str, typing.Any]], object],
) -> None:
    target = tmp_path / "out.bin"
    meta = interrupted(server, target, segments=4)
    assert len(meta["segments"]) == 23  # 1.5 MB in pieces of 64 KiB
    (tmp_path / "out.bin.part.json").write_text(json.dumps(edit(meta)))
    seen = len(server.requests)
    result = fetch("sync", server.url + "/f", target, segments=4)
    assert server.requests[seen].headers["range"] == "bytes=0-0"  # a new plan
    assert result.resumed_from == 0
    assert result.sha256 == sha256(body)
    assert leftovers(tmp_path) == ["out.bin"]


def test_part_longer_than_the_resource_is_fetched_again(
    mode: str, server: RangeServer, body: bytes, tmp_path: Path
) -> None:
    target = tmp_path / "out.bin"
    meta = interrupted(server, target)
    (tmp_path / "out.bin.part.json").write_text(json.dumps({**meta, "total": None}))
    (tmp_path / "out.bin.part").write_bytes(body + b"tail")
    seen = len(server.requests)
    result = fetch(mode, server.url + "/f", target)
    # 416 with bytes */1500000 for a part of 1500004: not complete, not appendable
    assert [r.headers.get("range") for r in server.requests[seen:]] == [
        f"bytes={len(body) + 4}-",
        None,
    ]
    assert result.resumed_from == 0
    assert result.sha256 == sha256(body)
    assert target.read_bytes() == body
